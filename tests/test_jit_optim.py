"""jit around a whole training step (grad + optimizer update): the step count is an int32
array leaf of the state and the schedules run on it traced, so one recording serves every
step (a Python int count was part of jit's key: one recording per step)."""

import numpy as np
import pytest

import funcad as fad
import funcad.numpy as fnp
from funcad import optim

OPTIMIZERS = [
    ("adam+cosine", lambda: optim.adam(optim.cosine_decay_schedule(0.1, 20)), 0),
    ("nadam", lambda: optim.nadam(0.01), 0),
    ("adamw+linear", lambda: optim.adamw(optim.linear_schedule(0.1, 0.01, 10)), 0),
    ("sgd+exponential", lambda: optim.sgd(optim.exponential_decay(0.1, 3, 0.5)), 0),
    ("rmsprop", lambda: optim.rmsprop(0.01), 0),
    ("lion", lambda: optim.lion(0.01), 0),
    ("amsgrad", lambda: optim.amsgrad(0.01), 0),
    ("clip+adamw (docs/optim.md's loop)", lambda: optim.chain(
        optim.clip_by_global_norm(0.5),
        optim.adamw(optim.warmup_cosine_decay_schedule(0.0, 0.05, 3, 20))), 0),
    ("normalize_by_update_norm", lambda: optim.chain(optim.normalize_by_update_norm(),
                                                     optim.scale(-0.01)), 0),
    # radam switches from momentum to the rectified step once (a guard on ro >= 5)
    ("radam", lambda: optim.radam(0.01), 1),
]


def _loss(p, x):
    return fnp.sum(fnp.tanh(x @ p["w"]) ** 2) + fnp.sum(p["b"] ** 2)


@pytest.mark.parametrize("name,make,retraces", OPTIMIZERS, ids=[o[0] for o in OPTIMIZERS])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_jit_training_step_records_once(name, make, retraces, dtype):
    opt = make()

    def step(p, s, x):
        u, s = opt.update(fad.grad(_loss)(p, x), s, p)
        return optim.apply_updates(p, u), s

    jstep = fad.jit(step, on_retrace="ignore")
    rng = np.random.default_rng(0)
    p = {"w": rng.standard_normal((4, 3)).astype(dtype), "b": np.ones(3, dtype)}
    x = rng.standard_normal((5, 4)).astype(dtype)
    pe, se, pj, sj = p, opt.init(p), p, opt.init(p)
    for _ in range(12):
        pe, se = step(pe, se, x)
        pj, sj = jstep(pj, sj, x)
    info = jstep.cache_info()
    assert info.traces == 1 + retraces and info.retraces == retraces, info
    for k in pe:
        assert pj[k].dtype == dtype
        np.testing.assert_allclose(pj[k], pe[k], rtol=1e-12 if dtype == np.float64 else 1e-6,
                                   atol=1e-14 if dtype == np.float64 else 1e-6)


def test_optimizer_count_is_an_int32_leaf():
    state = optim.adam(0.1).init(np.zeros(2))
    count = state[0].count
    assert np.shape(count) == () and np.asarray(count).dtype == np.int32
    _, state = optim.adam(0.1).update(np.ones(2), state)
    assert state[0].count == 1 and np.asarray(state[0].count).dtype == np.int32


SCHEDULES = [
    optim.linear_schedule(1.0, 0.1, 10),
    optim.polynomial_schedule(1.0, 0.0, 2, 10, 2),
    optim.exponential_decay(1.0, 3, 0.5, 2, True, 0.1),
    optim.cosine_decay_schedule(1.0, 10, 0.1),
    optim.warmup_cosine_decay_schedule(0.0, 1.0, 3, 10),
    optim.piecewise_constant_schedule(1.0, {3: 0.5, 6: 0.1}),
    optim.piecewise_interpolate_schedule("cosine", 1.0, {3: 0.5, 6: 0.1}),
    optim.sgdr_schedule([{"init_value": 0.0, "peak_value": 1.0, "warmup_steps": 2,
                          "decay_steps": 5}] * 2),
]


@pytest.mark.parametrize("k", range(len(SCHEDULES)))
def test_schedules_on_a_traced_count(k):
    s = SCHEDULES[k]
    js = fad.jit(s, on_retrace="error")
    for step in range(15):
        np.testing.assert_allclose(js(np.int32(step)), s(step), rtol=1e-14, atol=1e-15)
    assert js.cache_info().traces == 1
