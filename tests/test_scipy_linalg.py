"""funcad.scipy.linalg: values against SciPy, derivatives the spec table does not reach
(complex inputs, third order, closed forms), batching, and the errors.

The derivative sweep (check_grads fwd + rev to order 2, vmap against a loop) of every
function is in tests/specs/scipy_linalg.py.
"""

from __future__ import annotations

import numpy as np
import pytest

sl = pytest.importorskip("scipy.linalg")

import funcad as fad
import funcad.numpy as fnp
from funcad import tree
from funcad.errors import NoRuleError
from funcad.scipy import linalg as L

RNG = np.random.default_rng(0)
A = RNG.uniform(-1, 1, (3, 3))
AD = A + 3 * np.eye(3)
SPD = A @ A.T + 3 * np.eye(3)
SYM = AD + AD.T
B = RNG.uniform(-1, 1, (3, 2))
BV = RNG.uniform(-1, 1, 3)
TRI = np.triu(A) + np.diag([0.0, 2.0, 4.0]) + 0.1 * A     # distinct real eigenvalues


def _traced(f, *args):
    """f's value on traced inputs (through jvp), to compare with SciPy's on plain ones."""
    return fad.jvp(lambda *a: f(*a), args, args)[0]


def _sign(w, v):
    return w, v * fnp.sign(v[0])


VALUES = [
    ("expm", lambda a: L.expm(a), lambda a: sl.expm(a), (A,)),
    ("expm_frechet", lambda a, e: L.expm_frechet(a, e), lambda a, e: sl.expm_frechet(a, e), (A, B @ B.T)),
    ("sqrtm", lambda a: L.sqrtm(a), lambda a: sl.sqrtm(a), (AD,)),
    ("sqrtm_negative", lambda a: L.sqrtm(a), lambda a: sl.sqrtm(a), (-SPD,)),
    ("logm", lambda a: L.logm(a), lambda a: sl.logm(a), (AD,)),
    ("logm_negative", lambda a: L.logm(a), lambda a: sl.logm(a), (-SPD,)),
    ("solve_sylvester", L.solve_sylvester, sl.solve_sylvester, (AD, SPD, A)),
    ("solve_triangular", lambda a, b: L.solve_triangular(a, b, trans="C", lower=True),
     lambda a, b: sl.solve_triangular(a, b, trans="C", lower=True), (AD + 1j * A, B)),
    ("cholesky", L.cholesky, sl.cholesky, (SPD,)),
    ("cho_factor", lambda a: L.cho_factor(a, lower=True)[0],
     lambda a: sl.cho_factor(a, lower=True)[0], (SPD,)),
    ("cho_solve", lambda a, b: L.cho_solve(L.cho_factor(a), b),
     lambda a, b: sl.cho_solve(sl.cho_factor(a), b), (SPD, BV)),
    ("lu_factor", lambda a: L.lu_factor(a), lambda a: sl.lu_factor(a), (A,)),
    ("lu_solve", lambda a, b: L.lu_solve(L.lu_factor(a), b, trans=2),
     lambda a, b: sl.lu_solve(sl.lu_factor(a), b, trans=2), (A, B)),
    ("lu", L.lu, sl.lu, (A,)),
    ("lu_p_indices", lambda a: L.lu(a, p_indices=True), lambda a: sl.lu(a, p_indices=True), (A,)),
    ("solve_her", lambda a, b: L.solve(a, b, assume_a="her"),
     lambda a, b: sl.solve(a, b, assume_a="her"), (AD + 1j * A, B)),
    ("solve_pos_lower", lambda a, b: L.solve(a, b, assume_a="pos", lower=True),
     lambda a, b: sl.solve(a, b, assume_a="pos", lower=True), (SPD, B)),
    ("solve_gen_T", lambda a, b: L.solve(a, b, transposed=True),
     lambda a, b: sl.solve(a, b, transposed=True), (A, BV)),
    ("inv", L.inv, sl.inv, (A,)),
    ("det", L.det, sl.det, (A,)),
    ("block_diag", L.block_diag, sl.block_diag, (A, BV, np.float64(2.0))),
    ("polar", L.polar, sl.polar, (A,)),
    ("polar_left", lambda a: L.polar(a, "left"), lambda a: sl.polar(a, "left"), (B.T,)),
    ("eigh_subset", lambda a: _sign(*L.eigh(a, subset_by_index=[1, 2])),
     lambda a: _sign(*sl.eigh(a, subset_by_index=[1, 2])), (SYM,)),
    ("eigh_by_value", lambda a: L.eigh(a, subset_by_value=(4.0, np.inf), eigvals_only=True),
     lambda a: sl.eigh(a, subset_by_value=(4.0, np.inf), eigvals_only=True), (SYM,)),
    ("eigh_generalized", lambda a, b: _sign(*L.eigh(a, b, lower=False)),
     lambda a, b: _sign(*sl.eigh(a, b, lower=False)), (SYM, SPD)),
    ("eigvalsh", L.eigvalsh, sl.eigvalsh, (SYM,)),
    ("schur", L.schur, sl.schur, (TRI,)),
]


