"""The fast paths (one array argument to grad, flat tuples in pytrees, small cotangents) agree
with the general paths they shortcut: same values, same structures, same errors."""

from __future__ import annotations

import collections

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import funcad as fad
import funcad.numpy as fnp
from funcad import tree

Point = collections.namedtuple("Point", "x y")


def _general(t):
    """Flatten without the fast path (an is_leaf that never fires takes the general one)."""
    return tree.flatten(t, is_leaf=lambda x: False)


# ---------------------------------------------------------------------------
# pytrees
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("t", [
    (1.0, np.ones(2), "s"), [np.ones(3), 2], (), [], np.ones(2), 3.0, "leaf",
    (1.0, None), (Point(1, 2), 3), [1, (2, 3)], (collections.OrderedDict(a=1), 2),
    {"a": (1, 2)},
])
def test_flatten_fast_path_matches_general(t):
    leaves, td = tree.flatten(t)
    leaves2, td2 = _general(t)
    assert td == td2 and hash(td) == hash(td2) and repr(td) == repr(td2)
    assert len(leaves) == len(leaves2) and all(a is b for a, b in zip(leaves, leaves2))
    back = tree.unflatten(td, leaves)
    assert type(back) is type(t) and tree.structure(back) == td


def test_flat_unflatten_returns_fresh_containers():
    leaves, td = tree.flatten([1, 2])
    out = tree.unflatten(td, leaves)
    out.append(3)                     # the caller's list of leaves is not aliased
    assert leaves == [1, 2]
    with pytest.raises(ValueError, match="needs 2 leaves, got 1"):
        tree.unflatten(td, [1])


@settings(max_examples=40, deadline=None)
@given(st.recursive(st.integers() | st.none(),
                    lambda kids: st.lists(kids, max_size=3) | st.tuples(kids, kids),
                    max_leaves=6))
def test_flatten_roundtrip_any_nesting(t):
    leaves, td = tree.flatten(t)
    assert (leaves, td) == _general(t)
    assert tree.unflatten(td, leaves) == t


# ---------------------------------------------------------------------------
# grad with one array argument
# ---------------------------------------------------------------------------

def _both(f, x, *rest, **kw):
    """grad by the one-array fast path and by the pytree path (argnums as a tuple)."""
    fast = fad.grad(f)(x, *rest, **kw)
    general = fad.grad(f, argnums=(0,))(x, *rest, **kw)[0]
    return fast, general


@pytest.mark.parametrize("f", [
    lambda x, c=1.0: np.sum(np.sin(x) * c),
    lambda x, c=1.0: (np.sum(x ** 2),),              # a 1-tuple output is one scalar
    lambda x, c=1.0: [np.prod(x)],
    lambda x, c=1.0: 3.0,                             # no dependence: zero gradient
    lambda x, c=1.0: np.float64(2.0),
])
def test_grad_fast_path_matches_pytree_path(f):
    x = np.array([0.5, -1.0, 2.0])
    fast, general = _both(f, x, c=2.0)
    np.testing.assert_allclose(fast, general)
    assert fast.dtype == x.dtype and fast.shape == x.shape


def test_grad_fast_path_kwargs_aux_float_and_rebinding():
    x = np.array([1.0, 2.0])
    g, aux = fad.grad(lambda x, k: (np.sum(x * k), {"k": k}), has_aux=True)(x, k=3.0)
    np.testing.assert_allclose(g, [3.0, 3.0])
    assert aux == {"k": 3.0}
    assert float(fad.grad(lambda x: x ** 3)(2.0)) == 12.0

    def f(x):
        x = fnp.array(x)
        x[0] = 5.0                    # rebinding the input: its gradient is still read
        return np.sum(x * x)

    np.testing.assert_allclose(fad.grad(f)(x), [0.0, 4.0])
    assert x.tolist() == [1.0, 2.0]   # never mutated


def test_grad_fast_path_inside_other_transforms():
    x = np.array([0.3, 0.7])
    f = lambda x: np.sum(np.sin(x) ** 2)
    _, hv = fad.jvp(fad.grad(f), (x,), (np.ones(2),))
    np.testing.assert_allclose(hv, 2 * np.cos(2 * x), rtol=1e-12)
    per = fad.vmap(fad.grad(f))(np.stack([x, 2 * x]))
    np.testing.assert_allclose(per, np.sin(2 * np.stack([x, 2 * x])), rtol=1e-12)


