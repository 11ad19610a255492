"""fad.checkpoint: equal gradients, re-running in the backward pass, policies, memory."""

from __future__ import annotations

import importlib.util
import pathlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import funcad as fad
from funcad import extend as ex

RNG = np.random.default_rng(1)
W = RNG.standard_normal((4, 4)) / 2
X = RNG.standard_normal(4)
XB = RNG.standard_normal((3, 4))
P = fad.checkpoint_policies


def block(x, w):
    return np.tanh(w @ np.sin(x)) * 2.0 + x


def _close(a, b, tol=1e-12):
    la, lb = fad.tree.leaves(a), fad.tree.leaves(b)
    assert len(la) == len(lb)
    for u, v in zip(la, lb):
        np.testing.assert_allclose(np.asarray(u), np.asarray(v), rtol=tol, atol=tol)


POLICIES = [None, P.nothing_saveable, P.dots_saveable, P.everything_saveable,
            P.save_only_these_names("h")]

NESTED = {
    "grad": lambda F: fad.grad(lambda x, w: np.sum(F(F(x, w), w) ** 2), argnums=(0, 1))(X, W),
    "grad_grad": lambda F: fad.grad(lambda x: np.sum(fad.grad(lambda y: np.sum(F(y, W) ** 2))(x)
                                                     ** 2))(X),
    "hessian": lambda F: fad.hessian(lambda x: np.sum(F(x, W) ** 3))(X),
    "jacrev": lambda F: fad.jacrev(lambda x: F(x, W))(X),
    "jvp": lambda F: fad.jvp(lambda x: F(x, W), (X,), (W[0],)),
    "jvp_grad": lambda F: fad.jvp(fad.grad(lambda x: np.sum(F(x, W) ** 2)), (X,), (W[0],)),
    "vmap_grad": lambda F: fad.vmap(fad.grad(lambda x: np.sum(F(x, W) ** 2)))(XB),
    "grad_vmap": lambda F: fad.grad(lambda w: np.sum(fad.vmap(F, (0, None))(XB, w) ** 2))(W),
    "vjp_vmap": lambda F: fad.vjp(fad.vmap(F, (0, None)), XB, W)[1](XB),
}


def named_block(x, w):
    h = fad.checkpoint_name(w @ np.sin(x), "h")
    return np.tanh(h) * 2.0 + x


@pytest.mark.parametrize("name", sorted(NESTED))
@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: getattr(p, "__name__", "none"))
def test_checkpoint_equal_under_every_transform(name, policy):
    _close(NESTED[name](fad.checkpoint(named_block, policy=policy)), NESTED[name](named_block))


# ---------------------------------------------------------------------------
# re-running: count the calls of an expensive primitive
# ---------------------------------------------------------------------------

calls = []
costly_p = ex.Primitive("_test_costly_op", lambda x: (calls.append(1), np.sin(x))[1])
ex.defjvp(costly_p, lambda t, ans, x: t * np.cos(x))
ex.defvjp(costly_p, lambda g, ans, x: g * np.cos(x))
ex.batch_elementwise(costly_p)


def costly_block(x, w):
    return np.tanh(w @ costly_p(x))


@pytest.mark.parametrize("policy,expected", [
    (None, 2),                                          # forward + re-run in backward
    (lambda prim, *a, **k: prim is costly_p, 1),        # saved: never recomputed
    (P.dots_saveable, 2),                               # only matmul saved
])
def test_backward_reruns_unless_saved(policy, expected):
    f = fad.checkpoint(costly_block, policy=policy)
    calls.clear()
    g = fad.grad(lambda x: np.sum(f(x, W)))(X)
    assert len(calls) == expected
    _close(g, fad.grad(lambda x: np.sum(costly_block(x, W)))(X))


def test_no_checkpoint_overhead_outside_reverse_mode():
    f = fad.checkpoint(costly_block)
    calls.clear()
    fad.jvp(lambda x: f(x, W), (X,), (X,))
    f(X, W)
    assert len(calls) == 2


def test_tape_keeps_only_inputs_and_policy_values():
    def loss(policy):
        f = fad.checkpoint(block, policy=policy)
        return lambda x: np.sum(f(x, W) ** 2)

    plain = fad.saved_residuals(lambda x: np.sum(block(x, W) ** 2), X)
    none = fad.saved_residuals(loss(None), X)
    dots = fad.saved_residuals(loss(P.dots_saveable), X)
    assert len(none) < len(plain)
    assert not any("saved" in r["source"] for r in none)
    assert [r["source"] for r in dots if "saved" in r["source"]] == ["saved matmul (checkpoint %1)"]
    named = fad.saved_residuals(lambda x: np.sum(fad.checkpoint(
        named_block, policy=P.save_only_these_names("h"))(x, W)), X)
    assert [r["source"] for r in named if "saved" in r["source"]] == [
        "saved checkpoint_name h (checkpoint %1)"]


