"""Tests of funcad.optim: convergence table, states, combinators, errors, lbfgs.

Gradients here are written by hand so the table does not depend on the core engine.
"""

import math
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from funcad import optim, tree

# ----------------------------------------------------------------------------- problems

A = np.array([1.0, 10.0])
C = np.array([1.0, -2.0])


def parabola(x):
    return 0.5 * np.sum(A * (x - C) ** 2), A * (x - C)


def rosenbrock(x):
    a, b = x[0], x[1]
    value = (1 - a) ** 2 + 100 * (b - a * a) ** 2
    return value, np.array([-2 * (1 - a) - 400 * a * (b - a * a), 200 * (b - a * a)])


PROBLEMS = {
    "parabola": (parabola, [0.0, 0.0], C, 1e-2),
    "rosenbrock": (rosenbrock, [-1.2, 1.0], np.ones(2), 5e-2),
}


def _decay(lr, n):
    return optim.exponential_decay(lr, n, 0.01)


def _wc(lr, n):
    return optim.warmup_cosine_decay_schedule(0.0, lr, n // 10, n, lr * 0.01)


# (alias, kwargs on the parabola, kwargs on Rosenbrock, steps on Rosenbrock)
TABLE = [
    ("sgd", dict(learning_rate=0.1), dict(learning_rate=1.5e-3), 8000),
    ("sgd", dict(learning_rate=0.05, momentum=0.9), dict(learning_rate=1e-3, momentum=0.9),
     3000),
    ("sgd", dict(learning_rate=0.05, momentum=0.9, nesterov=True),
     dict(learning_rate=1e-3, momentum=0.9, nesterov=True), 3000),
    ("momentum", dict(learning_rate=0.05), dict(learning_rate=1e-3), 3000),
    ("adam", dict(learning_rate=0.1), dict(learning_rate=0.02), 3000),
    ("adamw", dict(learning_rate=0.1, weight_decay=0.0), dict(learning_rate=0.02,
                                                              weight_decay=0.0), 3000),
    ("adamax", dict(learning_rate=0.1), dict(learning_rate=0.3), 3000),
    ("amsgrad", dict(learning_rate=0.1), dict(learning_rate=_wc(1.0, 3000)), 3000),
    ("nadam", dict(learning_rate=0.1), dict(learning_rate=0.02), 3000),
    ("radam", dict(learning_rate=0.1), dict(learning_rate=_wc(0.3, 3000)), 3000),
    ("adagrad", dict(learning_rate=0.5), dict(learning_rate=1.0), 6000),
    ("rmsprop", dict(learning_rate=_decay(0.05, 500)),
     dict(learning_rate=_decay(0.01, 3000), momentum=0.5), 3000),
    ("rmsprop", dict(learning_rate=_decay(0.05, 500), centered=True, momentum=0.5),
     dict(learning_rate=_decay(0.01, 3000), centered=True), 3000),
    ("adadelta", dict(learning_rate=10.0), dict(learning_rate=_decay(3.0, 3000)), 3000),
    ("lamb", dict(learning_rate=_decay(0.1, 500)), dict(learning_rate=_decay(0.05, 3000)),
     3000),
    ("lion", dict(learning_rate=_decay(0.05, 500), weight_decay=0.0),
     dict(learning_rate=_decay(0.01, 3000), weight_decay=0.0), 3000),
    ("yogi", dict(learning_rate=0.1), dict(learning_rate=0.3), 3000),
    ("sign_sgd", dict(learning_rate=_decay(0.1, 500)), dict(learning_rate=_decay(1.0, 3000)),
     3000),
    ("noisy_sgd", dict(learning_rate=0.1), dict(learning_rate=1.5e-3), 8000),
]


def _run(opt, fn, x0, dtype, steps):
    params = {"x": np.array(x0, dtype)}
    state = opt.init(params)
    for _ in range(steps):
        grads = {"x": fn(params["x"])[1].astype(dtype)}
        updates, state = opt.update(grads, state, params)
        params = optim.apply_updates(params, updates)
    return params["x"]


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("problem", ["parabola", "rosenbrock"])
@pytest.mark.parametrize("name,para_kw,rosen_kw,rosen_steps", TABLE,
                         ids=[f"{row[0]}-{i}" for i, row in enumerate(TABLE)])
def test_converges(name, para_kw, rosen_kw, rosen_steps, problem, dtype):
    fn, x0, target, tol = PROBLEMS[problem]
    kwargs, steps = (para_kw, 500) if problem == "parabola" else (rosen_kw, rosen_steps)
    x = _run(getattr(optim, name)(**kwargs), fn, x0, dtype, steps)
    assert x.dtype == dtype
    np.testing.assert_allclose(x, target, atol=tol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("problem", ["parabola", "rosenbrock"])
def test_lbfgs_converges(problem, dtype):
    fn, x0, target, _ = PROBLEMS[problem]
    vg_fn = lambda p: (fn(p["x"])[0], {"x": fn(p["x"])[1].astype(dtype)})
    f = lambda p: fn(p["x"])[0]
    vg = optim.value_and_grad_from_state(f, vg_fn)
    opt = optim.lbfgs()
    params = {"x": np.array(x0, dtype)}
    state = opt.init(params)
    for _ in range(60):
        value, grad = vg(params, state=state)
        updates, state = opt.update(grad, state, params, value=value, grad=grad, value_fn=f,
                                    value_and_grad_fn=vg_fn)
        params = optim.apply_updates(params, updates)
    assert params["x"].dtype == dtype
    np.testing.assert_allclose(params["x"], target, atol=1e-3 if dtype == np.float32 else 1e-6)


def _core_value_and_grad():
    try:
        import funcad
    except ImportError:
        return None
    return getattr(funcad, "value_and_grad", None)


def test_lbfgs_with_funcad_value_and_grad():
    if _core_value_and_grad() is None:
        pytest.skip("funcad.value_and_grad is not available yet")
    import funcad.numpy as fnp

    def f(x):
        return fnp.sum((1 - x[:-1]) ** 2 + 100 * (x[1:] - x[:-1] ** 2) ** 2)

    opt = optim.lbfgs()
    params = np.array([-1.2, 1.0, 0.5])
    state = opt.init(params)
    vg = optim.value_and_grad_from_state(f)
    for _ in range(100):
        value, grad = vg(params, state=state)
        updates, state = opt.update(grad, state, params, value=value, grad=grad, value_fn=f)
        params = optim.apply_updates(params, updates)
    np.testing.assert_allclose(params, np.ones(3), atol=1e-5)


def test_linesearch_computes_missing_value_and_grad():
    f = lambda x: float(np.sum((x - 1.0) ** 2))
    vg_fn = lambda x: (f(x), 2 * (x - 1.0))
    opt = optim.lbfgs()
    x = np.zeros(2)
    u, state = opt.update(2 * (x - 1.0), opt.init(x), x, value_fn=f, value_and_grad_fn=vg_fn)
    assert f(x + u) < f(x)


def test_lbfgs_first_direction_and_memory():
    tx = optim.scale_by_lbfgs(memory_size=2)
    x = np.array([0.0, 0.0])
    state = tx.init(x)
    d, state = tx.update(np.array([3.0, 4.0]), state, x)
    np.testing.assert_allclose(d, [0.6, 0.8])     # g / ||g||
    # On a quadratic with Hessian diag(1, 4) the memory makes H g exact along s.
    hess = np.array([1.0, 4.0])
    for _ in range(4):
        x = x - d
        g = hess * x
        d, state = tx.update(g, state, x)
    np.testing.assert_allclose(np.sum(state.weights_memory > 0), 2)


# ----------------------------------------------------------------------------- formulas

def _adam_reference(grads, lr, b1, b2, eps, eps_root=0.0):
    m = v = 0.0
    out = []
    for t, g in enumerate(grads, 1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        out.append(-lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t) + eps_root) + eps))
    return np.array(out)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(-10, 10), min_size=1, max_size=6),
       st.floats(0.0, 0.99), st.floats(0.5, 0.999), st.floats(1e-8, 1e-1))
