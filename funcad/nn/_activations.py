"""Activation functions and normalisers, as funcad composites.

Every function is written in funcad.numpy operations, so it differentiates in
forward and reverse mode to any order and batches under ``vmap``. Piecewise
functions use ``where`` with the branch chosen on purpose at the kink (the
subgradient is stated in each docstring); exponentials only ever see
non-positive arguments, so nothing overflows for inputs in the thousands.
"""

from __future__ import annotations

import math

import numpy as np

import funcad.numpy as fnp
from funcad import stop_gradient

from ._special import erf

__all__ = ["relu", "relu6", "leaky_relu", "elu", "selu", "celu", "gelu", "silu", "swish",
           "softplus", "sigmoid", "log_sigmoid", "tanh", "hard_tanh", "hard_sigmoid",
           "hard_silu", "hard_swish", "softmax", "log_softmax", "logsumexp", "one_hot",
           "standardize"]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT2 = 1.0 / math.sqrt(2.0)


def _float(x):
    x = fnp.asarray(x)
    if not fnp.issubdtype(x.dtype, fnp.inexact):
        x = fnp.astype(x, fnp.float64)
    return x


# ---------------------------------------------------------------------------
# rectifiers
# ---------------------------------------------------------------------------

def relu(x):
    """Rectified linear unit ``max(x, 0)``.

    Subgradient at 0: **0** (``where(x > 0, x, 0)``; as JAX).

    Args:
      x: array_like or traced value.

    Returns:
      ``relu(x)``, same shape.

    Example:
        >>> import numpy as np, funcad as fad
        >>> from funcad import nn
        >>> nn.relu(np.array([-1.0, 0.0, 2.0]))
        array([0., 0., 2.])
        >>> fad.grad(lambda x: np.sum(nn.relu(x)))(np.array([-1.0, 0.0, 2.0]))
        array([0., 0., 1.])
    """
    x = fnp.asarray(x)
    return fnp.where(fnp.greater(x, 0), x, fnp.zeros_like(x))


def relu6(x):
    """``min(max(x, 0), 6)``.

    Subgradient: **0** at both kinks, ``x = 0`` and ``x = 6`` (as JAX).

    Args:
      x: array_like or traced value.

    Returns:
      ``relu6(x)``, same shape.

    Example:
        >>> import numpy as np
        >>> from funcad import nn
        >>> nn.relu6(np.array([-1.0, 3.0, 9.0]))
        array([0., 3., 6.])
    """
    x = _float(x)
    inside = fnp.logical_and(fnp.greater(x, 0.0), fnp.less(x, 6.0))
    # zeros_like keeps x's dtype (where of two Python floats would be float64)
    return fnp.where(inside, x, fnp.where(fnp.greater_equal(x, 6.0), 6.0, fnp.zeros_like(x)))


def leaky_relu(x, negative_slope: float = 0.01):
    """``x`` for ``x >= 0``, ``negative_slope * x`` below.

    Subgradient at 0: **1** (the ``x >= 0`` branch; as JAX).

    Args:
      x: array_like or traced value.
      negative_slope: slope for negative inputs.

    Returns:
      ``leaky_relu(x)``, same shape.

    Example:
        >>> import numpy as np
        >>> from funcad import nn
        >>> nn.leaky_relu(np.array([-2.0, 3.0]), negative_slope=0.1)
        array([-0.2,  3. ])
    """
    x = _float(x)
    return fnp.where(fnp.greater_equal(x, 0.0), x, negative_slope * x)


def _negative_part(x):
    # min(x, 0), used only inside exp/expm1 of the negative branch
    return fnp.where(fnp.greater(x, 0.0), 0.0, x)


def elu(x, alpha: float = 1.0):
    """Exponential linear unit: ``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise.

    Derivative at 0: ``alpha`` (the exponential branch; continuous for ``alpha = 1``).
    The exponential only sees ``min(x, 0)``, so large inputs do not overflow.

    Args:
      x: array_like or traced value.
      alpha: scale of the negative branch.

    Returns:
      ``elu(x)``, same shape.

    Example:
        >>> import numpy as np
        >>> from funcad import nn
        >>> nn.elu(np.array([-1.0, 0.0, 2.0]))
        array([-0.63212056,  0.        ,  2.        ])
    """
    x = _float(x)
    return fnp.where(fnp.greater(x, 0.0), x, alpha * fnp.expm1(_negative_part(x)))


