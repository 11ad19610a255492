"""Statistics and value cleaning: nan-reductions, average, cov, corrcoef, clip, interp.

All composites of primitives, so every transform covers them.
"""

from __future__ import annotations

import builtins

import numpy as np

from ..extend import Tracer, as_array, as_type_of, canonical_axis, full_lower, to_numpy
from ._base import (as_type_of_any, dtype_of, export, implements, is_traced, nan_filled,
                    shape_of)
from ._creation import linspace
from ._cumulative import diff
from ._dtypes import astype
from ._elementwise import (absolute_p, add_p, divide_p, equal_p, greater_p, isfinite_p, isnan_p,
                           less_equal_p, less_p, logical_and_p, logical_not_p, logical_or_p,
                           maximum_p, minimum_p, multiply_p, not_equal_p, remainder_p, sqrt_p,
                           stop_gradient_p, subtract_p, where)
from ._indexing import at, getitem
from ._products import matmul
from ._rearranging import diagonal
from ._reductions import argmax, argmin, max, mean, min, prod, sqrt_of_var, sum
from ._shape import atleast_2d, broadcast_to, concatenate, reshape, transpose
from ._sorting import argsort, searchsorted

# ---------------------------------------------------------------------------
# nan-reductions: NaNs replaced by the operation's identity
# ---------------------------------------------------------------------------


def _count(a, axis, keepdims):
    """How many non-NaN entries, in ``a``'s real float dtype (an integer count would make a
    float32 mean float64)."""
    n = sum(logical_not_p(isnan_p(a)), axis=axis, keepdims=keepdims)
    dt = dtype_of(a)
    return astype(n, np.finfo(dt).dtype) if dt.kind in "fc" else n


nansum = nan_filled(sum, 0.0, np.nansum, ("float(fnp.nansum(fnp.array([1.0, fnp.nan, 2.0])))",
                                         "3.0"))
nanprod = nan_filled(prod, 1.0, np.nanprod,
                     ("float(fnp.nanprod(fnp.array([2.0, fnp.nan, 3.0])))", "6.0"))


@implements(np.nanmean)
def nanmean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=None):
    """Differentiable ``np.nanmean`` (NaN where a slice is all NaN).

    Example:
        >>> import funcad.numpy as fnp
        >>> float(fnp.nanmean(fnp.array([1.0, fnp.nan, 2.0])))
        1.5
    """
    if not is_traced(a):
        return np.nanmean(a, axis=axis, dtype=dtype, keepdims=keepdims)
    n = _count(a, axis, keepdims)
    return divide_p(nansum(a, axis=axis, dtype=dtype, keepdims=keepdims), n)


@implements(np.nanvar)
def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None,
           mean=None, correction=None):
    """Differentiable ``np.nanvar``.

    Example:
        >>> import funcad.numpy as fnp
        >>> float(fnp.nanvar(fnp.array([1.0, fnp.nan, 3.0])))
        1.0
    """
    if correction is not None:
        ddof = correction
    if not is_traced(a):
        return np.nanvar(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)
    m = nanmean(a, axis=axis, dtype=dtype, keepdims=True)
    d = _where(isnan_p(a), 0.0, subtract_p(a, m))
    n = _count(a, axis, keepdims)
    return divide_p(sum(multiply_p(d, d), axis=axis, keepdims=keepdims), n - ddof)


@implements(np.nanstd)
def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None,
           mean=None, correction=None):
    """Differentiable ``np.nanstd``.

    Example:
        >>> import funcad.numpy as fnp
        >>> float(fnp.nanstd(fnp.array([1.0, fnp.nan, 3.0])))
        1.0
    """
    if correction is not None:
        ddof = correction
    if not is_traced(a):
        return np.nanstd(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)
    v = nanvar(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)
    # a slice with a single non-NaN value has nanstd 0 for every input: derivative 0
    return sqrt_of_var(v, equal_p(_count(a, axis, keepdims), 1) if ddof < 1 else False)


def _nan_extreme(name, red, fill, np_fn):
    def fn(a, axis=None, out=None, keepdims=False, initial=None, where=None):
        if not is_traced(a):
            return np_fn(a, axis=axis, keepdims=keepdims)
        r = red(_where(isnan_p(a), fill, a), axis=axis, keepdims=keepdims)
        allnan = logical_not_p(sum(logical_not_p(isnan_p(a)), axis=axis, keepdims=keepdims) > 0)
        return _where(allnan, np.nan, r)
    fn.__name__ = name
    fn.__doc__ = (f"Differentiable ``np.{name}`` (NaNs ignored; ties share the derivative)."
                  f"\n\n    Example:\n        >>> import funcad.numpy as fnp\n        >>> "
                  f"float(fnp.{name}(fnp.array([1.0, fnp.nan, 2.0])))\n        "
                  f"{2.0 if name == 'nanmax' else 1.0}\n    ")
    return export(fn, name, np_fn)