def test_adam_matches_reference(grads, b1, b2, eps):
    opt = optim.adam(0.1, b1=b1, b2=b2, eps=eps)
    state = opt.init(np.zeros(()))
    got = []
    for g in grads:
        u, state = opt.update(np.array(g), state)
        got.append(u)
    np.testing.assert_allclose(got, _adam_reference(grads, 0.1, b1, b2, eps), rtol=1e-12,
                               atol=1e-15)


def test_sgd_nesterov_formula():
    opt = optim.sgd(1.0, momentum=0.5, nesterov=True)
    state = opt.init(np.zeros(1))
    u1, state = opt.update(np.ones(1), state)   # t = 1; update = 0.5*1 + 1
    u2, state = opt.update(np.ones(1), state)   # t = 1.5; update = 0.75 + 1
    np.testing.assert_allclose([u1, u2], [[-1.5], [-1.75]])


def test_rms_eps_placement():
    g = np.array([1.0])
    inside = optim.scale_by_rms(decay=0.0, eps=1.0)
    outside = optim.scale_by_rms(decay=0.0, eps=1.0, eps_in_sqrt=False)
    np.testing.assert_allclose(inside.update(g, inside.init(g))[0], 1 / np.sqrt(2))
    np.testing.assert_allclose(outside.update(g, outside.init(g))[0], 0.5)


