"""Inverse, solve, determinants, pseudo-inverse and rank.

One block per primitive: impl, JVP, VJP, batching. VJPs are the transposes of
the JVPs under the bilinear pairing ``real(sum(a * b))`` (JAX's convention: no
conjugation), so for complex inputs they use ``A^T``, not ``A^H``.
"""

from __future__ import annotations

import numpy as np

from ...extend import Primitive, def_linear, defjvp, defvjp, ops, shape_of
from .._base import is_traced, unbroadcast
from ._helpers import (
    H,
    T,
    batch_core,
    eye,
    is_complex,
    make_result,
    real_ct,
    route,
    to_float,
    trace,
)

__all__ = ["inv", "solve", "det", "slogdet", "pinv", "matrix_rank", "SlogdetResult"]


def _check_square(a, fname):
    s = shape_of(a)
    if len(s) < 2 or s[-1] != s[-2]:
        raise np.linalg.LinAlgError(
            f"{fname} needs square matrices in the last two axes, got shape {tuple(s)}; for "
            "rectangular matrices use pinv or lstsq")


# ---------------------------------------------------------------------------
# inv: d(A^-1) = -A^-1 dA A^-1
# ---------------------------------------------------------------------------

inv_p = Primitive("linalg.inv", np.linalg.inv)
defjvp(inv_p, lambda t, ans, a: -(ans @ t @ ans))
defvjp(inv_p, lambda g, ans, a: -(T(ans) @ g @ T(ans)), keep=False, keep_ans=True)
batch_core(inv_p, (2,))


@route(np.linalg.inv)
def inv(a):
    """Differentiable ``np.linalg.inv`` (stacks of square matrices).

    A singular matrix raises ``LinAlgError`` (there is no inverse to differentiate).

    Args:
      a: array (..., n, n).

    Returns:
      The inverse, shape (..., n, n).

    Example:
        >>> import numpy as np, funcad as fad, funcad.numpy as fnp
        >>> fad.grad(lambda a: fnp.linalg.inv(a)[0, 0])(np.array([[2.0, 0.0], [0.0, 4.0]]))
        array([[-0.25, -0.  ],
               [-0.  , -0.  ]])
    """
    if not is_traced(a):
        return np.linalg.inv(a)
    _check_square(a, "inv")
    return inv_p(a)


# ---------------------------------------------------------------------------
# solve (b always a stack of matrices here): x = A^-1 b, dx = A^-1 (db - dA x)
# ---------------------------------------------------------------------------

solve_p = Primitive("linalg.solve", np.linalg.solve)
def_linear(solve_p, (1,))   # in b


def _solve_vjp_b(g, ans, a, b):
    return unbroadcast(solve_p(T(a), g), shape_of(b))


def _solve_vjp_a(g, ans, a, b):
    return unbroadcast(-(solve_p(T(a), g) @ T(ans)), shape_of(a))


defjvp(solve_p, lambda t, ans, a, b: -solve_p(a, t @ ans), lambda t, ans, a, b: solve_p(a, t))
defvjp(solve_p, _solve_vjp_a, _solve_vjp_b, keep=(True, False), keep_ans=True)
batch_core(solve_p, (2, 2))


@route(np.linalg.solve)
def solve(a, b):
    """Differentiable ``np.linalg.solve``: x with ``a @ x = b``.

    ``b`` is a vector only when it is 1-D (NumPy 2 semantics); otherwise a stack
    of (n, k) matrices. A singular ``a`` raises ``LinAlgError``.

    Example:
        >>> import numpy as np, funcad as fad, funcad.numpy as fnp
        >>> a = np.array([[2.0, 0.0], [0.0, 4.0]])
        >>> fad.grad(lambda b: fnp.sum(fnp.linalg.solve(a, b)))(np.array([1.0, 1.0]))
        array([0.5 , 0.25])
    """
    if not is_traced(a, b):
        return np.linalg.solve(a, b)
    a, b = to_float(a), to_float(b)
    _check_square(a, "solve")
    if len(shape_of(b)) == 1:
        return solve_p(a, ops.expand_dims(b, -1))[..., 0]
    return solve_p(a, b)


# ---------------------------------------------------------------------------
# det: d det = det tr(A^-1 dA); the VJP is g det A^-T
# ---------------------------------------------------------------------------

det_p = Primitive("linalg.det", np.linalg.det)
defjvp(det_p, lambda t, ans, a: ans * trace(solve_p(a, t)))
defvjp(det_p, lambda g, ans, a: ops.expand_dims(ops.expand_dims(g * ans, -1), -1)
       * T(inv_p(a)), keep_ans=True)
batch_core(det_p, (2,))


@route(np.linalg.det)
def det(a):
    """Differentiable ``np.linalg.det``.

    The rules use ``inv(a)``, so differentiating at a singular matrix raises
    ``LinAlgError`` (the value itself is fine).

    Example:
        >>> import numpy as np, funcad as fad, funcad.numpy as fnp
        >>> fad.grad(fnp.linalg.det)(np.array([[2.0, 1.0], [0.0, 3.0]]))
        array([[ 3.,  0.],
               [-1.,  2.]])
    """
    if not is_traced(a):
        return np.linalg.det(a)
    _check_square(a, "det")
    return det_p(a)


# ---------------------------------------------------------------------------
# slogdet: log|det| has derivative real(tr(A^-1 dA)); the sign is piecewise constant
# for real matrices and det/|det| for complex ones
# ---------------------------------------------------------------------------

