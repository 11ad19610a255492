"""Polynomials, convolution and the remaining products: polyval, poly*, convolve, kron, cross.

All composites: Horner's rule, shifted-slice sums and gathers, so they
differentiate in every operand and batch through their primitives.
"""

from __future__ import annotations

import numpy as np
import numpy.polynomial.polynomial as _npp

from ._base import as_type_of_any, dtype_of, implements, is_traced, shape_of
from ._complex import conj
from ._dtypes import astype
from ._elementwise import multiply_p, subtract_p
from ._indexing import getitem
from ._products import einsum, matmul
from ._shape import broadcast_arrays, concatenate, moveaxis, reshape, stack


def _as1d(p, *others):
    """``p`` as a 1-d array; a constant one of the array type of ``others`` (CuPy)."""
    return p if is_traced(p) else as_type_of_any(np.atleast_1d(np.asarray(p)), *others)


def _zeros(n, dt, like):
    """``np.zeros(n, dt)`` of ``like``'s array type (a CuPy coefficient: CuPy zeros)."""
    return as_type_of_any(np.zeros(n, dt), like)


def _pad_front(p, n):
    k = n - shape_of(p)[0]
    if k <= 0:
        return p
    return concatenate([_zeros(k, dtype_of(p), p), p])


# ---------------------------------------------------------------------------
# polynomials (coefficients highest power first, like np.poly*)
# ---------------------------------------------------------------------------

@implements(np.polyval)
def polyval(p, x):
    """Differentiable ``np.polyval`` in the coefficients and in ``x`` (Horner's rule).

    Example:
        >>> import funcad as fad, funcad.numpy as fnp
        >>> float(fad.grad(lambda x: fnp.polyval(fnp.array([1.0, 0.0, -2.0]), x))(3.0))
        6.0
    """
    if not is_traced(p, x):
        return np.polyval(p, x)
    p = _as1d(p, x)
    y = p[0] + multiply_p(x, 0.0)
    for i in range(1, shape_of(p)[0]):
        y = multiply_p(y, x) + p[i]
    return y


@implements(np.polyadd)
def polyadd(a1, a2):
    """Differentiable ``np.polyadd``.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.polyadd(fnp.array([1.0, 2.0]), fnp.array([1.0]))
        array([1., 3.])
    """
    if not is_traced(a1, a2):
        return np.polyadd(a1, a2)
    a1, a2 = _as1d(a1, a2), _as1d(a2, a1)
    n = max(shape_of(a1)[0], shape_of(a2)[0])
    return _pad_front(a1, n) + _pad_front(a2, n)


@implements(np.polysub)
def polysub(a1, a2):
    """Differentiable ``np.polysub``.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.polysub(fnp.array([1.0, 2.0]), fnp.array([1.0]))
        array([1., 1.])
    """
    if not is_traced(a1, a2):
        return np.polysub(a1, a2)
    a1, a2 = _as1d(a1, a2), _as1d(a2, a1)
    n = max(shape_of(a1)[0], shape_of(a2)[0])
    return subtract_p(_pad_front(a1, n), _pad_front(a2, n))


@implements(np.polymul)
def polymul(a1, a2):
    """Differentiable ``np.polymul`` (a full convolution).

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.polymul(fnp.array([1.0, 1.0]), fnp.array([1.0, -1.0]))
        array([ 1.,  0., -1.])
    """
    if not is_traced(a1, a2):
        return np.polymul(a1, a2)
    return convolve(_as1d(a1, a2), _as1d(a2, a1))


@implements(np.polyder)
def polyder(p, m=1):
    """Differentiable ``np.polyder``.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.polyder(fnp.array([1.0, 2.0, 3.0]))
        array([2., 2.])
    """
    if not is_traced(p):
        return np.polyder(p, m)
    p = _as1d(p)
    for _ in range(m):
        n = shape_of(p)[0] - 1
        if n <= 0:
            return p[:0]          # as NumPy: a constant's derivative has no coefficients
        p = multiply_p(p[:-1], as_type_of_any(np.arange(n, 0, -1, dtype=float), p))
    return p


@implements(np.polyint)
def polyint(p, m=1, k=None):
    """Differentiable ``np.polyint`` (integration constants ``k`` may be traced).

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.polyint(fnp.array([2.0, 2.0]))
        array([1., 2., 0.])
    """
    if not is_traced(p, k):
        return np.polyint(p, m, k)
    p = _as1d(p, k)
    ks = [0.0] * m if k is None else ([k] * m if len(shape_of(k)) == 0 else list(k))
    for i in range(m):
        n = shape_of(p)[0]
        p = concatenate([p / as_type_of_any(np.arange(n, 0, -1, dtype=float), p),
                         reshape(astype(ks[i], float) if is_traced(ks[i]) else
                                 as_type_of_any(np.asarray(ks[i], float), p), (1,))])
    return p


