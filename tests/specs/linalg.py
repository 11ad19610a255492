"""Specs of funcad.numpy.linalg.

Inputs come from the generic domains and are mapped inside each function to
well-conditioned matrices: ``unit`` entries plus a dominant diagonal (invertible),
separated diagonals for eigh/svd (distinct eigenvalues and singular values), and
``A A^T + n I`` for positive definite ones. Complex specs use phase-invariant
functions of eigenvectors and singular vectors (they are unique only up to phase).
"""

import numpy as np

import funcad.numpy as fnp

from ._spec import Spec

L = fnp.linalg
SQ = [((3, 3),), ((2, 3, 3),)]
SQ1 = [((3, 3),)]


def _dom(a, k=3.0):
    """Diagonally dominant: a in (-0.8, 0.8) plus k I."""
    return a + k * np.eye(a.shape[-1])


def _sep(a, scale=0.3):
    """Small perturbation of diag(0, 3, 6, ...): separated eigen/singular values."""
    m, n = a.shape[-2:]
    d = np.zeros((m, n))
    k = min(m, n)
    d[np.arange(k), np.arange(k)] = 3.0 * np.arange(k, 0, -1)
    return scale * a + d


def _spd(a):
    return a @ fnp.swapaxes(a, -1, -2) + a.shape[-1] * np.eye(a.shape[-1])


def _cat(*xs):
    """One flat array out of several results (the table's vmap-of-grad check needs one)."""
    return fnp.concatenate([fnp.ravel(x) for x in xs])


def _herm(a):
    """The Hermitian part (A + A^H) / 2, exactly Hermitian in floating point: eigh then uses the
    symmetric convention, and finite differences move along Hermitian directions, as its
    derivative does."""
    return 0.5 * (a + fnp.conj(fnp.swapaxes(a, -1, -2)))


def _signfix(w, v):
    """(w, v) with each eigenvector's sign fixed by its largest entry (made positive): FD then
    never straddles a sign flip of LAPACK's choice, which depends on the kernel."""
    top = fnp.abs(v) == fnp.max(fnp.abs(v), axis=-2, keepdims=True)
    return w, v * fnp.sign(fnp.sum(v * top, axis=-2, keepdims=True))


def _phase_free(w, v):
    """Phase-invariant and smooth functions of complex eigenvectors (|v|^2, not |v|, which
    has a kink where an entry crosses 0)."""
    return _cat(w, fnp.real(v * fnp.conj(v)), v @ (w[:, None] * fnp.conj(v.T)))


def _hpd(z):
    return z @ fnp.conj(fnp.swapaxes(z, -1, -2)) + z.shape[-1] * np.eye(z.shape[-1])