logabsdet_p = Primitive("linalg.logabsdet", lambda a: np.linalg.slogdet(a)[1])


def _logabsdet_jvp(t, ans, a):
    d = trace(solve_p(a, t))
    return ops.real(d) if is_complex(d) else d


def _logabsdet_vjp(g, _ans, a):
    g = real_ct(g, is_complex(a))
    return ops.expand_dims(ops.expand_dims(g, -1), -1) * T(inv_p(a))


defjvp(logabsdet_p, _logabsdet_jvp)
defvjp(logabsdet_p, _logabsdet_vjp)
batch_core(logabsdet_p, (2,))

sign_p = Primitive("linalg.slogdet_sign", lambda a: np.linalg.slogdet(a)[0], nondiff=True)
batch_core(sign_p, (2,))


SlogdetResult = type(np.linalg.slogdet(np.eye(1)))   # NumPy's own result type


@route(np.linalg.slogdet)
def slogdet(a):
    """Differentiable ``np.linalg.slogdet``: ``(sign, log|det a|)``.

    For real matrices the sign has a zero derivative; for complex ones it is
    ``det / |det|`` and differentiable.

    Example:
        >>> import numpy as np, funcad as fad, funcad.numpy as fnp
        >>> fad.grad(lambda a: fnp.linalg.slogdet(a)[1])(np.array([[2.0, 0.0], [0.0, 4.0]]))
        array([[0.5 , 0.  ],
               [0.  , 0.25]])
    """
    if not is_traced(a):
        return np.linalg.slogdet(a)
    _check_square(a, "slogdet")
    lad = logabsdet_p(a)
    if is_complex(a):
        d = det_p(a)
        sign = d / ops.exp(lad)
    else:
        sign = sign_p(a)
    return make_result(SlogdetResult, sign, lad)


# ---------------------------------------------------------------------------
# pinv: the Golub-Pereyra formula (valid where the rank does not change)
# dP = -P dA P + P P^H dA^H (I - A P) + (I - P A) dA^H P^H P
# ---------------------------------------------------------------------------

pinv_p = Primitive("linalg.pinv", lambda a, *, rcond: np.linalg.pinv(a, rcond=rcond))


def _pinv_jvp(t, ans, a, *, rcond):
    p = ans
    m, n = shape_of(a)[-2:]
    ip = eye(m, a) - a @ p          # (m, m): projector onto range(A)^perp
    pi = eye(n, a) - p @ a          # (n, n): projector onto null(A)
    return -(p @ t @ p) + p @ H(p) @ H(t) @ ip + pi @ H(t) @ H(p) @ p


def _pinv_vjp(g, ans, a, *, rcond):
    p = ans
    m, n = shape_of(a)[-2:]
    ip = eye(m, a) - a @ p
    pi = eye(n, a) - p @ a
    # transposes (bilinear) of the three terms of the JVP
    t1 = -(T(p) @ g @ T(p))
    t2 = H(T(p @ H(p)) @ g @ T(ip))
    t3 = H(T(pi) @ g @ T(H(p) @ p))
    return unbroadcast(t1 + t2 + t3, shape_of(a))


defjvp(pinv_p, _pinv_jvp)
defvjp(pinv_p, _pinv_vjp, keep_ans=True)
batch_core(pinv_p, (2,))


@route(np.linalg.pinv)
def pinv(a, rcond=None, hermitian=False, *, rtol=None):
    """Differentiable ``np.linalg.pinv`` (Moore-Penrose pseudo-inverse).

    The derivative is the constant-rank one (Golub & Pereyra): at a point where
    a tiny singular value crosses the cutoff the pseudo-inverse jumps and has no
    derivative.

    Example:
        >>> import numpy as np, funcad as fad, funcad.numpy as fnp
        >>> a = np.array([[1.0], [1.0]])
        >>> np.round(fad.grad(lambda a: fnp.linalg.pinv(a)[0, 0])(a), 12)
        array([[ 0. ],
               [-0.5]])
    """
    if rtol is not None:
        rcond = rtol
    if rcond is None:
        rcond = 1e-15
    if not is_traced(a):
        return np.linalg.pinv(a, rcond=rcond, hermitian=hermitian)
    return pinv_p(a, rcond=rcond)


# ---------------------------------------------------------------------------
# matrix_rank: an integer, zero derivative
# ---------------------------------------------------------------------------

rank_p = Primitive("linalg.matrix_rank", lambda a, *, tol, hermitian:
                   np.linalg.matrix_rank(a, tol=tol, hermitian=hermitian), nondiff=True)
batch_core(rank_p, (2,))


@route(np.linalg.matrix_rank)
def matrix_rank(A, tol=None, hermitian=False, *, rtol=None):
    """``np.linalg.matrix_rank`` on traced values: an integer, zero derivative.

    Example:
        >>> import numpy as np, funcad.numpy as fnp
        >>> int(fnp.linalg.matrix_rank(np.ones((3, 3))))
        1
    """
    if rtol is not None and tol is None:
        if not is_traced(A):
            return np.linalg.matrix_rank(A, hermitian=hermitian, rtol=rtol)
        raise TypeError("matrix_rank: rtol= on traced values is not supported; pass tol=")
    if not is_traced(A):
        return np.linalg.matrix_rank(A, tol=tol, hermitian=hermitian)
    return rank_p(A, tol=tol, hermitian=hermitian)
