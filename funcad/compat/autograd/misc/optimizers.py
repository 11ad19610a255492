"""funcad.compat.autograd.misc.optimizers: autograd's gradient-descent drivers.

Each runs ``num_iters`` steps and returns the final parameters. ``grad(x, i)`` is the
gradient at parameters ``x`` on iteration ``i`` (the iteration number picks a
minibatch); ``callback(x, i, g)``, if given, is called before each step with the
parameters, the iteration number and the gradient. ``x0`` may be any pytree (nested
tuples, lists, dicts of arrays): the driver works on the flat vector of its leaves,
and ``grad`` and ``callback`` see the tree. For composable optimisers with states
you own, see ``funcad.optim``.

Example:
    >>> import numpy as np
    >>> from funcad.compat.autograd import grad
    >>> from funcad.compat.autograd.misc.optimizers import adam
    >>> loss = lambda x, i: np.sum((x - 3.0) ** 2)
    >>> x = adam(grad(loss), np.zeros(2), num_iters=500, step_size=0.1)
    >>> np.round(x, 3)
    array([3., 3.])
"""

from __future__ import annotations

import functools
from typing import Any, Callable

import numpy as np

from . import flatten

__all__ = ["sgd", "rmsprop", "adam"]


def _on_flat_vectors(step_loop: Callable) -> Callable:
    """Run ``step_loop(grad, x, callback, ...)``, written on flat vectors, on a pytree ``x0``."""
    @functools.wraps(step_loop)
    def driver(grad: Callable, x0: Any, callback: Callable | None = None, *args, **kwargs):
        x, unflatten = flatten(x0)

        def flat_grad(v, i):
            return flatten(grad(unflatten(v), i))[0]
        flat_cb = None if callback is None else (
            lambda v, i, g: callback(unflatten(v), i, unflatten(g)))
        return unflatten(step_loop(flat_grad, x, flat_cb, *args, **kwargs))
    return driver


@_on_flat_vectors
def sgd(grad: Callable, x: Any, callback: Callable | None = None, num_iters: int = 200,
        step_size: float = 0.1, mass: float = 0.9) -> Any:
    """Stochastic gradient descent with momentum, in autograd's form.

    ``velocity = mass * velocity - (1 - mass) * g``; ``x = x + step_size * velocity``
    (velocity starts at zero; ``mass=0`` is plain gradient descent).

    Args:
      grad: ``grad(x, i)``; x: the starting parameters (a pytree);
      callback: ``callback(x, i, g)`` before each step, or None;
      num_iters, step_size, mass: the number of steps, the step and the momentum.

    Returns:
      The parameters after ``num_iters`` steps, with ``x``'s structure.

    Example:
        >>> import numpy as np
        >>> from funcad.compat.autograd.misc.optimizers import sgd
        >>> sgd(lambda x, i: 2.0 * x, np.array([1.0]), num_iters=1, step_size=0.5, mass=0.0)
        array([0.])
    """
    velocity = np.zeros(len(x))
    for i in range(num_iters):
        g = grad(x, i)
        if callback is not None:
            callback(x, i, g)
        velocity = mass * velocity - (1.0 - mass) * g
        x = x + step_size * velocity
    return x


@_on_flat_vectors
def rmsprop(grad: Callable, x: Any, callback: Callable | None = None, num_iters: int = 100,
            step_size: float = 0.1, gamma: float = 0.9, eps: float = 1e-8) -> Any:
    """RMSProp in autograd's form: a running mean of squared gradients, started at one.

    ``avg = gamma * avg + (1 - gamma) * g**2``; ``x = x - step_size * g / (sqrt(avg) + eps)``.

    Args:
      grad: ``grad(x, i)``; x: the starting parameters; callback: ``callback(x, i, g)`` or None;
      num_iters, step_size, gamma, eps: steps, step, decay of the mean, and its floor.

    Returns:
      The parameters after ``num_iters`` steps.

    Example:
        >>> import numpy as np
        >>> from funcad.compat.autograd.misc.optimizers import rmsprop
        >>> x = rmsprop(lambda x, i: 2.0 * x, np.array([1.0]), num_iters=300, step_size=0.01)
        >>> bool(abs(x[0]) < 0.05)
        True
    """
    avg_sq_grad = np.ones(len(x))
    for i in range(num_iters):
        g = grad(x, i)
        if callback is not None:
            callback(x, i, g)
        avg_sq_grad = gamma * avg_sq_grad + (1.0 - gamma) * g ** 2
        x = x - step_size * g / (np.sqrt(avg_sq_grad) + eps)
    return x


@_on_flat_vectors
def adam(grad: Callable, x: Any, callback: Callable | None = None, num_iters: int = 100,
         step_size: float = 0.001, b1: float = 0.9, b2: float = 0.999,
         eps: float = 1e-8) -> Any:
    """Adam (Kingma and Ba, 2015) in autograd's form, bias-corrected moments.

    Args:
      grad: ``grad(x, i)``; x: the starting parameters; callback: ``callback(x, i, g)`` or None;
      num_iters, step_size: steps and step; b1, b2: decay of the first and second moments;
      eps: the floor of the denominator.

    Returns:
      The parameters after ``num_iters`` steps.

    Example:
        >>> import numpy as np
        >>> from funcad.compat.autograd.misc.optimizers import adam
        >>> adam(lambda x, i: np.sign(x), np.array([1.0, -1.0]), num_iters=1, step_size=0.1)
        array([ 0.9, -0.9])
    """
    m = np.zeros(len(x))
    v = np.zeros(len(x))
    for i in range(num_iters):
        g = grad(x, i)
        if callback is not None:
            callback(x, i, g)
        m = b1 * m + (1.0 - b1) * g
        v = b2 * v + (1.0 - b2) * g ** 2
        m_hat = m / (1.0 - b1 ** (i + 1))
        v_hat = v / (1.0 - b2 ** (i + 1))
        x = x - step_size * m_hat / (np.sqrt(v_hat) + eps)
    return x
