"""solve (every ``assume_a``), inv, det, block_diag and polar: composites of funcad.numpy.linalg
and the primitives of this package, so they differentiate to any order and batch."""

from __future__ import annotations

import numpy as np
import scipy.linalg as sl

from ...extend import as_type_of, dtype_of, ops, shape_of
from ...numpy._base import is_traced
from ...numpy.linalg import det as _np_det
from ...numpy.linalg import inv as _np_inv
from ...numpy.linalg import solve as _np_solve
from ...numpy.linalg._decomp import _herm_from
from ...numpy.linalg._helpers import H, T, diag, is_complex, to_float
from ._matfun import sqrtm
from ._triangular import cho_factor, cho_solve, tri_solve
from ._util import check_square, plain, tri_mask

__all__ = ["solve", "inv", "det", "block_diag", "polar"]

_STRUCTURE = {None: "gen", "gen": "gen", "general": "gen", "sym": "sym", "symmetric": "sym",
              "her": "her", "hermitian": "her", "pos": "pos", "positive definite": "pos",
              "diagonal": "diagonal", "tridiagonal": "tridiagonal",
              "upper triangular": "upper", "lower triangular": "lower"}


def _sym_from(a, lower):
    """The symmetric matrix (no conjugation) from one triangle of ``a``."""
    tri = a * tri_mask(a, "tril" if lower else "triu", -1 if lower else 1)
    return tri + a * tri_mask(a, "eye") + T(tri)


def solve(a, b, lower=False, overwrite_a=False, overwrite_b=False, check_finite=True,
          assume_a=None, transposed=False):
    """Differentiable ``scipy.linalg.solve``: x with ``a x = b`` (``a^T x = b`` if ``transposed``).

    ``assume_a`` chooses what of ``a`` is read, and the derivative in ``a`` is that of the
    entries read: 'gen' (and None: on traced values no structure is detected, the general
    solve runs), 'sym' / 'her' (one triangle, ``lower``), 'pos' (one triangle, through
    :func:`cho_factor`), 'diagonal', 'tridiagonal', 'upper triangular', 'lower triangular'.
    'banded' is refused on traced values (write 'gen').

    Args:
      a: array (..., n, n).
      b: array (n,) or (..., n, k).

    Returns:
      x, shaped like ``b``.

    Example:
        >>> import numpy as np, funcad as fad
        >>> from funcad.scipy import linalg
        >>> a = np.array([[2.0, 9.0], [1.0, 4.0]])      # 'sym' with lower=True reads [[2, 1], [1, 4]]
        >>> fad.grad(lambda b: linalg.solve(a, b, assume_a="sym", lower=True).sum())(np.ones(2))
        array([0.42857143, 0.14285714])
    """
    if assume_a not in _STRUCTURE and assume_a != "banded":
        raise ValueError(f"solve: assume_a={assume_a!r} is not a recognized matrix structure; "
                         f"use one of {sorted(k for k in _STRUCTURE if k)}")
    kind = _STRUCTURE.get(assume_a, "banded")
    if plain(a, b) and kind in ("gen", "sym", "her", "pos", "banded"):   # SciPy's since 0.19
        kw = {} if assume_a is None else {"assume_a": assume_a}
        return sl.solve(a, b, lower=lower, overwrite_a=overwrite_a, overwrite_b=overwrite_b,
                        check_finite=check_finite, transposed=transposed, **kw)
    if assume_a == "banded":
        raise ValueError("solve: assume_a='banded' detects the band from the values, which has "
                         "no derivative; on traced values write assume_a='gen'")
    a, b = to_float(a), to_float(b)
    check_square(a, "solve")
    if kind in ("upper", "lower"):
        return tri_solve(a, b, lower=kind == "lower", trans=1 if transposed else 0)
    if kind == "pos":
        if transposed and is_complex(a):        # a^T = conj(a) for Hermitian a
            return ops.conj(cho_solve(cho_factor(a, lower=lower), ops.conj(b)))
        return cho_solve(cho_factor(a, lower=lower), b)
    if kind == "diagonal":
        d = diag(a)
        return b / d if len(shape_of(b)) == 1 else b / ops.expand_dims(d, -1)
    if kind == "sym":
        m = _sym_from(a, lower)
    elif kind == "her":
        m = _herm_from(a, "L" if lower else "U")
    elif kind == "tridiagonal":
        m = a * (tri_mask(a, "triu", -1) * tri_mask(a, "tril", 1))
    else:
        m = a
    return _np_solve(T(m) if transposed else m, b)


