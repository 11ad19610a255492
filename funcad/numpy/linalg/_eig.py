"""Eigen-decomposition of general (non-symmetric) matrices: eig and eigvals.

With ``C = V^-1 dA V``: ``dw = diag(C)`` and ``dV = V (F o C)``, F_ij = 1/(w_j - w_i),
followed by the correction that keeps NumPy's unit-norm columns:
``dV -= V re(diag(V^H dV))``. Eigenvalues are complex in general; like NumPy the
results are real when every eigenvalue of a real input is real (so the dtype
depends on the values, as in NumPy). Complex eigenvectors are unique only up to a
phase (LAPACK makes the largest component real; these rules keep ``V^H dV`` with a
zero real diagonal instead), so differentiate phase-invariant functions of them.
"""

from __future__ import annotations

import numpy as np

from ...extend import Primitive, defjvp_full, defvjp_argnum, ops
from .._base import is_traced
from ._basic import _check_square, inv_p
from ._decomp import _degenerate_nan, _kink_nan, _pair_div
from ._helpers import (T, anywhere, batch_core, degenerate, diag, diagm, either, is_complex,
                       make_result, route, used_cols)

__all__ = ["eig", "eigvals", "EigResult"]

eig_p = Primitive("linalg.eig", lambda a: tuple(np.linalg.eig(a)), multiple_results=True)


def _renormalize(v, dv0):
    """Keep the columns at unit norm: remove the component of dv along v (real part)."""
    h = ops.sum(ops.conj(v) * dv0, axis=-2)
    return dv0 - v * ops.expand_dims(ops.real(h) if is_complex(h) else h, -2)


def _eig_jvp(primals, tangents, ans, **_):
    (_a,), (t,) = primals, tangents
    w, v = ans
    c = inv_p(v) @ t @ v
    deg = degenerate(w)
    if not anywhere(deg):
        return [diag(c), _renormalize(v, v @ _pair_div(w, c, None, deg))]
    mixing = ops.not_equal(c, 0)
    return [diag(c) + _degenerate_nan(w, deg, mixing),
            _renormalize(v, v @ _pair_div(w, c, mixing, deg))]


def _eig_vjp(j, g, ans, a):
    if j != 0:
        return None
    gw, gv = g
    w, v = ans
    h = ops.sum(v * gv, axis=-2)           # transpose of the renormalization
    gv0 = gv - ops.conj(v) * ops.expand_dims(ops.real(h) if is_complex(h) else h, -2)
    deg = degenerate(w)
    need = None
    if anywhere(deg):
        gw = gw + _kink_nan(w, deg, gw)
        need = either(used_cols(gv0))
    inner = diagm(gw) + _pair_div(w, T(v) @ gv0, need, deg)
    vinv_t = T(inv_p(v))
    return vinv_t @ inner @ T(v)


defjvp_full(eig_p, _eig_jvp)
defvjp_argnum(eig_p, _eig_vjp, keep=False)
batch_core(eig_p, (2,))

EigResult = type(np.linalg.eig(np.eye(1)))


@route(np.linalg.eig)
def eig(a):
    """Differentiable ``np.linalg.eig``: eigenvalues and unit-norm right eigenvectors.

    A repeated eigenvalue makes the derivative NaN where it is used (as for
    eigh). For complex eigenvectors differentiate phase-invariant quantities
    (``abs(V)``, ``V diag(w) inv(V)``). See the module notes and docs/linalg.md.

    Example:
        >>> import numpy as np, funcad as fad, funcad.numpy as fnp
        >>> a = np.array([[1.0, 2.0], [0.0, 3.0]])
        >>> fad.grad(lambda a: fnp.linalg.eig(a)[0][1])(a)   # the eigenvalue 3
        array([[0., 0.],
               [1., 1.]])
    """
    if not is_traced(a):
        return np.linalg.eig(a)
    _check_square(a, "eig")
    w, v = eig_p(a)
    return make_result(EigResult, w, v)


@route(np.linalg.eigvals)
def eigvals(a):
    """Differentiable ``np.linalg.eigvals`` (complex unless a real input has only real ones).

    Example:
        >>> import numpy as np, funcad as fad, funcad.numpy as fnp
        >>> a = np.array([[0.0, -1.0], [1.0, 0.0]])                 # eigenvalues +-i
        >>> fad.grad(lambda a: fnp.sum(fnp.imag(fnp.linalg.eigvals(a)) ** 2))(a)
        array([[ 0., -1.],
               [ 1.,  0.]])
    """
    if not is_traced(a):
        return np.linalg.eigvals(a)
    _check_square(a, "eigvals")
    return eig_p(a)[0]
