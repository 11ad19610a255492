"""custom_vjp: a user-written VJP, as a primitive with a rule for every interpreter.

A call with traced arguments binds ``custom_vjp_call`` on the flattened array leaves;
the primitive returns ``outputs + residuals`` (the caller sees the outputs only), so the
tape keeps the residuals of ``fwd`` and ``bwd`` needs nothing else (the inputs are kept
too, for reverse-over-reverse, where the residuals' own cotangents flow back through
``fwd``). Forward mode: the transpose of ``bwd`` (linear in g, checked op by op); the
residuals' tangents come from ``fwd`` when a trace above reads them. vmap: ``fwd`` and
``bwd`` run on batched values; cotangents of unbatched arguments are summed. ``fwd`` runs
on plain values in the primitive's impl (its own call of the function is then the plain
function) and on traced values for nested derivatives (its call of the function binds the
primitive again, so the rule applies at every level). The call machinery it shares with
custom_jvp and checkpoint is in ``_custom.py``.
"""

from __future__ import annotations

import functools
import threading
from typing import Callable

import numpy as np

from . import tree as _tree
from ._args import StaticSplit, _fit, fun_name
from ._batching import BatchTrace, batch_rules, batch_size, vmap_flat
from ._core import Primitive, Tracer, ops
from ._custom import UserCall, _check_leaves, _is_float, cached, check_no_tracer, run_plain
from ._forward import jvp_flat, jvp_rules
from ._linearize import NotLinearError, transpose_linear
from ._reverse import defvjp_argnum, pull_back
from ._util import short_repr
from .errors import ConcretizationError, CustomRuleError, UnsupportedFunctionError

__all__ = ["custom_vjp"]

# ---------------------------------------------------------------------------
# custom_vjp
# ---------------------------------------------------------------------------

def _cvjp_impl(*args, call):
    return check_no_tracer(run_plain(call.fwd_plain, args), call.name, "custom_vjp function")


class _ChainPrimitive(Primitive):
    """custom_vjp_call remembers which traces are processing the current bind.

    A bind goes down the levels: each trace's ``process`` binds again on the values one
    level down. The forward-mode rule must know whether a trace above its own one handles
    the same call (then the residuals' tangents are read later, by that trace's rule), and
    a rule is not told its trace; so each bind pushes its trace on a thread-local chain. A
    bind at a level above the chain's last (a fresh call, e.g. inside fwd) starts a new one.
    """

    __slots__ = ()

    def __call__(self, *args, **params):
        top = None
        for a in args:
            if isinstance(a, Tracer) and (top is None or a._trace.level > top.level):
                top = a._trace
        if top is None:
            return self.impl(*args, **params)
        chains = _chains()
        cont = bool(chains) and bool(chains[-1]) and chains[-1][-1].level > top.level
        if cont:
            chains[-1].append(top)
        else:
            chains.append([top])
        try:
            return Primitive.__call__(self, *args, **params)
        finally:
            if cont:
                chains[-1].pop()
            else:
                chains.pop()


_tls = threading.local()


def _chains() -> list:
    c = getattr(_tls, "chains", None)
    if c is None:
        c = _tls.chains = []
    return c


def _read_above() -> bool:
    """Does a trace above the one running this rule keep the call's residuals (to read their
    tangents later)? Batching traces above only pass them on."""
    chain = _chains()[-1]
    return any(not isinstance(t, BatchTrace) for t in chain[:-1])


custom_vjp_p = _ChainPrimitive("custom_vjp_call", _cvjp_impl, multiple_results=True)
custom_vjp_p.declare_lazy()   # the impl runs the function: its own primitives decide


def _cvjp_jvp(primals, tangents, ans, *, call):
    # forward mode never differentiates fwd for the outputs: their tangent is the transpose
    # of g -> bwd(residuals, g) applied to the input tangents (bwd must be linear in g)
    if all(t is None for t in tangents):
        return [None] * len(ans)
    n = call.box["n_out"]
    res = list(ans[n:])
    try:
        t_out = transpose_linear(lambda gs: call.bwd(res, gs, primals), list(ans[:n]),
                                 [t if _is_float(p) else None for p, t in zip(primals, tangents)],
                                 "bwd")
    except NotLinearError as e:
        raise CustomRuleError(
            f"forward mode (jvp, jacfwd, hessian, hvp, linearize) of custom_vjp function "
            f"'{call.name}' uses the transpose of its bwd, which must be linear in the "
            f"cotangent g; but {e} of g. Give the function a forward-mode rule with "
            "fad.custom_jvp instead, or differentiate it in reverse mode only (grad, jacrev, "
            "vjp).") from None
    except (ConcretizationError, UnsupportedFunctionError) as e:
        raise CustomRuleError(
            f"forward mode (jvp, jacfwd, hessian, hvp, linearize) of custom_vjp function "
            f"'{call.name}' runs its bwd on a traced cotangent g to transpose it, and bwd calls "
            f"code funcad cannot trace ({e}). Write bwd in NumPy operations on g, or define "
            "the forward-mode rule with fad.custom_jvp.") from e
    t_res = [None] * len(res)
    if res and _read_above():
        # a trace above this one keeps the residuals, and its rule will differentiate
        # bwd(residuals, g) or its transpose: their tangents come from fwd, whose call of
        # the custom function goes through this rule again
        _, ts = jvp_flat(lambda xs: _fwd_traced(call, xs, t_out), list(primals), list(tangents))
        t_res = ts[n:]
    return [None if t is None else _fit(t, a) for t, a in zip(t_out, ans[:n])] + t_res


