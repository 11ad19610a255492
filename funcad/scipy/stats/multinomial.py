"""The multinomial distribution (``scipy.stats.multinomial``), differentiable in ``p``.

``p`` is used as given (as ``jax.scipy.stats.multinomial``): SciPy replaces its last entry
by one minus the others, so the values agree wherever ``p`` sums to 1, and the derivative
is the one in every entry of ``p`` (project it onto the simplex yourself, or pass
``softmax`` of free logits, to differentiate on the simplex).

Example:
    >>> import numpy as np, funcad as fad
    >>> from funcad.scipy.stats import multinomial
    >>> fad.grad(multinomial.logpmf, 2)(np.array([1.0, 3.0]), 4, np.array([0.5, 0.5]))
    array([2., 6.])
"""

from __future__ import annotations

import numpy as np

from ... import numpy as fnp
from ...extend import as_type_of, shape_of
from ...numpy._base import is_traced
from ..special import gammaln, xlogy
from ._discrete import masked

__all__ = ["logpmf", "pmf", "mean", "cov"]


def logpmf(x, n, p):
    """``log n! - sum(log x_i!) + sum(x_i log p_i)`` on the support, ``-inf`` off it.

    Args:
        x: counts, shape ``(..., K)``: non-negative integers summing to ``n`` (anything
            else is off the support).
        n: the number of trials (an integer; a scalar or broadcasting with ``x[..., 0]``).
        p: the probabilities of the ``K`` outcomes, shape ``(..., K)``.

    Returns:
        ``log pmf(x)``, shape ``x.shape[:-1]`` broadcast with ``p.shape[:-1]``.

    Example:
        >>> import numpy as np
        >>> from funcad.scipy.stats import multinomial
        >>> round(float(multinomial.logpmf(np.array([1, 2, 0]), 3, np.array([0.2, 0.3, 0.5]))), 6)
        -2.918771
        >>> float(multinomial.logpmf(np.array([1, 1, 0]), 3, np.array([0.2, 0.3, 0.5])))
        -inf
    """
    whole = (x == fnp.floor(x)) & (x >= 0)
    ok = fnp.all(whole, axis=-1) & (fnp.sum(x, axis=-1) == n) & (n == fnp.floor(n)) & (n >= 0)
    x = fnp.where(whole, x, 0)
    body = gammaln(n + 1.0) + fnp.sum(xlogy(x, p) - gammaln(x + 1.0), axis=-1)
    return masked(ok, body)


def pmf(x, n, p):
    """``P(X = x)`` (Args/Returns as :func:`logpmf`).

    Example:
        >>> import numpy as np
        >>> from funcad.scipy.stats import multinomial
        >>> float(multinomial.pmf(np.array([1, 1]), 2, np.array([0.5, 0.5])))
        0.5
    """
    return fnp.exp(logpmf(x, n, p))


def mean(n, p):
    """The mean ``n p`` (Args as :func:`logpmf`).

    Example:
        >>> import numpy as np
        >>> from funcad.scipy.stats import multinomial
        >>> multinomial.mean(4, np.array([0.25, 0.75]))
        array([1., 3.])
    """
    return fnp.expand_dims(_like(n, p), -1) * p


def cov(n, p):
    """The covariance ``n (diag(p) - p p^T)``, shape ``(..., K, K)`` (Args as :func:`logpmf`).

    Example:
        >>> import numpy as np
        >>> from funcad.scipy.stats import multinomial
        >>> multinomial.cov(4, np.array([0.5, 0.5]))
        array([[ 1., -1.],
               [-1.,  1.]])
    """
    outer = -p[..., :, None] * p[..., None, :]
    eye = as_type_of(fnp.eye(shape_of(p)[-1]), p)
    n = fnp.expand_dims(fnp.expand_dims(_like(n, p), -1), -1)
    return n * (outer + eye * p[..., None, :])


def _like(n, p):
    """A plain ``n`` (a Python int) as an array of ``p``'s type (CuPy refuses NumPy operands)."""
    return n if is_traced(n) else as_type_of(np.asarray(n), p)
