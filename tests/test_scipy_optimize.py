"""funcad.scipy.optimize: solutions differentiated by the implicit function theorem.

Closed forms (a quadratic's root, sqrt by Newton, the minimum x* = A⁻¹b of a quadratic), the
IFT formula and finite differences, first and second order in both modes (check_grads),
vmap over parameters against a loop, closures, and the errors (no convergence, a singular
Jacobian, a traced value the solver cannot see).
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

import funcad as fad
import funcad.numpy as fnp

pytest.importorskip("scipy")
import scipy.optimize as so  # noqa: E402

from funcad.scipy import optimize as fo  # noqa: E402
from funcad.scipy.optimize import ImplicitDiffError  # noqa: E402

TIGHT = dict(tol=1e-13)


def newton(f, x):
    """A plain Newton solver for a scalar f (on plain values: it is never differentiated)."""
    for _ in range(60):
        x = x - f(x) / fad.grad(f)(x)
    return x


def scalar_solve(g, y):
    return y / g(1.0)


# ---------------------------------------------------------------------------
# custom_root
# ---------------------------------------------------------------------------

def my_sqrt(a):
    return fo.custom_root(lambda x: x ** 2 - a, 1.0, newton, scalar_solve)


@pytest.mark.parametrize("a", [0.5, 4.0, 9.0])
def test_custom_root_sqrt_closed_form_to_third_order(a):
    assert my_sqrt(a) == pytest.approx(np.sqrt(a), rel=1e-14)
    d = [0.5 * a ** -0.5, -0.25 * a ** -1.5, 0.375 * a ** -2.5]
    got1 = {"grad": fad.grad(my_sqrt)(a), "jvp": fad.jvp(my_sqrt, (a,), (1.0,))[1],
            "jacfwd": fad.jacfwd(my_sqrt)(a), "jacrev": fad.jacrev(my_sqrt)(a),
            "linearize": fad.linearize(my_sqrt, a)[1](1.0),
            "vjp": fad.vjp(my_sqrt, a)[1](1.0)[0]}
    got2 = {"grad_grad": fad.grad(fad.grad(my_sqrt))(a), "hessian": fad.hessian(my_sqrt)(a),
            "jacfwd_grad": fad.jacfwd(fad.grad(my_sqrt))(a),
            "grad_jvp": fad.grad(lambda b: fad.jvp(my_sqrt, (b,), (1.0,))[1])(a)}
    for name, v in got1.items():
        np.testing.assert_allclose(v, d[0], rtol=1e-12, err_msg=name)
    for name, v in got2.items():
        np.testing.assert_allclose(v, d[1], rtol=1e-12, err_msg=name)
    np.testing.assert_allclose(fad.grad(fad.grad(fad.grad(my_sqrt)))(a), d[2], rtol=1e-12)


def test_custom_root_check_grads_order_2_and_vmap_against_a_loop():
    fad.check_grads(my_sqrt, (3.0,), order=2, modes=("fwd", "rev"))
    a = np.array([0.5, 2.0, 7.0])
    for f in (my_sqrt, fad.grad(my_sqrt), fad.grad(fad.grad(my_sqrt))):
        np.testing.assert_allclose(fad.vmap(f)(a), [f(v) for v in a], rtol=1e-13)


def quad_root(p):
    """The larger root of x² + p[0] x + p[1] = 0, vector parameters closed over by f."""
    return fo.custom_root(lambda x: x ** 2 + p[0] * x + p[1], 5.0, newton, scalar_solve)


def test_custom_root_against_the_ift_formula_and_the_quadratic_formula():
    p = np.array([-3.0, 1.0])
    x = quad_root(p)
    assert x == pytest.approx((3 + np.sqrt(5)) / 2, rel=1e-14)
    # IFT: dx/dp = -(∂f/∂x)⁻¹ ∂f/∂p = -[x, 1] / (2x + p0)
    np.testing.assert_allclose(fad.grad(quad_root)(p), -np.array([x, 1.0]) / (2 * x + p[0]),
                               rtol=1e-12)
    closed = lambda p: (-p[0] + fnp.sqrt(p[0] ** 2 - 4 * p[1])) / 2        # noqa: E731
    np.testing.assert_allclose(fad.hessian(quad_root)(p), fad.hessian(closed)(p), rtol=1e-11)
    np.testing.assert_allclose(fad.jacfwd(fad.jacrev(quad_root))(p), fad.hessian(closed)(p),
                               rtol=1e-11)
    fad.check_grads(quad_root, (p,), order=2)


def test_custom_root_vector_system_with_a_pytree_closure_and_has_aux():
    # f(x) = A x + s * x³ - b, closure over a dict; solved by scipy's fsolve
    A = np.array([[4.0, 1.0], [1.0, 3.0]])

    def solve(f, x0):
        x, info, *_ = so.fsolve(f, x0, xtol=1e-14, full_output=True)
        return x, np.asarray(info["nfev"])

    def sol(params):
        f = lambda x: A @ x + params["s"] * x ** 3 - params["b"]        # noqa: E731
        x, nfev = fo.custom_root(f, np.zeros(2), solve, fo.dense_tangent_solve, has_aux=True)
        assert not isinstance(nfev, fad.extend.Tracer) and nfev > 0
        return x

    params = {"s": np.array(0.3), "b": np.array([1.0, 2.0])}
    x = sol(params)
    np.testing.assert_allclose(A @ x + 0.3 * x ** 3, params["b"], atol=1e-12)
    J = A + np.diag(3 * 0.3 * x ** 2)
    g = fad.jacrev(sol)(params)
    np.testing.assert_allclose(g["b"], np.linalg.inv(J), rtol=1e-10)
    np.testing.assert_allclose(g["s"], -np.linalg.solve(J, x ** 3), rtol=1e-10)
    fad.check_grads(lambda s, b: sol({"s": s, "b": b}), (np.array(0.3), params["b"]), order=2)


def test_closure_conversion_finds_nested_functions_partials_defaults_and_shared_values():
    def x_of(p):
        scale = [p[0], p[0]]                      # one traced value twice, in a list
        shared = {"b": p[1]}

        def inner(x, b=p[1]):                     # a default argument
            return x ** 2 - scale[0] * b * shared["b"] / p[1]

        f = functools.partial(lambda x, g: g(x), g=inner)     # a partial over a closure
        return fo.custom_root(f, 1.0, newton, scalar_solve)

    p = np.array([2.0, 4.5])
    closed = lambda p: fnp.sqrt(p[0] * p[1])                                   # noqa: E731
    np.testing.assert_allclose(x_of(p), 3.0, rtol=1e-14)
    np.testing.assert_allclose(fad.grad(x_of)(p), fad.grad(closed)(p), rtol=1e-12)
    np.testing.assert_allclose(fad.hessian(x_of)(p), fad.hessian(closed)(p), rtol=1e-11)
    fad.check_grads(x_of, (p,), order=2)


def test_custom_root_has_no_derivative_in_the_initial_guess():
    f = lambda x0: fo.custom_root(lambda x: x ** 2 - 2.0, x0, newton, scalar_solve)  # noqa: E731
    assert fad.grad(f)(1.0) == 0.0


# ---------------------------------------------------------------------------
# root / root_scalar / brentq
# ---------------------------------------------------------------------------

def system(x, a, c):
    """x0² - a = 0, x1 - c x0 = 0: x* = (√a, c√a)."""
    return fnp.stack([x[0] ** 2 - a, x[1] - c * x[0]])


@pytest.mark.parametrize("method", ["hybr", "lm"])
def test_root_values_against_scipy_and_the_closed_form(method):
    got = fo.root(system, np.ones(2), args=(4.0, 3.0), method=method, tol=1e-13)
    want = so.root(lambda x: [x[0] ** 2 - 4.0, x[1] - 3.0 * x[0]], np.ones(2), method=method,
                   tol=1e-13)
    np.testing.assert_allclose(got.x, want.x, rtol=1e-10)
    np.testing.assert_allclose(got.x, [2.0, 6.0], rtol=1e-12)
    assert got.success and isinstance(got, so.OptimizeResult)


def test_root_derivatives_ift_and_finite_differences_in_both_modes():
    def x_of(a, c):
        return fo.root(system, np.ones(2), args=(a, c), tol=1e-13).x

    a, c = 4.0, 3.0
    s = np.sqrt(a)
    np.testing.assert_allclose(fad.jacfwd(x_of, argnums=(0, 1))(a, c),
                               (np.array([0.5 / s, 0.5 * c / s]), np.array([0.0, s])),
                               rtol=1e-10)
    np.testing.assert_allclose(fad.hessian(lambda a: x_of(a, c)[1])(a), -0.25 * c * a ** -1.5,
                               rtol=1e-9)
    fad.check_grads(x_of, (a, c), order=2, modes=("fwd", "rev"))


def test_root_closure_and_vmap_over_parameters_against_a_loop():
    def x_of(a):
        return fo.root(lambda x: system(x, a, 2.0 * a), np.ones(2), tol=1e-13).x

    a_s = np.array([1.0, 4.0, 9.0])
    np.testing.assert_allclose(fad.vmap(x_of)(a_s), [x_of(a) for a in a_s], rtol=1e-12)
    g = fad.vmap(fad.jacfwd(x_of))(a_s)
    np.testing.assert_allclose(g, [fad.jacfwd(x_of)(a) for a in a_s], rtol=1e-12)
    np.testing.assert_allclose(g[:, 1], 3 * np.sqrt(a_s), rtol=1e-10)   # d(2a·√a)/da
    res = fad.vmap(lambda a: fo.root(system, np.ones(2), args=(a, 1.0)).x)(a_s)
    np.testing.assert_allclose(res[:, 0], np.sqrt(a_s), rtol=1e-10)


def test_root_vmap_over_a_float_and_an_integer_parameter():
    # x^k = a: the integer k is batched (a tracer) but has no derivative
    f = lambda x, a, k: x ** k - a                                            # noqa: E731
    a, k = np.array([4.0, 8.0]), np.array([2, 3])
    x_of = lambda a, k: fo.root(f, np.ones(1), args=(a, k), tol=1e-13).x[0]  # noqa: E731
    np.testing.assert_allclose(fad.vmap(x_of)(a, k), [2.0, 2.0], rtol=1e-12)
    np.testing.assert_allclose(fad.vmap(fad.grad(x_of))(a, k), [1 / 4, 1 / 12], rtol=1e-10)


def test_root_scalar_and_brentq():
    f = lambda x, a: x ** 3 + x - a                                           # noqa: E731
    for kw in [dict(bracket=(-10, 10)), dict(method="newton", x0=1.0),
               dict(method="secant", x0=1.0, x1=2.0), dict(method="halley", x0=1.0)]:
        r = fo.root_scalar(f, args=(3.0,), xtol=1e-14, **kw)
        assert r.converged
        x = r.root
        np.testing.assert_allclose(x, so.root_scalar(f, args=(3.0,), xtol=1e-14, **{
            k: v for k, v in kw.items()}, fprime=(lambda x, a: 3 * x ** 2 + 1)
            if kw.get("method") in ("newton", "halley") else None,
            fprime2=(lambda x, a: 6 * x) if kw.get("method") == "halley" else None).root,
            rtol=1e-12)
        g = fad.grad(lambda a: fo.root_scalar(f, args=(a,), xtol=1e-14, **kw).root)(3.0)
        np.testing.assert_allclose(g, 1 / (3 * x ** 2 + 1), rtol=1e-10, err_msg=str(kw))
    x_of = lambda a: fo.brentq(f, -10.0, 10.0, args=(a,))                    # noqa: E731
    x = x_of(3.0)
    d1 = 1 / (3 * x ** 2 + 1)
    np.testing.assert_allclose(fad.hessian(x_of)(3.0), -6 * x * d1 ** 3, rtol=1e-9)
    fad.check_grads(x_of, (3.0,), order=2)
    root, info = fo.brentq(f, -10.0, 10.0, args=(3.0,), full_output=True)
    assert info.converged and root == pytest.approx(x)


# ---------------------------------------------------------------------------
# minimize
# ---------------------------------------------------------------------------

A = np.array([[3.0, 1.0, 0.0], [1.0, 2.0, 0.5], [0.0, 0.5, 1.5]])


def quadratic(x, b):
    return 0.5 * x @ A @ x - b @ x


@pytest.mark.parametrize("method", ["BFGS", "CG", "L-BFGS-B", "Newton-CG", "trust-exact",
                                    "trust-ncg"])
def test_minimize_quadratic_closed_form_and_its_derivative(method):
    b = np.array([1.0, -2.0, 0.5])
    opts = {"gtol": 1e-12} if method not in ("Newton-CG",) else {"xtol": 1e-14}
    if method == "L-BFGS-B":
        opts = {"gtol": 1e-13, "ftol": 1e-16}

    def x_of(b):
        return fo.minimize(quadratic, np.zeros(3), args=(b,), method=method, options=opts).x

    np.testing.assert_allclose(x_of(b), np.linalg.solve(A, b), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(fad.jacrev(x_of)(b), np.linalg.inv(A), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fad.jacfwd(x_of)(b), np.linalg.inv(A), rtol=1e-10, atol=1e-12)


def nonquadratic(x, theta):
    """Strictly convex: Σ cosh(x) + ½ xᵀAx - θᵀx (its minimiser is nonlinear in θ)."""
    return fnp.sum(fnp.cosh(x)) + 0.5 * x @ A @ x - theta @ x


def argmin(theta, method="Newton-CG"):
    # Newton-CG (funcad's Hessian) converges to round-off, so finite differences of the
    # solution are accurate; BFGS stops near 1e-11, enough for the formulas, not for them
    opts = {"xtol": 1e-15} if method == "Newton-CG" else {"gtol": 1e-13}
    return fo.minimize(nonquadratic, np.zeros(3), args=(theta,), method=method,
                       options=opts).x


def test_minimize_first_and_second_order_against_the_ift_and_finite_differences():
    theta = np.array([1.0, -2.0, 0.5])
    x = argmin(theta)
    np.testing.assert_allclose(so.minimize(nonquadratic, np.zeros(3), args=(theta,),
                                           method="BFGS", options={"gtol": 1e-13}).x, x,
                               rtol=1e-7)
    H = np.diag(np.cosh(x)) + A
    np.testing.assert_allclose(fad.jacrev(argmin)(theta), np.linalg.inv(H), rtol=1e-10)
    np.testing.assert_allclose(fad.jacfwd(lambda t: argmin(t, "BFGS"))(theta),
                               np.linalg.inv(H), rtol=1e-9)
    # second order: d/dθ of x* through H(x*) = diag(cosh x*) + A
    loss = lambda t: fnp.sum(argmin(t) ** 3)                                  # noqa: E731
    fad.check_grads(loss, (theta,), order=2, modes=("fwd", "rev"), atol=1e-6, rtol=1e-6)
    hess = fad.hessian(loss)(theta)
    np.testing.assert_allclose(hess, hess.T, rtol=1e-10)
    np.testing.assert_allclose(fad.jacfwd(fad.grad(loss))(theta), hess, rtol=1e-10)


def test_minimize_vmap_over_parameters_against_a_loop():
    thetas = np.array([[1.0, -2.0, 0.5], [0.0, 1.0, 1.0], [2.0, 0.0, -1.0]])
    np.testing.assert_allclose(fad.vmap(argmin)(thetas), [argmin(t) for t in thetas],
                               rtol=1e-12)
    np.testing.assert_allclose(fad.vmap(fad.jacrev(argmin))(thetas),
                               [fad.jacrev(argmin)(t) for t in thetas], rtol=1e-12)


def test_minimize_in_values_the_objective_closes_over():
    def x_of(theta):
        return fo.minimize(lambda x: nonquadratic(x, 2.0 * theta), np.zeros(3),
                           options={"gtol": 1e-13}).x

    theta = np.array([0.5, -1.0, 0.25])
    # the implicit derivative is exact at the minimiser BFGS returns, which it finds to
    # ~1e-9 here; the BLAS kernel changes the last digits of its iterates (an older OpenBLAS
    # kernel moved this Jacobian by 5e-10 relative)
    np.testing.assert_allclose(fad.jacfwd(x_of)(theta), 2 * fad.jacfwd(argmin)(2 * theta),
                               rtol=1e-7)


# ---------------------------------------------------------------------------
# fixed_point
# ---------------------------------------------------------------------------

def test_fixed_point_closed_form_and_derivatives():
    xs = lambda a: fo.fixed_point(lambda x, a: a / (1 + x), 1.0, args=(a,), xtol=1e-14)  # noqa
    a = 2.0
    closed = lambda a: (fnp.sqrt(1 + 4 * a) - 1) / 2                            # noqa: E731
    np.testing.assert_allclose(xs(a), closed(a), rtol=1e-13)
    np.testing.assert_allclose(fad.grad(xs)(a), fad.grad(closed)(a), rtol=1e-12)
    np.testing.assert_allclose(fad.hessian(xs)(a), fad.hessian(closed)(a), rtol=1e-10)
    fad.check_grads(xs, (a,), order=2)
    a_s = np.array([0.5, 2.0, 6.0])
    np.testing.assert_allclose(fad.vmap(fad.grad(xs))(a_s), [fad.grad(closed)(v) for v in a_s],
                               rtol=1e-12)


def test_fixed_point_of_a_layer_matches_unrolling():
    rng = np.random.default_rng(0)
    W = rng.standard_normal((4, 4))
    W = 0.5 * W / np.linalg.norm(W, 2)
    layer = lambda x, a: fnp.tanh(W @ x + a)                                   # noqa: E731

    def unrolled(a):
        x = np.zeros(4)
        for _ in range(80):
            x = layer(x, a)
        return x

    implicit = functools.partial(lambda a: fo.fixed_point(layer, np.zeros(4), args=(a,),
                                                          xtol=1e-14))
    a = rng.standard_normal(4)
    np.testing.assert_allclose(implicit(a), unrolled(a), atol=1e-13)
    np.testing.assert_allclose(fad.jacrev(implicit)(a), fad.jacrev(unrolled)(a), atol=1e-11)
    loss = lambda f: (lambda a: fnp.sum(f(a) ** 2))                            # noqa: E731
    np.testing.assert_allclose(fad.hessian(loss(implicit))(a), fad.hessian(loss(unrolled))(a),
                               atol=1e-10)


# ---------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------

def test_minimize_not_converged_values_are_returned_but_a_derivative_raises():
    rosen = lambda x, c: (c - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2       # noqa: E731
    opts = {"maxiter": 3}
    res = fo.minimize(rosen, np.array([-1.0, 1.0]), args=(1.0,), options=opts)
    assert not res.success                         # the value is SciPy's, as SciPy returns it
    with pytest.raises(ImplicitDiffError, match=r"minimize.*did not converge.*tighten tol"):
        fad.grad(lambda c: fnp.sum(fo.minimize(rosen, np.array([-1.0, 1.0]), args=(c,),
                                               options=opts).x))(1.0)


def test_root_not_converged_raises_on_a_derivative():
    f = lambda x, a: fnp.exp(x) + a                                            # no root for a > 0
    with pytest.raises(ImplicitDiffError, match=r"root.*did not converge"):
        fad.grad(lambda a: fnp.sum(fo.root(f, np.zeros(1), args=(a,)).x))(1.0)


def test_singular_jacobian_at_the_root_raises():
    # x² - a² = 0 at a = 0: the double root x = 0 has ∂f/∂x = 0
    f = lambda x, a: x ** 2 - a ** 2                                           # noqa: E731
    x_of = lambda a: fo.root_scalar(f, args=(a,), x0=0.0, method="newton").root  # noqa: E731
    assert x_of(0.0) == 0.0
    with pytest.raises(ImplicitDiffError, match="singular.*implicit function theorem"):
        fad.grad(x_of)(0.0)


def test_minimize_with_an_active_bound_or_constraints_refuses_the_derivative():
    f = lambda x, b: fnp.sum((x - b) ** 2)                                     # noqa: E731
    x_of = lambda b: fo.minimize(f, np.zeros(2), args=(b,), bounds=[(0, 1), (0, 1)]).x  # noqa
    np.testing.assert_allclose(fad.jacfwd(x_of)(np.array([0.5, 0.25])), np.eye(2), atol=1e-8)
    with pytest.raises(ImplicitDiffError, match=r"bounds are active.*\[1\]"):
        fad.jacfwd(x_of)(np.array([0.5, 2.0]))
    cons = [{"type": "eq", "fun": lambda x: x[0] + x[1] - 1}]
    with pytest.raises(ImplicitDiffError, match="constrained minimum"):
        fad.grad(lambda b: fnp.sum(fo.minimize(f, np.zeros(2), args=(b,),
                                               constraints=cons).x))(np.ones(2))


class Holder:
    pass


def test_a_traced_value_the_solver_cannot_see_is_reported():
    def x_of(a):
        h = Holder()
        h.a = a                                       # in an attribute, not a closure cell
        return fo.custom_root(lambda x: x ** 2 - h.a, 1.0, newton, scalar_solve)

    assert x_of(4.0) == 2.0
    with pytest.raises(ImplicitDiffError, match="cannot see.*variable the function closes over"):
        fad.grad(x_of)(4.0)

    def y_of(a):
        h = Holder()
        h.a = a
        return fo.root(lambda x: x ** 2 - h.a, np.ones(1)).x

    with pytest.raises(ImplicitDiffError, match=r"root: .*cannot see.*Pass that value in args="):
        fad.grad(lambda a: y_of(a)[0])(4.0)
