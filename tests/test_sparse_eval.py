"""The compressed evaluation's fast paths (issue 17, evaluation speed): the decompression
gather in any memory order, and the VJP of indexing scattering into a zero view."""

import numpy as np
import pytest

import funcad as fad
from funcad.numpy import _indexing


def rosen(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rosen_band(x):
    """The closed-form Hessian's diagonal and off-diagonal (it is tridiagonal)."""
    d = np.r_[1200 * x[:-1] ** 2 - 400 * x[1:] + 2, 0.0] + np.r_[0.0, np.full(len(x) - 1, 200.0)]
    return d, -400 * x[:-1]


def test_gather_reads_c_fortran_and_strided_products_alike():
    f = lambda x: x[1:] * x[:-1] + np.sin(x[2:].sum())      # noqa: E731
    jac = fad.sparse_jacobian(f, format="coo")
    x = np.linspace(0.1, 1.0, 9)
    prep = jac.prepare(x)
    m, n = prep.pattern.shape
    k, w = prep.coloring.ncolors, (m if prep.coloring.kind == "column" else n)
    b = np.random.default_rng(0).standard_normal((k, w))
    want = b[prep.read_cols, prep.read_rows]
    for arr in (b, np.asfortranarray(b), np.repeat(b, 2, axis=1)[:, ::2]):
        got = prep.gather(arr)
        np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(jac(x)[2], fad.jacobian(f)(x)[prep.rows, prep.pattern.cols],
                               rtol=1e-14)


def test_sparse_hessian_through_the_zero_view_matches_the_closed_form(monkeypatch):
    """n above the zero view's threshold: the VJP of x[1:], x[:-1] under vmap takes the
    one-element zero base, and the Hessian is still exact."""
    hits = []
    real = _indexing._zero_fill
    monkeypatch.setattr(_indexing, "_zero_fill", lambda b: hits.append(real(b)) or hits[-1])
    n = _indexing._ZERO_VIEW_MIN + 3
    x = np.random.default_rng(1).uniform(-1.5, 1.5, n)
    H = fad.sparse_hessian(rosen, format="coo")
    rows, cols, vals = H(x)
    assert any(hits)
    d, off = rosen_band(x)
    diag = rows == cols
    ref = np.where(diag, d[rows], np.r_[off, 0.0][np.minimum(rows, cols)])
    assert diag.sum() == n and (~diag).sum() == 2 * (n - 1)
    np.testing.assert_allclose(vals, ref, rtol=1e-13, atol=1e-12)


@pytest.mark.parametrize("basic", [True, False])
def test_index_add_into_a_zero_view_equals_the_copy_path(basic):
    shape = (4, 5)
    upd = np.arange(1.0, 7.0).reshape(2, 3)
    if basic:
        tree, arrs = (slice(1, 3), slice(0, 3)), ()
    else:          # duplicate rows: the updates add up
        tree, arrs = (_indexing._SLOT, slice(0, 3)), (np.array([1, 1]),)
    view = _indexing._zeros_view(shape, np.float64)
    assert not view.flags.writeable and _indexing._zero_fill(view)
    got = _indexing.index_add_p.impl(view, upd, *arrs, tree=tree)
    want = _indexing.index_add_p.impl(np.zeros(shape), upd, *arrs, tree=tree)
    assert got.flags.writeable and got.shape == shape
    np.testing.assert_array_equal(got, want)


def test_only_a_read_only_positive_zero_broadcast_counts_as_zeros():
    z = _indexing._zero_fill
    assert not z(np.zeros((3, 4)))                                   # writeable: the copy
    assert not z(np.broadcast_to(np.float64(1.0), (3, 4)))           # not zero
    neg = np.broadcast_to(np.float64(-0.0), (3, 4))
    assert not z(neg)                                                 # -0.0 keeps its sign
    out = _indexing.index_add_p.impl(neg, np.zeros((1, 4)), tree=(slice(0, 1),))
    assert np.signbit(out[2, 0]) and not np.signbit(out[0, 0])        # -0 + +0 = +0
    assert not z(np.broadcast_to(np.complex128(0), (3,)))             # complex: copy path
    assert z(np.broadcast_to(np.float32(0), (2, 2)))


@pytest.mark.parametrize("pad_width", [1, (1, 2), ((1, 0), (0, 2)), ((2, 1),), 0])
@pytest.mark.parametrize("cv", [0, 1.5])
def test_constant_pad_writes_a_slice_instead_of_gathering(monkeypatch, pad_width, cv):
    """np.pad(x, w, constant_values=c) on traced values (the stencil's boundary): no label
    gather; values, tangents (batched too), cotangents and the dtype as before."""
    from funcad.numpy import _rearranging

    def no_labels(*a, **k):
        raise AssertionError("constant pad gathered through labels")
    monkeypatch.setattr(_rearranging, "_labels_with_fill", no_labels)
    x = np.arange(6.0).reshape(2, 3)
    f = lambda y: np.pad(y, pad_width, constant_values=cv)       # noqa: E731
    out, t = fad.jvp(f, (x,), (np.ones_like(x),))
    np.testing.assert_array_equal(out, np.pad(x, pad_width, constant_values=cv))
    np.testing.assert_array_equal(t, np.pad(np.ones_like(x), pad_width))
    seeds = np.random.default_rng(2).standard_normal((4, 2, 3))
    tb = fad.vmap(lambda s: fad.jvp(f, (x,), (s,))[1])(seeds)
    np.testing.assert_array_equal(tb, np.stack([np.pad(s, pad_width) for s in seeds]))
    g = fad.grad(lambda y: np.sum(np.pad(y, pad_width, constant_values=cv) ** 3))(x)
    np.testing.assert_allclose(g, 3 * x ** 2)
    x32 = x.astype(np.float32)
    assert fad.jvp(f, (x32,), (x32,))[1].dtype == np.float32


def test_constant_pad_keeps_the_stencil_pattern():
    def lap(u):
        p = np.pad(u.reshape(4, 4), 1)
        return (p[:-2, 1:-1] + p[2:, 1:-1] + p[1:-1, :-2] + p[1:-1, 2:]).ravel()
    pat = fad.jacobian_sparsity(lap)(np.ones(16))
    dense = fad.jacobian(lap)(np.ones(16)) != 0
    np.testing.assert_array_equal(pat.toarray(), dense)


def test_sparse_jacobian_of_a_scatter_inside_jit():
    """Detection inside jit: an index_set/index_add (x.at[...].set, np.pad) whose operand
    jit is recording runs the primitive on the recorded value, not NumPy on a tracer."""
    import funcad.numpy as fnp

    def f(x):
        y = fnp.at(fnp.zeros(len(x) + 2))[1:-1].set(x * x)
        return y[1:] * y[:-1] + np.pad(x, 1)[1:]
    x = np.linspace(0.1, 1.0, 6)
    jac = fad.sparse_jacobian(f, format="coo")
    rows, cols, vals = jac(x)
    np.testing.assert_allclose(vals, fad.jacobian(f)(x)[rows, cols], rtol=1e-14)
    inside = fad.jit(lambda v: fad.sparse_jacobian(f, format="coo")(v)[2])
    np.testing.assert_allclose(inside(x), vals, rtol=1e-14)
    np.testing.assert_allclose(inside(x + 1.0), jac(x + 1.0)[2], rtol=1e-14)