def _fwd_traced(call, xs, t_out=None):
    """fwd on traced values (nested derivatives), refusing outputs it made constant."""
    try:
        outs = call.fwd(*xs)
    except (ConcretizationError, UnsupportedFunctionError) as e:
        raise CustomRuleError(
            f"a nested derivative of custom_vjp function '{call.name}' runs its fwd on traced "
            f"values, and fwd calls code funcad cannot trace ({e}). Inside fwd, compute the "
            f"output by calling the custom function itself (y = {call.name}(x)): that call "
            "runs on plain values and its derivative is your rule.") from e
    n = call.box["n_out"]
    top = max((x._trace for x in xs if isinstance(x, Tracer)), key=lambda t: t.level,
              default=None)
    for k in range(n):
        o = outs[k]
        live = t_out[k] is not None if t_out is not None else _is_float(o)
        if live and top is not None and getattr(o, "_trace", None) is not top:
            raise CustomRuleError(
                f"fwd of custom_vjp function '{call.name}' returned output {k} as a constant "
                f"({short_repr(o)}) although its inputs are traced by a transform: a nested "
                "derivative (grad of grad, hessian, jvp of grad) cannot be right. The usual "
                "cause is a solver's result returned directly (or through stop_gradient) from "
                f"fwd; call the custom function instead (y = {call.name}(x)) so that its "
                "derivative is your rule at every level.")
    return outs


def _cvjp_vjp(j, g, ans, *args, call):
    n = call.box["n_out"]

    def compute():
        cts = list(call.bwd(list(ans[n:]), list(g[:n]), args))
        if all(_is_zero(r) for r in g[n:]):
            return cts
        # nested reverse mode: an inner backward pass used the residuals, so they carry
        # cotangents too; those flow back through fwd, whose call of the custom function
        # goes through this rule again
        extra = pull_back(lambda *xs: _fwd_traced(call, xs)[n:], list(args), g[n:])
        return [c if e is None else e if c is None else c + e for c, e in zip(cts, extra)]

    return cached(call, g, compute)[j]


def _is_zero(x) -> bool:
    return x is None or (type(x) is np.ndarray and not x.any())


def _cvjp_batch(vals, dims, *, call):
    size = batch_size(vals, dims)

    def bwd(res, gs, args):
        k = len(res)
        cts = vmap_flat(lambda *rg: call.bwd(list(rg[:k]), list(rg[k:]), None),
                        [0] * (k + len(gs)), size)(*res, *gs)
        return [c if d is not None or c is None else ops.sum(c, axis=0)
                for c, d in zip(cts, dims)]

    new = UserCall(call.name, call.box, fwd=vmap_flat(call.fwd, dims, size),
                fwd_plain=vmap_flat(call.fwd_plain, dims, size), bwd=bwd)
    return custom_vjp_p(*vals, call=new)


jvp_rules[custom_vjp_p] = _cvjp_jvp
defvjp_argnum(custom_vjp_p, _cvjp_vjp, keep=True)   # inputs: for nested reverse
batch_rules[custom_vjp_p] = _cvjp_batch


