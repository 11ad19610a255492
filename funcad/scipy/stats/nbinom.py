"""The negative binomial distribution (``scipy.stats.nbinom``), differentiable in ``n``, ``p``
(the cdf/sf too: in ``n`` through the series of ``special.betainc``).

Example:
    >>> from funcad.scipy.stats import nbinom
    >>> float(nbinom.pmf(0, 1.0, 0.5))
    0.5
"""

from __future__ import annotations

from ... import numpy as fnp
from ..special import betainc, gammaln, xlog1py, xlogy
from ._discrete import masked, on_support

__all__ = ["cdf", "logcdf", "logpmf", "logsf", "pmf", "sf"]


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


def _tail(k, n, p, loc, upper):
    """``P(X <= k) = I_p(n, k + 1)`` (``upper``: ``P(X > k) = I_{1-p}(k + 1, n)``), called for
    ``k >= 0`` only."""
    k = fnp.floor(k - loc)
    inside = k >= 0
    k1 = fnp.where(inside, k + 1.0, 1.0)
    val = betainc(k1, n, 1 - p) if upper else betainc(n, k1, p)
    return fnp.where(inside, val, 1.0 if upper else 0.0)


def cdf(k, n, p, loc=0):
    """``P(X <= k) = I_p(n, k + 1)`` (``k`` floored, as SciPy).

    Args:
        k: failures before the ``n``-th success. n: successes (> 0, may be real).
            p: the success probability. loc: a shift of ``k``.

    Returns:
        The cdf, broadcast over the arguments.

    Example:
        >>> import funcad as fad
        >>> from funcad.scipy.stats import nbinom
        >>> float(nbinom.cdf(0, 2.0, 0.5)), float(fad.grad(nbinom.cdf, 2)(0, 2.0, 0.5))   # p^2
        (0.25, 1.0)
    """
    return _tail(k, n, p, loc, upper=False)


def sf(k, n, p, loc=0):
    """``P(X > k) = I_{1-p}(k + 1, n)`` (Args/Returns as :func:`cdf`).

    Example:
        >>> from funcad.scipy.stats import nbinom
        >>> float(nbinom.sf(0, 2.0, 0.5))
        0.75
    """
    return _tail(k, n, p, loc, upper=True)


def logcdf(k, n, p, loc=0):
    """``log cdf(k)`` (Args/Returns as :func:`cdf`).

    Example:
        >>> from funcad.scipy.stats import nbinom
        >>> round(float(nbinom.logcdf(0, 2.0, 0.5)), 6)
        -1.386294
    """
    return fnp.log(cdf(k, n, p, loc))


def logsf(k, n, p, loc=0):
    """``log sf(k)`` (Args/Returns as :func:`cdf`).

    Example:
        >>> from funcad.scipy.stats import nbinom
        >>> round(float(nbinom.logsf(0, 2.0, 0.5)), 6)
        -0.287682
    """
    return fnp.log(sf(k, n, p, loc))
