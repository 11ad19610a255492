"""Collapsed Taylor mode for second-order operators: ``laplacian`` and ``taylor_sum``.

Along a direction v the normalised second coefficient of ``y = f(x + t v)`` is
``y2 = J x2 + Q(x1)``: linear in the incoming second coefficient and quadratic in the
first. A weighted sum over directions ``S = sum_r w_r y2_r`` therefore propagates as one
array, ``S_out = J S_in + sum_r w_r Q(x1_r)``, next to the per-direction first
coefficients ``x1_r`` (Dangel, Siebert, Zeinhofer and Walther, "Collapsing Taylor mode
automatic differentiation", 2025; folx's forward Laplacian). A linear primitive (matmul
by a constant, reshape, sum, indexing) has no quadratic part: it costs one batched
application to the first coefficients and one application to S, instead of one per
direction. The per-direction parts run under ``vmap`` with the primitives' own JVP and
Taylor rules, so every primitive with those rules is supported.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ._batching import vmap_flat
from ._core import Primitive, PrimalTracer, Trace, Tracer, new_trace, ops
from ._taylor import taylor_fallback
from ._arrays import as_type_of, zeros
from ._util import dtype_of, shape_of
from .errors import NoRuleError

__all__ = ["collapsed_second_order"]


class CollapsedTracer(PrimalTracer):
    __slots__ = ("t1", "s2")   # t1: (R, *shape) per direction (None: zero); s2: sum

    def __init__(self, trace, primal, t1, s2):
        self._trace = trace
        self.primal = primal
        self.t1 = t1
        self.s2 = s2

    def _become(self, other):
        self.primal, self.t1, self.s2 = other.primal, other.t1, other.s2


class CollapsedTrace(Trace):
    __slots__ = ("size", "weights")
    kind = "collapsed-taylor"

    def __init__(self, size: int, weights):
        super().__init__()
        self.size = size
        self.weights = weights      # (R,) or None (all ones)

    def pure(self, x):
        return CollapsedTracer(self, x, None, None)

    def process(self, prim: Primitive, args, params):
        primals, t1s, s2s = [], [], []
        lower = carried = False
        for a in args:
            if type(a) is CollapsedTracer and a._trace is self:
                primals.append(a.primal)
                t1s.append(a.t1)
                s2s.append(a.s2)
                carried = carried or a.t1 is not None or a.s2 is not None
            else:
                primals.append(a)
                t1s.append(None)
                s2s.append(None)
            lower = lower or isinstance(primals[-1], Tracer)
        ans = (prim if lower else prim.impl)(*primals, **params)
        if prim.nondiff or not carried:
            return ans
        rule = prim.rules.jvp
        if rule is None:
            raise NoRuleError(f"'{prim.name}' has no forward-mode (JVP) rule: laplacian and "
                              "taylor_sum cannot push a Taylor series through it")
        if prim.multiple_results:
            return _several_outputs(self, prim, primals, t1s, s2s, ans, params, rule)
        R = self.size
        linear = _linear_in_carriers(prim, t1s)
        elementwise = prim.rules.elementwise
        s2 = rule(primals, s2s, ans, **params) if any(s is not None for s in s2s) else None
        q = None
        carriers = [i for i, t in enumerate(t1s) if t is not None]
        if elementwise and prim.rules.taylor is not None and len(carriers) <= 2:
            y1, q = _elementwise_quadratic(prim, primals, t1s, carriers, ans, params,
                                           linear, self.weights)
        elif elementwise:
            # the generic rule wants one shape throughout: everything broadcast to (R, *out)
            big_shape = (R, *shape_of(ans))
            ts = _aligned(t1s, shape_of(ans))
            big = ops.broadcast_to(ans, big_shape)
            y1 = rule(primals, ts, big, **params)
            if not linear:
                q = _taylor2(prim, [_bcast(p, big_shape) for p in primals], ts, big, params)
        elif linear and prim.rules.batch is not None:
            y1 = _linear_batched(prim, primals, t1s, params)
        else:
            y1 = _batched(lambda ts: rule(primals, ts, ans, **params), t1s, R)
            if not linear:
                q = _batched(lambda ts: _taylor2(prim, primals, ts, ans, params), t1s, R)
        # S_out = J S_in (one unbatched JVP) + sum_r w_r Q(x1_r)
        if q is not None and not (elementwise and prim.rules.taylor is not None
                                  and len(carriers) <= 2):
            w = self.weights
            q = q.sum(axis=0) if w is None else (w.reshape((-1,) + (1,) * (q.ndim - 1))
                                                 * q).sum(axis=0)
            s2 = q if s2 is None else s2 + q
        elif q is not None:      # already summed over the directions
            s2 = q if s2 is None else s2 + q
        if y1 is None and s2 is None:
            return ans
        return CollapsedTracer(self, ans, y1, s2)


def _elementwise_quadratic(prim, primals, t1s, carriers, ans, params, linear, weights):
    """An elementwise primitive with its own recurrence: ``y1_r`` from the order-1 rule on
    all directions at once, and ``sum_r w_r Q(x1_r)`` without one product per direction:
    Q is an elementwise quadratic form in the (at most two) operands' first coefficients,
    so it is its value at unit coefficients times the sums of squares and cross products."""
    rule = prim.rules.taylor
    ts = _aligned(t1s, shape_of(ans))
    (y1,) = rule(primals, [None if t is None else [t] for t in ts], ans, **params)
    if linear:
        return y1, None

    def q_at(units):     # Q with unit first coefficients on the operands in ``units``
        ser = [[as_type_of(np.ones(shape_of(p), _float(p)), p), None] if i in units else None
               for i, p in enumerate(primals)]
        return rule(primals, ser, ans, **params)[1]

    def wsum(v):          # sum_r w_r v_r over the directions
        if weights is None:
            return v.sum(axis=0)
        return (weights.reshape((-1,) + (1,) * (v.ndim - 1)) * v).sum(axis=0)

    a = carriers[0]
    q = _times(q_at({a}), wsum(ts[a] * ts[a]))
    if len(carriers) == 2:
        b = carriers[1]
        qb = q_at({b})
        qab = q_at({a, b})
        cross = _minus(_minus(qab, q_at({a})), qb)      # the coefficient of x1_a x1_b
        q = _plus(_plus(q, _times(qb, wsum(ts[b] * ts[b]))),
                  _times(cross, wsum(ts[a] * ts[b])))
    return y1, q


def _float(p):
    dt = dtype_of(p)
    return dt if dt.kind in "fc" else np.float64


def _times(c, v):
    return None if c is None else c * v


def _plus(a, b):
    return b if a is None else (a if b is None else a + b)


def _minus(a, b):
    return a if b is None else (-b if a is None else a - b)


def _several_outputs(trace, prim, primals, t1s, s2s, ans, params, rule):
    """A primitive with several outputs (eigh, svd, qr ...): per direction, by vmap."""
    R, n = trace.size, len(ans)
    y1 = _batched(lambda ts: _listed(rule(primals, ts, ans, **params), n), t1s, R, n)
    s2 = (_listed(rule(primals, s2s, ans, **params), n)
          if any(s is not None for s in s2s) else [None] * n)
    q = _batched(lambda ts: _listed(_taylor2(prim, primals, ts, ans, params), n), t1s, R, n)
    w = trace.weights
    outs = []
    for a, t, s, qi in zip(ans, y1, s2, q):
        if qi is not None:
            qi = qi.sum(axis=0) if w is None else (
                w.reshape((-1,) + (1,) * (qi.ndim - 1)) * qi).sum(axis=0)
            s = qi if s is None else s + qi
        outs.append(a if t is None and s is None else CollapsedTracer(trace, a, t, s))
    return outs


def _listed(v, n):
    return [None] * n if v is None else list(v)


def _linear_in_carriers(prim, t1s) -> bool:
    lin = prim.rules.linear
    if lin is None:
        return False
    carriers = [i for i, t in enumerate(t1s) if t is not None]
    if lin.operands is not None and not all(i in lin.operands for i in carriers):
        return False
    return lin.joint or len(carriers) <= 1


def _bcast(p, shape):
    """``p`` broadcast to ``shape`` (a Python number stays one)."""
    if type(p) in (int, float, complex):
        return p
    return ops.broadcast_to(p, shape)


def _aligned(ts, out_shape):
    """First coefficients (R, *operand shape) reshaped to broadcast against (R, *out)."""
    nd = len(out_shape)
    out = []
    for t in ts:
        if t is not None:
            shp = shape_of(t)
            k = nd - (len(shp) - 1)
            if k > 0:
                t = t.reshape((shp[0],) + (1,) * k + tuple(shp[1:]))
        out.append(t)
    return out


def _linear_batched(prim, primals, t1s, params):
    """A primitive linear in the operands that carry coefficients, applied to all
    directions at once by its batching rule (one matmul for x @ W, not R)."""
    lin = prim.rules.linear
    vals, dims = [], []
    for i, (p, t) in enumerate(zip(primals, t1s)):
        if t is not None:
            vals.append(t)
            dims.append(0)
        elif lin.joint and (lin.operands is None or i in lin.operands):   # a zero coefficient
            vals.append(zeros(shape_of(p), dtype_of(p), like=p))
            dims.append(None)
        else:
            vals.append(p)
            dims.append(None)
    return prim.rules.batch(vals, dims, **params)


def _taylor2(prim, primals, ts, ans, params):
    """The quadratic part Q(x1) of the second coefficient (x2 = 0), for one direction."""
    series = [None if t is None else [t, None] for t in ts]
    rule = prim.rules.taylor
    out = (rule(primals, series, ans, **params) if rule is not None
           else taylor_fallback(prim, primals, series, ans, params))
    if out is None:
        return None
    if prim.multiple_results:
        return [None if o is None else o[1] for o in out]
    return out[1]


def _batched(fn: Callable, ts: list, size: int, n_out: int = 0):
    """``fn(ts)`` for each direction: the entries of ``ts`` batched on axis 0 (None: zero).
    ``n_out``: ``fn`` returns a list of that many outputs (entries may be None)."""
    pos = [i for i, t in enumerate(ts) if t is not None]
    if not pos:
        return [None] * n_out if n_out else None
    zero = []

    def one(*vals):
        full = [None] * len(ts)
        for i, v in zip(pos, vals):
            full[i] = v
        out = fn(full)
        outs = out if n_out else [out]
        zero[:] = [o is None for o in outs]
        return [0.0 if o is None else o for o in outs]

    res = vmap_flat(one, [0] * len(pos), size)(*[ts[i] for i in pos])
    res = [None if z else r for r, z in zip(res, zero)]
    return res if n_out else res[0]


def collapsed_second_order(fun_flat: Callable, x, directions, weights=None):
    """``sum_r w_r D^2 f(x)[v_r, v_r]`` for the one-input ``fun_flat([x]) -> [y]`` and the
    directions ``v_r`` stacked on axis 0, in one collapsed pass. Returns ``(f(x), sum)``."""
    R = shape_of(directions)[0]
    with new_trace(CollapsedTrace, R, weights) as trace:
        xin = CollapsedTracer(trace, x, directions, None)
        (y,) = fun_flat([xin])
    if isinstance(y, Tracer) and y._trace is trace:
        s2 = y.s2
        val = y.primal
        out = zeros(shape_of(val), dtype_of(val), like=val) if s2 is None else 2.0 * s2
        return val, out
    return y, zeros(shape_of(y), dtype_of(y), like=y)