nanmax = _nan_extreme("nanmax", max, -np.inf, np.nanmax)
nanmin = _nan_extreme("nanmin", min, np.inf, np.nanmin)


@implements(np.nanargmax)
def nanargmax(a, axis=None, out=None, *, keepdims=False):
    """``np.nanargmax`` on traced values (zero derivative).

    Example:
        >>> import funcad.numpy as fnp
        >>> int(fnp.nanargmax(fnp.array([1.0, fnp.nan, 2.0])))
        2
    """
    if not is_traced(a):
        return np.nanargmax(a, axis=axis, keepdims=keepdims)
    return argmax(_where(isnan_p(a), -np.inf, a), axis=axis, keepdims=keepdims)


@implements(np.nanargmin)
def nanargmin(a, axis=None, out=None, *, keepdims=False):
    """``np.nanargmin`` on traced values (zero derivative).

    Example:
        >>> import funcad.numpy as fnp
        >>> int(fnp.nanargmin(fnp.array([1.0, fnp.nan, 2.0])))
        0
    """
    if not is_traced(a):
        return np.nanargmin(a, axis=axis, keepdims=keepdims)
    return argmin(_where(isnan_p(a), np.inf, a), axis=axis, keepdims=keepdims)


_where = where   # the parameter ``where=`` shadows the function inside the reductions

@implements(np.count_nonzero)
def count_nonzero(a, axis=None, *, keepdims=False):
    """``np.count_nonzero`` on traced values (zero derivative; works under vmap).

    Example:
        >>> import funcad.numpy as fnp
        >>> int(fnp.count_nonzero(fnp.array([0.0, 2.0, 3.0])))
        2
    """
    if not is_traced(a):
        return np.count_nonzero(a, axis=axis, keepdims=keepdims)
    return sum(not_equal_p(a, 0), axis=axis, keepdims=keepdims)


@implements(np.isclose)
def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """``np.isclose`` on traced values (boolean result; works under vmap).

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.isclose(fnp.array([1.0, 2.0]), 1.0)
        array([ True, False])
    """
    if not is_traced(a, b):
        return np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)
    with np.errstate(invalid="ignore"):     # inf - inf; the result is decided by a == b
        close = less_equal_p(absolute_p(subtract_p(a, b)), atol + rtol * absolute_p(b))
        out = logical_or_p(logical_and_p(close, isfinite_p(b)), equal_p(a, b))
        if equal_nan:
            out = logical_or_p(out, logical_and_p(isnan_p(a), isnan_p(b)))
    return out


# ---------------------------------------------------------------------------
# average, cov, corrcoef
# ---------------------------------------------------------------------------


@implements(np.average)
def average(a, axis=None, weights=None, returned=False, *, keepdims=False):
    """Differentiable ``np.average``, in the data and in the weights.

    Example:
        >>> import funcad as fad, funcad.numpy as fnp
        >>> fad.grad(lambda w: fnp.average(fnp.array([1.0, 3.0]), weights=w))(
        ...     fnp.array([1.0, 1.0]))
        array([-0.5,  0.5])
    """
    if not is_traced(a, weights):
        return np.average(a, axis=axis, weights=weights, returned=returned, keepdims=keepdims)
    if weights is None:
        avg = mean(a, axis=axis, keepdims=keepdims)
        n = np.prod([shape_of(a)[i] for i in canonical_axis(axis, len(shape_of(a)))])
        scl = broadcast_to(np.asarray(float(n), dtype_of(avg)), shape_of(avg))
    else:
        nd = len(shape_of(a))
        w = weights
        if shape_of(w) != shape_of(a):
            if axis is None:
                raise TypeError("average: axis must be given when the weights' shape "
                                f"{shape_of(w)} differs from a's {shape_of(a)}")
            ax = canonical_axis(axis, nd)
            if len(shape_of(w)) != len(ax):
                raise ValueError(f"average: weights of shape {shape_of(w)} do not match the "
                                 f"axes {ax}")
            w = reshape(w, tuple(shape_of(a)[i] if i in ax else 1 for i in range(nd)))
        scl = sum(broadcast_to(w, np.broadcast_shapes(shape_of(w), shape_of(a))), axis=axis,
                  keepdims=keepdims)
        avg = divide_p(sum(multiply_p(a, w), axis=axis, keepdims=keepdims), scl)
    return (avg, scl) if returned else avg