SPECS = [
    Spec("inv", lambda a: L.inv(_dom(a)), SQ, "unit"),
    Spec("solve_vec", lambda a, b: L.solve(_dom(a), b), [((3, 3), (3,))], ("unit", "real")),
    Spec("solve_mat", lambda a, b: L.solve(_dom(a), b), [((3, 3), (3, 2)), ((2, 3, 3), (3, 2))],
         ("unit", "real")),
    Spec("det", lambda a: L.det(_dom(a, 1.5)), SQ, "unit"),
    Spec("slogdet", lambda a: L.slogdet(_dom(a))[1], SQ, "unit"),
    Spec("pinv", lambda a: L.pinv(_sep(a)), [((4, 3),), ((2, 4),)], "unit"),
    Spec("cholesky", lambda a: L.cholesky(_spd(a)), SQ, "unit"),
    Spec("cholesky_lower_only", lambda a: L.cholesky(_dom(a)), SQ1, "unit"),
    # eigh of a symmetric input: the symmetric convention (d w_k / dA = v_k v_k^T)
    Spec("eigh", lambda a: _cat(*_signfix(*L.eigh(_sep(_herm(a))))), SQ1, "unit"),
    Spec("eigh_batched", lambda a: _signfix(*L.eigh(_sep(_herm(a))))[1], [((2, 3, 3),)],
         "unit"),
    Spec("eigh_upper", lambda a: _cat(*_signfix(*L.eigh(_sep(_herm(a)), UPLO="U"))), SQ1,
         "unit"),
    Spec("eigvalsh", lambda a: L.eigvalsh(_sep(_herm(a))), SQ1, "unit"),
    # ... of an input that is not symmetric: the derivative of the triangle NumPy reads
    Spec("eigh_one_triangle", lambda a: _cat(*_signfix(*L.eigh(_sep(a)))), SQ1, "unit"),
    Spec("eigh_one_triangle_batched", lambda a: _signfix(*L.eigh(_sep(a)))[1],
         [((2, 3, 3),)], "unit"),
    Spec("eigh_one_triangle_upper", lambda a: _cat(*_signfix(*L.eigh(_sep(a), UPLO="U"))), SQ1,
         "unit"),
    Spec("eigvalsh_one_triangle", lambda a: L.eigvalsh(_sep(a)), SQ1, "unit"),
    Spec("svd", lambda a: _cat(*L.svd(_sep(a), full_matrices=False)),
         [((3, 3),), ((4, 3),), ((2, 4),)], "unit"),
    Spec("eig_real", lambda a: _cat(*L.eig(_sep(a))), SQ1, "unit"),
    Spec("eigvals_complex_pair", lambda a: L.eigvals(0.3 * a + np.array(
        [[0.0, -2.0, 0.0], [2.0, 0.0, 0.0], [0.0, 0.0, 3.0]])), SQ1, "unit"),
    Spec("eig_complex", lambda z: (lambda w, v: _cat(w, fnp.abs(v), v @ (w[:, None] * L.inv(
        v))))(*L.eig(0.2 * z + np.diag([0.0, 3.0, 6.0]))), SQ1, "complex"),
    Spec("svd_values", lambda a: L.svd(_sep(a), compute_uv=False), [((4, 3),)], "unit"),
    Spec("svdvals", lambda a: L.svdvals(_sep(a)), [((2, 3, 2),)], "unit"),
    Spec("qr", lambda a: _cat(*L.qr(_sep(a))), [((3, 3),), ((4, 3),), ((2, 4),)], "unit"),
    Spec("qr_r", lambda a: L.qr(_sep(a), mode="r"), [((4, 3),)], "unit"),
    Spec("lstsq", lambda a, b: L.lstsq(_sep(a), b)[0], [((4, 3), (4,))], ("unit", "real")),
    Spec("norm_vec", lambda x: L.norm(x), [((3,),), ((2, 3),)], "nonzero"),
    Spec("norm_ords", lambda x: fnp.stack([L.norm(x, o) for o in (1, 3, 0.5, np.inf, -np.inf)]),
         [((4,),)], "distinct"),
    Spec("norm_axis_keep", lambda x: L.norm(x, 3, axis=0, keepdims=True), [((3, 2),)], "nonzero"),
    Spec("norm_mat", lambda x: fnp.stack([L.norm(x, o) for o in ("fro", 1, -1, np.inf, -np.inf)]),
         [((3, 3),)], "distinct"),
    Spec("norm_svd_ords", lambda a: fnp.stack([L.norm(_sep(a), o) for o in ("nuc", 2, -2)]),
         [((3, 3),)], "unit"),
    Spec("matrix_norm", lambda a: L.matrix_norm(_sep(a), ord="nuc", keepdims=True), [((2, 3, 3),)],
         "unit"),
    Spec("vector_norm", lambda x: L.vector_norm(x, axis=(0, 1), ord=3), [((2, 3),)], "nonzero"),
    Spec("cond", lambda a: fnp.stack([L.cond(_dom(a)), L.cond(_dom(a), "fro")]), SQ1, "unit"),
    Spec("matrix_power", lambda a: fnp.stack([L.matrix_power(a, 3), L.matrix_power(_dom(a), -2)]),
         SQ1, "unit"),
    Spec("multi_dot", lambda a, b, c: L.multi_dot([a, b, c]), [((3,), (3, 4), (4, 2))]),
    Spec("tensorsolve", lambda a, b: L.tensorsolve(_dom(a.reshape(4, 4)).reshape(2, 2, 2, 2), b),
         [((16,), (2, 2))], ("unit", "real")),
    Spec("tensorinv", lambda a: L.tensorinv(_dom(a).reshape(4, 2, 2), ind=1), [((4, 4),)], "unit"),
    # -- complex inputs (the complex domain; phase-invariant outputs where vectors are involved)
    Spec("inv_complex", lambda z: L.inv(z + 6 * np.eye(3)), SQ1, "complex"),
    Spec("solve_complex", lambda z, b: L.solve(z + 6 * np.eye(3), b), [((3, 3), (3,))],
         "complex"),
    Spec("det_complex", lambda z: L.det(z + 6 * np.eye(3)), SQ1, "complex"),
    Spec("slogdet_complex", lambda z: fnp.stack(L.slogdet(z + 6 * np.eye(3))), SQ1, "complex"),
    Spec("cholesky_complex", lambda z: L.cholesky(_hpd(z)), SQ1, "complex"),
    Spec("eigh_complex", lambda z: _phase_free(*L.eigh(0.1 * _herm(z) + np.diag([0.0, 3.0,
                                                                                6.0]))),
         SQ1, "complex"),
    Spec("eigh_complex_one_triangle", lambda z: _phase_free(*L.eigh(0.1 * z + np.diag(
        [0.0, 3.0, 6.0]))), SQ1, "complex"),
    Spec("svd_complex", lambda z: (lambda u, s, vh: _cat(s, fnp.abs(u), fnp.abs(vh), u @ vh))(
        *L.svd(0.1 * z + np.diag([6.0, 3.0, 1.0]))), SQ1, "complex"),
    Spec("svd_complex_wide", lambda z: (lambda u, s, vh: _cat(s, fnp.abs(vh), u @ vh))(
        *L.svd(0.1 * z + np.array([[4.0, 0, 0], [0, 2.0, 0]]), full_matrices=False)), [((2, 3),)],
         "complex"),
    Spec("qr_complex", lambda z: _cat(*L.qr(0.1 * z + np.diag([6.0, 3.0, 1.0]))), SQ1,
         "complex"),
    Spec("norm_complex", lambda z: fnp.stack([L.norm(z), L.norm(z, 1), L.norm(z, "nuc")]), SQ1,
         "complex"),
]