def test_adam_eps_root_inside_sqrt():
    tx = optim.scale_by_adam(b1=0.0, b2=0.0, eps=0.0, eps_root=3.0)
    np.testing.assert_allclose(tx.update(np.array([1.0]), tx.init(np.zeros(1)))[0], 0.5)


def test_adagrad_and_yogi_first_step():
    tx = optim.scale_by_rss(initial_accumulator_value=0.1, eps=1e-7)
    np.testing.assert_allclose(tx.update(np.array([2.0]), tx.init(np.zeros(1)))[0],
                               2 / np.sqrt(4.1 + 1e-7))
    tx = optim.scale_by_yogi(eps=0.0, initial_accumulator_value=0.0)
    np.testing.assert_allclose(tx.update(np.array([2.0]), tx.init(np.zeros(1)))[0], 1.0)


def test_radam_switches_to_adaptive_after_threshold():
    tx = optim.scale_by_radam()
    state = tx.init(np.zeros(1))
    outs = []
    for _ in range(8):
        u, state = tx.update(np.array([2.0]), state)
        outs.append(float(u[0]))
    np.testing.assert_allclose(outs[:5], 2.0)   # rho_t < 5 for t <= 5 with b2 = 0.999
    assert outs[-1] < 1.0


# ----------------------------------------------------------------------------- states

def _params32():
    return {"w": np.ones((2, 3), np.float32), "b": [np.zeros(3, np.float32)]}


TRANSFORMS = {
    "identity": optim.identity(), "set_to_zero": optim.set_to_zero(),
    "scale": optim.scale(0.5), "scale_by_learning_rate": optim.scale_by_learning_rate(0.1),
    "scale_by_schedule": optim.scale_by_schedule(optim.linear_schedule(1.0, 0.0, 10)),
    "scale_by_adam": optim.scale_by_adam(), "scale_by_adamax": optim.scale_by_adamax(),
    "scale_by_amsgrad": optim.scale_by_amsgrad(), "scale_by_nadam": optim.scale_by_nadam(),
    "scale_by_radam": optim.scale_by_radam(), "scale_by_rms": optim.scale_by_rms(),
    "scale_by_stddev": optim.scale_by_stddev(), "scale_by_rss": optim.scale_by_rss(),
    "scale_by_adadelta": optim.scale_by_adadelta(), "scale_by_lion": optim.scale_by_lion(),
    "scale_by_yogi": optim.scale_by_yogi(), "scale_by_trust_ratio": optim.scale_by_trust_ratio(),
    "scale_by_sign": optim.scale_by_sign(), "trace": optim.trace(0.9, nesterov=True),
    "ema": optim.ema(0.9), "clip": optim.clip(0.5), "clip_by_global_norm":
    optim.clip_by_global_norm(0.5), "clip_by_block_rms": optim.clip_by_block_rms(0.5),
    "normalize_by_update_norm": optim.normalize_by_update_norm(),
    "add_decayed_weights": optim.add_decayed_weights(1e-2, mask={"w": True, "b": [False]}),
    "add_noise": optim.add_noise(0.01, 0.55, 0), "centralize": optim.centralize(),
    "zero_nans": optim.zero_nans(), "keep_params_nonnegative": optim.keep_params_nonnegative(),
    "scale_by_lbfgs": optim.scale_by_lbfgs(3),
    "masked": optim.masked(optim.adam(0.1), {"w": True, "b": [False]}),
    "multi_transform": optim.multi_transform({"a": optim.adam(0.1), "s": optim.sgd(0.1)},
                                             {"w": "a", "b": ["s"]}),
    "MultiSteps": optim.MultiSteps(optim.adam(0.1), 2).gradient_transformation(),
    "apply_if_finite": optim.apply_if_finite(optim.adam(0.1), 2),
    "inject_hyperparams": optim.inject_hyperparams(optim.adam)(
        learning_rate=optim.linear_schedule(0.1, 0.0, 10), b1=0.8),
    "lamb": optim.lamb(0.1), "lion": optim.lion(0.1), "adamw": optim.adamw(0.1),
    "rmsprop": optim.rmsprop(0.1, centered=True, momentum=0.9), "noisy_sgd":
    optim.noisy_sgd(0.1), "adadelta": optim.adadelta(), "yogi": optim.yogi(0.1),
}