@implements(np.cov)
def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None, *,
        dtype=None):
    """Differentiable ``np.cov`` (in the data and the weights).

    Example:
        >>> import funcad.numpy as fnp
        >>> float(fnp.cov(fnp.array([1.0, 2.0, 3.0])))
        1.0
    """
    if not is_traced(m, y, fweights, aweights):
        return np.cov(m, y, rowvar, bias, ddof, fweights, aweights, dtype=dtype)
    # NumPy computes in result_type(m, y, float64) (float32 data gives a float64 covariance)
    work = np.dtype(dtype) if dtype is not None else np.result_type(
        dtype_of(m), *(() if y is None else (dtype_of(y),)), np.float64)
    x = astype(atleast_2d(m), work)
    if not rowvar and shape_of(x)[0] != 1:
        x = transpose(x)
    if y is not None:
        yy = astype(atleast_2d(y), work)
        if not rowvar and shape_of(yy)[0] != 1:
            yy = transpose(yy)
        x = concatenate([x, yy], axis=0)
    ddof = (0 if bias else 1) if ddof is None else ddof
    w = None
    if fweights is not None:
        w = fweights
    if aweights is not None:
        w = aweights if w is None else multiply_p(w, aweights)
    n = shape_of(x)[1]
    if w is None:
        avg = mean(x, axis=1, keepdims=True)
        fact = float(n - ddof)
    else:
        wsum = sum(w)
        avg = divide_p(sum(multiply_p(x, w), axis=1, keepdims=True), wsum)
        if ddof == 0:
            fact = wsum
        elif aweights is None:
            fact = wsum - ddof
        else:
            fact = wsum - ddof * sum(multiply_p(w, aweights)) / wsum
    xc = subtract_p(x, avg)
    xw = xc if w is None else multiply_p(xc, w)
    c = divide_p(matmul(xw, transpose(xc)), fact)
    return reshape(c, ()) if shape_of(c) == (1, 1) else c


@implements(np.corrcoef)
def corrcoef(x, y=None, rowvar=True, *, dtype=None):
    """Differentiable ``np.corrcoef``.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.corrcoef(fnp.array([[1.0, 2.0, 3.0], [2.0, 4.0, 7.0]])).shape
        (2, 2)
    """
    if not is_traced(x, y):
        return np.corrcoef(x, y, rowvar, dtype=dtype)
    c = cov(x, y, rowvar, dtype=dtype)
    if len(shape_of(c)) == 0:
        return divide_p(c, c)
    d = sqrt_p(diagonal(c))
    c = divide_p(divide_p(c, reshape(d, (-1, 1))), reshape(d, (1, -1)))
    return minimum_p(maximum_p(c, -1.0), 1.0)


# ---------------------------------------------------------------------------
# interp
# ---------------------------------------------------------------------------


@implements(np.interp)
def interp(x, xp, fp, left=None, right=None, period=None):
    """Differentiable ``np.interp`` in ``x``, ``fp``, ``left`` and ``right``.

    ``xp`` (the knots) gets a zero derivative. At a knot the derivative in
    ``x`` is the slope of the segment to its right (to its left at the last
    knot); outside ``[xp[0], xp[-1]]`` the value is ``left``/``right``, whose
    derivative in ``x`` is 0.

    Args:
      x: where to evaluate; xp: increasing knots; fp: values at the knots.

    Returns:
      The piecewise-linear interpolant at ``x``.

    Example:
        >>> import funcad as fad, funcad.numpy as fnp
        >>> float(fad.grad(fnp.interp)(1.5, fnp.array([1.0, 2.0]), fnp.array([0.0, 4.0])))
        4.0
    """
    if not is_traced(x, xp, fp, left, right):
        return np.interp(x, xp, fp, left, right, period)
    if isinstance(xp, Tracer):
        xp = stop_gradient_p(xp)
    else:                        # float64 knots, of the values' array type (CuPy stays)
        xp = as_array(xp)
        xp = as_type_of_any(xp if xp.dtype == np.float64 else xp.astype(np.float64), x, fp)
    if not isinstance(fp, Tracer):
        fp = as_type_of_any(as_array(fp), x, xp)
    if len(shape_of(xp)) != 1 or shape_of(xp) != shape_of(fp)[-1:]:
        raise ValueError(f"interp: xp and fp must be 1-d of the same length, got shapes "
                         f"{shape_of(xp)} and {shape_of(fp)}")
    if period is not None:
        x = remainder_p(x, period)
        xp = remainder_p(xp, period)
        order = argsort(xp)
        xp, fp = getitem(xp, order), getitem(fp, order)
        xp = concatenate([xp[-1:] - period, xp, xp[:1] + period])
        fp = concatenate([fp[-1:], fp, fp[:1]])
        left = right = None
    n = shape_of(xp)[0]
    if n == 1:
        y = broadcast_to(fp[0], shape_of(x))
    else:
        i = minimum_p(maximum_p(searchsorted(xp, x, side="right"), 1), n - 1)
        x0, x1 = getitem(xp, i - 1), getitem(xp, i)
        y0, y1 = getitem(fp, i - 1), getitem(fp, i)
        t = divide_p(subtract_p(x, x0), subtract_p(x1, x0))
        y = add_p(y0, multiply_p(t, subtract_p(y1, y0)))
    lv = fp[0] if left is None else as_type_of_any(left, x, fp)
    rv = fp[-1] if right is None else as_type_of_any(right, x, fp)
    y = _where(less_p(x, xp[0]), lv, y)
    y = _where(greater_p(x, xp[-1]), rv, y)
    return broadcast_to(y, shape_of(x)) if shape_of(y) != shape_of(x) else y


