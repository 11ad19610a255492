"""The Bernoulli distribution (``scipy.stats.bernoulli``), differentiable in ``p``.

Example:
    >>> from funcad.scipy.stats import bernoulli
    >>> float(bernoulli.pmf(1, 0.25))
    0.25
"""

from __future__ import annotations

from ... import numpy as fnp
from ..special import xlog1py, xlogy
from ._discrete import masked, on_support

__all__ = ["logpmf", "pmf"]


def logpmf(k, p, loc=0):
    """``k log p + (1 - k) log(1 - p)`` at ``k - loc`` in {0, 1}, ``-inf`` elsewhere.

    Args:
        k: outcomes. p: the probability of 1. loc: a shift of ``k``.

    Returns:
        ``log pmf(k)``, broadcast over the arguments.

    Example:
        >>> from funcad.scipy.stats import bernoulli
        >>> round(float(bernoulli.logpmf(0, 0.5)), 6)
        -0.693147
    """
    k = k - loc
    ok = on_support(k, 0, 1)
    k_safe = fnp.where(ok, k, 0)
    return masked(ok, xlogy(k_safe, p) + xlog1py(1 - k_safe, -p))


def pmf(k, p, loc=0):
    """``P(X = k)`` (Args/Returns as :func:`logpmf`).

    Example:
        >>> from funcad.scipy.stats import bernoulli
        >>> float(bernoulli.pmf(0, 0.25))
        0.75
    """
    return fnp.exp(logpmf(k, p, loc))
