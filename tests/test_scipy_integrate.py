"""funcad.scipy.integrate: odeint and solve_ivp against closed forms and SciPy, their
derivatives (the continuous adjoint and the discrete gradient) against closed forms and
finite differences, forward mode, vmap, pytrees and the errors.

Tolerances: the solver's local error is controlled to rtol/atol; the solutions here are
computed with rtol = atol = 1e-10 and compared with closed forms to 1e-7 (global error
grows with the interval). The continuous adjoint is the derivative of the exact solution
approximated by a second solve, so it matches a closed-form derivative to the same 1e-7
and the finite differences of the computed solution (step 1e-4 central, truncation error
~1e-8, plus the solver's noise ~1e-10/1e-4) to 1e-5. The discrete gradient is the exact
derivative of the computed solution: its forward and reverse modes agree to 1e-12.
"""

from __future__ import annotations

import numpy as np
import pytest

import funcad as fad
import funcad.numpy as fnp

pytest.importorskip("scipy")
from scipy import integrate as si  # noqa: E402
from scipy.linalg import expm  # noqa: E402

from funcad.scipy.integrate import odeint, solve_ivp  # noqa: E402

TOL = dict(rtol=1e-10, atol=1e-10)
MODES = ["adjoint", "discrete"]
RNG = np.random.default_rng(0)
A4 = RNG.standard_normal((4, 4)) / 2
Y4 = RNG.standard_normal(4)
T3 = np.array([0.0, 0.4, 1.1])


def linear(y, t, A):
    return A @ y


def linear_exact(y0, t, A):
    return np.stack([expm((ti - t[0]) * A) @ y0 for ti in t])


def fd(f, x, eps=1e-4):
    """Central differences of a scalar f at x (an array), one entry at a time."""
    x = np.asarray(x, dtype=float)
    out = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        e = np.zeros(x.shape)
        e[i] = eps
        out[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return out


# ---------------------------------------------------------------------------
# values
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["RK45", "RK23", "DOP853"])
def test_linear_ode_matches_expm(method):
    tol = dict(rtol=1e-8, atol=1e-8) if method == "RK23" else dict(rtol=1e-10, atol=1e-10)
    ys = odeint(linear, Y4, T3, A4, method=method, **tol)
    assert ys.shape == (3, 4)
    np.testing.assert_allclose(ys, linear_exact(Y4, T3, A4),
                               atol=1e-6 if method == "RK23" else 1e-8)


def test_decay_and_harmonic_oscillator_closed_forms():
    t = np.linspace(0.0, 3.0, 7)
    ys = odeint(lambda y, t, k: -k * y, np.array([2.0, -1.0]), t, 0.7, **TOL)
    np.testing.assert_allclose(ys, np.exp(-0.7 * t)[:, None] * [2.0, -1.0], atol=1e-8)
    w = 2.0

    def osc(y, t):
        return fnp.stack([y[1], -w ** 2 * y[0]])
    ys = odeint(osc, np.array([1.0, 0.0]), t, **TOL)
    np.testing.assert_allclose(ys[:, 0], np.cos(w * t), atol=1e-8)
    np.testing.assert_allclose(ys[:, 1], -w * np.sin(w * t), atol=1e-8)