def selu(x):
    """Scaled ELU, ``scale * elu(x, alpha)`` with the self-normalising constants
    ``alpha = 1.6732632...``, ``scale = 1.0507009...`` (Klambauer et al. 2017).

    Derivative at 0: ``scale * alpha`` (the exponential branch).

    Args:
      x: array_like or traced value.

    Returns:
      ``selu(x)``, same shape.

    Example:
        >>> import numpy as np
        >>> from funcad import nn
        >>> nn.selu(np.array([-1.0, 1.0]))
        array([-1.11133074,  1.05070099])
    """
    return _SELU_SCALE * elu(x, _SELU_ALPHA)


def celu(x, alpha: float = 1.0):
    """Continuously differentiable ELU: ``x`` for ``x > 0``, ``alpha * (exp(x/alpha) - 1)``
    otherwise. The derivative is 1 at 0 from both sides.

    Args:
      x: array_like or traced value.
      alpha: positive scale.

    Returns:
      ``celu(x)``, same shape.

    Example:
        >>> import numpy as np
        >>> from funcad import nn
        >>> nn.celu(np.array([-1.0, 2.0]), alpha=2.0)
        array([-0.78693868,  2.        ])
    """
    if not alpha > 0:
        raise ValueError(f"celu: alpha must be positive, got {alpha!r}")
    x = _float(x)
    return fnp.where(fnp.greater(x, 0.0), x, alpha * fnp.expm1(_negative_part(x) / alpha))


def gelu(x, approximate: bool = True):
    """Gaussian error linear unit ``x * Phi(x)``.

    ``approximate=True`` (the default, as JAX) uses the tanh form
    ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``; ``approximate=False``
    is exact, ``0.5 x (1 + erf(x / sqrt(2)))``, with funcad's own composite
    ``erf`` (accurate to ~1e-15; its derivative ``sqrt(2/pi) exp(-x^2/2)``
    to ~1e-13).

    Args:
      x: array_like or traced value.
      approximate: use the tanh approximation.

    Returns:
      ``gelu(x)``, same shape.

    Example:
        >>> import numpy as np
        >>> from funcad import nn
        >>> nn.gelu(np.array([-1.0, 1.0]), approximate=False)
        array([-0.15865525,  0.84134475])
        >>> nn.gelu(np.array([-1.0, 1.0]))
        array([-0.15880801,  0.84119199])
    """
    x = _float(x)
    if approximate:
        inner = _SQRT_2_OVER_PI * (x + 0.044715 * (x * x * x))
        return 0.5 * x * (1.0 + fnp.tanh(inner))
    return 0.5 * x * (1.0 + erf(x * _INV_SQRT2))


# ---------------------------------------------------------------------------
# sigmoids and smooth rectifiers
# ---------------------------------------------------------------------------

def softplus(x):
    """``log(1 + exp(x))``, computed as ``logaddexp(x, 0)`` (no overflow for large ``x``).

    Args:
      x: array_like or traced value.

    Returns:
      ``softplus(x)``, same shape; its derivative is ``sigmoid(x)``.

    Example:
        >>> import numpy as np
        >>> from funcad import nn
        >>> nn.softplus(np.array([-1000.0, 0.0, 1000.0])).round(6).tolist()
        [0.0, 0.693147, 1000.0]
    """
    return fnp.logaddexp(_float(x), 0.0)


def log_sigmoid(x):
    """``log(sigmoid(x)) = -softplus(-x)``, stable for any finite ``x``.

    Args:
      x: array_like or traced value.

    Returns:
      ``log_sigmoid(x)``, same shape (``-1000.0`` at ``x = -1000``).

    Example:
        >>> import numpy as np
        >>> from funcad import nn
        >>> nn.log_sigmoid(np.array([-1000.0, 0.0])).round(6).tolist()
        [-1000.0, -0.693147]
    """
    return -softplus(-_float(x))


