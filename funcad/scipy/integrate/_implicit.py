"""solve_ivp's implicit methods (Radau, BDF, LSODA): SciPy solves, funcad differentiates.

The forward values come from ``scipy.integrate.solve_ivp`` with the Jacobian ``jac=``
computed by ``fad.jacfwd`` of the right-hand side. The derivatives come from the
continuous adjoint (the same backward system as odeint's), solved backward by SciPy with
the same implicit method and the backward system's Jacobian by ``fad.jacfwd`` too (a
stiff forward problem has a stiff adjoint). SciPy runs on plain values, so this path
gives first-order reverse mode (grad, vjp) only; vmap, forward mode and second
order raise an error that says so.
"""

from __future__ import annotations

import functools

import numpy as np

from ... import custom_vjp, jacfwd, stop_gradient
from ._odeint import adjoint_bwd, check_times
from ._rk import is_traced

IMPLICIT = ("Radau", "BDF", "LSODA")


def _refuse(opts, what: str):
    raise NotImplementedError(
        f"{opts.caller}(method={opts.method!r}) runs SciPy's implicit solver on plain values: "
        f"it differentiates by reverse mode once (grad, value_and_grad, vjp), not {what}. Use "
        "method='RK45' (or 'DOP853', 'RK23') if the problem is not stiff: the explicit "
        "methods work under every transform; or loop (a Jacobian: one vjp per output row).")


def _scipy_solve(rhs, jac, t_span, y0, t_eval, opts, dense=False):
    from scipy.integrate import solve_ivp as scipy_solve_ivp
    kw = {"rtol": opts.rtol, "atol": opts.atol}
    if opts.hmax != np.inf:
        kw["max_step"] = opts.hmax
    if opts.first_step is not None:
        kw["first_step"] = opts.first_step
    sol = scipy_solve_ivp(rhs, t_span, y0, method=opts.method, t_eval=t_eval, jac=jac,
                          dense_output=dense, **kw)
    if not sol.success:
        raise RuntimeError(f"{opts.caller}(method={opts.method!r}): SciPy's solver failed "
                           f"between t={t_span[0]:g} and {t_span[1]:g}: {sol.message}")
    return sol


def _jac_of(f):
    """``jac(t, y)`` for SciPy: the Jacobian of ``f(t, y)`` in ``y`` by forward mode."""
    return lambda t, y: np.asarray(jacfwd(lambda y: f(t, y))(y))


@functools.partial(custom_vjp, nondiff_argnums=(0, 1))
def implicit_solve(fun, opts, y0, ts, *args):
    """The states at ``ts`` (one row per time) of ``y' = fun(t, y, *args)``, by SciPy."""
    if is_traced(y0, ts, *args):
        _refuse(opts, "vmap, jvp/jacfwd or a second derivative")
    tl = [float(t) for t in check_times(ts, opts.caller)]
    if len(tl) == 1 or tl[-1] == tl[0]:
        return np.stack([y0] * len(tl))
    sol = _scipy_solve(lambda t, y: np.asarray(fun(t, y, *args)),
                       _jac_of(lambda t, y: fun(t, y, *args)), (tl[0], tl[-1]), y0, tl, opts)
    return sol.y.T


def scipy_times(rhs, y0, live, sign, t0, tf, opts):
    """The times SciPy's solver steps to from t0 to tf (on plain values), and its nfev.
    The first and last are t0 and tf themselves (traced if they are)."""
    vals = [stop_gradient(x) for x in (y0, t0, tf, *live)]
    if is_traced(*vals):
        _refuse(opts, "vmap")
    y0p, t0p, tfp, *lp = vals
    sol = _scipy_solve(lambda s, y: np.asarray(rhs(s, y, *lp)),
                       _jac_of(lambda s, y: rhs(s, y, *lp)),
                       (sign * float(t0p), sign * float(tfp)), y0p, None, opts)
    return [t0] + [sign * float(s) for s in sol.t[1:-1]] + [tf], int(sol.nfev)


def _implicit_fwd(fun, opts, y0, ts, *args):
    ys = implicit_solve(fun, opts, y0, ts, *args)
    return ys, (ys, ts, args)


def _implicit_segment(aug, z0, s0, s1, args, opts, h, y_start):
    """The backward system from s0 to s1 (s = -t) by SciPy's implicit method.

    A stiff forward problem cannot be integrated backward in time (its decaying modes
    grow), so y is not part of the backward state here: the forward segment is solved
    again from ``y_start`` with SciPy's dense output, and the backward system for
    (a, θ̄) reads y(t) from it (the "interpolated adjoint")."""
    t0, t1 = -float(s1), -float(s0)
    fsol = _scipy_solve(lambda t, y: np.asarray(aug(-t, (y, y), *args)[0]) * -1.0,
                        _jac_of(lambda t, y: -aug(-t, (y, y), *args)[0]), (t0, t1),
                        np.asarray(y_start), None, opts, dense=True)
    sizes = [np.shape(p)[0] for p in z0[1:]]
    cuts = list(np.cumsum(sizes)[:-1])

    def rhs(s, w, split):
        parts = split(w)
        return np.concatenate([np.reshape(p, (-1,)) for p in
                               aug(s, (fsol.sol(-s), *parts), *args)[1:]])

    def plain(s, w):
        return np.asarray(rhs(s, w, lambda w: tuple(np.split(w, cuts))))

    def traced(s, w):           # for jacfwd: slices of a traced w
        return rhs(s, w, lambda w: tuple(w[a:b] for a, b in zip([0, *cuts], [*cuts, None])))
    sol = _scipy_solve(plain, _jac_of(traced), (float(s0), float(s1)),
                       np.concatenate([np.asarray(p) for p in z0[1:]]), None, opts)
    return (None, *np.split(sol.y[:, -1], cuts)), h


def _implicit_bwd(fun, opts, res, g):
    if is_traced(g, *res[2]):
        _refuse(opts, "jacrev (a vmap of vjp), jvp/jacfwd or a second derivative")
    return adjoint_bwd(fun, opts, res, g, segment=_implicit_segment)


implicit_solve.defvjp(_implicit_fwd, _implicit_bwd)

__all__ = ["IMPLICIT", "implicit_solve", "scipy_times"]
