"""Cumulative and difference functions: cumsum, cumprod, diff, gradient, trapezoid, unwrap.

cumsum is a linear primitive (its transpose is a reversed cumsum). cumprod is
a log-depth Hillis-Steele scan of multiplies: exact when the input has zeros
(no division by x), and it differentiates and batches through multiply.
"""

from __future__ import annotations

import numpy as np

from ..extend import as_type_of, deflazy
from ..extend import defbatch, defsparsity, sparsity_rules
from . import _reductions
from ._base import (Primitive, def_linear_jvp, defvjp, dtype_of, export, implements, is_traced,
                    nan_filled, shape_of)
from ._dtypes import astype
from ._elementwise import (absolute_p, less_p, logical_and_p, multiply_p, remainder_p,
                           stop_gradient_p, subtract_p, where)
from ._shape import broadcast_to, concatenate, reshape

# ---------------------------------------------------------------------------
# cumsum
# ---------------------------------------------------------------------------

cumsum_p = Primitive("cumsum", lambda x, *, axis, reverse:
                     np.flip(np.cumsum(np.flip(x, axis), axis), axis) if reverse
                     else np.cumsum(x, axis))
deflazy(cumsum_p)
def_linear_jvp(cumsum_p)
defsparsity(cumsum_p, sparsity_rules.cumsum)
defvjp(cumsum_p, lambda g, _ans, x, *, axis, reverse: cumsum_p(g, axis=axis, reverse=not reverse),
       keep=False)
defbatch(cumsum_p, lambda vals, dims, *, axis, reverse: cumsum_p(vals[0], axis=axis + 1,
                                                                 reverse=reverse))


def _flat_axis(a, axis):
    if axis is None:
        return reshape(a, (-1,)), 0
    return a, axis % max(len(shape_of(a)), 1)


@implements(np.cumsum)
def cumsum(a, axis=None, dtype=None, out=None):
    """Differentiable ``np.cumsum``.

    Example:
        >>> import funcad as fad, funcad.numpy as fnp
        >>> fad.grad(lambda x: fnp.cumsum(x).sum())(fnp.ones(3))
        array([3., 2., 1.])
    """
    if dtype is not None:
        a = astype(a, dtype)
    if not is_traced(a):
        return np.cumsum(a, axis=axis)
    a, axis = _flat_axis(a, axis)
    return cumsum_p(a, axis=axis, reverse=False)


def _shift_in(y, k, axis, fill):
    """y shifted by k along axis, the first k entries set to ``fill``."""
    shp = list(shape_of(y))
    n = shp[axis]
    shp[axis] = k
    head = as_type_of(np.full(tuple(shp), fill, dtype_of(y)), y)
    idx = (slice(None),) * axis + (slice(0, n - k),)
    return concatenate([head, y[idx]], axis=axis)


@implements(np.cumprod)
def cumprod(a, axis=None, dtype=None, out=None):
    """Differentiable ``np.cumprod``, exact with zeros in the input (a scan of multiplies).

    Example:
        >>> import funcad as fad, funcad.numpy as fnp
        >>> fad.grad(lambda x: fnp.cumprod(x)[-1])(fnp.array([2.0, 0.0, 3.0]))
        array([0., 6., 0.])
    """
    if dtype is not None:
        a = astype(a, dtype)
    if not is_traced(a):
        return np.cumprod(a, axis=axis)
    a, axis = _flat_axis(a, axis)
    n = shape_of(a)[axis] if shape_of(a) else 1
    if not shape_of(a):
        return a
    k = 1
    while k < n:
        a = multiply_p(a, _shift_in(a, k, axis, 1))
        k *= 2
    return a


nancumsum = nan_filled(cumsum, 0.0, np.nancumsum,
                       ("fnp.nancumsum(fnp.array([1.0, fnp.nan, 2.0]))", "array([1., 1., 3.])"))
nancumprod = nan_filled(cumprod, 1.0, np.nancumprod,
                        ("fnp.nancumprod(fnp.array([2.0, fnp.nan, 3.0]))", "array([2., 2., 6.])"))


