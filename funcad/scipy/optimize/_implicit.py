"""custom_root: a solver's answer, differentiated by the implicit function theorem.

The solution ``x*`` of ``f(x, θ) = 0`` is computed in two steps:

1. ``x_star = solve(f, x0)`` on plain values, inside the primitive ``implicit_solve``, which
   has a zero derivative (the solver is never differentiated) and batches by a loop over
   the examples (a SciPy solver runs on one problem at a time).
2. ``x = _attach(x_star, θ)``: a ``custom_jvp`` function whose value is ``x_star`` and whose
   JVP is the implicit function theorem, ``ẋ = -(∂f/∂x)⁻¹ (∂f/∂θ) θ̇``, computed by
   ``tangent_solve`` on the linearised system ``v ↦ (∂f/∂x) v``.

Why custom_jvp (and not custom_vjp): the JVP rule is written in funcad ops and calls
``_attach`` again for ``x``, so every transform follows from it. Reverse mode transposes
the rule (the tangent is linear in ``θ̇``: the transpose solves ``(∂f/∂x)ᵀ w = g``),
second order differentiates the rule again (``x`` inside it carries its own implicit
derivative, ``∂f/∂x`` is differentiated through ``f``), and vmap batches it. A custom_vjp
would need a second rule for forward mode and its own derivative for the second order.

θ are the traced values ``f`` reads: the leaves of explicit ``args`` and the values ``f``
closes over (found in its closure cells, defaults and ``functools.partial`` arguments, and
passed to ``_attach`` as operands: the closure is converted, as JAX's ``closure_convert``
does). A traced value hidden elsewhere (an object's attribute, a global) is caught when the
solver runs and reported, never differentiated as a constant.
"""

from __future__ import annotations

import functools
import types
from typing import Any, Callable

import numpy as np

import funcad as fad
import funcad.numpy as fnp
from funcad import extend as ex
from funcad.errors import FuncadError

__all__ = ["custom_root", "dense_tangent_solve", "ImplicitDiffError"]


class ImplicitDiffError(FuncadError, ValueError):
    """A derivative by the implicit function theorem does not exist or cannot be trusted.

    Cause: the solver did not converge (the point is not a root, so the theorem does not
    apply), or ``∂f/∂x`` is singular at the solution (the root is not a differentiable
    function of the parameters). Fix: tighten the solver's tolerance or raise its iteration
    limit; for a singular Jacobian, reformulate so that the root is isolated.
    """


# ---------------------------------------------------------------------------
# closure conversion: the traced values a function reads, as explicit operands
# ---------------------------------------------------------------------------

def _convert(obj, consts: list, memo: dict, depth: int = 0):
    """``rebuild(values) -> obj`` with its traced leaves replaced, or None when it holds none.

    Walks functions (closure cells, defaults), ``functools.partial``, bound methods' function
    and plain lists/tuples/dicts; every Tracer found is appended to ``consts`` (once: ``memo``
    maps an object's id to the object and its rebuild, so that shared objects convert once).
    """
    key = id(obj)
    if key in memo:
        return memo[key][1]
    if depth > 8:
        return None
    memo[key] = (obj, None)          # in progress: a cycle keeps the original object
    r = _convert_new(obj, consts, memo, depth)
    memo[key] = (obj, r)
    return r


