"""Loss functions with optax.losses names and semantics.

Losses are *unreduced*: regression losses are elementwise and classification
losses reduce only the class axis, so a training loss is ``mean(loss(...))``.
All are funcad composites (differentiable to any order, batched by ``vmap``)
and stable for large logits.
"""

from __future__ import annotations

import numpy as np

import funcad.numpy as fnp

from ._activations import _float, log_sigmoid, log_softmax, one_hot

__all__ = ["squared_error", "l2_loss", "absolute_error", "l1_loss", "huber_loss", "log_cosh",
           "softmax_cross_entropy", "softmax_cross_entropy_with_integer_labels",
           "sigmoid_binary_cross_entropy", "hinge_loss", "squared_hinge_loss",
           "kl_divergence", "kl_divergence_with_log_targets", "cosine_similarity",
           "cosine_distance"]


def _errors(predictions, targets):
    p = _float(predictions)
    return p if targets is None else p - targets


# ---------------------------------------------------------------------------
# regression
# ---------------------------------------------------------------------------

def squared_error(predictions, targets=None):
    """Elementwise ``(predictions - targets)^2``; ``mean(squared_error(...))`` is the MSE.

    Args:
      predictions: array_like or traced value.
      targets: broadcastable to ``predictions``; ``None`` means zeros.

    Returns:
      The elementwise squared error.

    Example:
        >>> import numpy as np
        >>> from funcad import nn
        >>> nn.squared_error(np.array([1.0, 3.0]), np.array([0.0, 1.0]))
        array([1., 4.])
    """
    e = _errors(predictions, targets)
    return e * e


def l2_loss(predictions, targets=None):
    """Elementwise ``0.5 * (predictions - targets)^2`` (optax's convention: half the
    squared error, so the gradient is the plain residual).

    Args:
      predictions: array_like or traced value.
      targets: broadcastable to ``predictions``; ``None`` means zeros.

    Returns:
      The elementwise loss.

    Example:
        >>> import numpy as np
        >>> from funcad import nn
        >>> nn.l2_loss(np.array([1.0, 3.0]), np.array([0.0, 1.0]))
        array([0.5, 2. ])
    """
    return 0.5 * squared_error(predictions, targets)


def absolute_error(predictions, targets=None):
    """Elementwise ``|predictions - targets|``; ``mean(...)`` is the MAE.

    Subgradient where ``predictions == targets``: **0**.

    Args:
      predictions: array_like or traced value.
      targets: broadcastable to ``predictions``; ``None`` means zeros.

    Returns:
      The elementwise absolute error.

    Example:
        >>> import numpy as np
        >>> from funcad import nn
        >>> nn.absolute_error(np.array([1.0, -3.0]))
        array([1., 3.])
    """
    return fnp.abs(_errors(predictions, targets))


l1_loss = absolute_error


def huber_loss(predictions, targets=None, delta: float = 1.0):
    """Huber loss: ``0.5 e^2`` for ``|e| <= delta``, ``delta (|e| - delta/2)`` beyond,
    with ``e = predictions - targets``. Continuously differentiable; the gradient is
    ``e`` clipped to ``[-delta, delta]``.

    Args:
      predictions: array_like or traced value.
      targets: broadcastable to ``predictions``; ``None`` means zeros.
      delta: the positive switch point between the quadratic and linear parts.

    Returns:
      The elementwise loss.

    Example:
        >>> import numpy as np
        >>> from funcad import nn
        >>> nn.huber_loss(np.array([0.5, 3.0]), delta=1.0)
        array([0.125, 2.5  ])
    """
    if not delta > 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta!r}")
    e = _errors(predictions, targets)
    a = fnp.abs(e)
    return fnp.where(fnp.less_equal(a, delta), 0.5 * e * e, delta * (a - 0.5 * delta))


def log_cosh(predictions, targets=None):
    """Elementwise ``log(cosh(predictions - targets))``, computed as
    ``logaddexp(e, -e) - log 2`` so it never overflows; the gradient is ``tanh(e)``.

    Args:
      predictions: array_like or traced value.
      targets: broadcastable to ``predictions``; ``None`` means zeros.

    Returns:
      The elementwise loss.

    Example:
        >>> import numpy as np
        >>> from funcad import nn
        >>> nn.log_cosh(np.array([0.0, 1000.0]))
        array([  0.        , 999.30685282])
    """
    e = _errors(predictions, targets)
    return fnp.logaddexp(e, -e) - float(np.log(2.0))


# ---------------------------------------------------------------------------
# classification
# ---------------------------------------------------------------------------

