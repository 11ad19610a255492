"""funcad.numpy.random as a module, funcad.compat.autograd (autograd's documented API on
funcad), grad's size-1 message, and defvjp's inference of keep_ans from the rule's code."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import funcad as fad
import funcad.numpy as fnp
from funcad.compat import autograd as ag
from funcad.compat.autograd import misc
from funcad.compat.autograd.misc import fixed_points, optimizers
from funcad.compat.autograd.test_util import check_grads


# --- 1. every import spelling, each in a fresh interpreter --------------------------------

@pytest.mark.parametrize("line", [
    "import funcad.numpy.random as npr; import numpy; assert npr.randn is numpy.random.randn",
    "from funcad.numpy import random; import funcad.numpy as f; assert random is f.random",
    "import funcad.numpy.random; import funcad; assert funcad.numpy.random.seed",
    "import funcad.numpy.linalg as la; import funcad.numpy as f; assert la is f.linalg",
    "import funcad.numpy.fft as ft; import funcad.numpy as f; assert ft is f.fft",
    "from funcad.numpy import linalg, fft; assert linalg.norm and fft.rfft",
    "import funcad.compat.autograd.numpy as np; import funcad.numpy as f; assert np is f",
    "import funcad.compat.autograd.numpy.random as npr; import numpy; "
    "assert npr.default_rng is numpy.random.default_rng",
    "from funcad.compat.autograd import grad; import funcad.compat.autograd.misc.optimizers",
])
def test_import_spellings(line):
    r = subprocess.run([sys.executable, "-c", line], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_random_draws_are_constants():
    import funcad.numpy.random as npr
    eps = npr.RandomState(0).randn(4)
    g = fad.grad(lambda m, s: fnp.sum(m + s * eps), argnums=(0, 1))(1.0, 2.0)
    assert np.allclose(g, (4.0, eps.sum()))
    with pytest.raises(AttributeError, match="numpy.random has none either"):
        npr.no_such_sampler


# --- 3. funcad.grad of a size-1 output -------------------------------------------------

@pytest.mark.parametrize("shape", [(1,), (1, 1)])
def test_funcad_grad_size1_message(shape):
    with pytest.raises(TypeError, match=r"index it with \[0\] or call \.sum\(\)"):
        fad.grad(lambda x: x * 2.0)(np.ones(shape))


def test_funcad_grad_vector_keeps_jacobian_advice():
    with pytest.raises(TypeError, match="use jacrev or jacfwd") as e:
        fad.grad(lambda x: x * 2.0)(np.ones(2))
    assert "[0]" not in str(e.value)


# --- 2. the autograd operators, against hand-derived values ------------------------------

def test_grad_accepts_size1_output_and_argnum():
    x = np.array([3.0, 1.0])
    assert np.allclose(ag.grad(lambda x: x[:1] ** 2)(x), [6.0, 0.0])
    assert np.allclose(ag.grad(lambda x: (x ** 2).reshape(1, 2)[:, :1])(x), [6.0, 0.0])
    f = lambda a, b: fnp.sum(a * b ** 2)
    assert np.allclose(ag.grad(f, argnum=1)(x, np.array([2.0, 5.0])), [12.0, 10.0])
    ga, gb = ag.grad(f, argnum=(0, 1))(x, np.array([2.0, 5.0]))
    assert np.allclose(ga, [4.0, 25.0]) and np.allclose(gb, [12.0, 10.0])
    with pytest.raises(TypeError, match="elementwise_grad"):
        ag.grad(lambda x: x ** 2)(x)


def test_value_and_grad_and_aux():
    v, g = ag.value_and_grad(lambda x: fnp.sum(x ** 3))(np.array([1.0, 2.0]))
    assert np.isclose(v, 9.0) and np.allclose(g, [3.0, 12.0])
    g, aux = ag.grad_and_aux(lambda x: (fnp.sum(x ** 2), {"n": 2}))(np.array([1.0, 2.0]))
    assert np.allclose(g, [2.0, 4.0]) and aux == {"n": 2}


def test_elementwise_grad_and_deriv():
    x = np.array([0.0, 0.5, 2.0])
    assert np.allclose(ag.elementwise_grad(fnp.tanh)(x), 1 - np.tanh(x) ** 2)
    assert np.allclose(ag.deriv(fnp.sin)(x), np.cos(x))
    assert np.allclose(ag.deriv(lambda x, y: x * y, argnum=1)(2.0, 5.0), 2.0)
    with pytest.raises(TypeError, match="real-output"):
        ag.elementwise_grad(lambda x: x * 1j)(x)


def test_complex_conventions():
    z = 1.0 + 2.0j
    assert np.isclose(ag.holomorphic_grad(lambda z: z ** 3)(z), 3 * z ** 2)
    # real f(z) = |z|^2 = x^2 + y^2: df/dx - i df/dy = 2x - 2iy
    assert np.isclose(ag.grad(lambda z: fnp.abs(z) ** 2)(z), 2 * np.conj(z))


def test_jacobian_and_hessian_shapes_and_values():
    A = np.arange(6.0).reshape(3, 2)
    x = np.array([1.0, -2.0])
    assert np.allclose(ag.jacobian(lambda x: A @ x)(x), A)
    J = ag.jacobian(lambda M: M ** 2)(np.ones((2, 2)))
    assert J.shape == (2, 2, 2, 2) and np.isclose(J[1, 0, 1, 0], 2.0) and J.sum() == 8.0
    f = lambda x: x[0] ** 2 * x[1] + fnp.sin(x[1])
    H = np.array([[2 * x[1], 2 * x[0]], [2 * x[0], -np.sin(x[1])]])
    assert np.allclose(ag.hessian(f)(x), H)
    assert ag.hessian(lambda x: x ** 3)(x).shape == (2, 2, 2)


def test_vjp_jvp_hvp_products():
    A = np.array([[1.0, 2.0], [3.0, 4.0], [0.0, 1.0]])
    x, v, u = np.array([1.0, 2.0]), np.array([0.5, -1.0]), np.array([1.0, 0.0, 2.0])
    vjp, ans = ag.make_vjp(lambda x: A @ x)(x)
    assert np.allclose(ans, A @ x) and np.allclose(vjp(u), u @ A)
    ans, t = ag.make_jvp(lambda x: A @ x)(x)(v)
    assert np.allclose(t, A @ v)
    f = lambda x: fnp.sum(x ** 4) / 4.0           # H = diag(3 x^2)
    hvp, g = ag.make_hvp(f)(x)
    assert np.allclose(g, x ** 3) and np.allclose(hvp(v), 3 * x ** 2 * v)
    assert np.allclose(ag.hessian_vector_product(f)(x, v), 3 * x ** 2 * v)
    M = np.array([[1.0, 2.0], [3.0, 4.0]])
    htp = ag.hessian_tensor_product(lambda M: fnp.sum(M ** 3))(M, np.ones((2, 2)))
    assert np.allclose(htp, 6 * M)
    assert np.allclose(ag.vector_jacobian_product(lambda x: A @ x)(x, u), u @ A)
    # Gauss-Newton of g(y) = 0.5 |y|^2 after y = A x: A^T A v
    assert np.allclose(ag.make_ggnvp(lambda x: A @ x)(x)(v), A.T @ A @ v)


def test_checkpoint_is_funcads():
    f = ag.checkpoint(lambda x: fnp.sin(fnp.sin(x)))
    assert np.isclose(ag.grad(f)(0.3), np.cos(np.sin(0.3)) * np.cos(0.3))


# --- misc: flatten, optimizers, fixed points ---------------------------------------------

def test_flatten_and_flatten_func():
    tree = {"w": np.ones((2, 2)), "b": (np.zeros(1), 3.0)}
    flat, unflatten = misc.flatten(tree)
    assert flat.shape == (6,)
    back = unflatten(flat)
    assert np.allclose(back["w"], tree["w"]) and np.allclose(back["b"][1], 3.0)
    f, unf, x = misc.flatten_func(lambda t, c: {"s": fnp.sum(t["w"]) * c, "b": t["b"][0]},
                                  tree)
    assert np.allclose(f(x, 2.0), [0.0, 8.0])
    assert np.allclose(ag.grad(lambda v: fnp.sum(f(v, 2.0)))(x), misc.flatten(
        {"w": 2 * np.ones((2, 2)), "b": (np.ones(1), 0.0)})[0])


def test_sgd_momentum_form_by_hand():
    # grad = x; velocity_1 = -(1-m) x0; x1 = x0 + s v1; v2 = m v1 - (1-m) x1; x2 = x1 + s v2
    m, s, x0 = 0.5, 0.2, 1.0
    v1 = -(1 - m) * x0
    x1 = x0 + s * v1
    x2 = x1 + s * (m * v1 - (1 - m) * x1)
    got = optimizers.sgd(lambda x, i: x, np.array([x0]), num_iters=2, step_size=s, mass=m)
    assert np.allclose(got, [x2])


def test_adam_and_rmsprop_first_steps_by_hand():
    g = np.array([0.3, -2.0])
    x = optimizers.adam(lambda x, i: g, np.zeros(2), num_iters=1, step_size=0.1, eps=0.0)
    assert np.allclose(x, -0.1 * np.sign(g))        # bias-corrected m/sqrt(v) = sign(g)
    x = optimizers.rmsprop(lambda x, i: g, np.zeros(2), num_iters=1, step_size=0.1,
                           gamma=0.9, eps=0.0)
    assert np.allclose(x, -0.1 * g / np.sqrt(0.9 + 0.1 * g ** 2))


@pytest.mark.parametrize("opt, kw", [
    (optimizers.adam, dict(num_iters=400, step_size=0.1)),
    (optimizers.sgd, dict(num_iters=400, step_size=0.1, mass=0.9)),
    (optimizers.rmsprop, dict(num_iters=400, step_size=0.01)),
])
def test_optimizers_on_a_quadratic_pytree_with_callback(opt, kw):
    target = {"a": np.array([1.0, -2.0]), "b": 3.0}
    loss = lambda p, i: (fnp.sum((p["a"] - target["a"]) ** 2) + (p["b"] - target["b"]) ** 2)
    seen = []
    cb = lambda p, i, g: seen.append((i, sorted(p), sorted(g)))
    out = opt(ag.grad(loss), {"a": np.zeros(2), "b": 0.0}, cb, **kw)
    assert np.allclose(out["a"], target["a"], atol=0.02) and abs(out["b"] - 3.0) < 0.02
    assert seen[0] == (0, ["a", "b"], ["a", "b"]) and seen[-1][0] == kw["num_iters"] - 1


def test_adam_on_rosenbrock():
    rosen = lambda x, i: (1.0 - x[0]) ** 2 + 100.0 * (x[1] - x[0] ** 2) ** 2
    x = optimizers.adam(ag.grad(rosen), np.array([-1.0, 1.0]), num_iters=5000,
                        step_size=0.02)
    assert np.allclose(x, [1.0, 1.0], atol=0.02)


def test_fixed_point_value_and_implicit_gradient():
    dist = lambda x, y: fnp.max(fnp.abs(x - y))
    sqrt = lambda a: fixed_points.fixed_point(lambda a: lambda x: 0.5 * (x + a / x), a,
                                              np.ones_like(a), dist, 1e-13)
    a = np.array([4.0, 9.0])
    assert np.allclose(sqrt(a), [2.0, 3.0])
    assert np.allclose(ag.elementwise_grad(sqrt)(a), 0.5 / np.sqrt(a))
    # x = A x + a: x* = (I - A)^-1 a, d sum(x*)/da = (I - A)^-T 1
    A = np.array([[0.2, 0.1], [0.0, 0.3]])
    lin = lambda a: fixed_points.fixed_point(lambda a: lambda x: A @ x + a, a, np.zeros(2),
                                             dist, 1e-14)
    assert np.allclose(lin(a), np.linalg.solve(np.eye(2) - A, a))
    want = np.linalg.solve((np.eye(2) - A).T, np.ones(2))
    assert np.allclose(ag.grad(lambda a: fnp.sum(lin(a)))(a), want)
    fad.check_grads(lambda a: fnp.sum(lin(a) ** 2), (a,), order=1, modes=("rev",))


# --- test_util.check_grads, curried ------------------------------------------------------

def test_check_grads_curried_passes_and_catches_a_wrong_rule():
    check_grads(lambda x, y: fnp.sin(x) * y, modes=["fwd", "rev"], order=2)(0.3, 2.0)
    check_grads(lambda x, y: fnp.sin(x) * y ** 2, argnum=1, modes=["rev"])(0.3, 2.0)

    @fad.custom_vjp
    def wrong(x):
        return fnp.sin(x)
    wrong.defvjp(lambda x: (fnp.sin(x), x), lambda x, g: (g * 2.0 * fnp.cos(x),))
    with pytest.raises(AssertionError):
        check_grads(wrong, modes=["rev"], order=1)(np.array([0.3, 1.0]))


# --- parity with the real autograd, where installed --------------------------------------

def test_parity_with_autograd():
    autograd = pytest.importorskip("autograd")
    anp = pytest.importorskip("autograd.numpy")
    from autograd.misc.optimizers import adam as ag_adam
    x = np.array([0.3, -1.2, 2.0])
    for name in ("grad", "elementwise_grad", "jacobian", "hessian"):
        want = getattr(autograd, name)(lambda x: anp.sum(anp.tanh(x) ** 2) if name in (
            "grad", "hessian") else anp.tanh(x) ** 2)(x)
        got = getattr(ag, name)(lambda x: fnp.sum(fnp.tanh(x) ** 2) if name in (
            "grad", "hessian") else fnp.tanh(x) ** 2)(x)
        assert np.allclose(got, want), name
    loss_a = lambda p, i: anp.sum((p - 1.0) ** 2)
    loss_f = lambda p, i: fnp.sum((p - 1.0) ** 2)
    assert np.allclose(optimizers.adam(ag.grad(loss_f), x, num_iters=50),
                       ag_adam(autograd.grad(loss_a), x, num_iters=50))
