"""Adaptive ``scale_by_<alg>`` transforms: Adam and its family, RMS, Adagrad, Lion...

Each transform outputs the *ascent* direction (a preconditioned gradient); an
alias chains it with ``scale_by_learning_rate``, which flips the sign. The
formulas, defaults and the placement of ``eps`` follow optax: ``eps`` is added
outside the square root, ``eps_root`` inside it.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from funcad import tree

from ._base import (
    EmptyState, GradientTransformation, bias_correction, cast_tree, check_params, count_power,
    expect_state, full_like_tree, is_traced, moment, scalar_like, tree_map_checked, zero_count,
    zeros_like_tree,
)

__all__ = [
    "ScaleByAdamState", "scale_by_adam", "scale_by_nadam", "scale_by_adamax",
    "ScaleByAmsgradState", "scale_by_amsgrad", "scale_by_radam", "scale_by_yogi",
    "ScaleByRmsState", "scale_by_rms", "ScaleByRStdDevState", "scale_by_stddev",
    "ScaleByRssState", "scale_by_rss", "ScaleByAdaDeltaState", "scale_by_adadelta",
    "ScaleByLionState", "scale_by_lion", "scale_by_sign", "scale_by_trust_ratio",
]

_STATE = "state (from init)"


def _mu_and_nu(where, updates, state, b1, b2):
    """The shared first and second moment update of the Adam family."""
    mu = moment(updates, state.mu, b1, 1, where)
    nu = moment(updates, state.nu, b2, 2, where)
    return mu, nu


def _adam_direction(mu_hat, nu_hat, eps, eps_root):
    return tree.map(lambda m, v: m / (np.sqrt(v + eps_root) + eps), mu_hat, nu_hat)


def _nesterov(mu, updates, b1, count):
    """NAdam's look-ahead first moment, debiased at ``count`` and ``count + 1``."""
    c1, c2 = 1.0 - count_power(b1, count + 1), 1.0 - count_power(b1, count)
    return tree.map(lambda m, g: b1 * m / scalar_like(c1, m) + (1.0 - b1) * g
                    / scalar_like(c2, g), mu, updates)


class ScaleByAdamState(NamedTuple):
    count: np.int32  # number of updates so far (the bias-correction exponent is count + 1)
    mu: Any     # first moment: EMA of the gradients, shaped like params
    nu: Any     # second moment: EMA of the squared gradients, shaped like params


def scale_by_adam(b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
                  eps_root: float = 0.0, mu_dtype=None, *,
                  nesterov: bool = False) -> GradientTransformation:
    """Rescale updates with Adam's bias-corrected moments (Kingma & Ba, 2014).

    ``update = mu_hat / (sqrt(nu_hat + eps_root) + eps)``; with ``nesterov=True``
    ``mu_hat`` is Nesterov's look-ahead (NAdam, Dozat 2016).

    Args:
      b1: decay of the first moment.
      b2: decay of the second moment.
      eps: added to the denominator outside the square root.
      eps_root: added inside the square root.
      mu_dtype: dtype of the first moment (default: that of params).
      nesterov: use Nesterov momentum (NAdam).

    Returns:
      A GradientTransformation with state :class:`ScaleByAdamState`.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> tx = optim.scale_by_adam()
        >>> state = tx.init(np.zeros(2))
        >>> tx.update(np.array([0.5, -2.0]), state)[0].round(6)  # first step: ~sign(g)
        array([ 1., -1.])
    """
    b1, b2, eps, eps_root = float(b1), float(b2), float(eps), float(eps_root)

    def init_fn(params):
        return ScaleByAdamState(zero_count(), zeros_like_tree(params, mu_dtype), zeros_like_tree(params))

    def update_fn(updates, state, params=None):
        where = "scale_by_nadam" if nesterov else "scale_by_adam"
        expect_state(where, state, ScaleByAdamState)
        mu, nu = _mu_and_nu(where, updates, state, b1, b2)
        count = state.count + 1
        if nesterov:
            mu_hat = _nesterov(mu, updates, b1, count)
        else:
            mu_hat = bias_correction(mu, b1, count)
        nu_hat = bias_correction(nu, b2, count)
        updates = _adam_direction(mu_hat, nu_hat, eps, eps_root)
        return updates, ScaleByAdamState(count, cast_tree(mu, mu_dtype), nu)

    return GradientTransformation(init_fn, update_fn)


