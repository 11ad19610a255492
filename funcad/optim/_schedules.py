"""Schedules: functions ``step -> value`` for learning rates and other hyperparameters.

Every schedule takes a step count (an int, an optimizer state's int32 count, or an
integer array for a vectorised look-up) and returns a Python float (or a float64 array);
a traced count (the optimizer update inside ``fad.jit``) gives a traced float64, computed
with funcad ops so that the recorded program replays for every step. The formulas and
defaults follow optax; step counts start at 0 (the first ``update`` uses
``schedule(0)``).
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

import funcad.numpy as fnp
from funcad.extend import Tracer

__all__ = [
    "constant_schedule", "linear_schedule", "polynomial_schedule", "exponential_decay",
    "cosine_decay_schedule", "warmup_cosine_decay_schedule", "warmup_constant_schedule",
    "piecewise_constant_schedule", "piecewise_interpolate_schedule",
    "cosine_onecycle_schedule", "sgdr_schedule", "join_schedules",
]

Schedule = Callable[[int], float]


def _out(x):
    """A Python float for a scalar step, a float64 array for an array of steps (a traced
    value stays traced: reading it would make jit guard on every step)."""
    if isinstance(x, Tracer):
        return fnp.astype(x, np.float64)
    x = np.asarray(x, dtype=np.float64)
    return float(x) if x.ndim == 0 else x


def _step(count):
    if isinstance(count, Tracer):
        return fnp.astype(count, np.float64)
    return np.asarray(count, dtype=np.float64)


def constant_schedule(value: float) -> Schedule:
    """A schedule that always returns ``value``.

    Args:
      value: the constant.

    Returns:
      ``step -> value``.

    Example:
        >>> from funcad import optim
        >>> optim.constant_schedule(0.1)(1000)
        0.1
    """
    value = float(value)

    def schedule(count):
        return _out(np.full(np.shape(count), value))

    return schedule


def polynomial_schedule(init_value: float, end_value: float, power: float,
                        transition_steps: int, transition_begin: int = 0) -> Schedule:
    """Polynomial decay from ``init_value`` to ``end_value``.

    ``value = (init - end) * (1 - t / transition_steps) ** power + end`` with
    ``t = clip(step - transition_begin, 0, transition_steps)``.

    Args:
      init_value: the value before and at ``transition_begin``.
      end_value: the value from ``transition_begin + transition_steps`` on.
      power: the exponent (1 is linear).
      transition_steps: the length of the transition; if <= 0 the schedule is
        constant at ``init_value``.
      transition_begin: steps to hold ``init_value`` before decaying.

    Returns:
      The schedule.

    Example:
        >>> from funcad import optim
        >>> s = optim.polynomial_schedule(1.0, 0.0, power=2, transition_steps=10)
        >>> s(0), s(5), s(10), s(20)
        (1.0, 0.25, 0.0, 0.0)
    """
    if transition_steps <= 0:
        return constant_schedule(init_value)
    if transition_begin < 0:
        raise ValueError(f"polynomial_schedule: transition_begin must be >= 0, got "
                         f"{transition_begin}")
    init_value, end_value, power = float(init_value), float(end_value), float(power)

    def schedule(count):
        t = np.clip(_step(count) - transition_begin, 0, transition_steps)
        frac = 1.0 - t / transition_steps
        return _out((init_value - end_value) * frac ** power + end_value)

    return schedule


def linear_schedule(init_value: float, end_value: float, transition_steps: int,
                    transition_begin: int = 0) -> Schedule:
    """Linear interpolation from ``init_value`` to ``end_value`` (polynomial, power 1).

    Args:
      init_value: the starting value.
      end_value: the final value.
      transition_steps: the number of steps of the ramp.
      transition_begin: steps to hold ``init_value`` first.

    Returns:
      The schedule.

    Example:
        >>> from funcad import optim
        >>> s = optim.linear_schedule(0.0, 1.0, transition_steps=4)
        >>> [s(i) for i in range(6)]
        [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    """
    return polynomial_schedule(init_value, end_value, 1, transition_steps, transition_begin)


def exponential_decay(init_value: float, transition_steps: int, decay_rate: float,
                      transition_begin: int = 0, staircase: bool = False,
                      end_value: float | None = None) -> Schedule:
    """Exponential decay: ``init * decay_rate ** ((step - begin) / transition_steps)``.

    Args:
      init_value: the value up to ``transition_begin``.
      transition_steps: steps per factor of ``decay_rate``; must be > 0 (if not,
        the schedule is constant, as in optax).
      decay_rate: the factor per ``transition_steps``; must not be 0.
      transition_begin: steps to hold ``init_value`` first.
      staircase: if True, the exponent is floored (decay in discrete jumps).
      end_value: a lower bound when ``decay_rate < 1``, an upper bound when > 1.

    Returns:
      The schedule.

    Example:
        >>> from funcad import optim
        >>> s = optim.exponential_decay(1.0, transition_steps=10, decay_rate=0.5,
        ...                             staircase=True)
        >>> s(0), s(9), s(10), s(25)
        (1.0, 1.0, 0.5, 0.25)
    """
    if transition_steps <= 0:
        return constant_schedule(init_value)
    if decay_rate == 0:
        raise ValueError("exponential_decay: decay_rate must not be 0 (the value would be 0 "
                         "after the first transition); use constant_schedule(0.0) for that")
    if transition_begin < 0:
        raise ValueError(f"exponential_decay: transition_begin must be >= 0, got "
                         f"{transition_begin}")
    init_value, decay_rate = float(init_value), float(decay_rate)

    def schedule(count):
        t = _step(count) - transition_begin
        p = t / transition_steps
        if staircase:
            p = np.floor(p)
        value = np.where(t <= 0, init_value, init_value * decay_rate ** p)
        if end_value is not None:
            clip = np.maximum if decay_rate < 1 else np.minimum
            value = clip(value, float(end_value))
        return _out(value)

    return schedule


def cosine_decay_schedule(init_value: float, decay_steps: int, alpha: float = 0.0,
                          exponent: float = 1.0) -> Schedule:
    """Cosine decay from ``init_value`` to ``alpha * init_value`` over ``decay_steps``.

    ``value = init * ((1 - alpha) * (0.5 * (1 + cos(pi * t / decay_steps))) ** exponent
    + alpha)`` with ``t = min(step, decay_steps)``.

    Args:
      init_value: the starting value.
      decay_steps: the length of the decay; must be > 0.
      alpha: the final value as a fraction of ``init_value``.
      exponent: the power applied to the cosine factor.

    Returns:
      The schedule.

    Example:
        >>> from funcad import optim
        >>> s = optim.cosine_decay_schedule(1.0, decay_steps=100, alpha=0.1)
        >>> s(0), round(s(50), 12), s(100), s(1000)
        (1.0, 0.55, 0.1, 0.1)
    """
    if not decay_steps > 0:
        raise ValueError(f"cosine_decay_schedule: decay_steps must be > 0, got {decay_steps}")
    init_value, alpha, exponent = float(init_value), float(alpha), float(exponent)

    def schedule(count):
        t = np.minimum(_step(count), decay_steps)
        cosine = 0.5 * (1.0 + np.cos(np.pi * t / decay_steps))
        return _out(init_value * ((1.0 - alpha) * cosine ** exponent + alpha))

    return schedule


def join_schedules(schedules: Sequence[Schedule], boundaries: Sequence[int]) -> Schedule:
    """Run schedules one after another; each restarts its step count at its boundary.

    Args:
      schedules: ``n`` schedules.
      boundaries: ``n - 1`` increasing steps where the next schedule takes over.

    Returns:
      The joined schedule: ``schedules[i](step - boundaries[i-1])`` in segment ``i``.

    Example:
        >>> from funcad import optim
        >>> s = optim.join_schedules([optim.constant_schedule(1.0),
        ...                           optim.linear_schedule(1.0, 0.0, 10)], [5])
        >>> s(4), s(5), s(10)
        (1.0, 1.0, 0.5)
    """
    schedules, boundaries = list(schedules), [int(b) for b in boundaries]
    if len(boundaries) != len(schedules) - 1:
        raise ValueError(f"join_schedules: {len(schedules)} schedules need "
                         f"{len(schedules) - 1} boundaries, got {len(boundaries)}")

    def schedule(count):
        step = _step(count)
        value = schedules[0](step)
        for s, b in zip(schedules[1:], boundaries):
            value = np.where(step < b, value, s(step - b))
        return _out(value)

    return schedule


def warmup_constant_schedule(init_value: float, peak_value: float,
                             warmup_steps: int) -> Schedule:
    """Linear warmup from ``init_value`` to ``peak_value``, then constant.

    Args:
      init_value: the value at step 0.
      peak_value: the value from ``warmup_steps`` on.
      warmup_steps: the length of the warmup.

    Returns:
      The schedule.

    Example:
        >>> from funcad import optim
        >>> s = optim.warmup_constant_schedule(0.0, 1.0, warmup_steps=4)
        >>> s(2), s(4), s(100)
        (0.5, 1.0, 1.0)
    """
    return join_schedules([linear_schedule(init_value, peak_value, warmup_steps),
                           constant_schedule(peak_value)], [warmup_steps])


def warmup_cosine_decay_schedule(init_value: float, peak_value: float, warmup_steps: int,
                                 decay_steps: int, end_value: float = 0.0,
                                 exponent: float = 1.0) -> Schedule:
    """Linear warmup to ``peak_value``, then cosine decay to ``end_value``.

    As in optax, ``decay_steps`` counts the warmup too: the cosine part lasts
    ``decay_steps - warmup_steps`` steps.

    Args:
      init_value: the value at step 0.
      peak_value: the value at ``warmup_steps``.
      warmup_steps: the length of the warmup.
      decay_steps: the total length (warmup included).
      end_value: the final value.
      exponent: the power applied to the cosine factor.

    Returns:
      The schedule.

    Example:
        >>> from funcad import optim
        >>> s = optim.warmup_cosine_decay_schedule(0.0, 1.0, 10, 110, end_value=0.1)
        >>> s(5), s(10), round(s(60), 12), s(110)
        (0.5, 1.0, 0.55, 0.1)
    """
    if decay_steps <= warmup_steps:
        raise ValueError(f"warmup_cosine_decay_schedule: decay_steps ({decay_steps}) counts "
                         f"the warmup and must exceed warmup_steps ({warmup_steps})")
    alpha = 0.0 if peak_value == 0 else end_value / peak_value
    return join_schedules(
        [linear_schedule(init_value, peak_value, warmup_steps),
         cosine_decay_schedule(peak_value, decay_steps - warmup_steps, alpha, exponent)],
        [warmup_steps])


def piecewise_constant_schedule(init_value: float,
                                boundaries_and_scales: dict[int, float] | None = None
                                ) -> Schedule:
    """Multiply the value by ``scale`` from each boundary on.

    Args:
      init_value: the value before the first boundary.
      boundaries_and_scales: ``{step: scale}``; from ``step`` on (inclusive) the
        value is multiplied by ``scale``. Scales must be >= 0.

    Returns:
      The schedule.

    Example:
        >>> from funcad import optim
        >>> s = optim.piecewise_constant_schedule(1.0, {10: 0.1, 20: 0.5})
        >>> s(9), s(10), round(s(20), 12)
        (1.0, 0.1, 0.05)
    """
    items = sorted((boundaries_and_scales or {}).items())
    for b, sc in items:
        if sc < 0:
            raise ValueError(f"piecewise_constant_schedule: scales must be >= 0, got {sc} "
                             f"at boundary {b}")
    init_value = float(init_value)

    def schedule(count):
        step = _step(count)
        value = np.full(step.shape, init_value)
        for b, sc in items:
            value = np.where(step >= b, value * sc, value)
        return _out(value)

    return schedule


def piecewise_interpolate_schedule(interpolate_type: str, init_value: float,
                                   boundaries_and_scales: dict[int, float] | None = None
                                   ) -> Schedule:
    """Like :func:`piecewise_constant_schedule`, but interpolating between boundaries.

    The value at step 0 is ``init_value`` and at each boundary the running
    product of ``init_value`` and the scales; in between it is interpolated
    ``"linear"``-ly or with a ``"cosine"`` ease (as in optax, the first segment
    runs from step 0 to the first boundary); after the last boundary it is constant.

    Args:
      interpolate_type: ``"linear"`` or ``"cosine"``.
      init_value: the value at step 0.
      boundaries_and_scales: ``{step: scale}``, scales >= 0.

    Returns:
      The schedule.

    Example:
        >>> from funcad import optim
        >>> s = optim.piecewise_interpolate_schedule("linear", 1.0, {10: 0.5, 20: 0.5})
        >>> s(0), s(5), s(10), s(15), s(30)
        (1.0, 0.75, 0.5, 0.375, 0.25)
    """
    if interpolate_type not in ("linear", "cosine"):
        raise ValueError(f"piecewise_interpolate_schedule: interpolate_type must be 'linear' "
                         f"or 'cosine', got {interpolate_type!r}")
    items = sorted((boundaries_and_scales or {}).items())
    for b, sc in items:
        if sc < 0:
            raise ValueError(f"piecewise_interpolate_schedule: scales must be >= 0, got {sc} "
                             f"at boundary {b}")
    bounds = [0] + [int(b) for b, _ in items]
    values = [float(init_value)]
    for _, sc in items:
        values.append(values[-1] * sc)

    def schedule(count):
        step = _step(count)
        value = np.full(step.shape, values[-1])
        for i in range(len(bounds) - 2, -1, -1):
            lo, hi = bounds[i], bounds[i + 1]
            pct = np.clip((step - lo) / max(hi - lo, 1), 0.0, 1.0)
            if interpolate_type == "cosine":
                pct = 0.5 * (1.0 - np.cos(np.pi * pct))
            seg = values[i] + pct * (values[i + 1] - values[i])
            value = np.where(step < hi, seg, value)
        return _out(value)

    return schedule


def cosine_onecycle_schedule(transition_steps: int, peak_value: float,
                             pct_start: float = 0.3, div_factor: float = 25.0,
                             final_div_factor: float = 1e4) -> Schedule:
    """The one-cycle policy with cosine ramps (Smith & Topin, 2017).

    Rises from ``peak_value / div_factor`` to ``peak_value`` over the first
    ``pct_start`` of ``transition_steps``, then falls to
    ``peak_value / (div_factor * final_div_factor)``.

    Args:
      transition_steps: the total length.
      peak_value: the maximum.
      pct_start: the fraction of steps spent rising.
      div_factor: ``initial = peak_value / div_factor``.
      final_div_factor: ``final = initial / final_div_factor``.

    Returns:
      The schedule.

    Example:
        >>> from funcad import optim
        >>> s = optim.cosine_onecycle_schedule(100, 1.0)
        >>> s(0), s(30), s(100)
        (0.04, 1.0, 4e-06)
    """
    if transition_steps <= 0:
        raise ValueError(f"cosine_onecycle_schedule: transition_steps must be > 0, got "
                         f"{transition_steps}")
    initial = peak_value / div_factor
    return piecewise_interpolate_schedule(
        "cosine", initial,
        {int(pct_start * transition_steps): div_factor,
         int(transition_steps): 1.0 / (div_factor * final_div_factor)})


def sgdr_schedule(cosine_kwargs: Sequence[dict]) -> Schedule:
    """SGD with warm restarts: warmup-cosine cycles joined one after another.

    Args:
      cosine_kwargs: one dict of :func:`warmup_cosine_decay_schedule` arguments per
        cycle (``init_value``, ``peak_value``, ``warmup_steps``, ``decay_steps``,
        optionally ``end_value``, ``exponent``); each cycle lasts ``decay_steps``.

    Returns:
      The joined schedule.

    Example:
        >>> from funcad import optim
        >>> cycle = dict(init_value=0.0, peak_value=1.0, warmup_steps=2, decay_steps=10)
        >>> s = optim.sgdr_schedule([cycle, cycle])
        >>> s(2), s(10), s(12)
        (1.0, 0.0, 1.0)
    """
    schedules, boundaries, step = [], [], 0
    for kw in cosine_kwargs:
        schedules.append(warmup_cosine_decay_schedule(**kw))
        step += int(kw["decay_steps"])
        boundaries.append(step)
    return join_schedules(schedules, boundaries[:-1])

