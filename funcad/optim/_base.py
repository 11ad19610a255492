"""The optimizer protocol: GradientTransformation, chain, apply_updates, errors.

A gradient transformation is two pure functions in a NamedTuple: ``init(params)``
builds a state and ``update(updates, state, params)`` turns gradients into
updates. Updates are *added* to params, so transforms that end a chain output
the negative step. Everything else in :mod:`funcad.optim` is built from this.
"""

from __future__ import annotations

import inspect
import math
from typing import Any, Callable, NamedTuple, Union

import numpy as np

from funcad import tree

__all__ = [
    "OptimError", "OptimStateError", "TreeMismatchError", "LearningRateError",
    "GradientTransformation", "EmptyState", "chain", "apply_updates", "identity",
    "set_to_zero", "global_norm",
]

Schedule = Callable[[int], float]
ScalarOrSchedule = Union[float, Schedule]


# ----------------------------------------------------------------------------- errors

class OptimError(Exception):
    """Base class of the errors raised by :mod:`funcad.optim`."""


class OptimStateError(OptimError, TypeError):
    """``update`` got a state that ``init`` did not build.

    Cause: a state of the wrong type (``None``, a state from another optimizer,
    a state from before the optimizer was rebuilt). Fix: call
    ``state = opt.init(params)`` once and pass the state returned by the previous
    ``update`` to the next one.
    """


class TreeMismatchError(OptimError, ValueError):
    """Two pytrees that must have one structure do not.

    Cause: gradients with a different structure from the params given to
    ``init`` (a missing key, a tuple instead of a list). Fix: differentiate with
    respect to the same params tree you passed to ``init``. The message prints
    both structures.
    """


class LearningRateError(OptimError, ValueError):
    """A learning rate or a schedule's value is not a finite number >= 0.

    Cause: ``nan``/``inf``/negative learning rate, or a schedule that returns one
    at some step. Fix: pass a finite, non-negative rate, or correct the
    schedule's parameters (the message names the step).
    """


# ----------------------------------------------------------------------------- protocol

class GradientTransformation(NamedTuple):
    """A pair of pure functions that turns gradients into updates.

    Attributes:
      init: ``params -> state``; the state is a pytree of NumPy arrays and numbers.
      update: ``(updates, state, params=None) -> (updates, new_state)``.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> opt = optim.sgd(0.1)
        >>> params = {"w": np.array([1.0, 2.0])}
        >>> state = opt.init(params)
        >>> updates, state = opt.update({"w": np.array([1.0, 1.0])}, state, params)
        >>> optim.apply_updates(params, updates)
        {'w': array([0.9, 1.9])}
    """

    init: Callable[[Any], Any]
    update: Callable[..., tuple]


class EmptyState(NamedTuple):
    """The state of a stateless transform."""


def _accepts_extra(update: Callable) -> bool | frozenset:
    """True if ``update`` takes ``**kwargs``, else the set of keyword names it takes."""
    try:
        sig = inspect.signature(update)
    except (TypeError, ValueError):  # builtins and the like
        return frozenset()
    if any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values()):
        return True
    return frozenset(n for n, p in sig.parameters.items()
                     if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD))


def call_update(tx: GradientTransformation, updates, state, params, extra: dict):
    """Call ``tx.update``, passing only the extra keyword arguments it declares."""
    if not extra:
        return tx.update(updates, state, params)
    accepted = _accepts_extra(tx.update)
    if accepted is not True:
        extra = {k: v for k, v in extra.items() if k in accepted}
    return tx.update(updates, state, params, **extra)