def scale_by_nadam(b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
                   eps_root: float = 0.0, mu_dtype=None) -> GradientTransformation:
    """NAdam: :func:`scale_by_adam` with ``nesterov=True``.

    Args:
      b1, b2, eps, eps_root, mu_dtype: as in :func:`scale_by_adam`.

    Returns:
      A GradientTransformation with state :class:`ScaleByAdamState`.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> tx = optim.scale_by_nadam()
        >>> tx.update(np.array([1.0]), tx.init(np.zeros(1)))[0].round(6)
        array([1.473684])
    """
    return scale_by_adam(b1, b2, eps, eps_root, mu_dtype, nesterov=True)


def scale_by_adamax(b1: float = 0.9, b2: float = 0.999,
                    eps: float = 1e-8) -> GradientTransformation:
    """Adamax: Adam with the infinity norm (Kingma & Ba, 2014, section 7).

    ``nu = max(b2 * nu, |g| + eps)``; ``update = mu_hat / nu``.

    Args:
      b1: decay of the first moment.
      b2: decay of the infinity norm.
      eps: added to ``|g|`` so the denominator is never 0.

    Returns:
      A GradientTransformation with state :class:`ScaleByAdamState`.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> tx = optim.scale_by_adamax()
        >>> tx.update(np.array([2.0]), tx.init(np.zeros(1)))[0]
        array([1.])
    """
    b1, b2, eps = float(b1), float(b2), float(eps)

    def init_fn(params):
        return ScaleByAdamState(zero_count(), zeros_like_tree(params), zeros_like_tree(params))

    def update_fn(updates, state, params=None):
        expect_state("scale_by_adamax", state, ScaleByAdamState)
        mu = moment(updates, state.mu, b1, 1, "scale_by_adamax")
        nu = tree_map_checked("scale_by_adamax",
                              lambda g, v: np.maximum(b2 * v, np.abs(g) + eps),
                              updates, (_STATE, state.nu))
        count = state.count + 1
        mu_hat = bias_correction(mu, b1, count)
        return tree.map(lambda m, v: m / v, mu_hat, nu), ScaleByAdamState(count, mu, nu)

    return GradientTransformation(init_fn, update_fn)


class ScaleByAmsgradState(NamedTuple):
    count: np.int32  # number of updates so far
    mu: Any      # EMA of the gradients
    nu: Any      # EMA of the squared gradients
    nu_max: Any  # running maximum of the bias-corrected nu


def scale_by_amsgrad(b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
                     eps_root: float = 0.0, mu_dtype=None) -> GradientTransformation:
    """AMSGrad: Adam with a non-decreasing second moment (Reddi et al., 2018).

    As in optax, the maximum is taken over the *bias-corrected* ``nu``.

    Args:
      b1, b2, eps, eps_root, mu_dtype: as in :func:`scale_by_adam`.

    Returns:
      A GradientTransformation with state :class:`ScaleByAmsgradState`.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> tx = optim.scale_by_amsgrad()
        >>> tx.update(np.array([-3.0]), tx.init(np.zeros(1)))[0]
        array([-1.])
    """
    b1, b2, eps, eps_root = float(b1), float(b2), float(eps), float(eps_root)

    def init_fn(params):
        return ScaleByAmsgradState(zero_count(), zeros_like_tree(params, mu_dtype),
                                   zeros_like_tree(params), zeros_like_tree(params))

    def update_fn(updates, state, params=None):
        expect_state("scale_by_amsgrad", state, ScaleByAmsgradState)
        mu, nu = _mu_and_nu("scale_by_amsgrad", updates, state, b1, b2)
        count = state.count + 1
        mu_hat = bias_correction(mu, b1, count)
        nu_hat = bias_correction(nu, b2, count)
        nu_max = tree.map(np.maximum, state.nu_max, nu_hat)
        updates = _adam_direction(mu_hat, nu_max, eps, eps_root)
        return updates, ScaleByAmsgradState(count, cast_tree(mu, mu_dtype), nu, nu_max)

    return GradientTransformation(init_fn, update_fn)


