"""solve_ivp: SciPy's signature on funcad's differentiable Runge–Kutta solve."""

from __future__ import annotations

import numpy as np

from ... import stop_gradient, tree
from ._implicit import IMPLICIT, implicit_solve, scipy_times
from ._odeint import is_float, make_options, solve_flat
from ._rk import TABLEAUS, Stats, integrate, is_traced, primal_float
MESSAGE = "The solver successfully reached the end of the integration interval."


class OdeResult(dict):
    """The result of :func:`solve_ivp`, as SciPy's: a dict whose keys are also attributes.

    ``t`` (the output times), ``y`` (the states, shape ``(n, len(t))``, differentiable),
    ``sol`` (None: no dense output), ``t_events``/``y_events`` (None), ``nfev`` (the
    right-hand side's evaluations in the forward solve), ``njev``, ``nlu`` (0),
    ``status`` (0), ``message`` and ``success``.
    """

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __repr__(self):
        return "OdeResult(" + ", ".join(f"{k}=..." if k == "y" else f"{k}={v!r}"
                                        for k, v in self.items() if k != "t") + ")"


def _check_method(method):
    if method in TABLEAUS:
        return method
    if method in IMPLICIT:
        return method
    raise ValueError(f"solve_ivp: method={method!r} is unknown; use 'RK45', 'DOP853', 'RK23' "
                     "(explicit) or 'Radau', 'BDF', 'LSODA' (implicit; an OdeSolver class is "
                     "not accepted)")


