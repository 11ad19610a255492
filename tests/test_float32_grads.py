"""A float32 computation differentiates in float32: no rule makes a float64 intermediate.

One float64 weight array (a tie split written with a Python 0.5, a count of bools) turns
every cotangent after it into float64, so the matrix products of the backward pass run at
double precision and twice the cost. Every primitive's output is watched here.
"""

import numpy as np
import pytest

import funcad as fad
import funcad.numpy as fnp
from funcad import nn
from funcad._core import primitives


@pytest.fixture
def float64_outputs(monkeypatch):
    """The names of primitives that returned a float64 array while the test ran."""
    seen = []
    for p in list(primitives.values()):
        def watched(*args, _impl=p.impl, _name=p.name, **params):
            out = _impl(*args, **params)
            for o in out if isinstance(out, (list, tuple)) else (out,):
                if getattr(o, "dtype", None) == np.float64:
                    seen.append(_name)
            return out
        monkeypatch.setattr(p, "impl", watched)
    return seen


def _mlp_data(rng):
    w1, b1 = rng.standard_normal((6, 5)), rng.standard_normal(5)
    w2, b2 = rng.standard_normal((5, 3)), rng.standard_normal(3)
    x, y = rng.standard_normal((4, 6)), np.eye(3)[[0, 1, 2, 0]]
    return [a.astype(np.float32) for a in (w1, b1, w2, b2, x, y)]


def _mlp_loss(params, x, y, act):
    w1, b1, w2, b2 = params
    z = act(x @ w1 + b1) @ w2 + b2
    m = fnp.max(z, axis=1, keepdims=True)              # the max VJP's weights
    lse = fnp.log(fnp.sum(fnp.exp(z - m), axis=1, keepdims=True)) + m
    return -fnp.sum(y * (z - lse)) / x.shape[0]


@pytest.mark.parametrize("act", [fnp.tanh, lambda h: fnp.maximum(h, 0.0), nn.relu, nn.gelu],
                         ids=["tanh", "maximum", "relu", "gelu"])
def test_float32_mlp_backward_stays_float32(act, float64_outputs):
    *params, x, y = _mlp_data(np.random.default_rng(0))
    grads = fad.grad(_mlp_loss)(params, x, y, act)
    assert [g.dtype for g in grads] == [np.float32] * 4
    assert float64_outputs == []


def test_float64_reference_agrees(float64_outputs):
    # the float32 gradient is the float64 one, rounded
    *params, x, y = _mlp_data(np.random.default_rng(1))
    g32 = fad.grad(_mlp_loss)(params, x, y, lambda h: fnp.maximum(h, 0.0))
    g64 = fad.grad(_mlp_loss)([p.astype(np.float64) for p in params], x.astype(np.float64),
                              y.astype(np.float64), lambda h: fnp.maximum(h, 0.0))
    for a, b in zip(g32, g64):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("fn", [fnp.max, fnp.min, lambda v: fnp.maximum(v, v[::-1]),
                                lambda v: fnp.fmin(v, 1.0)], ids=["max", "min", "maximum", "fmin"])
def test_ties_split_in_float32(fn, float64_outputs):
    v = np.array([1.0, 3.0, 3.0, 1.0], np.float32)
    g = fad.grad(lambda v: fnp.sum(fn(v)))(v)
    assert g.dtype == np.float32 and float64_outputs == []
    assert set(np.unique(g)) <= {0.0, 0.5, 1.0, 2.0}


def test_integer_label_cross_entropy_makes_no_float64_mask(float64_outputs):
    logits = np.random.default_rng(2).standard_normal((4, 3)).astype(np.float32)
    g = fad.grad(lambda z: fnp.sum(nn.softmax_cross_entropy_with_integer_labels(
        z, np.array([0, 2, 1, 0]))))(logits)
    assert g.dtype == np.float32 and float64_outputs == []


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tanh_backward_writes_only_its_own_temporary(dtype):
    # the tanh VJP works in place on plain arrays; the saved output it reads (also returned
    # here through has_aux) and the incoming cotangent must come out unchanged
    x = np.linspace(-2, 2, 7).astype(dtype)

    def f(x):
        h = fnp.tanh(x)
        t = fnp.tanh(h)
        return fnp.sum(h * t), (h, t)

    (g, (h, t)) = fad.grad(f, has_aux=True)(x)
    h0, t0 = np.tanh(x), np.tanh(np.tanh(x))
    np.testing.assert_array_equal(h, h0)
    np.testing.assert_array_equal(t, t0)
    want = (t0 + h0 * (1 - t0 ** 2)) * (1 - h0 ** 2)
    assert g.dtype == dtype
    np.testing.assert_allclose(g, want, rtol=1e-6 if dtype == np.float32 else 1e-13)
