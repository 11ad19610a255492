"""L-BFGS with a backtracking (Armijo) line search.

``scale_by_lbfgs`` turns a gradient into the quasi-Newton direction ``H g`` by
the two-loop recursion; ``scale_by_backtracking_linesearch`` picks the step
length; ``lbfgs`` chains them. The line search needs the objective, so its
``update`` takes extra keyword arguments (``value``, ``grad``, ``value_fn``)
which ``chain`` forwards, as in optax.
"""

from __future__ import annotations

import math
from typing import Any, Callable, NamedTuple

import numpy as np

from funcad import tree

from ._base import (
    GradientTransformation, ScalarOrSchedule, chain, check_params, check_positive_int,
    expect_state, leaves_like, zero_count, zeros_like_tree,
)
from ._modifiers import scale, scale_by_learning_rate

__all__ = [
    "ScaleByLbfgsState", "scale_by_lbfgs", "BacktrackingLinesearchState",
    "scale_by_backtracking_linesearch", "value_and_grad_from_state", "lbfgs",
]


def _ravel(x: Any) -> tuple[np.ndarray, Callable[[np.ndarray], Any]]:
    """Concatenate the leaves of a pytree into one vector; return it and its inverse."""
    leaves, treedef = tree.flatten(x)
    arrays = [np.asarray(a) for a in leaves]
    dtype = np.result_type(*arrays) if arrays else np.float64
    vec = np.concatenate([a.ravel() for a in arrays]).astype(dtype) if arrays else np.zeros(0)
    shapes = [a.shape for a in arrays]
    dtypes = [a.dtype for a in arrays]

    def unravel(v):
        out, i = [], 0
        for shape, dt in zip(shapes, dtypes):
            n = math.prod(shape)
            out.append(np.asarray(v[i:i + n]).reshape(shape).astype(dt, copy=False))
            i += n
        return tree.unflatten(treedef, out)

    return vec, unravel


def _vdot(a: Any, b: Any) -> float:
    return float(sum(np.vdot(np.ravel(x), np.ravel(y))
                     for x, y in zip(tree.leaves(a), tree.leaves(b))))


class ScaleByLbfgsState(NamedTuple):
    count: np.int32                   # number of updates so far
    params: np.ndarray                # the previous params, raveled into one vector
    updates: np.ndarray               # the previous gradient, raveled
    diff_params_memory: np.ndarray    # (memory_size, n): the pairs' s = x_k+1 - x_k, newest last
    diff_updates_memory: np.ndarray   # (memory_size, n): the pairs' y = g_k+1 - g_k, newest last
    weights_memory: np.ndarray        # (memory_size,): rho = 1 / <s, y> (0 for empty slots)


def scale_by_lbfgs(memory_size: int = 10,
                   scale_init_precond: bool = True) -> GradientTransformation:
    """The L-BFGS direction ``H_k g_k`` by the two-loop recursion (Nocedal & Wright, 7.4).

    The output is an *ascent* direction (like a gradient); chain it with a
    negative scale and a line search, as :func:`lbfgs` does. Pairs with
    ``<s, y> <= 0`` (no positive curvature) are not stored, which keeps ``H``
    positive definite. With ``scale_init_precond`` the initial inverse Hessian is
    ``gamma I`` with ``gamma = <s, y> / <y, y>`` of the newest pair, and the very
    first direction is ``g / max(1, ||g||)`` so that a unit step has length <= 1.

    Args:
      memory_size: the number of ``(s, y)`` pairs kept.
      scale_init_precond: scale the initial inverse Hessian as described.

    Returns:
      A GradientTransformation with state :class:`ScaleByLbfgsState`; it needs params.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> tx = optim.scale_by_lbfgs(scale_init_precond=False)
        >>> tx.update(np.array([0.5, 0.0]), tx.init(np.zeros(2)), np.zeros(2))[0]
        array([0.5, 0. ])
    """
    memory_size = check_positive_int("scale_by_lbfgs", "memory_size", memory_size)

    def init_fn(params):
        vec, _ = _ravel(params)
        m, n = memory_size, vec.size
        return ScaleByLbfgsState(zero_count(), np.zeros_like(vec), np.zeros_like(vec),
                                 np.zeros((m, n), vec.dtype), np.zeros((m, n), vec.dtype),
                                 np.zeros(m, vec.dtype))

    def update_fn(updates, state, params=None):
        expect_state("scale_by_lbfgs", state, ScaleByLbfgsState)
        check_params("scale_by_lbfgs", updates, params, required=True)
        g, unravel = _ravel(updates)
        x, _ = _ravel(params)
        if g.shape != state.params.shape:
            raise ValueError(f"scale_by_lbfgs: params have {g.size} elements but the state was "
                             f"built for {state.params.size}; call init(params) again")
        s_mem, y_mem, rho = state.diff_params_memory, state.diff_updates_memory, \
            state.weights_memory
        if state.count > 0:
            s, y = x - state.params, g - state.updates
            sy = float(np.vdot(s, y))
            if sy > 1e-12 * float(np.linalg.norm(s) * np.linalg.norm(y)) and sy > 0:
                s_mem = np.concatenate([s_mem[1:], s[None]])
                y_mem = np.concatenate([y_mem[1:], y[None]])
                rho = np.concatenate([rho[1:], np.array([1.0 / sy], rho.dtype)])
        q = g.astype(np.result_type(g, s_mem), copy=True)
        alphas = np.zeros(memory_size)
        for i in range(memory_size - 1, -1, -1):
            alphas[i] = rho[i] * np.vdot(s_mem[i], q)
            q -= alphas[i] * y_mem[i]
        gamma = 1.0
        if scale_init_precond:
            if rho[-1] > 0:
                gamma = float(1.0 / (rho[-1] * np.vdot(y_mem[-1], y_mem[-1])))
            elif state.count == 0:
                gamma = 1.0 / max(1.0, float(np.linalg.norm(g)))
        r = gamma * q
        for i in range(memory_size):
            beta = rho[i] * np.vdot(y_mem[i], r)
            r += (alphas[i] - beta) * s_mem[i]
        new_state = ScaleByLbfgsState(state.count + 1, x.astype(g.dtype), g, s_mem, y_mem, rho)
        return unravel(r.astype(g.dtype)), new_state

    return GradientTransformation(init_fn, update_fn)