def _convert_new(obj, consts, memo, depth):
    if isinstance(obj, ex.Tracer):
        i = len(consts)
        consts.append(obj)
        return lambda vals: vals[i]
    if isinstance(obj, types.FunctionType):
        return _convert_function(obj, consts, memo, depth)
    if isinstance(obj, functools.partial):
        parts = [_convert(p, consts, memo, depth + 1) for p in (obj.func, obj.args, obj.keywords)]
        if not any(parts):
            return None
        pf, pa, pk = parts
        return lambda vals: functools.partial(pf(vals) if pf else obj.func,
                                              *(pa(vals) if pa else obj.args),
                                              **(pk(vals) if pk else obj.keywords))
    if isinstance(obj, types.MethodType):
        part = _convert(obj.__func__, consts, memo, depth + 1)
        return None if part is None else (lambda vals: types.MethodType(part(vals), obj.__self__))
    if type(obj) in (list, tuple):
        parts = [_convert(v, consts, memo, depth + 1) for v in obj]
        if not any(parts):
            return None
        return lambda vals: type(obj)(p(vals) if p else v for p, v in zip(parts, obj))
    if type(obj) is dict:
        parts = {k: _convert(v, consts, memo, depth + 1) for k, v in obj.items()}
        if not any(parts.values()):
            return None
        return lambda vals: {k: (parts[k](vals) if parts[k] else v) for k, v in obj.items()}
    return None


def _convert_function(fn, consts, memo, depth):
    cells = fn.__closure__ or ()
    contents = []
    for c in cells:
        try:
            contents.append(c.cell_contents)
        except ValueError:            # an empty cell (a name assigned later)
            contents.append(_EMPTY)
    parts = [None if v is _EMPTY else _convert(v, consts, memo, depth + 1) for v in contents]
    dflt = _convert(fn.__defaults__ or (), consts, memo, depth + 1)
    kwd = _convert(fn.__kwdefaults__ or {}, consts, memo, depth + 1)
    if not (any(parts) or dflt or kwd):
        return None

    def rebuild(vals):
        closure = tuple(types.CellType(p(vals)) if p else c for p, c in zip(parts, cells))
        g = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__,
                               dflt(vals) if dflt else fn.__defaults__, closure or None)
        g.__kwdefaults__ = kwd(vals) if kwd else fn.__kwdefaults__
        g.__dict__.update(fn.__dict__)
        return g

    return rebuild


_EMPTY = object()


def closure_convert(obj):
    """``(rebuild, dyn)``: the traced values ``obj`` holds (a function's closure, defaults,
    partial arguments; lists, tuples, dicts of them), and ``rebuild(values)``, ``obj`` with
    ``values`` in their place. ``rebuild(dyn)`` behaves like ``obj``."""
    dyn: list = []
    rb = _convert(obj, dyn, {})
    return (rb if rb is not None else (lambda vals: obj)), dyn


# ---------------------------------------------------------------------------
# the solve (no derivative, batched by a loop) and the implicit derivative
# ---------------------------------------------------------------------------

def _solve_impl(*leaves, job):
    return job(list(leaves))


def _solve_batch(vals, dims, *, job):
    # one solve per example: a SciPy solver handles one problem at a time
    size = next(ex.shape_of(v)[0] for v, d in zip(vals, dims) if d is not None)
    outs = [implicit_solve_p(*[v[i] if d is not None else v for v, d in zip(vals, dims)],
                             job=job) for i in range(size)]
    return [fnp.stack([o[k] for o in outs]) for k in range(len(outs[0]))]


# nondiff: the solver is never differentiated (its derivative is attached by _attach)
implicit_solve_p = ex.Primitive("implicit_solve", _solve_impl, multiple_results=True,
                                nondiff=True)
ex.defbatch(implicit_solve_p, _solve_batch)


def _traced_leaf(x):
    return isinstance(x, ex.Tracer)


class _Spec:
    """What the derivative rule needs (a static argument of ``_attach``)."""

    def __init__(self, name, F, tangent_solve, why_not):
        self.name, self.F, self.tangent_solve, self.why_not = name, F, tangent_solve, why_not


@functools.partial(fad.custom_jvp, nondiff_argnums=(0,))
def _attach(spec, x_star, dyn, ok):
    return x_star


