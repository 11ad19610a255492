"""Sparse Jacobian bases (funcad/_onehot.py) give the dense path's results.

jacfwd, jacrev and hessian start from a one-hot basis held as ``OneHotRows`` when the
basis is large; every primitive either has a rule for it or sees dense operands. Here
the sparse path is forced on for small inputs (``MIN_SIZE = 0``) and compared with the
dense path (``ENABLED = False``) over every spec row of the table-driven test and over
random programs from the fuzzer, and the rules are checked one by one (matmul in all
its layouts, sums, scatters, where, concatenate, slot growth, dtypes, chunking).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import funcad as fad
import funcad.numpy as fnp
from funcad import _jacobian_trace, _onehot, tree
from funcad._onehot import OneHotRows, densify

from .fuzz_programs import programs
from .test_primitives import CASES, IDS

_SPARSE_PROCESS = _jacobian_trace.sparse_process


@pytest.fixture
def forced(monkeypatch):
    monkeypatch.setattr(_onehot, "MIN_SIZE", 0)
    monkeypatch.setattr(_onehot, "ENABLED", True)


def _both(fn, monkeypatch, handled=None):
    """fn() with the sparse path forced on, and with it off: (result or exception) each.
    The names of primitives that a sparse rule handled are added to ``handled``."""
    out = []
    for enabled in (True, False):
        monkeypatch.setattr(_onehot, "ENABLED", enabled)
        monkeypatch.setattr(_onehot, "MIN_SIZE", 0)
        if enabled and handled is not None:
            monkeypatch.setattr(_jacobian_trace, "sparse_process", _recorder(handled))
        try:
            with np.errstate(all="ignore"):
                out.append(fn())
        except Exception as e:  # noqa: BLE001 - compared below
            out.append(e)
        monkeypatch.setattr(_jacobian_trace, "sparse_process", _SPARSE_PROCESS)
    return out


def _recorder(handled):
    def process(prim, *args):
        r = _SPARSE_PROCESS(prim, *args)
        if r is not None:
            handled.add(prim.name)
        return r
    return process


def _same(what, sparse, dense):
    if isinstance(dense, Exception) or isinstance(sparse, Exception):
        assert type(sparse) is type(dense), f"{what}: sparse gave {sparse!r}, dense {dense!r}"
        return
    ls, ts = tree.flatten(sparse)
    ld, td = tree.flatten(dense)
    assert ts == td, what
    for a, b in zip(ls, ld):
        assert np.shape(a) == np.shape(b) and np.asarray(a).dtype == np.asarray(b).dtype, what
        a, b = np.asarray(a), np.asarray(b)
        # where a derivative is infinite, the dense path multiplies it by the basis's zeros
        # (0 * inf = NaN) while the sparse path never forms those products; elsewhere the
        # two agree, and the sparse path is never non-finite where the dense one is finite
        fin = np.isfinite(b)
        assert np.all(np.isfinite(a) | ~fin), f"{what}: sparse non-finite where dense is not"
        np.testing.assert_allclose(np.where(fin, a, 0), np.where(fin, b, 0), rtol=1e-10,
                                   atol=1e-12, err_msg=what)


def _check_all(f, args, monkeypatch, second_order=True, may_raise=False):
    """jacfwd, jacrev (and hessian) sparse vs dense; returns the primitives handled sparsely.
    Unless ``may_raise``, the dense path must succeed (so the comparison means something)."""
    nums = tuple(range(len(args)))
    handled: set = set()

    def scalar(*a):
        return fnp.sum(fnp.real(f(*a)))

    runs = [("jacfwd", lambda: fad.jacfwd(f, argnums=nums)(*args)),
            ("jacrev", lambda: fad.jacrev(f, argnums=nums)(*args))]
    if second_order:
        runs.append(("hessian", lambda: fad.hessian(scalar, argnums=nums)(*args)))
    for name, run in runs:
        sparse, dense = _both(run, monkeypatch, handled)
        if not may_raise:
            assert not isinstance(dense, Exception), f"{name}: {dense!r}"
        _same(name, sparse, dense)
    return handled


# ---------------------------------------------------------------------------
# every spec row, and random programs
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("spec,shapes", CASES, ids=IDS)
def test_spec_rows_sparse_equals_dense(spec, shapes, monkeypatch):
    args = spec.sample(np.random.default_rng(3), shapes)
    real = all(np.asarray(a).dtype.kind == "f" for a in args)
    _check_all(spec.fn, args, monkeypatch, second_order=spec.order >= 2 and real,
               may_raise=True)


@settings(max_examples=120, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(prog=programs())
def test_random_programs_sparse_equals_dense(prog):
    with pytest.MonkeyPatch.context() as mp:
        f = prog.function(np)
        _check_all(f, prog.make_args(), mp, second_order=prog.order >= 2, may_raise=True)


# ---------------------------------------------------------------------------
# the rules one by one (closed forms where there are some)
# ---------------------------------------------------------------------------

def rosen(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rosen_hessian(x):
    n = len(x)
    h = np.zeros((n, n))
    d = np.zeros(n)
    d[:-1] += 1200 * x[:-1] ** 2 - 400 * x[1:] + 2
    d[1:] += 200
    h[np.arange(n), np.arange(n)] = d
    h[np.arange(n - 1), np.arange(1, n)] = h[np.arange(1, n), np.arange(n - 1)] = -400 * x[:-1]
    return h


@pytest.mark.parametrize("n", [40, 300])
def test_rosenbrock_hessian_closed_form(n):
    x = np.random.default_rng(n).uniform(-1, 1, n)
    assert _onehot.use_sparse(n, np.float64)
    np.testing.assert_allclose(fad.hessian(rosen)(x), rosen_hessian(x), rtol=1e-12, atol=1e-9)


def test_layer_jacobian_closed_form():
    rng = np.random.default_rng(0)
    n = 50
    w, b, x = rng.normal(size=(n, n)), rng.normal(size=n), rng.normal(size=n)
    t = np.tanh(w @ x + b)
    want = np.diag(t) + ((1 - t * t) * x)[:, None] * w
    for jac in (fad.jacfwd, fad.jacrev, fad.jacobian):
        np.testing.assert_allclose(jac(lambda x: np.tanh(w @ x + b) * x)(x), want,
                                   rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("xshape", [(6,), (6, 3)])
@pytest.mark.parametrize("wshape", [(6,), (6, 4)])
@pytest.mark.parametrize("left", [True, False])
def test_matmul_layouts(xshape, wshape, left, monkeypatch):
    """x @ W and W @ x for 1-D and 2-D x and W, with fresh, permuted and summed bases."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=xshape)
    if left:
        w = rng.normal(size=wshape)          # x @ w: w's first axis meets x's last
        if len(xshape) == 2 and xshape[-1] != wshape[0]:
            w = rng.normal(size=(xshape[-1],) + wshape[1:])
    else:
        w = rng.normal(size=wshape[::-1])     # w @ x: w's last axis meets x's first
    def mm(a, b):
        return a @ b

    for k, pre in enumerate((lambda x: x, lambda x: x[::-1] * 2.0, lambda x: x + x[::-1])):
        f = (lambda x, pre=pre: mm(pre(x), w)) if left else (lambda x, pre=pre: mm(w, pre(x)))
        handled = _check_all(f, (x,), monkeypatch)
        if k < 2:
            assert "matmul" in handled