def test_time_dependent_rhs_and_tfirst():
    t = np.array([0.5, 1.0, 2.0])
    ys = odeint(lambda y, t: np.cos(t) * np.ones_like(y), np.zeros(2), t, **TOL)
    np.testing.assert_allclose(ys[:, 0], np.sin(t) - np.sin(0.5), atol=1e-9)
    ys2 = odeint(lambda t, y: np.cos(t) * np.ones_like(y), np.zeros(2), t, tfirst=True, **TOL)
    np.testing.assert_array_equal(ys, ys2)
    # SciPy's odeint spells "no step limit" hmax=0.0; a limit makes more, smaller steps
    ref = si.odeint(lambda y, t: np.cos(t) * np.ones_like(y), np.zeros(2), t, hmax=0.0,
                    rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(odeint(lambda y, t: np.cos(t) * np.ones_like(y), np.zeros(2), t,
                                      hmax=0.0, **TOL), ref, atol=1e-8)
    np.testing.assert_allclose(odeint(lambda y, t: np.cos(t) * np.ones_like(y), np.zeros(2), t,
                                      hmax=0.01, **TOL), ref, atol=1e-8)


def forced(t, y, w):
    return fnp.stack([y[1], -w ** 2 * y[0] + 0.1 * np.sin(t)])


def pendulum(t, y, g):          # its solve rejects steps (3 with RK45)
    return fnp.stack([y[1], -g * np.sin(y[0])])


@pytest.mark.parametrize("method", ["RK45", "RK23", "DOP853"])
@pytest.mark.parametrize("f, w, T", [(forced, 2.0, 3.0), (pendulum, 9.81, 5.0)])
def test_solve_ivp_takes_scipys_steps(method, f, w, T):
    # the same method, step control and landing as SciPy: the same step times and values
    # (DOP853's error estimate cancels more, so round-off moves its steps by ~1e-10)
    tol = 1e-8 if method == "DOP853" else 1e-10
    y0 = np.array([1.0, 0.0])
    ours = solve_ivp(f, (0.0, T), y0, method=method, args=(w,))
    ref = si.solve_ivp(f, (0.0, T), y0, method=method, args=(w,))
    assert ours.t.shape == ref.t.shape and ours.success and ours.status == 0
    np.testing.assert_allclose(ours.t, ref.t, rtol=tol, atol=1e-12)
    np.testing.assert_allclose(ours.y, ref.y, rtol=100 * tol, atol=100 * tol)
    assert ours.nfev == ref.nfev


def test_solve_ivp_t_eval_and_backward_in_time():
    f = lambda t, y: -0.5 * y  # noqa: E731
    sol = solve_ivp(f, (0.0, 2.0), np.array([1.0, 3.0]), t_eval=[0.0, 0.5, 2.0], **TOL)
    np.testing.assert_array_equal(sol.t, [0.0, 0.5, 2.0])
    np.testing.assert_allclose(sol.y, np.exp(-0.5 * sol.t) * np.array([[1.0], [3.0]]), atol=1e-9)
    back = solve_ivp(f, (2.0, 0.0), sol.y[:, -1], t_eval=[1.0, 0.0], **TOL)
    np.testing.assert_allclose(back.y[:, -1], [1.0, 3.0], atol=1e-8)
    assert sol["message"] == sol.message


# ---------------------------------------------------------------------------
# derivatives
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["RK45", "DOP853"])
@pytest.mark.parametrize("mode", MODES)
def test_gradients_in_y0_t_and_args_against_closed_form(mode, method):
    def loss(y0, t, A):
        return np.sum(np.sin(odeint(linear, y0, t, A, gradient=mode, method=method, **TOL)))

    def exact(y0, t, A):
        return np.sum(np.sin(linear_exact(y0, t, A)))
    gy, gt, gA = fad.grad(loss, argnums=(0, 1, 2))(Y4, T3, A4)
    np.testing.assert_allclose(gy, fd(lambda y: exact(y, T3, A4), Y4, 1e-6), atol=1e-7)
    np.testing.assert_allclose(gt, fd(lambda t: exact(Y4, t, A4), T3, 1e-6), atol=1e-7)
    np.testing.assert_allclose(gA, fd(lambda A: exact(Y4, T3, A), A4, 1e-6), atol=1e-7)


@pytest.mark.parametrize("mode", MODES)
def test_gradient_against_finite_differences_of_the_solution(mode):
    def f(y, t, W, b):
        return np.tanh(W @ y + b)
    W, b = RNG.standard_normal((3, 3)), RNG.standard_normal(3)
    y0, t = RNG.standard_normal(3), np.array([0.0, 0.7, 1.5])

    def loss(y0, W, b):
        return np.sum(odeint(f, y0, t, W, b, gradient=mode, **TOL) ** 2)
    g = fad.grad(loss, argnums=(0, 1, 2))(y0, W, b)
    np.testing.assert_allclose(g[0], fd(lambda y: loss(y, W, b), y0), atol=1e-5)
    np.testing.assert_allclose(g[1], fd(lambda w: loss(y0, w, b), W), atol=1e-5)
    np.testing.assert_allclose(g[2], fd(lambda c: loss(y0, W, c), b), atol=1e-5)