@pytest.mark.parametrize("name,f,ref,args", VALUES, ids=[v[0] for v in VALUES])
def test_values_match_scipy(name, f, ref, args):
    want = ref(*args)
    # plain inputs: SciPy itself; traced: funcad's rules
    tree.map(lambda g, w: np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-12),
             tuple(tree.leaves(f(*args))), tuple(tree.leaves(want)))
    got = _traced(f, *args)
    for g, w in zip(tree.leaves(got), tree.leaves(want)):
        assert np.asarray(g).shape == np.shape(w)
        np.testing.assert_allclose(g, w, rtol=1e-7, atol=1e-10)


def test_plain_stacks_match_scipy_matrix_by_matrix():
    """Stacks of plain matrices take funcad's loop (SciPy before 1.15 does not batch)."""
    st = np.stack([AD, AD.T, AD + 0.5])
    spd = np.stack([SPD, SPD + np.eye(3)])
    for got, ref in [(L.sqrtm(st), lambda i: sl.sqrtm(st[i])),
                     (L.logm(st), lambda i: sl.logm(st[i])),
                     (L.lu_factor(st)[0], lambda i: sl.lu_factor(st[i])[0]),
                     (L.lu_solve(L.lu_factor(st), BV), lambda i: np.linalg.solve(st[i], BV)),
                     (L.cho_factor(spd)[0], lambda i: sl.cho_factor(spd[i])[0]),
                     (L.solve_triangular(st, B), lambda i: sl.solve_triangular(st[i], B)),
                     (L.schur(st)[0], lambda i: sl.schur(st[i])[0])]:
        np.testing.assert_allclose(got, np.stack([ref(i) for i in range(len(got))]),
                                   rtol=1e-10, atol=1e-12)


def test_expm_vjp_is_the_frechet_derivative_at_the_transpose():
    g = RNG.uniform(-1, 1, (3, 3))
    got = fad.vjp(L.expm, A)[1](g)[0]
    np.testing.assert_allclose(got, sl.expm_frechet(A.T, g)[1], rtol=1e-12)
    t = fad.jvp(L.expm, (A,), (g,))[1]
    np.testing.assert_allclose(t, sl.expm_frechet(A, g)[1], rtol=1e-12)


def test_third_order_and_complex():
    fad.check_grads(lambda a: fnp.trace(L.expm(a)), (0.5 * A[:2, :2],), order=3)
    z = 0.3 * (A + 1j * A.T) + 3 * np.eye(3)
    for f in (L.expm, L.sqrtm, L.logm):
        fad.check_grads(f, (z,), order=2)
    fad.check_grads(lambda a, b: L.solve_triangular(a, b, trans=2), (z, B + 1j * B), order=1)


def test_sqrtm_and_logm_of_real_matrices_with_negative_eigenvalues_are_complex():
    for f in (L.sqrtm, L.logm):
        fad.check_grads(f, (-SPD,), order=1)
        assert np.iscomplexobj(_traced(f, -SPD))


def test_logm_frechet_is_linear_in_small_directions():
    """The block-matrix Frechet derivative rescales E, so a tiny direction loses no digits."""
    e = RNG.uniform(-1, 1, (3, 3))
    big = fad.jvp(L.logm, (AD,), (e,))[1]
    tiny = fad.jvp(L.logm, (AD,), (1e-12 * e,))[1]
    np.testing.assert_allclose(tiny, 1e-12 * big, rtol=1e-10)


def test_solve_sylvester_with_a_complex_right_hand_side_and_real_matrices():
    """SciPy 1.17 solves this case wrong (a residual of 1e-2); sqrtm's derivative relies on
    it whenever a complex cotangent reaches a real sqrtm."""
    q = B @ B.T + 1j * A
    for x in (L.solve_sylvester(AD, SPD, q), _traced(L.solve_sylvester, AD, SPD, q)):
        np.testing.assert_allclose(AD @ x + x @ SPD, q, atol=1e-12)
    g = RNG.uniform(-1, 1, (3, 3)) + 1j * RNG.uniform(-1, 1, (3, 3))
    got = fad.vjp(L.sqrtm, AD)[1](g)[0]
    np.testing.assert_allclose(np.real(got), fad.vjp(L.sqrtm, AD)[1](np.real(g))[0], rtol=1e-10)


