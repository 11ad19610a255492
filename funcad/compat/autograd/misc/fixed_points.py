"""funcad.compat.autograd.misc.fixed_points: autograd's ``fixed_point``, differentiated implicitly.

Example:
    >>> import numpy as np
    >>> from funcad.compat.autograd import grad
    >>> from funcad.compat.autograd.misc.fixed_points import fixed_point
    >>> # x = (x + a / x) / 2 converges to sqrt(a); d sqrt(a)/da = 1 / (2 sqrt(a))
    >>> newton = lambda a: lambda x: 0.5 * (x + a / x)
    >>> dist = lambda x, y: np.abs(x - y)
    >>> sqrt = lambda a: fixed_point(newton, a, 1.0, dist, 1e-12)
    >>> round(float(sqrt(4.0)), 10), round(float(grad(sqrt)(4.0)), 10)
    (2.0, 0.25)
"""

from __future__ import annotations

from typing import Any, Callable

import funcad as _fad

__all__ = ["fixed_point"]


def _iterate(step: Callable, x0: Any, distance: Callable, tol: float) -> Any:
    x, x_prev = step(x0), x0
    while distance(x, x_prev) > tol:
        x, x_prev = step(x), x
    return x


def _solve(f, distance, tol, a, x0):
    return _iterate(f(a), x0, distance, tol)


def _solve_fwd(f, distance, tol, a, x0):
    x = _iterate(f(a), x0, distance, tol)
    return x, (a, x, x0)


def _solve_bwd(f, distance, tol, res, g):
    # x* = f(a)(x*): the cotangent of a is w @ d f(a)(x*)/da, where w solves
    # w = g + w @ d f(a)(x*)/dx (the adjoint fixed point, iterated like the forward one)
    a, x, x0 = res
    _, pull_x = _fad.vjp(f(a), x)
    w = _iterate(lambda w: _fad.tree.map(lambda u, v: u + v, pull_x(w)[0], g),
                 _fad.tree.map(lambda v: v * 0.0, g), distance, tol)
    _, pull_a = _fad.vjp(lambda a: f(a)(x), a)
    return pull_a(w)[0], _fad.tree.map(lambda v: v * 0.0, x0)


_solve = _fad.custom_vjp(_solve, nondiff_argnums=(0, 1, 2))
_solve.defvjp(_solve_fwd, _solve_bwd)


def fixed_point(f: Callable, a: Any, x0: Any, distance: Callable, tol: float) -> Any:
    """Iterate ``x = f(a)(x)`` from ``x0`` until ``distance(x, x_prev) <= tol``.

    Reverse mode differentiates the solution in ``a`` by the implicit function theorem
    (autograd's rule): the backward pass solves the adjoint fixed point with the same
    ``distance`` and ``tol``, so the gradient is exact to the solver's tolerance and
    costs no tape of the iterations. ``x0`` gets a zero cotangent (the solution does not
    depend on it). Forward mode is not available: ``jvp`` raises funcad's custom_vjp error.

    Args:
      f: ``f(a)`` returns the map ``x -> x`` (a contraction near the solution);
      a: the parameters (a pytree), differentiable; x0: the starting point;
      distance: ``distance(x, x_prev)`` a scalar; tol: stop when it is at most ``tol``.

    Returns:
      The fixed point ``x*`` with ``x* = f(a)(x*)``.

    Example:
        >>> from funcad.compat.autograd.misc.fixed_points import fixed_point
        >>> # x = a * x + 1 has x* = 1 / (1 - a)
        >>> x = fixed_point(lambda a: lambda x: a * x + 1.0, 0.5, 0.0,
        ...                 lambda x, y: abs(x - y), 1e-12)
        >>> round(float(x), 9)
        2.0
    """
    return _solve(f, distance, tol, a, x0)
