"""Ready-made optimizers: each one is a single ``chain(...)`` of transforms.

Defaults follow optax. ``learning_rate`` is a float or a schedule
``step -> rate``; it must be finite and >= 0.
"""

from __future__ import annotations

from typing import Any

from ._base import GradientTransformation, ScalarOrSchedule, chain, identity
from ._modifiers import add_decayed_weights, add_noise, scale_by_learning_rate, trace
from ._transforms import (
    scale_by_adadelta, scale_by_adam, scale_by_adamax, scale_by_amsgrad, scale_by_lion,
    scale_by_radam, scale_by_rms, scale_by_rss, scale_by_sign, scale_by_stddev,
    scale_by_trust_ratio, scale_by_yogi,
)

__all__ = [
    "sgd", "momentum", "adagrad", "rmsprop", "adadelta", "adam", "adamw", "adamax",
    "amsgrad", "nadam", "radam", "lamb", "lion", "yogi", "sign_sgd", "noisy_sgd",
]


def sgd(learning_rate: ScalarOrSchedule, momentum: float | None = None,
        nesterov: bool = False, accumulator_dtype=None) -> GradientTransformation:
    """Stochastic gradient descent, optionally with (Nesterov) momentum.

    Args:
      learning_rate: a float or a schedule.
      momentum: the momentum coefficient, or None for plain SGD.
      nesterov: use Nesterov momentum.
      accumulator_dtype: dtype of the momentum buffer.

    Returns:
      ``chain(trace(momentum, nesterov), scale_by_learning_rate(learning_rate))``.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> opt = optim.sgd(0.1, momentum=0.9)
        >>> opt.update(np.array([1.0]), opt.init(np.zeros(1)))[0]
        array([-0.1])
    """
    return chain(
        trace(momentum, nesterov, accumulator_dtype) if momentum is not None else identity(),
        scale_by_learning_rate(learning_rate))


def momentum(learning_rate: ScalarOrSchedule, decay: float = 0.9,
             nesterov: bool = False) -> GradientTransformation:
    """SGD with heavy-ball momentum: :func:`sgd` with ``momentum=decay``.

    Args:
      learning_rate: a float or a schedule.
      decay: the momentum coefficient.
      nesterov: use Nesterov momentum.

    Returns:
      ``chain(trace(decay, nesterov), scale_by_learning_rate(learning_rate))``.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> opt = optim.momentum(0.1)
        >>> opt.update(np.array([2.0]), opt.init(np.zeros(1)))[0]
        array([-0.2])
    """
    return chain(trace(decay, nesterov), scale_by_learning_rate(learning_rate))


def adagrad(learning_rate: ScalarOrSchedule, initial_accumulator_value: float = 0.1,
            eps: float = 1e-7) -> GradientTransformation:
    """Adagrad (Duchi et al., 2011).

    Args:
      learning_rate: a float or a schedule.
      initial_accumulator_value: the starting sum of squares.
      eps: added inside the square root.

    Returns:
      ``chain(scale_by_rss(...), scale_by_learning_rate(learning_rate))``.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> opt = optim.adagrad(1.0, initial_accumulator_value=0.0, eps=0.0)
        >>> opt.update(np.array([3.0]), opt.init(np.zeros(1)))[0]
        array([-1.])
    """
    return chain(scale_by_rss(initial_accumulator_value, eps),
                 scale_by_learning_rate(learning_rate))


