"""Combinators: transforms that wrap other transforms.

masked and multi_transform route leaves to transforms; MultiSteps accumulates
gradients; apply_if_finite skips bad steps; inject_hyperparams keeps
hyperparameters in the state; lookahead keeps slow and fast weights.
"""

from __future__ import annotations

import inspect
import math
from typing import Any, Callable, NamedTuple, Union

import numpy as np

from funcad import tree

from ._base import (
    GradientTransformation, LearningRateError, OptimStateError, _show, call_update,
    check_positive_int, check_rate, expect_state, leaves_like, zeros_like_tree,
)

__all__ = [
    "MaskedState", "masked", "MultiTransformState", "multi_transform",
    "MultiStepsState", "MultiSteps", "ApplyIfFiniteState", "apply_if_finite",
    "InjectHyperparamsState", "inject_hyperparams", "LookaheadParams", "LookaheadState",
    "lookahead",
]


# ----------------------------------------------------------------------------- masked

def _mask_leaves(where: str, mask: Any, ref: Any, ref_name: str) -> list[bool]:
    """The mask (a tree or ``params -> tree``) as a list of bools, one per leaf of ``ref``."""
    mask_tree = mask(ref) if callable(mask) else mask
    leaves = leaves_like(where, tree.structure(ref), mask_tree, "mask", ref_name=ref_name)
    return [bool(m) for m in leaves]


def _select(leaves: list, keep: list[bool]) -> list:
    return [x for x, k in zip(leaves, keep) if k]


class MaskedState(NamedTuple):
    inner_state: Any  # the state of the inner transform, built on the masked-in leaves only


def masked(inner: GradientTransformation, mask: Any) -> GradientTransformation:
    """Apply ``inner`` to the leaves where ``mask`` is True; pass the rest through.

    The inner transform sees only the masked-in leaves (as a list), so its state
    holds nothing for the others and norms such as :func:`clip_by_global_norm`
    are taken over the masked-in leaves alone.

    Args:
      inner: the transform to apply.
      mask: a pytree of bools with the structure of params, or a function
        ``params -> that pytree``.

    Returns:
      A GradientTransformation with state :class:`MaskedState`.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> params = {"w": np.ones(2), "b": np.ones(1)}
        >>> tx = optim.masked(optim.scale(0.0), {"w": True, "b": False})
        >>> tx.update({"w": np.ones(2), "b": np.ones(1)}, tx.init(params))[0]
        {'b': array([1.]), 'w': array([0., 0.])}
    """

    def init_fn(params):
        keep = _mask_leaves("masked.init", mask, params, "params")
        return MaskedState(inner.init(_select(tree.leaves(params), keep)))

    def update_fn(updates, state, params=None, **extra):
        expect_state("masked", state, MaskedState)
        u_leaves, u_def = tree.flatten(updates)
        keep = _mask_leaves("masked.update", mask, updates, "updates")
        p_sel = None
        if params is not None:
            p_sel = _select(leaves_like("masked.update", u_def, params, "params"), keep)
        new_sel, inner_state = call_update(inner, _select(u_leaves, keep), state.inner_state,
                                           p_sel, extra)
        it = iter(new_sel)
        out = [next(it) if k else u for u, k in zip(u_leaves, keep)]
        return tree.unflatten(u_def, out), MaskedState(inner_state)

    return GradientTransformation(init_fn, update_fn)


# ----------------------------------------------------------------------------- multi_transform

class MultiTransformState(NamedTuple):
    inner_states: dict  # label -> the state of that label's (masked) transform


