"""Nested derivatives: closed forms to 4th order and the perturbation-confusion traps."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import funcad as fad
import funcad.numpy as fnp


def _d(mode, f):
    """The derivative of a scalar function by one transform: 'fwd' (jvp) or 'rev' (grad)."""
    if mode == "rev":
        return fad.grad(f)
    return lambda x: fad.jvp(f, (x,), (fnp.ones_like(x),))[1]


MODES = ["fwd", "rev"]
floats = st.floats(-2.0, 2.0, allow_nan=False)


@pytest.mark.parametrize("modes", list(itertools.product(MODES, repeat=4)))
@settings(max_examples=5, deadline=None, database=None)
@given(x=floats)
def test_fourth_derivative_of_sin_every_mode_mix(modes, x):
    f = np.sin
    for m in modes:
        f = _d(m, f)
    assert np.isclose(f(x), np.sin(x), atol=1e-12)


@settings(max_examples=20, deadline=None, database=None)
@given(x=st.floats(0.2, 2.0))
def test_closed_form_higher_derivatives(x):
    # d^n/dx^n exp(2x) = 2^n exp(2x); d^3/dx^3 log x = 2/x^3; d^4/dx^4 x^5 = 120 x
    g = lambda t: fnp.exp(2 * t)  # noqa: E731
    for n in range(1, 5):
        g = fad.grad(g)
        assert np.isclose(g(x), 2.0 ** n * np.exp(2 * x), rtol=1e-12)
    d3 = fad.grad(fad.grad(fad.grad(np.log)))
    assert np.isclose(d3(x), 2 / x ** 3, rtol=1e-12)
    d4 = fad.grad(fad.grad(fad.grad(fad.grad(lambda t: t ** 5))))
    assert np.isclose(d4(x), 120 * x, rtol=1e-12)
    d2 = fad.grad(fad.grad(lambda t: np.tanh(t)))
    assert np.isclose(d2(x), -2 * np.tanh(x) / np.cosh(x) ** 2, rtol=1e-10)


@pytest.mark.parametrize("outer,inner", list(itertools.product(MODES, repeat=2)))
def test_perturbation_confusion(outer, inner):
    # d/dx [x * d/dy (x + y)] at any x is 1; confusing the perturbations gives 2
    def f(x):
        return x * _d(inner, lambda y: x + y)(1.0)

    assert np.isclose(_d(outer, f)(3.0), 1.0)


@pytest.mark.parametrize("outer,inner", list(itertools.product(MODES, repeat=2)))
def test_perturbation_confusion_with_closure_over_outer_variable(outer, inner):
    # Siskind & Pearlmutter: the inner derivative must treat x as a constant
    def f(x):
        g = _d(inner, lambda y: x * y)   # d/dy (x y) = x
        return g(2.0) * x                # x * x -> derivative 2x

    assert np.isclose(_d(outer, f)(3.0), 6.0)


def test_closure_that_mutates_a_captured_variable_gives_one_or_raises():
    # the inner function rebinds a captured variable; the answer must be 1, or an error, never 2
    for outer, inner in itertools.product(MODES, repeat=2):
        state = {}

        def f(x, inner=inner, state=state):
            def h(y):
                state["x"] = x          # captured outer tracer, stored during the inner trace
                return x + y
            return x * _d(inner, h)(1.0)

        try:
            val = _d(outer, f)(3.0)
        except fad.FuncadError:
            continue
        assert np.isclose(val, 1.0), (outer, inner, val)


def test_vmap_perturbation_confusion():
    # per-example derivative of x * d/dy(x + y) under vmap, in both modes
    xs = np.linspace(0.5, 2.0, 4)
    for m in MODES:
        f = _d(m, lambda x: x * fad.grad(lambda y: x + y)(1.0))
        assert np.allclose(fad.vmap(f)(xs), 1.0)


def _rosen(x):
    return fnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


def _rosen_hess(x):
    n = x.size
    h = np.zeros((n, n))
    for i in range(n - 1):
        h[i, i] += 1200 * x[i] ** 2 - 400 * x[i + 1] + 2
        h[i, i + 1] -= 400 * x[i]
        h[i + 1, i] -= 400 * x[i]
        h[i + 1, i + 1] += 200
    return h


@settings(max_examples=10, deadline=None, database=None)
@given(seed=st.integers(0, 10**6), n=st.integers(2, 7))
def test_hessian_agrees_with_closed_form_and_other_compositions(seed, n):
    x = np.random.default_rng(seed).uniform(-1.5, 1.5, n)
    want = _rosen_hess(x)
    np.testing.assert_allclose(fad.hessian(_rosen)(x), want, rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(fad.jacfwd(fad.jacrev(_rosen))(x), want, rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(fad.jacrev(fad.jacrev(_rosen))(x), want, rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(fad.jacfwd(fad.jacfwd(_rosen))(x), want, rtol=1e-10, atol=1e-9)
    v = np.random.default_rng(seed + 1).standard_normal(n)
    _, hv = fad.hvp(_rosen, (x,), (v,))
    np.testing.assert_allclose(hv, want @ v, rtol=1e-10, atol=1e-9)


def test_third_order_tensor_of_cubic():
    # f(x) = sum_i x_i^3 has third derivative tensor 6 on the diagonal
    f = lambda x: fnp.sum(x ** 3)  # noqa: E731
    t = fad.jacfwd(fad.hessian(f))(np.array([1.0, -2.0, 0.5]))
    want = np.zeros((3, 3, 3))
    for i in range(3):
        want[i, i, i] = 6.0
    np.testing.assert_allclose(t, want, atol=1e-12)


def test_mixed_partials_of_two_arguments():
    # f(x, y) = x^2 y^3: d2f/dxdy = 6 x y^2
    f = lambda x, y: x ** 2 * y ** 3  # noqa: E731
    dxy = fad.grad(fad.grad(f, argnums=0), argnums=1)
    assert np.isclose(dxy(1.5, -0.5), 6 * 1.5 * 0.25)
    dyx = fad.grad(fad.grad(f, argnums=1), argnums=0)
    assert np.isclose(dyx(1.5, -0.5), 6 * 1.5 * 0.25)