def _cumulative(name, fn, np_fn):
    def wrapper(x, /, *, axis=None, dtype=None, out=None, include_initial=False):
        if not is_traced(x):
            return np_fn(x, axis=axis, dtype=dtype, include_initial=include_initial)
        if axis is None:
            if len(shape_of(x)) > 1:
                raise ValueError(f"{name}: axis is required for arrays with more than one "
                                 f"dimension (got shape {shape_of(x)})")
            axis = 0
        r = fn(x, axis=axis, dtype=dtype)
        if include_initial:
            shp = list(shape_of(r))
            shp[axis % len(shp)] = 1
            head = np.full(shp, 0 if name == "cumulative_sum" else 1, dtype_of(r))
            r = concatenate([as_type_of(head, r), r], axis=axis)
        return r
    wrapper.__name__ = name
    wrapper.__doc__ = (f"Differentiable ``np.{name}``.\n\n    Example:\n        >>> import "
                       f"funcad.numpy as fnp\n        >>> fnp.{name}(fnp.array([1.0, 2.0]), "
                       "include_initial=True).shape\n        (3,)\n    ")
    return export(wrapper, name, np_fn)


cumulative_sum = _cumulative("cumulative_sum", cumsum, np.cumulative_sum)
cumulative_prod = _cumulative("cumulative_prod", cumprod, np.cumulative_prod)


# ---------------------------------------------------------------------------
# differences
# ---------------------------------------------------------------------------

def _sl(nd, axis, s):
    return (slice(None),) * axis + (s,) + (slice(None),) * (nd - axis - 1)


@implements(np.diff)
def diff(a, n=1, axis=-1, prepend=np._NoValue, append=np._NoValue):
    """Differentiable ``np.diff``.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.diff(fnp.array([1.0, 4.0, 9.0]))
        array([3., 5.])
    """
    kw = {} if prepend is np._NoValue else {"prepend": prepend}
    if append is not np._NoValue:
        kw["append"] = append
    if not is_traced(a, prepend, append):
        return np.diff(a, n, axis, **kw)
    nd = len(shape_of(a))
    axis = axis % nd
    parts = []
    for v in (prepend, a, append):
        if v is np._NoValue:
            continue
        if len(shape_of(v)) == 0:
            shp = list(shape_of(a))
            shp[axis] = 1
            v = broadcast_to(v, tuple(shp))
        parts.append(v)
    a = concatenate(parts, axis=axis) if len(parts) > 1 else a
    for _ in range(n):
        a = subtract_p(a[_sl(nd, axis, slice(1, None))], a[_sl(nd, axis, slice(None, -1))])
    return a


@implements(np.ediff1d)
def ediff1d(ary, to_end=None, to_begin=None):
    """Differentiable ``np.ediff1d``.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.ediff1d(fnp.array([1.0, 4.0]), to_begin=0.0)
        array([0., 3.])
    """
    if not is_traced(ary, to_end, to_begin):
        return np.ediff1d(ary, to_end, to_begin)
    d = diff(reshape(ary, (-1,)))
    parts = [reshape(v, (-1,)) for v in (to_begin,) if v is not None] + [d] + \
            [reshape(v, (-1,)) for v in (to_end,) if v is not None]
    return concatenate(parts) if len(parts) > 1 else d


