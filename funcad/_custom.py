"""custom_jvp and custom_vjp: user-written derivative rules, as primitives.

A call of a custom function with traced arguments binds one primitive
(``custom_jvp_call`` or ``custom_vjp_call``) on the flattened array leaves; the
user's functions travel in a :class:`_Call` parameter. Each interpreter has its
rule here, side by side:

* custom_jvp. Forward: the user's rule. Reverse: the rule is differentiated by
  reverse mode at backward time (its tangent output is linear in the tangents,
  so the VJP of ``tangents -> rule(primals, tangents)[1]`` is the transpose).
  vmap: the function and the rule run on batched values (a new custom call).
* custom_vjp. The primitive returns ``outputs + residuals`` (the caller sees the
  outputs only), so the tape keeps the residuals of ``fwd`` and ``bwd`` needs
  nothing else (the inputs are kept too, for reverse-over-reverse, where the
  residuals' own cotangents flow back through ``fwd``). Forward mode: dual
  numbers through ``fwd``. vmap: ``fwd`` and ``bwd`` run on batched values;
  cotangents of unbatched arguments are summed.
"""

from __future__ import annotations

import functools
import inspect
import threading
from typing import Callable

import numpy as np

from . import tree as _tree
from ._batching import BatchTrace, BatchTracer, batch_rules
from ._core import Primitive, Trace, Tracer, new_trace, ops
from ._forward import jvp_rules
from ._reverse import defvjp_argnum
from ._util import dtype_of, shape_of, short_repr
from .api import _unbatch, jvp_flat, vjp_flat
from .errors import EscapedTracerError, FuncadError

__all__ = ["custom_jvp", "custom_vjp", "CustomRuleError"]


class CustomRuleError(FuncadError, TypeError):
    """A custom_jvp/custom_vjp rule is missing or returned values of the wrong structure.

    The message names the function and shows what was expected and what came back.
    Fix the rule so its outputs match the function's inputs (bwd) or outputs (jvp).
    """


# ---------------------------------------------------------------------------
# helpers shared by both kinds (and by funcad._checkpoint)
# ---------------------------------------------------------------------------

def zeros_like_leaf(x):
    return np.zeros(shape_of(x), dtype_of(x))


def is_float(x) -> bool:
    return np.issubdtype(dtype_of(x), np.inexact)


def vmap_flat(f: Callable, dims, size: int) -> Callable:
    """``f(*leaves) -> list`` vectorized: operands batched along axis 0 where dims[i] == 0."""

    def batched(*vals):
        with new_trace(BatchTrace, size) as t:
            ins = [v if d is None else BatchTracer(t, v) for v, d in zip(vals, dims)]
            outs = f(*ins)
        return [_unbatch(o, t, size) for o in outs]

    return batched


def batch_size(vals, dims) -> int:
    return next(shape_of(v)[0] for v, d in zip(vals, dims) if d is not None)


class _Plain(Trace):
    """Pushed while a custom function runs on plain values inside other transforms, so
    arrays that funcad.numpy creates there stay plain (``pure`` is the identity)."""

    __slots__ = ()
    kind = "plain"

    def pure(self, x):
        return x

    def process(self, prim, args, params):  # pragma: no cover - it owns no tracers
        raise AssertionError("the plain barrier owns no tracers")


def run_plain(f, args):
    """``f(*args)`` on plain values with a barrier against outer transforms' lifting."""
    with new_trace(_Plain):
        return f(*args)


def check_no_tracer(outs, name: str, what: str):
    """A custom/checkpointed function run on plain values must not return traced values."""
    for o in outs:
        if isinstance(o, Tracer):
            raise FuncadError(
                f"{what} '{name}' returned a value traced by {o._trace.kind}@{o._trace.level} "
                "although its arguments were not traced at that level: the function uses a "
                "traced value it closes over (a global or closure variable). Pass that value as "
                "an argument instead.")
    return outs


