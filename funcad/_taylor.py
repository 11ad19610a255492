"""Taylor mode: truncated Taylor polynomials pushed through a program in one forward pass.

A :class:`TaylorTracer` carries a value ``x(t) = c0 + c1 t + ... + cK t^K`` at one level:
``primal`` is ``c0`` and ``terms`` the normalised coefficients ``[c1, ..., cK]`` (``None``:
zero). Processing a primitive evaluates it on the primals and computes the output's
coefficients with the primitive's Taylor rule (``prim.rules.taylor``,
``rule(primals, series, ans, **params) -> terms``, ``series[i]`` the operand's list of
K coefficients or ``None``). Rules are written in funcad ops, so ``grad`` of a Taylor
coefficient works (a PINN loss differentiates a Laplacian with respect to the weights).

Primitives without a Taylor rule still work, by three generic rules in this order:

* a primitive linear in the operands that carry series (``rules.linear``, joint) applies
  itself to each coefficient (reshape, sum, getitem, add ...);
* a multilinear one (``joint=False``: multiply, matmul, einsum) sums the Leibniz products;
* any other primitive with a JVP rule: ``y' = J(x) x'`` evaluated as a series of one order
  less, one coefficient at a time (exact; its cost grows with K like nested ``jvp``, so
  the common elementwise functions have their own O(K^2) recurrences).
"""

from __future__ import annotations

import math
import weakref
from typing import Callable

import numpy as np

from ._args import split_outputs
from ._core import Primitive, PrimalTracer, Trace, Tracer, new_trace, ops
from ._arrays import zeros
from ._util import dtype_of, shape_of
from .errors import NoRuleError

__all__ = ["TaylorTrace", "TaylorTracer", "deftaylor", "taylor_fallback", "jet_flat",
           "zeros_like_value"]


class TaylorTracer(PrimalTracer):
    __slots__ = ("terms",)

    def __init__(self, trace, primal, terms):
        self._trace = trace
        self.primal = primal
        self.terms = terms

    def _become(self, other):
        self.primal = other.primal
        self.terms = other.terms

    def __repr__(self):
        return f"TaylorTracer(level={self._trace.level}, order={len(self.terms)}, " \
               f"primal={self.primal!r})"


class TaylorTrace(Trace):
    __slots__ = ("order",)
    kind = "jet"

    def __init__(self, order: int):
        super().__init__()
        self.order = order

    def pure(self, x):
        return TaylorTracer(self, x, [None] * self.order)

    def process(self, prim: Primitive, args, params):
        primals, series = [], []
        lower = carried = False
        for a in args:
            if type(a) is TaylorTracer and a._trace is self:
                p = a.primal
                s = a.terms
                if any(c is not None for c in s):
                    carried = True
                else:
                    s = None
            else:
                p, s = a, None
            primals.append(p)
            series.append(s)
            if not lower and isinstance(p, Tracer):
                lower = True
        ans = (prim if lower else prim.impl)(*primals, **params)
        if prim.nondiff or not carried:
            return ans
        rule = prim.rules.taylor or _generic_rule(prim)
        out = rule(primals, series, ans, **params)
        if prim.multiple_results:
            return [a if t is None else TaylorTracer(self, a, t) for a, t in zip(ans, out)]
        return ans if out is None else TaylorTracer(self, ans, out)


def deftaylor(prim: Primitive, rule: Callable) -> None:
    """Register a Taylor rule ``rule(primals, series, ans, **params)``.

    ``series[i]`` is operand i's list of K normalised coefficients (entries may be
    ``None`` for zero) or ``None`` when it carries none; the rule returns the output's
    list of K coefficients (``ans`` is the output's value, coefficient 0).
    """
    prim.rules.taylor = rule


def taylor_fallback(prim: Primitive, primals, series, ans, params: dict):
    """The generic rule (linear, multilinear, or from the JVP rule) for a case a specific
    Taylor rule does not cover (``x ** p`` with a zero base or a traced exponent)."""
    return _generic_rule(prim)(primals, series, ans, **params)


def zeros_like_value(p):
    """A zero coefficient of ``p``'s shape and dtype."""
    return zeros(shape_of(p), dtype_of(p), like=p)


def _coef(primal, s, j):
    """Coefficient j (0: the primal) of an operand with series ``s`` (None: constant)."""
    if j == 0:
        return primal
    return None if s is None else s[j - 1]


def _linear_ok(prim, series) -> bool:
    ops = prim.rules.linear.operands
    return ops is None or all(s is None or i in ops for i, s in enumerate(series))


def _make_generic(prim: Primitive):
    """The generic rule for ``prim``, bound to it (rules receive only values and params)."""
    lin = prim.rules.linear

    def linear(primals, series, ans, **params):
        if not _linear_ok(prim, series):
            return by_jvp(primals, series, ans, **params)
        K = len(next(s for s in series if s is not None))
        out = []
        lin_ops = lin.operands
        for k in range(K):
            cs = [None if s is None else s[k] for s in series]
            if all(c is None for c in cs):
                out.append(None)
                continue
            args = [c if c is not None else
                    (zeros_like_value(p) if lin_ops is None or i in lin_ops else p)
                    for i, (p, c) in enumerate(zip(primals, cs))]
            out.append(prim(*args, **params))
        return out

    def multilinear(primals, series, ans, **params):
        if not _linear_ok(prim, series):
            return by_jvp(primals, series, ans, **params)
        carriers = [i for i, s in enumerate(series) if s is not None]
        K = len(series[carriers[0]])
        out = []
        for k in range(1, K + 1):
            acc = None
            for split in _compositions(k, len(carriers)):
                args = list(primals)
                for i, j in zip(carriers, split):
                    args[i] = _coef(primals[i], series[i], j)
                if any(a is None for a in args):
                    continue
                term = prim(*args, **params)
                acc = term if acc is None else acc + term
            out.append(acc)
        return out

    def by_jvp(primals, series, ans, **params):
        return _by_jvp(prim, primals, series, ans, params)

    if lin is None:
        return by_jvp
    return linear if lin.joint else multilinear


