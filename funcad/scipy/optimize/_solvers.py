"""SciPy's root, root_scalar, brentq, minimize and fixed_point, differentiable implicitly.

Each solves on plain values with ``scipy.optimize`` (Jacobians, gradients and Hessians the
method uses are computed by funcad unless given) and attaches the derivative of the
implicit function theorem to the solution (``_implicit.implicit_root``): the root of
``fun(x, *args)``, the stationary point ``grad(fun)(x, *args) = 0`` of ``minimize``, the
fixed point ``func(x, *args) - x = 0``. The solution is differentiable in ``args`` and in
the values the functions close over; it has no derivative in the starting point.
"""

from __future__ import annotations

import copy
from typing import Any, Callable

import numpy as np
import scipy.optimize as _so

import funcad as fad

from ._implicit import closure_convert, dense_tangent_solve, implicit_root

__all__ = ["root", "root_scalar", "brentq", "minimize", "fixed_point"]

_ROOT_JAC = ("hybr", "lm")
_MIN_JAC = ("cg", "bfgs", "newton-cg", "l-bfgs-b", "tnc", "slsqp", "dogleg", "trust-ncg",
            "trust-krylov", "trust-exact", "trust-constr")
_MIN_HESS = ("newton-cg", "dogleg", "trust-ncg", "trust-krylov", "trust-exact", "trust-constr")


def _value(fun, has_jac):
    """``fun`` without the derivative it returns with ``jac=True``."""
    return (lambda x, *a: fun(x, *a)[0]) if has_jac is True else fun


def _merge(results, x, field):
    """One SciPy result with ``field`` set to the differentiable solution; under vmap (one
    result per example) an OptimizeResult whose numeric fields are stacked."""
    if len(results) == 1:
        r = copy.copy(results[0])
    else:
        keys = [k for k in vars(results[0]) if not k.startswith("_")] if not \
            isinstance(results[0], dict) else list(results[0])
        r = _so.OptimizeResult()
        for k in keys:
            vals = [getattr(q, k, None) for q in results]
            try:
                r[k] = np.stack([np.asarray(v) for v in vals])
                if r[k].dtype == object:
                    r[k] = vals
            except (ValueError, TypeError):
                r[k] = vals
    setattr(r, field, x)
    return r


def _not_converged(call, res, fix):
    msg = getattr(res, "message", None) or getattr(res, "flag", "")
    return (f"{call} did not converge ({msg!s}), so its x is not a solution and the implicit "
            f"function theorem would give a wrong derivative there. Fix: {fix}.")


def root(fun: Callable, x0: Any, args=(), method: str = "hybr", jac=None, tol=None,
         callback=None, options=None):
    """``scipy.optimize.root``, with ``.x`` differentiable in ``args`` by the implicit function
    theorem (``dx = -(∂f/∂x)⁻¹ ∂f/∂args dargs``), to any order and under ``vmap``.

    For ``hybr`` and ``lm`` the Jacobian is funcad's (``jacfwd``) unless ``jac`` is given
    (``jac=False``: SciPy's finite differences). Taking a derivative where the solver did not
    converge, or where ``∂f/∂x`` is singular, raises :class:`ImplicitDiffError`.

    Args:
      fun: ``fun(x, *args)``, an array like ``x`` (``(value, jacobian)`` with ``jac=True``).
      x0: initial guess (no derivative). args: extra arguments (pytrees), differentiable.
      method, jac, tol, callback, options: as in ``scipy.optimize.root``.

    Returns:
      SciPy's ``OptimizeResult``; ``.x`` carries the derivative.

    Example:
        >>> import numpy as np, funcad as fad, funcad.numpy as fnp
        >>> from funcad.scipy.optimize import root
        >>> f = lambda x, a: fnp.stack([x[0] ** 2 - a, x[1] - 2 * x[0]])
        >>> root(f, np.ones(2), args=(4.0,)).x
        array([2., 4.])
        >>> fad.jacfwd(lambda a: root(f, np.ones(2), args=(a,)).x)(4.0)   # [1/(2√a), 1/√a]
        array([0.25, 0.5 ])
    """
    rebuild, dyn = closure_convert((fun, jac, tuple(args)))
    results: list = []

    def F(x, vals):
        f, j, a = rebuild(vals)
        return _value(f, j)(x, *a)

    def run(vals, start):
        f, j, a = rebuild(vals)
        kw = {}
        if str(method).lower() in _ROOT_JAC:
            kw["jac"] = (lambda x, *a: fad.jacfwd(_value(f, j))(x, *a)) if j is None else j
        res = _so.root(f, start["x0"], args=a, method=method, tol=tol, callback=callback,
                       options=options, **kw)
        results.append(res)
        why = None if res.success else _not_converged(
            f"scipy.optimize.root(method={method!r})", res,
            "tighten tol, raise the iteration limit in options=, or start nearer the root")
        return res.x, None, why

    x, _ = implicit_root(F, dyn, {"x0": x0}, run, dense_tangent_solve, name="root")
    return _merge(results, x, "x")