def pull_back(f, args, g) -> list:
    """Cotangents of the float entries of ``args`` for ``f(*args) -> list`` and output
    cotangents ``g``, by a fresh reverse pass (``None`` for the other entries)."""
    pos = [k for k, a in enumerate(args) if is_float(a)]

    def f_flat(xs):
        full = list(args)
        for k, x in zip(pos, xs):
            full[k] = x
        return f(*full)

    _, pullback, _ = vjp_flat(f_flat, [args[k] for k in pos])
    cts = [None] * len(args)
    for k, c in zip(pos, pullback(list(g))):
        cts[k] = c
    return cts


_last = threading.local()   # (call, g, cotangents) of the latest backward computation


def cached(call, g, compute):
    """Cotangents of all operands at once; the backward sweep asks once per operand.

    One slot for the whole thread: the sweep asks for every operand of an entry in a
    row, and nothing is held once it moves on (a per-call cache would keep every
    block's cotangents alive until the tape dies).
    """
    last = getattr(_last, "v", None)
    if last is not None and last[0] is call and last[1] is g:
        return last[2]
    try:
        cts = compute()
    except EscapedTracerError as e:
        raise FuncadError(
            f"the backward pass of '{call.name}' re-ran code that uses a traced value the "
            "function closes over (its transform has already returned). Pass that value as an "
            "argument of the custom/checkpointed function instead.") from e
    _last.v = (call, g, cts)
    return cts


def resolve_args(fun, args, kwargs):
    if not kwargs:
        return tuple(args)
    ba = inspect.signature(fun).bind(*args, **kwargs)
    ba.apply_defaults()
    if ba.kwargs:
        raise TypeError(f"custom function '{_name(fun)}': keyword-only arguments are not "
                        f"supported ({sorted(ba.kwargs)}); make them positional")
    return tuple(ba.args)


def _name(fun) -> str:
    return getattr(fun, "__name__", type(fun).__name__)


class _Split:
    """Split positional args into static (nondiff_argnums) ones and flat traced leaves."""

    def __init__(self, fun, nondiff_argnums, args, where, argname="nondiff_argnums"):
        n = len(args)
        self.nd = tuple(sorted(a % n for a in nondiff_argnums)) if n else ()
        for a in nondiff_argnums:
            if not -n <= a < n:
                raise ValueError(f"{where} '{_name(fun)}': {argname}={nondiff_argnums} "
                                 f"is out of range for a call with {n} positional arguments")
        for i in self.nd:
            if any(isinstance(x, Tracer) for x in _tree.leaves(args[i])):
                raise TypeError(f"{where} '{_name(fun)}': argument {i} is in {argname} but is "
                                "a traced value; those arguments must be static (functions, "
                                f"ints, flags). Remove it from {argname}.")
        self.args = args
        self.static = tuple(args[i] for i in self.nd)
        self.dyn_idx = tuple(i for i in range(n) if i not in self.nd)
        self.leaves, self.in_tree = _tree.flatten(tuple(args[i] for i in self.dyn_idx))
        for i in self.dyn_idx:
            for x in _tree.leaves(args[i]):
                if not isinstance(x, (Tracer, np.ndarray, np.generic, int, float, complex)):
                    raise TypeError(
                        f"{where} '{_name(fun)}': argument {i} is not an array (a "
                        f"{type(x).__name__}: {short_repr(x)}); pass static arguments with "
                        f"{argname}=({i},)")

    def rebuild(self, leaves):
        full = list(self.args)
        for i, v in zip(self.dyn_idx, _tree.unflatten(self.in_tree, list(leaves))):
            full[i] = v
        return full

    def dyn(self, leaves):
        return tuple(_tree.unflatten(self.in_tree, list(leaves)))


class _Call:
    """One traced call of a custom function: the flat callables (a primitive parameter)."""

    def __init__(self, name, n_out_box, **fns):
        self.name = name
        self.box = n_out_box     # dict shared with batched copies: out_tree, res_tree
        self.fns = fns

    def __getattr__(self, k):
        try:
            return self.__dict__["fns"][k]
        except KeyError:
            raise AttributeError(k) from None

    def __repr__(self):
        return self.name

    def output_label(self, j: int):
        """What output j of the primitive is, when it is not a user-visible output."""
        n = self.box.get("n_out")
        if n is None or j < n:
            return None
        if "saved_labels" in self.box:
            return "saved " + self.box["saved_labels"][j - n]
        return f"residual {j - n} of fwd"


