"""funcad.numpy.linalg and funcad.numpy.fft beyond the spec table: closed forms (first and
second order), degenerate inputs, NumPy dispatch, and hypothesis-drawn well-conditioned matrices.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import funcad as fad
import funcad.numpy as fnp

L = fnp.linalg
_SET = settings(max_examples=10, deadline=None, derandomize=True, database=None)


def _rng(seed=0):
    return np.random.default_rng(seed)


def _spd(rng, n):
    a = rng.standard_normal((n, n))
    return a @ a.T + n * np.eye(n)


def _dominant(rng, n):
    return rng.uniform(-0.8, 0.8, (n, n)) + 3 * np.eye(n)


matrices = st.tuples(st.integers(1, 4), st.integers(0, 2**31 - 1)).map(
    lambda t: _dominant(_rng(t[1]), t[0]))
spd_matrices = st.tuples(st.integers(1, 4), st.integers(0, 2**31 - 1)).map(
    lambda t: _spd(_rng(t[1]), t[0]))


# ---------------------------------------------------------------------------
# closed forms, first and second order
# ---------------------------------------------------------------------------

@_SET
@given(matrices)
def test_logdet_gradient_is_inverse_transpose(a):
    g = fad.grad(lambda a: L.slogdet(a)[1])(a)
    np.testing.assert_allclose(g, np.linalg.inv(a).T, rtol=1e-10, atol=1e-12)


@_SET
@given(matrices)
def test_logdet_hessian_closed_form(a):
    # d2 log det A [E, F] = -tr(A^-1 E A^-1 F): H[i,j,k,l] = -inv[j,k] inv[l,i]
    ai = np.linalg.inv(a)
    h = fad.hessian(lambda a: L.slogdet(a)[1])(a)
    np.testing.assert_allclose(h, -np.einsum("jk,li->ijkl", ai, ai), rtol=1e-9, atol=1e-12)


@_SET
@given(matrices)
def test_det_gradient_is_cofactor(a):
    g = fad.grad(L.det)(a)
    np.testing.assert_allclose(g, np.linalg.det(a) * np.linalg.inv(a).T, rtol=1e-9, atol=1e-12)


@_SET
@given(matrices)
def test_inverse_jvp_and_trace_gradient(a):
    ai = np.linalg.inv(a)
    e = np.arange(a.size, dtype=float).reshape(a.shape)
    _, t = fad.jvp(L.inv, (a,), (e,))
    np.testing.assert_allclose(t, -ai @ e @ ai, rtol=1e-10, atol=1e-12)
    g = fad.grad(lambda a: fnp.sum(fnp.diagonal(L.inv(a)) if hasattr(fnp, "diagonal") else
                                   L.inv(a) * np.eye(a.shape[0])))(a)
    np.testing.assert_allclose(g, -(ai @ ai).T, rtol=1e-10, atol=1e-12)


@_SET
@given(spd_matrices)
def test_cholesky_reconstructs_and_second_order(a):
    f = lambda a: fnp.sum(L.cholesky(a) ** 3)
    fad.check_grads(f, (a,), order=2)
    lo = L.cholesky(a)
    np.testing.assert_allclose(lo @ lo.T, a, rtol=1e-10, atol=1e-10)


def test_eigh_eigenvalue_second_derivative_closed_form():
    rng = _rng(1)
    a = np.diag([1.0, 2.0, 4.0]) + 0.1 * _spd(rng, 3)
    w, v = np.linalg.eigh(a)
    e = rng.standard_normal((3, 3))
    e = e + e.T
    k = 1
    # d^2 w_k [E, E] = 2 sum_{j != k} (v_j^T E v_k)^2 / (w_k - w_j)
    want = 2 * sum((v[:, j] @ e @ v[:, k]) ** 2 / (w[k] - w[j]) for j in range(3) if j != k)
    first = lambda a: fad.jvp(lambda a: L.eigh(a)[0][k], (a,), (e,))[1]
    got = fad.jvp(first, (a,), (e,))[1]
    np.testing.assert_allclose(got, want, rtol=1e-8)


def test_nuclear_norm_gradient_is_u_vt():
    a = _rng(2).standard_normal((4, 3))
    u, _, vt = np.linalg.svd(a, full_matrices=False)
    np.testing.assert_allclose(fad.grad(lambda a: L.norm(a, "nuc"))(a), u @ vt, atol=1e-12)


def test_parseval_gradient():
    x = _rng(3).standard_normal(8)
    g = fad.grad(lambda x: fnp.sum(fnp.abs(fnp.fft.fft(x)) ** 2))(x)
    np.testing.assert_allclose(g, 2 * 8 * x, rtol=1e-12)


# ---------------------------------------------------------------------------
# values match NumPy; np.linalg / np.fft route here on traced values
# ---------------------------------------------------------------------------

_NORM_CASES = [(None, None, (3, 4)), ("fro", None, (3, 4)), ("nuc", None, (3, 4)),
               (1, None, (3, 4)), (-1, None, (3, 4)), (2, None, (3, 4)), (-2, None, (3, 4)),
               (np.inf, None, (3, 4)), (-np.inf, None, (3, 4)), (None, None, (2, 3, 4)),
               (0, 0, (3, 4)), (1, 1, (3, 4)), (3.5, -1, (3, 4)), (np.inf, 0, (3, 4)),
               (-np.inf, 1, (3, 4)), (2, (0,), (3, 4)), ("fro", (0, 2), (2, 3, 4)),
               (1, (2, 0), (2, 3, 4)), (np.inf, (1, 2), (2, 3, 4)), ("nuc", (-1, -2), (2, 3, 4))]


@pytest.mark.parametrize("ord_,axis,shape", _NORM_CASES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_norm_values_match_numpy(ord_, axis, shape, keepdims):
    x = _rng(4).standard_normal(shape)
    if axis is None and len(shape) > 2 and ord_ is not None:
        return
    want = np.linalg.norm(x, ord_, axis, keepdims)
    got, _ = fad.jvp(lambda x: L.norm(x, ord_, axis, keepdims), (x,), (np.ones(shape),))
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_numpy_functions_route_to_funcad():
    a = _dominant(_rng(5), 3)
    g = fad.grad(lambda a: np.linalg.det(a) + np.sum(np.linalg.inv(a)) +
                 np.linalg.norm(a) + np.sum(np.abs(np.fft.fft(a)) ** 2))(a)
    want = fad.grad(lambda a: L.det(a) + fnp.sum(L.inv(a)) + L.norm(a) +
                    fnp.sum(fnp.abs(fnp.fft.fft(a)) ** 2))(a)
    np.testing.assert_allclose(g, want, rtol=1e-12)
    assert fnp.linalg is L and hasattr(fnp, "fft")


def test_vmap_of_solve_broadcasts_extra_leading_axes():
    rng = _rng(6)
    a = np.stack([_dominant(rng, 3) for _ in range(4)])
    b = rng.standard_normal((2, 3, 2))
    got = fad.vmap(L.solve, in_axes=(0, None))(a, b)
    want = np.stack([np.linalg.solve(ai, b) for ai in a])
    np.testing.assert_allclose(got, want, rtol=1e-12)


@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_gradient_of_a_symmetric_input_is_v_vT(uplo):
    # JAX's and PyTorch's convention: d w_k / dA = v_k v_k^T, symmetric, whichever triangle
    # LAPACK reads
    a = _spd(_rng(7), 3)
    w, v = np.linalg.eigh(a)
    for k in range(3):
        g = fad.grad(lambda a: L.eigh(a, UPLO=uplo)[0][k])(a)
        np.testing.assert_allclose(g, np.outer(v[:, k], v[:, k]), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(fad.grad(lambda a: L.eigvalsh(a, UPLO=uplo)[k])(a), g)
        j = fad.jacfwd(lambda a: L.eigh(a, UPLO=uplo)[0][k])(a)
        np.testing.assert_allclose(j, g, rtol=1e-10, atol=1e-12)
    # a non-symmetric tangent counts through its symmetric part
    e = _rng(3).standard_normal((3, 3))
    _, t = fad.jvp(lambda a: L.eigvalsh(a, UPLO=uplo), (a,), (e,))
    np.testing.assert_allclose(t, np.einsum("ik,ij,jk->k", v, (e + e.T) / 2, v), rtol=1e-10)


def test_eigh_gradient_of_a_hermitian_input_is_v_vH():
    rng = _rng(4)
    z = rng.standard_normal((3, 3)) + 1j * rng.standard_normal((3, 3))
    a = z @ z.conj().T + np.diag([0.0, 3.0, 6.0])
    w, v = np.linalg.eigh(a)
    g = fad.grad(lambda a: L.eigvalsh(a)[2])(a)
    # the bilinear convention: grad of a real function of complex A is conj of d/dA-bar
    np.testing.assert_allclose(g, np.outer(v[:, 2], v[:, 2].conj()).T, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(g, g.conj().T, atol=1e-12)


def test_eigh_of_a_one_triangle_input_differentiates_that_triangle():
    # an input that relies on UPLO (the other triangle garbage) is not Hermitian: its
    # derivative is that of the triangle NumPy reads, mirrored
    a = _spd(_rng(7), 3)
    lower = np.tril(a) + np.triu(np.full((3, 3), 7.0), 1)
    g_lower = fad.grad(lambda a: fnp.sum(L.eigh(a)[0] ** 2))(lower)
    assert np.all(np.triu(g_lower, 1) == 0)
    w = np.linalg.eigvalsh(a)
    np.testing.assert_allclose(np.sum(w ** 2), np.sum(np.linalg.eigvalsh(lower) ** 2))
    np.testing.assert_allclose(g_lower, 2 * np.tril(a) + 2 * np.tril(a, -1), rtol=1e-10)
    upper = np.triu(a)
    g_upper = fad.grad(lambda a: fnp.sum(L.eigh(a, UPLO="U")[0] ** 2))(upper)
    assert np.all(np.tril(g_upper, -1) == 0)
    fad.check_grads(lambda a: L.eigh(a)[0], (lower,), order=2)
    # under vmap, each example gets its own convention
    stack = np.stack([a, lower])
    f = fad.grad(lambda a: L.eigvalsh(a)[1])
    np.testing.assert_allclose(fad.vmap(f)(stack), np.stack([f(a), f(lower)]), rtol=1e-12)


def test_eigh_round_off_asymmetry_still_counts_as_symmetric():
    q, _ = np.linalg.qr(_rng(5).standard_normal((4, 4)))
    a = q @ np.diag([1.0, 2.0, 3.0, 4.0]) @ q.T        # symmetric up to round-off only
    g = fad.grad(lambda a: L.eigvalsh(a)[3])(a)
    np.testing.assert_allclose(g, np.outer(q[:, 3], q[:, 3]), rtol=1e-8, atol=1e-10)


def test_lstsq_matches_numpy():
    rng = _rng(8)
    a, b = rng.standard_normal((5, 3)), rng.standard_normal(5)
    x, res, rank, s = fad.jvp(lambda a: L.lstsq(a, b), (a,), (np.ones_like(a),))[0]
    wx, wres, wrank, ws = np.linalg.lstsq(a, b)
    np.testing.assert_allclose(x, wx, rtol=1e-10)
    np.testing.assert_allclose(res, wres, rtol=1e-10)
    assert int(rank) == wrank
    np.testing.assert_allclose(s, ws, rtol=1e-12)


def test_matrix_rank_has_zero_derivative():
    a = _dominant(_rng(9), 3)
    g = fad.grad(lambda a: L.matrix_rank(a) * fnp.sum(a))(a)
    np.testing.assert_allclose(g, 3 * np.ones((3, 3)))


# ---------------------------------------------------------------------------
# degenerate inputs: an error or NaN, never a silently wrong number
# ---------------------------------------------------------------------------

def test_singular_matrices_raise():
    s = np.array([[1.0, 2.0], [2.0, 4.0]])
    with pytest.raises(np.linalg.LinAlgError):
        fad.grad(lambda a: fnp.sum(L.inv(a)))(s)
    with pytest.raises(np.linalg.LinAlgError):
        fad.grad(lambda a: fnp.sum(L.solve(a, np.ones(2))))(s)
    with pytest.raises(np.linalg.LinAlgError):
        fad.grad(L.det)(s)
    with pytest.raises(np.linalg.LinAlgError):
        fad.grad(lambda a: fnp.sum(L.cholesky(a)))(-np.eye(2))
    with pytest.raises(np.linalg.LinAlgError, match="square"):
        fad.grad(L.det)(np.ones((2, 3)))


def test_eigh_repeated_eigenvalues():
    a = np.diag([1.0, 1.0, 3.0])
    # the trace and the isolated eigenvalue are fine
    np.testing.assert_allclose(fad.grad(lambda a: fnp.sum(L.eigvalsh(a)))(a),
                               np.tril(np.ones((3, 3))) * np.eye(3))
    np.testing.assert_allclose(fad.grad(lambda a: L.eigh(a)[0][2])(a), np.diag([0.0, 0, 1]))
    # a single member of the repeated pair is not differentiable (kink) ...
    assert np.all(np.isnan(fad.grad(lambda a: L.eigh(a)[0][0])(a)))
    # ... nor are the eigenvectors of the repeated eigenvalue
    assert np.all(np.isnan(fad.grad(lambda a: L.eigh(a)[1][0, 0])(a)))
    split = np.array([[0.0, 1, 0], [1, 0, 0], [0, 0, 0]])
    assert np.isnan(fad.jvp(lambda a: L.eigh(a)[0], (a,), (split,))[1][:2]).all()
    # a perturbation that keeps the eigenspace gives the right answer
    _, t = fad.jvp(lambda a: L.eigh(a)[0], (a,), (np.eye(3),))
    np.testing.assert_allclose(t, np.ones(3))


def test_svd_repeated_and_zero_singular_values():
    a = np.diag([2.0, 2.0, 1.0])
    np.testing.assert_allclose(fad.grad(lambda a: fnp.sum(L.svdvals(a)))(a), np.eye(3))
    assert np.all(np.isnan(fad.grad(lambda a: L.svd(a)[0][0, 0])(a)))
    tall = np.vstack([np.diag([2.0, 0.0]), np.zeros((1, 2))])
    g = fad.grad(lambda a: L.svd(a, full_matrices=False)[0][2, 1])(tall)
    assert np.isnan(g).any()


def test_complete_factors_extra_columns_are_nan():
    tall = _rng(10).standard_normal((4, 2))
    cases = [(lambda a: L.svd(a)[0], (slice(None), slice(2, None))),
             (lambda a: L.qr(a, mode="complete")[0], (slice(None), slice(2, None))),
             (lambda a: L.svd(a.T)[2], (slice(2, None), slice(None)))]
    for f, extra in cases:
        assert np.all(np.isnan(fad.grad(lambda a: fnp.sum(f(a)))(tall)))
        _, t = fad.jvp(f, (tall,), (np.ones_like(tall),))
        assert np.all(np.isnan(t[extra]))
        t[extra] = 0
        assert np.all(np.isfinite(t))
    # the determined parts are differentiable, to second order, in both modes
    fad.check_grads(lambda a: L.svd(a)[0][:, :2] * L.svd(a)[1], (tall,), order=2)
    fad.check_grads(lambda a: L.svd(a.T)[2][:2], (tall,), order=2)
    fad.check_grads(lambda a: (lambda q, r: (q[:, :2], r))(*L.qr(a, mode="complete")), (tall,),
                    order=2)
    fad.check_grads(lambda a: L.svd(a, compute_uv=False), (tall,), order=1)


@pytest.mark.parametrize("a", [
    # exactly rank-deficient in floating point: integer multiples leave |R_11| of about
    # eps * max|R| (0.09 to 0.14 of the tolerance on the kernels measured), a zero column an
    # exact 0 (NaN too, not LinAlgError)
    np.array([[1.0, 3.0], [2.0, 6.0], [3.0, 9.0], [4.0, 12.0]]),
    np.array([[1.0, 0.0], [2.0, 0.0], [3.0, 0.0]]),
    np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0]]),          # wide: the leading block
], ids=["multiples", "zero_column", "wide"])
def test_rank_deficient_qr_gives_nan(a):
    def f(a):
        return fnp.sum(L.qr(a)[1]) + fnp.sum(L.qr(a)[0])
    k = min(a.shape)      # wide: the columns past the leading block only enter R = Q^H A
    assert np.all(np.isnan(fad.grad(f)(a)[:, :k]))
    t = np.zeros_like(a)
    t[:, :k] = 1.0
    assert np.all(np.isnan(fad.jvp(f, (a,), (t,))[1]))


def test_full_rank_qr_has_finite_derivative():
    a = np.array([[1.0, 3.0], [2.0, 6.0], [3.0, 9.5]])
    assert np.all(np.isfinite(fad.grad(lambda a: fnp.sum(L.qr(a)[1]))(a)))


def test_eig_general_matrices():
    rot = np.array([[0.3, -2.0, 0.1], [1.5, 0.2, 0.4], [0.1, 0.3, 1.0]])   # a complex pair
    w = np.linalg.eigvals(rot)
    assert np.iscomplexobj(w)
    # eigenvalue derivative: u_i v_j / (u . v) with left/right eigenvectors
    wl, vl = np.linalg.eig(rot.T)
    wr, vr = np.linalg.eig(rot)
    k = int(np.argmax(wr.imag))
    kl = int(np.argmin(np.abs(wl - wr[k])))
    u, v = vl[:, kl], vr[:, k]
    _, t = fad.jvp(lambda a: np.linalg.eigvals(a)[k], (rot,), (np.ones((3, 3)),))
    np.testing.assert_allclose(t, np.sum(np.outer(u, v)) / (u @ v), rtol=1e-10)
    fad.check_grads(lambda a: (lambda w, v: (w, fnp.abs(v)))(*L.eig(a)), (rot,), order=2)
    # a repeated eigenvalue: NaN for one member, fine for symmetric functions of both
    assert np.all(np.isnan(fad.grad(lambda a: fnp.real(L.eigvals(a)[0]))(np.eye(2))))
    np.testing.assert_allclose(fad.grad(lambda a: fnp.sum(fnp.real(L.eigvals(a))))(np.eye(2)),
                               np.eye(2))
    np.testing.assert_allclose(L.eigvals(np.diag([1.0, 3.0])), [1.0, 3.0])


def test_norm_at_zero_is_nan_not_zero():
    with np.errstate(all="ignore"):
        assert np.all(np.isnan(fad.grad(L.norm)(np.zeros(3))))


def test_fft_errors_are_clear():
    with pytest.raises(ValueError, match="norm"):
        fad.grad(lambda x: fnp.sum(fnp.abs(fnp.fft.fft(x, norm="bad"))))(np.ones(4))
    with pytest.raises(ValueError, match="n=0"):
        fad.grad(lambda x: fnp.sum(fnp.abs(fnp.fft.fft(x, n=0))))(np.ones(4))
    with pytest.raises(TypeError, match="rfft"):
        fad.jvp(fnp.fft.rfft, (np.ones(4) + 0j,), (np.ones(4) + 0j,))


def test_array_api_linalg_names_route_here():
    rng = _rng(11)
    a, b = rng.standard_normal((2, 3, 3)), rng.standard_normal((2, 3, 3))
    fs = [lambda a, b: np.linalg.matmul(a, b), lambda a, b: np.linalg.matrix_transpose(a) * b,
          lambda a, b: np.linalg.outer(a[0, 0], b[0, 0]),
          lambda a, b: np.linalg.tensordot(a, b[0], axes=2), lambda a, b: np.linalg.vecdot(a, b),
          lambda a, b: np.linalg.diagonal(a * b, offset=1), lambda a, b: np.linalg.trace(a @ b),
          lambda a, b: np.linalg.cross(a, b)]
    for f in fs:
        fad.check_grads(f, (a, b), order=1)
        np.testing.assert_allclose(fad.jvp(f, (a, b), (a, b))[0], f(a, b), rtol=1e-12)


# ---------------------------------------------------------------------------
# funcad.scipy: optional
# ---------------------------------------------------------------------------

def test_funcad_scipy_without_scipy_names_the_extra(monkeypatch):
    import importlib
    import sys
    for mod in [m for m in sys.modules if m == "funcad.scipy" or m.startswith("funcad.scipy.")]:
        monkeypatch.delitem(sys.modules, mod)
    monkeypatch.setitem(sys.modules, "scipy", None)
    with pytest.raises(ImportError, match=r"funcad\[scipy\]"):
        importlib.import_module("funcad.scipy")


def test_special_derivative_in_the_order_raises():
    pytest.importorskip("scipy")
    from funcad.errors import NoRuleError
    from funcad.scipy import special
    with pytest.raises(NoRuleError, match="order"):
        fad.grad(lambda v: special.jv(v, 1.5))(1.0)
    # with respect to x it is fine, through scipy's own ufunc as well
    import scipy.special as ss
    fad.check_grads(lambda x: ss.jv(1.0, x) * ss.kv(0.5, x), (np.array([0.7, 1.9]),), order=2)
