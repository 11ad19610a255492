"""Adaptive explicit Runge–Kutta integration (Bogacki–Shampine 3(2), Dormand–Prince 5(4)).

The state is a flat 1-d vector. The arithmetic on it is written with operators, so the
same code runs on plain NumPy arrays (the adjoint's forward and backward solves) and on
traced values (``gradient="discrete"``, where funcad differentiates the steps). The step
size control reads only primal values (``funcad.extend.primal_values``): the step sizes
are constants to every transform, and under vmap every example takes the steps of the
one with the largest error, so one step grid serves the batch.

Step control as in Hairer, Nørsett & Wanner (II.4): the error estimate of the embedded
pair, scaled by ``atol + rtol * max(|y|, |y_new|)``, measured in the RMS norm; a step is
accepted when that norm is at most 1, and the next step is ``h * 0.9 * err**(-1/(q+1))``
(q the order of the estimate) clipped to [0.2 h, 10 h].
"""

from __future__ import annotations

import functools
from typing import Callable, NamedTuple

import numpy as np

from ... import stop_gradient
from ...extend import Tracer, primal_values

SAFETY, MIN_FACTOR, MAX_FACTOR = 0.9, 0.2, 10.0
# from this many state entries on, plain steps combine their stages by matrix products
# (measured: below it, a few small vector operations per stage are faster)
PLAIN_MATRIX_SIZE = 400


class Tableau(NamedTuple):
    """An explicit embedded Runge–Kutta pair whose last stage is the new point's slope (FSAL)."""
    name: str
    c: tuple          # stage times, as fractions of the step
    a: tuple          # a[i]: the coefficients of stage i+1 on stages 0..i
    b: tuple          # the weights of the solution (the last stage's row of a, FSAL)
    e: tuple          # the error weights (b minus the embedded pair's weights)
    order: int        # order of the error estimate (the step exponent is 1/(order+1))
    e3: tuple | None = None   # DOP853's second (3rd-order) error weights, or None


RK23 = Tableau(
    "RK23", c=(0.0, 0.5, 0.75, 1.0),
    a=((0.5,), (0.0, 0.75), (2 / 9, 1 / 3, 4 / 9)),
    b=(2 / 9, 1 / 3, 4 / 9, 0.0),
    e=(5 / 72, -1 / 12, -1 / 9, 1 / 8),
    order=2)

RK45 = Tableau(
    "RK45", c=(0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0),
    a=((1 / 5,),
       (3 / 40, 9 / 40),
       (44 / 45, -56 / 15, 32 / 9),
       (19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729),
       (9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656),
       (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84)),
    b=(35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0.0),
    e=(71 / 57600, 0.0, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40),
    order=4)

TABLEAUS = {"RK23": RK23, "RK45": RK45, "DOP853": None}    # DOP853: built on first use


def tableau(method: str) -> Tableau:
    """The tableau of ``method``. DOP853's coefficients (Hairer, Nørsett & Wanner's
    dop853, with their two error estimators) are read from SciPy, which funcad.scipy
    requires: 16-digit constants are data, and typing them again invites a typo."""
    tab = TABLEAUS[method]
    if tab is None:
        from scipy.integrate._ivp import dop853_coefficients as dc
        n = dc.N_STAGES          # 12 stages, then the new point (A's row n is B)
        tab = TABLEAUS[method] = Tableau(
            "DOP853", c=tuple(float(x) for x in dc.C[:n + 1]),
            a=tuple(tuple(float(x) for x in dc.A[i, :i]) for i in range(1, n + 1)),
            b=tuple(float(x) for x in dc.B) + (0.0,),
            e=tuple(float(x) for x in dc.E5), order=7,
            e3=tuple(float(x) for x in dc.E3))
    return tab