def multi_transform(transforms: dict[Any, GradientTransformation],
                    param_labels: Any) -> GradientTransformation:
    """Route each leaf to the transform named by its label.

    Args:
      transforms: ``{label: transform}``.
      param_labels: a pytree of labels with the structure of params, or a
        function ``params -> that pytree``.

    Returns:
      A GradientTransformation with state :class:`MultiTransformState`.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> params = {"w": np.ones(1), "b": np.ones(1)}
        >>> tx = optim.multi_transform({"fast": optim.sgd(1.0), "frozen": optim.set_to_zero()},
        ...                            {"w": "fast", "b": "frozen"})
        >>> tx.update({"w": np.ones(1), "b": np.ones(1)}, tx.init(params))[0]
        {'b': array([0.]), 'w': array([-1.])}
    """
    transforms = dict(transforms)

    def labels_of(where, ref, ref_name):
        labels = param_labels(ref) if callable(param_labels) else param_labels
        leaves = leaves_like(where, tree.structure(ref), labels, "param_labels", ref_name)
        unknown = sorted({repr(lb) for lb in leaves if lb not in transforms})
        if unknown:
            raise ValueError(f"{where}: labels {', '.join(unknown)} have no transform; "
                             f"transforms has {sorted(map(repr, transforms))}; add an entry "
                             "for each label (optim.set_to_zero() freezes a group)")
        return labels

    def label_mask(label):
        # A mask function per label, reading the labels tree of whatever it is given.
        return lambda ref: tree.map(lambda lb: lb == label,
                                    param_labels(ref) if callable(param_labels)
                                    else param_labels)

    masked_txs = {label: masked(tx, label_mask(label)) for label, tx in transforms.items()}

    def init_fn(params):
        labels_of("multi_transform.init", params, "params")
        return MultiTransformState({lb: tx.init(params) for lb, tx in masked_txs.items()})

    def update_fn(updates, state, params=None, **extra):
        expect_state("multi_transform", state, MultiTransformState)
        labels_of("multi_transform.update", updates, "updates")
        new_states = {}
        for label, tx in masked_txs.items():
            updates, new_states[label] = call_update(tx, updates, state.inner_states[label],
                                                     params, extra)
        return updates, MultiTransformState(new_states)

    return GradientTransformation(init_fn, update_fn)


# ----------------------------------------------------------------------------- MultiSteps

class MultiStepsState(NamedTuple):
    mini_step: int        # mini-batches accumulated since the last real update
    gradient_step: int    # real updates (inner optimizer steps) so far
    inner_opt_state: Any  # the inner optimizer's state
    acc_grads: Any        # accumulated gradients (their running mean by default)
    skip_state: Any       # state of should_skip_update_fn (() when unused)


