"""Triangular solves and the Cholesky family: solve_triangular, cholesky, cho_factor, cho_solve.

One primitive, ``solve_triangular``: x = M^-1 b with M = op(A_t), where A_t is the triangle
of A that LAPACK reads (without its diagonal, replaced by ones, for ``unit_diagonal``) and
op is the identity or the transpose. Everything else here is composed from it and from
``funcad.numpy.linalg.cholesky``, so it differentiates to any order and batches.
"""

from __future__ import annotations

import scipy.linalg as sl

from ...extend import Primitive, def_linear, defjvp, defvjp, ops, shape_of, to_numpy
from ...numpy._base import unbroadcast
from ...numpy.linalg import cholesky as _np_cholesky
from ...numpy.linalg._helpers import H, T, batch_core, is_complex, to_float
from ._util import check_square, over_batch, plain, tri_mask

__all__ = ["solve_triangular", "cholesky", "cho_factor", "cho_solve"]


def _impl(a, b, *, lower, trans, unit):
    return sl.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit)


tri_solve_p = Primitive("scipy.linalg.solve_triangular", over_batch(_impl))
def_linear(tri_solve_p, (1,))


def _read(t, lower, unit):
    """The part of ``t`` (..., n, n) the solve reads: one triangle, strict for ``unit``."""
    kind, k = ("tril", -1 if unit else 0) if lower else ("triu", 1 if unit else 0)
    return t * tri_mask(t, kind, k)


def _tri_jvp_a(t, ans, a, b, *, lower, trans, unit):
    dm = _read(t, lower, unit)
    return -tri_solve_p(a, (T(dm) if trans else dm) @ ans, lower=lower, trans=trans, unit=unit)


def _tri_vjp_b(g, ans, a, b, *, lower, trans, unit):
    return tri_solve_p(a, g, lower=lower, trans=1 - trans, unit=unit)


def _tri_vjp_a(g, ans, a, b, *, lower, trans, unit):
    gb = _tri_vjp_b(g, ans, a, b, lower=lower, trans=trans, unit=unit)
    gm = -(ans @ T(gb)) if trans else -(gb @ T(ans))
    return unbroadcast(_read(gm, lower, unit), shape_of(a))


defjvp(tri_solve_p, _tri_jvp_a, lambda t, ans, a, b, **p: tri_solve_p(a, t, **p))
defvjp(tri_solve_p, _tri_vjp_a,
       lambda g, ans, a, b, **p: unbroadcast(_tri_vjp_b(g, ans, a, b, **p), shape_of(b)),
       keep=(True, False), keep_ans=True)
batch_core(tri_solve_p, (2, 2))


_TRANS = {0: 0, 1: 1, 2: 2, "N": 0, "T": 1, "C": 2}


def tri_solve(a, b, *, lower, trans=0, unit=False):
    """The traced solve behind :func:`solve_triangular` (``b`` a vector when 1-D)."""
    if trans == 2:          # op = conjugate transpose: solve with conj(a), transposed
        if is_complex(a):
            a = ops.conj(a)
        trans = 1
    if len(shape_of(b)) == 1:
        return tri_solve_p(a, ops.expand_dims(b, -1), lower=lower, trans=trans, unit=unit)[..., 0]
    return tri_solve_p(a, b, lower=lower, trans=trans, unit=unit)


def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False,
                     check_finite=True):
    """Differentiable ``scipy.linalg.solve_triangular``: x with ``op(a) x = b``.

    Reads one triangle of ``a`` (``lower``), without its diagonal for ``unit_diagonal``, as
    LAPACK does; the derivative in ``a`` is the derivative of exactly that (zero in the
    entries that are not read). Differentiable in ``a`` and ``b`` to any order; stacks
    (..., n, n) and (..., n, k) on traced values (``b`` is a vector only when 1-D).

    Args:
      a: array (..., n, n), triangular (the other triangle is ignored).
      b: array (n,) or (..., n, k).
      trans: 0/'N' (a x = b), 1/'T' (a^T x = b) or 2/'C' (a^H x = b).
      lower: use the lower triangle of ``a`` (default: the upper one).
      unit_diagonal: assume ones on the diagonal of ``a`` (its diagonal is not read).
      overwrite_b, check_finite: SciPy's options, ignored on traced values.

    Returns:
      x, shaped like ``b``.

    Example:
        >>> import numpy as np, funcad as fad
        >>> from funcad.scipy import linalg
        >>> a = np.array([[2.0, 1.0], [0.0, 4.0]])
        >>> fad.grad(lambda b: linalg.solve_triangular(a, b).sum())(np.ones(2))
        array([0.5  , 0.125])
    """
    if trans not in _TRANS:
        raise ValueError(f"solve_triangular: trans must be 0, 1, 2, 'N', 'T' or 'C', got "
                         f"{trans!r}")
    if plain(a, b):
        return sl.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit_diagonal,
                                   overwrite_b=overwrite_b, check_finite=check_finite)
    a, b = to_float(a), to_float(b)
    check_square(a, "solve_triangular")
    return tri_solve(a, b, lower=bool(lower), trans=_TRANS[trans], unit=bool(unit_diagonal))


