"""jit of jacfwd/jacrev/hessian keeps the sparse one-hot Jacobian basis (funcad/_onehot.py).

The basis's indices depend on shapes only, so they stay concrete while recording; the slot
values become recorded values, and the sparse rules (funcad/_jacobian_trace.py) apply to
them through ordinary primitives (``onehot_dense`` makes them dense). The recorded program of
the n-dimensional Rosenbrock Hessian then does O(n) work per step instead of O(n^2). Every
check records on one value and compares replays on others with the eager transform.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import funcad as fad
import funcad.numpy as fnp
from funcad import _onehot
from funcad._jit import jit
from funcad._onehot import Layout, onehot_dense_p
from funcad.test_util import check_grads

from .test_primitives import CASES, IDS
from .test_spec_sweeps import _close


def rosen(x):
    return fnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def _entry(j):
    (entries,) = j._cache.values()
    return entries[0]


def _replays(transform, fn, x, calls=3, rtol=1e-12):
    """jit(transform(fn)) recorded at x, replayed at x + k: equal to the eager transform."""
    j = jit(transform(fn))
    for k in range(calls):
        _close(j(x + k), transform(fn)(x + k), rtol=rtol, atol=1e-13)
    info = j.cache_info()
    assert info.traces == 1 and info.hits == calls - 1 and info.eager == 0
    return j


def _big(prog, n):
    """The steps of a recorded program whose result has at least n elements."""
    return [e for e in prog.body if hasattr(e, "outs")
            and math.prod(prog.avals[e.outs[0]][0]) >= n]


@pytest.mark.parametrize("n", [5, 50, 100])
def test_rosenbrock_hessian_replays_equal_eager(n):
    x = np.random.default_rng(n).normal(size=n)
    j = _replays(fad.hessian, rosen, x)
    assert _entry(j).race is None              # no basis lost: no timing against eager


def test_rosenbrock_hessian_program_is_sparse():
    """One dense n x n step (the Hessian made dense at the end, and views of it), and as many
    steps for n = 64 as for n = 256: the work per step is O(n). The dense program of the old
    recording had a dozen (n, n - 1) steps."""
    lengths = []
    for n in (64, 256):
        j = jit(fad.hessian(rosen))
        j(np.linspace(-1.0, 1.0, n))
        prog = _entry(j).call.prog
        names = [e.prim.name for e in _big(prog, n * (n - 1))]
        assert names[0] == "onehot_dense" and len(names) <= 3, names
        lengths.append(len(prog.body))
    assert lengths[0] == lengths[1]


_PERM = np.arange(40)[::-1].copy()
FUNCS = {
    "reversed": lambda x: fnp.tanh(x[::-1] * x) * x,
    "outer_matmul": lambda x: fnp.outer(x, x) @ x[::-1],
    "matmul": lambda x: fnp.sin(x)[:, None] * x @ fnp.cos(x),
    "where": lambda x: fnp.where(x > 0, x, 2.0 * x) * fnp.exp(x),
    "concatenate": lambda x: fnp.concatenate([x[1:], x[:1] * 2.0]) * x,
    "stack_sum": lambda x: fnp.stack([x, 2.0 * x]).sum(0) * fnp.sin(x),
    "softmax": lambda x: fnp.exp(x) / fnp.sum(fnp.exp(x)),
    "norm": lambda x: fnp.log(fnp.sum(x ** 2)) * x,
    "cumsum": lambda x: fnp.cumsum(x) * x,
    "gather": lambda x: fnp.tanh(x[_PERM]) * x,
    "slices_2d": lambda x: (x.reshape(5, 8)[1:, :-2] * x.reshape(5, 8)[:-1, 2:]).ravel(),
    "index_set": lambda x: x.at[3:9].set(fnp.sin(x[:6])) * x,
}


@pytest.mark.parametrize("transform", [fad.jacfwd, fad.jacrev, fad.hessian])
@pytest.mark.parametrize("name", list(FUNCS))
def test_sparse_jacobians_replay_equal_eager(name, transform):
    fn = FUNCS[name]
    if name == "index_set" and transform is fad.hessian:
        pytest.skip("index_set's second derivative reads a value (a guard), jit or not")
    if transform is fad.hessian:
        inner = fn

        def fn(x):
            return fnp.sum(fnp.sin(inner(x)))
    before = _onehot.TRACED_DENSIFY[0]
    j = _replays(transform, fn, np.linspace(-0.9, 0.8, 40))
    assert _onehot.TRACED_DENSIFY[0] == before, "a sparse rule refused a recorded operand"
    assert _entry(j).race is None


# every 3rd spec row, the sparse path forced on for its small shapes (as tests/test_sparse.py)
SPARSE_CASES = [pytest.param(s, shp, id=i) for (s, shp), i in list(zip(CASES, IDS))[::3]]


@pytest.mark.parametrize("spec,shapes", SPARSE_CASES)
def test_spec_rows_through_jit_with_sparse_bases(spec, shapes, monkeypatch):
    monkeypatch.setattr(_onehot, "MIN_SIZE", 0)
    a = spec.sample(np.random.default_rng(7), shapes)
    b = spec.sample(np.random.default_rng(8), shapes)
    if not all(np.asarray(x).dtype.kind == "f" for x in a) or any(
            np.iscomplexobj(o) for o in fad.tree.leaves(spec.fn(*a))):
        pytest.skip("real inputs and outputs only")
    nums = tuple(range(len(a)))
    makes = []
    if "fwd" in spec.modes:
        makes.append(lambda: fad.jacfwd(spec.fn, argnums=nums))
    if "rev" in spec.modes:
        makes.append(lambda: fad.jacrev(spec.fn, argnums=nums))
        if spec.order >= 2 and "fwd" in spec.modes:
            makes.append(lambda: fad.hessian(lambda *x: fnp.sum(spec.fn(*x)), argnums=nums))
    for make in makes:
        j = jit(make())
        with np.errstate(all="ignore"):
            for args in (a, b):                 # recorded, then replayed
                try:
                    want = make()(*args)
                except Exception as e:  # noqa: BLE001 - jit must raise the same
                    with pytest.raises(type(e)):
                        j(*args)
                    break
                _close(j(*args), want, rtol=1e-10, atol=1e-12)


def test_transforms_outside_a_sparse_program():
    x = np.linspace(-1.0, 1.0, 40)
    h = jit(fad.hessian(rosen))
    _close(fad.grad(lambda x: fnp.sum(h(x) * fnp.sin(x)))(x),
           fad.grad(lambda x: fnp.sum(fad.hessian(rosen)(x) * fnp.sin(x)))(x), rtol=1e-12)
    xs = np.stack([x, x + 1.0, x - 0.5])
    _close(fad.vmap(h)(xs), fad.vmap(fad.hessian(rosen))(xs), rtol=1e-12)
    f = FUNCS["outer_matmul"]
    _close(fad.jacfwd(jit(fad.jacrev(f)))(x), fad.jacfwd(fad.jacrev(f))(x), rtol=1e-12)
    _close(fad.jacrev(jit(fad.jacfwd(f)))(x), fad.jacrev(fad.jacfwd(f))(x), rtol=1e-12)


@pytest.mark.parametrize("transposed", [False, True])
def test_onehot_dense_rules(transposed):
    rng = np.random.default_rng(0)
    idx = rng.integers(0, 6, size=(3, 4, 2))          # repeated indices: sums
    lay = Layout(idx, 6, transposed)
    v = rng.normal(size=(3, 4, 2))
    dense = onehot_dense_p(v, layout=lay)
    want = np.zeros((6, 4, 2))
    for k in range(3):
        for p in np.ndindex(4, 2):
            want[(idx[(k,) + p],) + p] += v[(k,) + p]
    _close(dense, np.moveaxis(want, 0, -1) if transposed else want, rtol=1e-14)
    check_grads(lambda v: onehot_dense_p(v, layout=lay), (v,), order=2, modes=("fwd", "rev"))
    vb = rng.normal(size=(5, 3, 4, 2))
    _close(fad.vmap(lambda v: onehot_dense_p(v, layout=lay))(vb),
           np.stack([onehot_dense_p(u, layout=lay) for u in vb]), rtol=1e-14)


def test_guards_and_watched_arrays_with_sparse_bases():
    def branchy(x):
        return rosen(x) if fnp.sum(x) > 0 else 2.0 * rosen(x)

    x = np.linspace(0.1, 1.0, 40)
    j = jit(fad.hessian(branchy))
    for y in (x, -x, x + 1.0, -x - 1.0):
        _close(j(y), fad.hessian(branchy)(y), rtol=1e-12)
    assert j.cache_info().retraces == 1                # the guard on the sum's sign
    w = np.linspace(1.0, 2.0, 40)
    g = jit(fad.jacfwd(lambda x: fnp.tanh(w * x) * x))
    _close(g(x), fad.jacfwd(lambda x: fnp.tanh(w * x) * x)(x), rtol=1e-12)
    w[3] = 7.0                                         # no stale constant
    _close(g(x), fad.jacfwd(lambda x: fnp.tanh(w * x) * x)(x), rtol=1e-12)


def test_a_user_sparse_rule_sees_concrete_values_only():
    """A rule registered through funcad.extend.defsparse may write in place (it was written
    for concrete slot values): under jit, with a recorded operand, it is not called and the
    operands are made dense instead; eagerly it runs."""
    from funcad import extend
    from funcad._onehot import OneHotRows

    seen = []

    def rule(vals, dims, params, size):
        v = vals[0]
        seen.append(type(v.vals))
        out = np.array(v.vals)
        out *= 3.0                           # in place: concrete values only
        return OneHotRows(out, v.idx, size)

    triple_p = extend.Primitive("triple_for_test", lambda x: 3.0 * x)
    extend.def_linear_jvp(triple_p)
    extend.defvjp(triple_p, lambda g, ans, x: triple_p(g))
    extend.defbatch(triple_p, lambda vals, dims: triple_p(vals[0]) if dims[0] == 0
                    else triple_p(extend.bdim_to_front(vals[0], dims[0])))
    extend.defsparse(triple_p, rule)

    def fn(x):
        return triple_p(fnp.sin(x)) * x

    x = np.linspace(-1.0, 1.0, 40)
    want = fad.jacfwd(fn)(x)
    assert seen == [np.ndarray]
    j = jit(fad.jacfwd(fn))
    for k in range(2):
        _close(j(x), want, rtol=1e-12)
    assert seen == [np.ndarray]              # never called with recorded values
    assert _entry(j).race is not None        # the basis was lost: the replay races eager calls