def rmsprop(learning_rate: ScalarOrSchedule, decay: float = 0.9, eps: float = 1e-8,
            initial_scale: float = 0.0, eps_in_sqrt: bool = True, centered: bool = False,
            momentum: float | None = None, nesterov: bool = False,
            bias_correction: bool = False) -> GradientTransformation:
    """RMSProp (Hinton, 2012), optionally centered and with momentum.

    Args:
      learning_rate: a float or a schedule.
      decay, eps, initial_scale, eps_in_sqrt, bias_correction: see :func:`scale_by_rms`.
      centered: divide by the running standard deviation instead of the RMS.
      momentum: a momentum coefficient applied after the learning rate, or None.
      nesterov: use Nesterov momentum.

    Returns:
      ``chain(scale_by_rms or scale_by_stddev, scale_by_learning_rate, trace)``.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> opt = optim.rmsprop(0.1, decay=0.75)
        >>> opt.update(np.array([1.0]), opt.init(np.zeros(1)))[0].round(6)
        array([-0.2])
    """
    scaler = scale_by_stddev if centered else scale_by_rms
    return chain(
        scaler(decay, eps, initial_scale, eps_in_sqrt, bias_correction),
        scale_by_learning_rate(learning_rate),
        trace(momentum, nesterov) if momentum is not None else identity())


def adadelta(learning_rate: ScalarOrSchedule | None = None, rho: float = 0.9,
             eps: float = 1e-6, weight_decay: float = 0.0,
             weight_decay_mask: Any = None) -> GradientTransformation:
    """Adadelta (Zeiler, 2012).

    Args:
      learning_rate: a float or a schedule; None means 1 (Adadelta's own step).
      rho: the decay of both averages.
      eps: added inside the square roots.
      weight_decay: coupled weight decay added to the gradient first.
      weight_decay_mask: which leaves to decay (see :func:`masked`).

    Returns:
      ``chain(add_decayed_weights, scale_by_adadelta, scale_by_learning_rate)``.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> opt = optim.adadelta(rho=0.0, eps=1.0)
        >>> opt.update(np.array([0.0]), opt.init(np.zeros(1)), np.zeros(1))[0]
        array([-0.])
    """
    return chain(
        add_decayed_weights(weight_decay, weight_decay_mask),
        scale_by_adadelta(rho, eps),
        scale_by_learning_rate(1.0 if learning_rate is None else learning_rate))


def adam(learning_rate: ScalarOrSchedule, b1: float = 0.9, b2: float = 0.999,
         eps: float = 1e-8, eps_root: float = 0.0, mu_dtype=None, *,
         nesterov: bool = False) -> GradientTransformation:
    """Adam (Kingma & Ba, 2014).

    Args:
      learning_rate: a float or a schedule.
      b1, b2, eps, eps_root, mu_dtype, nesterov: see :func:`scale_by_adam`.

    Returns:
      ``chain(scale_by_adam(...), scale_by_learning_rate(learning_rate))``.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> opt = optim.adam(0.01)
        >>> opt.update(np.array([5.0, -1.0]), opt.init(np.zeros(2)))[0]
        array([-0.01,  0.01])
    """
    return chain(scale_by_adam(b1, b2, eps, eps_root, mu_dtype, nesterov=nesterov),
                 scale_by_learning_rate(learning_rate))


