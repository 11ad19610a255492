"""vmap: axes specs, sizes, errors, and nesting with every other transform."""

from __future__ import annotations

import numpy as np
import pytest

import funcad as fad
import funcad.numpy as fnp
from funcad import extend
from funcad import _batching
from funcad._batching import batch_rules
from funcad._core import primitives

RNG = np.random.default_rng(0)


def loop(f, args, in_axes, out_axis=0):
    """Reference: apply f per example and stack (in_axes: tuple of int/None per arg)."""
    size = next(np.shape(a)[ax] for a, ax in zip(args, in_axes) if ax is not None)
    outs = [f(*[a if ax is None else np.take(a, i, axis=ax) for a, ax in zip(args, in_axes)])
            for i in range(size)]
    return np.stack(outs, axis=out_axis)


def f2(x, y):
    return np.sin(x) * y + np.sum(x ** 2)


# ---------------------------------------------------------------------------
# semantics
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("in_axes", [(0, 0), (1, 0), (-1, None), (None, 1), (0, -1)])
@pytest.mark.parametrize("out_axes", [0, 1, -1, -2])
def test_in_and_out_axes(in_axes, out_axes):
    x = RNG.normal(size=(4, 4))
    y = RNG.normal(size=(4, 4))
    got = fad.vmap(f2, in_axes=in_axes, out_axes=out_axes)(x, y)
    want = loop(f2, (x, y), in_axes, out_axis=out_axes)
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_pytree_in_axes_and_out_axes():
    def f(p, z):
        return {"a": p["w"] @ z, "b": p["b"] * 2.0}, z.sum()

    p = {"w": RNG.normal(size=(3, 5, 2)), "b": RNG.normal(size=(4,))}
    z = RNG.normal(size=(2, 3))
    out = fad.vmap(f, in_axes=({"w": 0, "b": None}, 1), out_axes=({"a": 1, "b": None}, 0))(p, z)
    (d, s) = out
    assert d["a"].shape == (5, 3) and d["b"].shape == (4,) and s.shape == (3,)
    for i in range(3):
        np.testing.assert_allclose(d["a"][:, i], p["w"][i] @ z[:, i])
        np.testing.assert_allclose(s[i], z[:, i].sum())
    np.testing.assert_allclose(d["b"], p["b"] * 2.0)


def test_list_in_axes_and_prefix_for_a_tuple_argument():
    xs = (RNG.normal(size=(3, 2)), RNG.normal(size=(3,)))
    got = fad.vmap(lambda t, c: t[0] * t[1][..., None] + c, in_axes=[0, None])(xs, 1.5)
    np.testing.assert_allclose(got, xs[0] * xs[1][:, None] + 1.5)


def test_axis_size_with_no_mapped_input_and_unbatched_output_broadcast():
    out = fad.vmap(lambda x: x * 2.0, in_axes=None, axis_size=4)(np.arange(3.0))
    np.testing.assert_allclose(out, np.tile(np.arange(3.0) * 2.0, (4, 1)))
    out = fad.vmap(lambda x: np.ones(2) * 7.0, out_axes=1)(np.ones((3, 3)))
    np.testing.assert_allclose(out, np.full((2, 3), 7.0))
    with pytest.raises(fad.BatchingError, match="out_axes=1"):
        fad.vmap(lambda x: 7.0, out_axes=1)(np.ones((2, 3)))
    np.testing.assert_allclose(fad.vmap(lambda x: x.sum(), axis_size=3)(np.ones((3, 2))), 2.0)


def test_out_axes_none_for_an_unbatched_output():
    w = np.arange(3.0)
    a, b = fad.vmap(lambda x: (x + w, w * 2), out_axes=(0, None))(np.ones((5, 3)))
    assert a.shape == (5, 3)
    np.testing.assert_allclose(b, w * 2)


def test_inputs_are_not_mutated_and_scalars_batch():
    x = np.arange(6.0).reshape(2, 3)
    x0 = x.copy()
    fad.vmap(lambda r: r.sum())(x)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_allclose(fad.vmap(lambda s: s * s)(np.arange(4.0)), np.arange(4.0) ** 2)


def test_where_replaces_control_flow():
    f = fad.vmap(lambda x: fnp.where(x > 0, x, -2 * x))
    np.testing.assert_allclose(f(np.array([-1.0, 2.0])), [2.0, 2.0])


# ---------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------

def test_inconsistent_sizes():
    with pytest.raises(fad.BatchingError, match="inconsistent sizes"):
        fad.vmap(f2)(np.ones((3, 2)), np.ones((4, 2)))
    with pytest.raises(fad.BatchingError, match="axis_size"):
        fad.vmap(f2, axis_size=5)(np.ones((3, 2)), np.ones((3, 2)))