class MultiSteps:
    """Gradient accumulation: apply the inner optimizer once every ``k`` calls.

    Between real steps ``update`` returns zero updates and accumulates the
    gradients; on the ``k``-th call it feeds their mean (or sum) to the inner
    optimizer. ``every_k_schedule`` may be an int or ``gradient_step -> k``.

    Args:
      opt: the inner optimizer.
      every_k_schedule: the number of mini-steps per real step, or a schedule.
      use_grad_mean: average (True) or sum (False) the accumulated gradients.
      should_skip_update_fn: optional ``(updates, gradient_step, params) ->
        (skip: bool, skip_state)``; skipped calls change nothing but skip_state.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> ms = optim.MultiSteps(optim.sgd(1.0), every_k_schedule=2)
        >>> state = ms.init(np.zeros(1))
        >>> u1, state = ms.update(np.array([1.0]), state)
        >>> u2, state = ms.update(np.array([3.0]), state)
        >>> u1, u2, ms.has_updated(state)
        (array([0.]), array([-2.]), True)
    """

    def __init__(self, opt: GradientTransformation, every_k_schedule: Union[int, Callable],
                 use_grad_mean: bool = True,
                 should_skip_update_fn: Callable | None = None):
        self.inner_opt = opt
        if callable(every_k_schedule):
            self._every_k = every_k_schedule
        else:
            k = check_positive_int("MultiSteps", "every_k_schedule", every_k_schedule)
            self._every_k = lambda step: k
        self._use_grad_mean = use_grad_mean
        self._should_skip = should_skip_update_fn

    def init(self, params: Any) -> MultiStepsState:
        """Build the state: the inner state and zero accumulators."""
        skip_state = ()
        if self._should_skip is not None:
            skip_state = self._should_skip(zeros_like_tree(params), 0, params)[1]
        return MultiStepsState(0, 0, self.inner_opt.init(params), zeros_like_tree(params),
                               skip_state)

    def update(self, updates: Any, state: MultiStepsState, params: Any = None, **extra):
        """Accumulate ``updates``; every ``k``-th call, step the inner optimizer.

        Returns:
          ``(updates, new_state)``; updates are zeros except on real steps.
        """
        expect_state("MultiSteps", state, MultiStepsState)
        k = check_positive_int("MultiSteps", f"every_k_schedule({state.gradient_step})",
                               self._every_k(state.gradient_step))
        skip_state = state.skip_state
        if self._should_skip is not None:
            skip, skip_state = self._should_skip(updates, state.gradient_step, params)
            if skip:
                return zeros_like_tree(updates), state._replace(skip_state=skip_state)
        n = state.mini_step
        if self._use_grad_mean:
            acc = _map2("MultiSteps", lambda g, a: a + (g - a) / (n + 1), updates,
                        state.acc_grads)
        else:
            acc = _map2("MultiSteps", lambda g, a: a + g, updates, state.acc_grads)
        if n < k - 1:
            return zeros_like_tree(updates), MultiStepsState(
                n + 1, state.gradient_step, state.inner_opt_state, acc, skip_state)
        out, inner = call_update(self.inner_opt, acc, state.inner_opt_state, params, extra)
        return out, MultiStepsState(0, state.gradient_step + 1, inner, zeros_like_tree(acc),
                                    skip_state)

    def has_updated(self, state: MultiStepsState) -> bool:
        """True if the last ``update`` was a real step."""
        return state.mini_step == 0 and state.gradient_step > 0

    def gradient_transformation(self) -> GradientTransformation:
        """This accumulator as a plain GradientTransformation (to use in ``chain``)."""
        return GradientTransformation(self.init, self.update)


def _map2(where, fn, updates, acc):
    u_leaves, u_def = tree.flatten(updates)
    a_leaves = leaves_like(where, u_def, acc, "state (from init)")
    return tree.unflatten(u_def, [fn(g, a) for g, a in zip(u_leaves, a_leaves)])


# ----------------------------------------------------------------------------- apply_if_finite

class ApplyIfFiniteState(NamedTuple):
    notfinite_count: int  # consecutive steps with a non-finite update so far
    last_finite: bool     # whether the last update was finite
    total_notfinite: int  # all steps with a non-finite update
    inner_state: Any      # the inner transform's state


def apply_if_finite(inner: GradientTransformation,
                    max_consecutive_errors: int) -> GradientTransformation:
    """Skip steps whose updates contain ``nan``/``inf`` (the inner state is kept).

    After more than ``max_consecutive_errors`` bad steps in a row the update is
    applied anyway, so a run that has gone bad fails loudly instead of stalling.

    Args:
      inner: the transform to protect.
      max_consecutive_errors: how many bad steps in a row to skip.

    Returns:
      A GradientTransformation with state :class:`ApplyIfFiniteState`.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> tx = optim.apply_if_finite(optim.sgd(1.0), max_consecutive_errors=3)
        >>> updates, state = tx.update(np.array([np.nan]), tx.init(np.zeros(1)))
        >>> updates, state.notfinite_count
        (array([0.]), 1)
    """
    max_errors = check_positive_int("apply_if_finite", "max_consecutive_errors",
                                    max_consecutive_errors, minimum=0)

    def init_fn(params):
        return ApplyIfFiniteState(0, True, 0, inner.init(params))

    def update_fn(updates, state, params=None, **extra):
        expect_state("apply_if_finite", state, ApplyIfFiniteState)
        finite = all(bool(np.all(np.isfinite(x))) for x in tree.leaves(updates))
        count = 0 if finite else state.notfinite_count + 1
        total = state.total_notfinite + (0 if finite else 1)
        if finite or count > max_errors:
            out, inner_state = call_update(inner, updates, state.inner_state, params, extra)
        else:
            out, inner_state = zeros_like_tree(updates), state.inner_state
        return out, ApplyIfFiniteState(count, finite, total, inner_state)

    return GradientTransformation(init_fn, update_fn)