def _is_plain_leaf(x):
    return isinstance(x, (np.ndarray, np.generic, int, float, bool))


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_state_is_picklable_pytree_and_float32_stays(name):
    tx = TRANSFORMS[name]
    params = _params32()
    grads = tree.map(lambda p: np.full_like(p, 0.3) + np.arange(p.size, dtype=p.dtype)
                     .reshape(p.shape), params)
    state = tx.init(params)
    updates, state = tx.update(grads, state, params)
    assert all(_is_plain_leaf(x) for x in tree.leaves(state)), tree.leaves(state)
    for leaf in tree.leaves(updates):
        assert leaf.dtype == np.float32, (name, leaf.dtype)
    again = pickle.loads(pickle.dumps(state))
    assert tree.structure(again) == tree.structure(state)
    u1, s1 = tx.update(grads, state, params)
    u2, s2 = tx.update(grads, again, params)
    for a, b in zip(tree.leaves((u1, s1)), tree.leaves((u2, s2))):
        np.testing.assert_array_equal(a, b)
    new_params = optim.apply_updates(params, u1)
    assert all(x.dtype == np.float32 for x in tree.leaves(new_params))


def test_lbfgs_state_pickles():
    opt = optim.lbfgs()
    state = opt.init(np.zeros(2))
    assert all(_is_plain_leaf(x) for x in tree.leaves(state))
    pickle.loads(pickle.dumps(state))


# ----------------------------------------------------------------------------- transforms

def test_clip_by_global_norm_and_block_rms():
    tx = optim.clip_by_global_norm(5.0)
    g = {"a": np.array([3.0]), "b": np.array([4.0])}
    assert tx.update(g, tx.init(g))[0] == g       # under the limit: unchanged
    tx = optim.clip_by_global_norm(2.5)
    np.testing.assert_allclose(float(optim.global_norm(tx.update(g, tx.init(g))[0])), 2.5)
    tx = optim.clip_by_block_rms(1.0)
    out = tx.update([np.array([0.5, 0.5]), np.array([3.0, 4.0])], optim.EmptyState())[0]
    np.testing.assert_allclose(out[0], [0.5, 0.5])
    np.testing.assert_allclose(np.sqrt(np.mean(out[1] ** 2)), 1.0)


def test_trust_ratio_and_centralize_and_nonnegative():
    tx = optim.scale_by_trust_ratio()
    out = tx.update([np.zeros(2), np.array([1.0])], optim.EmptyState(),
                    [np.ones(2), np.array([0.0])])[0]
    np.testing.assert_array_equal(out[0], 0.0)
    np.testing.assert_array_equal(out[1], [1.0])   # zero param norm: ratio 1
    c = optim.centralize().update(np.arange(6.0).reshape(2, 3), optim.EmptyState())[0]
    np.testing.assert_allclose(c.mean(axis=1), 0.0)
    tx = optim.keep_params_nonnegative()
    p = np.array([1.0, 2.0])
    new = optim.apply_updates(p, tx.update(np.array([-5.0, -1.0]), tx.init(p), p)[0])
    np.testing.assert_allclose(new, [0.0, 1.0])


