"""linearize / linear_transpose: equal to jvp / vjp, never re-running the function."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import funcad as fad
import funcad.numpy as fnp

RNG = np.random.default_rng(2)
A = RNG.standard_normal((3, 3))


def _close(a, b, tol=1e-12):
    la, lb = fad.tree.leaves(a), fad.tree.leaves(b)
    assert len(la) == len(lb)
    for u, v in zip(la, lb):
        np.testing.assert_allclose(np.asarray(u), np.asarray(v), rtol=tol, atol=tol)


FUNS = {
    "elementwise": (lambda x: np.sin(x) * np.exp(-x ** 2), (3,)),
    "matmul": (lambda x: np.tanh(A @ x) + x[::-1], (3,)),
    "reduction": (lambda x: np.sum(x ** 3, axis=0) / np.max(np.abs(x)), (3, 2)),
    "two_args": (lambda x, y: (x * y, np.outer(x, np.cos(y))), (3,)),
    "where_indexing": (lambda x: fnp.where(x > 0, x ** 2, np.sin(x))[1:] * x[0], (4,)),
    "pytree": (lambda p: {"a": p["w"] @ p["x"], "b": np.sum(p["x"] ** 2)}, None),
}


def _args(name, rng):
    f, shp = FUNS[name]
    if name == "pytree":
        return ({"w": rng.standard_normal((2, 3)), "x": rng.standard_normal(3)},)
    if name == "two_args":
        return rng.standard_normal(shp), rng.standard_normal(shp)
    return (rng.standard_normal(shp),)


@pytest.mark.parametrize("name", sorted(FUNS))
@settings(max_examples=4, deadline=None, database=None, derandomize=True)
@given(seed=st.integers(0, 10_000))
def test_linearize_equals_jvp_and_transpose_equals_vjp(name, seed):
    rng = np.random.default_rng(seed)
    f = FUNS[name][0]
    args = _args(name, rng)
    out, f_jvp = fad.linearize(f, *args)
    _close(out, f(*args))
    for _ in range(2):     # several tangents on one linearization
        ts = fad.tree.map(lambda x: rng.standard_normal(np.shape(x)), args)
        _close(f_jvp(*ts), fad.jvp(f, args, ts)[1])
    ct = fad.tree.map(lambda o: rng.standard_normal(np.shape(o)), out)
    _close(fad.linear_transpose(f_jvp)(ct), fad.vjp(f, *args)[1](ct))


def test_f_jvp_never_calls_f():
    calls = []

    def f(x):
        calls.append(1)
        return np.sin(x) * x

    _, f_jvp = fad.linearize(f, np.ones(3))
    assert len(calls) == 1
    for k in range(5):
        f_jvp(np.full(3, float(k)))
    fad.linear_transpose(f_jvp)(np.ones(3))
    assert len(calls) == 1


def test_replay_has_no_primal_ops():
    _, f_jvp = fad.linearize(lambda x: np.exp(np.sin(x)), np.ones(3))
    ops = [e[0].name for e in f_jvp._linear.tape.entries if hasattr(e[0], "name")]
    assert "sin" not in ops and "exp" not in ops and ops == ["multiply", "multiply"]


def test_f_jvp_composes_with_transforms():
    x = RNG.standard_normal(3)
    f = lambda x: np.tanh(A @ x) * x  # noqa: E731
    _, f_jvp = fad.linearize(f, x)
    J = fad.jacfwd(f)(x)
    _close(fad.vmap(f_jvp)(np.eye(3)).T, J)
    _close(fad.jacfwd(f_jvp)(x), J)                       # a linear map is its own Jacobian
    _close(fad.grad(lambda t: np.sum(f_jvp(t) * x))(x), J.T @ x)


def test_linearize_of_custom_rules_and_checkpoint():
    @fad.custom_jvp
    def f(x):
        return np.sin(x)

    f.defjvp(lambda p, t: (f(p[0]), 3.0 * t[0]))         # fake slope: shows the rule is used
    _, f_jvp = fad.linearize(lambda x: f(x) * 2.0, np.ones(2))
    _close(f_jvp(np.ones(2)), np.full(2, 6.0))
    g = fad.checkpoint(lambda x: np.sin(x) ** 2)
    x = RNG.standard_normal(3)
    _close(fad.linearize(g, x)[1](x), fad.jvp(g, (x,), (x,))[1])


def test_linear_transpose_of_a_linear_function():
    f = lambda x, y: (A @ x + 2.0 * y, np.sum(y))  # noqa: E731
    x, y = RNG.standard_normal(3), RNG.standard_normal(3)
    ct = (RNG.standard_normal(3), 1.5)
    _close(fad.linear_transpose(f, x, y)(ct), (A.T @ ct[0], 2.0 * ct[0] + 1.5))


def test_errors():
    _, f_jvp = fad.linearize(lambda x, y: x * y, np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match="tangent leaf 1 has shape \\(2,\\), expected \\(3,\\)"):
        f_jvp(np.ones(3), np.ones(2))
    with pytest.raises(ValueError, match="structure differs"):
        f_jvp(np.ones(3))
    with pytest.raises(ValueError, match="cotangent leaf 0 has shape"):
        fad.linear_transpose(f_jvp)(np.ones(4))
    with pytest.raises(TypeError, match="pass example arguments"):
        fad.linear_transpose(lambda x: 2 * x)
    with pytest.raises(TypeError, match="float"):
        fad.linearize(lambda n: n * 2, 3)
