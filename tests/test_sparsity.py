"""Sparsity detection, colouring and compressed sparse Jacobians/Hessians.

The one property that matters: a detected pattern holds every nonzero of the dense
Jacobian (Hessian) at random points (over-approximation allowed, under- never), for every
spec row of the table-driven test and for random programs; the compressed results equal
the dense ones; the colourings are valid and reach the known counts on banded patterns.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import funcad as fad
import funcad.numpy as fnp
from funcad import _index_sets, tree
from funcad._coloring import (ORDERS, column_coloring, decompress_star, is_star_coloring,
                              row_coloring, star_coloring)
from funcad._index_sets import SparsityError
from funcad._pattern import SparsityPattern
from funcad._sparse_api import (hessian_sparsity, jacobian_sparsity, sparse_hessian,
                                sparse_jacobian)
from funcad.errors import ConcretizationError

from .fuzz_programs import programs
from .test_primitives import CASES, IDS


def _flat(f, args):
    flat, unravel = tree.ravel_pytree(tuple(args))

    def g(v):
        out = f(*unravel(v))
        return fnp.concatenate([fnp.ravel(o) for o in tree.leaves(out)]) if isinstance(
            out, (tuple, list, dict)) else fnp.ravel(out)
    return flat, g


def _pattern(detector, f, x):
    """The global pattern, or the local one where f branches on its values."""
    try:
        return detector(f)(x)
    except ConcretizationError:
        return detector(f, local=True)(x)


def _covers(pattern: SparsityPattern, dense: np.ndarray, what: str):
    dense = np.asarray(dense).reshape(pattern.shape)
    missed = (dense != 0) & ~np.isnan(dense) & ~pattern.toarray()
    assert not missed.any(), f"{what}: the pattern misses {np.argwhere(missed)[:5].tolist()}"


# ---------------------------------------------------------------------------
# every spec row: the pattern holds the dense Jacobian's and Hessian's nonzeros
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("spec,shapes", CASES, ids=IDS)
def test_spec_rows_pattern_covers_dense(spec, shapes):
    rng = np.random.default_rng(5)
    args = spec.sample(rng, shapes)
    if any(np.asarray(a).dtype.kind == "c" for a in args):
        pytest.skip("complex inputs: the pattern is the same, the dense check is real")
    x, g = _flat(spec.fn, args)
    with np.errstate(all="ignore"):
        pat = _pattern(jacobian_sparsity, g, x)
        for k in range(2):
            xk = x if k == 0 else spec.sample(rng, shapes)
            xk = tree.ravel_pytree(tuple(xk))[0] if k else xk
            _covers(pat if k == 0 else _pattern(jacobian_sparsity, g, xk),
                    fad.jacobian(g)(xk), f"{spec.name} Jacobian")
        if spec.order >= 2 and len(x) <= 40:
            s = lambda v: fnp.sum(fnp.real(g(v)))          # noqa: E731
            hp = _pattern(hessian_sparsity, s, x)
            assert (hp.toarray() == hp.toarray().T).all()
            _covers(hp, fad.hessian(s)(x), f"{spec.name} Hessian")


@pytest.mark.parametrize("spec,shapes", CASES[::7], ids=IDS[::7])
def test_spec_rows_sparse_equals_dense(spec, shapes):
    args = spec.sample(np.random.default_rng(6), shapes)
    if any(np.asarray(a).dtype.kind == "c" for a in args):
        pytest.skip("complex")
    x, g = _flat(spec.fn, args)
    with np.errstate(all="ignore"):
        try:
            jacobian_sparsity(g)(x)
            local = False
        except ConcretizationError:
            local = True
        dense = fad.jacobian(g)(x).reshape(-1, len(x))
        for mode in ("fwd", "rev") if dense.dtype.kind != "c" else ("fwd", "auto"):
            r, c, v = sparse_jacobian(g, mode=mode, format="coo", local=local)(x)
            got = np.zeros(dense.shape, np.result_type(v, dense))
            got[r, c] = v
            np.testing.assert_allclose(got, dense, rtol=1e-10, atol=1e-12)


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(prog=programs())
def test_random_programs_pattern_covers_dense(prog):
    f = prog.function(np)
    args = prog.make_args()
    x, g = _flat(f, args)
    with np.errstate(all="ignore"):
        dense = fad.jacobian(g)(x)
        _covers(_pattern(jacobian_sparsity, g, x), dense, "program Jacobian")
        try:
            jacobian_sparsity(g)(x)
            local = False
        except ConcretizationError:
            local = True
        r, c, v = sparse_jacobian(g, format="coo", local=local)(x)
        got = np.zeros(np.shape(dense), np.result_type(v, dense)).reshape(-1, len(x))
        got[r, c] = v
        np.testing.assert_allclose(got, np.reshape(dense, got.shape), rtol=1e-9, atol=1e-12)
        if prog.order >= 2:
            s = lambda v: fnp.sum(g(v))          # noqa: E731
            _covers(_pattern(hessian_sparsity, s, x), fad.hessian(s)(x), "program Hessian")


# ---------------------------------------------------------------------------
# the rules: exact patterns where the structure is known
# ---------------------------------------------------------------------------

def rosen(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def stencil(n):
    def f(u):
        u = u.reshape(n, n)
        up = np.pad(u, 1)
        return (up[:-2, 1:-1] + up[2:, 1:-1] + up[1:-1, :-2] + up[1:-1, 2:] - 4 * u
                + np.exp(u)).ravel()
    return f


def _tri(n):
    return (np.abs(np.subtract.outer(np.arange(n), np.arange(n))) <= 1)


def test_exact_patterns_of_structural_ops():
    x = np.linspace(0.1, 1.0, 6)
    p = jacobian_sparsity(lambda x: x[1:] - x[:-1] ** 2)(x)
    assert (p.toarray() == np.eye(5, 6, 0, bool) | np.eye(5, 6, 1, bool)).all()
    assert (hessian_sparsity(rosen)(x).toarray() == _tri(6)).all()
    # cumsum: lower triangular; a constant sparse matrix: its nonzeros
    assert (jacobian_sparsity(np.cumsum)(x).toarray() == np.tril(np.ones((6, 6), bool))).all()
    a = np.diag(np.ones(6)) + np.diag(np.ones(5), 1)
    assert (jacobian_sparsity(lambda x: a @ np.sin(x))(x).toarray() == (a != 0)).all()
    assert (jacobian_sparsity(lambda x: np.einsum("ij,j->i", a, x))(x).toarray()
            == (a != 0)).all()
    # matmul of two traced values: bilinear, so no x*x pairs
    hp = hessian_sparsity(lambda x: x[:3] @ x[3:])(x).toarray()
    assert not hp[:3, :3].any() and hp[:3, 3:].all() and not hp[3:, 3:].any()
    # pad, roll, flip, concatenate, stack, transpose, at[].set / add
    p = jacobian_sparsity(lambda x: np.roll(np.flip(x), 1))(x).toarray()
    assert p.sum() == 6 and (p.sum(0) == 1).all()
    p = jacobian_sparsity(lambda x: x.at[np.array([0, 0])].add(x[3:5]))(x).toarray()
    assert p[0, [0, 3, 4]].all() and p.sum() == 8
    p = jacobian_sparsity(lambda x: x.at[2].set(x[5] ** 2))(x).toarray()
    assert p[2].tolist() == [0, 0, 0, 0, 0, 1] and p.sum() == 6
    p = jacobian_sparsity(lambda x: np.stack([x[:3], x[3:]]).T.ravel())(x).toarray()
    assert (p == np.eye(6)[[0, 3, 1, 4, 2, 5]]).all()
    # reductions along an axis and where with a constant mask
    p = jacobian_sparsity(lambda x: np.max(x.reshape(2, 3), axis=1))(x).toarray()
    assert (p == np.repeat(np.eye(2, dtype=bool), 3, axis=1)).all()
    mask = np.array([True, False] * 3)
    p = jacobian_sparsity(lambda x: np.where(mask, x, np.roll(x, 1)))(x).toarray()
    assert p.sum() == 6
    assert jacobian_sparsity(stencil(5))(np.ones(25)).nnz == 5 * 25 - 4 * 5


def test_computed_indices_are_dense_along_their_axis_only():
    x = np.random.default_rng(0).standard_normal((3, 4))
    lines = np.kron(np.eye(3, dtype=bool), np.ones((4, 4), bool))    # row i reads row i
    assert (jacobian_sparsity(lambda x: np.sort(x, axis=1).ravel())(x).toarray() == lines).all()
    p = jacobian_sparsity(lambda x: x[np.argmax(x, axis=0), np.arange(4)])(x).toarray()
    assert (p == np.tile(np.eye(4, dtype=bool), 3)).all()           # column j reads column j
    assert jacobian_sparsity(lambda x: fnp.ones(4)[np.argmax(x, axis=0)])(x).nnz == 0


def test_linear_ops_add_no_hessian_pairs():
    x = np.arange(1.0, 7.0)
    hp = hessian_sparsity(lambda x: np.sum(np.cumsum(x) * 3 + x[::-1]) + x[0] * x[1])(x)
    assert hp.toarray().sum() == 2 and hp.toarray()[0, 1]


def test_custom_rules_and_checkpoint_are_traced_through():
    @fad.custom_jvp
    def ste(x):
        return np.round(x)

    @ste.defjvp
    def _ste_jvp(p, t):
        return ste(p[0]), t[0]

    x = np.linspace(0, 1, 5)
    p = jacobian_sparsity(lambda x: ste(x[1:]) * 2 + x[:-1])(x).toarray()
    assert (p == np.eye(4, 5, 0, bool) | np.eye(4, 5, 1, bool)).all()   # the rule's tangent
    got = sparse_jacobian(lambda x: ste(x[1:]) * 2 + x[:-1], format="coo")(x)
    assert sorted(zip(got[0].tolist(), got[1].tolist(), got[2].tolist()))[:2] == [
        (0, 0, 1.0), (0, 1, 2.0)]
    g = fad.checkpoint(lambda x: np.sin(x[1:]) * x[:-1])
    assert jacobian_sparsity(g)(x).nnz == 8


# ---------------------------------------------------------------------------
# colouring
# ---------------------------------------------------------------------------

def _valid_columns(p, colors):
    for r in range(p.shape[0]):
        cols = p.indices[p.indptr[r]:p.indptr[r + 1]]
        if len(set(colors[cols].tolist())) != len(cols):
            return False
    return True


def test_coloring_counts():
    x = np.ones(40)
    p = jacobian_sparsity(lambda x: x[1:-1] ** 2 - x[:-2] + np.sin(x[2:]))(x)
    assert column_coloring(p.rows, p.cols, p.shape).ncolors == 3
    h = hessian_sparsity(rosen)(x)
    for order in ORDERS[:-1]:                  # dsatur is distance-1 only
        c = star_coloring(h.rows, h.cols, 40, order)
        assert is_star_coloring(h.rows, h.cols, c.colors, 40)
    assert star_coloring(h.rows, h.cols, 40).ncolors == 3
    p = jacobian_sparsity(stencil(20))(np.ones(400))
    for order in ORDERS:
        c = column_coloring(p.rows, p.cols, p.shape, order)
        assert c.ncolors <= 7 and _valid_columns(p, c.colors), order
    assert column_coloring(p.rows, p.cols, p.shape, "best").ncolors == 5     # optimal (dsatur)
    blocks = jacobian_sparsity(lambda x: np.sum(x.reshape(10, 4, 1) * x.reshape(10, 1, 4),
                                                axis=2).ravel())(x)
    assert column_coloring(blocks.rows, blocks.cols, blocks.shape).ncolors == 4
    assert row_coloring(blocks.rows, blocks.cols, blocks.shape).ncolors == 4


def test_random_colorings_are_valid_and_decompress():
    rng = np.random.default_rng(1)
    for trial in range(6):
        n = 30
        a = (rng.random((n, n)) < 0.08) * rng.standard_normal((n, n))
        a = a + a.T + np.diag(rng.uniform(1, 2, n))
        p = SparsityPattern.from_any(a)
        for order in ORDERS:
            if order == "dsatur":
                with pytest.raises(ValueError, match="distance-1"):
                    star_coloring(p.rows, p.cols, n, order)
                continue
            c = star_coloring(p.rows, p.cols, n, order)
            assert is_star_coloring(p.rows, p.cols, c.colors, n)
            r, k = decompress_star(p.rows, p.cols, c.colors, n)
            seeds = np.zeros((n, c.ncolors))
            seeds[np.arange(n), c.colors] = 1
            b = a @ seeds
            np.testing.assert_allclose(b[r, k], a[p.rows, p.cols])
        for order in ORDERS:
            cc = column_coloring(p.rows, p.cols, p.shape, order)
            assert _valid_columns(p, cc.colors)
        h = sparse_hessian(lambda x: x @ a @ x / 2, format="coo", order="best")
        rr, cc_, vv = h(rng.standard_normal(n))
        np.testing.assert_allclose(vv, a[rr, cc_])


# ---------------------------------------------------------------------------
# compressed evaluation
# ---------------------------------------------------------------------------

def test_sparse_hessian_and_jacobian_equal_dense():
    x = np.random.default_rng(0).standard_normal(12)
    h = sparse_hessian(rosen, format="coo")
    r, c, v = h(x)
    dense = fad.hessian(rosen)(x)
    assert h.coloring(x).ncolors == 3
    np.testing.assert_allclose(v, dense[r, c])
    assert len(v) == np.count_nonzero(_tri(12))
    f = stencil(6)
    u = np.random.default_rng(1).standard_normal(36)
    for mode in ("auto", "fwd", "rev"):
        jr, jc, jv = sparse_jacobian(f, mode=mode, format="coo")(u)
        np.testing.assert_allclose(jv, fad.jacobian(f)(u)[jr, jc])


def test_pytree_inputs_and_outputs_are_raveled():
    params = {"a": np.arange(1.0, 4.0), "b": np.array(2.0)}

    def f(p):
        return {"y": p["a"] * p["b"], "z": np.sin(p["a"][:1])}

    flat, unravel = tree.ravel_pytree(params)
    g = lambda v: fnp.concatenate([fnp.ravel(o) for o in tree.leaves(f(unravel(v)))])  # noqa: E731
    r, c, v = sparse_jacobian(f, format="coo")(params)
    got = np.zeros((4, 4))
    got[r, c] = v
    np.testing.assert_allclose(got, fad.jacobian(g)(flat))
    assert jacobian_sparsity(f)(params).shape == (4, 4)


def test_float32_and_pytree_hessian():
    x32 = np.linspace(-1.0, 1.0, 9).astype(np.float32)
    r, c, v = sparse_hessian(rosen, format="coo")(x32)
    assert v.dtype == np.float32
    np.testing.assert_allclose(v, fad.hessian(rosen)(x32)[r, c], rtol=1e-5)
    r, c, v = sparse_jacobian(lambda x: x[1:] * x[:-1], sparsity=np.eye(8, 9) + np.eye(8, 9, 1),
                              format="coo")(x32)            # the pattern check in float32
    assert v.dtype == np.float32

    def obj(p):
        return np.sum(p["w"] ** 2 * p["b"]) + np.sin(p["b"])

    params = {"b": np.array(0.5), "w": np.arange(1.0, 4.0)}
    r, c, v = sparse_hessian(obj, format="coo")(params)
    flat, unravel = tree.ravel_pytree(params)
    dense = fad.hessian(lambda v: obj(unravel(v)))(flat)
    got = np.zeros((4, 4))
    got[r, c] = v
    np.testing.assert_allclose(got, dense)
    assert sorted(zip(r.tolist(), c.tolist())) == [(0, 0), (0, 1), (0, 2), (0, 3), (1, 0),
                                                   (1, 1), (2, 0), (2, 2), (3, 0), (3, 3)]


def test_scipy_result_and_cache():
    sp = pytest.importorskip("scipy.sparse")
    jac = sparse_jacobian(lambda x: np.sin(x) * x[::-1])
    out = jac(np.arange(1.0, 5.0))
    assert isinstance(out, sp.csr_array) and out.shape == (4, 4)
    jac(np.arange(2.0, 6.0))
    assert len(jac._cache) == 1
    jac(np.arange(1.0, 7.0))          # another shape: detected again
    assert len(jac._cache) == 2


def test_memory_stays_linear_for_a_diagonal_function():
    n = 10 ** 6
    x = np.linspace(0.0, 1.0, n)
    tracemalloc.start()
    try:
        r, c, v = sparse_jacobian(lambda x: np.sin(x) * x, format="coo")(x)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(v) == n and np.array_equal(r, c)
    np.testing.assert_allclose(v, np.cos(x) * x + np.sin(x))
    assert peak < 400 * n            # O(n) bytes; an n x n array would be 8 * 10^12


# ---------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------

def test_user_pattern_too_small_names_the_missed_entry():
    x = np.arange(1.0, 5.0)
    diag = SparsityPattern.from_coo(np.arange(3), np.arange(3), (3, 4))
    with pytest.raises(SparsityError, match=r"misses entry \(0, 1\)"):
        sparse_jacobian(lambda x: x[:-1] * x[1:], sparsity=diag)(x)
    ok = np.eye(3, 4) + np.eye(3, 4, 1)
    r, c, v = sparse_jacobian(lambda x: x[:-1] * x[1:], sparsity=ok, format="coo")(x)
    assert v.tolist() == [2.0, 1.0, 3.0, 2.0, 4.0, 3.0]
    with pytest.raises(SparsityError, match=r"misses entry"):
        sparse_hessian(rosen, sparsity=np.eye(4))(x)
    with pytest.raises(ValueError, match="columns"):
        sparse_jacobian(np.sin, sparsity=np.eye(3))(x)


def test_control_flow_under_global_detection_says_what_to_do():
    def f(x):
        return x if x[0] > 0 else -x
    with pytest.raises(ConcretizationError, match="local=True"):
        jacobian_sparsity(f)(np.ones(3))
    assert jacobian_sparsity(f, local=True)(np.ones(3)).nnz == 3
    with pytest.raises(ConcretizationError, match="sparsity="):
        sparse_hessian(lambda x: np.sum(x[x > 0] ** 2))(np.ones(3))


def test_too_dense_patterns_raise(monkeypatch):
    monkeypatch.setattr(_index_sets, "MAX_ENTRIES", 50)
    with pytest.raises(SparsityError, match="too dense"):
        hessian_sparsity(lambda x: np.sum(x) ** 2)(np.ones(20))


def test_pattern_object():
    p = jacobian_sparsity(lambda x: x[1:] * x[:-1])(np.ones(5))
    assert p.shape == (4, 5) and p.nnz == 8 and p <= p
    assert str(p).splitlines()[1] == "##..."
    assert repr(p) == "SparsityPattern(shape=(4, 5), nnz=8)"
    assert SparsityPattern.from_any(p.toarray()) == p


def test_a_wrong_rule_is_caught(monkeypatch):
    """The coverage check can fail: a getitem rule that drops its sets misses nonzeros."""
    from funcad.numpy._indexing import getitem_p
    monkeypatch.setattr(getitem_p.rules, "sparsity",
                        lambda sets, vals, ans, **p: _index_sets.IndexSets.empty(
                            int(np.size(ans)), sets[0].n))
    x = np.arange(1.0, 5.0)
    f = lambda x: x[1:] * 2.0              # noqa: E731
    with pytest.raises(AssertionError, match="misses"):
        _covers(jacobian_sparsity(f)(x), fad.jacobian(f)(x), "wrong rule")


def test_sparse_jacobian_inside_jit_and_grad():
    x = np.array([0.3, -0.2, 0.5, 0.7])
    f = lambda y: y[1:] * np.sin(y[:-1])
    inside = fad.jit(lambda x: fad.sparse_jacobian(f, format="coo")(x)[2])
    for p in (x, x + 1.0):
        np.testing.assert_allclose(inside(p), fad.sparse_jacobian(f, format="coo")(p)[2])
    # a derivative of the sparse values (the gather is a funcad op)
    h = lambda x: np.sum(fad.sparse_hessian(lambda y: np.sum(np.sin(y) * y[::-1]),
                                            format="coo")(x)[2] ** 2)
    eps = 1e-6
    e0 = np.eye(4)[0]
    np.testing.assert_allclose(fad.grad(h)(x)[0], (h(x + eps * e0) - h(x - eps * e0)) / (2 * eps),
                               rtol=1e-6)
    with pytest.raises(TypeError, match="format='coo'"):
        fad.jit(lambda x: fad.sparse_jacobian(f, format="scipy")(x))(x)


def test_a_local_pattern_is_detected_again_when_a_later_input_takes_another_branch():
    def branchy(x):
        if x[0] > 0:
            return x * x                      # diagonal
        return x * x[::-1]                    # anti-diagonal as well

    J = fad.sparse_jacobian(branchy, local=True, format="coo")
    for x in (np.array([1.0, 2.0, 3.0]), np.array([-1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0])):
        rows, cols, vals = J(x)
        dense = np.zeros((3, 3))
        np.add.at(dense, (rows, cols), vals)
        np.testing.assert_allclose(dense, fad.jacfwd(branchy)(x), rtol=1e-13)
