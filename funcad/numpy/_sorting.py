"""Sorting and order statistics: sort, partition, median, percentile, quantile, unique.

The order is computed on values (argsort, argpartition, searchsorted are
zero-derivative primitives with batching rules), and the values are gathered
through it with take_along_axis, so the derivative of a sorted element is the
derivative of the element that landed there. Ties are broken by argsort's
(stable) order: each tied element's derivative goes to one output slot.
"""

from __future__ import annotations

import numpy as np

from ..errors import BatchingError
from ..extend import as_array, as_type_of, is_foreign, to_numpy
from ..extend import Tracer, defbatch, full_lower, shift_axis
from . import _reductions
from ._base import Primitive, dtype_of, export, implements, is_complex, is_traced, shape_of
from ._dtypes import astype
from ._elementwise import (add_p, ceil_p, equal_p, floor_p, isnan_p, logical_not_p, maximum_p,
                           minimum_p, multiply_p, rint_p, subtract_p, where)
from ._indexing import getitem
from ._selecting import take, take_along_axis
from ._shape import broadcast_to, concatenate, moveaxis, reshape, stack

# ---------------------------------------------------------------------------
# argsort / argpartition / searchsorted: integer results, batched
# ---------------------------------------------------------------------------

argsort_p = Primitive("argsort", lambda x, *, axis, kind: np.argsort(x, axis=axis, kind=kind),
                      nondiff=True)
defbatch(argsort_p, lambda vals, dims, *, axis, kind:
         argsort_p(vals[0], axis=shift_axis(axis, len(shape_of(vals[0])) - 1), kind=kind))

argpartition_p = Primitive("argpartition", lambda x, *, kth, axis:
                           np.argpartition(x, kth, axis=axis), nondiff=True)
defbatch(argpartition_p, lambda vals, dims, *, kth, axis:
         argpartition_p(vals[0], kth=kth, axis=shift_axis(axis, len(shape_of(vals[0])) - 1)))

searchsorted_p = Primitive("searchsorted", lambda a, v, *, side:
                           np.searchsorted(a, v, side=side), nondiff=True)


def _searchsorted_batch(vals, dims, *, side):
    a, v = vals
    if dims[0] is None:
        return searchsorted_p(a, v, side=side)
    return stack([searchsorted_p(a[i], v[i] if dims[1] is not None else v, side=side)
                  for i in range(shape_of(a)[0])])


defbatch(searchsorted_p, _searchsorted_batch)


@implements(np.argsort)
def argsort(a, axis=-1, kind=None, order=None, *, stable=None):
    """``np.argsort`` on traced values (zero derivative; works under vmap).

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.argsort(fnp.array([3.0, 1.0, 2.0]))
        array([1, 2, 0])
    """
    kind = "stable" if stable else kind
    if not is_traced(a):
        return np.argsort(a, axis=axis, kind=kind)
    if axis is None:
        a, axis = reshape(a, (-1,)), 0
    return argsort_p(a, axis=axis % len(shape_of(a)), kind=kind or "stable")


@implements(np.argpartition)
def argpartition(a, kth, axis=-1, kind="introselect", order=None):
    """``np.argpartition`` on traced values (zero derivative; works under vmap).

    Example:
        >>> import funcad.numpy as fnp
        >>> int(fnp.argpartition(fnp.array([3.0, 1.0, 2.0]), 0)[0])
        1
    """
    if not is_traced(a):
        return np.argpartition(a, kth, axis=axis)
    if axis is None:
        a, axis = reshape(a, (-1,)), 0
    kth = tuple(int(k) for k in np.atleast_1d(full_lower(kth)))
    return argpartition_p(a, kth=kth, axis=axis % len(shape_of(a)))


@implements(np.searchsorted)
def searchsorted(a, v, side="left", sorter=None):
    """``np.searchsorted`` on traced values (zero derivative; works under vmap).

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.searchsorted(fnp.array([1.0, 2.0, 3.0]), fnp.array([2.5]))
        array([2])
    """
    if sorter is not None:
        a = take(a, sorter)
    if not is_traced(a, v):
        return np.searchsorted(a, v, side=side)
    return searchsorted_p(a, v, side=side)


@implements(np.digitize)
def digitize(x, bins, right=False):
    """``np.digitize`` on traced values (zero derivative; works under vmap).

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.digitize(fnp.array([0.5, 1.5]), fnp.array([0.0, 1.0, 2.0]))
        array([1, 2])
    """
    if not is_traced(x, bins):
        return np.digitize(x, bins, right)
    try:
        b = to_numpy(full_lower(bins))
    except BatchingError as e:
        raise BatchingError("digitize: bins batched by vmap are not supported (whether they "
                            "increase or decrease is decided on values); pass unbatched bins "
                            "or use fnp.searchsorted") from e
    side = "left" if right else "right"
    if b.size > 1 and b[0] > b[-1]:           # decreasing bins
        return b.size - searchsorted(bins[::-1], x, side=side)
    return searchsorted(bins, x, side=side)