_generic_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _generic_rule(prim: Primitive):
    rule = _generic_cache.get(prim)
    if rule is None:
        if prim.rules.linear is None and prim.rules.jvp is None:
            raise NoRuleError(
                f"'{prim.name}' has no Taylor rule and no forward-mode (JVP) rule to derive "
                "one from: jet, derivatives, taylor and laplacian cannot differentiate "
                "through it")
        rule = _generic_cache[prim] = _make_generic(prim)
    return rule


def _compositions(k: int, n: int):
    """All n-tuples of non-negative integers summing to k."""
    if n == 1:
        yield (k,)
        return
    for j in range(k + 1):
        for rest in _compositions(k - j, n - 1):
            yield (j, *rest)


def _by_jvp(prim: Primitive, primals, series, ans, params):
    """Coefficients of y(t) = prim(x(t)) from y'(t) = J(x(t)) x'(t), one order at a time:
    y_k = [t^(k-1)] y'(t) / k, with x(t) and y(t) truncated where they are known."""
    rule = prim.rules.jvp
    if rule is None:
        raise NoRuleError(f"'{prim.name}' has no forward-mode (JVP) rule, so jet cannot "
                          "push a Taylor series through it")
    K = len(next(s for s in series if s is not None))
    multi = prim.multiple_results
    if prim.rules.elementwise and not multi:
        primals, ans = _common_shape(primals, series, ans)
    ys = [[] for _ in ans] if multi else []
    for k in range(1, K + 1):
        m = k - 1     # the coefficient of y'(t) needed for y_k
        if m == 0:
            tangents = [None if s is None else _nz(s[0], p) for p, s in zip(primals, series)]
            d = rule(primals, tangents, ans, **params)
            dm = d
        else:
            with new_trace(TaylorTrace, m) as inner:
                xs, ts = [], []
                for p, s in zip(primals, series):
                    if s is None:
                        xs.append(p)
                        ts.append(None)
                        continue
                    xs.append(TaylorTracer(inner, p, list(s[:m])))
                    # x'(t): coefficients (j + 1) c_(j+1), j = 0..m
                    dx = [None if s[j] is None else (j + 1) * s[j] for j in range(m + 1)]
                    ts.append(TaylorTracer(inner, _nz(dx[0], p), dx[1:]))
                if multi:
                    a_in = [TaylorTracer(inner, a, list(y)) for a, y in zip(ans, ys)]
                else:
                    a_in = TaylorTracer(inner, ans, list(ys))
                d = rule(xs, ts, a_in, **params)
                dm = ([_top(v, inner, m) for v in d] if multi else _top(d, inner, m))
        if multi:
            for y, v in zip(ys, dm):
                y.append(None if v is None else v / k)
        else:
            ys.append(None if dm is None else dm / k)
    return ys


def _common_shape(primals, series, ans):
    """For an elementwise primitive whose coefficients carry extra leading axes (one per
    direction, collapsed Taylor mode): the primals and output broadcast to their shape, so
    that the JVP rule sees one shape throughout."""
    shapes = [shape_of(ans)] + [shape_of(c) for s in series if s is not None
                                for c in s if c is not None]
    full = np.broadcast_shapes(*shapes)
    if full == shape_of(ans):
        return primals, ans
    bc = [p if type(p) in (int, float, complex) else ops.broadcast_to(p, full)
          for p in primals]
    return bc, ops.broadcast_to(ans, full)


def _nz(c, p):
    return zeros_like_value(p) if c is None else c


def _top(v, trace, m):
    """Coefficient m of a value computed inside the inner Taylor trace."""
    if v is None:
        return None
    if isinstance(v, TaylorTracer) and v._trace is trace:
        return v.primal if m == 0 else v.terms[m - 1]
    return v if m == 0 else None      # a constant: no higher coefficients


# ---------------------------------------------------------------------------
# jet_flat: the core of jet, derivatives, taylor and laplacian
# ---------------------------------------------------------------------------

def jet_flat(fun_flat: Callable, primals: list, series: list, order: int):
    """Push normalised Taylor coefficients through ``fun_flat(list) -> list``.

    ``series[i]``: operand i's K coefficients (entries None for zero). Returns
    ``(outs, out_series)``; an output that does not depend on the inputs has ``None``.
    """
    with new_trace(TaylorTrace, order) as trace:
        ins = [TaylorTracer(trace, p, list(s)) for p, s in zip(primals, series)]
        outs = fun_flat(ins)
    return split_outputs(outs, trace, "terms", None)


def factorial(k: int) -> float:
    return float(math.factorial(k))
