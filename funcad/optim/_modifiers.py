"""Simple transforms: scaling, learning rates, momentum, clipping, weight decay, noise.

These do one thing each and are chained with the adaptive ``scale_by_<alg>``
transforms to build the aliases.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import numpy as np

from funcad import tree

from ._base import (
    EmptyState, GradientTransformation, ScalarOrSchedule, bias_correction, cast_tree,
    check_params, check_rate, expect_state, global_norm, is_traced, scalar_like,
    tree_map_checked, zero_count, zeros_like_tree,
)
from ._combinators import masked

__all__ = [
    "scale", "ScaleByScheduleState", "scale_by_schedule", "scale_by_learning_rate",
    "TraceState", "trace", "EmaState", "ema", "clip", "clip_by_global_norm",
    "clip_by_block_rms", "normalize_by_update_norm", "add_decayed_weights",
    "AddNoiseState", "add_noise", "centralize", "ZeroNansState", "zero_nans",
    "keep_params_nonnegative",
]

_STATE = "state (from init)"


def _stateless(where: str, fn: Callable, needs_params: bool = False) -> GradientTransformation:
    """A stateless transform from ``fn(updates, params) -> updates``."""

    def init_fn(params):
        return EmptyState()

    def update_fn(updates, state, params=None):
        expect_state(where, state, EmptyState)
        check_params(where, updates, params, required=needs_params)
        return fn(updates, params), state

    return GradientTransformation(init_fn, update_fn)


def scale(step_size: float) -> GradientTransformation:
    """Multiply updates by a constant.

    Args:
      step_size: the factor (use a negative one to turn gradients into steps).

    Returns:
      A stateless GradientTransformation.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> optim.scale(-0.1).update(np.array([1.0, 2.0]), optim.EmptyState())[0]
        array([-0.1, -0.2])
    """
    step_size = float(step_size)
    return _stateless("scale", lambda u, p: tree.map(lambda g: step_size * g, u))


class ScaleByScheduleState(NamedTuple):
    count: np.int32  # number of updates so far (the step given to the schedule)


def scale_by_schedule(step_size_fn: Callable[[int], float]) -> GradientTransformation:
    """Multiply updates by ``step_size_fn(count)``; ``count`` starts at 0.

    Args:
      step_size_fn: a schedule ``step -> factor``; it must return finite numbers.

    Returns:
      A GradientTransformation with state :class:`ScaleByScheduleState`.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> tx = optim.scale_by_schedule(lambda step: 2.0 ** step)
        >>> state = tx.init(None)
        >>> _, state = tx.update(np.ones(1), state)
        >>> tx.update(np.ones(1), state)[0]
        array([2.])
    """
    return _scale_by_schedule("scale_by_schedule", step_size_fn, sign=1.0, nonnegative=False)


def _scale_by_schedule(where, fn, sign, nonnegative):
    def init_fn(params):
        return ScaleByScheduleState(zero_count())

    def update_fn(updates, state, params=None):
        expect_state(where, state, ScaleByScheduleState)
        value = fn(state.count)
        if is_traced(value):
            # a traced count (the step inside fad.jit): the value is checked nowhere, since
            # reading it would make jit guard on (and record again for) every step
            return (tree.map(lambda g: sign * scalar_like(value, g) * g, updates),
                    ScaleByScheduleState(state.count + 1))
        if nonnegative:
            factor = sign * check_rate(where, value, step=state.count)
        else:
            factor = float(value)
            if not np.isfinite(factor):
                raise ValueError(f"{where}: the schedule returned {factor!r} at step "
                                 f"{state.count}; it must be finite; check its parameters")
        return tree.map(lambda g: factor * g, updates), ScaleByScheduleState(state.count + 1)

    return GradientTransformation(init_fn, update_fn)


def scale_by_learning_rate(learning_rate: ScalarOrSchedule, *,
                           flip_sign: bool = True) -> GradientTransformation:
    """Multiply updates by ``-learning_rate`` (a float or a schedule ``step -> rate``).

    The rate must be finite and >= 0; a schedule is checked at every step and
    the error names the step.

    Args:
      learning_rate: a float or a schedule.
      flip_sign: negate (True, the default, turns a gradient into a descent step).

    Returns:
      A GradientTransformation (stateless for a float; with
      :class:`ScaleByScheduleState` for a schedule).

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> tx = optim.scale_by_learning_rate(0.1)
        >>> tx.update(np.array([1.0]), tx.init(None))[0]
        array([-0.1])
    """
    sign = -1.0 if flip_sign else 1.0
    if callable(learning_rate):
        return _scale_by_schedule("scale_by_learning_rate", learning_rate, sign, True)
    lr = check_rate("scale_by_learning_rate", learning_rate)
    return scale(sign * lr)


class TraceState(NamedTuple):
    trace: Any  # the momentum buffer, shaped like params


def trace(decay: float, nesterov: bool = False,
          accumulator_dtype=None) -> GradientTransformation:
    """Momentum: ``t = decay * t + g``; the update is ``t`` (or ``decay * t + g``).

    Args:
      decay: the momentum coefficient.
      nesterov: use Nesterov's look-ahead update ``decay * t + g``.
      accumulator_dtype: dtype of the buffer (default: that of params).

    Returns:
      A GradientTransformation with state :class:`TraceState`.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> tx = optim.trace(decay=0.5)
        >>> state = tx.init(np.zeros(1))
        >>> _, state = tx.update(np.ones(1), state)
        >>> tx.update(np.ones(1), state)[0]
        array([1.5])
    """
    decay = float(decay)

    def init_fn(params):
        return TraceState(zeros_like_tree(params, accumulator_dtype))

    def update_fn(updates, state, params=None):
        expect_state("trace", state, TraceState)
        new = tree_map_checked("trace", lambda g, t: decay * t + g, updates,
                               (_STATE, state.trace))
        out = tree.map(lambda g, t: decay * t + g, updates, new) if nesterov else new
        return out, TraceState(cast_tree(new, accumulator_dtype))

    return GradientTransformation(init_fn, update_fn)


class EmaState(NamedTuple):
    count: np.int32  # number of updates so far
    ema: Any    # the moving average, shaped like params


def ema(decay: float, debias: bool = True, accumulator_dtype=None) -> GradientTransformation:
    """Exponential moving average of the updates: ``e = decay * e + (1 - decay) * g``.

    Args:
      decay: the decay rate.
      debias: divide by ``1 - decay**count`` (Adam's bias correction).
      accumulator_dtype: dtype of the average.

    Returns:
      A GradientTransformation with state :class:`EmaState`.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> tx = optim.ema(0.9)
        >>> tx.update(np.array([4.0]), tx.init(np.zeros(1)))[0]
        array([4.])
    """
    decay = float(decay)

    def init_fn(params):
        return EmaState(zero_count(), zeros_like_tree(params, accumulator_dtype))

    def update_fn(updates, state, params=None):
        expect_state("ema", state, EmaState)
        new = tree_map_checked("ema", lambda g, e: decay * e + (1.0 - decay) * g, updates,
                               (_STATE, state.ema))
        count = state.count + 1
        out = bias_correction(new, decay, count) if debias else new
        return out, EmaState(count, cast_tree(new, accumulator_dtype))

    return GradientTransformation(init_fn, update_fn)


def clip(max_delta: float) -> GradientTransformation:
    """Clip each update element to ``[-max_delta, max_delta]``.

    Args:
      max_delta: the bound (>= 0).

    Returns:
      A stateless GradientTransformation.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> optim.clip(1.0).update(np.array([-3.0, 0.5]), optim.EmptyState())[0]
        array([-1. ,  0.5])
    """
    if not max_delta >= 0:
        raise ValueError(f"clip: max_delta must be >= 0, got {max_delta}")
    m = float(max_delta)
    return _stateless("clip", lambda u, p: tree.map(lambda g: np.clip(g, -m, m), u))


def clip_by_global_norm(max_norm: float) -> GradientTransformation:
    """Rescale all updates together so their global L2 norm is at most ``max_norm``.

    Args:
      max_norm: the largest allowed global norm (> 0).

    Returns:
      A stateless GradientTransformation.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> tx = optim.clip_by_global_norm(1.0)
        >>> tx.update({"a": np.array([3.0]), "b": np.array([4.0])}, optim.EmptyState())[0]
        {'a': array([0.6]), 'b': array([0.8])}
    """
    if not max_norm > 0:
        raise ValueError(f"clip_by_global_norm: max_norm must be > 0, got {max_norm}")
    max_norm = float(max_norm)

    def fn(updates, params):
        g_norm = global_norm(updates)
        if is_traced(g_norm):       # inside fad.jit: no guard on the norm (it changes per step)
            factor = max_norm / np.maximum(g_norm, max_norm)       # exactly 1 when not clipped
            return tree.map(lambda g: g * scalar_like(factor, g), updates)
        g_norm = float(g_norm)
        if g_norm < max_norm:
            return updates
        return tree.map(lambda g: g * (max_norm / g_norm), updates)

    return _stateless("clip_by_global_norm", fn)


def clip_by_block_rms(threshold: float) -> GradientTransformation:
    """Rescale each leaf so its root-mean-square is at most ``threshold``.

    Args:
      threshold: the largest allowed RMS per leaf.

    Returns:
      A stateless GradientTransformation.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> optim.clip_by_block_rms(1.0).update(np.array([2.0, -2.0]), optim.EmptyState())[0]
        array([ 1., -1.])
    """
    threshold = float(threshold)

    def leaf(g):
        rms = float(np.sqrt(np.mean(np.square(np.abs(g))))) if np.size(g) else 0.0
        return g / max(1.0, rms / threshold)

    return _stateless("clip_by_block_rms", lambda u, p: tree.map(leaf, u))


def normalize_by_update_norm(scale_factor: float = 1.0,
                             eps: float = 1e-6) -> GradientTransformation:
    """Divide all updates by their global norm: ``u * scale_factor / (||u|| + eps)``.

    Args:
      scale_factor: the norm of the result (up to ``eps``).
      eps: added to the norm.

    Returns:
      A stateless GradientTransformation.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> tx = optim.normalize_by_update_norm(eps=0.0)
        >>> tx.update(np.array([3.0, 4.0]), optim.EmptyState())[0]
        array([0.6, 0.8])
    """
    scale_factor, eps = float(scale_factor), float(eps)

    def fn(updates, params):
        factor = scale_factor / (global_norm(updates) + eps)
        return tree.map(lambda g: g * scalar_like(factor, g), updates)

    return _stateless("normalize_by_update_norm", fn)


def add_decayed_weights(weight_decay: float = 0.0, mask: Any = None) -> GradientTransformation:
    """Add ``weight_decay * params`` to the updates (decoupled weight decay).

    Args:
      weight_decay: the decay coefficient.
      mask: optional pytree of bools (or ``params -> pytree``) selecting the
        leaves to decay, as in :func:`masked`.

    Returns:
      A GradientTransformation that needs ``params``.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> tx = optim.add_decayed_weights(0.1)
        >>> tx.update(np.zeros(1), tx.init(None), np.array([2.0]))[0]
        array([0.2])
    """
    wd = float(weight_decay)

    def fn(updates, params):
        return tree.map(lambda g, p: g + wd * p, updates, params)

    tx = _stateless("add_decayed_weights", fn, needs_params=True)
    return tx if mask is None else masked(tx, mask)


class AddNoiseState(NamedTuple):
    count: np.int32  # number of updates so far
    seed: int   # the base seed; the noise of step t comes from (seed, t)


def add_noise(eta: float, gamma: float, seed: int) -> GradientTransformation:
    """Add annealed Gaussian noise (Neelakantan et al., 2015).

    The noise has variance ``eta / (1 + count) ** gamma``. It is drawn from a
    generator seeded with ``(seed, count)``, so a run is reproducible and the
    state stays a pair of ints.

    Args:
      eta: the initial variance.
      gamma: the decay exponent of the variance.
      seed: the random seed.

    Returns:
      A GradientTransformation with state :class:`AddNoiseState`.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> tx = optim.add_noise(eta=0.0, gamma=0.55, seed=0)
        >>> tx.update(np.ones(2), tx.init(np.zeros(2)))[0]
        array([1., 1.])
    """
    eta, gamma = float(eta), float(gamma)

    def init_fn(params):
        return AddNoiseState(zero_count(), int(seed))

    def update_fn(updates, state, params=None):
        expect_state("add_noise", state, AddNoiseState)
        std = float(np.sqrt(eta / (1.0 + state.count) ** gamma))
        rng = np.random.default_rng([state.seed, state.count])
        leaves, treedef = tree.flatten(updates)
        noisy = [g + (std * rng.standard_normal(np.shape(g))).astype(np.result_type(g))
                 for g in leaves]
        return tree.unflatten(treedef, noisy), AddNoiseState(state.count + 1, state.seed)

    return GradientTransformation(init_fn, update_fn)


def centralize() -> GradientTransformation:
    """Gradient centralisation (Yong et al., 2020): subtract the mean over all
    axes but the first from each leaf with more than one dimension.

    Returns:
      A stateless GradientTransformation.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> optim.centralize().update(np.array([[1.0, 3.0]]), optim.EmptyState())[0]
        array([[-1.,  1.]])
    """

    def leaf(g):
        if np.ndim(g) <= 1:
            return g
        return g - np.mean(g, axis=tuple(range(1, np.ndim(g))), keepdims=True)

    return _stateless("centralize", lambda u, p: tree.map(leaf, u))


class ZeroNansState(NamedTuple):
    found_nan: Any  # per leaf, a bool array: whether the last update had a nan there


def zero_nans() -> GradientTransformation:
    """Replace ``nan`` entries of the updates with 0 and record where it happened.

    Returns:
      A GradientTransformation with state :class:`ZeroNansState`.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> tx = optim.zero_nans()
        >>> updates, state = tx.update(np.array([np.nan, 1.0]), tx.init(np.zeros(2)))
        >>> updates, bool(state.found_nan)
        (array([0., 1.]), True)
    """

    def init_fn(params):
        return ZeroNansState(tree.map(lambda p: np.array(False), params))

    def update_fn(updates, state, params=None):
        expect_state("zero_nans", state, ZeroNansState)
        tree_map_checked("zero_nans", lambda g, f: None, updates, (_STATE, state.found_nan))
        found = tree.map(lambda g: np.array(bool(np.any(np.isnan(g)))), updates)
        out = tree.map(lambda g: np.where(np.isnan(g), np.zeros_like(g), g), updates)
        return out, ZeroNansState(found)

    return GradientTransformation(init_fn, update_fn)


def keep_params_nonnegative() -> GradientTransformation:
    """Change updates so that ``params + updates >= 0`` (clamp params at 0).

    Where ``params + updates`` would be negative the update becomes ``-params``.
    Use it last in a chain. Params are assumed non-negative to begin with.

    Returns:
      A stateless GradientTransformation that needs ``params``.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> tx = optim.keep_params_nonnegative()
        >>> tx.update(np.array([-2.0, -0.5]), tx.init(None), np.array([1.0, 1.0]))[0]
        array([-1. , -0.5])
    """

    def fn(updates, params):
        return tree.map(lambda u, p: np.where(p + u < 0, -p, u).astype(np.result_type(u)),
                        updates, params)

    return _stateless("keep_params_nonnegative", fn, needs_params=True)