# ----------------------------------------------------------------------------- inject_hyperparams

class InjectHyperparamsState(NamedTuple):
    count: int        # number of updates so far (the step given to schedules)
    hyperparams: dict  # name -> current value; edit it between steps to change one
    inner_state: Any  # the inner transform's state


def _is_number(x) -> bool:
    if isinstance(x, bool):
        return False
    return isinstance(x, (int, float, np.number)) or (isinstance(x, np.ndarray) and x.ndim == 0)


def _as_python(x):
    return x.item() if isinstance(x, (np.ndarray, np.generic)) else x


def inject_hyperparams(inner_factory: Callable[..., GradientTransformation],
                       static_args: tuple[str, ...] = ()) -> Callable[..., GradientTransformation]:
    """Make an optimizer factory keep its numeric hyperparameters in the state.

    The returned factory takes the same arguments. Numbers become entries of
    ``state.hyperparams`` (Python numbers, so float32 params stay float32); you may
    overwrite them between steps. Callables are schedules, evaluated at each step
    (``state.count``) and stored there. Everything else, and every name in
    ``static_args``, is passed through unchanged (put callables that are *not*
    schedules, such as a mask function, in ``static_args``).

    Args:
      inner_factory: a function returning a GradientTransformation, such as
        :func:`adam`.
      static_args: names of arguments never to treat as hyperparameters.

    Returns:
      A factory with the signature of ``inner_factory`` whose transforms have
      state :class:`InjectHyperparamsState`.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> opt = optim.inject_hyperparams(optim.sgd)(learning_rate=0.1)
        >>> state = opt.init(np.zeros(1))
        >>> state.hyperparams["learning_rate"] = 0.5
        >>> opt.update(np.array([1.0]), state)[0]
        array([-0.5])
    """
    sig = inspect.signature(inner_factory)
    name = getattr(inner_factory, "__name__", "inner_factory")
    where = f"inject_hyperparams({name})"

    def factory(*args, **kwargs) -> GradientTransformation:
        bound = sig.bind(*args, **kwargs)
        static, numeric, schedules = {}, {}, {}
        for k, v in bound.arguments.items():
            if k in static_args:
                static[k] = v
            elif _is_number(v):
                numeric[k] = _as_python(v)
            elif callable(v) and not isinstance(v, GradientTransformation):
                schedules[k] = v
            else:
                static[k] = v

        def evaluate(count, hps):
            hps = dict(hps)
            for k, s in schedules.items():
                value = _as_python(s(count))
                if "learning_rate" in k:
                    check_rate(where, value, step=count, name=k)
                elif not math.isfinite(float(value)):
                    raise ValueError(f"{where}: the schedule for {k!r} returned {value!r} at "
                                     f"step {count}; check the schedule's parameters")
                hps[k] = value
            return hps

        def build(count, hps):
            try:
                return inner_factory(**static, **hps)
            except LearningRateError as e:
                raise LearningRateError(f"{where} at step {count} with hyperparams {hps}: "
                                        f"{e}") from None

        def init_fn(params):
            hps = evaluate(0, numeric)
            return InjectHyperparamsState(0, hps, build(0, hps).init(params))

        def update_fn(updates, state, params=None, **extra):
            expect_state(where, state, InjectHyperparamsState)
            if not isinstance(state.hyperparams, dict):
                raise OptimStateError(f"{where}: state.hyperparams must be a dict, got "
                                      f"{_show(state.hyperparams)}")
            hps = evaluate(state.count, state.hyperparams)
            inner = build(state.count, hps)
            out, inner_state = call_update(inner, updates, state.inner_state, params, extra)
            return out, InjectHyperparamsState(state.count + 1, hps, inner_state)

        return GradientTransformation(init_fn, update_fn)

    factory.__name__ = f"injected_{name}"
    factory.__doc__ = f"{name} with hyperparameters in the state (see inject_hyperparams)."
    return factory