# ---------------------------------------------------------------------------
# sort / partition
# ---------------------------------------------------------------------------

@implements(np.sort)
def sort(a, axis=-1, kind=None, order=None, *, stable=None):
    """Differentiable ``np.sort``: values gathered through the sorting permutation.

    Example:
        >>> import funcad as fad, funcad.numpy as fnp
        >>> fad.grad(lambda x: fnp.sort(x)[0])(fnp.array([3.0, 1.0, 2.0]))
        array([0., 1., 0.])
    """
    if not is_traced(a):
        return np.sort(a, axis=axis, kind=kind)
    if axis is None:
        a, axis = reshape(a, (-1,)), 0
    return take_along_axis(a, argsort(a, axis=axis, kind=kind or "stable"), axis=axis)


@implements(np.partition)
def partition(a, kth, axis=-1, kind="introselect", order=None):
    """Differentiable ``np.partition``.

    Example:
        >>> import funcad.numpy as fnp
        >>> float(fnp.partition(fnp.array([3.0, 1.0, 2.0]), 1)[1])
        2.0
    """
    if not is_traced(a):
        return np.partition(a, kth, axis=axis)
    if axis is None:
        a, axis = reshape(a, (-1,)), 0
    return take_along_axis(a, argpartition(a, kth, axis=axis), axis=axis)


@implements(np.sort_complex)
def sort_complex(a):
    """``np.sort_complex``: sort by real part, then imaginary part (differentiable).

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.sort_complex(fnp.array([2.0, 1.0]))
        array([1.+0.j, 2.+0.j])
    """
    if not is_traced(a):
        return np.sort_complex(a)
    v = to_numpy(full_lower(a))
    out = take(a, np.lexsort((v.imag, v.real)))
    return out if is_complex(out) else astype(out, complex)


# ---------------------------------------------------------------------------
# quantiles: sort, then interpolate between the two neighbouring order statistics
# ---------------------------------------------------------------------------

_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(a, q, axis, keepdims, method, nan, name):
    """q in [0, 1] (possibly traced: the interpolation weight is differentiable in q)."""
    if method not in _METHODS:
        raise NotImplementedError(f"{name}: method={method!r} is not supported on traced "
                                  f"values; use one of {_METHODS}")
    shp = shape_of(a)
    nd = len(shp)
    axes = tuple(range(nd)) if axis is None else tuple(
        x % nd for x in (axis if isinstance(axis, (tuple, list)) else (axis,)))
    rest = [i for i in range(nd) if i not in axes]
    x = moveaxis(a, list(axes), list(range(len(rest), nd))) if axes else a
    n = int(np.prod([shp[i] for i in axes], dtype=np.int64))
    x = reshape(x, tuple(shp[i] for i in rest) + (n,))
    s = take_along_axis(x, argsort(x, axis=-1), axis=-1)    # NaNs sort last
    qshape = shape_of(q)
    if not isinstance(q, Tracer) and not is_foreign(q):
        q = as_type_of(q, a)         # a NumPy q meets a CuPy a as CuPy
    qf = reshape(q, (1,) * len(rest) + (-1,))
    if nan:
        nanmask = isnan_p(s)
        count = _reductions.sum(logical_not_p(nanmask), axis=-1, keepdims=True)
        s = where(nanmask, 0.0, s)
        last = maximum_p(count - 1, 0)
    else:
        last = as_type_of(np.full((1,) * len(rest) + (1,), n - 1), a)
    # the position in q's float dtype: an integer count would promote float32 to float64
    lastf = astype(last, dtype_of(qf)) if dtype_of(qf).kind in "fc" else last
    pos = multiply_p(qf, lastf)
    lo = floor_p(pos) if method in ("linear", "lower", "midpoint") else None
    if method == "higher":
        lo = ceil_p(pos)
    elif method == "nearest":
        lo = rint_p(pos)
    lo = astype(minimum_p(maximum_p(lo, 0), lastf), np.int64)
    hi = astype(minimum_p(lo + 1, last), np.int64)
    full = tuple(shape_of(s)[:-1]) + (shape_of(pos)[-1],)
    v_lo = take_along_axis(s, broadcast_to(lo, full), axis=-1)
    if method == "linear":
        v_hi = take_along_axis(s, broadcast_to(hi, full), axis=-1)
        frac = subtract_p(pos, astype(lo, dtype_of(pos)))
        out = add_p(v_lo, multiply_p(frac, subtract_p(v_hi, v_lo)))
    elif method == "midpoint":
        v_hi = take_along_axis(s, broadcast_to(hi, full), axis=-1)
        out = where(equal_p(pos, floor_p(pos)), v_lo, multiply_p(add_p(v_lo, v_hi), 0.5))
    else:
        out = v_lo
    if nan:
        out = where(equal_p(count, 0), np.nan, out)
    out = reshape(out, tuple(shp[i] for i in rest) + tuple(qshape))
    if keepdims:
        kd = tuple(1 if i in axes else shp[i] for i in range(nd))
        out = reshape(out, kd + tuple(qshape))
    # NumPy puts the q axes first
    k = len(qshape)
    if k:
        nout = len(shape_of(out))
        out = moveaxis(out, list(range(nout - k, nout)), list(range(k)))
    return out


