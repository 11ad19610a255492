"""The negative binomial distribution (``scipy.stats.nbinom``), differentiable in ``n``, ``p``.

Example:
    >>> from funcad.scipy.stats import nbinom
    >>> float(nbinom.pmf(0, 1.0, 0.5))
    0.5
"""

from __future__ import annotations

from ... import numpy as fnp
from ..special import gammaln, xlog1py, xlogy
from ._discrete import masked, on_support

__all__ = ["logpmf", "pmf"]


def logpmf(k, n, p, loc=0):
    """``log C(k + n - 1, k) + n log p + k log(1 - p)`` at integers ``k - loc >= 0``.

    Args:
        k: failures before the ``n``-th success. n: successes (> 0, may be real).
        p: the success probability. loc: a shift of ``k``.

    Returns:
        ``log pmf(k)`` (``-inf`` off the support), broadcast over the arguments.

    Example:
        >>> from funcad.scipy.stats import nbinom
        >>> round(float(nbinom.logpmf(1, 2.0, 0.5)), 6)
        -1.386294
    """
    k = k - loc
    ok = on_support(k, 0)
    k_safe = fnp.where(ok, k, 0)
    comb = gammaln(k_safe + n) - gammaln(n) - gammaln(k_safe + 1.0)
    return masked(ok, comb + xlogy(n, p) + xlog1py(k_safe, -p))


def pmf(k, n, p, loc=0):
    """``P(X = k)`` (Args/Returns as :func:`logpmf`).

    Example:
        >>> from funcad.scipy.stats import nbinom
        >>> float(nbinom.pmf(1, 2.0, 0.5))
        0.25
    """
    return fnp.exp(logpmf(k, n, p, loc))
