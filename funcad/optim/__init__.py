"""funcad.optim: optax's gradient transformations on plain NumPy.

An optimizer is a :class:`GradientTransformation`, a pair of pure functions
``init(params) -> state`` and ``update(grads, state, params) -> (updates, state)``.
Updates are *added* to params (:func:`apply_updates`), so optimizers output the
negative step. Aliases such as :func:`adam` are one ``chain(...)`` of the
transforms below; a learning rate is a float or a schedule ``step -> rate``.

Example:
    >>> import numpy as np
    >>> from funcad import optim
    >>> opt = optim.adam(0.1)
    >>> params = {"x": np.array([1.0, -2.0])}
    >>> state = opt.init(params)
    >>> for _ in range(200):
    ...     grads = {"x": 2 * params["x"]}          # gradient of sum(x**2)
    ...     updates, state = opt.update(grads, state, params)
    ...     params = optim.apply_updates(params, updates)
    >>> bool(np.all(np.abs(params["x"]) < 1e-2))
    True
"""

from ._base import (
    EmptyState, GradientTransformation, LearningRateError, OptimError, OptimStateError,
    TreeMismatchError, apply_updates, chain, global_norm, identity, set_to_zero,
)
from ._schedules import (
    constant_schedule, cosine_decay_schedule, cosine_onecycle_schedule, exponential_decay,
    join_schedules, linear_schedule, piecewise_constant_schedule,
    piecewise_interpolate_schedule, polynomial_schedule, sgdr_schedule,
    warmup_constant_schedule, warmup_cosine_decay_schedule,
)
from ._transforms import (
    ScaleByAdaDeltaState, ScaleByAdamState, ScaleByAmsgradState, ScaleByLionState,
    ScaleByRmsState, ScaleByRssState, ScaleByRStdDevState, scale_by_adadelta, scale_by_adam,
    scale_by_adamax, scale_by_amsgrad, scale_by_lion, scale_by_nadam, scale_by_radam,
    scale_by_rms, scale_by_rss, scale_by_sign, scale_by_stddev, scale_by_trust_ratio,
    scale_by_yogi,
)
from ._combinators import (
    ApplyIfFiniteState, InjectHyperparamsState, LookaheadParams, LookaheadState, MaskedState,
    MultiSteps, MultiStepsState, MultiTransformState, apply_if_finite, inject_hyperparams,
    lookahead, masked, multi_transform,
)
from ._modifiers import (
    AddNoiseState, EmaState, ScaleByScheduleState, TraceState, ZeroNansState,
    add_decayed_weights, add_noise, centralize, clip, clip_by_block_rms, clip_by_global_norm,
    ema, keep_params_nonnegative, normalize_by_update_norm, scale, scale_by_learning_rate,
    scale_by_schedule, trace, zero_nans,
)
from ._lbfgs import (
    BacktrackingLinesearchState, ScaleByLbfgsState, lbfgs, scale_by_backtracking_linesearch,
    scale_by_lbfgs, value_and_grad_from_state,
)
from ._aliases import (
    adadelta, adagrad, adam, adamax, adamw, amsgrad, lamb, lion, momentum, nadam,
    noisy_sgd, radam, rmsprop, sgd, sign_sgd, yogi,
)

__all__ = [
    # protocol and errors
    "GradientTransformation", "EmptyState", "chain", "apply_updates", "identity",
    "set_to_zero", "global_norm", "OptimError", "OptimStateError", "TreeMismatchError",
    "LearningRateError",
    # aliases
    "sgd", "momentum", "adagrad", "rmsprop", "adadelta", "adam", "adamw", "adamax",
    "amsgrad", "nadam", "radam", "lamb", "lion", "yogi", "sign_sgd", "noisy_sgd", "lbfgs",
    # adaptive transforms
    "scale_by_adam", "scale_by_nadam", "scale_by_adamax", "scale_by_amsgrad",
    "scale_by_radam", "scale_by_yogi", "scale_by_rms", "scale_by_stddev", "scale_by_rss",
    "scale_by_adadelta", "scale_by_lion", "scale_by_sign", "scale_by_trust_ratio",
    "scale_by_lbfgs", "scale_by_backtracking_linesearch", "value_and_grad_from_state",
    "ScaleByAdamState", "ScaleByAmsgradState", "ScaleByRmsState", "ScaleByRStdDevState",
    "ScaleByRssState", "ScaleByAdaDeltaState", "ScaleByLionState", "ScaleByLbfgsState",
    "BacktrackingLinesearchState",
    # simple transforms
    "scale", "scale_by_learning_rate", "scale_by_schedule", "trace", "ema", "clip",
    "clip_by_global_norm", "clip_by_block_rms", "normalize_by_update_norm",
    "add_decayed_weights", "add_noise", "centralize", "zero_nans", "keep_params_nonnegative",
    "ScaleByScheduleState", "TraceState", "EmaState", "AddNoiseState", "ZeroNansState",
    # combinators
    "masked", "multi_transform", "MultiSteps", "apply_if_finite", "inject_hyperparams",
    "lookahead", "LookaheadParams", "MaskedState", "MultiTransformState", "MultiStepsState",
    "ApplyIfFiniteState", "InjectHyperparamsState", "LookaheadState",
    # schedules
    "constant_schedule", "linear_schedule", "polynomial_schedule", "exponential_decay",
    "cosine_decay_schedule", "warmup_cosine_decay_schedule", "warmup_constant_schedule",
    "piecewise_constant_schedule", "piecewise_interpolate_schedule",
    "cosine_onecycle_schedule", "sgdr_schedule", "join_schedules",
]
