"""Writing into arrays: x[idx] = v on traced values and fnp.at(x)[idx].<op>(v), under every
transform, with slices, masks and integer arrays (repeated ones too); batching rules of the
index primitives against per-example loops; inputs never mutated; the errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import funcad as fad
import funcad.numpy as fnp
from funcad import _batching
from funcad.errors import ConcretizationError

INDICES = {
    "int": 1,
    "slice": slice(1, None),
    "step": slice(None, None, 2),
    "mask": np.array([True, False, True, False]),
    "ints": np.array([3, 0]),
    "ints_repeated": np.array([2, 0, 2]),
    "ints_2d": np.array([[0, 1], [3, 3]]),
}


def _numpy_set(x, idx, v):
    y = x.copy()
    y[idx] = v
    return y


# ---------------------------------------------------------------------------
# x[idx] = v on traced values
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", INDICES)
def test_setitem_value_and_every_transform(name):
    idx = INDICES[name]
    x0 = np.array([0.5, -1.0, 2.0, 1.5])
    v0 = 3.0

    def f(x, v):
        y = x * 1.0
        y[idx] = v * x[0]
        return y

    np.testing.assert_allclose(f(fnp.asarray(x0), v0), _numpy_set(x0, idx, v0 * x0[0]))
    fad.check_grads(f, (x0, np.asarray(v0)), order=2)
    xs = np.stack([x0, 2 * x0, -x0])
    got = fad.vmap(f, in_axes=(0, None))(xs, v0)
    np.testing.assert_allclose(got, np.stack([f(x, v0) for x in xs]))
    h = fad.hessian(lambda x: fnp.sum(f(x, v0) ** 2))(x0)
    assert h.shape == (4, 4) and np.allclose(h, h.T)


def test_setitem_never_mutates_the_callers_array():
    x0 = np.array([1.0, 2.0, 3.0])
    keep = x0.copy()

    def f(x):
        x[0] = 10.0 * x[1]
        x[np.array([1, 1])] = x[2]
        return fnp.sum(x ** 2)

    g = fad.grad(f)(x0)
    np.testing.assert_array_equal(x0, keep)
    np.testing.assert_allclose(g, [0.0, 200 * 2.0, 2 * 3.0 * 2])
    fnp.at(x0)[0].set(5.0)
    fnp.at(x0)[[0, 0]].add(5.0)
    np.testing.assert_array_equal(x0, keep)


def test_setitem_of_later_trace_into_earlier_tracer_names_the_fix():
    def outer(x):
        def inner(y):
            x[0] = y            # y is traced by the inner transform, x by the outer one
            return x.sum()
        return fad.grad(inner)(1.0)
    with pytest.raises(TypeError, match=r"x.at\[idx\].set"):
        fad.grad(outer)(np.ones(2))


# ---------------------------------------------------------------------------
# fnp.at(x)[idx].<op>: values against NumPy's in-place / ufunc.at semantics
# ---------------------------------------------------------------------------

OPS = {
    "set": lambda a, i, v: _numpy_set(a, i, v),
    "add": lambda a, i, v: _ufunc_at(np.add, a, i, v),
    "subtract": lambda a, i, v: _ufunc_at(np.subtract, a, i, v),
    "multiply": lambda a, i, v: _ufunc_at(np.multiply, a, i, v),
    "divide": lambda a, i, v: _ufunc_at(np.divide, a, i, v),
    "min": lambda a, i, v: _ufunc_at(np.minimum, a, i, v),
    "max": lambda a, i, v: _ufunc_at(np.maximum, a, i, v),
}


def _ufunc_at(uf, a, i, v):
    y = a.copy()
    uf.at(y, i, v)
    return y


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("name", ["int", "slice", "mask", "ints", "ints_repeated"])
def test_at_ops_match_numpy_and_differentiate(op, name):
    idx = INDICES[name]
    x0 = np.array([0.5, -1.0, 2.0, 1.5])
    region = x0[idx].shape
    v0 = np.linspace(0.7, 1.9, int(np.prod(region))).reshape(region)
    want = OPS[op](x0, idx, v0)
    np.testing.assert_allclose(getattr(fnp.at(x0)[idx], op)(v0), want)

    def f(x, v):
        return getattr(fnp.at(x)[idx], op)(v)
    np.testing.assert_allclose(f(fnp.asarray(x0), v0), want)
    order = 1 if op in ("min", "max") else 2
    fad.check_grads(f, (x0, v0), order=order)
    xs = np.stack([x0, x0[::-1], 2 * x0])
    got = fad.vmap(f, in_axes=(0, None))(xs, v0)
    np.testing.assert_allclose(got, np.stack([OPS[op](x, idx, v0) for x in xs]))
    gv = fad.vmap(fad.grad(lambda x, v: fnp.sum(f(x, v) ** 2)), in_axes=(0, None))(xs, v0)
    loop = np.stack([fad.grad(lambda x, v: fnp.sum(f(x, v) ** 2))(x, v0) for x in xs])
    np.testing.assert_allclose(gv, loop)


def test_at_get_is_getitem():
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(fnp.at(x)[:, [2, 0]].get(), x[:, [2, 0]])
    g = fad.grad(lambda x: fnp.sum(fnp.at(x)[[0, 0]].get()))(np.ones(2))
    np.testing.assert_array_equal(g, [2.0, 0.0])


def test_repeated_indices_semantics_and_derivatives():
    # add accumulates: d/dv of x.at[[0, 0]].add(v) sums over both writes
    g = fad.grad(lambda v: fnp.at(fnp.zeros(3))[np.array([0, 0, 1])].add(v)[0])(np.ones(3))
    np.testing.assert_array_equal(g, [1.0, 1.0, 0.0])
    # set: the last write wins, and only the winning update gets a derivative
    g = fad.grad(lambda v: fnp.sum(fnp.at(fnp.zeros(3))[np.array([0, 0, 1])].set(v) * 2.0))(
        np.array([1.0, 5.0, 7.0]))
    np.testing.assert_array_equal(g, [0.0, 2.0, 2.0])
    g = fad.grad(lambda s: fnp.sum(fnp.at(fnp.zeros(3))[np.array([0, 0])].set(s)))(1.0)
    assert float(g) == 1.0
    # multiply applies in sequence: x0 * v0 * v1
    f = lambda v: fnp.at(fnp.full(2, 3.0))[np.array([0, 0])].multiply(v)[0]   # noqa: E731
    np.testing.assert_allclose(fad.grad(f)(np.array([2.0, 5.0])), [15.0, 6.0])
    # max with a repeated index: the derivative goes to the winning update only
    f = lambda v: fnp.at(fnp.zeros(2))[np.array([1, 1, 1])].max(v)[1]   # noqa: E731
    np.testing.assert_array_equal(fad.grad(f)(np.array([1.0, 4.0, 2.0])), [0.0, 1.0, 0.0])


@settings(max_examples=15, deadline=None, database=None)
@given(idx=st.lists(st.integers(0, 4), min_size=1, max_size=6),
       op=st.sampled_from(["add", "multiply", "min", "max", "set"]))
def test_repeated_indices_match_numpy_property(idx, op):
    rng = np.random.default_rng(len(idx))
    x0 = rng.uniform(0.5, 2.0, 5)
    v0 = rng.uniform(0.5, 2.0, len(idx))
    i = np.array(idx)
    np.testing.assert_allclose(getattr(fnp.at(x0)[i], op)(v0), OPS[op](x0, i, v0))
    f = lambda x, v: fnp.sum(getattr(fnp.at(x)[i], op)(v) ** 2)   # noqa: E731
    fad.check_grads(f, (x0, v0), order=1, modes=("rev",))


# ---------------------------------------------------------------------------
# batching rules of getitem / index_add / index_set with integer arrays
# ---------------------------------------------------------------------------

PATTERNS = [
    (slice(None), np.array([0, 2])),
    (np.array([1, 0]), slice(None), np.array([0, 3])),
    (Ellipsis, np.array([[1, 2], [0, 0]])),
    (slice(None), np.array([0, 1]), np.array([1, 2])),
    (0, slice(None), np.array([1, 2])),
    (slice(None), None, np.array([1, 1])),
    (np.array([1, 1, 0]),),
    (1, np.array([2, 0])),
]


@pytest.mark.parametrize("k", range(len(PATTERNS)))
def test_batched_index_primitives_match_loops(k):
    idx = PATTERNS[k]
    rng = np.random.default_rng(k)
    xs = rng.normal(size=(3, 2, 3, 4))
    before = set(_batching.fallback_used)

    def f(x):
        return x[idx]

    def h(x):          # getitem's VJP is index_add; then a set at the same place
        r = x[idx]
        return fnp.sum(fnp.at(x)[idx].set(r * 2.0) ** 2) + fnp.sum(r ** 3)

    np.testing.assert_allclose(fad.vmap(f)(xs), np.stack([x[idx] for x in xs]))
    np.testing.assert_allclose(fad.vmap(fad.grad(h))(xs), np.stack([fad.grad(h)(x) for x in xs]))
    jac = fad.jacfwd(f)(xs[0])
    np.testing.assert_allclose(jac, fad.jacrev(f)(xs[0]))
    new = set(_batching.fallback_used) - before
    assert not new & {"getitem", "index_add", "index_set"}, new


def test_batched_index_arrays():
    x = np.arange(12.0).reshape(3, 4)
    ii = np.array([[0, 3], [2, 2], [1, 0]])
    got = fad.vmap(lambda i: fnp.getitem(fnp.asarray(x), (slice(None), i)))(ii)
    np.testing.assert_array_equal(got, np.stack([x[:, i] for i in ii]))
    got = fad.vmap(lambda x, i: x[i % 3])(np.stack([x, -x, 2 * x]), ii)
    np.testing.assert_array_equal(got, np.stack([(s * x)[i % 3]
                                                 for s, i in zip([1, -1, 2], ii)]))
    add = fad.vmap(lambda i, v: fnp.at(fnp.zeros(4))[i].add(v))(ii, np.ones((3, 2)))
    np.testing.assert_array_equal(add, np.stack([_ufunc_at(np.add, np.zeros(4), i, 1.0)
                                                 for i in ii]))
    st_ = fad.vmap(lambda i, v: fnp.at(fnp.zeros(4))[i].set(v))(ii, np.array([[1.0, 2.0]] * 3))
    np.testing.assert_array_equal(st_, np.stack([_numpy_set(np.zeros(4), i, [1.0, 2.0])
                                                 for i in ii]))
    # the derivative of a duplicated batched set goes to the winner, per example
    g = fad.vmap(fad.grad(lambda v, i: fnp.sum(fnp.at(fnp.zeros(4))[i].set(v))))(
        np.ones((3, 2)), ii)
    np.testing.assert_array_equal(g, [[1.0, 1.0], [0.0, 1.0], [1.0, 1.0]])
    # per-example scalar indices (the common case of vmap over positions)
    got = fad.vmap(lambda x, i: fnp.at(x)[i].multiply(2.0))(np.ones((3, 4)), np.array([0, 3, 1]))
    np.testing.assert_array_equal(got.sum(1), [5.0, 5.0, 5.0])


# ---------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------

def _chain(e):
    while e is not None:
        yield e
        e = e.__cause__ or e.__context__


@pytest.mark.parametrize("transform", ["grad", "jvp"])
def test_writing_a_tracer_into_a_plain_array_names_both_fixes(transform):
    def f(t):
        a = np.zeros(3)
        a[0] = t
        return a.sum()
    with pytest.raises(Exception) as e:
        if transform == "grad":
            fad.grad(f)(1.0)
        else:
            fad.jvp(f, (1.0,), (1.0,))
    errs = [x for x in _chain(e.value) if isinstance(x, ConcretizationError)]
    assert errs, f"no ConcretizationError in the chain of {e.value!r}"
    msg = str(errs[0])
    assert "funcad.numpy.zeros" in msg and "funcad.numpy.at(a)[0].set" in msg


def test_batched_indices_with_sequential_ops_raise_clearly():
    with pytest.raises(NotImplementedError, match="batched by vmap"):
        fad.vmap(lambda i: fnp.at(fnp.ones(3))[i].multiply(2.0))(np.array([[0, 0], [1, 2]]))


def test_float_index_is_rejected():
    with pytest.raises(IndexError, match="integer or boolean"):
        fad.grad(lambda x: x[np.array([0.0])].sum())(np.ones(2))


@st.composite
def _index(draw):
    """A random NumPy index into shape (2, 3, 4): ints, slices, arrays, None, Ellipsis."""
    shape = (2, 3, 4)
    items = []
    dims = list(range(draw(st.integers(1, 3))))
    for d in dims:
        kind = draw(st.sampled_from(["int", "slice", "array", "array2d"]))
        n = shape[d]
        if kind == "int":
            items.append(draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            items.append(slice(draw(st.sampled_from([None, 0, 1])), None,
                               draw(st.sampled_from([None, 1, 2]))))
        elif kind == "array":
            items.append(np.array(draw(st.lists(st.integers(-n, n - 1), min_size=1,
                                                max_size=3))))
        else:
            items.append(np.array(draw(st.lists(st.integers(0, n - 1), min_size=2,
                                                max_size=2))).reshape(2, 1))
    if draw(st.booleans()):
        items.insert(draw(st.integers(0, len(items))), None)
    if len(dims) < 3 and draw(st.booleans()):
        items.insert(draw(st.integers(0, len(items))), Ellipsis)
    return tuple(items)


@settings(max_examples=60, deadline=None, database=None)
@given(idx=_index())
def test_batched_getitem_and_scatter_match_loops_property(idx):
    try:
        np.zeros((2, 3, 4))[idx]
    except IndexError:          # e.g. arrays that do not broadcast together
        return
    xs = np.random.default_rng(0).normal(size=(3, 2, 3, 4))
    f = lambda x: x[idx]                                              # noqa: E731
    g = fad.grad(lambda x: fnp.sum(x[idx] ** 2) + fnp.sum(fnp.at(x)[idx].set(x[idx] * 3.0)))
    np.testing.assert_allclose(fad.vmap(f)(xs), np.stack([x[idx] for x in xs]))
    np.testing.assert_allclose(fad.vmap(g)(xs), np.stack([g(x) for x in xs]))
    np.testing.assert_allclose(fad.vmap(f, in_axes=3, out_axes=-1)(np.moveaxis(xs, 0, 3)),
                               np.stack([x[idx] for x in xs], axis=-1))


@settings(max_examples=40, deadline=None, database=None)
@given(idx=_index(), x_batched=st.booleans())
def test_batched_index_arrays_match_loops_property(idx, x_batched):
    try:
        np.zeros((2, 3, 4))[idx]
    except IndexError:
        return
    pos = [k for k, it in enumerate(idx) if isinstance(it, np.ndarray)]
    if not pos:
        return
    rng = np.random.default_rng(1)
    xs = rng.normal(size=(3, 2, 3, 4))
    # per example, a different (valid) index array in each array position
    sizes = {k: (2, 3, 4)[_dim_of(idx, k)] for k in pos}
    batched = {k: rng.integers(0, sizes[k], size=(3,) + idx[k].shape) for k in pos}

    def build(arrs):
        it = iter(arrs)
        return tuple(next(it) if k in pos else item for k, item in enumerate(idx))

    def f(x, *arrs):
        return fnp.getitem(x, build(arrs))

    def g(x, *arrs):
        return fad.grad(lambda x: fnp.sum(fnp.at(x)[build(arrs)].add(f(x, *arrs) ** 2)))(x)

    in_x = xs if x_batched else xs[0]
    ax = (0 if x_batched else None,) + (0,) * len(pos)
    args = [batched[k] for k in pos]
    want_f = np.stack([(xs[b] if x_batched else xs[0])[build([a[b] for a in args])]
                       for b in range(3)])
    np.testing.assert_allclose(fad.vmap(f, in_axes=ax)(in_x, *args), want_f)
    want_g = np.stack([g(xs[b] if x_batched else xs[0], *[a[b] for a in args])
                       for b in range(3)])
    np.testing.assert_allclose(fad.vmap(g, in_axes=ax)(in_x, *args), want_g)


def _dim_of(idx, k):
    """The axis of (2, 3, 4) that item k of the index consumes."""
    items = [i for i in idx if i is not None]
    k2 = sum(1 for i in idx[:k] if i is not None)
    ell = [j for j, i in enumerate(items) if i is Ellipsis]
    if ell:
        e = ell[0]
        if k2 > e:
            return 3 - (len(items) - k2)
    return k2


def test_traced_mask_writes_work_under_vmap():
    def f(x):
        y = x * 1.0
        y[y < 0] = 0.0                                   # ReLU written the NumPy way
        return fnp.sum(fnp.at(y)[y > 1].multiply(3.0) ** 2) + fnp.sum(fnp.at(y)[y > 0].add(1.0))
    xs = np.array([[1.0, -2.0, 0.5], [-1.0, 3.0, 2.0]])
    want = np.stack([fad.grad(f)(x) for x in xs])
    np.testing.assert_allclose(fad.vmap(fad.grad(f))(xs), want)
    np.testing.assert_allclose(want, [[3.0, 0.0, 2.0], [0.0, 55.0, 37.0]])
    from funcad.errors import BatchingError
    with pytest.raises(BatchingError, match="fnp.where"):
        fad.vmap(lambda x: x[x > 0].sum())(xs)