@pytest.mark.parametrize("f, err, msg", [
    (lambda x: x * 2.0, TypeError, r"grad needs a scalar output, got shape \(2,\)"),
    (lambda x: (x[0], x[1]), TypeError,
     r"returned a tuple of 2 \(PyTreeDef\(\(\*, \*\)\)\); if the second"),
    (lambda x: (), TypeError, r"got shape a pytree PyTreeDef\(\(\)\)"),
    (lambda x: np.sum(x) > 0, TypeError, "needs a float output, got dtype bool"),
    (lambda x: np.sum(x) * 1j, TypeError, "real-valued output"),
    (lambda x: 1.0, TypeError, "has_aux=True needs the function to return a pair"),
])
def test_grad_fast_path_errors(f, err, msg):
    aux = "has_aux" in msg
    with pytest.raises(err, match=msg):
        fad.grad(f, has_aux=aux)(np.ones(2))
    with pytest.raises(err, match=msg):           # the pytree path says the same
        fad.grad(f, argnums=(0,), has_aux=aux)(np.ones(2))


def test_grad_argument_checks_still_apply():
    with pytest.raises(TypeError, match="float or complex inputs; grad: x has"):
        fad.grad(lambda x: x * 1.0)(np.array([1, 2]))
    with pytest.raises(ValueError, match="out of range"):
        fad.grad(lambda x: x, argnums=1)(1.0)
    with pytest.raises(TypeError, match="holomorphic=True needs complex inputs"):
        fad.grad(lambda x: x, holomorphic=True)(1.0)


# ---------------------------------------------------------------------------
# small cotangents and basic-index scatters
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("n", [1, 7, 4096, 4097])
def test_sum_gradient_small_and_large(n):
    x = np.linspace(0.0, 1.0, n)
    g = fad.grad(lambda x: np.sum(x))(x)
    assert g.shape == (n,) and g.dtype == np.float64 and np.all(g == 1.0)
    g32 = fad.grad(lambda x: np.sum(x))(x.astype(np.float32))
    assert g32.dtype == np.float32


def test_sum_of_ints_keeps_numpy_semantics():
    assert fnp.sum(np.array([1, 2], dtype=np.int8)).dtype == np.sum(
        np.array([1, 2], dtype=np.int8)).dtype
    v, g = fad.value_and_grad(lambda x: np.sum(x) + np.sum(np.array([True, True])))(np.ones(2))
    assert float(v) == 4.0 and g.tolist() == [1.0, 1.0]