class BacktrackingLinesearchState(NamedTuple):
    learning_rate: float  # the step length accepted at the last update
    value: float          # the objective at the accepted point (nan before the first step)
    grad: Any             # the gradient there, if store_grad (else zeros)
    has_grad: bool        # whether value and grad hold the accepted point's values
    num_trials: int       # objective evaluations made by the last update


def scale_by_backtracking_linesearch(max_backtracking_steps: int = 15,
                                     slope_rtol: float = 1e-4, decrease_factor: float = 0.8,
                                     increase_factor: float = 1.5,
                                     max_learning_rate: float = 1.0,
                                     store_grad: bool = False) -> GradientTransformation:
    """Scale the updates by a step length that satisfies Armijo's sufficient decrease.

    Starting from ``min(increase_factor * previous_step, max_learning_rate)`` the
    step ``eta`` is multiplied by ``decrease_factor`` until
    ``f(params + eta * u) <= f(params) + slope_rtol * eta * <grad, u>``. If no
    step passes within ``max_backtracking_steps`` the last one tried is used. If
    ``u`` is not a descent direction (``<grad, u> >= 0``) it is replaced by ``-grad``.

    Its ``update`` takes keyword arguments: ``value_fn`` (the objective,
    required), ``value`` and ``grad`` (at ``params``; computed if missing), and
    ``value_and_grad_fn`` (default ``funcad.value_and_grad(value_fn)``, used to
    compute a missing gradient and, with ``store_grad``, the gradient at the new
    point so that :func:`value_and_grad_from_state` can reuse it).

    Args:
      max_backtracking_steps: the most trial steps per update.
      slope_rtol: Armijo's constant ``c1``.
      decrease_factor: the factor applied after a rejected trial (in (0, 1)).
      increase_factor: the factor applied to the previous step to start from
        (``math.inf`` starts from ``max_learning_rate`` every time).
      max_learning_rate: the largest step tried.
      store_grad: evaluate value and gradient at each trial and keep the accepted
        ones in the state.

    Returns:
      A GradientTransformation with state :class:`BacktrackingLinesearchState`.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> f = lambda x: float(np.sum(x ** 2))
        >>> tx = optim.scale_by_backtracking_linesearch(decrease_factor=0.5)
        >>> x = np.array([1.0])
        >>> g = 2 * x
        >>> u, state = tx.update(-g, tx.init(x), x, value=f(x), grad=g, value_fn=f)
        >>> u, state.learning_rate
        (array([-1.]), 0.5)
    """
    max_steps = check_positive_int("scale_by_backtracking_linesearch",
                                   "max_backtracking_steps", max_backtracking_steps)
    if not 0.0 < decrease_factor < 1.0:
        raise ValueError(f"scale_by_backtracking_linesearch: decrease_factor must be in (0, 1), "
                         f"got {decrease_factor}")
    if not max_learning_rate > 0:
        raise ValueError(f"scale_by_backtracking_linesearch: max_learning_rate must be > 0, "
                         f"got {max_learning_rate}")
    where = "scale_by_backtracking_linesearch"

    def init_fn(params):
        return BacktrackingLinesearchState(float(max_learning_rate), math.nan,
                                           zeros_like_tree(params), False, 0)

    def update_fn(updates, state, params=None, *, value=None, grad=None, value_fn=None,
                  value_and_grad_fn=None, **extra):
        expect_state(where, state, BacktrackingLinesearchState)
        check_params(where, updates, params, required=True)
        if value_fn is None:
            raise TypeError(f"{where}.update needs the objective: call "
                            "opt.update(grads, state, params, value=loss, grad=grads, "
                            "value_fn=loss_fn)")
        vg = value_and_grad_fn
        if vg is None and (grad is None or store_grad):
            import funcad  # the core is imported lazily: optim sits above it
            vg = funcad.value_and_grad(value_fn)
        if grad is None:
            value, grad = vg(params)
        elif value is None:
            value = value_fn(params)
        leaves_like(where, tree.structure(updates), grad, "grad")
        value = float(value)
        slope = _vdot(grad, updates)
        if not slope < 0:
            updates = tree.map(lambda g: -np.asarray(g), grad)
            slope = -_vdot(grad, grad)
        eta = min(state.learning_rate * increase_factor, float(max_learning_rate))
        new_value, new_grad = math.nan, None
        for trial in range(1, max_steps + 1):
            trial_params = tree.map(lambda p, u: p + eta * u, params, updates)
            if store_grad:
                new_value, new_grad = vg(trial_params)
            else:
                new_value = value_fn(trial_params)
            new_value = float(new_value)
            if math.isfinite(new_value) and new_value <= value + slope_rtol * eta * slope:
                break
            if trial < max_steps:
                eta *= decrease_factor
        out = tree.map(lambda u: eta * u, updates)
        if new_grad is None:
            new_grad = zeros_like_tree(params)
        new_state = BacktrackingLinesearchState(eta, new_value, new_grad, bool(store_grad),
                                                trial)
        return out, new_state

    return GradientTransformation(init_fn, update_fn)