def test_sum_axes_keepdims(monkeypatch):
    x = np.random.default_rng(2).normal(size=(3, 4, 5))
    for axis in [None, 0, 1, -1, (0, 2), (1, 2)]:
        for keepdims in (False, True):
            handled = _check_all(
                lambda x, a=axis, k=keepdims: np.sin(x).sum(axis=a, keepdims=k) * x.sum(),
                (x,), monkeypatch)
            assert "sum" in handled


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_total_sum_keeps_dtype_and_layout(dtype, monkeypatch):
    """A sum over all axes (a function's value) is one weighted count of the basis indices."""
    monkeypatch.setattr(_onehot, "MIN_SIZE", 0)
    x = np.random.default_rng(4).normal(size=(3, 4)).astype(dtype)
    for keepdims in (False, True):
        f = lambda x, k=keepdims: (x[::-1] * 2.0).sum(keepdims=k)       # noqa: E731
        j = fad.jacfwd(f)(x)
        assert j.dtype == dtype and j.shape == ((1, 1) if keepdims else ()) + x.shape
        np.testing.assert_allclose(j.reshape(x.shape), np.full(x.shape, 2.0))


def test_scatter_where_concatenate(monkeypatch):
    x = np.random.default_rng(3).normal(size=(4, 5))

    def f(x):
        y = fnp.zeros((6, 5))
        y[1:5] = x * 2.0                  # a scatter into zeros
        y[0] = x[0] ** 2                   # an int index
        z = np.where(x > 0, x, 0.0) + np.where(x > 0, 0.0, -x)
        return (np.concatenate([y, z, np.zeros((1, 5)), x[None, 0, :]], axis=0)
                + np.sum(x[None, :, 0]))

    handled = _check_all(f, (x,), monkeypatch)
    assert {"index_add", "where", "concatenate", "getitem"} <= handled
    _check_all(lambda x: fnp.at(x)[1:3, ::2].add(x[:2, ::2] * 3.0), (x,), monkeypatch)
    _check_all(lambda x: fnp.at(x)[[0, 0, 2]].add(x[1:4]), (x,), monkeypatch)   # repeats