def _fit_out(x, like):
    """A rule's output leaf: None -> zeros; plain numbers -> arrays of ``like``'s dtype."""
    if x is None:
        return zeros_like_leaf(like)
    if not isinstance(x, Tracer):
        x = np.asarray(x)
        if x.dtype != dtype_of(like) and is_float(like):
            x = x.astype(dtype_of(like))
    return x


def _check_leaves(got, want, name, what, fix):
    """Compare two lists of leaves' shapes; raise CustomRuleError with both lists."""
    gs = [shape_of(x) if x is not None else "None" for x in got]
    ws = [shape_of(x) for x in want]
    if len(gs) != len(ws) or any(g != "None" and g != w for g, w in zip(gs, ws)):
        raise CustomRuleError(f"{what} of '{name}' returned leaves with shapes {gs}, expected "
                              f"{ws}. {fix}")


# ---------------------------------------------------------------------------
# custom_jvp
# ---------------------------------------------------------------------------

def _cjvp_impl(*args, call):
    return check_no_tracer(run_plain(call.fun, args), call.name, "custom_jvp function")


custom_jvp_p = Primitive("custom_jvp_call", _cjvp_impl, multiple_results=True)


def _cjvp_jvp(primals, tangents, ans, *, call):
    if all(t is None for t in tangents):
        return [None] * len(ans)
    ts = [zeros_like_leaf(p) if t is None else t for p, t in zip(primals, tangents)]
    return call.rule(primals, ts)[1]


def _cjvp_vjp(j, g, ans, *args, call):
    # the transpose of tangents -> rule(primals, tangents)[1] at the saved primals
    def lin(*ts):
        return call.rule(list(args), list(ts))[1]

    return cached(call, g, lambda: pull_back(lin, [zeros_like_leaf(a) for a in args], g))[j]


def _cjvp_batch(vals, dims, *, call):
    size = batch_size(vals, dims)
    n = len(vals)

    def rule(ps, ts):
        both = vmap_flat(lambda *pt: _concat(call.rule(list(pt[:n]), list(pt[n:]))),
                         list(dims) * 2, size)(*ps, *ts)
        k = len(both) // 2
        return both[:k], both[k:]

    new = _Call(call.name, call.box, fun=vmap_flat(call.fun, dims, size), rule=rule)
    return custom_jvp_p(*vals, call=new)


def _concat(pair):
    return list(pair[0]) + list(pair[1])


jvp_rules[custom_jvp_p] = _cjvp_jvp
defvjp_argnum(custom_jvp_p, _cjvp_vjp, keep=True)
batch_rules[custom_jvp_p] = _cjvp_batch