@pytest.mark.parametrize("mode", MODES)
def test_check_grads_both_modes_to_order_2(mode):
    def f(y0, k):
        return odeint(lambda y, t, k: -k * y + 0.3 * np.sin(y), y0, np.array([0.0, 0.5]), k,
                      gradient=mode, **TOL)[-1]
    fad.check_grads(f, (np.array([0.3, -0.8]), np.array(0.9)), order=2, modes=("fwd", "rev"),
                    atol=1e-6, rtol=1e-6, eps=1e-4)


@pytest.mark.parametrize("mode", MODES)
def test_forward_mode_matches_reverse_mode(mode):
    def F(y0):
        return odeint(lambda y, t, A: np.tanh(A @ y), y0, T3, A4, gradient=mode, **TOL)[-1]
    Jf, Jr = fad.jacfwd(F)(Y4), fad.jacrev(F)(Y4)
    # the discrete gradient differentiates one computation: both modes agree to round-off;
    # the adjoint's forward mode transposes its backward solve, whose steps differ
    np.testing.assert_allclose(Jf, Jr, atol=1e-12 if mode == "discrete" else 1e-7)
    np.testing.assert_allclose(Jr, np.stack([fd(lambda y: F(y)[i], Y4) for i in range(4)]),
                               atol=1e-6)


@pytest.mark.parametrize("mode", MODES)
def test_hessian_against_finite_differences_of_the_gradient(mode):
    def L(y0):
        ys = odeint(lambda y, t: np.sin(y) * y[::-1], y0, T3, gradient=mode, **TOL)
        return np.sum(ys[-1] ** 2)
    H = fad.hessian(L)(Y4)
    g = fad.grad(L)
    Hfd = np.stack([(g(Y4 + e) - g(Y4 - e)) / 2e-4 for e in 1e-4 * np.eye(4)])
    np.testing.assert_allclose(H, Hfd, atol=1e-5)
    np.testing.assert_allclose(H, H.T, atol=1e-6)


@pytest.mark.parametrize("mode", MODES)
def test_vmap_over_y0_and_args_against_a_loop(mode):
    # one step grid serves the batch (the worst example's error decides), so the batch
    # agrees with the loop to the solver's tolerance, not bit for bit
    Y = RNG.standard_normal((3, 4))
    ks = np.array([0.5, 1.0, 1.5])

    def F(y0, k):
        return odeint(lambda y, t, A, k: np.tanh(A @ y) * k, y0, T3, A4, k, gradient=mode, **TOL)
    np.testing.assert_allclose(fad.vmap(F)(Y, ks), np.stack([F(y, k) for y, k in zip(Y, ks)]),
                               atol=1e-8)
    G = fad.vmap(fad.grad(lambda y, k: np.sum(F(y, k) ** 2), argnums=(0, 1)))(Y, ks)
    loop = [fad.grad(lambda y, k: np.sum(F(y, k) ** 2), argnums=(0, 1))(y, k)
            for y, k in zip(Y, ks)]
    np.testing.assert_allclose(G[0], np.stack([g[0] for g in loop]), atol=1e-7)
    np.testing.assert_allclose(G[1], np.stack([g[1] for g in loop]), atol=1e-7)


@pytest.mark.parametrize("mode", MODES)
def test_pytree_state_and_args(mode):
    y0 = {"x": np.array([1.0, 0.5]), "v": np.array(0.2, dtype=np.float32)}
    params = {"k": np.array(0.8), "n": 3}        # an int argument is a constant

    def f(y, t, p):
        return {"x": -p["k"] * y["x"] * p["n"] / 3, "v": -y["v"] + np.sum(y["x"])}
    ys = odeint(f, y0, T3, params, gradient=mode, **TOL)
    assert ys["x"].shape == (3, 2) and ys["v"].shape == (3,) and ys["v"].dtype == np.float32
    np.testing.assert_allclose(ys["x"], np.exp(-0.8 * T3)[:, None] * y0["x"], atol=1e-8)

    def loss(k):
        return np.sum(odeint(f, y0, T3, {"k": k, "n": 3}, gradient=mode, **TOL)["x"][-1])
    dk = fad.grad(loss)(0.8)
    np.testing.assert_allclose(dk, -1.1 * np.exp(-0.88) * 1.5, atol=1e-7)