class Options(NamedTuple):
    """What the solver is asked for (hashable: it is a static argument of custom_vjp)."""
    rtol: float
    atol: float
    mxstep: int       # most steps (accepted or not) between two output times
    hmax: float
    method: str       # a key of TABLEAUS
    caller: str       # the public name, for error messages
    t_bar: bool = True    # the adjoint computes the times' cotangent (they are traced)
    first_step: float | None = None     # the first step to try (None: chosen)
    one_step: bool = False  # one step per output interval, no error control (the times
                            # are the accepted steps of an earlier solve)


def primal_float(x) -> float:
    """The largest primal value of ``x`` over a vmap batch (a plain float)."""
    return float(np.max(primal_values(x)))


def _combo(ks, coeffs, step):
    """step * sum(c * k) over the nonzero coefficients, part by part of the states (tuples
    of 1-d arrays); operators only, so it runs on traced values too."""
    out = []
    for p in range(len(ks[0])):
        acc = None
        for c, k in zip(coeffs, ks):
            if c != 0.0:
                acc = c * k[p] if acc is None else acc + c * k[p]
        out.append(step * acc)
    return out


def _add(y, dy):
    return tuple(a + b for a, b in zip(y, dy))


def _primal_state(y):
    """A state's primal values as one array (the parts joined along the last axis)."""
    parts = [np.asarray(primal_values(v)) for v in y]
    if len(parts) == 1:
        return parts[0]
    lead = np.broadcast_shapes(*(p.shape[:-1] for p in parts))
    return np.concatenate([np.broadcast_to(p, lead + p.shape[-1:]) for p in parts], axis=-1)


def _rms(x) -> float:
    """The RMS norm of a state (the last axis); of the worst example when vmap batched it
    (a batched value's primal has the batch axes in front)."""
    x = np.asarray(x)
    if x.size == 0:
        return 0.0
    return float(np.max(np.sqrt(np.mean(x * x, axis=-1))))