def test_many_slots_become_dense(forced):
    """Sums of shifted copies grow the slots until the value turns dense; still exact."""
    x = np.random.default_rng(4).normal(size=40)

    def f(x):
        acc = x[:20]
        for s in range(1, 21):
            acc = acc + np.cos(x[s:s + 20]) * s
        return acc

    j = fad.jacfwd(f)(x)
    want = np.zeros((20, 40))
    want[np.arange(20), np.arange(20)] = 1
    for s in range(1, 21):
        want[np.arange(20), np.arange(20) + s] += -np.sin(x[s:s + 20]) * s
    np.testing.assert_allclose(j, want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(fad.jacrev(f)(x), want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.complex128])
def test_dtypes(dtype, monkeypatch):
    x = (np.arange(1.0, 7.0) / 7).astype(dtype)
    hol = dtype == np.complex128
    for jac in (fad.jacfwd, fad.jacrev):
        got = _both(lambda jac=jac: jac(lambda x: np.sin(x[::-1]) * x, holomorphic=hol)(x),
                    monkeypatch)
        _same(jac.__name__, *got)
        assert got[0].dtype == dtype


def test_chunks_and_several_inputs(forced):
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=(3, 4)), rng.normal(size=5)

    def f(a, b):
        return {"s": np.sum(a, axis=0) * b[:4], "t": np.tanh(b[1:]) @ a.T}

    want = fad.jacrev(f, argnums=(0, 1))(a, b)
    for chunk in (None, 1, 4, 7):
        tree.map(lambda g, w: np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-14),
                 fad.jacfwd(f, argnums=(0, 1), chunk_size=chunk)(a, b), want)
    tree.map(lambda g, w: np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-14),
             fad.jacrev(f, argnums=(0, 1), chunk_size=3)(a, b), want)


def test_under_outer_transforms(forced):
    """Primal values traced by an enclosing transform make the basis dense: still right."""
    x = np.random.default_rng(6).normal(size=6)

    def third(x):      # d/dx_i of trace(H(x)) for f = sum(x^4): H = diag(12 x^2)
        return np.trace(fad.hessian(lambda y: np.sum(y ** 4))(x))

    np.testing.assert_allclose(fad.grad(third)(x), 24 * x, rtol=1e-12)
    np.testing.assert_allclose(fad.vmap(fad.jacfwd(lambda y: np.sin(y) * y[0]))(x[None]),
                               fad.jacfwd(lambda y: np.sin(y) * y[0])(x)[None], rtol=1e-13)


def test_densify_layouts():
    rng = np.random.default_rng(7)
    vals = rng.normal(size=(3, 2, 4))
    idx = rng.integers(0, 5, size=(3, 2, 4))
    v = OneHotRows(vals, idx, 5)
    want = np.zeros((5, 2, 4))
    for k in range(3):
        for i in range(2):
            for j in range(4):
                want[idx[k, i, j], i, j] += vals[k, i, j]
    np.testing.assert_allclose(densify(v), want, rtol=1e-15)
    np.testing.assert_allclose(densify(v, transposed=True), np.moveaxis(want, 0, -1),
                               rtol=1e-15)
    many = OneHotRows(np.repeat(vals, 4, axis=0), np.repeat(idx, 4, axis=0), 5)  # bincount path
    np.testing.assert_allclose(densify(many), 4 * want, rtol=1e-14)
    assert densify(want) is want


def test_float16_and_longdouble(monkeypatch):
    x = np.linspace(0.1, 0.9, 6)
    f16 = x.astype(np.float16)
    got = _both(lambda: fad.jacfwd(lambda x: np.sum(np.sin(x) * x[::-1]) * x)(f16), monkeypatch)
    assert got[0].dtype == np.float16
    np.testing.assert_allclose(got[0].astype(float), got[1].astype(float), rtol=1e-3)
    assert not _onehot.use_sparse(10**4, np.longdouble)     # would round through float64


def test_small_bases_stay_dense():
    assert not _onehot.use_sparse(_onehot.MIN_SIZE - 1, np.float64)
    assert _onehot.use_sparse(_onehot.MIN_SIZE, np.float64)
    assert not _onehot.use_sparse(10**6, np.int64)


def test_join_merges_equal_slots():
    rng = np.random.default_rng(8)
    idx = np.stack([np.roll(np.arange(10), s) for s in range(4)])
    a = OneHotRows(rng.normal(size=(3, 10)), idx[:3], 10)
    b = OneHotRows(rng.normal(size=(2, 10)), idx[[1, 3]], 10)
    for sign in (1.0, -1.0):
        c = _jacobian_trace._join(a, b, sign, 40)
        assert c.vals.shape[0] == 4          # slot 1 of a and slot 0 of b share indices
        np.testing.assert_allclose(densify(c)[:10], densify(a) + sign * densify(b), rtol=1e-14)