def _find_linesearch_state(state: Any):
    if isinstance(state, BacktrackingLinesearchState):
        return state
    if isinstance(state, (tuple, list)):
        for s in state:
            found = _find_linesearch_state(s)
            if found is not None:
                return found
    if isinstance(state, dict):
        for s in state.values():
            found = _find_linesearch_state(s)
            if found is not None:
                return found
    return None


def value_and_grad_from_state(value_fn: Callable,
                              value_and_grad_fn: Callable | None = None) -> Callable:
    """A ``value_and_grad`` that reuses what the line search stored in the state.

    After an update of a line search with ``store_grad=True`` (the default in
    :func:`lbfgs`), the state holds the objective and gradient at the new params;
    this function returns them instead of recomputing, and computes them
    otherwise (first step, or no line search found).

    Args:
      value_fn: the objective ``params -> scalar``.
      value_and_grad_fn: how to compute both; default ``funcad.value_and_grad(value_fn)``.

    Returns:
      ``f(params, *, state) -> (value, grad)``.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> f = lambda x: float(np.sum(x ** 2))
        >>> vg = optim.value_and_grad_from_state(f, lambda x: (f(x), 2 * x))
        >>> opt = optim.lbfgs()
        >>> vg(np.array([1.0]), state=opt.init(np.zeros(1)))
        (1.0, array([2.]))
    """

    def fn(params, *, state):
        ls = _find_linesearch_state(state)
        if ls is not None and ls.has_grad and math.isfinite(ls.value):
            return ls.value, ls.grad
        vg = value_and_grad_fn
        if vg is None:
            import funcad
            vg = funcad.value_and_grad(value_fn)
        return vg(params)

    return fn


def lbfgs(learning_rate: ScalarOrSchedule | None = None, memory_size: int = 10,
          scale_init_precond: bool = True,
          linesearch: GradientTransformation | None = None) -> GradientTransformation:
    """L-BFGS with a backtracking Armijo line search.

    ``chain(scale_by_lbfgs, scale_by_learning_rate(learning_rate) (or scale(-1)),
    linesearch)``. The default line search starts every step at length 1, halves
    it up to 20 times, and stores value and gradient at the accepted point (use
    :func:`value_and_grad_from_state` so they are not recomputed). Call ``update``
    with the objective: ``opt.update(grad, state, params, value=v, grad=grad,
    value_fn=f)``; the gradient of trial points is taken with
    ``funcad.value_and_grad(f)`` unless you pass ``value_and_grad_fn=``.

    Args:
      learning_rate: an optional extra scale on the direction (None: 1).
      memory_size: pairs of the L-BFGS memory.
      scale_init_precond: see :func:`scale_by_lbfgs`.
      linesearch: a line search transform (default described above), or
        ``optim.identity()`` for a fixed step.

    Returns:
      A GradientTransformation (its state is a tuple of the three states).

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> f = lambda x: float(np.sum((x - 3.0) ** 2))
        >>> vg_fn = lambda x: (f(x), 2 * (x - 3.0))   # or funcad.value_and_grad(f)
        >>> vg = optim.value_and_grad_from_state(f, vg_fn)
        >>> opt = optim.lbfgs()
        >>> params = np.zeros(2)
        >>> state = opt.init(params)
        >>> for _ in range(5):
        ...     value, grad = vg(params, state=state)
        ...     updates, state = opt.update(grad, state, params, value=value, grad=grad,
        ...                                 value_fn=f, value_and_grad_fn=vg_fn)
        ...     params = optim.apply_updates(params, updates)
        >>> params.round(8)
        array([3., 3.])
    """
    if linesearch is None:
        linesearch = scale_by_backtracking_linesearch(
            max_backtracking_steps=20, decrease_factor=0.5, increase_factor=math.inf,
            max_learning_rate=1.0, store_grad=True)
    step = scale(-1.0) if learning_rate is None else scale_by_learning_rate(learning_rate)
    return chain(scale_by_lbfgs(memory_size, scale_init_precond), step, linesearch)