def cholesky(a, lower=False, overwrite_a=False, check_finite=True):
    """Differentiable ``scipy.linalg.cholesky``: ``U`` with ``a = U^H U`` (``lower=False``, the
    default, reading the upper triangle) or ``L`` with ``a = L L^H`` (reading the lower one).

    The derivative is that of the triangle read (see ``funcad.numpy.linalg.cholesky``). A
    matrix that is not positive definite raises ``LinAlgError``.

    Example:
        >>> import numpy as np, funcad as fad
        >>> from funcad.scipy import linalg
        >>> fad.grad(lambda a: linalg.cholesky(a)[0, 0])(np.array([[4.0, 1.0], [1.0, 2.0]]))
        array([[0.25, 0.  ],
               [0.  , 0.  ]])
    """
    if plain(a):
        return sl.cholesky(a, lower=lower, overwrite_a=overwrite_a, check_finite=check_finite)
    a = to_float(a)
    check_square(a, "cholesky")
    return _np_cholesky(a) if lower else H(_np_cholesky(H(a)))


def cho_factor(a, lower=False, overwrite_a=False, check_finite=True):
    """Differentiable ``scipy.linalg.cho_factor``: ``(c, lower)`` for :func:`cho_solve`.

    ``c`` holds the Cholesky factor in the triangle ``lower`` names and, like LAPACK, the
    input's entries in the other strict triangle (which ``cho_solve`` never reads); ``c`` is
    differentiable in ``a`` entry by entry.

    Returns:
      ``(c, lower)``.

    Example:
        >>> import numpy as np, funcad as fad
        >>> from funcad.scipy import linalg
        >>> a = np.array([[4.0, 2.0], [2.0, 5.0]])
        >>> b = np.array([1.0, 1.0])
        >>> # lower=False: the upper triangle is read, so that is where the gradient is
        >>> fad.grad(lambda a: linalg.cho_solve(linalg.cho_factor(a), b).sum())(a).round(4)
        array([[-0.0352, -0.0469],
               [ 0.    , -0.0156]])
    """
    if plain(a):
        return sl.cho_factor(a, lower=lower, overwrite_a=overwrite_a, check_finite=check_finite)
    a = to_float(a)
    check_square(a, "cho_factor")
    other = a * tri_mask(a, "triu" if lower else "tril", 1 if lower else -1)
    return cholesky(a, lower=lower) + other, lower


def cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True):
    """Differentiable ``scipy.linalg.cho_solve``: x with ``A x = b``, from ``cho_factor(A)``.

    Differentiable in ``c`` (and through it in A) and in ``b``; two triangular solves.

    Args:
      c_and_lower: ``(c, lower)`` from :func:`cho_factor`.
      b: array (n,) or (..., n, k).

    Returns:
      x, shaped like ``b``.

    Example:
        >>> import numpy as np, funcad as fad
        >>> from funcad.scipy import linalg
        >>> cl = linalg.cho_factor(np.diag([4.0, 2.0]))
        >>> fad.grad(lambda b: linalg.cho_solve(cl, b).sum())(np.ones(2))
        array([0.25, 0.5 ])
    """
    c, lower = c_and_lower
    if plain(c, b):
        return sl.cho_solve((c, lower), b, overwrite_b=overwrite_b, check_finite=check_finite)
    c, b = to_float(c), to_float(b)
    check_square(c, "cho_solve")
    lower = bool(to_numpy(lower).flat[0])     # SciPy >= 1.15 gives a stack one flag each
    if lower:    # A = L L^H: L y = b, L^H x = y
        return tri_solve(c, tri_solve(c, b, lower=True), lower=True, trans=2)
    # A = U^H U: U^H y = b, U x = y
    return tri_solve(c, tri_solve(c, b, lower=False, trans=2), lower=False)