@implements(np.polydiv)
def polydiv(u, v):
    """Differentiable ``np.polydiv`` (long division; leading zeros are not trimmed on traced
    values).

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.polydiv(fnp.array([1.0, 0.0, -1.0]), fnp.array([1.0, -1.0]))[0]
        array([1., 1.])
    """
    if not is_traced(u, v):
        return np.polydiv(u, v)
    u, v = _as1d(u, v), _as1d(v, u)      # (before dtype_of: a list is no dtype)
    # NumPy's dtype, u + 0.0 and v + 0.0: float32 stays float32, integers become float64
    dt = np.result_type(dtype_of(u), dtype_of(v), 1.0)
    u, v = astype(u, dt), astype(v, dt)
    m, n = shape_of(u)[0] - 1, shape_of(v)[0] - 1
    scale = 1.0 / v[0]
    r = u
    q = []
    for k in range(max(m - n + 1, 0)):
        d = scale * r[k]
        q.append(d)
        r = concatenate([r[:k], r[k:k + n + 1] - d * v, r[k + n + 1:]])
    qa = stack(q) if q else _zeros(1, dt, u)
    rem = r[max(m - n + 1, 0):] if m >= n else r
    return qa, (rem if shape_of(rem)[0] else _zeros(1, dt, u))


@implements(np.poly)
def poly(seq_of_zeros):
    """Differentiable ``np.poly`` for a 1-d sequence of roots (a matrix needs eigenvalues:
    use fnp.poly(fnp.linalg.eigvals(A))).

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.poly(fnp.array([1.0, 2.0]))
        array([ 1., -3.,  2.])
    """
    if not is_traced(seq_of_zeros):
        return np.poly(seq_of_zeros)
    r = seq_of_zeros
    if len(shape_of(r)) != 1:
        raise NotImplementedError("poly: on traced values only a 1-d sequence of roots is "
                                  "supported; pass the eigenvalues of a matrix explicitly")
    one = as_type_of_any(np.ones((), dtype_of(r)), r)
    c = reshape(one, (1,))
    for i in range(shape_of(r)[0]):
        c = convolve(c, stack([one, -r[i]]))
    return c


@implements(np.vander)
def vander(x, N=None, increasing=False):
    """Differentiable ``np.vander``.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.vander(fnp.array([2.0, 3.0]), 3)
        array([[4., 2., 1.],
               [9., 3., 1.]])
    """
    if not is_traced(x):
        return np.vander(x, N, increasing)
    x = astype(x, np.promote_types(dtype_of(x), int))     # as NumPy: float32 -> float64
    n = shape_of(x)[0] if N is None else N
    cols = []
    p = None
    for k in range(n):
        p = 0 * x + 1 if k == 0 else multiply_p(p, x)
        cols.append(p)
    out = stack(cols, axis=1) if cols else reshape(x, (-1, 0))
    return out if increasing else out[:, ::-1]


# ---------------------------------------------------------------------------
# convolve / correlate: the full convolution as a Toeplitz gather times a vector
# ---------------------------------------------------------------------------

def _full_convolve(a, v):
    na, nv = shape_of(a)[0], shape_of(v)[0]
    n = na + nv - 1
    k = np.arange(n)[:, None] - np.arange(na)[None, :]     # out[k] = sum_i a[i] v[k - i]
    valid = (k >= 0) & (k < nv)
    vpad = concatenate([v, _zeros(1, dtype_of(v), v)])
    t = getitem(vpad, np.where(valid, k, nv))               # index nv is the zero
    return matmul(t, a)


def _mode_slice(full, na, nv, mode):
    lo, hi = min(na, nv), max(na, nv)
    if mode == "full":
        return full
    if mode == "same":
        s = (lo - 1) // 2
        return full[s:s + hi]
    if mode == "valid":
        return full[lo - 1:hi]
    raise ValueError(f"convolve: mode must be 'full', 'same' or 'valid', got {mode!r}")


@implements(np.convolve)
def convolve(a, v, mode="full"):
    """Differentiable ``np.convolve`` in both operands.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.convolve(fnp.array([1.0, 2.0]), fnp.array([1.0, 1.0]))
        array([1., 3., 2.])
    """
    if not is_traced(a, v):
        return np.convolve(a, v, mode)
    a, v = _as1d(a, v), _as1d(v, a)
    na, nv = shape_of(a)[0], shape_of(v)[0]
    if na == 0 or nv == 0:
        raise ValueError("convolve: inputs cannot be empty")
    dt = np.result_type(dtype_of(a), dtype_of(v))
    full = _full_convolve(astype(a, dt), astype(v, dt))
    return _mode_slice(full, na, nv, mode)


