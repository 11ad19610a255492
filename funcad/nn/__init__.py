"""funcad.nn: activations, losses and initializers for neural networks on funcad.

Built only on the public funcad API (``funcad.numpy``, ``stop_gradient``):
every activation and loss is a composite of funcad.numpy operations, so it
differentiates in forward and reverse mode, to second order and beyond, and
batches under ``vmap``. Losses follow ``optax.losses`` (names, argument order,
no reduction); initializers take an explicit ``numpy.random.Generator``.
See docs/nn.md.

Example:
    >>> import numpy as np
    >>> import funcad
    >>> from funcad import nn
    >>> rng = np.random.default_rng(0)
    >>> w = nn.glorot_uniform(rng, (3, 2))
    >>> x, labels = np.ones((4, 3)), np.array([0, 1, 1, 0])
    >>> loss = lambda w: np.mean(nn.softmax_cross_entropy_with_integer_labels(
    ...     nn.relu(x @ w), labels))
    >>> funcad.grad(loss)(w).shape
    (3, 2)
"""

from ._activations import (celu, elu, gelu, hard_sigmoid, hard_silu, hard_swish, hard_tanh,
                           leaky_relu, log_sigmoid, log_softmax, logsumexp, one_hot, relu, relu6,
                           selu, sigmoid, silu, softmax, softplus, standardize, swish, tanh)
from ._initializers import (glorot_normal, glorot_uniform, he_normal, he_uniform,
                            kaiming_normal, kaiming_uniform, lecun_normal, lecun_uniform, ones,
                            orthogonal, variance_scaling, xavier_normal, xavier_uniform, zeros)
from ._losses import (absolute_error, cosine_distance, cosine_similarity, hinge_loss,
                      huber_loss, kl_divergence, kl_divergence_with_log_targets, l1_loss,
                      l2_loss, log_cosh, sigmoid_binary_cross_entropy, softmax_cross_entropy,
                      softmax_cross_entropy_with_integer_labels, squared_error,
                      squared_hinge_loss)

__all__ = [
    # activations
    "relu", "relu6", "leaky_relu", "elu", "selu", "celu", "gelu", "silu", "swish", "softplus",
    "sigmoid", "log_sigmoid", "tanh", "hard_tanh", "hard_sigmoid", "hard_silu", "hard_swish",
    "softmax", "log_softmax", "logsumexp", "one_hot", "standardize",
    # losses
    "squared_error", "l2_loss", "absolute_error", "l1_loss", "huber_loss", "log_cosh",
    "softmax_cross_entropy", "softmax_cross_entropy_with_integer_labels",
    "sigmoid_binary_cross_entropy", "hinge_loss", "squared_hinge_loss", "kl_divergence",
    "kl_divergence_with_log_targets", "cosine_similarity", "cosine_distance",
    # initializers
    "variance_scaling", "glorot_uniform", "glorot_normal", "xavier_uniform", "xavier_normal",
    "he_uniform", "he_normal", "kaiming_uniform", "kaiming_normal", "lecun_uniform",
    "lecun_normal", "orthogonal", "zeros", "ones",
]
