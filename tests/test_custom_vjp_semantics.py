"""custom_vjp: the rule is the derivative at every level, under every transform.

Forward mode transposes bwd (never dual numbers through fwd); fwd's own call of the
custom function goes through the rule again (reverse over reverse); a bwd that is not
linear in g, or fwd outputs made constant, are refused with an error naming the function.
"""

from __future__ import annotations

import numpy as np
import pytest

import funcad as fad
from funcad.errors import CustomRuleError


@fad.custom_vjp
def cube(x):                         # the primal hides the dependence from funcad
    return fad.stop_gradient(x) ** 3


def _cube_fwd(x):
    y = cube(x)
    return y, y


cube.defvjp(_cube_fwd, lambda y, g: (3 * np.cbrt(y) ** 2 * g,))

X = np.array([0.5, -1.5, 2.0])
TRANSFORMS = {
    "grad_grad": (lambda: fad.grad(fad.grad(cube))(2.0), 12.0),
    "hessian": (lambda: fad.hessian(cube)(2.0), 12.0),
    "jvp": (lambda: fad.jvp(cube, (2.0,), (1.0,))[1], 12.0),
    "jacfwd": (lambda: fad.jacfwd(cube)(2.0), 12.0),
    "jacrev": (lambda: fad.jacrev(cube)(2.0), 12.0),
    "linearize": (lambda: fad.linearize(cube, 2.0)[1](1.0), 12.0),
    "jvp_grad": (lambda: fad.jvp(fad.grad(cube), (2.0,), (1.0,))[1], 12.0),
    "grad_jvp": (lambda: fad.grad(lambda x: fad.jvp(cube, (x,), (1.0,))[1])(2.0), 12.0),
    "hvp": (lambda: fad.hvp(cube, (2.0,), (1.0,))[1], 12.0),
    "jacfwd_jacfwd": (lambda: fad.jacfwd(fad.jacfwd(cube))(2.0), 12.0),
    "jacrev_jacfwd": (lambda: fad.jacrev(fad.jacfwd(cube))(2.0), 12.0),
    "grad3": (lambda: fad.grad(fad.grad(fad.grad(cube)))(2.0), 6.0),
    "jvp_jvp_jvp": (lambda: fad.jvp(lambda x: fad.jvp(lambda y: fad.jvp(cube, (y,), (1.0,))[1],
                                                        (x,), (1.0,))[1], (2.0,), (1.0,))[1], 6.0),
    "vmap_grad_grad": (lambda: fad.vmap(fad.grad(fad.grad(cube)))(X), 6 * X),
    "hessian_vector": (lambda: fad.hessian(lambda x: np.sum(cube(x)))(X), np.diag(6 * X)),
    "jacfwd_vector": (lambda: fad.jacfwd(cube)(X), np.diag(3 * X ** 2)),
    "vmap_jvp": (lambda: fad.vmap(lambda x: fad.jvp(cube, (x,), (1.0,))[1])(X), 3 * X ** 2),
}


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_rule_is_the_derivative_at_every_level(name):
    fn, want = TRANSFORMS[name]
    np.testing.assert_allclose(fn(), want, rtol=1e-12)


@fad.custom_vjp
def clip_grad(x):
    return x


clip_grad.defvjp(lambda x: (x, None), lambda _, g: (np.clip(g, -1.0, 1.0),))


@pytest.mark.parametrize("fwd_transform", [
    lambda f: fad.jvp(f, (np.ones(2),), (np.ones(2),)),
    lambda f: fad.jacfwd(f)(np.ones(2)),
    lambda f: fad.hessian(lambda x: np.sum(f(x) ** 2))(np.ones(2)),
    lambda f: fad.linearize(f, np.ones(2)),
], ids=["jvp", "jacfwd", "hessian", "linearize"])
def test_bwd_not_linear_in_g_is_refused_in_forward_mode(fwd_transform):
    with pytest.raises(CustomRuleError, match=r"clip_grad.*linear.*custom_jvp"):
        fwd_transform(clip_grad)
    # reverse mode keeps working: clipping is what the rule is for
    np.testing.assert_allclose(fad.grad(lambda x: np.sum(clip_grad(x) * 5.0))(np.ones(2)), 1.0)