def root_scalar(f: Callable, args=(), method=None, bracket=None, fprime=None, fprime2=None,
                x0=None, x1=None, xtol=None, rtol=None, maxiter=None, options=None):
    """``scipy.optimize.root_scalar``, with ``.root`` differentiable in ``args`` (implicitly:
    ``droot = -∂f/∂args dargs / f'(root)``), to any order and under ``vmap``.

    For ``newton`` and ``halley`` the derivatives are funcad's unless given. Taking a
    derivative where the solver did not converge or where ``f'(root) = 0`` raises
    :class:`ImplicitDiffError`.

    Args:
      f: ``f(x, *args)``, a scalar. args: differentiable extra arguments.
      method, bracket, fprime, fprime2, x0, x1, xtol, rtol, maxiter, options: as in SciPy
        (the bracket and starting points have no derivative).

    Returns:
      SciPy's ``RootResults``; ``.root`` carries the derivative.

    Example:
        >>> import funcad as fad
        >>> from funcad.scipy.optimize import root_scalar
        >>> cbrt = lambda a: root_scalar(lambda x, a: x ** 3 - a, args=(a,), bracket=(0, 5)).root
        >>> round(float(cbrt(8.0)), 12), round(float(fad.grad(cbrt)(8.0)), 12)   # 1/(3·4)
        (2.0, 0.083333333333)
    """
    rebuild, dyn = closure_convert((f, fprime, fprime2, tuple(args)))
    results: list = []
    guess = x0 if x0 is not None else bracket[0] if bracket is not None else 0.0
    start = {"x0": guess, "x1": x1,
             "bracket": None if bracket is None else tuple(bracket)}

    def F(x, vals):
        g, fp, _, a = rebuild(vals)
        return _value(g, fp)(x, *a)

    def run(vals, s):
        g, fp, fp2, a = rebuild(vals)
        m = None if method is None else str(method).lower()
        val = _value(g, fp)
        if fp is None and m in ("newton", "halley"):
            fp = lambda x, *a: fad.grad(val)(x, *a)                       # noqa: E731
        if fp2 is None and m == "halley":
            fp2 = lambda x, *a: fad.grad(fad.grad(val))(x, *a)            # noqa: E731
        res = _so.root_scalar(g, args=a, method=method, bracket=s["bracket"], fprime=fp,
                              fprime2=fp2, x0=None if x0 is None else s["x0"], x1=s["x1"],
                              xtol=xtol, rtol=rtol, maxiter=maxiter, options=options)
        results.append(res)
        why = None if res.converged else _not_converged(
            f"scipy.optimize.root_scalar(method={res.method!r})", res,
            "tighten xtol/rtol, raise maxiter, or give a bracket around one root")
        return np.asarray(res.root, dtype=float), None, why

    r, _ = implicit_root(F, dyn, start, run, dense_tangent_solve, name="root_scalar")
    return _merge(results, r, "root")