class custom_jvp:
    """A function with a user-defined JVP rule (JAX semantics), usable under every transform.

    Define the rule with :meth:`defjvp` (``rule(primals, tangents) -> (primal_out,
    tangent_out)``) or :meth:`defjvps` (one function per argument). The tangent
    output must be linear in the tangents. Reverse mode differentiates the rule
    (its transpose gives the VJP), so ``grad``, ``hessian`` and ``grad(grad(f))``
    all use it. With ``nondiff_argnums`` those arguments are static and come
    first in the rule: ``rule(*nondiff, primals, tangents)``.

    Args:
      fun: the primal function (pytrees in and out).
      nondiff_argnums: indices of static arguments (never traced).

    Returns:
      A callable with ``fun``'s signature and values; set its rule before calling it.

    Example:
        >>> import numpy as np, funcad as fad
        >>> @fad.custom_jvp
        ... def log1pexp(x):
        ...     return np.logaddexp(0.0, x)
        >>> @log1pexp.defjvp
        ... def _(primals, tangents):
        ...     (x,), (t,) = primals, tangents
        ...     return log1pexp(x), t / (1 + np.exp(-x))
        >>> float(fad.grad(log1pexp)(1000.0))
        1.0
    """

    def __init__(self, fun: Callable, nondiff_argnums=()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)
        self.jvp = None

    def defjvp(self, rule: Callable) -> Callable:
        """Set ``rule(*nondiff_args, primals, tangents) -> (primal_out, tangent_out)``."""
        self.jvp = rule
        return rule

    def defjvps(self, *per_arg: Callable | None) -> None:
        """Set the JVP as a sum of per-argument terms ``f_i(t_i, primal_out, *primals)``.

        ``None`` for an argument declares its contribution zero.
        """
        def rule(*a):
            static, primals, tangents = a[:-2], a[-2], a[-1]
            if len(per_arg) != len(primals):
                raise CustomRuleError(f"defjvps of '{_name(self.fun)}' got {len(per_arg)} "
                                      f"functions for {len(primals)} differentiable arguments")
            out = self.fun(*_merge(self.nondiff_argnums, static, primals))
            tan = None
            for f, t in zip(per_arg, tangents):
                if f is None:
                    continue
                c = f(t, out, *primals)
                tan = c if tan is None else _tree.map(lambda u, v: u + v, tan, c)
            if tan is None:
                tan = _tree.map(zeros_like_leaf, out)
            return out, tan

        self.jvp = rule

    def __call__(self, *args, **kwargs):
        name = _name(self.fun)
        if self.jvp is None:
            raise CustomRuleError(f"custom_jvp function '{name}' has no JVP rule; define one "
                                  f"with @{name}.defjvp (or {name}.defjvps) before calling it")
        args = resolve_args(self.fun, args, kwargs)
        sp = _Split(self.fun, self.nondiff_argnums, args, "custom_jvp")
        if not any(isinstance(x, Tracer) for x in sp.leaves):
            return self.fun(*args)
        box: dict = {}

        def fun_flat(*leaves):
            out_leaves, box["out_tree"] = _tree.flatten(self.fun(*sp.rebuild(leaves)))
            return out_leaves

        def rule_flat(primals, tangents):
            res = self.jvp(*sp.static, sp.dyn(primals), sp.dyn(tangents))
            if not (isinstance(res, (tuple, list)) and len(res) == 2):
                raise CustomRuleError(f"the JVP rule of '{name}' must return a pair (primal_out, "
                                      f"tangent_out), got {short_repr(res)}")
            po, p_tree = _tree.flatten(res[0])
            to, t_tree = _tree.flatten(res[1], is_leaf=lambda x: x is None)
            out_tree = box.get("out_tree", p_tree)
            if p_tree != out_tree or t_tree != out_tree:
                raise CustomRuleError(
                    f"the JVP rule of '{name}' returned mismatched structures:\n"
                    f"  function output: {out_tree}\n  rule primal_out: {p_tree}\n"
                    f"  rule tangent_out: {t_tree}\nReturn (primal_out, tangent_out) shaped like "
                    "the function's output.")
            _check_leaves(to, po, name, "the JVP rule", "tangent_out must match primal_out.")
            return po, [_fit_out(t, p) for t, p in zip(to, po)]

        call = _Call(name, box, fun=fun_flat, rule=rule_flat)
        outs = custom_jvp_p(*sp.leaves, call=call)
        return _tree.unflatten(box["out_tree"], outs)


def _merge(nd, static, dyn):
    """Positional arguments from the static ones (at indices nd) and the others, in order."""
    out, s, d = [], iter(static), iter(dyn)
    for i in range(len(nd) + len(dyn)):
        out.append(next(s) if i in nd else next(d))
    return out


# ---------------------------------------------------------------------------
# custom_vjp
# ---------------------------------------------------------------------------

def _cvjp_impl(*args, call):
    return check_no_tracer(run_plain(call.fwd, args), call.name, "custom_vjp function")


