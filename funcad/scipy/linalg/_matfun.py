"""Matrix functions: expm, expm_frechet, logm, sqrtm, and solve_sylvester.

Each primary matrix function f (expm, logm, sqrtm) is two primitives: ``f`` and its Frechet
derivative ``L_f(A, E)``. The rules of both are written with these two primitives alone:

* ``d f(A)[t] = L_f(A, t)``, and its transpose (the VJP) is ``L_f(A^T, g)``: a primary matrix
  function commutes with transposition (bilinear pairing, no conjugation, as funcad.numpy).
* ``L_f`` is linear in E; in A it is the (1, 2) block of the Frechet derivative at the block
  matrix ``B = [[A, E], [0, A]]`` along ``diag(t, t)`` (``f(B) = [[f(A), L_f(A, E)], [0, f(A)]]``,
  Higham, *Functions of Matrices*, thm 3.6), so every order comes from the same primitive.

The implementations pick an accurate way to get ``L_f``: SciPy's ``expm_frechet``, the
Sylvester equation ``X L + L X = E`` for ``sqrtm`` (X = sqrtm(A)), and the block matrix above
with E rescaled to A's norm for ``logm`` (exact, since L is linear in E).
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as sl

from ...extend import Primitive, as_type_of, def_linear, defjvp, defvjp, dtype_of, ops, shape_of
from ...numpy._base import unbroadcast
from ...numpy.linalg._helpers import T, batch_core, to_float
from ._util import check_square, over_batch, plain

__all__ = ["expm", "expm_frechet", "logm", "sqrtm", "solve_sylvester"]


def _block(a, e):
    """``[[a, e], [0, a]]`` over the last two axes (a and e broadcast against each other)."""
    lead = np.broadcast_shapes(tuple(shape_of(a))[:-2], tuple(shape_of(e))[:-2])
    n = shape_of(a)[-1]
    a = ops.broadcast_to(a, lead + (n, n))
    e = ops.broadcast_to(e, lead + (n, n))
    z = as_type_of(np.zeros(lead + (n, n), np.result_type(dtype_of(a), dtype_of(e))), a)
    return ops.concatenate([ops.concatenate([a, e], axis=-1),
                            ops.concatenate([z, a], axis=-1)], axis=-2)


def _zeros(x):
    """A constant zero array like ``x`` (``ops.zeros_like`` gives a traced one under a trace)."""
    return as_type_of(np.zeros(tuple(shape_of(x)), dtype_of(x)), x)


def _upper_right(x, n):
    return x[..., :n, n:]


def _matrix_function(name, f_impl, frechet_impl):
    """The primitives ``f`` and ``L_f`` of a primary matrix function, with every rule."""
    f_p = Primitive(f"scipy.linalg.{name}", over_batch(f_impl))
    fr_p = Primitive(f"scipy.linalg.{name}_frechet", over_batch(frechet_impl))

    defjvp(f_p, lambda t, ans, a: fr_p(a, t))
    defvjp(f_p, lambda g, _ans, a: fr_p(T(a), g), keep=(True,))
    batch_core(f_p, (2,))

    def jvp_a(t, ans, a, e):
        n = shape_of(a)[-1]
        return _upper_right(fr_p(_block(a, e), _block(t, _zeros(t))), n)

    def vjp_a(g, _ans, a, e):
        n = shape_of(a)[-1]
        gb = fr_p(T(_block(a, e)), _block(_zeros(g), g))     # [[0, g], [0, 0]]
        return unbroadcast(gb[..., :n, :n] + gb[..., n:, n:], shape_of(a))

    def_linear(fr_p, (1,))
    defjvp(fr_p, jvp_a, lambda t, ans, a, e: fr_p(a, t))
    defvjp(fr_p, vjp_a, lambda g, _ans, a, e: unbroadcast(fr_p(T(a), g), shape_of(e)),
           keep=(True, True))
    batch_core(fr_p, (2, 2))
    return f_p, fr_p


# ---------------------------------------------------------------------------
# the implementations (raw NumPy/SciPy on single (n, n) matrices)
# ---------------------------------------------------------------------------

def _expm_frechet_impl(a, e):
    dt = np.result_type(a, e)
    return sl.expm_frechet(a, e, compute_expm=False).astype(dt, copy=False)


def _sqrtm_impl(a):
    return sl.sqrtm(a)


def _sylvester(a, b, q):
    """``scipy.linalg.solve_sylvester``, right for a complex q with real a and b too (SciPy
    1.17 solves that case wrong: it is solved here for the real and imaginary parts)."""
    if np.iscomplexobj(q) and not (np.iscomplexobj(a) or np.iscomplexobj(b)):
        return sl.solve_sylvester(a, b, q.real) + 1j * sl.solve_sylvester(a, b, q.imag)
    dt = np.result_type(a, b, q)
    return sl.solve_sylvester(a.astype(dt, copy=False), b.astype(dt, copy=False),
                              q.astype(dt, copy=False))


def _sqrtm_frechet_impl(a, e):
    x = sl.sqrtm(a)
    return _sylvester(x, x, e)


def _logm_impl(a):
    return sl.logm(a)


def _logm_frechet_impl(a, e):
    n = a.shape[-1]
    ne = np.linalg.norm(e, 1)
    if ne == 0:
        return np.zeros(e.shape, np.result_type(sl.logm(a), e))
    s = max(np.linalg.norm(a, 1), np.finfo(np.float64).tiny) / ne   # L is linear in E
    b = np.block([[a, s * e], [np.zeros_like(a), a]])
    return sl.logm(b)[:n, n:] / s


expm_p, expm_frechet_p = _matrix_function("expm", sl.expm, _expm_frechet_impl)
sqrtm_p, sqrtm_frechet_p = _matrix_function("sqrtm", _sqrtm_impl, _sqrtm_frechet_impl)
logm_p, logm_frechet_p = _matrix_function("logm", _logm_impl, _logm_frechet_impl)


# ---------------------------------------------------------------------------
# public functions
# ---------------------------------------------------------------------------

def expm(A):
    """Differentiable ``scipy.linalg.expm``: the matrix exponential of (..., n, n) arrays.

    Derivatives to any order, both modes: the JVP is the Frechet derivative
    ``expm_frechet(A, t)`` and the VJP the Frechet derivative at ``A^T``.

    Args:
      A: array (..., n, n), real or complex.

    Returns:
      ``expm(A)``, the same shape.

    Example:
        >>> import numpy as np, funcad as fad
        >>> from funcad.scipy import linalg
        >>> a = np.array([[0.0, 1.0], [0.0, 0.0]])     # expm(a) = I + a
        >>> fad.grad(lambda a: linalg.expm(a)[0, 1])(a)
        array([[0.5       , 1.        ],
               [0.16666667, 0.5       ]])
    """
    if plain(A):
        return sl.expm(A)
    A = to_float(A)
    check_square(A, "expm")
    return expm_p(A)


def expm_frechet(A, E, method=None, compute_expm=True, check_finite=True):
    """Differentiable ``scipy.linalg.expm_frechet``: ``(expm(A), L(A, E))``, where ``L(A, E)``
    is the Frechet derivative of expm at A in the direction E.

    Differentiable in A and E to any order (``L`` is linear in E; in A its derivative is the
    Frechet derivative at the block matrix ``[[A, E], [0, A]]``). Stacks (..., n, n) are
    accepted on traced values.

    Args:
      A, E: arrays (..., n, n).
      method: ignored on traced values (SciPy's default algorithm is used).
      compute_expm: return ``(expm(A), L)`` when True (SciPy's tuple), only ``L`` when False.

    Returns:
      ``(expm(A), L(A, E))`` or ``L(A, E)``.

    Example:
        >>> import numpy as np, funcad as fad
        >>> from funcad.scipy import linalg
        >>> a, e = np.zeros((2, 2)), np.eye(2)
        >>> float(fad.grad(lambda e: linalg.expm_frechet(a, e)[1].sum())(e).sum())
        4.0
    """
    if plain(A, E):
        return sl.expm_frechet(A, E, method=method, compute_expm=compute_expm,
                               check_finite=check_finite)
    A, E = to_float(A), to_float(E)
    check_square(A, "expm_frechet")
    check_square(E, "expm_frechet")
    dt = np.result_type(dtype_of(A), dtype_of(E), np.float64)     # SciPy computes in double
    A, E = ops.astype(A, dt), ops.astype(E, dt)
    frechet = expm_frechet_p(A, E)
    return (expm_p(A), frechet) if compute_expm else frechet


def sqrtm(A, disp=True, blocksize=64):
    """Differentiable ``scipy.linalg.sqrtm``: the principal square root of (..., n, n) arrays.

    The derivative solves the Sylvester equation ``X dX + dX X = dA`` (X = sqrtm(A)); it
    does not exist where X has eigenvalues ``x_i + x_j = 0`` (a singular A), and the result
    is then inf/NaN. A real matrix with negative eigenvalues has a complex root, as in SciPy.

    Args:
      A: array (..., n, n).
      disp, blocksize: SciPy's (deprecated) options, ignored on traced values; with
        ``disp=False`` the result is ``(X, errest)`` as in SciPy.

    Returns:
      ``sqrtm(A)``.

    Example:
        >>> import numpy as np, funcad as fad
        >>> from funcad.scipy import linalg
        >>> fad.grad(lambda a: linalg.sqrtm(a)[0, 0])(np.diag([4.0, 9.0]))   # 1 / (2 sqrt 4)
        array([[0.25, 0.  ],
               [0.  , 0.  ]])
    """
    if plain(A):
        return sl.sqrtm(A) if disp else (sl.sqrtm(A), _errest(sl.sqrtm(A), A))
    A = to_float(A)
    check_square(A, "sqrtm")
    x = sqrtm_p(A)
    return x if disp else (x, _errest(x, A))


def _errest(x, a):
    """SciPy's ``errest`` of sqrtm: ``||X X - A||_F / ||A||_F``."""
    r = x @ x - a
    return (ops.sqrt(ops.sum(ops.abs(r) ** 2, axis=(-2, -1)))
            / ops.sqrt(ops.sum(ops.abs(a) ** 2, axis=(-2, -1))))


def logm(A, disp=True):
    """Differentiable ``scipy.linalg.logm``: the principal matrix logarithm of (..., n, n) arrays.

    The derivative is the Frechet derivative of logm (the inverse of expm's Frechet
    derivative at ``logm(A)``), computed from the block matrix ``[[A, E], [0, A]]``. It does
    not exist where A has an eigenvalue on the closed negative real axis. A real matrix with
    negative eigenvalues has a complex logarithm, as in SciPy.

    Args:
      A: array (..., n, n).
      disp: SciPy's (deprecated) option; with ``disp=False`` the result is ``(logm(A),
        errest)`` where errest is ``||expm(logm A) - A||_1 / ||A||_1``.

    Returns:
      ``logm(A)``.

    Example:
        >>> import numpy as np, funcad as fad
        >>> from funcad.scipy import linalg
        >>> fad.grad(lambda a: linalg.logm(a)[1, 1])(np.diag([1.0, 4.0]))   # 1 / 4
        array([[0.  , 0.  ],
               [0.  , 0.25]])
    """
    if plain(A):
        out = sl.logm(A)
        return out if disp else (out, _log_errest(out, A))
    A = to_float(A)
    check_square(A, "logm")
    out = logm_p(A)
    return out if disp else (out, ops.stop_gradient(_log_errest(out, A)))


def _log_errest(out, a):
    r = expm(out) - a
    return (ops.max(ops.sum(ops.abs(r), axis=-2), axis=-1)
            / ops.max(ops.sum(ops.abs(a), axis=-2), axis=-1))


# ---------------------------------------------------------------------------
# solve_sylvester: X with A X + X B = Q. dX solves A dX + dX B = dQ - dA X - X dB; the
# transpose of Q -> X is G -> the solution of A^T Y + Y B^T = G.
# ---------------------------------------------------------------------------

sylvester_p = Primitive("scipy.linalg.solve_sylvester", over_batch(_sylvester))
def_linear(sylvester_p, (2,))


def _syl_vjp_q(g, ans, a, b, q):
    return sylvester_p(T(a), T(b), g)


defjvp(sylvester_p,
       lambda t, ans, a, b, q: sylvester_p(a, b, -(t @ ans)),
       lambda t, ans, a, b, q: sylvester_p(a, b, -(ans @ t)),
       lambda t, ans, a, b, q: sylvester_p(a, b, t))
defvjp(sylvester_p,
       lambda g, ans, a, b, q: unbroadcast(-(_syl_vjp_q(g, ans, a, b, q) @ T(ans)), shape_of(a)),
       lambda g, ans, a, b, q: unbroadcast(-(T(ans) @ _syl_vjp_q(g, ans, a, b, q)), shape_of(b)),
       lambda g, ans, a, b, q: unbroadcast(_syl_vjp_q(g, ans, a, b, q), shape_of(q)),
       keep=(True, True, False), keep_ans=True)
batch_core(sylvester_p, (2, 2, 2))


def solve_sylvester(a, b, q):
    """Differentiable ``scipy.linalg.solve_sylvester``: X with ``a X + X b = q``.

    Differentiable in all three operands to any order; stacks (..., n, n), (..., m, m),
    (..., n, m) on traced values. The solution is unique (and differentiable) where a and
    -b share no eigenvalue.

    Example:
        >>> import numpy as np, funcad as fad
        >>> from funcad.scipy import linalg
        >>> a, b = np.diag([1.0, 2.0]), np.diag([3.0, 4.0])
        >>> fad.grad(lambda q: linalg.solve_sylvester(a, b, q).sum())(np.ones((2, 2)))
        array([[0.25      , 0.2       ],
               [0.2       , 0.16666667]])
    """
    if plain(a, b, q):
        return _sylvester(*(np.asarray(x) for x in (a, b, q)))
    a, b, q = to_float(a), to_float(b), to_float(q)
    check_square(a, "solve_sylvester")
    check_square(b, "solve_sylvester")
    return sylvester_p(a, b, q)