def scale_by_radam(b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
                   eps_root: float = 0.0, threshold: float = 5.0, *,
                   nesterov: bool = False) -> GradientTransformation:
    """Rectified Adam (Liu et al., 2020).

    While the variance estimate is unreliable (``rho_t < threshold``) the update
    is the bias-corrected momentum alone; afterwards it is Adam's times the
    rectification factor ``r_t``.

    Args:
      b1, b2, eps, eps_root: as in :func:`scale_by_adam`.
      threshold: the ``rho_t`` from which the adaptive step is used.
      nesterov: use Nesterov momentum for ``mu_hat``.

    Returns:
      A GradientTransformation with state :class:`ScaleByAdamState`.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> tx = optim.scale_by_radam()
        >>> tx.update(np.array([3.0]), tx.init(np.zeros(1)))[0]  # momentum only at first
        array([3.])
    """
    b1, b2, eps, eps_root = float(b1), float(b2), float(eps), float(eps_root)
    ro_inf = 2.0 / (1.0 - b2) - 1.0

    def init_fn(params):
        return ScaleByAdamState(zero_count(), zeros_like_tree(params), zeros_like_tree(params))

    def update_fn(updates, state, params=None):
        expect_state("scale_by_radam", state, ScaleByAdamState)
        mu, nu = _mu_and_nu("scale_by_radam", updates, state, b1, b2)
        count = state.count + 1
        b2t = count_power(b2, count)
        ro = ro_inf - 2.0 * count * b2t / (1.0 - b2t)
        if nesterov:
            mu_hat = _nesterov(mu, updates, b1, count)
        else:
            mu_hat = bias_correction(mu, b1, count)
        if ro >= threshold:
            nu_hat = bias_correction(nu, b2, count)
            r = np.sqrt((ro - 4.0) * (ro - 2.0) * ro_inf / ((ro_inf - 4.0) * (ro_inf - 2.0) * ro))
            r = r if is_traced(r) else float(r)     # traced under jit: no guard per step
            out = tree.map(lambda m, v: scalar_like(r, m) * m / (np.sqrt(v + eps_root) + eps),
                           mu_hat, nu_hat)
        else:
            out = mu_hat
        return out, ScaleByAdamState(count, mu, nu)

    return GradientTransformation(init_fn, update_fn)


def scale_by_yogi(b1: float = 0.9, b2: float = 0.999, eps: float = 1e-3,
                  eps_root: float = 0.0,
                  initial_accumulator_value: float = 1e-6) -> GradientTransformation:
    """Yogi: Adam with an additive second-moment update (Zaheer et al., 2018).

    ``nu = nu - (1 - b2) * sign(nu - g**2) * g**2``.

    Args:
      b1, b2, eps, eps_root: as in :func:`scale_by_adam` (note ``eps=1e-3``).
      initial_accumulator_value: the initial value of both moments.

    Returns:
      A GradientTransformation with state :class:`ScaleByAdamState`.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> tx = optim.scale_by_yogi()
        >>> tx.update(np.array([1.0]), tx.init(np.zeros(1)))[0].round(3)
        array([0.999])
    """
    b1, b2, eps, eps_root = float(b1), float(b2), float(eps), float(eps_root)
    init_value = float(initial_accumulator_value)

    def init_fn(params):
        return ScaleByAdamState(zero_count(), full_like_tree(params, init_value),
                                full_like_tree(params, init_value))

    def nu_step(g, v):
        g2 = np.square(g)
        return v - (1.0 - b2) * np.sign(v - g2) * g2

    def update_fn(updates, state, params=None):
        expect_state("scale_by_yogi", state, ScaleByAdamState)
        mu = moment(updates, state.mu, b1, 1, "scale_by_yogi")
        nu = tree_map_checked("scale_by_yogi", nu_step, updates, (_STATE, state.nu))
        count = state.count + 1
        mu_hat = bias_correction(mu, b1, count)
        nu_hat = bias_correction(nu, b2, count)
        return _adam_direction(mu_hat, nu_hat, eps, eps_root), ScaleByAdamState(count, mu, nu)

    return GradientTransformation(init_fn, update_fn)