# ----------------------------------------------------------------------------- lookahead

class LookaheadParams(NamedTuple):
    """The params of a lookahead optimizer: fast weights and slow weights.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> optim.LookaheadParams.init_synced(np.ones(1))
        LookaheadParams(fast=array([1.]), slow=array([1.]))
    """

    fast: Any  # the weights the fast optimizer updates every step
    slow: Any  # the weights pulled towards the fast ones every sync_period steps

    @classmethod
    def init_synced(cls, params: Any) -> "LookaheadParams":
        """Fast and slow weights both equal to (copies of) ``params``."""
        return cls(params, tree.map(lambda p: np.array(p, copy=True), params))


class LookaheadState(NamedTuple):
    fast_state: Any        # the fast optimizer's state
    steps_since_sync: int  # fast steps since the last synchronisation


def lookahead(fast_optimizer: GradientTransformation, sync_period: int,
              slow_step_size: float, reset_state: bool = False) -> GradientTransformation:
    """Lookahead (Zhang et al., 2019): every ``sync_period`` steps, move the slow
    weights towards the fast ones and restart the fast weights from them.

    Params and updates are :class:`LookaheadParams`; gradients should be taken at
    ``params.fast`` (pass them as ``LookaheadParams(fast=grads, slow=anything)``
    or just the fast grads tree). On a sync step
    ``slow += slow_step_size * (fast_new - slow)`` and ``fast = slow``.

    Args:
      fast_optimizer: the inner optimizer.
      sync_period: fast steps between synchronisations (>= 1).
      slow_step_size: the slow weights' interpolation factor, in [0, 1].
      reset_state: re-initialise the fast optimizer's state at each sync.

    Returns:
      A GradientTransformation with state :class:`LookaheadState`.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> tx = optim.lookahead(optim.sgd(1.0), sync_period=1, slow_step_size=0.5)
        >>> params = optim.LookaheadParams.init_synced(np.array([0.0]))
        >>> updates, _ = tx.update(np.array([-2.0]), tx.init(params), params)
        >>> optim.apply_updates(params, updates)
        LookaheadParams(fast=array([1.]), slow=array([1.]))
    """
    sync_period = check_positive_int("lookahead", "sync_period", sync_period)
    if not 0.0 <= slow_step_size <= 1.0:
        raise ValueError(f"lookahead: slow_step_size must be in [0, 1], got {slow_step_size}")
    alpha = float(slow_step_size)

    def need_params(params):
        if not isinstance(params, LookaheadParams):
            raise TypeError(f"lookahead needs params = LookaheadParams(fast, slow), got "
                            f"{type(params).__name__}: {_show(params)}; wrap them with "
                            "optim.LookaheadParams.init_synced(params)")

    def init_fn(params):
        need_params(params)
        return LookaheadState(fast_optimizer.init(params.fast), 0)

    def update_fn(updates, state, params=None, **extra):
        expect_state("lookahead", state, LookaheadState)
        need_params(params)
        grads = updates.fast if isinstance(updates, LookaheadParams) else updates
        fast_upd, fast_state = call_update(fast_optimizer, grads, state.fast_state,
                                           params.fast, extra)
        steps = state.steps_since_sync + 1
        if steps < sync_period:
            zeros = zeros_like_tree(params.slow)
            return LookaheadParams(fast_upd, zeros), LookaheadState(fast_state, steps)
        # fast_new = fast + u; slow_new = slow + alpha * (fast_new - slow); fast := slow_new.
        slow_upd = tree.map(lambda f, u, s: alpha * (f + u - s), params.fast, fast_upd,
                            params.slow)
        fast_sync = tree.map(lambda f, s, su: (s + su) - f, params.fast, params.slow, slow_upd)
        if reset_state:
            new_fast = tree.map(lambda f, d: f + d, params.fast, fast_sync)
            fast_state = fast_optimizer.init(new_fast)
        return LookaheadParams(fast_sync, slow_upd), LookaheadState(fast_state, 0)

    return GradientTransformation(init_fn, update_fn)