# ---------------------------------------------------------------------------
# histograms and bincount: which bin is decided on values; the bin edges (from the data's
# min and max), the weights and the density normalisation stay differentiable
# ---------------------------------------------------------------------------


def _edges(a_flat, v, bins, rng):
    """Traced (or constant) bin edges of one dimension, NumPy's edges for binning."""
    if not isinstance(bins, (int, np.integer, str)):
        e = bins if isinstance(bins, Tracer) else _float_values(bins)
        return e, _float_values(_lower(bins))
    num_edges = np.histogram_bin_edges(v, bins, rng)
    if rng is not None or v.size == 0:
        return num_edges, num_edges           # constant edges, in NumPy's dtype
    n = len(num_edges) - 1
    lo, hi = min(a_flat), max(a_flat)
    if float(v.min()) == float(v.max()):
        lo, hi = lo - 0.5, hi + 0.5
    return linspace(lo, hi, n + 1), num_edges


def _float_values(x):
    """``x`` as a NumPy array of its own float dtype (float64 for integers), as NumPy bins:
    host values (a CuPy array copied) for deciding the bins."""
    x = to_numpy(x)
    return x if x.dtype.kind == "f" else x.astype(np.float64)


def _lower(x):
    return full_lower(x)


def _bin_index(v, e):
    """Bin of each value like np.histogram: [e_i, e_i+1), the last bin closed; -1 outside."""
    i = np.searchsorted(e, v, side="right") - 1
    i = np.where(v == e[-1], len(e) - 2, i)
    return np.where((v < e[0]) | (v > e[-1]), -1, i)


def _histdd(cols, bins, rng, density, weights):
    d = len(cols)
    bins = [bins] * d if isinstance(bins, (int, np.integer, str)) else list(bins)
    rng = [None] * d if rng is None else list(rng)
    vals = [_float_values(_lower(c)) for c in cols]
    edges, idx = [], []
    for c, v, b, r in zip(cols, vals, bins, rng):
        e, ne = _edges(c, v, b, r)
        edges.append(as_type_of_any(e, *cols, weights))    # constant edges: CuPy data's type
        idx.append(_bin_index(v, ne))
    nb = tuple(shape_of(e)[0] - 1 for e in edges)
    inside = np.all([i_ >= 0 for i_ in idx], axis=0)
    flat = np.ravel_multi_index([i_[inside] for i_ in idx], nb) if d else np.zeros(0, int)
    size = int(np.prod(nb, dtype=np.int64))
    if weights is None:
        h = np.bincount(flat, minlength=size).astype(np.int64 if not density else float)
        h = as_type_of_any(h, *cols)
    else:
        w = reshape(weights, (-1,))
        dt = dtype_of(w) if dtype_of(w).kind in "fc" else np.dtype(np.float64)  # NumPy's
        h = at(as_type_of(np.zeros(size, dt), w))[flat].add(
            getitem(w, np.flatnonzero(inside)))
    h = reshape(h, nb)
    if density:
        h = divide_p(h, sum(h))
        for k, e in enumerate(edges):
            shp = [1] * d
            shp[k] = -1
            h = divide_p(h, reshape(diff(e), shp))
    return h, edges