class ScaleByRmsState(NamedTuple):
    count: np.int32  # number of updates so far (used when bias_correction=True)
    nu: Any     # EMA of the squared gradients


def _rms_scale(g, nu_hat, eps, eps_in_sqrt):
    if eps_in_sqrt:
        return g / np.sqrt(nu_hat + eps)
    return g / (np.sqrt(nu_hat) + eps)


def scale_by_rms(decay: float = 0.9, eps: float = 1e-8, initial_scale: float = 0.0,
                 eps_in_sqrt: bool = True,
                 bias_correction: bool = False) -> GradientTransformation:
    """Divide by the root of an EMA of squared gradients (RMSProp, Hinton 2012).

    ``update = g / sqrt(nu + eps)`` (``eps_in_sqrt=True``, optax's default) or
    ``g / (sqrt(nu) + eps)``.

    Args:
      decay: decay of the squared-gradient EMA.
      eps: the stabiliser; see ``eps_in_sqrt``.
      initial_scale: the initial value of ``nu``.
      eps_in_sqrt: put ``eps`` inside the square root.
      bias_correction: debias ``nu`` like Adam.

    Returns:
      A GradientTransformation with state :class:`ScaleByRmsState`.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> tx = optim.scale_by_rms(decay=0.75)
        >>> tx.update(np.array([1.0]), tx.init(np.zeros(1)))[0].round(6)
        array([2.])
    """
    decay, eps, init_value = float(decay), float(eps), float(initial_scale)
    debias = bias_correction

    def init_fn(params):
        return ScaleByRmsState(zero_count(), full_like_tree(params, init_value))

    def update_fn(updates, state, params=None):
        expect_state("scale_by_rms", state, ScaleByRmsState)
        nu = moment(updates, state.nu, decay, 2, "scale_by_rms")
        count = state.count + 1
        nu_hat = _debias(nu, decay, count) if debias else nu
        out = tree.map(lambda g, v: _rms_scale(g, v, eps, eps_in_sqrt), updates, nu_hat)
        return out, ScaleByRmsState(count, nu)

    return GradientTransformation(init_fn, update_fn)


_debias = bias_correction  # scale_by_rms's argument of the same name hides the helper


class ScaleByRStdDevState(NamedTuple):
    count: np.int32  # number of updates so far (used when bias_correction=True)
    mu: Any     # EMA of the gradients
    nu: Any     # EMA of the squared gradients


