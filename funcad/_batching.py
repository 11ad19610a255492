"""vmap's interpreter: batch tracers and batching rules.

A :class:`BatchTracer` holds a value whose axis 0 is the batch axis; operands
that are not tracers of this trace are unbatched. A batching rule
``rule(vals, dims, **params)`` receives the operands and, for each, ``0`` if it
is batched or ``None`` if not, and returns the result batched along axis 0.
Primitives without a rule of their own fall back to a loop over the batch
(correct, slower; ``fallback_used`` lists them so they show up).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ._core import Primitive, Trace, Tracer, conversion_site, new_trace, ops
from ._rules import RuleView
from ._arrays import as_array
from ._util import _SCALAR_TYPES, dtype_of, shape_of
from .errors import BatchingError

__all__ = ["BatchTrace", "BatchTracer", "batch_rules", "defbatch", "batch_elementwise",
           "batch_reduction", "fallback_used", "batch_size", "unbatch", "vmap_flat"]

batch_rules = RuleView("batch")     # a view of prim.rules.batch, for code that wants a table
fallback_used: set = set()


class BatchTracer(Tracer):
    __slots__ = ("val",)

    def __init__(self, trace, val):
        self._trace = trace
        self.val = val

    @property
    def shape(self) -> tuple:
        v = self.val
        return v.shape[1:] if type(v) is np.ndarray else tuple(shape_of(v)[1:])

    @property
    def dtype(self):
        v = self.val
        return v.dtype if type(v) is np.ndarray else dtype_of(v)

    def _become(self, other):
        self.val = other.val

    def _under(self):
        return self.val

    def _concrete(self):
        raise BatchingError(
            "Python control flow (if/while/bool/int) on a value batched by vmap: each example "
            "may take a different branch. Use funcad.numpy.where(cond, a, b) instead, or move "
            "the branch outside vmap.")

    # int(), float(), an index, .item(): a per-example value cannot become one Python number
    def __int__(self):
        try:
            self._concrete()
        except BatchingError as e:
            at, math_fix = conversion_site()
            raise BatchingError(f"{e}{at}" + (f" {math_fix}" if math_fix else "")) from None

    __float__ = __complex__ = __index__ = item = tolist = __int__

    def __repr__(self):
        return f"BatchTracer(level={self._trace.level}, val={self.val!r})"


class BatchTrace(Trace):
    __slots__ = ("size",)
    kind = "vmap"

    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def pure(self, x):
        return BatchTracer(self, ops.broadcast_to(x, (self.size,) + tuple(shape_of(x))))

    def process(self, prim, args, params):
        rules = prim.rules
        if rules.elementwise:
            out = _elementwise_fast(self, prim, args, params)
            if out is not None:
                return BatchTracer(self, out)
        vals, dims = self.split(args)
        rule = rules.batch
        if rule is None:
            out = _loop(prim, self.size, vals, dims, params)
        else:
            out = rule(vals, dims, **params)
        if prim.multiple_results:
            return [BatchTracer(self, o) for o in out]
        return BatchTracer(self, out)

    def split(self, args):
        """The operands' values, and for each ``0`` (batched by this trace) or ``None``."""
        vals = []
        dims = []
        for a in args:
            if type(a) is BatchTracer and a._trace is self:
                vals.append(a.val)
                dims.append(0)
            else:
                vals.append(a)
                dims.append(None)
        return vals, dims


_PLAIN = (np.ndarray, float, int)   # operands NumPy takes directly (no lower tracer)


def _elementwise_fast(trace, prim, args, params):
    """The common cases of an elementwise primitive, without the general machinery.

    One batched operand, or two operands where the batched one has the result's full
    rank: NumPy's broadcasting already lines the batch axis up. Returns ``None`` for
    anything else (the batching rule handles it).
    """
    n = len(args)
    if n == 1:
        a = args[0]
        v = a.val
        return prim.impl(v, **params) if type(v) is np.ndarray else prim(v, **params)
    if n != 2:
        return None
    a, b = args
    if type(a) is BatchTracer and a._trace is trace:
        va = a.val
        if type(b) is BatchTracer and b._trace is trace:
            vb = b.val
            ok = _rank(va) == _rank(vb)
        else:
            vb = b
            ok = _rank(vb) < _rank(va)
    else:
        va, vb = a, b.val
        ok = _rank(va) < _rank(vb)
    if not ok:
        return None
    if type(va) in _PLAIN and type(vb) in _PLAIN:
        return prim.impl(va, vb, **params)
    return prim(va, vb, **params)