def sigmoid(x):
    """The logistic function ``1 / (1 + exp(-x))``, as ``exp(log_sigmoid(x))``.

    Never overflows; keeps full relative precision in both tails.

    Args:
      x: array_like or traced value.

    Returns:
      ``sigmoid(x)`` in ``[0, 1]``, same shape.

    Example:
        >>> import numpy as np
        >>> from funcad import nn
        >>> nn.sigmoid(np.array([-1000.0, 0.0, 1000.0]))
        array([0. , 0.5, 1. ])
    """
    return fnp.exp(log_sigmoid(x))


def silu(x):
    """Sigmoid-weighted linear unit ``x * sigmoid(x)`` (also called swish).

    Args:
      x: array_like or traced value.

    Returns:
      ``silu(x)``, same shape.

    Example:
        >>> import numpy as np
        >>> from funcad import nn
        >>> nn.silu(np.array([-1.0, 0.0, 1.0]))
        array([-0.26894142,  0.        ,  0.73105858])
    """
    x = _float(x)
    return x * sigmoid(x)


swish = silu


def tanh(x):
    """Hyperbolic tangent (``funcad.numpy.tanh``), for a complete activation namespace.

    Args:
      x: array_like or traced value.

    Returns:
      ``tanh(x)``, same shape.

    Example:
        >>> import numpy as np
        >>> from funcad import nn
        >>> nn.tanh(np.array([0.0, 1000.0]))
        array([0., 1.])
    """
    return fnp.tanh(_float(x))


def hard_tanh(x):
    """``x`` clipped to ``[-1, 1]``.

    Subgradient: **1** at ``x = -1`` and ``x = 1`` (the identity branch; as JAX).

    Args:
      x: array_like or traced value.

    Returns:
      ``hard_tanh(x)``, same shape.

    Example:
        >>> import numpy as np
        >>> from funcad import nn
        >>> nn.hard_tanh(np.array([-3.0, 0.5, 3.0]))
        array([-1. ,  0.5,  1. ])
    """
    x = _float(x)
    return fnp.where(fnp.greater(x, 1.0), 1.0, fnp.where(fnp.less(x, -1.0), -1.0, x))


def hard_sigmoid(x):
    """Piecewise-linear sigmoid ``relu6(x + 3) / 6``.

    Subgradient: **0** at ``x = -3`` and ``x = 3`` (from ``relu6``).

    Args:
      x: array_like or traced value.

    Returns:
      ``hard_sigmoid(x)`` in ``[0, 1]``, same shape.

    Example:
        >>> import numpy as np
        >>> from funcad import nn
        >>> nn.hard_sigmoid(np.array([-4.0, 0.0, 1.5, 4.0]))
        array([0.  , 0.5 , 0.75, 1.  ])
    """
    return relu6(_float(x) + 3.0) / 6.0


def hard_silu(x):
    """``x * hard_sigmoid(x)`` (also called hard swish).

    Args:
      x: array_like or traced value.

    Returns:
      ``hard_silu(x)``, same shape.

    Example:
        >>> import numpy as np
        >>> from funcad import nn
        >>> nn.hard_silu(np.array([-4.0, 1.5, 4.0]))
        array([-0.   ,  1.125,  4.   ])
    """
    x = _float(x)
    return x * hard_sigmoid(x)


hard_swish = hard_silu


# ---------------------------------------------------------------------------
# normalisers over an axis
# ---------------------------------------------------------------------------

def _shift(x, axis):
    # subtract the (constant) maximum: exp then sees values <= 0; fully -inf rows stay finite.
    # The max is taken of the constant stop_gradient(x), so no tape entry records it
    m = fnp.max(stop_gradient(x), axis=axis, keepdims=True)
    m = fnp.where(fnp.isfinite(m), m, 0.0)
    return x - m