def adamw(learning_rate: ScalarOrSchedule, b1: float = 0.9, b2: float = 0.999,
          eps: float = 1e-8, eps_root: float = 0.0, mu_dtype=None,
          weight_decay: float = 1e-4, mask: Any = None, *,
          nesterov: bool = False) -> GradientTransformation:
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

    The decay is scaled by the learning rate, as in optax.

    Args:
      learning_rate: a float or a schedule.
      b1, b2, eps, eps_root, mu_dtype, nesterov: see :func:`scale_by_adam`.
      weight_decay: the decay coefficient.
      mask: which leaves to decay (pytree of bools or ``params -> pytree``).

    Returns:
      ``chain(scale_by_adam, add_decayed_weights, scale_by_learning_rate)``.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> opt = optim.adamw(0.1, weight_decay=0.5)
        >>> opt.update(np.array([1.0]), opt.init(np.ones(1)), np.ones(1))[0]
        array([-0.15])
    """
    return chain(scale_by_adam(b1, b2, eps, eps_root, mu_dtype, nesterov=nesterov),
                 add_decayed_weights(weight_decay, mask),
                 scale_by_learning_rate(learning_rate))


def adamax(learning_rate: ScalarOrSchedule, b1: float = 0.9, b2: float = 0.999,
           eps: float = 1e-8) -> GradientTransformation:
    """Adamax, Adam with the infinity norm (Kingma & Ba, 2014).

    Args:
      learning_rate: a float or a schedule.
      b1, b2, eps: see :func:`scale_by_adamax`.

    Returns:
      ``chain(scale_by_adamax(...), scale_by_learning_rate(learning_rate))``.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> opt = optim.adamax(0.1)
        >>> opt.update(np.array([2.0]), opt.init(np.zeros(1)))[0]
        array([-0.1])
    """
    return chain(scale_by_adamax(b1, b2, eps), scale_by_learning_rate(learning_rate))


def amsgrad(learning_rate: ScalarOrSchedule, b1: float = 0.9, b2: float = 0.999,
            eps: float = 1e-8, eps_root: float = 0.0, mu_dtype=None) -> GradientTransformation:
    """AMSGrad (Reddi et al., 2018).

    Args:
      learning_rate: a float or a schedule.
      b1, b2, eps, eps_root, mu_dtype: see :func:`scale_by_amsgrad`.

    Returns:
      ``chain(scale_by_amsgrad(...), scale_by_learning_rate(learning_rate))``.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> opt = optim.amsgrad(0.1)
        >>> opt.update(np.array([2.0]), opt.init(np.zeros(1)))[0]
        array([-0.1])
    """
    return chain(scale_by_amsgrad(b1, b2, eps, eps_root, mu_dtype),
                 scale_by_learning_rate(learning_rate))


def nadam(learning_rate: ScalarOrSchedule, b1: float = 0.9, b2: float = 0.999,
          eps: float = 1e-8, eps_root: float = 0.0, mu_dtype=None) -> GradientTransformation:
    """NAdam, Adam with Nesterov momentum (Dozat, 2016): ``adam(..., nesterov=True)``.

    Args:
      learning_rate: a float or a schedule.
      b1, b2, eps, eps_root, mu_dtype: see :func:`scale_by_adam`.

    Returns:
      ``chain(scale_by_adam(..., nesterov=True), scale_by_learning_rate(learning_rate))``.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> opt = optim.nadam(0.1)
        >>> opt.update(np.array([2.0]), opt.init(np.zeros(1)))[0].round(6)
        array([-0.147368])
    """
    return chain(scale_by_adam(b1, b2, eps, eps_root, mu_dtype, nesterov=True),
                 scale_by_learning_rate(learning_rate))


def radam(learning_rate: ScalarOrSchedule, b1: float = 0.9, b2: float = 0.999,
          eps: float = 1e-8, eps_root: float = 0.0, threshold: float = 5.0, *,
          nesterov: bool = False) -> GradientTransformation:
    """Rectified Adam (Liu et al., 2020).

    Args:
      learning_rate: a float or a schedule.
      b1, b2, eps, eps_root, threshold, nesterov: see :func:`scale_by_radam`.

    Returns:
      ``chain(scale_by_radam(...), scale_by_learning_rate(learning_rate))``.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> opt = optim.radam(0.1)
        >>> opt.update(np.array([2.0]), opt.init(np.zeros(1)))[0]
        array([-0.2])
    """
    return chain(scale_by_radam(b1, b2, eps, eps_root, threshold, nesterov=nesterov),
                 scale_by_learning_rate(learning_rate))


def lamb(learning_rate: ScalarOrSchedule, b1: float = 0.9, b2: float = 0.999,
         eps: float = 1e-6, eps_root: float = 0.0, weight_decay: float = 0.0,
         mask: Any = None) -> GradientTransformation:
    """LAMB: Adam with weight decay and a per-layer trust ratio (You et al., 2020).

    Args:
      learning_rate: a float or a schedule.
      b1, b2, eps, eps_root: see :func:`scale_by_adam` (note ``eps=1e-6``).
      weight_decay: the decay coefficient.
      mask: which leaves to decay.

    Returns:
      ``chain(scale_by_adam, add_decayed_weights, scale_by_trust_ratio,
      scale_by_learning_rate)``.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> opt = optim.lamb(0.1)
        >>> opt.update(np.array([3.0, 4.0]), opt.init(np.ones(2)), np.ones(2))[0].round(4)
        array([-0.1, -0.1])
    """
    return chain(scale_by_adam(b1, b2, eps, eps_root), add_decayed_weights(weight_decay, mask),
                 scale_by_trust_ratio(), scale_by_learning_rate(learning_rate))


def lion(learning_rate: ScalarOrSchedule, b1: float = 0.9, b2: float = 0.99, mu_dtype=None,
         weight_decay: float = 1e-3, mask: Any = None) -> GradientTransformation:
    """Lion (Chen et al., 2023): sign of interpolated momentum plus weight decay.

    Args:
      learning_rate: a float or a schedule (typically 3-10x smaller than Adam's).
      b1, b2, mu_dtype: see :func:`scale_by_lion`.
      weight_decay: decoupled weight decay.
      mask: which leaves to decay.

    Returns:
      ``chain(scale_by_lion, add_decayed_weights, scale_by_learning_rate)``.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> opt = optim.lion(0.1, weight_decay=0.0)
        >>> opt.update(np.array([5.0]), opt.init(np.zeros(1)), np.zeros(1))[0]
        array([-0.1])
    """
    return chain(scale_by_lion(b1, b2, mu_dtype), add_decayed_weights(weight_decay, mask),
                 scale_by_learning_rate(learning_rate))


def yogi(learning_rate: ScalarOrSchedule, b1: float = 0.9, b2: float = 0.999,
         eps: float = 1e-3) -> GradientTransformation:
    """Yogi (Zaheer et al., 2018).

    Args:
      learning_rate: a float or a schedule.
      b1, b2, eps: see :func:`scale_by_yogi`.

    Returns:
      ``chain(scale_by_yogi(...), scale_by_learning_rate(learning_rate))``.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> opt = optim.yogi(0.1)
        >>> opt.update(np.array([1.0]), opt.init(np.zeros(1)))[0].round(3)
        array([-0.1])
    """
    return chain(scale_by_yogi(b1, b2, eps), scale_by_learning_rate(learning_rate))


def sign_sgd(learning_rate: ScalarOrSchedule) -> GradientTransformation:
    """signSGD (Bernstein et al., 2018): step by the sign of the gradient.

    Args:
      learning_rate: a float or a schedule.

    Returns:
      ``chain(scale_by_sign(), scale_by_learning_rate(learning_rate))``.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> opt = optim.sign_sgd(0.1)
        >>> opt.update(np.array([-7.0]), opt.init(np.zeros(1)))[0]
        array([0.1])
    """
    return chain(scale_by_sign(), scale_by_learning_rate(learning_rate))


def noisy_sgd(learning_rate: ScalarOrSchedule, eta: float = 0.01, gamma: float = 0.55,
              seed: int = 0) -> GradientTransformation:
    """SGD with annealed Gaussian gradient noise (Neelakantan et al., 2015).

    Args:
      learning_rate: a float or a schedule.
      eta, gamma, seed: see :func:`add_noise`.

    Returns:
      ``chain(add_noise(eta, gamma, seed), scale_by_learning_rate(learning_rate))``.

    Example:
        >>> import numpy as np
        >>> from funcad import optim
        >>> opt = optim.noisy_sgd(0.1, eta=0.0)
        >>> opt.update(np.array([1.0]), opt.init(np.zeros(1)))[0]
        array([-0.1])
    """
    return chain(add_noise(eta, gamma, seed), scale_by_learning_rate(learning_rate))
