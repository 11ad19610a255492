"""Helpers shared by custom_jvp, custom_vjp (``_custom.py``) and checkpoint (``_checkpoint.py``).

Running a user function on plain values behind a barrier, pulling cotangents back through it
by a fresh reverse pass, vectorizing it, caching one backward computation, and the two objects
that carry a call through the primitives: :class:`_Split` (static vs traced arguments) and
:class:`_Call` (the flat callables, a primitive parameter).
"""

from __future__ import annotations

import inspect
import threading
from typing import Callable

import numpy as np

from . import tree as _tree
from ._batching import BatchTrace, BatchTracer
from ._core import Trace, Tracer, new_trace
from ._util import dtype_of, shape_of, short_repr
from .api import _unbatch, vjp_flat
from .errors import CustomRuleError, EscapedTracerError, FuncadError


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
            t = o._trace
            raise CustomRuleError(
                f"{what} '{name}' closes over a value traced by an enclosing transform "
                f"({t.kind}@{t.level}): a global or a variable of the function it is defined "
                f"in. funcad runs '{name}' on plain values and applies your rule, so it cannot "
                "follow a derivative through that closure. Pass the value as an argument of "
                f"'{name}' instead (non-array arguments go in nondiff_argnums).")
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