@pytest.mark.parametrize("ax", [2, -3])
def test_bad_in_axis(ax):
    with pytest.raises(fad.BatchingError, match="does not exist"):
        fad.vmap(np.sin, in_axes=ax)(np.ones((3, 2)))


def test_in_axis_on_a_scalar_and_bad_spec():
    with pytest.raises(fad.BatchingError, match="does not exist"):
        fad.vmap(np.sin)(1.0)
    with pytest.raises(ValueError, match="in_axes has 1 entries"):
        fad.vmap(f2, in_axes=(0,))(np.ones(3), np.ones(3))
    with pytest.raises((TypeError, ValueError)):
        fad.vmap(f2, in_axes=("a", 0))(np.ones(3), np.ones(3))


def test_bad_out_axis():
    with pytest.raises(fad.BatchingError, match="out_axes=3"):
        fad.vmap(np.sin, out_axes=3)(np.ones((3, 2)))


def test_all_in_axes_none_needs_axis_size():
    with pytest.raises(fad.BatchingError, match="axis_size"):
        fad.vmap(np.sin, in_axes=None)(np.ones(3))


def test_out_axes_none_on_a_batched_output():
    with pytest.raises(fad.BatchingError, match="out_axes=None"):
        fad.vmap(np.sin, out_axes=None)(np.ones(3))


@pytest.mark.parametrize("branch", [
    lambda x: x if x > 0 else -x,
    lambda x: x * (1 if bool(x.sum() > 0) else 2),
    lambda x: x[: int(x.sum() > 0)],
])
def test_control_flow_on_batched_values(branch):
    with pytest.raises(fad.BatchingError, match="where"):
        fad.vmap(branch)(np.array([1.0, -1.0]))


def test_batched_control_flow_inside_grad_still_raises():
    with pytest.raises(fad.BatchingError):
        fad.vmap(fad.grad(lambda x: x if x > 0 else -x))(np.array([1.0, -1.0]))


# ---------------------------------------------------------------------------
# nesting with every transform, in both orders
# ---------------------------------------------------------------------------

def g(x):
    return np.sum(np.tanh(x) * x ** 2)


XB = RNG.normal(size=(3, 4))


def test_vmap_of_grad_and_grad_of_vmap():
    want = np.stack([fad.grad(g)(r) for r in XB])
    np.testing.assert_allclose(fad.vmap(fad.grad(g))(XB), want, rtol=1e-12)
    # grad of the sum of a vmapped function is the same per-row gradient
    np.testing.assert_allclose(fad.grad(lambda X: np.sum(fad.vmap(g)(X)))(XB), want, rtol=1e-12)


def test_vmap_of_vmap_matches_elementwise():
    f = fad.vmap(fad.vmap(lambda a, b: a * np.sin(b)), in_axes=(1, 0))
    a, b = RNG.normal(size=(4, 3)), RNG.normal(size=(3, 4))
    np.testing.assert_allclose(f(a, b), a.T * np.sin(b), rtol=1e-12)


def test_vmap_of_jacrev_jacfwd_and_jacfwd_of_vmap():
    h = np.stack([fad.jacfwd(lambda r: np.tanh(r) * r)(r) for r in XB])
    np.testing.assert_allclose(fad.vmap(fad.jacrev(lambda r: np.tanh(r) * r))(XB), h, rtol=1e-12)
    np.testing.assert_allclose(fad.vmap(fad.jacfwd(lambda r: np.tanh(r) * r))(XB), h, rtol=1e-12)
    J = fad.jacfwd(fad.vmap(lambda r: np.tanh(r) * r))(XB)   # (3,4,3,4), block diagonal
    for i in range(3):
        np.testing.assert_allclose(J[i, :, i, :], h[i], rtol=1e-12)
        assert np.all(J[i, :, (i + 1) % 3, :] == 0)


def test_hessian_of_vmap_and_vmap_of_hessian():
    H = np.stack([fad.hessian(g)(r) for r in XB])
    np.testing.assert_allclose(fad.vmap(fad.hessian(g))(XB), H, rtol=1e-10)
    full = fad.hessian(lambda X: np.sum(fad.vmap(g)(X)))(XB)     # (3,4,3,4)
    for i in range(3):
        np.testing.assert_allclose(full[i, :, i, :], H[i], rtol=1e-10)