def chain(*transforms: GradientTransformation) -> GradientTransformation:
    """Compose transforms: each one's updates feed the next.

    Extra keyword arguments given to the chained ``update`` (``value=``,
    ``value_fn=`` for line searches) go to every inner transform that accepts them.

    Args:
      *transforms: the transforms, applied left to right.

    Returns:
      A transform whose state is the tuple of the inner states.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> opt = optim.chain(optim.clip(1.0), optim.scale(-0.5))
        >>> state = opt.init(np.zeros(2))
        >>> opt.update(np.array([4.0, -0.5]), state)[0]
        array([-0.5 ,  0.25])
    """
    for i, tx in enumerate(transforms):
        if not isinstance(tx, GradientTransformation):
            raise TypeError(f"chain: argument {i} is {tx!r}, not a GradientTransformation; "
                            "pass transforms such as optim.scale(-0.1), not factories or "
                            "functions (did you forget to call it?)")

    def init_fn(params):
        return tuple(tx.init(params) for tx in transforms)

    def update_fn(updates, state, params=None, **extra):
        if not isinstance(state, tuple) or len(state) != len(transforms):
            raise OptimStateError(
                f"chain.update: state must be the tuple of {len(transforms)} inner states "
                f"returned by init(params), got {type(state).__name__}: {_show(state)}; "
                "call state = opt.init(params) first and pass each update's new state to the "
                "next call")
        new_states = []
        for tx, s in zip(transforms, state):
            updates, s = call_update(tx, updates, s, params, extra)
            new_states.append(s)
        return updates, tuple(new_states)

    return GradientTransformation(init_fn, update_fn)


def apply_updates(params: Any, updates: Any) -> Any:
    """Add updates to params leaf by leaf, keeping each param's dtype.

    Args:
      params: a pytree of arrays.
      updates: a pytree of the same structure (``None`` leaves are skipped).

    Returns:
      ``params + updates``, each leaf cast back to its param's dtype.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> p = optim.apply_updates(np.ones(2, np.float32), np.array([0.5, -1.0]))
        >>> p, p.dtype
        (array([1.5, 0. ], dtype=float32), dtype('float32'))
    """
    p_leaves, p_def = tree.flatten(params)
    u_leaves = leaves_like("apply_updates", p_def, updates, "updates", ref_name="params")
    out = []
    for p, u in zip(p_leaves, u_leaves):
        if u is None:
            out.append(p)
            continue
        dtype = p.dtype if hasattr(p, "dtype") else np.result_type(p)
        if not (isinstance(p, _PLAIN) and isinstance(u, _PLAIN)):   # traced (fad.jit's step)
            out.append((p + u).astype(dtype))
            continue
        new = np.asarray(np.asarray(p) + u).astype(dtype, copy=False)
        # Arrays (0-d included) stay arrays; Python and NumPy scalars stay scalars.
        out.append(new if isinstance(p, np.ndarray) else dtype.type(new))
    return tree.unflatten(p_def, out)


_PLAIN = (np.ndarray, np.generic, float, int, complex)


def identity() -> GradientTransformation:
    """A transform that returns the updates unchanged.

    Returns:
      The identity GradientTransformation (state: :class:`EmptyState`).

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> optim.identity().update(np.array([1.0]), optim.EmptyState())[0]
        array([1.])
    """

    def init_fn(params):
        return EmptyState()

    def update_fn(updates, state, params=None):
        expect_state("identity", state, EmptyState)
        return updates, state

    return GradientTransformation(init_fn, update_fn)


def set_to_zero() -> GradientTransformation:
    """A transform that replaces every update with zeros (freezes params).

    Returns:
      A GradientTransformation (state: :class:`EmptyState`).

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> optim.set_to_zero().update(np.array([3.0]), optim.EmptyState())[0]
        array([0.])
    """

    def init_fn(params):
        return EmptyState()

    def update_fn(updates, state, params=None):
        expect_state("set_to_zero", state, EmptyState)
        return tree.map(np.zeros_like, updates), state

    return GradientTransformation(init_fn, update_fn)


def global_norm(updates: Any) -> float:
    """The L2 norm of all leaves of a pytree taken together.

    Args:
      updates: a pytree of arrays.

    Returns:
      ``sqrt(sum of squares of every element)`` as a NumPy scalar.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> float(optim.global_norm({"a": np.array([3.0]), "b": np.array([4.0])}))
        5.0
    """
    leaves = [x for x in tree.leaves(updates) if x is not None]
    if not leaves:
        return np.float64(0.0)
    return np.sqrt(sum(np.sum(np.square(np.abs(x))) for x in leaves))


# ----------------------------------------------------------------------------- helpers

def _show(x: Any, limit: int = 80) -> str:
    text = repr(x)
    return text if len(text) <= limit else text[:limit] + "..."


def expect_state(where: str, state: Any, cls: type) -> None:
    """Raise OptimStateError unless ``state`` is an instance of ``cls``."""
    if not isinstance(state, cls):
        raise OptimStateError(
            f"{where}.update: expected the {cls.__name__} returned by init(params), got "
            f"{type(state).__name__}: {_show(state)}; call state = opt.init(params) first and "
            "pass the state returned by each update to the next call")


