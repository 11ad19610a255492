"""odeint: an adaptive Runge–Kutta solve, differentiable by the continuous adjoint or by
differentiating the solver's own steps (``gradient="discrete"``).

The continuous adjoint (Pontryagin; Chen et al. 2018, "Neural ordinary differential
equations"): for y' = f(y, t, θ) and a loss with cotangents g_i of y(t_i), the adjoint
a(t) = dL/dy(t) solves a' = -aᵀ ∂f/∂y backward from the last output time, jumping by g_i
at each t_i, while θ̄' = -aᵀ ∂f/∂θ accumulates the parameters' cotangent. The state y is
integrated backward alongside (and reset to the forward solution at every t_i), so nothing
but the outputs is stored. The times: t̄_i = g_i · f(y_i, t_i) for i ≥ 1, and moving t_0
shifts the whole solution, t̄_0 = -a(t_0)ᵀ f(y_0, t_0).
"""

from __future__ import annotations

import functools

import numpy as np

from ... import custom_vjp, tree, vjp
from ... import checkpoint as _checkpoint
from ...extend import primal_values
from ._rk import TABLEAUS, Options, integrate, is_traced, primal_float

GRADIENTS = ("adjoint", "discrete")


# ---------------------------------------------------------------------------
# flat states: a pytree y0 as one float64 vector
# ---------------------------------------------------------------------------

def flattener(y0, caller: str):
    """``(flat y0, unravel, ravel, unravel_rows)``: the state as a float64 vector and back.

    ``ravel`` flattens a derivative ``func`` returned, checking it has ``y0``'s structure;
    ``unravel_rows`` turns a stack of flat states into ``y0``'s structure with a leading axis.
    """
    leaves, treedef = tree.flatten(y0)
    if len(leaves) == 1 and treedef == tree.structure(leaves[0]):     # one array: a reshape
        shape = np.shape(leaves[0])
        dtype = _dtype(leaves[0]) if is_float(leaves[0]) else np.dtype(np.float64)
        if len(shape) == 1 and dtype == np.float64:      # already a flat float64 vector

            def ravel1(dy):
                if np.shape(dy) != shape:
                    raise ValueError(f"{caller}: func returned shape {np.shape(dy)}, but the "
                                     f"state y0 has shape {shape}; return dy/dt shaped like y0")
                return dy if _dtype(dy) == np.float64 else _as_f64_vector(dy)
            return leaves[0], (lambda v: v), ravel1, (lambda ys: ys)

        def unravel(v):
            v = np.reshape(v, shape)
            return v.astype(dtype) if dtype != np.float64 else v

        def unravel_rows(ys):
            ys = np.reshape(ys, (ys.shape[0],) + tuple(shape))
            return ys.astype(dtype) if dtype != np.float64 else ys

        def ravel(dy):
            if np.shape(dy) != shape:
                raise ValueError(f"{caller}: func returned shape {np.shape(dy)}, but the state "
                                 f"y0 has shape {shape}; return dy/dt shaped like y0")
            return _as_f64_vector(dy)
        return _as_f64_vector(leaves[0]), unravel, ravel, unravel_rows
    flat, unravel = tree.ravel_pytree(y0)

    def ravel(dy):
        if tree.structure(dy) != treedef:
            raise ValueError(f"{caller}: func returned a value structured as "
                             f"{tree.structure(dy)}, but y0 is {treedef}; return dy/dt "
                             "structured like y0")
        return tree.ravel_pytree(dy)[0]

    def unravel_rows(ys):
        rows = [unravel(ys[i]) for i in range(ys.shape[0])]
        return tree.map(lambda *xs: np.stack(xs), *rows)
    return flat, unravel, ravel, unravel_rows