@implements(np.histogram)
def histogram(a, bins=10, range=None, density=None, weights=None):
    """``np.histogram`` on traced values: the counts are computed on values; the bin edges
    (from the data's min and max), the weights and the density are differentiable.

    Example:
        >>> import funcad as fad, funcad.numpy as fnp
        >>> fad.grad(lambda x: fnp.histogram(x, 2)[1][-1])(fnp.array([0.0, 1.0, 3.0]))
        array([0., 0., 1.])
    """
    if not is_traced(a, weights, bins):
        return np.histogram(a, bins, range, density, weights)
    h, edges = _histdd([reshape(a, (-1,))], [bins], None if range is None else [range],
                       density, weights)
    return h, edges[0]


@implements(np.histogram_bin_edges)
def histogram_bin_edges(a, bins=10, range=None, weights=None):
    """``np.histogram_bin_edges``, differentiable through the data's min and max.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.histogram_bin_edges(fnp.array([0.0, 2.0]), 2)
        array([0., 1., 2.])
    """
    if not is_traced(a, bins):
        return np.histogram_bin_edges(a, bins, range, weights)
    if weights is not None:
        raise NotImplementedError("histogram_bin_edges: weights= is not supported on traced "
                                  "values")
    flat = reshape(a, (-1,))
    return as_type_of(_edges(flat, _float_values(_lower(flat)), bins, range)[0], a)


@implements(np.histogramdd)
def histogramdd(sample, bins=10, range=None, density=None, weights=None):
    """``np.histogramdd`` on traced values (as :func:`histogram`, per dimension).

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.histogramdd(fnp.array([[0.0, 0.0], [1.0, 1.0]]), 2)[0]
        array([[1., 0.],
               [0., 1.]])
    """
    cols_in = list(sample) if isinstance(sample, (list, tuple)) else [sample]
    if not is_traced(*cols_in, weights, bins):
        return np.histogramdd(sample, bins, range, density, weights)
    if isinstance(sample, (list, tuple)):
        cols = [reshape(c, (-1,)) for c in sample]
    else:
        s = sample if len(shape_of(sample)) == 2 else reshape(sample, (-1, 1))
        cols = [s[:, k] for k in builtins.range(shape_of(s)[1])]
    h, edges = _histdd(cols, bins, range, density, weights)
    return astype(h, np.result_type(dtype_of(h), float)), edges


@implements(np.histogram2d)
def histogram2d(x, y, bins=10, range=None, density=None, weights=None):
    """``np.histogram2d`` on traced values (as :func:`histogram`, per dimension).

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.histogram2d(fnp.array([0.0, 1.0]), fnp.array([0.0, 1.0]), 2)[0]
        array([[1., 0.],
               [0., 1.]])
    """
    if not is_traced(x, y, weights, bins):
        return np.histogram2d(x, y, bins, range, density, weights)
    h, edges = histogramdd([x, y], bins, range, density, weights)
    return h, edges[0], edges[1]


@implements(np.bincount)
def bincount(x, weights=None, minlength=0):
    """``np.bincount``: differentiable in ``weights`` (``x`` holds integers).

    Example:
        >>> import funcad as fad, funcad.numpy as fnp
        >>> fad.grad(lambda w: fnp.bincount([0, 0, 1], w)[0])(fnp.ones(3))
        array([1., 1., 0.])
    """
    xv = to_numpy(_lower(x))              # the bins: host values (a CuPy array copied)
    if weights is None or not is_traced(weights):
        return as_type_of(np.bincount(xv, weights, minlength), x)
    n = max(int(xv.max()) + 1 if xv.size else 0, minlength)
    zeros = as_type_of(np.zeros(n, np.result_type(dtype_of(weights), float)), weights)
    return at(zeros)[xv].add(reshape(weights, (-1,)))


@implements(np.ix_)
def ix_(*args):
    """``np.ix_`` (boolean masks become indices; float inputs stay differentiable).

    Example:
        >>> import funcad.numpy as fnp
        >>> [a.shape for a in fnp.ix_(fnp.array([0, 1]), fnp.array([2, 0, 1]))]
        [(2, 1), (1, 3)]
    """
    if not is_traced(*args):
        return np.ix_(*args)
    n = len(args)
    out = []
    for k, a in enumerate(args):
        if dtype_of(a) == np.bool_:
            a = np.flatnonzero(np.asarray(_lower(a)))
        shp = [1] * n
        shp[k] = -1
        out.append(reshape(a, tuple(shp)))
    return tuple(out)