def test_disp_false_and_compute_expm_false():
    x, err = fad.jvp(lambda a: L.sqrtm(a, disp=False), (AD,), (AD,))[0]
    np.testing.assert_allclose(x, sl.sqrtm(AD))
    assert float(err) < 1e-12
    _, err = L.logm(AD, disp=False)
    assert float(err) < 1e-12
    only = fad.grad(lambda e: L.expm_frechet(A, e, compute_expm=False).sum())(A)
    assert only.shape == (3, 3)


def test_polar_at_repeated_singular_values_is_finite():
    """sqrtm of a^T a, not an SVD: the identity (all singular values equal) is a smooth point."""
    fad.check_grads(lambda a: L.polar(a)[0], (2.0 * np.eye(3) + 0.01 * A,), order=2)
    g = fad.grad(lambda a: L.polar(a)[1].sum())(np.eye(3))
    assert np.all(np.isfinite(g))


def test_eigh_subset_ignores_a_degenerate_pair_outside_it():
    q = np.linalg.qr(A)[0]
    a = q @ np.diag([1.0, 2.0, 2.0]) @ q.T      # eigenvalue 2 twice, 1 separate
    sym = lambda x: 0.5 * (x + x.T)
    g = fad.grad(lambda x: fnp.sum(L.eigh(sym(x), subset_by_index=[0, 0])[1] ** 3))(a)
    assert np.all(np.isfinite(g))
    g_full = fad.grad(lambda x: fnp.sum(L.eigh(sym(x))[1][:, 1] ** 3))(a)
    assert np.any(np.isnan(g_full))        # the vector of the repeated pair has no derivative


def test_vmap_of_grad_matches_a_loop():
    stack = np.stack([TRI, TRI + 0.1 * A, TRI + 0.1 * A.T])      # real, distinct eigenvalues
    for f in (lambda a: L.logm(a + 3 * np.eye(3)).sum(),
              lambda a: L.lu_solve(L.lu_factor(a), BV).sum(), _schur_sum):
        got = fad.vmap(fad.grad(f))(stack)
        want = np.stack([fad.grad(f)(x) for x in stack])
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def _schur_sum(a):
    return fnp.sum(fnp.diagonal(L.schur(a)[0]) ** 2)


# ---------------------------------------------------------------------------
# errors: what is unsupported, with the way out
# ---------------------------------------------------------------------------

def test_schur_with_complex_eigenvalues_raises_naming_output_complex():
    rot = np.array([[0.0, -1.0], [1.0, 0.0]]) + np.eye(2)
    with pytest.raises(NoRuleError, match="output='complex'"):
        fad.grad(lambda a: L.schur(a)[0].sum())(rot)
    # the complex Schur form is differentiable there (phase-invariant function of it)
    fad.check_grads(lambda a: fnp.real(fnp.diagonal(L.schur(a, output="complex")[0]) ** 2),
                    (rot,), order=1)


def test_schur_with_a_repeated_eigenvalue_raises():
    with pytest.raises(NoRuleError, match="repeated eigenvalue"):
        fad.jvp(lambda a: L.schur(a)[1], (np.eye(2),), (np.ones((2, 2)),))


@pytest.mark.parametrize("call,match", [
    (lambda a: L.solve(a, BV, assume_a="banded"), "assume_a='gen'"),
    (lambda a: L.solve(a, BV, assume_a="lower"), "not a recognized"),
    (lambda a: L.eigh(a, np.eye(3), type=2), "type=1"),
    (lambda a: L.eigh(a, subset_by_index=[2, 5]), "0 <= i <= j < n"),
    (lambda a: L.polar(a[:2], side="right"), "side='left'"),
    (lambda a: L.schur(a, sort="lhp"), "sort"),
    (lambda a: L.expm(a[:2]), "square"),
])
def test_errors_name_the_fix(call, match):
    with pytest.raises((ValueError, np.linalg.LinAlgError), match=match):
        fad.grad(lambda a: fnp.sum(fnp.real(tree.leaves(call(a))[0])))(SYM)


def test_subset_by_value_with_different_counts_under_vmap_raises():
    stack = np.stack([np.diag([1.0, 2.0, 3.0]), np.diag([1.0, 5.0, 6.0])])
    with pytest.raises(ValueError, match="subset_by_index"):
        fad.vmap(lambda a: L.eigh(a, subset_by_value=(0.0, 2.5), eigvals_only=True))(stack)