def test_basic_index_gradient_matches_advanced_index():
    x = np.arange(12.0).reshape(3, 4)
    f_basic = lambda x: np.sum(x[1:, ::2] ** 2) + x[0, -1]
    f_adv = lambda x: (np.sum(x[np.array([1, 2])][:, np.array([0, 2])] ** 2)
                       + x[np.array([0]), np.array([3])][0])
    np.testing.assert_allclose(fad.grad(f_basic)(x), fad.grad(f_adv)(x))
    # under a second derivative the cotangent is traced: the scatter primitive is used
    h = fad.hessian(lambda x: np.sum(x[1:] ** 3))(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(h, np.diag([0.0, 12.0, 18.0]))


# ---------------------------------------------------------------------------
# vmap's size checks
# ---------------------------------------------------------------------------

def test_vmap_size_errors_name_every_leaf():
    with pytest.raises(fad.BatchingError, match=r"leaf 0: 2, leaf 2: 3"):
        fad.vmap(lambda a, b, c: a, in_axes=(0, None, 0))(np.ones(2), 1.0, np.ones(3))
    with pytest.raises(fad.BatchingError, match=r"leaf 0: 2, axis_size: 5"):
        fad.vmap(lambda a: a, axis_size=5)(np.ones(2))
    with pytest.raises(fad.BatchingError, match=r"in_axes=1 for input leaf 1 of shape \(2,\)"):
        fad.vmap(lambda a, b: a, in_axes=(0, 1))(np.ones(2), np.ones(2))
    out = fad.vmap(lambda a: a * 2.0, in_axes=None, axis_size=3)(np.ones(2))
    assert out.shape == (3, 2)


# ---------------------------------------------------------------------------
# elementwise batching: the fast path and the general rule agree
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("shapes,axes", [
    (((4, 3), (4, 3)), (0, 0)),       # both batched, same rank: fast path
    (((4, 3), (3,)), (0, None)),      # batched operand has the full rank: fast path
    (((3,), (4, 3)), (None, 0)),
    (((4, 3), (4, 2, 3)), (0, 0)),    # ranks differ: the general rule aligns them
    (((4,), (2, 3)), (0, None)),      # batched operand has the lower rank
    (((4, 3), ()), (0, None)),
])
def test_elementwise_batching_fast_path_matches_loop(shapes, axes):
    rng = np.random.default_rng(0)
    a, b = (rng.normal(size=s) for s in shapes)
    for f in (fnp.multiply, fnp.subtract, np.arctan2, lambda x, y: x * 2.0 - y):
        got = fad.vmap(f, in_axes=axes)(a, b)
        n = shapes[0][0] if axes[0] == 0 else shapes[1][0]
        want = np.stack([f(a[i] if axes[0] == 0 else a, b[i] if axes[1] == 0 else b)
                         for i in range(n)])
        np.testing.assert_allclose(got, want)


def test_elementwise_batching_fast_path_yields_to_a_rule_of_its_own():
    import funcad.extend as ex
    p = ex.Primitive("fast_path_probe", np.multiply)
    ex.batch_elementwise(p)
    seen = []

    def rule(vals, dims, **params):
        seen.append(dims)
        a, b = (v if d is not None else np.broadcast_to(v, vals[0].shape)
                for v, d in zip(vals, dims))
        return np.multiply(a, b)
    ex.defbatch(p, rule)
    out = fad.vmap(lambda x, y: p(x, y))(np.ones((3, 2)), np.full((3, 2), 2.0))
    np.testing.assert_allclose(out, 2.0)
    assert seen == [[0, 0]]


# ---------------------------------------------------------------------------
# Jacobians, jvp and hvp of one array argument: the short way and the pytree way agree
# ---------------------------------------------------------------------------

def _outputs(x, c):
    return {"a": fnp.sin(x) * c, "b": (x @ x, fnp.stack([x[0] * 2.0, x[1] ** 2]))}


@pytest.mark.parametrize("transform", [fad.jacfwd, fad.jacrev, fad.jacobian, fad.hessian])
@pytest.mark.parametrize("f", [
    lambda x, c: fnp.sum(fnp.sin(x) ** 2) * c,       # scalar output
    lambda x, c: fnp.tanh(x) * c,                      # array output
    _outputs,                                          # pytree output
    lambda x, c: c * 3.0,                              # output does not depend on x
])
def test_jacobian_short_way_matches_pytree_way(transform, f):
    x, c = np.array([0.3, -1.2, 2.0]), 1.5
    if transform is fad.hessian and f is _outputs:
        f = lambda x, c: _outputs(x, c)["a"]      # noqa: E731 - hessian of a vector output
    short = transform(f)(x, c)                    # argnums=0: one array, the short way
    general = transform(f, argnums=(0,))(x, c)    # a tuple of argnums: the pytree way
    # the same structure as the output, one Jacobian per output leaf (no argnums tuple level)
    assert tree.structure(short) == tree.structure(f(x, c))
    assert len(tree.leaves(short)) == len(tree.leaves(general))
    for s, g in zip(tree.leaves(short), tree.leaves(general)):
        assert s.shape == g.shape and s.dtype == g.dtype
        np.testing.assert_allclose(s, g)


def test_jacobian_short_way_inside_other_transforms_and_errors():
    f = lambda x: fnp.sum(fnp.sin(x) ** 3)             # noqa: E731
    x = np.array([0.5, 1.5])
    h = fad.hessian(f)(x)
    np.testing.assert_allclose(h, np.diag(6 * np.sin(x) * np.cos(x) ** 2 - 3 * np.sin(x) ** 3))
    # the inner jacrev of hessian sees a traced argument; vmap over it also works
    hs = fad.vmap(fad.hessian(f))(np.stack([x, 2 * x]))
    np.testing.assert_allclose(hs[1], fad.hessian(f)(2 * x))
    with pytest.raises(TypeError, match="float or complex"):
        fad.jacfwd(f)(np.array([1, 2]))
    with pytest.raises(TypeError, match="holomorphic"):
        fad.jacfwd(lambda z: z * 2, holomorphic=True)(x)
    with pytest.raises(TypeError, match="real-valued inputs"):
        fad.jacfwd(lambda z: z * 2)(x + 0j)


def test_jvp_and_hvp_short_way_match_pytree_way():
    f = lambda x: fnp.sum(fnp.exp(x) * x)             # noqa: E731
    x, v = np.array([0.1, -0.4, 0.7]), np.array([1.0, 2.0, -1.0])
    y1, t1 = fad.jvp(f, (x,), (v,))
    y2, t2 = fad.jvp(lambda a, b: f(a) + 0.0 * fnp.sum(b), (x, x), (v, np.zeros(3)))
    np.testing.assert_allclose([y1, t1], [y2, t2])
    y3, t3 = fad.jvp(f, [x], [v.astype(np.float32)])     # a float32 tangent: accepted as before
    np.testing.assert_allclose(t3, t1, rtol=1e-6)
    _, hv = fad.hvp(f, (x,), (v,))
    np.testing.assert_allclose(hv, fad.hessian(f)(x) @ v)
    _, hv2 = fad.hvp(lambda d: f(d["x"]), ({"x": x},), ({"x": v},))
    np.testing.assert_allclose(hv2["x"], hv)
    with pytest.raises(ValueError, match="tangent 0 has shape"):
        fad.jvp(f, (x,), (v[:2],))
    with pytest.raises(TypeError, match="tangents must be float"):
        fad.jvp(f, (x,), (np.array([1, 2, 3]),))