def check_times(ts, caller: str) -> list:
    """The output times as a list of scalars (traced ones stay traced); increasing."""
    if np.ndim(ts) != 1 or np.shape(ts)[0] < 1:
        raise ValueError(f"{caller}: t must be a 1-d array of output times, got shape "
                         f"{np.shape(ts)}")
    fs = [primal_float(ts[i]) for i in range(np.shape(ts)[0])]
    pv = np.asarray(_primal(ts))
    if pv.ndim > 1 and np.any(pv != pv.reshape(-1, pv.shape[-1])[:1]):
        raise ValueError(f"{caller}: the output times t are batched by vmap; the solver takes "
                         "one step grid for the whole batch, so t must be the same for every "
                         "example (vmap over y0 and args instead, or loop over t)")
    for i in range(1, len(fs)):
        if not fs[i] >= fs[i - 1]:
            raise ValueError(f"{caller}: t must be nondecreasing, but t[{i}]={fs[i]:g} < "
                             f"t[{i - 1}]={fs[i - 1]:g}; to integrate backward in time, write "
                             "s = -t and solve dy/ds = -func(y, -s)")
    return [ts[i] for i in range(len(fs))]


def _primal(x):
    return primal_values(x)


def _dtype(x) -> np.dtype:
    dt = getattr(x, "dtype", None)
    return np.dtype(dt) if dt is not None else np.result_type(x)


def is_float(x) -> bool:
    """Is ``x`` (an array, a traced value or a number) of a floating dtype?"""
    return np.issubdtype(_dtype(x), np.floating)


def _as_f64_vector(x):
    x = np.reshape(x, (-1,))
    return x.astype(np.float64) if x.dtype != np.float64 else x


# ---------------------------------------------------------------------------
# the adjoint: a custom_vjp around the solve on flat states
# ---------------------------------------------------------------------------

def _one(fun):
    """``fun`` on 1-tuples of states (the integrator's form of a single-part state)."""
    return lambda t, y, *args: (fun(t, y[0], *args),)


@functools.partial(custom_vjp, nondiff_argnums=(0, 1))
def _solve(fun, opts, y0, ts, *args):
    ys, _ = integrate(_one(fun), (y0,), check_times(ts, opts.caller), args, opts)
    return np.stack([y[0] for y in ys])


def _solve_fwd(fun, opts, y0, ts, *args):
    ys = _solve(fun, opts, y0, ts, *args)
    return ys, (ys, ts, args)


def aug_dynamics(fun, n: int, diff: tuple):
    """The backward system in reversed time s = -t on z = (y, a, θ̄) (θ̄ the float args)."""
    every = len(diff) == len(diff and range(diff[-1] + 1))   # diff == (0, 1, ..., k)

    def aug(s, z, *args):
        y, a = z[0], z[1]
        t = -s
        if every:                        # the common case, with less Python per call
            fy, pull = vjp(lambda y, *dargs: fun(t, y, *dargs, *args[len(diff):]), y,
                           *args[:len(diff)])
        else:
            def f(y, *dargs):
                full = list(args)
                for i, d in zip(diff, dargs):
                    full[i] = d
                return fun(t, y, *full)
            fy, pull = vjp(f, y, *[args[i] for i in diff])
        cts = pull(a)
        if not diff:
            return (-fy, cts[0])
        if len(diff) == 1:
            return (-fy, cts[0], np.reshape(cts[1], (-1,)))
        return (-fy, cts[0], np.concatenate([np.reshape(c, (-1,)) for c in cts[1:]]))
    return aug


def _rk_segment(aug, z0, s0, s1, args, opts, h, y_start=None):
    """The backward system from s0 to s1 by funcad's Runge–Kutta solver (adaptive)."""
    zs, h = integrate(aug, z0, [s0, s1], args, opts._replace(one_step=False), h0=h)
    return zs[-1], h


