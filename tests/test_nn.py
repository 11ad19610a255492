"""funcad.nn: derivatives (fwd and rev, order 2), values against naive formulas,
vmap, stability, subgradient choices, initializer statistics and errors."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import funcad
from funcad import nn
from funcad.nn._special import erf

# Inputs kept at least 0.05 away from every kink (0, +-1, +-3, 6) so finite
# differences see a smooth function.
X = np.array([[-3.7, -1.3, -0.4, 0.3], [0.8, 2.2, 4.5, 6.8]])
Y = np.array([[0.2, -0.9, 1.7, 0.1], [-1.1, 0.6, 3.0, 5.5]])

_verf = np.vectorize(math.erf)


def _np_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _np_softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


SELU_A, SELU_S = 1.6732632423543772, 1.0507009873554805

# name -> (function, naive NumPy formula)
ACTIVATIONS = {
    "relu": (nn.relu, lambda x: np.maximum(x, 0)),
    "relu6": (nn.relu6, lambda x: np.minimum(np.maximum(x, 0), 6)),
    "leaky_relu": (lambda x: nn.leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
    "elu": (lambda x: nn.elu(x, 1.5), lambda x: np.where(x > 0, x, 1.5 * (np.exp(x) - 1))),
    "selu": (nn.selu, lambda x: SELU_S * np.where(x > 0, x, SELU_A * (np.exp(x) - 1))),
    "celu": (lambda x: nn.celu(x, 2.0), lambda x: np.where(x > 0, x, 2 * (np.exp(x / 2) - 1))),
    "gelu_tanh": (nn.gelu, lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi)
                                                          * (x + 0.044715 * x ** 3)))),
    "gelu_exact": (lambda x: nn.gelu(x, approximate=False),
                   lambda x: 0.5 * x * (1 + _verf(x / np.sqrt(2)))),
    "silu": (nn.silu, lambda x: x * _np_sigmoid(x)),
    "softplus": (nn.softplus, lambda x: np.log(1 + np.exp(x))),
    "sigmoid": (nn.sigmoid, _np_sigmoid),
    "log_sigmoid": (nn.log_sigmoid, lambda x: np.log(_np_sigmoid(x))),
    "tanh": (nn.tanh, np.tanh),
    "hard_tanh": (nn.hard_tanh, lambda x: np.clip(x, -1, 1)),
    "hard_sigmoid": (nn.hard_sigmoid, lambda x: np.clip(x + 3, 0, 6) / 6),
    "hard_silu": (nn.hard_silu, lambda x: x * np.clip(x + 3, 0, 6) / 6),
    "softmax": (nn.softmax, _np_softmax),
    "softmax_axis0": (lambda x: nn.softmax(x, axis=0), lambda x: _np_softmax(x.T).T),
    "log_softmax": (nn.log_softmax, lambda x: np.log(_np_softmax(x))),
    "logsumexp": (lambda x: nn.logsumexp(x, axis=-1),
                  lambda x: np.log(np.sum(np.exp(x), axis=-1))),
    "standardize": (nn.standardize,
                    lambda x: (x - x.mean(-1, keepdims=True))
                    / np.sqrt(x.var(-1, keepdims=True) + 1e-5)),
    "erf": (erf, _verf),
}

P = np.array([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]])          # probability rows
LOGITS = np.array([[1.2, -0.3, 0.4], [-2.0, 0.7, 1.1]])
INT_LABELS = np.array([2, 0])
PM = np.array([[1.0, -1.0, 1.0, -1.0], [-1.0, 1.0, 1.0, -1.0]])  # +-1 targets
SCORES = np.array([[0.3, 0.4, 2.5, -1.6], [0.7, -0.2, 1.4, 0.5]])  # margins never exactly 1

# name -> (function of the differentiated args, args, naive formula)
LOSSES = {
    "squared_error": (nn.squared_error, (X, Y), lambda p, t: (p - t) ** 2),
    "l2_loss": (nn.l2_loss, (X, Y), lambda p, t: 0.5 * (p - t) ** 2),
    "absolute_error": (nn.absolute_error, (X, Y), lambda p, t: np.abs(p - t)),
    "huber_loss": (lambda p, t: nn.huber_loss(p, t, delta=1.2), (X, Y),
                   lambda p, t: np.where(np.abs(p - t) <= 1.2, 0.5 * (p - t) ** 2,
                                         1.2 * (np.abs(p - t) - 0.6))),
    "log_cosh": (nn.log_cosh, (X, Y), lambda p, t: np.log(np.cosh(p - t))),
    "softmax_cross_entropy": (nn.softmax_cross_entropy, (LOGITS, P),
                              lambda z, p: -np.sum(p * np.log(_np_softmax(z)), -1)),
    "softmax_cross_entropy_with_integer_labels": (
        lambda z: nn.softmax_cross_entropy_with_integer_labels(z, INT_LABELS), (LOGITS,),
        lambda z: -np.log(_np_softmax(z))[np.arange(2), INT_LABELS]),
    "sigmoid_binary_cross_entropy": (
        nn.sigmoid_binary_cross_entropy, (X, _np_sigmoid(Y)),
        lambda z, t: -t * np.log(_np_sigmoid(z)) - (1 - t) * np.log(1 - _np_sigmoid(z))),
    "hinge_loss": (nn.hinge_loss, (SCORES, PM), lambda s, t: np.maximum(0, 1 - s * t)),
    "squared_hinge_loss": (nn.squared_hinge_loss, (SCORES, PM),
                           lambda s, t: np.maximum(0, 1 - s * t) ** 2),
    "kl_divergence": (nn.kl_divergence, (np.log(P[::-1]), P),
                      lambda lp, t: np.sum(t * (np.log(t) - lp), -1)),
    "kl_divergence_with_log_targets": (
        nn.kl_divergence_with_log_targets, (np.log(P[::-1]), np.log(P)),
        lambda lp, lt: np.sum(np.exp(lt) * (lt - lp), -1)),
    "cosine_similarity": (nn.cosine_similarity, (X, Y),
                          lambda a, b: np.sum(a * b, -1) / np.linalg.norm(a, axis=-1)
                          / np.linalg.norm(b, axis=-1)),
    "cosine_distance": (nn.cosine_distance, (X, Y),
                        lambda a, b: 1 - np.sum(a * b, -1) / np.linalg.norm(a, axis=-1)
                        / np.linalg.norm(b, axis=-1)),
}


# ---------------------------------------------------------------------------
# values and derivatives
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_matches_naive_formula(name):
    fn, naive = ACTIVATIONS[name]
    np.testing.assert_allclose(fn(X), naive(X), rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_grads_order2(name):
    fn, _ = ACTIVATIONS[name]
    funcad.check_grads(fn, (X,), order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_keeps_float32(name):
    fn, _ = ACTIVATIONS[name]
    x = X.astype(np.float32)
    assert fn(x).dtype == np.float32
    assert funcad.grad(lambda v: np.sum(fn(v)))(x).dtype == np.float32


@pytest.mark.parametrize("name", list(LOSSES))
def test_loss_matches_naive_formula(name):
    fn, args, naive = LOSSES[name]
    np.testing.assert_allclose(fn(*args), naive(*args), rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("name", list(LOSSES))
def test_loss_grads_order2(name):
    fn, args, _ = LOSSES[name]
    funcad.check_grads(fn, args, order=2, modes=("fwd", "rev"))


def test_gelu_exact_derivative_is_x_times_gaussian():
    x = np.linspace(-8, 8, 161)
    g = funcad.vmap(funcad.grad(lambda t: nn.gelu(t, approximate=False)))(x)
    phi = np.exp(-x * x / 2) / np.sqrt(2 * np.pi)
    cdf = 0.5 * (1 + _verf(x / np.sqrt(2)))
    np.testing.assert_allclose(g, cdf + x * phi, rtol=0, atol=1e-12)


def test_erf_accuracy_and_derivatives_everywhere():
    x = np.concatenate([np.linspace(-12, 12, 2401), [0.0, 2.0, -2.0, 10.0, 1e300]])
    np.testing.assert_allclose(erf(x), _verf(x), rtol=0, atol=2e-15)
    d1 = funcad.vmap(funcad.grad(erf))(x)
    xr = np.clip(x, -30, 30)          # the reference formulas would overflow at 1e300
    np.testing.assert_allclose(d1, 2 / np.sqrt(np.pi) * np.exp(-xr * xr), rtol=0, atol=1e-12)
    d2 = funcad.jvp(lambda t: funcad.vmap(funcad.grad(erf))(t), (x,), (np.ones_like(x),))[1]
    np.testing.assert_allclose(d2, -4 / np.sqrt(np.pi) * xr * np.exp(-xr * xr), atol=1e-11)


@pytest.mark.parametrize("name", ["relu", "gelu_exact", "softmax", "log_sigmoid",
                                  "standardize", "hard_silu"])
def test_vmap_of_grad_matches_loop(name):
    fn, _ = ACTIVATIONS[name]

    def per_row(r):
        return np.sum(fn(r) * np.arange(1.0, 1 + r.shape[-1]))
    batched = funcad.vmap(funcad.grad(per_row))(X)
    looped = np.stack([funcad.grad(per_row)(r) for r in X])
    np.testing.assert_allclose(batched, looped, rtol=1e-12, atol=1e-13)


def test_vmap_of_integer_label_loss_batches_the_labels():
    labels = np.array([[0, 2], [1, 1], [2, 0]])

    def loss(z, lab):
        return np.sum(nn.softmax_cross_entropy_with_integer_labels(z, lab))
    g = funcad.vmap(funcad.grad(loss), in_axes=(None, 0))(LOGITS, labels)
    looped = np.stack([funcad.grad(loss)(LOGITS, lab) for lab in labels])
    np.testing.assert_allclose(g, looped, rtol=1e-12)


def test_cross_entropy_gradient_is_softmax_minus_one_hot():
    g = funcad.grad(lambda z: np.sum(nn.softmax_cross_entropy_with_integer_labels(
        z, INT_LABELS)))(LOGITS)
    np.testing.assert_allclose(g, _np_softmax(LOGITS) - nn.one_hot(INT_LABELS, 3), atol=1e-14)


# ---------------------------------------------------------------------------
# subgradients at kinks (as documented)
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("fn, x, want", [
    (nn.relu, 0.0, 0.0),
    (nn.relu6, 0.0, 0.0), (nn.relu6, 6.0, 0.0),
    (nn.leaky_relu, 0.0, 1.0),
    (nn.hard_tanh, 1.0, 1.0), (nn.hard_tanh, -1.0, 1.0),
    (nn.hard_sigmoid, 3.0, 0.0),
    (nn.elu, 0.0, 1.0), (nn.celu, 0.0, 1.0),
    (nn.sigmoid, 0.0, 0.25), (nn.softplus, 0.0, 0.5), (nn.log_sigmoid, 0.0, 0.5),
    (lambda x: nn.absolute_error(x, 0.0), 0.0, 0.0),
    (lambda x: nn.hinge_loss(x, 1.0), 1.0, 0.0),
    (lambda x: nn.huber_loss(x, 0.0, delta=1.0), 1.0, 1.0),
])
def test_documented_derivative_at_kinks(fn, x, want):
    for d in (funcad.grad(fn)(x), funcad.jvp(fn, (x,), (1.0,))[1]):
        assert float(d) == want


# ---------------------------------------------------------------------------
# numerical stability: no overflow, division by zero or invalid operation
# ---------------------------------------------------------------------------

def _strict():
    # underflow to 0 is the correct rounding of exp(-1000); everything else must not happen
    return np.errstate(over="raise", divide="raise", invalid="raise")


def test_softmax_family_with_huge_logits():
    z = np.array([[1000.0, 1001.0, 999.0], [-1000.0, -1002.0, 5000.0]])
    with _strict():
        s = nn.softmax(z)
        ls = nn.log_softmax(z)
        g = funcad.grad(lambda z: np.sum(nn.log_softmax(z)[:, 0]))(z)
        ce = nn.softmax_cross_entropy_with_integer_labels(z, np.array([1, 2]))
        gce = funcad.grad(lambda z: np.sum(nn.softmax_cross_entropy_with_integer_labels(
            z, np.array([1, 2]))))(z)
    np.testing.assert_allclose(s, _np_softmax(z), rtol=1e-12)
    np.testing.assert_allclose(ls[0], np.log(_np_softmax(z[:1] - 1000.0))[0], rtol=1e-14)
    assert np.all(np.isfinite(g)) and np.all(np.isfinite(gce))
    np.testing.assert_allclose(ce, [0.40760596, 0.0], atol=1e-8)
    np.testing.assert_allclose(nn.logsumexp(z, axis=-1), [1001.40760596, 5000.0])


def test_log_sigmoid_and_softplus_at_extremes():
    x = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    with _strict():
        ls = nn.log_sigmoid(x)
        sp = nn.softplus(x)
        s = nn.sigmoid(x)
        g = funcad.vmap(funcad.grad(nn.log_sigmoid))(x)
        h = funcad.vmap(funcad.grad(funcad.grad(nn.sigmoid)))(x)
    assert ls[0] == -1000.0 and ls[-1] == 0.0
    np.testing.assert_allclose(ls[1], -50.0 - np.exp(-50.0), rtol=1e-15)
    np.testing.assert_allclose(sp, [0.0, np.exp(-50.0), np.log(2.0), 50.0, 1000.0], rtol=1e-15)
    np.testing.assert_allclose(s, [0.0, np.exp(-50.0), 0.5, 1.0, 1.0], rtol=1e-15)
    np.testing.assert_allclose(g, [1.0, 1.0, 0.5, np.exp(-50.0), 0.0], rtol=1e-14, atol=0)
    assert np.all(np.isfinite(h))


def test_sigmoid_binary_cross_entropy_with_large_logits():
    z = np.array([1000.0, -1000.0, 800.0, -800.0])
    t = np.array([0.0, 1.0, 1.0, 0.0])
    with _strict():
        loss = nn.sigmoid_binary_cross_entropy(z, t)
        g = funcad.grad(lambda z: np.sum(nn.sigmoid_binary_cross_entropy(z, t)))(z)
    np.testing.assert_allclose(loss, [1000.0, 1000.0, 0.0, 0.0], atol=1e-300)
    np.testing.assert_allclose(g, [1.0, -1.0, 0.0, 0.0], atol=1e-300)


def test_other_activations_and_losses_stay_finite_for_large_inputs():
    x = np.array([-1000.0, -30.0, 30.0, 1000.0])
    with _strict():
        for fn in (nn.elu, nn.selu, nn.celu, nn.silu, lambda v: nn.gelu(v, approximate=False),
                   nn.hard_silu, nn.tanh, nn.log_cosh):
            val = fn(x)
            g = funcad.vmap(funcad.grad(fn))(x)
            assert np.all(np.isfinite(val)) and np.all(np.isfinite(g)), fn
    np.testing.assert_allclose(nn.log_cosh(x), np.abs(x) - np.log(2.0), rtol=1e-12)


def test_fully_masked_softmax_row_and_zero_vector_cosine():
    with _strict():
        s = nn.softmax(np.array([-np.inf, 0.0, -np.inf]))
        c = nn.cosine_similarity(np.zeros(3), np.ones(3), epsilon=1e-8)
        g = funcad.grad(lambda p: nn.cosine_similarity(p, np.ones(3), epsilon=1e-8))(np.zeros(3))
    np.testing.assert_array_equal(s, [0.0, 1.0, 0.0])
    assert c == 0.0 and np.all(np.isfinite(g))


_big_floats = hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=2, max_side=6),
                         elements=st.floats(-1e4, 1e4))


@settings(max_examples=60, deadline=None)
@given(_big_floats)
def test_identities_hold_for_any_finite_input(x):
    with _strict():
        s, ls = nn.softmax(x), nn.log_softmax(x)
        np.testing.assert_allclose(np.sum(s, axis=-1), 1.0, rtol=1e-12)
        np.testing.assert_allclose(np.exp(ls), s, rtol=1e-12, atol=1e-300)
        np.testing.assert_allclose(nn.sigmoid(x) + nn.sigmoid(-x), 1.0, rtol=1e-15)
        np.testing.assert_allclose(nn.softplus(x) - nn.softplus(-x), x, rtol=1e-12,
                                   atol=1e-12)
        np.testing.assert_allclose(nn.log_sigmoid(x), -nn.softplus(-x), rtol=0, atol=0)
        assert np.all(np.abs(erf(x)) <= 1.0)


# ---------------------------------------------------------------------------
# one_hot, standardize
# ---------------------------------------------------------------------------

def test_one_hot_shapes_axis_and_out_of_range():
    oh = nn.one_hot(np.array([[0, 3], [1, -1]]), 3)
    assert oh.shape == (2, 2, 3)
    np.testing.assert_array_equal(oh[0, 1], [0, 0, 0])        # out of range -> all zeros
    assert nn.one_hot(np.array([0, 1]), 3, axis=0).shape == (3, 2)
    assert nn.one_hot(np.array([1]), 2, dtype=np.float32).dtype == np.float32


def test_standardize_has_zero_mean_unit_variance():
    x = np.random.default_rng(0).normal(3.0, 5.0, size=(4, 100))
    s = nn.standardize(x, epsilon=0.0)
    np.testing.assert_allclose(s.mean(-1), 0, atol=1e-12)
    np.testing.assert_allclose(s.var(-1), 1, atol=1e-12)


# ---------------------------------------------------------------------------
# initializers
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("init, var", [
    (nn.glorot_uniform, 2 / (300 + 200)), (nn.glorot_normal, 2 / (300 + 200)),
    (nn.he_uniform, 2 / 300), (nn.he_normal, 2 / 300),
    (nn.lecun_uniform, 1 / 300), (nn.lecun_normal, 1 / 300),
])
def test_initializer_variance(init, var):
    w = init(np.random.default_rng(1), (300, 200))
    assert w.shape == (300, 200) and w.dtype == np.float64
    assert abs(w.mean()) < 4 * math.sqrt(var / w.size)
    assert abs(w.var() / var - 1) < 0.03          # 60000 draws: sd of the ratio ~0.6-0.8%
    if "uniform" in init.__name__:
        assert np.max(np.abs(w)) <= math.sqrt(3 * var)


def test_initializer_conv_fans_and_determinism():
    w = nn.he_normal(np.random.default_rng(2), (3, 3, 64, 32))     # receptive field 9
    assert abs(w.var() / (2 / (64 * 9)) - 1) < 0.05
    a = nn.glorot_uniform(np.random.default_rng(5), (4, 4))
    np.testing.assert_array_equal(a, nn.glorot_uniform(np.random.default_rng(5), (4, 4)))
    assert nn.lecun_normal(np.random.default_rng(0), (8, 8), np.float32).dtype == np.float32


@pytest.mark.parametrize("shape, axis", [((5, 3), -1), ((3, 5), -1), ((2, 3, 4), -1),
                                         ((6, 4), 0)])
def test_orthogonal(shape, axis):
    q = nn.orthogonal(np.random.default_rng(3), shape, scale=2.0, column_axis=axis)
    assert q.shape == shape
    m = np.moveaxis(q, axis, -1).reshape(-1, shape[axis]) / 2.0
    small = min(m.shape)
    gram = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
    np.testing.assert_allclose(gram, np.eye(small), atol=1e-12)


def test_zeros_ones():
    np.testing.assert_array_equal(nn.zeros(None, (2, 3)), np.zeros((2, 3)))
    np.testing.assert_array_equal(nn.ones(np.random.default_rng(0), (2,)), np.ones(2))


# ---------------------------------------------------------------------------
# errors say what was wrong and how to fix it
# ---------------------------------------------------------------------------

def test_initializer_rejects_seed_instead_of_generator():
    with pytest.raises(TypeError, match="default_rng"):
        nn.he_normal(0, (3, 3))
    with pytest.raises(TypeError, match="default_rng"):
        nn.orthogonal(np.random.RandomState(0), (3, 3))
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        nn.glorot_uniform(np.random.default_rng(0), (5,))
    with pytest.raises(ValueError, match="mode"):
        nn.variance_scaling(np.random.default_rng(0), (3, 3), 1.0, "fan_sum")


def test_label_errors():
    with pytest.raises(ValueError, match=r"\[0, 3\).*\[3\]"):
        nn.softmax_cross_entropy_with_integer_labels(LOGITS, np.array([0, 3]))
    with pytest.raises(TypeError, match="integers"):
        nn.one_hot(np.array([0.5, 1.0]), 3)
    with pytest.raises(ValueError, match="num_classes"):
        nn.one_hot(np.array([0]), 0)
    with pytest.raises(ValueError, match="delta"):
        nn.huber_loss(X, Y, delta=0.0)


def test_inputs_are_not_mutated():
    x = X.copy()
    funcad.grad(lambda v: np.sum(nn.softmax(v) + nn.gelu(v) + nn.relu(v)))(x)
    nn.standardize(x)
    np.testing.assert_array_equal(x, X)


# ----------------------------------------------------------------------------- JAX / optax
# Values and gradients (of sum(sin(f(x)))) against jax.nn and optax's losses, where installed.

JAX_ACTIVATIONS = ["celu", "elu", "gelu", "hard_sigmoid", "hard_silu", "hard_swish",
                   "hard_tanh", "leaky_relu", "log_sigmoid", "log_softmax", "logsumexp", "relu",
                   "relu6", "selu", "sigmoid", "silu", "softmax", "softplus", "swish",
                   "standardize"]


@pytest.mark.parametrize("name", JAX_ACTIVATIONS)
def test_activation_matches_jax(name):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    ours, theirs = getattr(nn, name), getattr(jax.nn, name)
    kws = [{}, {"approximate": False}] if name == "gelu" else [{}]
    for kw in kws:
        np.testing.assert_allclose(ours(X, **kw), theirs(jax.numpy.asarray(X), **kw),
                                   rtol=1e-10, atol=1e-12)
        g = funcad.grad(lambda z: np.sum(np.sin(ours(z, **kw))))(Y)
        want = jax.grad(lambda z: jax.numpy.sum(jax.numpy.sin(theirs(z, **kw))))(
            jax.numpy.asarray(Y))
        np.testing.assert_allclose(g, want, rtol=1e-9, atol=1e-12)


def _loss_cases(rng):
    logits, p, t = (rng.normal(size=(4, 5)) for _ in range(3))
    lp, lq = (logits - np.log(np.sum(np.exp(logits), -1, keepdims=True)) for logits in
              (rng.normal(size=(4, 5)), rng.normal(size=(4, 5))))
    pm, tm = rng.normal(size=4), rng.choice([-1.0, 1.0], size=4)
    return {
        "softmax_cross_entropy": (logits, np.eye(5)[rng.integers(0, 5, 4)]),
        "softmax_cross_entropy_with_integer_labels": (logits, rng.integers(0, 5, 4)),
        "sigmoid_binary_cross_entropy": (logits, rng.integers(0, 2, (4, 5)).astype(float)),
        "huber_loss": (p, t), "l2_loss": (p, t), "squared_error": (p, t), "log_cosh": (p, t),
        "hinge_loss": (pm, tm), "cosine_similarity": (p, t), "cosine_distance": (p, t),
        "kl_divergence": (lp, np.exp(lq)), "kl_divergence_with_log_targets": (lp, lq),
    }


@pytest.mark.parametrize("name", list(_loss_cases(np.random.default_rng(0))))
def test_loss_matches_optax(name):
    optax = pytest.importorskip("optax")
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    args = _loss_cases(np.random.default_rng(0))[name]
    jargs = [jax.numpy.asarray(a) for a in args]
    ours, theirs = getattr(nn, name), getattr(optax.losses, name)
    got, want = ours(*args), np.asarray(theirs(*jargs))
    assert np.shape(got) == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    g = funcad.grad(lambda z: np.sum(np.sin(ours(z, *args[1:]))))(args[0])
    gw = jax.grad(lambda z: jax.numpy.sum(jax.numpy.sin(theirs(z, *jargs[1:]))))(jargs[0])
    np.testing.assert_allclose(g, gw, rtol=1e-9, atol=1e-12)