def leaves_like(where: str, ref_def: tree.PyTreeDef, other: Any, other_name: str,
                ref_name: str = "updates") -> list:
    """Flatten ``other`` and check that its structure is ``ref_def``."""
    leaves, other_def = tree.flatten(other)
    if other_def != ref_def:
        raise TreeMismatchError(
            f"{where}: the {other_name} tree does not match the {ref_name} tree\n"
            + tree.describe_mismatch(ref_def, other_def, ref_name, other_name) + "\n"
            "Pass gradients/updates with the same structure as the params given to init()")
    return leaves


def check_params(where: str, updates: Any, params: Any, required: bool = False) -> None:
    """Check that params (when given, or when ``required``) match the updates' structure."""
    if params is None:
        if required:
            raise TypeError(f"{where}.update needs params: call update(updates, state, params)")
        return
    leaves_like(where, tree.structure(updates), params, "params")


def tree_map_checked(where: str, fn: Callable, updates: Any, *others: tuple[str, Any]) -> Any:
    """``tree.map(fn, updates, *others)`` with a clear error on a structure mismatch.

    ``others`` are ``(name, tree)`` pairs; the name appears in the error message.
    """
    u_leaves, u_def = tree.flatten(updates)
    rest = [leaves_like(where, u_def, t, name) for name, t in others]
    return tree.unflatten(u_def, [fn(*args) for args in zip(u_leaves, *rest)])


def zeros_like_tree(params: Any, dtype=None) -> Any:
    """A pytree of zeros shaped like ``params`` (same dtype unless ``dtype``)."""
    return tree.map(lambda p: np.zeros_like(np.asarray(p), dtype=dtype), params)


def full_like_tree(params: Any, value: float, dtype=None) -> Any:
    """A pytree of ``value`` shaped like ``params``."""
    return tree.map(lambda p: np.full_like(np.asarray(p), value, dtype=dtype), params)


def moment(updates: Any, moments: Any, decay: float, order: int, where: str) -> Any:
    """Exponential moving average of ``updates ** order``: ``decay*m + (1-decay)*g**order``."""
    decay = float(decay)
    if order == 1:
        fn = lambda g, m: decay * m + (1.0 - decay) * g
    else:
        fn = lambda g, m: decay * m + (1.0 - decay) * (np.abs(g) ** order if order != 2
                                                         else np.square(np.abs(g)))
    return tree_map_checked(where, fn, updates, ("state (from init)", moments))


def bias_correction(moments: Any, decay: float, count: int) -> Any:
    """Divide by ``1 - decay**count`` (Adam's debiasing; ``count`` starts at 1)."""
    c = 1.0 - float(decay) ** count
    return tree.map(lambda m: m / c, moments)


def cast_tree(x: Any, dtype) -> Any:
    """Cast every leaf to ``dtype`` (no-op when ``dtype`` is None)."""
    if dtype is None:
        return x
    return tree.map(lambda a: np.asarray(a).astype(dtype), x)


def check_rate(where: str, value: Any, step: int | None = None, name: str = "learning rate"
               ) -> float:
    """Return ``value`` as a float, or raise LearningRateError if not finite and >= 0."""
    try:
        if isinstance(value, (str, bytes)):
            raise TypeError
        v = float(value)
    except (TypeError, ValueError):
        raise LearningRateError(
            f"{where}: the {name} must be a number or a schedule (step -> number), "
            f"got {_show(value)}") from None
    if not math.isfinite(v) or v < 0:
        at = "" if step is None else f" returned by the schedule at step {step}"
        fix = ("check the schedule's parameters (init/end values, decay rates, boundaries)"
               if step is not None else "pass a finite number >= 0")
        if not math.isfinite(v):
            rule = "must be finite"
        else:
            rule = "must be >= 0 (to maximise, negate the loss instead)"
        raise LearningRateError(f"{where}: the {name} {rule}, got {v!r}{at}; {fix}")
    return v


def check_positive_int(where: str, name: str, value: Any, minimum: int = 1) -> int:
    """Return ``value`` as an int, or raise ValueError if it is not an int >= ``minimum``."""
    if isinstance(value, bool) or int(value) != value or value < minimum:
        raise ValueError(f"{where}: {name} must be an integer >= {minimum}, got {value!r}")
    return int(value)