def test_solve_ivp_gradients_in_y0_t_span_t_eval_and_args():
    f = lambda t, y, w: fnp.stack([y[1], -w ** 2 * y[0]])  # noqa: E731
    y0 = np.array([1.0, 0.0])
    dw = fad.grad(lambda w: solve_ivp(f, (0.0, 3.0), y0, args=(w,), **TOL).y[0, -1])(2.0)
    np.testing.assert_allclose(dw, -3 * np.sin(6.0), atol=1e-7)
    dT = fad.grad(lambda T: solve_ivp(f, (0.0, T), y0, args=(2.0,), **TOL).y[0, -1])(3.0)
    np.testing.assert_allclose(dT, -2 * np.sin(6.0), atol=1e-7)
    dte = fad.grad(lambda T: solve_ivp(f, (0.0, 3.0), y0, args=(2.0,), t_eval=fnp.stack([1.0, T]),
                                       gradient="discrete", **TOL).y[0, -1])(2.5)
    np.testing.assert_allclose(dte, -2 * np.sin(5.0), atol=1e-7)
    gy = fad.grad(lambda y0: solve_ivp(f, (0.0, 3.0), y0, args=(2.0,), **TOL).y[0, -1])(y0)
    np.testing.assert_allclose(gy, [np.cos(6.0), np.sin(6.0) / 2], atol=1e-7)


# ---------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------

def test_errors_name_the_call_and_the_fix():
    with pytest.raises(ValueError, match=r"t must be nondecreasing.*t\[2\]=0.5"):
        odeint(linear, Y4, np.array([0.0, 1.0, 0.5]), A4)
    with pytest.raises(ValueError, match=r"func returned shape \(2,\).*shaped like y0"):
        odeint(lambda y, t: y[:2], Y4, T3)
    with pytest.raises(ValueError, match="gradient='exact'.*'adjoint'.*'discrete'"):
        odeint(linear, Y4, T3, A4, gradient="exact")
    with pytest.raises(ValueError, match="method=.Euler.*implicit methods.*solve_ivp"):
        odeint(linear, Y4, T3, A4, method="Euler")
    with pytest.raises(RuntimeError, match="mxstep=5"):
        odeint(linear, Y4, np.array([0.0, 10.0]), A4, mxstep=5)
    with pytest.raises(ValueError, match="method='RK4' is unknown"):
        solve_ivp(lambda t, y: -y, (0.0, 1.0), np.ones(2), method="RK4")
    with pytest.raises(NotImplementedError, match="t_eval"):
        solve_ivp(lambda t, y: -y, (0.0, 1.0), np.ones(2), dense_output=True)
    with pytest.raises(NotImplementedError, match="events"):
        solve_ivp(lambda t, y: -y, (0.0, 1.0), np.ones(2), events=lambda t, y: y[0])
    with pytest.raises(TypeError, match=r"args must be a tuple.*args=\(2.0,\)"):
        solve_ivp(lambda t, y, k: -k * y, (0.0, 1.0), np.ones(2), args=2.0)
    with pytest.raises(ValueError, match="outside t_span"):
        solve_ivp(lambda t, y: -y, (0.0, 1.0), np.ones(2), t_eval=[0.5, 2.0])


# ---------------------------------------------------------------------------
# implicit methods: SciPy's solver, the adjoint in reverse mode
# ---------------------------------------------------------------------------

def robertson(t, y, k):
    """Robertson's chemical kinetics, the classic stiff problem."""
    return fnp.stack([-k[0] * y[0] + k[2] * y[1] * y[2],
                      k[0] * y[0] - k[2] * y[1] * y[2] - k[1] * y[1] ** 2,
                      k[1] * y[1] ** 2])


K_ROB = np.array([0.04, 3e7, 1e4])
Y_ROB = np.array([1.0, 0.0, 0.0])