@_attach.defjvp
def _attach_jvp(spec, primals, tangents):
    x_star, dyn, ok = primals
    bad = np.asarray(ex.primal_values(ok)) == 0
    if np.any(bad):
        raise ImplicitDiffError(f"{spec.name}: {spec.why_not(bad)}")
    x = _attach(spec, x_star, dyn, ok)      # through this rule again: higher orders
    # ∂f/∂θ θ̇ over the float θ (an integer one, batched by vmap, has no derivative)
    idx = [i for i, d in enumerate(dyn) if np.issubdtype(ex.dtype_of(d), np.inexact)]

    def with_floats(fl):
        full = list(dyn)
        for i, v in zip(idx, fl):
            full[i] = v
        return full

    if not idx:
        return x, fad.tree.map(fnp.zeros_like, x)
    rhs = fad.jvp(lambda fl: spec.F(x, with_floats(fl)), ([dyn[i] for i in idx],),
                  ([tangents[1][i] for i in idx],))[1]

    def lin(v):                              # v -> (∂f/∂x) v at the solution
        return fad.jvp(lambda y: spec.F(y, dyn), (x,), (v,))[1]

    dx = spec.tangent_solve(lin, rhs)
    return x, fad.tree.map(lambda u: -u, dx)


def implicit_root(F, dyn, start, run, tangent_solve, *, name: str):
    """The root of ``F(x, dyn) = 0``, differentiable in the tracers ``dyn``; returns ``(x, aux)``.

    ``run(vals, start) -> (x, aux, reason)`` solves on plain values (``vals``: ``dyn``'s);
    ``aux`` is a pytree of arrays returned without derivative; ``reason`` is None when a
    derivative may be taken at ``x``, else what makes it wrong (raised only if one is asked).
    ``start`` (a pytree: the initial guess, a bracket) has no derivative.
    """
    s_leaves, s_tree = fad.tree.flatten(start)
    n_s = len(s_leaves)
    box: dict = {"reasons": []}

    def job(leaves):
        vals = leaves[n_s:]
        # under a transform, f must not return a traced value on plain inputs (one it reads
        # from somewhere the closure conversion does not look)
        if ex.active_traces() and any(_traced_leaf(o) for o in fad.tree.leaves(
                F(fad.tree.unflatten(s_tree, leaves[:n_s])["x0"], vals))):
            raise ImplicitDiffError(
                f"{name}: the function reads a value traced by an enclosing transform that "
                f"{name} cannot see (an attribute of an object, or a global), so it cannot "
                "differentiate the solution through it. "
                + ("Read it from a variable the function closes over (or a default argument)"
                   if name == "custom_root" else "Pass that value in args= (or read it from "
                   "a variable the function closes over)") + ".")
        x, aux, reason = run(vals, fad.tree.unflatten(s_tree, leaves[:n_s]))
        box["reasons"].append(reason)
        xl, box["x"] = fad.tree.flatten(x)
        al, box["aux"] = fad.tree.flatten(aux)
        box["nx"], box["na"] = len(xl), len(al)
        return [np.asarray(v) for v in xl + al] + [np.asarray(0.0 if reason else 1.0)]

    outs = implicit_solve_p(*s_leaves, *dyn, job=job)
    nx, na = box["nx"], box["na"]
    x_star = fad.tree.unflatten(box["x"], list(outs[:nx]))
    aux = fad.tree.unflatten(box["aux"], list(outs[nx:nx + na]))
    if not dyn:                     # nothing to differentiate in (the start has no derivative)
        return x_star, aux
    reasons = box["reasons"]
    spec = _Spec(name, F, tangent_solve,
                 lambda bad: next(r for r in reasons if r) if any(reasons) else "no root")
    return _attach(spec, x_star, list(dyn), outs[-1]), aux