def _q_dtype(a, q):
    """NumPy's result dtype of ``quantile(a, q)``: ``a``'s float dtype, widened by a float
    array or NumPy scalar ``q`` (a Python float is weak: float32 data stay float32)."""
    dt = np.result_type(dtype_of(a), 1.0)
    qdt = None if type(q) is float else as_array(q).dtype
    if qdt is not None and qdt.kind == "f":
        dt = np.result_type(dt, qdt)
    return dt


def _check_q(q, scale, name, a):
    if isinstance(q, Tracer):
        return q / scale
    dt = _q_dtype(a, q)
    q = (q.astype(dt) if is_foreign(q) else np.asarray(q, dtype=dt)) / scale
    host = to_numpy(q)                   # the range check reads the values (CuPy: a copy)
    if np.any((host < 0) | (host > 1)):
        raise ValueError(f"{name}: q must be in [0, {scale:g}], got {host * scale}")
    return q


def _make_quantile(name, np_fn, scale, nan):
    def fn(a, q, axis=None, out=None, overwrite_input=False, method="linear",
           keepdims=False, *, weights=None, interpolation=None):
        if not is_traced(a, q):
            return np_fn(a, q, axis=axis, method=method, keepdims=keepdims)
        if weights is not None:
            raise NotImplementedError(f"{name}: weights= is not supported on traced values")
        return _quantile(a, _check_q(q, scale, name, a), axis, keepdims,
                         interpolation or method, nan, name)
    fn.__name__ = name
    q = 50 if scale == 100 else 0.5
    fn.__doc__ = (f"Differentiable ``np.{name}`` (methods {', '.join(_METHODS)}).\n\n"
                  f"    The derivative flows to the two order statistics around the "
                  f"quantile,\n    weighted as in the linear interpolation; ``q`` may be "
                  f"traced.{' NaNs are ignored.' if nan else ''}\n\n    Args:\n      a: "
                  "the data; q: the quantile(s); axis, method, keepdims: as in NumPy.\n\n"
                  f"    Returns:\n      The quantiles, q axes first.\n\n    Example:\n"
                  f"        >>> import funcad.numpy as fnp\n        >>> float(fnp.{name}("
                  f"fnp.array([1.0, 2.0, 4.0]), {q}))\n        2.0\n    ")
    return export(fn, name, np_fn)


percentile = _make_quantile("percentile", np.percentile, 100.0, False)
quantile = _make_quantile("quantile", np.quantile, 1.0, False)
nanpercentile = _make_quantile("nanpercentile", np.nanpercentile, 100.0, True)
nanquantile = _make_quantile("nanquantile", np.nanquantile, 1.0, True)


@implements(np.median)
def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """Differentiable ``np.median`` (mean of the two middle values for even counts).

    Example:
        >>> import funcad as fad, funcad.numpy as fnp
        >>> fad.grad(fnp.median)(fnp.array([4.0, 1.0, 3.0, 2.0]))
        array([0. , 0. , 0.5, 0.5])
    """
    if not is_traced(a):
        return np.median(a, axis=axis, keepdims=keepdims)
    return _quantile(a, np.asarray(0.5, _q_dtype(a, 0.5)), axis, keepdims, "linear", False,
                     "median")


