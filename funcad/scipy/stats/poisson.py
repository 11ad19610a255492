"""The Poisson distribution (``scipy.stats.poisson``), differentiable in ``mu``.

Example:
    >>> import funcad as fad
    >>> from funcad.scipy.stats import poisson
    >>> float(fad.grad(poisson.logpmf, 1)(2.0, 1.0))   # k / mu - 1
    1.0
"""

from __future__ import annotations

from ... import numpy as fnp
from ..special import gammaln, xlogy
from ._discrete import masked, on_support

__all__ = ["logpmf", "pmf"]


def logpmf(k, mu, loc=0):
    """``k log(mu) - mu - log(k!)`` at integers ``k >= loc``, ``-inf`` elsewhere.

    Args:
        k: counts. mu: the mean (>= 0). loc: a shift of ``k``.

    Returns:
        ``log pmf(k)``, broadcast over the arguments.

    Example:
        >>> from funcad.scipy.stats import poisson
        >>> float(poisson.logpmf(0, 2.0))
        -2.0
    """
    k = k - loc
    ok = on_support(k, 0)
    k_safe = fnp.where(ok, k, 0)
    return masked(ok, xlogy(k_safe, mu) - mu - gammaln(k_safe + 1.0))


def pmf(k, mu, loc=0):
    """``P(X = k)`` (Args/Returns as :func:`logpmf`).

    Example:
        >>> from funcad.scipy.stats import poisson
        >>> round(float(poisson.pmf(1, 1.0)), 6)
        0.367879
    """
    return fnp.exp(logpmf(k, mu, loc))