def test_add_noise_reproducible_and_annealed():
    tx = optim.add_noise(1.0, 0.55, seed=3)
    g = np.zeros(20000)
    s = tx.init(g)
    u0, s = tx.update(g, s)
    u1, s = tx.update(g, s)
    u0b, _ = tx.update(g, tx.init(g))
    np.testing.assert_array_equal(u0, u0b)
    np.testing.assert_allclose(u0.std(), 1.0, rtol=0.05)
    np.testing.assert_allclose(u1.std(), math.sqrt(1 / 2 ** 0.55), rtol=0.05)


def test_ema_debias_and_zero_nans():
    tx = optim.ema(0.5, debias=False)
    np.testing.assert_allclose(tx.update(np.array([4.0]), tx.init(np.zeros(1)))[0], 2.0)
    tx = optim.zero_nans()
    u, s = tx.update({"a": np.array([1.0, np.nan]), "b": np.ones(1)},
                     tx.init({"a": np.zeros(2), "b": np.zeros(1)}))
    np.testing.assert_array_equal(u["a"], [1.0, 0.0])
    assert bool(s.found_nan["a"]) and not bool(s.found_nan["b"])


def test_chain_forwards_extra_args_only_to_those_that_take_them():
    seen = {}

    def update(updates, state, params=None, *, value=None):
        seen["value"] = value
        return updates, state

    tx = optim.chain(optim.scale(2.0), optim.GradientTransformation(lambda p: (), update))
    out, _ = tx.update(np.ones(1), tx.init(np.ones(1)), value=7.0, other=1)
    assert seen["value"] == 7.0
    np.testing.assert_allclose(out, 2.0)


# ----------------------------------------------------------------------------- combinators

def test_masked_routes_and_keeps_state_only_for_selected():
    params = {"w": np.ones(2), "b": np.ones(1)}
    tx = optim.masked(optim.adam(1.0), lambda p: {"w": True, "b": False})
    state = tx.init(params)
    assert len(tree.leaves(state.inner_state[0].mu)) == 1
    u, _ = tx.update({"w": np.ones(2), "b": np.full(1, 7.0)}, state, params)
    np.testing.assert_allclose(u["b"], 7.0)
    np.testing.assert_allclose(u["w"], -1.0, rtol=1e-6)


def test_multi_transform_labels_and_error():
    params = {"w": np.ones(2), "b": np.ones(1)}
    tx = optim.multi_transform({"a": optim.sgd(1.0), "z": optim.set_to_zero()},
                               lambda p: {"w": "a", "b": "z"})
    u, _ = tx.update({"w": np.ones(2), "b": np.ones(1)}, tx.init(params), params)
    np.testing.assert_allclose(u["w"], -1.0)
    np.testing.assert_allclose(u["b"], 0.0)
    bad = optim.multi_transform({"a": optim.sgd(1.0)}, {"w": "a", "b": "oops"})
    with pytest.raises(ValueError, match=r"labels 'oops' have no transform"):
        bad.init(params)


def test_multisteps_accumulates_mean_and_sum():
    ms = optim.MultiSteps(optim.sgd(1.0), every_k_schedule=3)
    state = ms.init(np.zeros(1))
    outs = []
    for g in [1.0, 2.0, 6.0, 1.0]:
        u, state = ms.update(np.array([g]), state)
        outs.append(float(u[0]))
    assert outs == [0.0, 0.0, -3.0, 0.0]
    assert state.mini_step == 1 and state.gradient_step == 1 and not ms.has_updated(state)
    ms = optim.MultiSteps(optim.sgd(1.0), every_k_schedule=lambda step: 1 + step,
                          use_grad_mean=False)
    state = ms.init(np.zeros(1))
    outs = []
    for g in [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]:
        u, state = ms.update(np.array([g]), state)
        outs.append(float(u[0]))
    assert outs == [-1.0, 0.0, -5.0, 0.0, 0.0, -15.0]


def test_multisteps_skip():
    skip = lambda updates, step, params: (not np.all(np.isfinite(updates)), ())
    ms = optim.MultiSteps(optim.sgd(1.0), 2, should_skip_update_fn=skip)
    state = ms.init(np.zeros(1))
    _, state = ms.update(np.array([np.nan]), state)
    assert state.mini_step == 0
    _, state = ms.update(np.array([2.0]), state)
    u, state = ms.update(np.array([4.0]), state)
    np.testing.assert_allclose(u, -3.0)