def scale_by_stddev(decay: float = 0.9, eps: float = 1e-8, initial_scale: float = 0.0,
                    eps_in_sqrt: bool = True,
                    bias_correction: bool = False) -> GradientTransformation:
    """Divide by a running standard deviation of the gradients (centered RMSProp).

    ``update = g / sqrt(nu - mu**2 + eps)`` (or ``g / (sqrt(nu - mu**2) + eps)``).

    Args:
      decay, eps, initial_scale, eps_in_sqrt, bias_correction: as in
        :func:`scale_by_rms`.

    Returns:
      A GradientTransformation with state :class:`ScaleByRStdDevState`.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> tx = optim.scale_by_stddev(decay=0.75)
        >>> tx.update(np.array([1.0]), tx.init(np.zeros(1)))[0].round(6)
        array([2.309401])
    """
    decay, eps, init_value = float(decay), float(eps), float(initial_scale)
    debias = bias_correction

    def init_fn(params):
        return ScaleByRStdDevState(zero_count(), zeros_like_tree(params),
                                   full_like_tree(params, init_value))

    def update_fn(updates, state, params=None):
        expect_state("scale_by_stddev", state, ScaleByRStdDevState)
        mu, nu = _mu_and_nu("scale_by_stddev", updates, state, decay, decay)
        count = state.count + 1
        mu_hat = _debias(mu, decay, count) if debias else mu
        nu_hat = _debias(nu, decay, count) if debias else nu
        out = tree.map(lambda g, m, v: _rms_scale(g, v - np.square(m), eps, eps_in_sqrt),
                       updates, mu_hat, nu_hat)
        return out, ScaleByRStdDevState(count, mu, nu)

    return GradientTransformation(init_fn, update_fn)


class ScaleByRssState(NamedTuple):
    sum_of_squares: Any  # running sum of squared gradients (plus the initial value)


def scale_by_rss(initial_accumulator_value: float = 0.1,
                 eps: float = 1e-7) -> GradientTransformation:
    """Divide by the root of the sum of squared gradients (Adagrad, Duchi et al. 2011).

    ``update = g / sqrt(sum_of_squares + eps)`` where the sum is > 0, else 0.

    Args:
      initial_accumulator_value: the starting value of the sum.
      eps: added inside the square root.

    Returns:
      A GradientTransformation with state :class:`ScaleByRssState`.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> tx = optim.scale_by_rss(initial_accumulator_value=0.0, eps=0.0)
        >>> tx.update(np.array([-2.0]), tx.init(np.zeros(1)))[0]
        array([-1.])
    """
    init_value, eps = float(initial_accumulator_value), float(eps)

    def init_fn(params):
        return ScaleByRssState(full_like_tree(params, init_value))

    def scaled(g, s):
        with np.errstate(divide="ignore", invalid="ignore"):
            inv = np.where(s > 0, 1.0 / np.sqrt(s + eps), 0.0).astype(np.result_type(g, s))
        return inv * g

    def update_fn(updates, state, params=None):
        expect_state("scale_by_rss", state, ScaleByRssState)
        sos = tree_map_checked("scale_by_rss", lambda g, s: s + np.square(g), updates,
                               (_STATE, state.sum_of_squares))
        return tree.map(scaled, updates, sos), ScaleByRssState(sos)

    return GradientTransformation(init_fn, update_fn)


class ScaleByAdaDeltaState(NamedTuple):
    e_g: Any  # EMA of the squared gradients
    e_x: Any  # EMA of the squared updates


def scale_by_adadelta(rho: float = 0.9, eps: float = 1e-6) -> GradientTransformation:
    """Adadelta's unit-corrected step (Zeiler, 2012).

    ``update = sqrt(e_x + eps) / sqrt(e_g + eps) * g`` with ``e_x`` the EMA of
    past squared updates.

    Args:
      rho: decay of both EMAs.
      eps: added inside both square roots.

    Returns:
      A GradientTransformation with state :class:`ScaleByAdaDeltaState`.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> tx = optim.scale_by_adadelta(rho=0.0, eps=1.0)
        >>> tx.update(np.array([0.0]), tx.init(np.zeros(1)))[0]
        array([0.])
    """
    rho, eps = float(rho), float(eps)

    def init_fn(params):
        return ScaleByAdaDeltaState(zeros_like_tree(params), zeros_like_tree(params))

    def update_fn(updates, state, params=None):
        expect_state("scale_by_adadelta", state, ScaleByAdaDeltaState)
        e_g = moment(updates, state.e_g, rho, 2, "scale_by_adadelta")
        out = tree.map(lambda g, eg, ex: np.sqrt(ex + eps) / np.sqrt(eg + eps) * g,
                       updates, e_g, state.e_x)
        e_x = tree.map(lambda u, ex: rho * ex + (1.0 - rho) * np.square(u), out, state.e_x)
        return out, ScaleByAdaDeltaState(e_g, e_x)

    return GradientTransformation(init_fn, update_fn)