def adjoint_bwd(fun, opts, res, g, segment=_rk_segment):
    """The continuous adjoint's cotangents of ``(y0, ts, *args)``, each backward segment
    solved by ``segment(aug, z0, s0, s1, args, opts, h, y_start) -> (z1, h)`` (``y_start``:
    the forward solution at the segment's start, s1)."""
    ys, ts, args = res
    tl = check_times(ts, opts.caller)
    n = ys.shape[1]
    diff = tuple(i for i, a in enumerate(args) if is_float(a))
    sizes = [int(np.size(args[i])) for i in diff]
    aug = aug_dynamics(fun, n, diff)
    a = g[-1]
    theta = np.zeros(sum(sizes))
    ts_bar = [None] * len(tl)
    h = None
    for i in range(len(tl) - 1, 0, -1):
        if opts.t_bar:
            ts_bar[i] = np.sum(g[i] * fun(tl[i], ys[i], *args))
        z0 = (ys[i], a, theta) if diff else (ys[i], a)
        z1, h = segment(aug, z0, -tl[i], -tl[i - 1], args, opts, h, ys[i - 1])
        a = z1[1]
        theta = z1[2] if diff else theta
        if i > 1:
            a = a + g[i - 1]
    if opts.t_bar:
        ts_bar[0] = -np.sum(a * fun(tl[0], ys[0], *args)) if len(tl) > 1 else 0.0 * g[0, 0]
    y0_bar = a + g[0] if len(tl) > 1 else g[0]
    arg_bars = [None] * len(args)
    offs = np.cumsum([0] + sizes)
    for k, i in enumerate(diff):
        arg_bars[i] = np.reshape(theta[offs[k]:offs[k + 1]], np.shape(args[i]))
    t_bar = np.stack(ts_bar) if opts.t_bar else None
    return (y0_bar, t_bar, *arg_bars)


_solve.defvjp(_solve_fwd, adjoint_bwd)


def _solve_discrete(fun, opts, y0, ts, *args):
    ys, _ = integrate(_one(fun), (y0,), check_times(ts, opts.caller), args, opts,
                      wrap_step=_checkpoint)
    return np.stack([y[0] for y in ys])


# ---------------------------------------------------------------------------
# odeint
# ---------------------------------------------------------------------------

def make_options(caller, rtol, atol, mxstep, hmax, method, t_bar=True,
                 implicit=False) -> Options:
    if method not in TABLEAUS and not implicit:
        raise ValueError(f"{caller}: method={method!r} is not an explicit Runge–Kutta method "
                         f"of funcad; use one of {sorted(TABLEAUS)} (the implicit methods "
                         "'Radau', 'BDF', 'LSODA' are solve_ivp's)")
    for name, v in (("rtol", rtol), ("atol", atol)):
        if not np.isscalar(v) or not v > 0 or is_traced(v):
            raise ValueError(f"{caller}: {name} must be a positive float, got {v!r}")
    if not (isinstance(mxstep, (int, np.integer)) and mxstep > 0):
        raise ValueError(f"{caller}: mxstep must be a positive int, got {mxstep!r}")
    if hmax == 0:                    # SciPy's odeint spells "no limit" hmax=0.0
        hmax = np.inf
    if not hmax > 0:
        raise ValueError(f"{caller}: hmax must be positive (0 or inf: no limit), got {hmax!r}")
    return Options(float(rtol), float(atol), int(mxstep), float(hmax), method, caller,
                   bool(t_bar))


def solve_flat(fun, y0_flat, ts, args, opts: Options, gradient: str):
    """The states at ``ts`` (one row per time) of ``y' = fun(t, y, *args)`` on flat states."""
    if gradient not in GRADIENTS:
        raise ValueError(f"{opts.caller}: gradient={gradient!r}; use 'adjoint' (the continuous "
                         "adjoint, little memory) or 'discrete' (the exact derivative of the "
                         "computed solution, through the solver's checkpointed steps)")
    solver = _solve if gradient == "adjoint" else _solve_discrete
    return solver(fun, opts, y0_flat, ts, *args)