def test_apply_if_finite():
    tx = optim.apply_if_finite(optim.sgd(1.0, momentum=0.9), max_consecutive_errors=1)
    state = tx.init(np.zeros(1))
    _, state = tx.update(np.array([1.0]), state)
    u, state2 = tx.update(np.array([np.inf]), state)
    np.testing.assert_array_equal(u, 0.0)
    assert state2.inner_state == state.inner_state
    assert (state2.notfinite_count, state2.last_finite, state2.total_notfinite) == (1, False, 1)
    u, state3 = tx.update(np.array([np.inf]), state2)   # over the limit: applied
    assert not np.isfinite(u).all()
    u, state4 = tx.update(np.array([1.0]), state2)
    assert state4.notfinite_count == 0 and state4.total_notfinite == 1


def test_inject_hyperparams_schedule_and_edit():
    sched = optim.linear_schedule(1.0, 0.0, 4)
    opt = optim.inject_hyperparams(optim.sgd)(learning_rate=sched, momentum=0.0)
    state = opt.init(np.zeros(1))
    outs = []
    for _ in range(3):
        u, state = opt.update(np.ones(1), state)
        outs.append(float(u[0]))
    np.testing.assert_allclose(outs, [-1.0, -0.75, -0.5])
    assert state.hyperparams["learning_rate"] == 0.5 and state.count == 3
    opt = optim.inject_hyperparams(optim.adam)(0.1)
    state = opt.init(np.zeros(1, np.float32))
    state.hyperparams["learning_rate"] = 0.0
    u, state = opt.update(np.ones(1, np.float32), state)
    assert u.dtype == np.float32 and float(u[0]) == 0.0
    assert state.inner_state[0].count == 1


def test_inject_hyperparams_static_args_and_mask():
    opt = optim.inject_hyperparams(optim.adamw, static_args=("mask",))(
        0.1, weight_decay=0.5, mask=lambda p: {"w": True, "b": False})
    params = {"w": np.ones(1), "b": np.ones(1)}
    state = opt.init(params)
    assert set(state.hyperparams) == {"learning_rate", "weight_decay"}
    opt.update({"w": np.zeros(1), "b": np.zeros(1)}, state, params)


def test_lookahead_syncs():
    tx = optim.lookahead(optim.sgd(1.0), sync_period=2, slow_step_size=0.5)
    params = optim.LookaheadParams.init_synced(np.array([0.0]))
    state = tx.init(params)
    for _ in range(2):
        u, state = tx.update(np.array([-1.0]), state, params)
        params = optim.apply_updates(params, u)
    # fast went 0 -> 1 -> 2; slow = 0 + 0.5 * (2 - 0) = 1; fast reset to slow.
    np.testing.assert_allclose(params.fast, 1.0)
    np.testing.assert_allclose(params.slow, 1.0)
    assert state.steps_since_sync == 0
    with pytest.raises(TypeError, match="LookaheadParams"):
        tx.init(np.zeros(1))


def test_lookahead_reset_state():
    tx = optim.lookahead(optim.sgd(1.0, momentum=0.9), 1, 0.5, reset_state=True)
    params = optim.LookaheadParams.init_synced(np.array([0.0]))
    _, state = tx.update(np.array([1.0]), tx.init(params), params)
    np.testing.assert_array_equal(state.fast_state[0].trace, 0.0)


# ----------------------------------------------------------------------------- errors

def test_error_state_not_from_init():
    opt = optim.adam(0.1)
    with pytest.raises(optim.OptimStateError, match=r"got NoneType: None.*opt.init\(params\)"):
        opt.update(np.ones(1), None)
    with pytest.raises(optim.OptimStateError, match=r"expected the ScaleByAdamState"):
        opt.update(np.ones(1), optim.sgd(0.1, momentum=0.9).init(np.ones(1)))
    with pytest.raises(TypeError):   # OptimStateError is a TypeError
        optim.scale_by_rms().update(np.ones(1), ())


def test_error_tree_mismatch_prints_both_structures():
    opt = optim.adam(0.1)
    state = opt.init({"w": np.ones(1), "b": np.ones(1)})
    with pytest.raises(optim.TreeMismatchError) as err:
        opt.update({"w": np.ones(1)}, state)
    msg = str(err.value)
    assert "{'w': *}" in msg and "{'b': *, 'w': *}" in msg and "init()" in msg
    with pytest.raises(ValueError, match="updates tree does not match the params tree"):
        optim.apply_updates([np.ones(1)], (np.ones(1),))