@pytest.mark.parametrize("method", ["Radau", "BDF", "LSODA"])
def test_implicit_methods_values_are_scipys(method):
    jac = lambda t, y, k: fad.jacfwd(lambda y: robertson(t, y, k))(y)  # noqa: E731
    kw = dict(args=(K_ROB,), t_eval=[0.1, 1.0], rtol=1e-8, atol=1e-12)
    ours = solve_ivp(robertson, (0.0, 1.0), Y_ROB, method=method, **kw)
    ref = si.solve_ivp(robertson, (0.0, 1.0), Y_ROB, method=method, jac=jac, **kw)
    np.testing.assert_allclose(ours.y, ref.y, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("method", ["Radau", "BDF", "LSODA"])
def test_implicit_methods_gradients_in_rates_and_y0(method):
    # the adjoint, backward by the same implicit method on the interpolated forward
    # solution, against central differences of SciPy's solve (relative steps 1e-5)
    def L(k, y0):
        return solve_ivp(robertson, (0.0, 1.0), y0, method=method, args=(k,), t_eval=[1.0],
                         rtol=1e-9, atol=1e-12).y[0, -1]
    gk, gy = fad.grad(L, argnums=(0, 1))(K_ROB, Y_ROB)
    fdk = [(L(K_ROB * (1 + 1e-5 * e), Y_ROB) - L(K_ROB * (1 - 1e-5 * e), Y_ROB)) / (2e-5 * k)
           for e, k in zip(np.eye(3), K_ROB)]
    np.testing.assert_allclose(gk, fdk, rtol=1e-3)
    fdy = (L(K_ROB, Y_ROB + [1e-6, 0, 0]) - L(K_ROB, Y_ROB - [1e-6, 0, 0])) / 2e-6
    np.testing.assert_allclose(gy[0], fdy, rtol=1e-4)


def test_implicit_methods_refuse_what_they_cannot_do():
    def end(k, method="Radau", **kw):
        return solve_ivp(robertson, (0.0, 0.1), Y_ROB, method=method, args=(k,),
                         **kw).y[0, -1]
    with pytest.raises(NotImplementedError, match=r"method='Radau'.*jvp/jacfwd.*'RK45'"):
        fad.jvp(end, (K_ROB,), (np.ones(3),))
    with pytest.raises(NotImplementedError, match=r"method='LSODA'.*not jacrev"):
        fad.jacrev(lambda k: solve_ivp(robertson, (0.0, 0.1), Y_ROB, method="LSODA",
                                       args=(k,)).y[:, -1])(K_ROB)
    with pytest.raises(NotImplementedError, match=r"method='Radau'.*second derivative"):
        fad.grad(fad.grad(lambda k: end(k * K_ROB)))(1.0)
    with pytest.raises(NotImplementedError, match=r"method='BDF'.*not vmap"):
        fad.vmap(lambda k: end(k, "BDF"))(np.stack([K_ROB, K_ROB]))
    with pytest.raises(ValueError, match=r"gradient='discrete' needs an explicit method"):
        end(K_ROB, gradient="discrete")


def test_vmap_over_different_times_is_refused():
    ts = np.array([[0.0, 1.0], [0.0, 2.0]])
    with pytest.raises(ValueError, match="t are batched by vmap.*same for every example"):
        fad.vmap(lambda t: odeint(linear, Y4, t, A4))(ts)


def test_stiff_problem_fails_loudly():
    # y' = -1e6 (y - cos t): explicit steps are bounded by stability, so mxstep runs out
    with pytest.raises(RuntimeError, match="stiff"):
        odeint(lambda y, t: -1e6 * (y - np.cos(t)), np.zeros(1), np.array([0.0, 1.0]),
               mxstep=200)


def test_adjoint_tape_keeps_the_outputs_not_the_steps():
    # the adjoint keeps the solution at the output times; the discrete gradient keeps
    # every checkpointed step's state, so its tape grows with the number of steps
    def kept(mode, T):
        def loss(y0):
            return np.sum(odeint(linear, y0, np.array([0.0, T]), A4, gradient=mode, **TOL))
        return sum(r["bytes"] for r in fad.saved_residuals(loss, Y4))
    assert kept("adjoint", 1.0) == kept("adjoint", 4.0) < 1000
    assert kept("discrete", 4.0) > 2 * kept("discrete", 1.0) > 10 * kept("adjoint", 1.0)