@implements(np.nanmedian)
def nanmedian(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """Differentiable ``np.nanmedian``.

    Example:
        >>> import funcad.numpy as fnp
        >>> float(fnp.nanmedian(fnp.array([1.0, fnp.nan, 3.0])))
        2.0
    """
    if not is_traced(a):
        return np.nanmedian(a, axis=axis, keepdims=keepdims)
    return _quantile(a, np.asarray(0.5, _q_dtype(a, 0.5)), axis, keepdims, "linear", True,
                     "nanmedian")


# ---------------------------------------------------------------------------
# unique and the set functions: which elements is decided on values, then gathered
# ---------------------------------------------------------------------------

def _values(x):
    return to_numpy(full_lower(x))


@implements(np.unique)
def unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None,
           *, equal_nan=True, sorted=True):
    """Differentiable ``np.unique``: each unique value carries the derivative of its first
    occurrence (the indices, inverse and counts have none).

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.unique(fnp.array([2.0, 1.0, 2.0]))
        array([1., 2.])
    """
    if not is_traced(ar):
        return np.unique(ar, return_index, return_inverse, return_counts, axis=axis,
                         equal_nan=equal_nan)
    res = np.unique(_values(ar), True, return_inverse, return_counts, axis=axis,
                    equal_nan=equal_nan)
    vals = take(ar, res[1], axis=axis)
    extra = [r for r, keep in zip(res[1:], (return_index, return_inverse, return_counts))
             if keep]
    return (vals, *extra) if extra else vals


@implements(np.unique_values)
def unique_values(x):
    """Differentiable ``np.unique_values``.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.unique_values(fnp.array([2.0, 2.0]))
        array([2.])
    """
    return unique(reshape(x, (-1,)))


def _unique_tuple(name, fields, np_fn):
    def fn(x):
        if not is_traced(x):
            return np_fn(x)
        res = np_fn(_values(x))
        first = np.unique(_values(x).ravel(), return_index=True)[1]
        vals = take(reshape(x, (-1,)), first)
        return type(res)(vals, *res[1:])
    fn.__name__ = name
    fn.__doc__ = (f"Differentiable ``np.{name}`` (values differentiable; {', '.join(fields)} "
                  f"are not).\n\n    Example:\n        >>> import funcad.numpy as fnp\n"
                  f"        >>> fnp.{name}(fnp.array([2.0, 2.0])).values\n        array([2.])\n"
                  "    ")
    return export(fn, name, np_fn)


unique_all = _unique_tuple("unique_all", ["indices", "inverse_indices", "counts"],
                           np.unique_all)
unique_counts = _unique_tuple("unique_counts", ["counts"], np.unique_counts)
unique_inverse = _unique_tuple("unique_inverse", ["inverse_indices"], np.unique_inverse)


def _concat_flat(*arrays):
    return concatenate([reshape(a, (-1,)) for a in arrays])


@implements(np.union1d)
def union1d(ar1, ar2):
    """Differentiable ``np.union1d`` (a value present in both inputs takes ``ar1``'s derivative).

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.union1d(fnp.array([1.0, 3.0]), fnp.array([2.0, 3.0]))
        array([1., 2., 3.])
    """
    if not is_traced(ar1, ar2):
        return np.union1d(ar1, ar2)
    return unique(_concat_flat(ar1, ar2))


@implements(np.intersect1d)
def intersect1d(ar1, ar2, assume_unique=False, return_indices=False):
    """``np.intersect1d``; the common values carry ``ar1``'s derivative.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.intersect1d(fnp.array([1.0, 3.0]), fnp.array([3.0, 4.0]))
        array([3.])
    """
    if not is_traced(ar1, ar2):
        return np.intersect1d(ar1, ar2, assume_unique, return_indices)
    _, i1, i2 = np.intersect1d(_values(ar1), _values(ar2), assume_unique, True)
    vals = take(reshape(ar1, (-1,)), i1)
    return (vals, i1, i2) if return_indices else vals


@implements(np.setdiff1d)
def setdiff1d(ar1, ar2, assume_unique=False):
    """Differentiable ``np.setdiff1d`` (in ``ar1``).

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.setdiff1d(fnp.array([1.0, 3.0]), fnp.array([3.0]))
        array([1.])
    """
    if not is_traced(ar1, ar2):
        return np.setdiff1d(ar1, ar2, assume_unique)
    u = unique(reshape(ar1, (-1,))) if not assume_unique else reshape(ar1, (-1,))
    keep = np.flatnonzero(~np.isin(_values(u), _values(ar2)))
    return getitem(u, keep)


@implements(np.setxor1d)
def setxor1d(ar1, ar2, assume_unique=False):
    """Differentiable ``np.setxor1d``.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.setxor1d(fnp.array([1.0, 3.0]), fnp.array([3.0, 4.0]))
        array([1., 4.])
    """
    if not is_traced(ar1, ar2):
        return np.setxor1d(ar1, ar2, assume_unique)
    u1 = unique(reshape(ar1, (-1,)))
    u2 = unique(reshape(ar2, (-1,)))
    both = _concat_flat(u1, u2)
    v = _values(both)
    keep = np.flatnonzero(np.unique(v, return_counts=True)[1][np.searchsorted(np.unique(v), v)]
                          == 1)
    return sort(getitem(both, keep))