def custom_root(f: Callable, initial_guess: Any, solve: Callable, tangent_solve: Callable,
                has_aux: bool = False):
    """The solution of ``f(x) = 0`` found by ``solve``, differentiated implicitly (JAX's
    ``jax.lax.custom_root``).

    ``solve`` runs on plain values and is never differentiated. The derivative comes from the
    implicit function theorem: for ``f(x, θ) = 0``, ``dx = -(∂f/∂x)⁻¹ (∂f/∂θ) dθ``, where θ
    are the traced values ``f`` closes over. ``tangent_solve(g, y)`` solves the linear system
    ``g(v) = y`` (``g: v ↦ (∂f/∂x) v``); written in funcad ops (as ``dense_tangent_solve``
    or ``lambda g, y: y / g(1.0)`` for a scalar), it transposes for reverse mode and
    differentiates again, so ``grad``, ``jvp``, ``hessian``, ``grad`` of ``grad`` and
    ``vmap`` all work. The solution has no derivative in ``initial_guess``.

    Args:
      f: ``f(x)``, same structure as ``x`` out; may close over traced values.
      initial_guess: the starting point (a pytree).
      solve: ``solve(f, initial_guess) -> x`` (``(x, aux)`` with ``has_aux``), on plain values.
      tangent_solve: ``tangent_solve(g, y) -> v`` with ``g(v) = y``, ``g`` linear.
      has_aux: ``solve`` also returns auxiliary data (arrays), returned without derivative.

    Returns:
      The solution (and ``aux`` with ``has_aux``).

    Example:
        >>> import funcad as fad
        >>> from funcad.scipy.optimize import custom_root
        >>> def newton(f, x):
        ...     for _ in range(50):
        ...         x = x - f(x) / fad.grad(f)(x)
        ...     return x
        >>> def my_sqrt(a):
        ...     return custom_root(lambda x: x ** 2 - a, 1.0, newton, lambda g, y: y / g(1.0))
        >>> d1, d2 = fad.grad(my_sqrt), fad.grad(fad.grad(my_sqrt))
        >>> float(my_sqrt(4.0)), float(d1(4.0)), float(d2(4.0))
        (2.0, 0.25, -0.03125)
    """
    rebuild, dyn = closure_convert(f)

    def run(vals, start):
        out = solve(rebuild(vals), start["x0"])
        x, aux = out if has_aux else (out, None)
        return x, aux, None

    x, aux = implicit_root(lambda x, vals: rebuild(vals)(x), dyn, {"x0": initial_guess}, run,
                           tangent_solve, name="custom_root")
    return (x, aux) if has_aux else x


def dense_tangent_solve(g: Callable, y):
    """Solve ``g(v) = y`` for ``v``, ``g`` linear: build its matrix with ``jacfwd``, then solve.

    The default ``tangent_solve`` of funcad's solvers, for an array ``y`` (any shape). It is
    written in funcad ops, so it transposes for reverse mode and differentiates again.
    Raises :class:`ImplicitDiffError` when the matrix is singular.

    Args:
      g: the linear map (``v ↦ (∂f/∂x) v``); y: the right-hand side, shaped like ``v``.

    Returns:
      ``v`` with ``g(v) = y``.

    Example:
        >>> import numpy as np
        >>> from funcad.scipy.optimize import dense_tangent_solve
        >>> A = np.array([[2.0, 1.0], [0.0, 4.0]])
        >>> dense_tangent_solve(lambda v: A @ v, np.array([3.0, 4.0]))
        array([1., 1.])
    """
    shape = np.shape(y)
    n = int(np.prod(shape))
    zero = fnp.zeros(n, dtype=np.result_type(ex.dtype_of(y), np.float32))
    A = fad.jacfwd(lambda v: fnp.reshape(g(fnp.reshape(v, shape)), (n,)))(zero)
    a = np.asarray(ex.primal_values(A), dtype=float)
    with np.errstate(all="ignore"):
        cond = np.linalg.cond(a) if np.all(np.isfinite(a)) else np.inf
    if np.any(~(cond < 1e14)):
        raise ImplicitDiffError(
            "the Jacobian of f in x at the solution is singular (condition number "
            f"{np.max(cond):.3g}): the solution is not a differentiable function of the "
            "parameters there (the implicit function theorem needs an invertible Jacobian). "
            "Reformulate so that the root is isolated, or do not differentiate it.")
    return fnp.reshape(fnp.linalg.solve(A, fnp.reshape(y, (n,))), shape)
