"""custom_jvp, and the call machinery it shares with custom_vjp and checkpoint.

A call of a custom function with traced arguments binds one primitive
(``custom_jvp_call`` or ``custom_vjp_call``) on the flattened array leaves; the
user's functions travel in a :class:`UserCall` parameter. Each interpreter has its
rule here, side by side:

* custom_jvp. Forward: the user's rule. Reverse: the rule is differentiated by
  reverse mode at backward time (its tangent output is linear in the tangents,
  so the VJP of ``tangents -> rule(primals, tangents)[1]`` is the transpose).
  vmap: the function and the rule run on batched values (a new custom call).
* custom_vjp lives in ``_custom_vjp.py`` (same machinery).

The call machinery both share with checkpoint (``_checkpoint.py``) is in the first section:
running a user function on plain values behind a barrier, caching one backward computation,
and :class:`UserCall` (the flat callables, a primitive parameter). The arguments' split into
static and traced ones is ``_args.StaticSplit``; the flat cores (``jvp_flat``, ``vjp_flat``,
``pull_back``, ``vmap_flat``) live with their interpreters.
"""

from __future__ import annotations

import functools
import threading
from typing import Callable

from . import tree as _tree
from ._args import StaticSplit, _fit, _zeros_for, fun_name
from ._batching import batch_rules, batch_size, vmap_flat
from ._core import Primitive, Trace, Tracer, new_trace
from ._forward import jvp_rules
from ._reverse import defvjp_argnum, pull_back
from ._sparsity import Inline, defsparsity
from ._util import dtype_of, is_inexact, shape_of, short_repr
from .errors import (
    CustomRuleError,
    EscapedTracerError,
    FuncadError,
)

__all__ = ["custom_jvp", "CustomRuleError"]

# ---------------------------------------------------------------------------
# the call of a user function through a primitive (shared with checkpoint)
# ---------------------------------------------------------------------------

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
            t = o._trace
            raise CustomRuleError(
                f"{what} '{name}' closes over a value traced by an enclosing transform "
                f"({t.kind}@{t.level}): a global or a variable of the function it is defined "
                f"in. funcad runs '{name}' on plain values and applies your rule, so it cannot "
                "follow a derivative through that closure. Pass the value as an argument of "
                f"'{name}' instead (non-array arguments go in nondiff_argnums).")
    return outs


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


class UserCall:
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


def _check_leaves(got, want, name, what, fix):
    """Compare two lists of leaves' shapes; raise CustomRuleError with both lists."""
    gs = [shape_of(x) if x is not None else "None" for x in got]
    ws = [shape_of(x) for x in want]
    if len(gs) != len(ws) or any(g != "None" and g != w for g, w in zip(gs, ws)):
        raise CustomRuleError(f"{what} of '{name}' returned leaves with shapes {gs}, expected "
                              f"{ws}. {fix}")


def _is_float(x) -> bool:
    return is_inexact(dtype_of(x))


# ---------------------------------------------------------------------------
# custom_jvp
# ---------------------------------------------------------------------------

def _cjvp_impl(*args, call):
    return check_no_tracer(run_plain(call.fun, args), call.name, "custom_jvp function")


custom_jvp_p = Primitive("custom_jvp_call", _cjvp_impl, multiple_results=True)
custom_jvp_p.declare_lazy()   # the impl runs the function: its own primitives decide


def _cjvp_jvp(primals, tangents, ans, *, call):
    if all(t is None for t in tangents):
        return [None] * len(ans)
    ts = [_zeros_for(p) if t is None else t for p, t in zip(primals, tangents)]
    return call.rule(primals, ts)[1]


def _cjvp_vjp(j, g, ans, *args, call):
    # the transpose of tangents -> rule(primals, tangents)[1] at the saved primals
    def lin(*ts):
        return call.rule(list(args), list(ts))[1]

    return cached(call, g, lambda: pull_back(lin, [_zeros_for(a) for a in args], g))[j]


def _cjvp_batch(vals, dims, *, call):
    size = batch_size(vals, dims)
    n = len(vals)

    def rule(ps, ts):
        both = vmap_flat(lambda *pt: _concat(call.rule(list(pt[:n]), list(pt[n:]))),
                         list(dims) * 2, size)(*ps, *ts)
        k = len(both) // 2
        return both[:k], both[k:]

    new = UserCall(call.name, call.box, fun=vmap_flat(call.fun, dims, size), rule=rule)
    return custom_jvp_p(*vals, call=new)


def _concat(pair):
    return list(pair[0]) + list(pair[1])


jvp_rules[custom_jvp_p] = _cjvp_jvp
defvjp_argnum(custom_jvp_p, _cjvp_vjp, keep=True)
batch_rules[custom_jvp_p] = _cjvp_batch


_in_rule = threading.local()


def _cjvp_sparsity(*args, call):
    # the rule run with each input as its own tangent: an output depends on what its value
    # or its tangent reads (a straight-through rule's tangent reads x though round(x) does
    # not). A custom function called inside a rule (the rule's own primal) runs as it is.
    outs = call.fun(*args)
    if getattr(_in_rule, "on", False):
        return outs
    _in_rule.on = True
    try:
        _, touts = call.rule(list(args), [a if _is_float(a) else _zeros_for(a) for a in args])
    finally:
        _in_rule.on = False
    return [o if t is None else o + 0 * t for o, t in zip(outs, touts)]


defsparsity(custom_jvp_p, Inline(_cjvp_sparsity))


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
                raise CustomRuleError(f"defjvps of '{fun_name(self.fun)}' got {len(per_arg)} "
                                      f"functions for {len(primals)} differentiable arguments")
            out = self.fun(*_merge(self.nondiff_argnums, static, primals))
            tan = None
            for f, t in zip(per_arg, tangents):
                if f is None:
                    continue
                c = f(t, out, *primals)
                tan = c if tan is None else _tree.map(lambda u, v: u + v, tan, c)
            if tan is None:
                tan = _tree.map(_zeros_for, out)
            return out, tan

        self.jvp = rule

    def __call__(self, *args, **kwargs):
        name = fun_name(self.fun)
        if self.jvp is None:
            raise CustomRuleError(f"custom_jvp function '{name}' has no JVP rule; define one "
                                  f"with @{name}.defjvp (or {name}.defjvps) before calling it")
        sp = StaticSplit(self.fun, self.nondiff_argnums, args, kwargs, "custom_jvp")
        if not sp.traced:
            return self.fun(*sp.args)
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
            return po, [_fit(t, p) for t, p in zip(to, po)]

        call = UserCall(name, box, fun=fun_flat, rule=rule_flat)
        outs = custom_jvp_p(*sp.leaves, call=call)
        return _tree.unflatten(box["out_tree"], outs)


def _merge(nd, static, dyn):
    """Positional arguments from the static ones (at indices nd) and the others, in order."""
    out, s, d = [], iter(static), iter(dyn)
    for i in range(len(nd) + len(dyn)):
        out.append(next(s) if i in nd else next(d))
    return out