@fad.custom_vjp
def doubled_by_hand(x):
    return 2 * x


doubled_by_hand.defvjp(lambda x: (2 * x, None),
                       lambda _, g: (np.asarray(g, dtype=float) * 2,))


def test_bwd_that_leaves_funcad_is_refused_in_forward_mode():
    assert fad.grad(lambda x: np.sum(doubled_by_hand(x)))(np.ones(2)).tolist() == [2.0, 2.0]
    with pytest.raises(CustomRuleError, match="doubled_by_hand.*cannot trace"):
        fad.jvp(doubled_by_hand, (np.ones(2),), (np.ones(2),))


@fad.custom_vjp
def affine_bwd(x):
    return x


affine_bwd.defvjp(lambda x: (x, None), lambda _, g: (g + 1.0,))


def test_bwd_affine_in_g_is_refused():
    with pytest.raises(CustomRuleError, match="affine_bwd"):
        fad.jvp(affine_bwd, (1.0,), (1.0,))


@fad.custom_vjp
def cube_const_fwd(x):
    return fad.stop_gradient(x) ** 3


def _const_fwd(x):                   # returns the hidden primal itself, not cube_const_fwd(x)
    y = fad.stop_gradient(x) ** 3
    return y, y


cube_const_fwd.defvjp(_const_fwd, lambda y, g: (3 * np.cbrt(y) ** 2 * g,))


@pytest.mark.parametrize("nested", [
    lambda f: fad.grad(fad.grad(f))(2.0),
    lambda f: fad.hessian(f)(2.0),
    lambda f: fad.jvp(fad.grad(f), (2.0,), (1.0,)),
], ids=["grad_grad", "hessian", "jvp_grad"])
def test_fwd_with_constant_output_is_refused_when_nested(nested):
    assert fad.grad(cube_const_fwd)(2.0) == 12.0          # first order is right
    with pytest.raises(CustomRuleError, match=r"cube_const_fwd.*constant.*cube_const_fwd\(x\)"):
        nested(cube_const_fwd)


def test_implicit_root_finder_first_and_second_derivative_in_every_mode():
    brentq = pytest.importorskip("scipy.optimize").brentq

    @fad.custom_vjp
    def root(a):                     # the x with x**3 + x = a, by a solver on plain floats
        return brentq(lambda x: x ** 3 + x - a, -10.0, 10.0, xtol=1e-15, rtol=1e-15)

    def root_fwd(a):
        x = root(a)
        return x, x

    root.defvjp(root_fwd, lambda x, g: (g / (3 * x ** 2 + 1),))

    a = 3.0
    x = root(a)
    d1 = 1 / (3 * x ** 2 + 1)
    d2 = -6 * x * d1 ** 3
    first = {"grad": fad.grad(root)(a), "jacrev": fad.jacrev(root)(a),
             "jacfwd": fad.jacfwd(root)(a), "jvp": fad.jvp(root, (a,), (1.0,))[1],
             "linearize": fad.linearize(root, a)[1](1.0)}
    second = {"grad_grad": fad.grad(fad.grad(root))(a), "hessian": fad.hessian(root)(a),
              "jacfwd_jacfwd": fad.jacfwd(fad.jacfwd(root))(a),
              "jvp_grad": fad.jvp(fad.grad(root), (a,), (1.0,))[1],
              "grad_jvp": fad.grad(lambda b: fad.jvp(root, (b,), (1.0,))[1])(a)}
    for name, v in first.items():
        np.testing.assert_allclose(v, d1, rtol=1e-10, err_msg=name)
    for name, v in second.items():
        np.testing.assert_allclose(v, d2, rtol=1e-10, err_msg=name)


def test_linear_transpose_refuses_a_function_that_is_not_linear():
    with pytest.raises(TypeError, match="clip|minimum|maximum|not linear"):
        fad.linear_transpose(lambda g: np.clip(g, -1.0, 1.0), np.ones(2))
    with pytest.raises(TypeError, match="affine"):
        fad.linear_transpose(lambda g: g + 1.0, np.ones(2))
    assert fad.linear_transpose(lambda g: 3.0 * g[::-1], np.ones(2))(np.array([1.0, 2.0]))[0] \
        .tolist() == [6.0, 3.0]