class ScaleByLionState(NamedTuple):
    count: np.int32  # number of updates so far
    mu: Any     # EMA of the gradients (decay b2)


def scale_by_lion(b1: float = 0.9, b2: float = 0.99, mu_dtype=None) -> GradientTransformation:
    """Lion's sign update (Chen et al., 2023).

    ``update = sign((1 - b1) * g + b1 * mu)``; then ``mu = b2 * mu + (1 - b2) * g``.

    Args:
      b1: interpolation used for the update direction.
      b2: decay of the momentum.
      mu_dtype: dtype of the momentum.

    Returns:
      A GradientTransformation with state :class:`ScaleByLionState`.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> tx = optim.scale_by_lion()
        >>> tx.update(np.array([0.3, -7.0]), tx.init(np.zeros(2)))[0]
        array([ 1., -1.])
    """
    b1, b2 = float(b1), float(b2)

    def init_fn(params):
        return ScaleByLionState(zero_count(), zeros_like_tree(params, mu_dtype))

    def update_fn(updates, state, params=None):
        expect_state("scale_by_lion", state, ScaleByLionState)
        out = tree_map_checked("scale_by_lion",
                               lambda g, m: np.sign((1.0 - b1) * g + b1 * m).astype(
                                   np.result_type(g)), updates, (_STATE, state.mu))
        mu = moment(updates, state.mu, b2, 1, "scale_by_lion")
        return out, ScaleByLionState(state.count + 1, cast_tree(mu, mu_dtype))

    return GradientTransformation(init_fn, update_fn)


def scale_by_sign() -> GradientTransformation:
    """Replace each update by its sign (signSGD, Bernstein et al., 2018).

    Returns:
      A stateless GradientTransformation.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> tx = optim.scale_by_sign()
        >>> tx.update(np.array([-0.1, 0.0, 5.0]), tx.init(None))[0]
        array([-1.,  0.,  1.])
    """
    def init_fn(params):
        return EmptyState()

    def update_fn(updates, state, params=None):
        expect_state("scale_by_sign", state, EmptyState)
        return tree.map(np.sign, updates), state

    return GradientTransformation(init_fn, update_fn)


def scale_by_trust_ratio(min_norm: float = 0.0, trust_coefficient: float = 1.0,
                         eps: float = 0.0) -> GradientTransformation:
    """Scale each leaf's update by ``||param|| / ||update||`` (LARS/LAMB trust ratio).

    Where either norm is 0 the ratio is 1. ``||param||`` is floored at ``min_norm``.

    Args:
      min_norm: the smallest param norm used.
      trust_coefficient: multiplies the ratio.
      eps: added to the update norm.

    Returns:
      A stateless GradientTransformation that needs ``params``.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> tx = optim.scale_by_trust_ratio()
        >>> tx.update(np.array([0.0, 1.0]), tx.init(None), np.array([3.0, 4.0]))[0]
        array([0., 5.])
    """
    min_norm, trust_coefficient, eps = float(min_norm), float(trust_coefficient), float(eps)

    def ratio(u, p):
        p_norm = max(float(np.linalg.norm(np.ravel(p))), min_norm)
        u_norm = float(np.linalg.norm(np.ravel(u)))
        if p_norm == 0.0 or u_norm == 0.0:
            return u
        return u * (trust_coefficient * p_norm / (u_norm + eps))

    def init_fn(params):
        return EmptyState()

    def update_fn(updates, state, params=None):
        expect_state("scale_by_trust_ratio", state, EmptyState)
        check_params("scale_by_trust_ratio", updates, params, required=True)
        return tree.map(ratio, updates, params), state

    return GradientTransformation(init_fn, update_fn)