def softmax_cross_entropy(logits, labels, axis=-1):
    """Cross-entropy ``-sum(labels * log_softmax(logits), axis)`` against a probability
    distribution ``labels`` (e.g. one-hot or smoothed).

    Args:
      logits: array_like or traced value of finite unnormalised log-probabilities.
      labels: probabilities, broadcastable to ``logits``.
      axis: the class axis.

    Returns:
      The loss with the class axis removed.

    Example:
        >>> import numpy as np
        >>> from funcad import nn
        >>> logits = np.array([[1000.0, 0.0], [0.0, 0.0]])
        >>> nn.softmax_cross_entropy(logits, np.array([[1.0, 0.0], [0.5, 0.5]]))
        array([0.        , 0.69314718])
    """
    return -fnp.sum(labels * log_softmax(logits, axis=axis), axis=axis)


def softmax_cross_entropy_with_integer_labels(logits, labels, axis: int = -1):
    """Cross-entropy with integer class labels: ``logsumexp(logits) - logits[label]``.

    Args:
      logits: array_like or traced value, classes along ``axis``.
      labels: integers in ``[0, num_classes)``, shape of ``logits`` without ``axis``.
      axis: the class axis (an int).

    Returns:
      The loss, shape ``labels.shape``.

    Raises:
      ValueError: a (concrete) label is out of range.

    Example:
        >>> import numpy as np
        >>> from funcad import nn
        >>> logits = np.array([[2.0, 0.0, -1.0], [0.0, 0.0, 0.0]])
        >>> nn.softmax_cross_entropy_with_integer_labels(logits, np.array([0, 2]))
        array([0.16984602, 1.09861229])
    """
    logits = _float(logits)
    if axis not in (-1, logits.ndim - 1):
        logits = fnp.moveaxis(logits, axis, -1)
    n = logits.shape[-1]
    if isinstance(labels, np.ndarray) or np.isscalar(labels) or isinstance(labels, list):
        lab = np.asarray(labels)
        if lab.size and (lab.min() < 0 or lab.max() >= n):
            bad = lab[(lab < 0) | (lab >= n)]
            raise ValueError(f"softmax_cross_entropy_with_integer_labels: labels must be in "
                             f"[0, {n}) for {n} classes, got {bad[:5].tolist()}; check the "
                             "label encoding or the number of output units")
    hot = one_hot(labels, n, dtype=np.bool_)     # the mask itself, not floats compared
    picked = fnp.sum(fnp.where(hot, logits, 0.0), axis=-1)
    return fnp.logsumexp(logits, axis=-1) - picked


def sigmoid_binary_cross_entropy(logits, labels):
    """Binary cross-entropy with logits: ``-labels log sigmoid(logits) - (1 - labels)
    log sigmoid(-logits)``, elementwise, stable for logits of any size.

    Args:
      logits: array_like or traced value.
      labels: targets in ``[0, 1]``, broadcastable to ``logits``.

    Returns:
      The elementwise loss.

    Example:
        >>> import numpy as np
        >>> from funcad import nn
        >>> nn.sigmoid_binary_cross_entropy(np.array([1000.0, -1000.0, 0.0]),
        ...                                 np.array([0.0, 0.0, 1.0]))
        array([1.00000000e+03, 0.00000000e+00, 6.93147181e-01])
    """
    logits = _float(logits)
    return -labels * log_sigmoid(logits) - (1.0 - labels) * log_sigmoid(-logits)


def hinge_loss(predictor_outputs, targets):
    """Hinge loss ``max(0, 1 - predictor_outputs * targets)`` for targets in ``{-1, 1}``.

    Subgradient at the kink (margin exactly 1): **0** (``where(margin < 1, ...)``).

    Args:
      predictor_outputs: array_like or traced value of scores.
      targets: ``-1`` or ``+1``, broadcastable to the scores.

    Returns:
      The elementwise loss.

    Example:
        >>> import numpy as np
        >>> from funcad import nn
        >>> nn.hinge_loss(np.array([2.0, 0.5, -1.0]), np.array([1.0, 1.0, 1.0]))
        array([0. , 0.5, 2. ])
    """
    margin = _float(predictor_outputs) * targets
    return fnp.where(fnp.less(margin, 1.0), 1.0 - margin, 0.0)


def squared_hinge_loss(predictor_outputs, targets):
    """``hinge_loss(...)^2``: continuously differentiable, for targets in ``{-1, 1}``.

    Args:
      predictor_outputs: array_like or traced value of scores.
      targets: ``-1`` or ``+1``, broadcastable to the scores.

    Returns:
      The elementwise loss.

    Example:
        >>> import numpy as np
        >>> from funcad import nn
        >>> nn.squared_hinge_loss(np.array([2.0, 0.5, -1.0]), np.array([1.0, 1.0, 1.0]))
        array([0.  , 0.25, 4.  ])
    """
    h = hinge_loss(predictor_outputs, targets)
    return h * h