def brentq(f: Callable, a, b, args=(), xtol: float = 2e-12, rtol: float = 8.881784197001252e-16,
           maxiter: int = 100, full_output: bool = False, disp: bool = True):
    """``scipy.optimize.brentq``: the root of ``f(x, *args)`` in ``[a, b]``, differentiable in
    ``args`` implicitly (``a`` and ``b`` have no derivative).

    Args:
      f: ``f(x, *args)``, a scalar with opposite signs at ``a`` and ``b``.
      a, b: the bracket. args: differentiable extra arguments.
      xtol, rtol, maxiter, full_output, disp: as in SciPy (``disp=False`` returns an
        unconverged root, whose derivative then raises).

    Returns:
      The root (and SciPy's ``RootResults`` with ``full_output``).

    Example:
        >>> import numpy as np, funcad as fad
        >>> from funcad.scipy.optimize import brentq
        >>> # x = cos(c x): dx/dc = -x sin(c x) / (1 + c sin(c x))
        >>> x_of = lambda c: brentq(lambda x, c: x - np.cos(c * x), 0.0, 2.0, args=(c,))
        >>> x = float(x_of(1.0))
        >>> bool(abs(fad.grad(x_of)(1.0) + x * np.sin(x) / (1 + np.sin(x))) < 1e-12)
        True
    """
    res = root_scalar(f, args=args, method="brentq", bracket=(a, b), xtol=xtol, rtol=rtol,
                      maxiter=maxiter)
    if disp and not np.all(res.converged):
        raise RuntimeError(f"brentq: failed to converge after {maxiter} iterations "
                           f"({res.flag}); raise maxiter or tighten the bracket")
    return (res.root, res) if full_output else res.root


def minimize(fun: Callable, x0: Any, args=(), method=None, jac=None, hess=None, hessp=None,
             bounds=None, constraints=(), tol=None, callback=None, options=None):
    """``scipy.optimize.minimize``, with ``.x`` differentiable in ``args`` by the implicit
    function theorem on ``∇ₓfun(x, args) = 0`` (``dx = -H⁻¹ ∂(∇ₓfun)/∂args dargs``, the
    Hessian solve), to any order and under ``vmap``.

    The gradient (and the Hessian for Newton-CG and the trust-region methods) SciPy uses is
    funcad's unless ``jac``/``hess``/``hessp`` are given. The derivative is that of an
    unconstrained stationary point: with ``constraints``, or a bound active at the solution,
    a derivative raises, and so does one where the optimiser did not converge (unless the
    gradient vanishes to round-off there, ``max|∇ₓfun| <= 1e-8 max(1, |fun|)``: SciPy's
    "precision loss" at a minimum) or where the Hessian is singular (:class:`ImplicitDiffError`).

    Args:
      fun: ``fun(x, *args)``, a scalar (``(value, gradient)`` with ``jac=True``).
      x0: initial guess (no derivative). args: differentiable extra arguments (pytrees).
      method: SciPy's (default: BFGS, or L-BFGS-B with bounds, SLSQP with constraints).
      jac, hess, hessp, bounds, constraints, tol, callback, options: as in SciPy.

    Returns:
      SciPy's ``OptimizeResult``; ``.x`` carries the derivative.

    Example:
        >>> import numpy as np, funcad as fad
        >>> from funcad.scipy.optimize import minimize
        >>> A = np.array([[3.0, 1.0], [1.0, 2.0]])
        >>> fun = lambda x, b: 0.5 * x @ A @ x - b @ x          # x* = A⁻¹ b
        >>> b = np.array([1.0, 1.0])
        >>> np.round(minimize(fun, np.zeros(2), args=(b,), tol=1e-12).x, 10)
        array([0.2, 0.4])
        >>> np.round(fad.jacrev(lambda b: minimize(fun, np.zeros(2), args=(b,), tol=1e-12).x)(b), 8)
        array([[ 0.4, -0.2],
               [-0.2,  0.6]])
    """
    rebuild, dyn = closure_convert((fun, jac, hess, hessp, tuple(args)))
    results: list = []
    m = ("bfgs" if not bounds and not constraints else "l-bfgs-b" if not constraints
         else "slsqp") if method is None else method if callable(method) else method.lower()

    def F(x, vals):
        f, j, _, _, a = rebuild(vals)
        return fad.grad(_value(f, j))(x, *a)

    def run(vals, start):
        f, j, h, hp, a = rebuild(vals)
        val = _value(f, j)
        kw = {}
        if m in _MIN_JAC:
            kw["jac"] = (lambda x, *a: fad.grad(val)(x, *a)) if j is None else j
        if m in _MIN_HESS and h is None and hp is None:
            kw["hess"] = lambda x, *a: fad.hessian(val)(x, *a)
        elif h is not None or hp is not None:
            kw["hess"], kw["hessp"] = h, hp
        res = _so.minimize(f, start["x0"], args=a, method=method, bounds=bounds,
                           constraints=constraints, tol=tol, callback=callback,
                           options=options, **kw)
        results.append(res)
        stationary = res.success or _stationary(fad.grad(val)(res.x, *a), res.fun)
        return res.x, None, _minimum_reason(res, stationary, method, bounds, constraints)

    x, _ = implicit_root(F, dyn, {"x0": x0}, run, dense_tangent_solve, name="minimize")
    return _merge(results, x, "x")