def _loop(prim, size, vals, dims, params):
    """The fallback batching rule: apply the primitive per example and stack."""
    fallback_used.add(prim.name)
    outs = [prim(*[v[i] if d is not None else v for v, d in zip(vals, dims)], **params)
            for i in range(size)]
    if prim.multiple_results:
        return [ops.stack([o[k] for o in outs]) for k in range(len(outs[0]))]
    return ops.stack(outs)


def defbatch(prim: Primitive, rule: Callable) -> None:
    """Register ``rule(vals, dims, **params) -> out batched along axis 0``."""
    prim.rules.batch = rule
    prim.rules.elementwise = False     # the fast path must not bypass a rule of its own


def bdim_to_front(v, d, size=None):
    """Make an operand batched along axis 0 (broadcasting it when unbatched)."""
    if d is not None:
        return v
    shp = shape_of(v)
    return ops.broadcast_to(v, (size,) + tuple(shp))


def batch_size(vals, dims) -> int:
    for v, d in zip(vals, dims):
        if d is not None:
            return shape_of(v)[0]
    raise BatchingError("no batched operand")


def _rank(v) -> int:
    # Python scalars (x * 2.0) are common operands: answered without a failed .shape lookup
    t = type(v)
    if t is np.ndarray:
        return v.ndim
    return 0 if t in _SCALAR_TYPES else len(shape_of(v))


def batch_elementwise(prim: Primitive) -> None:
    """Batching for broadcasting elementwise primitives: align ranks, then apply."""

    def rule(vals, dims, **params):
        # (BatchTrace.process answers one operand, or two where the batched one has the full
        # rank, by _elementwise_fast before it gets here)
        nd = -1      # the per-example rank of the result
        lo = 1 << 30  # the smallest per-example rank of a batched operand
        for v, d in zip(vals, dims):
            k = len(shape_of(v))
            if d is not None:
                k -= 1
                if k < lo:
                    lo = k
            if k > nd:
                nd = k
        if lo == nd:
            return prim(*vals, **params)   # batched operands already have the full rank
        aligned = []
        for v, d in zip(vals, dims):
            if d is not None:
                shp = shape_of(v)
                k = nd - (len(shp) - 1)
                if k:    # an ndarray or a Tracer: both have .reshape (a view for ndarray)
                    v = v.reshape((shp[0],) + (1,) * k + tuple(shp[1:]))
            aligned.append(v)
        return prim(*aligned, **params)

    prim.rules.batch = rule
    prim.rules.elementwise = not prim.multiple_results     # the fast path returns one array


def shift_axis(axis, ndim: int):
    """Per-example axis argument -> the same axis in the batched array."""
    if axis is None:
        return tuple(range(1, ndim + 1))
    if isinstance(axis, (tuple, list)):
        return tuple(a % ndim + 1 for a in axis)
    return axis % ndim + 1


def batch_reduction(prim: Primitive, axis_param: str = "axis") -> None:
    """Batching for single-operand reductions with an ``axis`` parameter."""

    def rule(vals, dims, **params):
        x = vals[0]
        nd = len(shape_of(x)) - 1
        params[axis_param] = shift_axis(params.get(axis_param), nd)
        return prim(x, *vals[1:], **params)

    prim.rules.batch = rule


# ---------------------------------------------------------------------------
# vmap_flat: the batching core of the transforms (vmap, jacfwd, jacrev, custom rules)
# ---------------------------------------------------------------------------

def unbatch(x, trace, size: int):
    """An output of a batched function as a plain value batched along axis 0: an output
    that does not vary along the batch (not traced by ``trace``) is broadcast."""
    if type(x) is BatchTracer and x._trace is trace:
        return x.val
    if x is None:
        return None
    x = x if isinstance(x, Tracer) else as_array(x)
    return ops.broadcast_to(x, (size,) + tuple(shape_of(x)))


def vmap_flat(f: Callable, dims, size: int) -> Callable:
    """``f(*leaves) -> list`` vectorized: operands batched along axis 0 where dims[i] == 0."""

    def batched(*vals):
        with new_trace(BatchTrace, size) as t:
            ins = [v if d is None else BatchTracer(t, v) for v, d in zip(vals, dims)]
            outs = f(*ins)
        return [unbatch(o, t, size) for o in outs]

    return batched
