"""The binomial distribution (``scipy.stats.binom``), differentiable in ``p``.

Example:
    >>> from funcad.scipy.stats import binom
    >>> float(binom.pmf(1, 2, 0.5))
    0.5
"""

from __future__ import annotations

from ... import numpy as fnp
from ..special import gammaln, xlog1py, xlogy
from ._discrete import masked, on_support

__all__ = ["logpmf", "pmf"]


def logpmf(k, n, p, loc=0):
    """``log C(n, k) + k log p + (n - k) log(1 - p)`` at integers ``0 <= k - loc <= n``.

    Args:
        k: successes. n: trials. p: the success probability. loc: a shift of ``k``.

    Returns:
        ``log pmf(k)`` (``-inf`` off the support), broadcast over the arguments.

    Example:
        >>> from funcad.scipy.stats import binom
        >>> round(float(binom.logpmf(0, 2, 0.5)), 6)
        -1.386294
    """
    k = k - loc
    ok = on_support(k, 0, n)
    k_safe = fnp.where(ok, k, 0)
    comb = gammaln(n + 1.0) - gammaln(k_safe + 1.0) - gammaln(n - k_safe + 1.0)
    return masked(ok, comb + xlogy(k_safe, p) + xlog1py(n - k_safe, -p))


def pmf(k, n, p, loc=0):
    """``P(X = k)`` (Args/Returns as :func:`logpmf`).

    Example:
        >>> from funcad.scipy.stats import binom
        >>> float(binom.pmf(2, 2, 0.5))
        0.25
    """
    return fnp.exp(logpmf(k, n, p, loc))
