"""Schedules against their closed forms, at chosen steps and at the boundaries."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from funcad import optim

steps = st.integers(0, 10_000)


@given(steps)
def test_constant(step):
    assert optim.constant_schedule(0.3)(step) == 0.3


@given(steps, st.floats(0.5, 3.0), st.integers(1, 500), st.integers(0, 100))
def test_polynomial_closed_form(step, power, n, begin):
    s = optim.polynomial_schedule(2.0, 0.5, power, n, begin)
    t = min(max(step - begin, 0), n)
    assert math.isclose(s(step), 1.5 * (1 - t / n) ** power + 0.5, rel_tol=1e-12)


def test_linear_boundaries():
    s = optim.linear_schedule(1.0, 0.0, transition_steps=10, transition_begin=5)
    assert [s(0), s(5), s(10), s(15), s(100)] == [1.0, 1.0, 0.5, 0.0, 0.0]
    assert optim.linear_schedule(1.0, 0.0, 0)(7) == 1.0   # no transition: constant


@pytest.mark.parametrize("staircase", [False, True])
@pytest.mark.parametrize("step", [0, 4, 5, 6, 14, 15, 16, 40, 1000])
def test_exponential_decay(step, staircase):
    s = optim.exponential_decay(2.0, transition_steps=5, decay_rate=0.5, transition_begin=5,
                                staircase=staircase, end_value=0.1)
    t = step - 5
    p = math.floor(t / 5) if staircase else t / 5
    expected = 2.0 if t <= 0 else max(2.0 * 0.5 ** p, 0.1)
    assert math.isclose(s(step), expected, rel_tol=1e-12)
    up = optim.exponential_decay(1.0, 1, 2.0, end_value=8.0)
    assert up(2) == 4.0 and up(10) == 8.0


@given(steps, st.floats(0.0, 0.5), st.floats(0.5, 2.0))
def test_cosine_decay(step, alpha, exponent):
    s = optim.cosine_decay_schedule(3.0, 1000, alpha=alpha, exponent=exponent)
    t = min(step, 1000)
    expected = 3.0 * ((1 - alpha) * (0.5 * (1 + math.cos(math.pi * t / 1000))) ** exponent
                      + alpha)
    assert math.isclose(s(step), expected, rel_tol=1e-9, abs_tol=1e-12)


def test_warmup_cosine_decay():
    s = optim.warmup_cosine_decay_schedule(0.1, 1.0, warmup_steps=10, decay_steps=110,
                                           end_value=0.2)
    assert math.isclose(s(0), 0.1) and math.isclose(s(5), 0.55)
    assert s(10) == 1.0
    assert math.isclose(s(60), 0.2 + 0.8 * 0.5)
    assert math.isclose(s(110), 0.2) and math.isclose(s(10_000), 0.2)


def test_warmup_constant():
    s = optim.warmup_constant_schedule(0.0, 2.0, 4)
    assert [s(i) for i in range(6)] == [0.0, 0.5, 1.0, 1.5, 2.0, 2.0]


def test_piecewise_constant():
    s = optim.piecewise_constant_schedule(1.0, {5: 0.5, 10: 0.1})
    got = [s(i) for i in (0, 4, 5, 9, 10, 100)]
    np.testing.assert_allclose(got, [1.0, 1.0, 0.5, 0.5, 0.05, 0.05])
    assert optim.piecewise_constant_schedule(0.7)(99) == 0.7


@pytest.mark.parametrize("kind", ["linear", "cosine"])
def test_piecewise_interpolate(kind):
    s = optim.piecewise_interpolate_schedule(kind, 2.0, {10: 0.5, 30: 0.25})
    ease = (lambda p: p) if kind == "linear" else (lambda p: 0.5 * (1 - math.cos(math.pi * p)))
    assert s(0) == 2.0 and s(10) == 1.0 and s(30) == 0.25 and s(500) == 0.25
    assert math.isclose(s(5), 2.0 + ease(0.5) * (1.0 - 2.0))
    assert math.isclose(s(15), 1.0 + ease(0.25) * (0.25 - 1.0))


def test_cosine_onecycle():
    s = optim.cosine_onecycle_schedule(100, 2.0, pct_start=0.25, div_factor=10.0,
                                       final_div_factor=100.0)
    assert math.isclose(s(0), 0.2) and math.isclose(s(25), 2.0)
    assert math.isclose(s(100), 0.2 / 100)
    assert math.isclose(s(50), 2.0 + (0.002 - 2.0) * 0.5 * (1 - math.cos(math.pi / 3)))


def test_sgdr_and_join():
    cycle = dict(init_value=0.0, peak_value=1.0, warmup_steps=5, decay_steps=20)
    s = optim.sgdr_schedule([cycle, dict(cycle, peak_value=0.5)])
    assert s(5) == 1.0 and math.isclose(s(20), 0.0, abs_tol=1e-15)
    assert s(25) == 0.5 and math.isclose(s(40), 0.0, abs_tol=1e-15)
    j = optim.join_schedules([optim.constant_schedule(1.0), optim.constant_schedule(2.0)], [3])
    assert [j(i) for i in range(5)] == [1.0, 1.0, 1.0, 2.0, 2.0]
    with pytest.raises(ValueError, match="need 1 boundaries"):
        optim.join_schedules([optim.constant_schedule(1.0)] * 2, [])


def test_vectorised_steps():
    s = optim.cosine_decay_schedule(1.0, 10)
    out = s(np.arange(12))
    assert out.shape == (12,)
    np.testing.assert_allclose(out, [s(i) for i in range(12)])


def test_schedule_argument_errors():
    with pytest.raises(ValueError, match="decay_steps must be > 0"):
        optim.cosine_decay_schedule(1.0, 0)
    with pytest.raises(ValueError, match="must exceed warmup_steps"):
        optim.warmup_cosine_decay_schedule(0.0, 1.0, 10, 10)
    with pytest.raises(ValueError, match="interpolate_type"):
        optim.piecewise_interpolate_schedule("cubic", 1.0)
    with pytest.raises(ValueError, match="scales must be >= 0"):
        optim.piecewise_constant_schedule(1.0, {3: -1.0})