def inv(a, overwrite_a=False, check_finite=True, *, assume_a=None, lower=False):
    """Differentiable ``scipy.linalg.inv`` (stacks of square matrices).

    ``assume_a`` (SciPy >= 1.17) as in :func:`solve`: the derivative is that of the entries
    read. A singular matrix raises ``LinAlgError``.

    Example:
        >>> import numpy as np, funcad as fad
        >>> from funcad.scipy import linalg
        >>> fad.grad(lambda a: linalg.inv(a)[0, 0])(np.diag([2.0, 4.0]))
        array([[-0.25, -0.  ],
               [-0.  , -0.  ]])
    """
    if plain(a):
        if assume_a is None and not lower:
            return sl.inv(a, overwrite_a=overwrite_a, check_finite=check_finite)
        return sl.inv(a, overwrite_a=overwrite_a, check_finite=check_finite,
                      assume_a=assume_a, lower=lower)
    a = to_float(a)
    check_square(a, "inv")
    if assume_a in (None, "gen", "general"):
        return _np_inv(a)
    n = shape_of(a)[-1]
    ident = ops.broadcast_to(as_type_of(np.eye(n, dtype=dtype_of(a)), a), tuple(shape_of(a)))
    return solve(a, ident, lower=lower, assume_a=assume_a)


def det(a, overwrite_a=False, check_finite=True):
    """Differentiable ``scipy.linalg.det`` (``funcad.numpy.linalg.det``'s rules).

    Example:
        >>> import numpy as np, funcad as fad
        >>> from funcad.scipy import linalg
        >>> fad.grad(linalg.det)(np.array([[2.0, 1.0], [0.0, 3.0]]))
        array([[ 3.,  0.],
               [-1.,  2.]])
    """
    if plain(a):
        return sl.det(a, overwrite_a=overwrite_a, check_finite=check_finite)
    a = to_float(a)
    check_square(a, "det")
    return _np_det(a)


def block_diag(*arrs):
    """Differentiable ``scipy.linalg.block_diag``: the arrays on the diagonal of one matrix.

    As in SciPy a scalar is a 1 x 1 block and a 1-D array of length n a 1 x n block.

    Example:
        >>> import numpy as np, funcad as fad
        >>> from funcad.scipy import linalg
        >>> fad.grad(lambda x: linalg.block_diag(x, 2 * x).sum())(np.ones((1, 2)))
        array([[3., 3.]])
    """
    if not is_traced(*arrs):
        return sl.block_diag(*arrs)
    blocks = []
    for x in arrs:
        nd = len(shape_of(x))
        if nd > 2:
            raise ValueError(f"block_diag: arguments must have at most 2 dimensions, got shape "
                             f"{tuple(shape_of(x))}")
        blocks.append(ops.reshape(x, (1, -1)) if nd < 2 else x)
    if not blocks:
        return sl.block_diag()
    dt = np.result_type(*(dtype_of(x) for x in blocks))
    cols = sum(shape_of(x)[1] for x in blocks)
    rows, c0 = [], 0
    for x in blocks:
        r, c = shape_of(x)
        rows.append(ops.concatenate([as_type_of(np.zeros((r, c0), dt), x), ops.astype(x, dt),
                                     as_type_of(np.zeros((r, cols - c0 - c), dt), x)], axis=1))
        c0 += c
    return ops.concatenate(rows, axis=0)


def polar(a, side="right"):
    """Differentiable ``scipy.linalg.polar``: ``(u, p)`` with ``a = u p`` (``side='right'``) or
    ``a = p u`` (``'left'``), u with orthonormal columns (rows) and p Hermitian positive
    semi-definite.

    On traced values p is ``sqrtm(a^H a)`` (``sqrtm(a a^H)`` for 'left') and u is ``a p^-1``
    (``p^-1 a``): both are smooth where ``a`` has full rank, repeated singular values
    included. A rank-deficient ``a`` has no unique u: its p is singular and the solve raises
    ``LinAlgError``; ``side='right'`` needs m >= n and ``'left'`` m <= n (for the other shape
    p is singular).

    Example:
        >>> import numpy as np, funcad as fad
        >>> from funcad.scipy import linalg
        >>> a = np.array([[2.0, 0.0], [0.0, 3.0]])           # u = I, p = a
        >>> fad.grad(lambda a: linalg.polar(a)[1].sum())(a).round(6)    # dp_01 = dS_01 / (2 + 3)
        array([[1. , 0.8],
               [1.2, 1. ]])
    """
    if side not in ("right", "left"):
        raise ValueError(f"polar: side must be 'right' or 'left', got {side!r}")
    if not is_traced(a):
        return sl.polar(a, side=side)
    a = to_float(a)
    s = tuple(shape_of(a))
    if len(s) != 2:
        raise ValueError(f"polar: a must be 2-D, got shape {s}")
    m, n = s
    if (side == "right" and m < n) or (side == "left" and m > n):
        raise ValueError(f"polar: on traced values side={side!r} needs a full-rank a with "
                         f"{'m >= n' if side == 'right' else 'm <= n'}, got shape {s} (its p is "
                         f"singular); use side={'left' if side == 'right' else 'right'!r}")
    g = H(a) @ a if side == "right" else a @ H(a)
    p = sqrtm(0.5 * (g + H(g)))        # exactly Hermitian, so sqrtm's value is too
    if not is_complex(a) and is_complex(p):
        p = ops.real(p)
    u = T(_np_solve(T(p), T(a))) if side == "right" else _np_solve(p, a)
    return u, p