def test_error_bad_learning_rate():
    with pytest.raises(optim.LearningRateError, match=r"must be finite, got nan"):
        optim.adam(float("nan"))
    with pytest.raises(optim.LearningRateError, match=r"must be finite, got inf"):
        optim.sgd(math.inf)
    with pytest.raises(optim.LearningRateError, match=r">= 0.*got -0.1"):
        optim.sgd(-0.1)
    with pytest.raises(optim.LearningRateError, match="number or a schedule"):
        optim.sgd("0.1")


def test_error_schedule_goes_bad_at_a_step():
    sched = optim.linear_schedule(0.2, -0.2, transition_steps=4)   # negative from step 3
    opt = optim.sgd(sched)
    state = opt.init(np.zeros(1))
    for _ in range(3):
        _, state = opt.update(np.ones(1), state)
    with pytest.raises(optim.LearningRateError, match=r"got -0.1 returned by the schedule at "
                                                      r"step 3; check the schedule"):
        opt.update(np.ones(1), state)
    nan_sched = lambda step: 0.1 if step < 1 else float("nan")
    opt = optim.inject_hyperparams(optim.adam)(learning_rate=nan_sched)
    _, state = opt.update(np.ones(1), opt.init(np.zeros(1)))
    with pytest.raises(optim.LearningRateError, match="step 1"):
        opt.update(np.ones(1), state)


def test_error_misc_arguments():
    with pytest.raises(TypeError, match="did you forget to call it"):
        optim.chain(optim.adam)
    with pytest.raises(ValueError, match="every_k_schedule must be an integer >= 1, got 0"):
        optim.MultiSteps(optim.sgd(0.1), 0)
    with pytest.raises(TypeError, match="needs params"):
        optim.add_decayed_weights(0.1).update(np.ones(1), optim.EmptyState())
    with pytest.raises(TypeError, match="needs the objective"):
        opt = optim.lbfgs()
        opt.update(np.ones(1), opt.init(np.ones(1)), np.ones(1))
    with pytest.raises(optim.TreeMismatchError, match="mask"):
        optim.masked(optim.sgd(0.1), {"w": True}).init({"w": 1.0, "b": 2.0})


# ----------------------------------------------------------------------------- optax comparison

OPTAX_CASES = [
    ("sgd", dict(learning_rate=0.0005, momentum=0.9, nesterov=True)),
    ("sgd", dict(learning_rate=0.001)),
    ("adam", dict(learning_rate=0.01)), ("adamw", dict(learning_rate=0.01, weight_decay=0.1)),
    ("adamax", dict(learning_rate=0.01)), ("amsgrad", dict(learning_rate=0.01)),
    ("nadam", dict(learning_rate=0.01)), ("radam", dict(learning_rate=0.01)),
    ("adagrad", dict(learning_rate=0.1)), ("rmsprop", dict(learning_rate=0.01)),
    ("rmsprop", dict(learning_rate=0.01, centered=True, momentum=0.9)),
    ("adadelta", dict(learning_rate=1.0)), ("lamb", dict(learning_rate=0.01)),
    ("lion", dict(learning_rate=0.001)), ("yogi", dict(learning_rate=0.01)),
    ("sign_sgd", dict(learning_rate=0.01)),
]


def _optax():
    optax = pytest.importorskip("optax")
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return optax, jax.numpy


def _same_trajectory(ours, theirs, steps, rtol):
    """Step both optimizers on Rosenbrock from the same point; the iterates must agree at
    every step, stay finite and move."""
    optax, jnp = _optax()
    x_ours = x_theirs = np.array([-1.2, 1.0])
    s_ours, s_theirs = ours.init(x_ours), theirs.init(jnp.asarray(x_theirs))
    for _ in range(steps):
        u, s_ours = ours.update(rosenbrock(x_ours)[1], s_ours, x_ours)
        x_ours = optim.apply_updates(x_ours, u)
        v, s_theirs = theirs.update(jnp.asarray(rosenbrock(np.asarray(x_theirs))[1]),
                                    s_theirs, jnp.asarray(x_theirs))
        x_theirs = np.asarray(optax.apply_updates(jnp.asarray(x_theirs), v))
        np.testing.assert_allclose(x_ours, x_theirs, rtol=rtol, atol=1e-10)
    assert np.all(np.isfinite(x_ours)) and not np.allclose(x_ours, [-1.2, 1.0])