class custom_vjp:
    """A function with a user-defined VJP (JAX semantics), usable under every transform.

    Define ``fwd(*args) -> (out, residuals)`` and ``bwd(residuals, g) -> tuple``
    of cotangents, one per differentiable argument (``None`` for zero), with
    :meth:`defvjp`. The tape keeps only the residuals. The rule is the
    derivative at every level: inside ``fwd``, calling the function itself goes
    through the rule again (reverse over reverse), and forward mode (``jvp``,
    ``jacfwd``, ``hessian``, ``hvp``, ``linearize``) applies the transpose of
    ``bwd``, which must then be linear in ``g`` (checked op by op; JAX raises
    instead). A ``bwd`` that is not linear in ``g``, like the gradient clipping
    below, works in reverse mode and raises in forward mode. With
    ``nondiff_argnums``, ``bwd`` receives the static arguments first:
    ``bwd(*nondiff, residuals, g)``.

    Args:
      fun: the primal function (pytrees in and out).
      nondiff_argnums: indices of static arguments (never traced).

    Returns:
      A callable with ``fun``'s signature and values; set ``fwd``/``bwd`` before calling it.

    Example:
        >>> import numpy as np, funcad as fad
        >>> @fad.custom_vjp
        ... def clip_grad(x):
        ...     return x
        >>> clip_grad.defvjp(lambda x: (x, None), lambda _, g: (np.clip(g, -1.0, 1.0),))
        >>> fad.grad(lambda x: np.sum(clip_grad(x) * 5.0))(np.ones(2))
        array([1., 1.])
    """

    def __init__(self, fun: Callable, nondiff_argnums=()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)
        self.fwd = self.bwd = None
        self._fwd_depth = threading.local()   # > 0 while fwd runs on plain values

    def defvjp(self, fwd: Callable, bwd: Callable) -> None:
        """Set ``fwd(*args) -> (out, residuals)`` and ``bwd(*nondiff, residuals, g)``."""
        self.fwd, self.bwd = fwd, bwd

    def __call__(self, *args, **kwargs):
        name = fun_name(self.fun)
        if self.fwd is None:
            raise CustomRuleError(f"custom_vjp function '{name}' has no VJP rule; define one "
                                  f"with {name}.defvjp(fwd, bwd) before calling it")
        sp = StaticSplit(self.fun, self.nondiff_argnums, args, kwargs, "custom_vjp")
        if getattr(self._fwd_depth, "n", 0) or not sp.traced:
            return self.fun(*sp.args)
        box: dict = {}
        n_dyn = len(sp.dyn_idx)

        def fwd_flat(*leaves):
            res = self.fwd(*sp.rebuild(leaves))
            if not (isinstance(res, (tuple, list)) and len(res) == 2):
                raise CustomRuleError(f"fwd of '{name}' must return a pair (output, residuals), "
                                      f"got {short_repr(res)}")
            outs, box["out_tree"] = _tree.flatten(res[0])
            r, box["res_tree"] = _tree.flatten(res[1])
            box["n_out"] = len(outs)
            return list(outs) + list(r)

        def fwd_plain(*leaves):
            # on plain values, at the bottom of every transform: fwd's own call of the
            # function (or any other below it) is the plain function, not a new custom call
            depth = self._fwd_depth
            depth.n = getattr(depth, "n", 0) + 1
            try:
                return fwd_flat(*leaves)
            finally:
                depth.n -= 1

        def bwd_flat(res, gs, args_like):
            r = _tree.unflatten(box["res_tree"], res)
            g = _tree.unflatten(box["out_tree"], gs)
            cts = self.bwd(*sp.static, r, g)
            if not isinstance(cts, (tuple, list)) or len(cts) != n_dyn:
                got = (f"{len(cts)} cotangent(s)" if isinstance(cts, (tuple, list))
                       else f"a {type(cts).__name__} ({short_repr(cts)})")
                raise CustomRuleError(
                    f"bwd of custom_vjp function '{name}' must return a tuple with one cotangent "
                    f"per differentiable argument: expected {n_dyn} (for arguments "
                    f"{list(sp.dyn_idx)}), got {got}. Wrap a single cotangent as (g,).")
            flat = []
            for k, (c, a) in enumerate(zip(cts, sp.dyn(sp.leaves))):
                want, w_tree = _tree.flatten(a)
                if c is None:
                    flat += [None] * len(want)
                    continue
                got, g_tree = _tree.flatten(c, is_leaf=lambda x: x is None)
                if g_tree != w_tree:
                    raise CustomRuleError(
                        f"bwd of custom_vjp function '{name}': the cotangent for argument "
                        f"{sp.dyn_idx[k]} has structure {g_tree}, expected {w_tree}")
                _check_leaves(got, want, name, f"bwd (cotangent for argument {sp.dyn_idx[k]})",
                              "Each cotangent must have its argument's shape.")
                flat += got
            return [None if c is None or not _is_float(a) else _fit(c, a)
                    for c, a in zip(flat, sp.leaves)]

        call = UserCall(name, box, fwd=fwd_flat, fwd_plain=fwd_plain, bwd=bwd_flat)
        outs = custom_vjp_p(*sp.leaves, call=call)
        return _tree.unflatten(box["out_tree"], outs[:box["n_out"]])