def solve_ivp(fun, t_span, y0, method: str = "RK45", t_eval=None, dense_output: bool = False,
              events=None, vectorized: bool = False, args=None, *, rtol: float = 1e-3,
              atol: float = 1e-6, max_step: float = np.inf, first_step=None,
              mxstep: int = 10_000, gradient: str = "adjoint") -> OdeResult:
    """Solve the initial value problem ``dy/dt = fun(t, y, *args)``, ``y(t0) = y0`` (SciPy's API).

    ``scipy.integrate.solve_ivp`` with a result whose ``.y`` is differentiable in ``y0``,
    ``t_span``, ``t_eval`` and the float arrays in ``args``: by the continuous adjoint
    (``gradient="adjoint"``, default) or through the solver's steps (``"discrete"``); see
    :func:`odeint`. The explicit methods RK45 (Dormand–Prince 5(4)), DOP853 (8th order) and
    RK23 (Bogacki–Shampine) are funcad's own and work under every transform. The implicit
    ones (Radau, BDF, LSODA, for stiff problems) run SciPy's solver with the Jacobian by
    ``fad.jacfwd`` and differentiate by the adjoint solved backward with the same method on
    the interpolated forward solution: first-order reverse mode only (grad, vjp); vmap,
    jacrev, forward mode and second order raise. ``events`` and ``dense_output`` raise an
    error that says what to use instead.

    Args:
        fun: ``fun(t, y, *args) -> dy/dt`` for a 1-d state ``y``.
        t_span: ``(t0, tf)``; ``tf < t0`` integrates backward in time.
        y0: the initial state, a 1-d array.
        method: ``"RK45"``, ``"DOP853"``, ``"RK23"`` (explicit), ``"Radau"``, ``"BDF"`` or
            ``"LSODA"`` (implicit, SciPy's).
        t_eval: times at which to store the solution, inside ``t_span`` and sorted in the
            direction of integration; None: the solver's own steps (found by a first solve
            on the plain values, then solved again to land on them, differentiably).
        dense_output, events: not supported (must be False / None).
        vectorized: ignored (``fun`` is always called with one state).
        args: a tuple of extra arguments of ``fun``.
        rtol, atol: tolerances (SciPy's defaults 1e-3 and 1e-6).
        max_step: the largest step size.
        first_step: the first step size (None: chosen automatically).
        mxstep: the most steps between two output times.
        gradient: ``"adjoint"`` or ``"discrete"`` (explicit methods only).

    Returns:
        An :class:`OdeResult` with ``t`` (shape ``(n_points,)``) and ``y`` (shape
        ``(n, n_points)``).

    Example:
        >>> import numpy as np
        >>> import funcad as fad
        >>> from funcad.scipy.integrate import solve_ivp
        >>> sol = solve_ivp(lambda t, y: -0.5 * y, (0.0, 2.0), np.array([1.0, 2.0]),
        ...                 t_eval=np.array([1.0, 2.0]), rtol=1e-9, atol=1e-12)
        >>> bool(np.allclose(sol.y[:, -1], np.exp(-1.0) * np.array([1.0, 2.0])))
        True
        >>> g = fad.grad(lambda y0: solve_ivp(lambda t, y: -0.5 * y, (0.0, 2.0), y0,
        ...              rtol=1e-9, atol=1e-12).y[0, -1])(np.array([1.0, 2.0]))
        >>> bool(np.allclose(g, [np.exp(-1.0), 0.0]))
        True
    """
    method = _check_method(method)
    if events is not None:
        raise NotImplementedError("solve_ivp: events are not supported by "
                                  "funcad.scipy.integrate; pass events=None")
    if dense_output:
        raise NotImplementedError("solve_ivp: dense_output=True is not supported by "
                                  "funcad.scipy.integrate; ask for the times you need with "
                                  "t_eval=... instead")
    if np.ndim(y0) != 1:
        raise ValueError(f"solve_ivp: y0 must be 1-dimensional, got shape {np.shape(y0)} "
                         "(use odeint for a pytree or an n-d state)")
    if not (isinstance(t_span, (tuple, list)) and len(t_span) == 2):
        raise ValueError(f"solve_ivp: t_span must be a pair (t0, tf), got {t_span!r}")
    args = () if args is None else args
    if not isinstance(args, tuple):
        raise TypeError(f"solve_ivp: args must be a tuple (as in SciPy), got "
                        f"{type(args).__name__}; write args=({args!r},)")
    t0, tf = t_span
    sign = 1.0 if primal_float(tf) >= primal_float(t0) else -1.0
    opts = make_options("solve_ivp", rtol, atol, mxstep, max_step, method,
                        t_bar=is_traced(t0, tf, t_eval), implicit=method in IMPLICIT)
    if first_step is not None:
        opts = opts._replace(first_step=float(first_step))
    if method in IMPLICIT and gradient != "adjoint":
        raise ValueError(f"solve_ivp: method={method!r} runs SciPy's solver, which funcad "
                         f"cannot trace: gradient={gradient!r} needs an explicit method "
                         "('RK45', 'DOP853', 'RK23'); use gradient='adjoint'")
    y0 = y0 if is_float(y0) else y0 * 1.0
    y0 = y0.astype(np.float64) if y0.dtype != np.float64 else y0
    leaves, treedef = tree.flatten(args)
    traced = [i for i, x in enumerate(leaves) if is_traced(x)]
    count = [0]

    def rhs(s, y, *live):      # in s = sign * t, which increases
        full = list(leaves)
        for i, x in zip(traced, live):
            full[i] = x
        count[0] += 1
        dy = fun(sign * s, y, *tree.unflatten(treedef, full))
        if np.shape(dy) != np.shape(y):
            raise ValueError(f"solve_ivp: fun returned shape {np.shape(dy)}, but y0 has shape "
                             f"{np.shape(y)}; return dy/dt shaped like y0")
        return dy if sign > 0 else -dy

    live = [leaves[i] for i in traced]
    if t_eval is None and method in IMPLICIT:
        # SciPy's own steps (on the plain values); the solve proper runs again on them
        times, nfev = scipy_times(rhs, y0, live, sign, t0, tf, opts)
        fwd_opts = opts
    elif t_eval is None:
        # the solver's own steps, found on constants, then landed on (differentiably)
        stats = Stats()
        sg = [stop_gradient(x) for x in live]
        integrate(lambda s, y, *a: (rhs(s, y[0], *a),), (stop_gradient(y0),),
                  [sign * stop_gradient(t0), sign * stop_gradient(tf)], tuple(sg), opts,
                  stats=stats)
        times = [t0] + [sign * s for s in stats.times[:-1]] + [tf]
        nfev = count[0]
        # the solve proper takes those steps again, one per interval (the same values);
        # the adjoint's backward solve is adaptive as always
        fwd_opts = opts._replace(one_step=True)
    else:
        times = [t0] + [t_eval[i] for i in range(np.shape(t_eval)[0])]
        _check_t_eval(times, sign, t_span)
        fwd_opts = opts
    count[0] = 0
    ts = np.stack(times) if is_traced(*times) else np.array(times, dtype=np.float64)
    if method in IMPLICIT:
        ys = implicit_solve(rhs, fwd_opts, y0, sign * ts, *live)
    else:
        ys = solve_flat(rhs, y0, sign * ts, live, fwd_opts, gradient)
    nfev = count[0] if t_eval is not None or method in IMPLICIT else nfev
    t_out = ts if t_eval is None else ts[1:]
    y_out = ys.T if t_eval is None else ys[1:].T
    return OdeResult(t=t_out, y=y_out, sol=None, t_events=None, y_events=None, nfev=nfev,
                     njev=0, nlu=0, status=0, message=MESSAGE, success=True)


def _check_t_eval(times, sign, t_span):
    fs = [primal_float(t) for t in times]
    lo, hi = sorted((fs[0], primal_float(t_span[1])))
    for i in range(1, len(fs)):
        if not lo <= fs[i] <= hi:
            raise ValueError(f"solve_ivp: t_eval[{i - 1}]={fs[i]:g} is outside t_span "
                             f"({fs[0]:g}, {primal_float(t_span[1]):g})")
        if (fs[i] - fs[i - 1]) * sign < 0:
            raise ValueError("solve_ivp: t_eval must be sorted in the direction of "
                             f"integration, but t_eval[{i - 1}]={fs[i]:g} comes after "
                             f"{fs[i - 1]:g}")


__all__ = ["solve_ivp", "OdeResult"]