def test_vmap_of_jvp_vjp_and_hvp():
    v = RNG.normal(size=(3, 4))
    got = fad.vmap(lambda x, t: fad.jvp(g, (x,), (t,))[1])(XB, v)
    np.testing.assert_allclose(got, np.einsum("ij,ij->i", fad.vmap(fad.grad(g))(XB), v),
                               rtol=1e-12)
    got = fad.vmap(lambda x, c: fad.vjp(np.sin, x)[1](c)[0])(XB, v)
    np.testing.assert_allclose(got, np.cos(XB) * v, rtol=1e-12)
    got = fad.vmap(lambda x, t: fad.hvp(g, (x,), (t,))[1])(XB, v)
    H = np.stack([fad.hessian(g)(r) for r in XB])
    np.testing.assert_allclose(got, np.einsum("bij,bj->bi", H, v), rtol=1e-10)


def test_vmap_with_in_axes_none_inside_grad_closes_over_the_tracer():
    # grad w.r.t. a weight shared by all examples
    X = RNG.normal(size=(5, 3))
    w = RNG.normal(size=3)
    def loss(w):
        return np.sum(fad.vmap(lambda x, w: np.tanh(x @ w), in_axes=(0, None))(X, w))

    np.testing.assert_allclose(fad.grad(loss)(w), X.T @ (1 - np.tanh(X @ w) ** 2), rtol=1e-12)


def test_per_example_gradients_logistic_regression_has_no_fallback():
    _batching.fallback_used.clear()
    w = RNG.normal(size=4)
    X, y = RNG.normal(size=(8, 4)), RNG.choice([-1.0, 1.0], 8)
    f = fad.vmap(fad.grad(lambda w, x, y: np.log1p(np.exp(-y * (x @ w)))), in_axes=(None, 0, 0))
    s = 1 / (1 + np.exp(y * (X @ w)))
    np.testing.assert_allclose(f(w, X, y), (-y * s)[:, None] * X, rtol=1e-12)
    assert not _batching.fallback_used


# ---------------------------------------------------------------------------
# every core primitive batches with a rule, never with the per-example loop
# ---------------------------------------------------------------------------

CORE_MODULES = ("_elementwise", "_reductions", "_shape", "_indexing", "_products", "_creation",
                "_complex")


def test_core_primitives_have_batching_rules():
    import importlib
    missing = []
    for m in CORE_MODULES:
        mod = importlib.import_module(f"funcad.numpy.{m}")
        for v in vars(mod).values():
            if isinstance(v, extend.Primitive) and v not in batch_rules:
                missing.append(v.name)
    assert not missing, f"primitives that would fall back to the per-example loop: {missing}"
    assert len([p for p in primitives.values() if p in batch_rules]) > 50


def test_loop_fallback_is_correct_and_recorded():
    p = extend.Primitive("test_vmap_toy_cube", lambda x: x ** 3)
    try:
        out = fad.vmap(p)(np.arange(3.0))
        np.testing.assert_allclose(out, np.arange(3.0) ** 3)
        assert "test_vmap_toy_cube" in _batching.fallback_used
    finally:
        _batching.fallback_used.discard("test_vmap_toy_cube")
        primitives.pop("test_vmap_toy_cube", None)


def test_keyword_arguments_are_mapped_along_axis_0():
    f = fad.vmap(lambda x, *, scale: x * scale, in_axes=None)
    out = f(np.arange(3.0), scale=np.array([1.0, 2.0]))
    np.testing.assert_allclose(out, [[0, 1, 2], [0, 2, 4]])


@pytest.mark.parametrize("name", ["vmap", "vmap_dict", "vmap_grad", "hessian", "jacrev"])
def test_transforms_leave_no_reference_cycles(name):
    """The tape and the traces are freed by reference counting alone (no cycle for the GC)."""
    import gc
    f = lambda x: np.sum(np.tanh(x) * x ** 2)  # noqa: E731
    run = {"vmap": lambda: fad.vmap(np.sin, out_axes=1)(np.ones((3, 2))),
           "vmap_dict": lambda: fad.vmap(lambda d: d["a"] * 2.0, in_axes=({"a": 0},))(
               {"a": np.ones((2, 3))}),
           "vmap_grad": lambda: fad.vmap(fad.grad(f))(np.ones((3, 4))),
           "hessian": lambda: fad.hessian(f)(np.ones(4)),
           "jacrev": lambda: fad.jacrev(np.sin)(np.ones(3))}[name]
    run()
    gc.collect()
    was = gc.isenabled()
    gc.disable()
    try:
        run()
        assert gc.collect() == 0
    finally:
        if was:
            gc.enable()