def odeint(func, y0, t, *args, rtol: float = 1.4e-8, atol: float = 1.4e-8,
           mxstep: int = 10_000, hmax: float = np.inf, tfirst: bool = False,
           method: str = "RK45", gradient: str = "adjoint"):
    """Solve ``dy/dt = func(y, t, *args)`` and return ``y`` at the times ``t``, differentiably.

    JAX's ``jax.experimental.ode.odeint`` convention (which is also SciPy's
    ``scipy.integrate.odeint`` with its default ``tfirst=False``). The solver is an adaptive
    explicit Runge–Kutta method (Dormand–Prince 5(4) by default); derivatives with respect
    to ``y0``, ``t`` and every float array in ``args`` come from the continuous adjoint
    (``gradient="adjoint"``: a backward solve, memory independent of the number of steps,
    accurate to the solver's tolerance) or from differentiating the solver's steps
    (``gradient="discrete"``: the exact derivative of the computed solution, each step
    checkpointed). Forward mode (``jvp``, ``jacfwd``) and ``vmap`` work in both.

    Args:
        func: ``func(y, t, *args) -> dy/dt`` (``func(t, y, *args)`` with ``tfirst=True``),
            written with NumPy operations; ``y`` has ``y0``'s structure.
        y0: the initial state, an array or a pytree of arrays.
        t: nondecreasing 1-d array of output times; ``t[0]`` is the initial time.
        *args: extra arguments of ``func`` (arrays or pytrees; float ones are differentiated).
        rtol, atol: relative and absolute tolerances of the local error.
        mxstep: the most steps between two consecutive output times.
        hmax: the largest step size (0 or inf: no limit, SciPy's spelling).
        tfirst: ``func`` takes ``t`` first (SciPy's ``odeint(..., tfirst=True)``).
        method: ``"RK45"`` (Dormand–Prince 5(4)), ``"DOP853"`` (Hairer's 8th-order
            Dormand–Prince) or ``"RK23"`` (Bogacki–Shampine 3(2)).
        gradient: ``"adjoint"`` or ``"discrete"``.

    Returns:
        ``y`` at every time in ``t``: ``y0``'s structure with a leading axis of length
        ``len(t)``.

    Example:
        >>> import numpy as np
        >>> import funcad as fad
        >>> from funcad.scipy.integrate import odeint
        >>> def decay(y, t, k):
        ...     return -k * y
        >>> t = np.array([0.0, 1.0])
        >>> ys = odeint(decay, np.array([2.0]), t, 0.5)
        >>> bool(abs(ys[1, 0] - 2 * np.exp(-0.5)) < 1e-7)
        True
        >>> dk = fad.grad(lambda k: odeint(decay, np.array([2.0]), t, k)[1, 0])(0.5)
        >>> bool(abs(dk - (-2 * np.exp(-0.5))) < 1e-6)
        True
    """
    caller = "odeint"
    opts = make_options(caller, rtol, atol, mxstep, hmax, method, t_bar=is_traced(t))
    y0_flat, unravel, ravel, unravel_rows = flattener(y0, caller)
    leaves, treedef = tree.flatten(args)

    traced = [i for i, x in enumerate(leaves) if is_traced(x)]
    flat_args = treedef == tree.structure(tuple(range(len(leaves))))
    if flat_args and len(traced) == len(leaves):     # every argument a traced array

        def fun(t, y, *a):
            yt = unravel(y)
            return ravel(func(t, yt, *a) if tfirst else func(yt, t, *a))
    else:
        def fun(t, y, *live):
            full = list(leaves)             # the plain arguments are constants of the solve
            for i, x in zip(traced, live):
                full[i] = x
            a = tree.unflatten(treedef, full)
            yt = unravel(y)
            return ravel(func(t, yt, *a) if tfirst else func(yt, t, *a))

    ts = np.asarray(t, dtype=np.float64) if not is_traced(t) else t
    ys = solve_flat(fun, y0_flat, ts, [leaves[i] for i in traced], opts, gradient)
    return unravel_rows(ys)


__all__ = ["odeint", "solve_flat", "make_options", "flattener", "check_times"]