def _err_norm(err, y, y_new, opts: Options, two: bool = False) -> float:
    """The RMS of the scaled error estimate; with ``two`` (DOP853), ``err`` holds the 5th-
    and the 3rd-order estimates' parts, combined as in dop853."""
    if two:
        k = len(y)
        e5, e3 = _scaled(err[:k], y, y_new, opts), _scaled(err[k:], y, y_new, opts)
        s5, s3 = np.sum(e5 * e5, axis=-1), np.sum(e3 * e3, axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            norms = np.where(s5 == 0, 0.0, s5 / np.sqrt((s5 + 0.01 * s3) * e5.shape[-1]))
        return float(np.max(norms))
    es, as_, bs = ([np.asarray(primal_values(v)) for v in parts] for parts in (err, y, y_new))
    if any(p.ndim != 1 for p in es + as_ + bs):       # batched by vmap
        return _rms(_scaled(err, y, y_new, opts))
    total, size = 0.0, 0
    for e, a, b in zip(es, as_, bs):
        r = e / (opts.atol + opts.rtol * np.maximum(np.abs(a), np.abs(b)))
        total += float(r @ r)
        size += r.shape[0]
    return float(np.sqrt(total / size)) if size else 0.0


def _scaled(err, y, y_new, opts):
    e, a, b = (_primal_state(v) for v in (err, y, y_new))
    return e / (opts.atol + opts.rtol * np.maximum(np.abs(a), np.abs(b)))


def initial_step(fun, t0, y0, f0, opts: Options, order: int) -> float:
    """A first step from the sizes of y0, f0 and a trial Euler step (Hairer et al., II.4)."""
    y0p, f0p = _primal_state(y0), _primal_state(f0)
    scale = opts.atol + np.abs(y0p) * opts.rtol
    d0, d1 = _rms(y0p / scale), _rms(f0p / scale)
    h0 = 1e-6 if d0 < 1e-5 or d1 < 1e-5 else 0.01 * d0 / d1
    # the trial step on constants (under vmap, on the batch: fun sees one example's shape)
    y1 = tuple(stop_gradient(a) + h0 * stop_gradient(b) for a, b in zip(y0, f0))
    f1 = _primal_state(fun(stop_gradient(t0) + h0, y1))
    d2 = _rms((f1 - f0p) / scale) / h0
    if d1 <= 1e-15 and d2 <= 1e-15:
        h1 = max(1e-6, h0 * 1e-3)
    else:
        h1 = (0.01 / max(d1, d2)) ** (1.0 / (order + 1))
    return min(100 * h0, h1, opts.hmax)


class Stats:
    """Counters of one solve (function evaluations, accepted and rejected steps, step times)."""

    def __init__(self):
        self.nfev = 0
        self.accepted = 0
        self.rejected = 0
        self.times: list = []


def attempt_step(tab: Tableau, fun: Callable, t, y, k0, step, *args):
    """One Runge–Kutta step of size ``step`` from ``(t, y)`` with slope ``k0``.

    Returns ``(y_new, k_new, err)``: the new state, its slope (the last stage: FSAL) and
    the error estimate (unscaled), each a tuple of parts like ``y``.
    """
    if sum(np.shape(p)[0] for p in y) > PLAIN_MATRIX_SIZE and not is_traced(t, step, *y, *k0):
        return _attempt_plain(tab, fun, t, y, k0, step, *args)
    ks = [k0]
    for ci, ai in zip(tab.c[1:], tab.a):
        y_new = _add(y, _combo(ks, ai, step))
        ks.append(tuple(fun(t + ci * step, y_new, *args)))
    # FSAL: the last stage is the new point (its row of a is b), its slope the next k0
    return y_new, ks[-1], _errors(tab, ks, step)


def _errors(tab, ks, step):
    err = tuple(_combo(ks, tab.e, step))
    return err if tab.e3 is None else err + tuple(_combo(ks, tab.e3, step))


def _attempt_plain(tab, fun, t, y, k0, step, *args):
    """attempt_step on plain arrays: the stages in one matrix per part, each combination
    one matrix-vector product (the Python overhead of many small operations dominates
    otherwise)."""
    n_st = len(tab.c)
    K = [np.empty((n_st, np.shape(p)[0])) for p in y]
    for p, k in zip(K, k0):
        p[0] = k
    for s, (ci, ai) in enumerate(zip(tab.c[1:], tab.a), start=1):
        w = step * np.array(ai)
        y_new = tuple(yp + w @ Kp[:s] for yp, Kp in zip(y, K))
        k = tuple(fun(t + ci * step, y_new, *args))
        if is_traced(*k):      # fun closes over traced values: the traced path
            break
        for Kp, kp in zip(K, k):
            Kp[s] = kp
    else:
        errs = tuple((step * np.array(tab.e)) @ Kp for Kp in K)
        if tab.e3 is not None:
            errs += tuple((step * np.array(tab.e3)) @ Kp for Kp in K)
        return y_new, k, errs
    ks = [tuple(Kp[i] for Kp in K) for i in range(s)] + [k]
    for ci, ai in zip(tab.c[s + 1:], tab.a[s:]):
        y_new = _add(y, _combo(ks, ai, step))
        ks.append(tuple(fun(t + ci * step, y_new, *args)))
    return y_new, ks[-1], _errors(tab, ks, step)


def integrate(fun: Callable, y0, ts, args: tuple, opts: Options, *, h0: float | None = None,
              f0=None, stats: Stats | None = None, wrap_step: Callable | None = None):
    """Integrate ``y' = fun(t, y, *args)`` from ``ts[0]``; return the states at every ``ts[i]``.

    Args:
        fun: ``fun(t, y, *args) -> dy/dt`` on states that are tuples of 1-d arrays (plain
            or traced); the parts are kept apart so that a part computed from a linear
            input stays linear in it (the adjoint's transpose needs that).
        y0: the initial state, a tuple of 1-d arrays.
        ts: increasing times (a sequence of floats or traced scalars).
        args: extra arguments of ``fun``.
        opts: the tolerances and limits.
        h0: the first step to try (None: chosen from ``fun``).
        f0: ``fun(ts[0], y0, *args)`` when the caller has it.
        stats: counters to fill in.
        wrap_step: applied to the one-step function (``fad.checkpoint`` for the discrete
            gradient, so that the tape keeps each step's inputs only).

    Returns:
        ``(ys, h)``: the list of states at ``ts`` (``ys[0]`` is ``y0``) and the step size
        the controller would take next.
    """
    tab = tableau(opts.method)
    stats = stats if stats is not None else Stats()
    step_fn = functools.partial(attempt_step, tab, fun)
    if wrap_step is not None:
        step_fn = wrap_step(step_fn)
    tfs = [primal_float(t) for t in ts]
    t, tf, y = ts[0], tfs[0], y0
    y0 = y = tuple(y0)
    k0 = tuple(fun(t, y, *args)) if f0 is None else tuple(f0)
    stats.nfev += f0 is None
    if opts.one_step:
        ys = [y0]
        for i in range(1, len(ts)):
            y, k0, _ = step_fn(t, y, k0, ts[i] - t, *args)
            t = ts[i]
            stats.nfev += len(tab.a)
            ys.append(y)
        return ys, None
    h0 = opts.first_step if h0 is None else h0
    if h0 is None:
        h = initial_step(lambda t, y: fun(t, y, *args), t, y, k0, opts, tab.order)
        stats.nfev += 1
    else:
        h = h0
    ys = [y0]
    retried = False
    for i in range(1, len(ts)):
        target, target_f = ts[i], tfs[i]
        n_steps = 0
        while tf < target_f:
            if n_steps >= opts.mxstep:
                raise RuntimeError(
                    f"{opts.caller}: more than mxstep={opts.mxstep} steps between t={tfs[i - 1]:g} "
                    f"and t={target_f:g} (stopped at t={tf:.6g} with step {h:.3g}); raise mxstep, "
                    "loosen rtol/atol, or check the problem is not stiff (stiff problems need an "
                    "implicit method, see docs/scipy-integrate.md)")
            n_steps += 1
            if h < 10 * np.spacing(max(abs(tf), 1.0)):
                raise RuntimeError(
                    f"{opts.caller}: the step size fell to {h:.3g} at t={tf:.6g} (method "
                    f"{opts.method}, rtol={opts.rtol:g}, atol={opts.atol:g}): the solution may "
                    "blow up there, or the problem is stiff; loosen the tolerances or use an "
                    "implicit method (see docs/scipy-integrate.md)")
            # land on the target when the step reaches it, or stops short of it by a sliver
            # (rounding: a step size proposed from an error that differs in the last bits)
            land = tf + h * (1 + 1e-6) >= target_f
            step = (target - t) if land else h
            step_f = (target_f - tf) if land else h
            y_new, k_new, err_vec = step_fn(t, y, k0, step, *args)
            stats.nfev += len(tab.a)
            err = _err_norm(err_vec, y, y_new, opts, tab.e3 is not None)
            if err <= 1.0:
                factor = MAX_FACTOR if err == 0 else \
                    min(MAX_FACTOR, SAFETY * err ** (-1 / (tab.order + 1)))
                if retried:          # no growth right after a rejection
                    factor = min(1.0, factor)
                retried = False
                t = target if land else t + step
                tf = target_f if land else tf + step_f
                y, k0 = y_new, k_new
                stats.accepted += 1
                stats.times.append(tf)
                # a step cut short to land keeps h for the next (the margin: rounding)
                if not (land and step_f < h * (1 - 1e-9)):
                    h = min(h * factor, opts.hmax)
            else:
                stats.rejected += 1
                retried = True
                h = step_f * max(MIN_FACTOR, SAFETY * err ** (-1 / (tab.order + 1)))
        ys.append(y)
    return ys, h


def is_traced(*xs) -> bool:
    return any(isinstance(x, Tracer) for x in xs)


__all__ = ["Tableau", "RK23", "RK45", "TABLEAUS", "tableau", "Options", "Stats", "integrate",
           "attempt_step", "initial_step", "primal_float", "is_traced"]
