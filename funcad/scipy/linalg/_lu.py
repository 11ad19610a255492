"""LU with partial pivoting: lu_factor, lu_solve, lu (square matrices on traced values).

One primitive, ``lu``: ``P A = L U`` gives the packed factor (L's strict lower triangle and U)
and P as a constant 0/1 matrix. The pivots are piecewise constant (they change only where two
candidate pivots tie), so with P fixed ``F = L^-1 P dA U^-1`` gives ``dL = L stril(F)`` and
``dU = triu(F) U`` (no derivative where a pivot is zero: U is singular and so is A).
``lu_solve`` is two triangular solves and differentiates through them.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as sl

from ...extend import Primitive, as_type_of, defjvp_full, defvjp_argnum, ops, shape_of
from ...numpy._base import is_traced
from ...numpy.linalg._helpers import T, batch_core, real_dtype, to_float
from ._triangular import tri_solve, tri_solve_p
from ._util import check_square, over_batch, plain, tri_mask

__all__ = ["lu_factor", "lu_solve", "lu"]


def _perm(piv):
    """LAPACK's row swaps (row i swapped with piv[i], in order) as a permutation: row i of
    P A is row perm[i] of A."""
    perm = np.arange(piv.shape[-1])
    for i, p in enumerate(piv):
        perm[i], perm[p] = perm[p], perm[i]
    return perm


def _lu_impl(a):
    lu, piv = sl.lu_factor(a)
    n = a.shape[-1]
    p = np.zeros((n, n), np.finfo(lu.dtype).dtype)
    p[np.arange(n), _perm(piv)] = 1.0
    return lu, p


lu_p = Primitive("scipy.linalg.lu", over_batch(_lu_impl), multiple_results=True)


def _masks(x):
    return tri_mask(x, "tril", -1), tri_mask(x, "triu")


def _lu_jvp(primals, tangents, ans):
    (t,), (lu, p) = tangents, ans
    sl_, tu = _masks(lu)
    y = tri_solve_p(lu, p @ t, lower=True, trans=0, unit=True)          # L^-1 P dA
    f = T(tri_solve_p(lu, T(y), lower=False, trans=1, unit=False))       # ... U^-1
    lo = lu * sl_ + tri_mask(lu, "eye")
    return [lo @ (f * sl_) + (f * tu) @ (lu * tu), None]


def _lu_vjp(j, g, ans, a):
    if j != 0:
        return None
    glu, (lu, p) = g[0], ans
    sl_, tu = _masks(lu)
    lo = lu * sl_ + tri_mask(lu, "eye")
    gf = (T(lo) @ (glu * sl_)) * sl_ + ((glu * tu) @ T(lu * tu)) * tu
    x = T(tri_solve_p(lu, T(gf), lower=False, trans=0, unit=False))     # gF U^-T
    return T(p) @ tri_solve_p(lu, x, lower=True, trans=1, unit=True)     # P^T L^-T ...


defjvp_full(lu_p, _lu_jvp)
defvjp_argnum(lu_p, _lu_vjp, keep=False)
batch_core(lu_p, (2,))

piv_p = Primitive("scipy.linalg.lu_piv", over_batch(lambda a: sl.lu_factor(a)[1]), nondiff=True)
batch_core(piv_p, (2,))
perm_p = Primitive("scipy.linalg.lu_perm", over_batch(_perm, core=(1,)), nondiff=True)
batch_core(perm_p, (1,))


def lu_factor(a, overwrite_a=False, check_finite=True):
    """Differentiable ``scipy.linalg.lu_factor``: ``(lu, piv)`` with ``P A = L U``.

    ``lu`` (L's strict lower triangle and U, packed) is differentiable in ``a`` for square
    matrices: the pivots are piecewise constant, so its derivative is that of the LU
    factorization with P fixed. ``piv`` is an integer array (no derivative).

    Returns:
      ``(lu, piv)``, for :func:`lu_solve`.

    Example:
        >>> import numpy as np, funcad as fad
        >>> from funcad.scipy import linalg
        >>> a = np.array([[4.0, 3.0], [6.0, 3.0]])
        >>> g = fad.grad(lambda a: linalg.lu_solve(linalg.lu_factor(a), np.ones(2)).sum())(a)
        >>> np.round(g, 10) + 0.0      # the zeros are round-off (~1e-18) on some BLAS kernels
        array([[ 0.        , -0.16666667],
               [ 0.        ,  0.05555556]])
    """
    if plain(a):
        return sl.lu_factor(a, overwrite_a=overwrite_a, check_finite=check_finite)
    a = to_float(a)
    check_square(a, "lu_factor")
    return lu_p(a)[0], piv_p(a)


def lu_solve(lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True):
    """Differentiable ``scipy.linalg.lu_solve``: x with ``op(A) x = b`` from ``lu_factor(A)``.

    Differentiable in ``lu`` (and through :func:`lu_factor` in A) and in ``b``.

    Args:
      lu_and_piv: ``(lu, piv)`` from :func:`lu_factor`.
      b: array (n,) or (..., n, k).
      trans: 0 (A x = b), 1 (A^T x = b) or 2 (A^H x = b).

    Returns:
      x, shaped like ``b``.

    Example:
        >>> import numpy as np, funcad as fad
        >>> from funcad.scipy import linalg
        >>> f = linalg.lu_factor(np.array([[2.0, 0.0], [0.0, 4.0]]))
        >>> fad.grad(lambda b: linalg.lu_solve(f, b).sum())(np.ones(2))
        array([0.5 , 0.25])
    """
    lu_, piv = lu_and_piv
    if trans not in (0, 1, 2):
        raise ValueError(f"lu_solve: trans must be 0, 1 or 2, got {trans!r}")
    if plain(lu_, b):
        return sl.lu_solve((lu_, piv), b, trans=trans, overwrite_b=overwrite_b,
                           check_finite=check_finite)
    lu_, b = to_float(lu_), to_float(b)
    check_square(lu_, "lu_solve")
    n = shape_of(lu_)[-1]
    perm = perm_p(piv) if is_traced(piv) else as_type_of(_perm_stack(np.asarray(piv)), lu_)
    p = ops.astype(ops.equal(ops.expand_dims(perm, -1), as_type_of(np.arange(n), perm)),
                   real_dtype(lu_))
    vec = len(shape_of(b)) == 1
    b = ops.expand_dims(b, -1) if vec else b
    if trans == 0:       # A = P^T L U
        x = tri_solve(lu_, tri_solve(lu_, p @ b, lower=True, unit=True), lower=False)
    else:                # A^T = U^T L^T P (the conjugates too, for trans=2)
        y = tri_solve(lu_, b, lower=False, trans=trans)
        x = T(p) @ tri_solve(lu_, y, lower=True, trans=trans, unit=True)
    return x[..., 0] if vec else x


def _perm_stack(piv):
    return over_batch(_perm, core=(1,))(piv)


def lu(a, permute_l=False, overwrite_a=False, check_finite=True, p_indices=False):
    """Differentiable ``scipy.linalg.lu``: ``(p, l, u)`` with ``a = p @ l @ u`` (square ``a``
    on traced values).

    ``l`` and ``u`` are differentiable (see :func:`lu_factor`); ``p`` is a constant.

    Args:
      a: array (..., n, n).
      permute_l: return ``(p @ l, u)``.
      p_indices: return p as row indices (``a = l[p] @ u``).

    Returns:
      ``(p, l, u)``, or ``(pl, u)`` with ``permute_l``.

    Example:
        >>> import numpy as np, funcad as fad
        >>> from funcad.scipy import linalg
        >>> a = np.array([[1.0, 2.0], [3.0, 4.0]])
        >>> fad.grad(lambda a: linalg.lu(a)[2][0, 0])(a)      # u[0, 0] = a[1, 0]
        array([[0., 0.],
               [1., 0.]])
    """
    if plain(a):
        return sl.lu(a, permute_l=permute_l, overwrite_a=overwrite_a, check_finite=check_finite,
                     p_indices=p_indices)
    a = to_float(a)
    check_square(a, "lu")
    packed, p = lu_p(a)
    sl_, tu = _masks(packed)
    lo = packed * sl_ + tri_mask(packed, "eye")
    u = packed * tu
    if permute_l:
        return T(p) @ lo, u
    return (ops.argmax(p, axis=-2) if p_indices else T(p)), lo, u