custom_vjp_p = Primitive("custom_vjp_call", _cvjp_impl, multiple_results=True)


def _cvjp_jvp(primals, tangents, ans, *, call):
    # forward mode: dual numbers through fwd (tangents of the outputs and the residuals)
    if all(t is None for t in tangents):
        return [None] * len(ans)
    return jvp_flat(lambda xs: call.fwd(*xs), list(primals), list(tangents))[1]


def _cvjp_vjp(j, g, ans, *args, call):
    n = call.box["n_out"]

    def compute():
        cts = list(call.bwd(list(ans[n:]), list(g[:n]), args))
        if all(_is_zero(r) for r in g[n:]):
            return cts
        # nested reverse mode: an inner backward pass used the residuals, so they carry
        # cotangents too; those flow back through fwd itself (differentiated normally)
        extra = pull_back(lambda *xs: call.fwd(*xs)[n:], list(args), g[n:])
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

    new = _Call(call.name, call.box, fwd=vmap_flat(call.fwd, dims, size), bwd=bwd)
    return custom_vjp_p(*vals, call=new)


jvp_rules[custom_vjp_p] = _cvjp_jvp
defvjp_argnum(custom_vjp_p, _cvjp_vjp, keep=True)   # inputs: for nested reverse
batch_rules[custom_vjp_p] = _cvjp_batch


class custom_vjp:
    """A function with a user-defined VJP (JAX semantics), usable under every transform.

    Define ``fwd(*args) -> (out, residuals)`` and ``bwd(residuals, g) -> tuple``
    of cotangents, one per differentiable argument (``None`` for zero), with
    :meth:`defvjp`. The tape keeps only the residuals. Forward mode (``jvp``,
    ``jacfwd``, ``hessian``'s outer pass) differentiates ``fwd`` with dual
    numbers, so ``fwd`` must be written in differentiable operations for
    those transforms (JAX raises instead). With ``nondiff_argnums``, ``bwd``
    receives the static arguments first: ``bwd(*nondiff, residuals, g)``.

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
        self._fwd_depth = threading.local()   # > 0 while fwd runs: calls inside are plain

    def defvjp(self, fwd: Callable, bwd: Callable) -> None:
        """Set ``fwd(*args) -> (out, residuals)`` and ``bwd(*nondiff, residuals, g)``."""
        self.fwd, self.bwd = fwd, bwd

    def __call__(self, *args, **kwargs):
        name = _name(self.fun)
        if self.fwd is None:
            raise CustomRuleError(f"custom_vjp function '{name}' has no VJP rule; define one "
                                  f"with {name}.defvjp(fwd, bwd) before calling it")
        args = resolve_args(self.fun, args, kwargs)
        sp = _Split(self.fun, self.nondiff_argnums, args, "custom_vjp")
        if getattr(self._fwd_depth, "n", 0) or not any(isinstance(x, Tracer) for x in sp.leaves):
            return self.fun(*args)
        box: dict = {}
        n_dyn = len(sp.dyn_idx)

        def fwd_flat(*leaves):
            depth = self._fwd_depth   # fwd usually calls the function itself: no recursion
            depth.n = getattr(depth, "n", 0) + 1
            try:
                res = self.fwd(*sp.rebuild(leaves))
            finally:
                depth.n -= 1
            if not (isinstance(res, (tuple, list)) and len(res) == 2):
                raise CustomRuleError(f"fwd of '{name}' must return a pair (output, residuals), "
                                      f"got {short_repr(res)}")
            outs, box["out_tree"] = _tree.flatten(res[0])
            r, box["res_tree"] = _tree.flatten(res[1])
            box["n_out"] = len(outs)
            return list(outs) + list(r)

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
            return [None if c is None or not is_float(a) else _fit_out(c, a)
                    for c, a in zip(flat, sp.leaves)]

        call = _Call(name, box, fwd=fwd_flat, bwd=bwd_flat)
        outs = custom_vjp_p(*sp.leaves, call=call)
        return _tree.unflatten(box["out_tree"], outs[:box["n_out"]])