@implements(np.correlate)
def correlate(a, v, mode="valid"):
    """Differentiable ``np.correlate`` (conjugates ``v``, like NumPy).

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.correlate(fnp.array([1.0, 2.0, 3.0]), fnp.array([0.0, 1.0]))
        array([2., 3.])
    """
    if not is_traced(a, v):
        return np.correlate(a, v, mode)
    a, v = _as1d(a, v), _as1d(v, a)
    na, nv = shape_of(a)[0], shape_of(v)[0]
    if mode == "same" and na < nv:     # NumPy centres this case one sample later
        return convolve(a, conj(v)[::-1], "full")[na // 2:na // 2 + nv]
    return convolve(a, conj(v)[::-1], mode)


# ---------------------------------------------------------------------------
# kron, cross
# ---------------------------------------------------------------------------

@implements(np.kron)
def kron(a, b):
    """Differentiable ``np.kron``.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.kron(fnp.eye(2), fnp.ones((1, 2)))
        array([[1., 1., 0., 0.],
               [0., 0., 1., 1.]])
    """
    if not is_traced(a, b):
        return np.kron(a, b)
    sa, sb = shape_of(a), shape_of(b)
    nd = max(len(sa), len(sb))
    sa = (1,) * (nd - len(sa)) + tuple(sa)
    sb = (1,) * (nd - len(sb)) + tuple(sb)
    ia = [s for d in range(nd) for s in (sa[d], 1)]
    ib = [s for d in range(nd) for s in (1, sb[d])]
    out = multiply_p(reshape(a, tuple(ia)), reshape(b, tuple(ib)))
    return reshape(out, tuple(sa[d] * sb[d] for d in range(nd)))


@implements(np.cross)
def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Differentiable ``np.cross`` (3-vectors; 2-vectors give the z component).

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.cross(fnp.array([1.0, 0.0, 0.0]), fnp.array([0.0, 1.0, 0.0]))
        array([0., 0., 1.])
    """
    if not is_traced(a, b):
        return np.cross(a, b, axisa, axisb, axisc, axis)
    if axis is not None:
        axisa = axisb = axisc = axis
    a = moveaxis(a, axisa, -1)
    b = moveaxis(b, axisb, -1)
    na, nb = shape_of(a)[-1], shape_of(b)[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError(f"cross: vectors must have 2 or 3 components, got {na} and {nb}")
    if na == 2 and nb == 2:
        return subtract_p(multiply_p(a[..., 0], b[..., 1]), multiply_p(a[..., 1], b[..., 0]))
    z = as_type_of_any(np.zeros((), dtype_of(a)), a, b)
    a0, a1, a2 = a[..., 0], a[..., 1], (a[..., 2] if na == 3 else z)
    b0, b1, b2 = b[..., 0], b[..., 1], (b[..., 2] if nb == 3 else z)
    c = stack(broadcast_arrays(subtract_p(multiply_p(a1, b2), multiply_p(a2, b1)),
                               subtract_p(multiply_p(a2, b0), multiply_p(a0, b2)),
                               subtract_p(multiply_p(a0, b1), multiply_p(a1, b0))), axis=-1)
    return moveaxis(c, -1, axisc)



# ---------------------------------------------------------------------------
# numpy.polynomial.polynomial: 2-d evaluation (coefficients in increasing powers)
# ---------------------------------------------------------------------------

def _powers(x, n, c):
    """x ** arange(n) along a new last axis, by repeated multiplication (a constant ``x`` of
    the coefficients' array type)."""
    if is_traced(x):
        ones = x * 0 + 1
    else:
        x = np.asarray(x)
        ones = as_type_of_any(np.ones(x.shape, x.dtype), c)
        x = as_type_of_any(x, c)
    cols = [ones]
    for _ in range(1, n):
        cols.append(multiply_p(cols[-1], x))
    return stack(cols, axis=-1)


def _check_c2(c, name):
    if len(shape_of(c)) != 2:
        raise NotImplementedError(f"{name}: on traced values the coefficients must be a 2-d "
                                  f"array, got shape {shape_of(c)}")


@implements(_npp.polyval2d)
def polyval2d(x, y, c):
    """Differentiable ``numpy.polynomial.polynomial.polyval2d``: sum c[i, j] x**i y**j.

    Example:
        >>> import funcad.numpy as fnp
        >>> float(fnp.polyval2d(2.0, 3.0, fnp.array([[1.0, 1.0], [1.0, 1.0]])))
        12.0
    """
    if not is_traced(x, y, c):
        return _npp.polyval2d(x, y, c)
    _check_c2(c, "polyval2d")
    x, y = broadcast_arrays(x, y)
    return einsum("...i,...j,ij->...", _powers(x, shape_of(c)[0], c), _powers(y, shape_of(c)[1], c), c)


@implements(_npp.polygrid2d)
def polygrid2d(x, y, c):
    """Differentiable ``numpy.polynomial.polynomial.polygrid2d`` (the Cartesian grid of x, y).

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.polygrid2d(fnp.array([1.0, 2.0]), 3.0, fnp.array([[0.0, 1.0]])).shape
        (2,)
    """
    if not is_traced(x, y, c):
        return _npp.polygrid2d(x, y, c)
    _check_c2(c, "polygrid2d")
    px = _powers(x, shape_of(c)[0], c)
    py = _powers(y, shape_of(c)[1], c)
    nx, ny = len(shape_of(x)), len(shape_of(y))
    lx = "abcdefgh"[:nx]
    ly = "klmnopqr"[:ny]
    return einsum(f"{lx}i,{ly}j,ij->{lx}{ly}", px, py, c)