def test_backward_tape_shows_saved_ops():
    f = fad.checkpoint(block, policy=P.dots_saveable)
    tape = fad.make_tape(fad.grad(lambda x: np.sum(f(x, W))))(X)
    ops = [e["op"] for e in tape]
    assert "matmul[saved]" in ops and "sin" in ops


# ---------------------------------------------------------------------------
# random programs: checkpointing any segment never changes the gradient
# ---------------------------------------------------------------------------

UNARY = [np.sin, np.tanh, lambda x: x * x, lambda x: np.exp(-x * x), lambda x: W @ x,
         lambda x: x / (1.0 + x * x), lambda x: np.cumsum(x)]


@settings(max_examples=25, deadline=None, database=None, derandomize=True)
@given(ops=st.lists(st.integers(0, len(UNARY) - 1), min_size=1, max_size=8),
       cut=st.tuples(st.integers(0, 8), st.integers(0, 8)),
       policy=st.sampled_from(POLICIES[:4]), seed=st.integers(0, 1000))
def test_random_programs_checkpoint_equal_gradients(ops, cut, policy, seed):
    lo, hi = sorted(c % (len(ops) + 1) for c in cut)

    def run(x, seq):
        for k in seq:
            x = UNARY[k](x) + 0.5 * x
        return x

    def f(x, ck):
        mid = (lambda y: run(y, ops[lo:hi]))
        if ck:
            mid = fad.checkpoint(mid, policy=policy)
        return np.sum(run(mid(run(x, ops[:lo])), ops[hi:]) ** 2)

    x = np.random.default_rng(seed).standard_normal(4)
    _close(fad.grad(f)(x, True), fad.grad(f)(x, False), 1e-12)
    _close(fad.grad(lambda y: np.sum(fad.grad(f)(y, True)))(x),
           fad.grad(lambda y: np.sum(fad.grad(f)(y, False)))(x), 1e-10)


# ---------------------------------------------------------------------------
# the memory claim, on the benchmark itself
# ---------------------------------------------------------------------------

def test_thousand_layer_chain_memory_ten_times_lower():
    path = pathlib.Path(__file__).parent.parent / "benchmarks" / "checkpoint_memory.py"
    spec = importlib.util.spec_from_file_location("checkpoint_memory", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    ratio, err = bench.main(["--layers", "1000", "--block", "25", "--n", "1000"])
    assert ratio >= 10
    assert err <= 1e-12


# ---------------------------------------------------------------------------
# misc API
# ---------------------------------------------------------------------------

def test_remat_alias_pytrees_and_static_argnums():
    assert fad.remat is fad.checkpoint

    def f(p, n):
        x = p["x"]
        for _ in range(n):
            x = np.sin(x) * p["w"]
        return {"y": x, "z": (np.sum(x),)}

    cf = fad.checkpoint(f, static_argnums=(1,))
    p = {"x": X, "w": W[0]}
    loss = (lambda F: lambda p: np.sum(F(p, 3)["y"]) + F(p, 3)["z"][0] ** 2)
    _close(fad.grad(loss(cf))(p), fad.grad(loss(f))(p))
    _close(cf(p, 2), f(p, 2))


def test_closure_over_traced_value_is_a_clear_error():
    def loss(x, w):
        return np.sum(fad.checkpoint(lambda x: np.sin(x) * w)(x))   # w captured, traced

    with pytest.raises(fad.FuncadError, match="closes over.*argument"):
        fad.grad(loss, argnums=(0, 1))(X, 1.5)
    # a captured *constant* is fine, and so is a function of untraced arguments only
    _close(fad.grad(lambda x: np.sum(fad.checkpoint(lambda y: np.sin(y) * W[0])(x)))(X),
           np.cos(X) * W[0])
    _close(fad.grad(lambda w: np.sum(fad.checkpoint(lambda y: np.sin(y) * w)(X)))(1.5),
           np.sum(np.sin(X)))


def test_checkpoint_name_is_identity_and_checks_name():
    assert float(fad.grad(lambda x: fad.checkpoint_name(x, "a") * 3.0)(1.0)) == 3.0
    with pytest.raises(TypeError, match="name must be a str"):
        fad.checkpoint_name(1.0, 3)