@implements(np.gradient)
def gradient(f, *varargs, axis=None, edge_order=1):
    """Differentiable ``np.gradient`` (uniform spacings; ``edge_order`` 1 or 2).

    Second-order central differences inside, one-sided differences of order
    ``edge_order`` at the edges, as NumPy. Non-uniform coordinate arrays raise
    NotImplementedError.

    Args:
      f: the samples; varargs: scalar spacings (one, or one per axis).
      axis: the axes (default all); edge_order: 1 or 2.

    Returns:
      The gradient: one array for one axis; for several, the container the installed NumPy
      returns (a tuple on NumPy 2, a list before).

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.gradient(fnp.array([1.0, 4.0, 9.0]))
        array([3., 4., 5.])
    """
    if not is_traced(f, *varargs):
        return np.gradient(f, *varargs, axis=axis, edge_order=edge_order)
    nd = len(shape_of(f))
    axes = list(range(nd)) if axis is None else [
        a % nd for a in (axis if isinstance(axis, (tuple, list)) else (axis,))]
    hs = list(varargs) if varargs else [1.0]
    if len(hs) == 1:
        hs = hs * len(axes)
    if len(hs) != len(axes):
        raise TypeError(f"gradient: {len(hs)} spacings for {len(axes)} axes")
    for h in hs:
        if len(shape_of(h)) != 0:
            raise NotImplementedError("gradient: coordinate arrays (non-uniform spacing) are "
                                      "not supported on traced values; pass scalar spacings")
    outs = []
    for ax, h in zip(axes, hs):
        n = shape_of(f)[ax]
        if n < edge_order + 1:
            raise ValueError(f"gradient: axis {ax} has {n} points; need at least "
                             f"{edge_order + 1} for edge_order={edge_order}")

        def s(i, j=None, ax=ax):
            return f[_sl(nd, ax, slice(i, j))]
        mid = (s(2) - s(None, -2)) / (2.0 * h)
        if edge_order == 1:
            first = (s(1, 2) - s(0, 1)) / h
            last = (s(-1) - s(-2, -1)) / h
        else:
            first = (-1.5 * s(0, 1) + 2.0 * s(1, 2) - 0.5 * s(2, 3)) / h
            last = (0.5 * s(-3, -2) - 2.0 * s(-2, -1) + 1.5 * s(-1)) / h
        outs.append(concatenate([first, mid, last], axis=ax))
    return outs[0] if len(outs) == 1 else _GRADIENT_SEQ(outs)


_GRADIENT_SEQ = type(np.gradient(np.zeros((2, 2))))    # tuple on NumPy 2, list on NumPy 1


@implements(np.trapezoid)
def trapezoid(y, x=None, dx=1.0, axis=-1):
    """Differentiable ``np.trapezoid`` in ``y``, ``x`` and ``dx``.

    Example:
        >>> import funcad.numpy as fnp
        >>> float(fnp.trapezoid(fnp.array([1.0, 2.0, 3.0])))
        4.0
    """
    if not is_traced(y, x, dx):
        return np.trapezoid(y, x, dx, axis)
    nd = len(shape_of(y))
    axis = axis % nd
    if x is None:
        d = dx
    else:
        d = diff(x, axis=-1 if len(shape_of(x)) == 1 else axis)
        if len(shape_of(x)) == 1 and nd > 1:
            shp = [1] * nd
            shp[axis] = -1
            d = reshape(d, shp)
    avg = (y[_sl(nd, axis, slice(1, None))] + y[_sl(nd, axis, slice(None, -1))]) * 0.5
    return _reductions.sum(multiply_p(d, avg), axis=axis)


@implements(np.unwrap)
def unwrap(p, discont=None, axis=-1, *, period=2 * np.pi):
    """Differentiable ``np.unwrap``: the added multiples of ``period`` are constants, so the
    derivative is 1.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.unwrap(fnp.array([0.0, 6.0])).round(3)
        array([ 0.   , -0.283])
    """
    if not is_traced(p):
        return np.unwrap(p, discont, axis, period=period)
    nd = len(shape_of(p))
    axis = axis % nd
    discont = period / 2 if discont is None else max(discont, period / 2)
    v = stop_gradient_p(p)
    dd = diff(v, axis=axis)
    half = period / 2
    ddmod = remainder_p(dd + half, period) - half
    ddmod = where(logical_and_p(ddmod == -half, dd > 0), half, ddmod)
    corr = where(less_p(absolute_p(dd), discont), 0.0, ddmod - dd)
    shp = list(shape_of(p))
    shp[axis] = 1
    corr = concatenate([as_type_of(np.zeros(shp, dtype_of(corr)), corr), cumsum(corr, axis=axis)],
                       axis=axis)
    return p + stop_gradient_p(corr)


export(cumsum, "cumsum")