def _stationary(g, f) -> bool:
    """The gradient vanishes to round-off: SciPy reports "precision loss" (status 2) when a
    line search cannot improve a point that is already a minimum to working precision."""
    return bool(np.max(np.abs(g), initial=0.0) <= 1e-8 * max(1.0, abs(float(f))))


def _minimum_reason(res, stationary, method, bounds, constraints):
    """Why the derivative at ``res.x`` would be wrong, or None."""
    if not stationary:
        return _not_converged(f"scipy.optimize.minimize(method={method!r})", res,
                              "tighten tol (and raise maxiter in options=) so that the "
                              "gradient vanishes at x")
    if constraints:
        return ("the derivative of a constrained minimum (constraints=) needs the KKT "
                "conditions, which funcad.scipy.optimize.minimize does not differentiate; "
                "write the constraint into the objective (a penalty or a change of variables)")
    if bounds is not None:
        lo, hi = (np.asarray(v, dtype=float) for v in zip(*_bounds_list(bounds, res.x)))
        x = np.asarray(res.x, dtype=float)
        active = (np.abs(x - lo) <= 1e-8 * (1 + np.abs(lo))) | \
            (np.abs(x - hi) <= 1e-8 * (1 + np.abs(hi)))
        if np.any(active):
            return (f"bounds are active at the solution (components {np.flatnonzero(active)}), "
                    "where the gradient need not vanish, so the implicit derivative of an "
                    "unconstrained minimum does not apply; remove the bound or change variables")
    return None


def _bounds_list(bounds, x):
    if isinstance(bounds, _so.Bounds):
        lo = np.broadcast_to(bounds.lb, np.shape(x))
        hi = np.broadcast_to(bounds.ub, np.shape(x))
        return list(zip(lo.ravel(), hi.ravel()))
    return [(-np.inf if lo is None else lo, np.inf if hi is None else hi) for lo, hi in bounds]


def fixed_point(func: Callable, x0: Any, args=(), xtol: float = 1e-8, maxiter: int = 500,
                method: str = "del2"):
    """``scipy.optimize.fixed_point``: ``x = func(x, *args)``, differentiable in ``args`` by
    the implicit function theorem (``dx = (I - ∂func/∂x)⁻¹ ∂func/∂args dargs``), to any
    order and under ``vmap``.

    Args:
      func: ``func(x, *args)``, an array like ``x``.
      x0: starting point (no derivative). args: differentiable extra arguments (pytrees).
      xtol, maxiter, method: as in SciPy (which raises RuntimeError when it does not
        converge).

    Returns:
      The fixed point (an array).

    Example:
        >>> import numpy as np, funcad as fad
        >>> from funcad.scipy.optimize import fixed_point
        >>> # x = a / (1 + x) has x* = (√(1 + 4a) - 1) / 2; dx*/da = 1 / √(1 + 4a)
        >>> xs = lambda a: fixed_point(lambda x, a: a / (1 + x), 1.0, args=(a,), xtol=1e-14)
        >>> round(float(xs(2.0)), 12), round(float(fad.grad(xs)(2.0)), 12)
        (1.0, 0.333333333333)
    """
    rebuild, dyn = closure_convert((func, tuple(args)))

    def F(x, vals):
        f, a = rebuild(vals)
        return f(x, *a) - x

    def run(vals, start):
        f, a = rebuild(vals)
        return _so.fixed_point(f, start["x0"], args=a, xtol=xtol, maxiter=maxiter,
                               method=method), None, None

    return implicit_root(F, dyn, {"x0": x0}, run, dense_tangent_solve, name="fixed_point")[0]
