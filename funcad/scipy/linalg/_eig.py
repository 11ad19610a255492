"""eigh / eigvalsh (subsets, the generalized problem) and schur.

eigh is ``funcad.numpy.linalg.eigh`` (its rules and its conventions at repeated eigenvalues)
plus slicing: a subset's derivative reads only the selected eigenpairs, so a repeated
eigenvalue outside the subset does not make it NaN. The generalized problem ``a v = w b v``
goes through the Cholesky factor of b.

schur is a primitive. With ``A = Z T Z^H``, ``C = Z^H dA Z`` and ``S = Z^H dZ`` (skew-Hermitian,
zero diagonal: for a real Schur form with real eigenvalues Z is unique up to signs, so that is
the derivative; for a complex Schur form Z's column phases are free and this fixes them),
``dT = C + T S - S T`` must stay upper triangular: the strictly lower part X of S solves the
triangular Sylvester equation ``tril(T X - X T, -1) = -tril(C, -1)``, a linear system in the
n(n-1)/2 entries of X, solvable when the eigenvalues are distinct. 2 x 2 blocks (complex
eigenvalues of a real Schur form) and repeated eigenvalues raise.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as sl

from ...errors import NoRuleError
from ...extend import (
    Primitive,
    as_type_of,
    defjvp_full,
    defvjp_argnum,
    ops,
    primal_values,
    shape_of,
    to_numpy,
)
from ...numpy.linalg import eigh as _np_eigh
from ...numpy.linalg import solve as _np_solve
from ...numpy.linalg._decomp import _herm_from
from ...numpy.linalg._helpers import H, T, batch_core, degenerate, real_dtype, to_float
from ._triangular import cholesky, tri_solve
from ._util import check_square, over_batch, plain, tri_mask

__all__ = ["eigh", "eigvalsh", "schur"]


def _value_range(w, lo, hi):
    """The index range [i, j) of the eigenvalues in (lo, hi], the same for every matrix of a
    stack (the number selected must not depend on the example)."""
    wv = to_numpy(primal_values(w))
    counts = [(np.sum(r <= lo), np.sum(r <= hi)) for r in wv.reshape(-1, wv.shape[-1])]
    if len(set(counts)) > 1:
        raise ValueError("eigh: subset_by_value selects a different number of eigenvalues in "
                         "different matrices of the stack (or under vmap); use "
                         "subset_by_index")
    return counts[0]


def eigh(a, b=None, *, lower=True, eigvals_only=False, overwrite_a=False, overwrite_b=False,
         type=1, check_finite=True, subset_by_index=None, subset_by_value=None, driver=None):
    """Differentiable ``scipy.linalg.eigh``: eigenvalues (ascending) and eigenvectors of a
    Hermitian matrix, or of the generalized problem ``a v = w b v`` (``type=1``).

    Derivatives as ``funcad.numpy.linalg.eigh`` (symmetric convention, NaN where a repeated
    eigenvalue leaves them undefined, see docs/linalg.md). With ``subset_by_index=[i, j]`` the
    derivative reads only eigenpairs i..j (a degenerate pair outside the subset is harmless);
    ``subset_by_value=(lo, hi]`` selects by the values (a constant count on traced values).
    The generalized problem uses ``L = cholesky(b)`` and ``eigh(L^-1 a L^-H)``; its vectors are
    b-orthonormal, as SciPy's (each up to sign).

    Args:
      a: array (..., n, n); one triangle is read (``lower``).
      b: optional positive definite array (..., n, n) (same triangle).
      eigvals_only: return only the eigenvalues.
      subset_by_index, subset_by_value: as in SciPy.
      driver, type, overwrite_*, check_finite: SciPy's; on traced values ``type`` must be 1.

    Returns:
      ``w`` or ``(w, v)``.

    Example:
        >>> import numpy as np, funcad as fad
        >>> from funcad.scipy import linalg
        >>> a = np.diag([1.0, 2.0, 2.0])                  # a repeated pair outside the subset
        >>> fad.grad(lambda a: linalg.eigh(a, subset_by_index=[0, 0])[1][0, 0] ** 2)(a)
        array([[0., 0., 0.],
               [0., 0., 0.],
               [0., 0., 0.]])
    """
    if plain(a, b):
        return sl.eigh(a, b, lower=lower, eigvals_only=eigvals_only, overwrite_a=overwrite_a,
                       overwrite_b=overwrite_b, type=type, check_finite=check_finite,
                       subset_by_index=subset_by_index, subset_by_value=subset_by_value,
                       driver=driver)
    if type != 1:
        raise ValueError(f"eigh: on traced values only type=1 (a v = w b v) is supported, got "
                         f"type={type}; for type 2/3 solve the equivalent standard problem")
    if subset_by_index is not None and subset_by_value is not None:
        raise ValueError("eigh: give subset_by_index or subset_by_value, not both")
    a = to_float(a)
    check_square(a, "eigh")
    uplo = "L" if lower else "U"
    if b is None:
        w, v = _np_eigh(a, UPLO=uplo)
    else:
        b = to_float(b)
        lo = cholesky(b, lower=True) if lower else H(cholesky(b, lower=False))
        y = tri_solve(lo, _herm_from(a, uplo), lower=True)                # L^-1 A
        c = tri_solve(lo, H(y), lower=True)                          # L^-1 A L^-H
        w, v = _np_eigh(0.5 * (c + H(c)))
        v = tri_solve(lo, v, lower=True, trans=2)                    # L^-H v
    n = shape_of(a)[-1]
    if subset_by_index is not None:
        i, j = (int(k) for k in subset_by_index)
        if not 0 <= i <= j < n:
            raise ValueError(f"eigh: subset_by_index={list(subset_by_index)} must satisfy "
                             f"0 <= i <= j < n = {n}")
        j += 1
    elif subset_by_value is not None:
        i, j = _value_range(w, *subset_by_value)
    else:
        i, j = 0, n
    w, v = w[..., i:j], v[..., :, i:j]
    return w if eigvals_only else (w, v)


def eigvalsh(a, b=None, *, lower=True, overwrite_a=False, overwrite_b=False, type=1,
             check_finite=True, subset_by_index=None, subset_by_value=None, driver=None):
    """Differentiable ``scipy.linalg.eigvalsh``: :func:`eigh` with ``eigvals_only=True``.

    Example:
        >>> import numpy as np, funcad as fad
        >>> from funcad.scipy import linalg
        >>> fad.grad(lambda a: linalg.eigvalsh(a).sum())(np.diag([1.0, 2.0]))
        array([[1., 0.],
               [0., 1.]])
    """
    return eigh(a, b, lower=lower, eigvals_only=True, overwrite_a=overwrite_a,
                overwrite_b=overwrite_b, type=type, check_finite=check_finite,
                subset_by_index=subset_by_index, subset_by_value=subset_by_value, driver=driver)


# ---------------------------------------------------------------------------
# schur
# ---------------------------------------------------------------------------

def _schur_impl(a, *, output):
    t, z = sl.schur(a, output=output)
    return t, z


schur_p = Primitive("scipy.linalg.schur", over_batch(_schur_impl), multiple_results=True)


def _lower_index(n):
    """Row-major flat indices of the strictly lower entries of an n x n matrix."""
    i, j = np.tril_indices(n, -1)
    return i * n + j


def _check_schur(t):
    tv = to_numpy(primal_values(t))          # a decision on the host: which rule applies
    n = tv.shape[-1]
    if n > 1 and np.any(np.abs(np.diagonal(tv, offset=-1, axis1=-2, axis2=-1)) > 0):
        raise NoRuleError("scipy.linalg.schur: the real Schur form of a matrix with complex "
                          "eigenvalues has 2 x 2 blocks, whose derivative is not implemented; "
                          "use output='complex' (differentiable for distinct eigenvalues), "
                          "or eigvals")
    if n > 1 and np.any(degenerate(np.diagonal(tv, axis1=-2, axis2=-1))):
        raise NoRuleError("scipy.linalg.schur: a repeated eigenvalue leaves the Schur vectors "
                          "free to rotate, so T and Z have no derivative there; differentiate "
                          "a function of the eigenvalues (eigvals, trace) instead")


def _sylvester_matrix(t):
    """K (..., m, m), m = n(n-1)/2: X (strictly lower) -> tril(T X - X T, -1), row-major."""
    n = shape_of(t)[-1]
    idx = _lower_index(n)
    i_n = as_type_of(np.eye(n, dtype=real_dtype(t)), t)
    # kron(T, I) - kron(I, T^T), without kron: (i, j), (k, l) -> T_ik d_jl - d_ik T_lj
    big = (ops.expand_dims(ops.expand_dims(t, -1), -3) * i_n[:, None, :]
           - i_n[:, None, :, None] * ops.expand_dims(ops.expand_dims(T(t), -2), -4))
    big = ops.reshape(big, tuple(shape_of(t))[:-2] + (n * n, n * n))
    return big[..., idx, :][..., :, idx]


def _vsolve(k, x):
    """Stacks of linear systems with vector right-hand sides (..., m)."""
    return _np_solve(k, ops.expand_dims(x, -1))[..., 0]


def _schur_jvp(primals, tangents, ans, *, output):
    (dA,), (t, z) = tangents, ans
    _check_schur(t)
    n = shape_of(t)[-1]
    c = H(z) @ dA @ z
    x = _vsolve(_sylvester_matrix(t), -ops.reshape(c, tuple(shape_of(c))[:-2] + (n * n,))
                [..., _lower_index(n)])
    s = _scatter(x, n, like=c)
    s = s - H(s)
    return [(c + t @ s - s @ t) * tri_mask(t, "triu"), z @ s]


def _scatter(x, n, like):
    """The strictly lower n x n matrix whose row-major lower entries are x."""
    onehot = np.zeros((len(_lower_index(n)), n * n), real_dtype(like))
    onehot[np.arange(onehot.shape[0]), _lower_index(n)] = 1.0
    return ops.reshape(x @ as_type_of(onehot, x), tuple(shape_of(x))[:-1] + (n, n))


def _schur_vjp(j, g, ans, a, *, output):
    if j != 0:
        return None
    (gt, gz), (t, z) = g, ans
    _check_schur(t)
    n = shape_of(t)[-1]
    gt = gt * tri_mask(t, "triu")
    gs = T(t) @ gt - gt @ T(t) + T(z) @ gz           # cotangent of S
    gx = gs - H(gs)                                  # of X (S = X - X^H)
    gxl = ops.reshape(gx, tuple(shape_of(gx))[:-2] + (n * n,))[..., _lower_index(n)]
    gc = gt - _scatter(_vsolve(T(_sylvester_matrix(t)), gxl), n, like=gx)
    return ops.conj(z) @ gc @ T(z)


defjvp_full(schur_p, _schur_jvp)
defvjp_argnum(schur_p, _schur_vjp, keep=False)
batch_core(schur_p, (2,))


def schur(a, output="real", lwork=None, overwrite_a=False, sort=None, check_finite=True):
    """Differentiable ``scipy.linalg.schur``: ``(T, Z)`` with ``a = Z T Z^H``.

    Derivatives (both modes, any order) where they are defined: distinct eigenvalues and, for
    ``output='real'``, all of them real (T triangular, Z unique up to column signs). For
    ``output='complex'`` Z's column phases are free: the derivative keeps ``Z^H dZ`` with a
    zero diagonal, so differentiate phase-invariant quantities (T's diagonal, ``Z T Z^H``,
    ``|Z|``). 2 x 2 blocks and repeated eigenvalues raise ``NoRuleError`` when
    differentiated. ``sort`` is refused on traced values.

    Example:
        >>> import numpy as np, funcad as fad
        >>> from funcad.scipy import linalg
        >>> a = np.array([[1.0, 2.0], [0.0, 3.0]])
        >>> fad.grad(lambda a: linalg.schur(a)[0][1, 1])(a).round(6)   # the eigenvalue 3
        array([[0., 0.],
               [1., 1.]])
    """
    if output not in ("real", "complex", "r", "c"):
        raise ValueError(f"schur: output must be 'real' or 'complex', got {output!r}")
    if plain(a):
        return sl.schur(a, output=output, lwork=lwork, overwrite_a=overwrite_a, sort=sort,
                        check_finite=check_finite)
    if sort is not None:
        raise ValueError("schur: sort= is not supported on traced values; sort the "
                         "eigenvalues of the result instead")
    a = to_float(a)
    check_square(a, "schur")
    t, z = schur_p(a, output="complex" if output in ("complex", "c") else "real")
    return t, z