@pytest.mark.parametrize("name,kwargs", OPTAX_CASES)
def test_matches_optax_trajectory(name, kwargs):
    optax, _ = _optax()
    _same_trajectory(getattr(optim, name)(**kwargs), getattr(optax, name)(**kwargs), 50, 1e-10)


# optax evaluates schedules in float32 even with x64 on: trajectories agree to ~1e-8 relative
OPTAX_BUILDS = {
    "clip_by_global_norm+adam": lambda m: m.chain(m.clip_by_global_norm(1.0), m.adam(0.01)),
    "clip+sgd": lambda m: m.chain(m.clip(0.5), m.sgd(0.01)),
    "adam(exponential_decay)": lambda m: m.adam(m.exponential_decay(0.01, 10, 0.5)),
    "adam(warmup_cosine)": lambda m: m.adam(
        m.warmup_cosine_decay_schedule(0.0, 0.01, 5, 40, 0.001)),
    "sgd(cosine_onecycle)": lambda m: m.sgd(m.cosine_onecycle_schedule(50, 0.002)),
    "sgd(piecewise_constant)": lambda m: m.sgd(
        m.piecewise_constant_schedule(0.002, {10: 0.5, 20: 0.1})),
    "sgd(polynomial)": lambda m: m.sgd(m.polynomial_schedule(0.002, 0.0001, 2, 40, 5)),
    "sgd(linear)": lambda m: m.sgd(m.linear_schedule(0.002, 0.0, 30, 5)),
    "sgd(join)": lambda m: m.sgd(m.join_schedules(
        [m.constant_schedule(0.001), m.linear_schedule(0.002, 0.0, 20)], [10])),
    "sgd(sgdr)": lambda m: m.sgd(m.sgdr_schedule([dict(
        init_value=0.0, peak_value=0.002, warmup_steps=3, decay_steps=20, end_value=0.0)] * 3)),
    "sgd(piecewise_interpolate)": lambda m: m.sgd(
        m.piecewise_interpolate_schedule("cosine", 0.002, {10: 0.5, 30: 0.2})),
    "add_decayed_weights+sgd": lambda m: m.chain(m.add_decayed_weights(0.1), m.sgd(0.001)),
    "centralize+sgd": lambda m: m.chain(m.centralize(), m.sgd(0.001)),
    "trace(nesterov)": lambda m: m.chain(m.trace(0.9, nesterov=True), m.scale(-0.0005)),
    "ema": lambda m: m.chain(m.ema(0.9), m.scale(-0.001)),
    "scale_by_rss": lambda m: m.chain(m.scale_by_rss(), m.scale(-0.1)),
    "scale_by_stddev": lambda m: m.chain(m.scale_by_stddev(), m.scale(-0.01)),
    "scale_by_trust_ratio": lambda m: m.chain(m.scale_by_adam(), m.scale_by_trust_ratio(),
                                              m.scale(-0.01)),
    "normalize_by_update_norm": lambda m: m.normalize_by_update_norm(0.01),
    "clip_by_block_rms": lambda m: m.chain(m.clip_by_block_rms(1.0), m.sgd(0.01)),
    "zero_nans+sgd": lambda m: m.chain(m.zero_nans(), m.sgd(0.001)),
    "MultiSteps": lambda m: m.MultiSteps(m.sgd(0.001), 3),
    "inject_hyperparams(adam)": lambda m: m.inject_hyperparams(m.adam)(learning_rate=0.01),
    "rmsprop(nesterov)": lambda m: m.rmsprop(0.01, nesterov=True, momentum=0.5),
    "adam(eps_root)": lambda m: m.adam(0.01, b1=0.8, b2=0.9, eps=1e-6, eps_root=1e-9),
    "adagrad(init)": lambda m: m.adagrad(0.1, initial_accumulator_value=0.2, eps=1e-5),
}


@pytest.mark.parametrize("name", list(OPTAX_BUILDS))
def test_chain_and_schedule_match_optax(name):
    optax, _ = _optax()
    _same_trajectory(OPTAX_BUILDS[name](optim), OPTAX_BUILDS[name](optax), 40, 1e-6)