def _xlogx(t):
    # t log t with 0 log 0 = 0; the log never sees a zero
    zero = fnp.equal(t, 0.0)
    return fnp.where(zero, 0.0, t * fnp.log(fnp.where(zero, 1.0, t)))


def kl_divergence(log_predictions, targets, axis: int = -1):
    """Kullback-Leibler divergence ``sum(targets * (log targets - log_predictions), axis)``,
    with ``0 log 0 = 0`` (optax's argument order: log-probabilities first).

    The derivative with respect to ``targets`` at a target of exactly 0 is taken as
    ``-log_predictions`` (the ``0 log 0`` term contributes nothing).

    Args:
      log_predictions: log-probabilities, array_like or traced value.
      targets: probabilities, broadcastable to ``log_predictions``.
      axis: the distribution axis.

    Returns:
      The divergence with ``axis`` removed.

    Example:
        >>> import numpy as np
        >>> from funcad import nn
        >>> p = np.log(np.array([0.5, 0.5]))
        >>> round(float(nn.kl_divergence(p, np.array([1.0, 0.0]))), 8)
        0.69314718
    """
    t = _float(targets)
    return fnp.sum(_xlogx(t) - t * log_predictions, axis=axis)


def kl_divergence_with_log_targets(log_predictions, log_targets, axis: int = -1):
    """KL divergence with both arguments as log-probabilities:
    ``sum(exp(log_targets) * (log_targets - log_predictions), axis)``.

    Args:
      log_predictions: log-probabilities, array_like or traced value.
      log_targets: log-probabilities, broadcastable to ``log_predictions``.
      axis: the distribution axis.

    Returns:
      The divergence with ``axis`` removed.

    Example:
        >>> import numpy as np
        >>> from funcad import nn
        >>> p, q = np.log([0.5, 0.5]), np.log([0.9, 0.1])
        >>> round(float(nn.kl_divergence_with_log_targets(p, q)), 8)
        0.36806421
    """
    lt = _float(log_targets)
    return fnp.sum(fnp.exp(lt) * (lt - log_predictions), axis=axis)


def _safe_norm(x, axis):
    # Euclidean norm whose derivative at the zero vector is 0 instead of nan
    sq = fnp.sum(x * x, axis=axis, keepdims=True)
    pos = fnp.greater(sq, 0.0)
    return fnp.where(pos, fnp.sqrt(fnp.where(pos, sq, 1.0)), 0.0)


def cosine_similarity(predictions, targets, epsilon: float = 0.0, axis: int = -1):
    """Cosine of the angle between ``predictions`` and ``targets`` along ``axis``:
    ``<p, t> / (max(|p|, epsilon) max(|t|, epsilon))``.

    With the default ``epsilon = 0`` a zero vector gives ``nan`` (as optax); pass a
    small ``epsilon`` to get 0 there instead.

    Args:
      predictions: array_like or traced value.
      targets: broadcastable to ``predictions``.
      epsilon: lower bound on each norm.
      axis: the vector axis.

    Returns:
      Values in ``[-1, 1]`` with ``axis`` removed.

    Example:
        >>> import numpy as np
        >>> from funcad import nn
        >>> nn.cosine_similarity(np.array([[1.0, 0.0], [1.0, 1.0]]), np.array([1.0, 0.0]))
        array([1.        , 0.70710678])
    """
    p, t = _float(predictions), _float(targets)
    pn = fnp.maximum(_safe_norm(p, axis), epsilon)
    tn = fnp.maximum(_safe_norm(t, axis), epsilon)
    return fnp.sum((p / pn) * (t / tn), axis=axis)


def cosine_distance(predictions, targets, epsilon: float = 0.0, axis: int = -1):
    """``1 - cosine_similarity(predictions, targets)``, in ``[0, 2]``.

    Args:
      predictions: array_like or traced value.
      targets: broadcastable to ``predictions``.
      epsilon: lower bound on each norm.
      axis: the vector axis.

    Returns:
      The distance with ``axis`` removed.

    Example:
        >>> import numpy as np
        >>> from funcad import nn
        >>> float(nn.cosine_distance(np.array([0.0, 2.0]), np.array([1.0, 0.0])))
        1.0
    """
    return 1.0 - cosine_similarity(predictions, targets, epsilon=epsilon, axis=axis)