def softmax(x, axis=-1):
    """``exp(x) / sum(exp(x), axis)``, shifted by the maximum so it never overflows.

    Args:
      x: array_like or traced value (finite, or ``-inf`` for masked entries).
      axis: int or tuple of ints to normalise over.

    Returns:
      Probabilities with ``x``'s shape, summing to 1 along ``axis``.

    Example:
        >>> import numpy as np
        >>> from funcad import nn
        >>> nn.softmax(np.array([1000.0, 1000.0, -np.inf]))
        array([0.5, 0.5, 0. ])
    """
    e = fnp.exp(_shift(_float(x), axis))
    return e / fnp.sum(e, axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    """``x - logsumexp(x, axis)``, stable for inputs of any size.

    Args:
      x: array_like or traced value.
      axis: int or tuple of ints to normalise over.

    Returns:
      Log-probabilities with ``x``'s shape.

    Example:
        >>> import numpy as np
        >>> from funcad import nn
        >>> nn.log_softmax(np.array([1000.0, 1000.0]))
        array([-0.69314718, -0.69314718])
    """
    s = _shift(_float(x), axis)
    return s - fnp.log(fnp.sum(fnp.exp(s), axis=axis, keepdims=True))


def logsumexp(x, axis=None, keepdims: bool = False, b=None):
    """``log(sum(b * exp(x), axis))`` without overflow (``funcad.numpy.logsumexp``).

    Args:
      x: array_like or traced value.
      axis: axis or axes to reduce; ``None`` reduces all.
      keepdims: keep reduced axes with length 1.
      b: optional weights, broadcast against ``x``.

    Returns:
      The reduced log-sum-exp.

    Example:
        >>> import numpy as np
        >>> from funcad import nn
        >>> round(float(nn.logsumexp(np.array([1000.0, 1000.0]))), 6)
        1000.693147
    """
    return fnp.logsumexp(_float(x), axis=axis, keepdims=keepdims, b=b)


def one_hot(x, num_classes: int, *, dtype=np.float64, axis: int = -1):
    """One-hot encode integer labels (zero derivative; labels may be batched by ``vmap``).

    Labels outside ``[0, num_classes)`` give an all-zero row (as ``jax.nn.one_hot``),
    which is a convenient way to mask examples out of a loss.

    Args:
      x: integer array_like of labels.
      num_classes: number of classes, a positive int.
      dtype: dtype of the result.
      axis: where the new class axis goes.

    Returns:
      Array of shape ``x.shape`` with a ``num_classes`` axis inserted at ``axis``.

    Example:
        >>> import numpy as np
        >>> from funcad import nn
        >>> nn.one_hot(np.array([0, 2]), 3)
        array([[1., 0., 0.],
               [0., 0., 1.]])
    """
    if not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
        raise ValueError(f"one_hot: num_classes must be a positive int, got {num_classes!r}")
    x = fnp.asarray(x)
    if not (fnp.issubdtype(x.dtype, fnp.integer) or x.dtype == np.bool_):
        raise TypeError(f"one_hot: labels must be integers, got dtype {x.dtype}; "
                        "round them and cast with .astype(int)")
    hot = fnp.equal(fnp.expand_dims(x, -1), np.arange(num_classes))
    out = fnp.where(hot, np.ones((), dtype), np.zeros((), dtype))
    if axis not in (-1, out.ndim - 1):
        out = fnp.moveaxis(out, -1, axis)
    return out


def standardize(x, axis=-1, mean=None, variance=None, epsilon: float = 1e-5):
    """``(x - mean) / sqrt(variance + epsilon)`` along ``axis`` (layer normalisation
    without the affine part).

    Mean and variance are computed from ``x`` when not given; the variance is the
    centred ``mean((x - mean)^2)``, which does not cancel catastrophically.

    Args:
      x: array_like or traced value.
      axis: int or tuple of ints to normalise over.
      mean, variance: optional precomputed statistics, broadcastable to ``x``.
      epsilon: added to the variance.

    Returns:
      The standardised array, same shape as ``x``.

    Example:
        >>> import numpy as np
        >>> from funcad import nn
        >>> nn.standardize(np.array([1.0, 2.0, 3.0]), epsilon=0.0)
        array([-1.22474487,  0.        ,  1.22474487])
    """
    x = _float(x)
    if mean is None:
        mean = fnp.mean(x, axis=axis, keepdims=True)
    centred = x - mean
    if variance is None:
        variance = fnp.mean(centred * centred, axis=axis, keepdims=True)
    return centred / fnp.sqrt(variance + epsilon)
