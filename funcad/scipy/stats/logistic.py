"""The logistic distribution (``scipy.stats.logistic``).

Example:
    >>> from funcad.scipy.stats import logistic
    >>> float(logistic.cdf(0.0))
    0.5
"""

from __future__ import annotations

from ... import numpy as fnp
from ..special import expit, logit

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf"]


def logpdf(x, loc=0, scale=1):
    """Log-density ``-|z| - 2 log(1 + exp(-|z|)) - log(scale)``, ``z = (x - loc)/scale``.

    Args:
        x: points. loc: the median. scale: the scale (> 0).

    Returns:
        ``log pdf(x)``, broadcast over the arguments (finite for large ``|z|``).

    Example:
        >>> from funcad.scipy.stats import logistic
        >>> round(float(logistic.logpdf(0.0)), 6)
        -1.386294
    """
    a = fnp.abs((x - loc) / scale)
    return -a - 2.0 * fnp.log1p(fnp.exp(-a)) - fnp.log(scale)


def pdf(x, loc=0, scale=1):
    """Density (Args/Returns as :func:`logpdf`).

    Example:
        >>> from funcad.scipy.stats import logistic
        >>> float(logistic.pdf(0.0))
        0.25
    """
    return fnp.exp(logpdf(x, loc, scale))


def cdf(x, loc=0, scale=1):
    """``P(X <= x) = expit((x - loc)/scale)`` (Args/Returns as :func:`logpdf`).

    Example:
        >>> from funcad.scipy.stats import logistic
        >>> float(logistic.cdf(1.0, loc=1.0))
        0.5
    """
    return expit((x - loc) / scale)


def logcdf(x, loc=0, scale=1):
    """``log P(X <= x) = -log(1 + exp(-z))``, finite far into both tails.

    Args/Returns as :func:`logpdf`.

    Example:
        >>> from funcad.scipy.stats import logistic
        >>> float(logistic.logcdf(-1000.0))
        -1000.0
    """
    return -fnp.logaddexp(0.0, (loc - x) / scale)


def sf(x, loc=0, scale=1):
    """``P(X > x)`` (Args/Returns as :func:`logpdf`).

    Example:
        >>> from funcad.scipy.stats import logistic
        >>> float(logistic.sf(0.0))
        0.5
    """
    return expit((loc - x) / scale)


def logsf(x, loc=0, scale=1):
    """``log P(X > x) = -log(1 + exp(z))`` (Args/Returns as :func:`logpdf`).

    Example:
        >>> from funcad.scipy.stats import logistic
        >>> float(logistic.logsf(1000.0))
        -1000.0
    """
    return -fnp.logaddexp(0.0, (x - loc) / scale)


def ppf(q, loc=0, scale=1):
    """Quantile function ``loc + scale * logit(q)``.

    Args:
        q: probabilities in [0, 1]. loc, scale: as :func:`logpdf`.

    Returns:
        ``x`` with ``cdf(x) == q``.

    Example:
        >>> from funcad.scipy.stats import logistic
        >>> float(logistic.ppf(0.5, loc=2.0))
        2.0
    """
    return loc + scale * logit(q)


def isf(q, loc=0, scale=1):
    """Inverse survival function ``loc - scale * logit(q)`` (Args/Returns as :func:`ppf`).

    Example:
        >>> from funcad.scipy.stats import logistic
        >>> round(float(logistic.isf(1e-300)), 3)   # tiny q keeps its digits
        690.776
    """
    return loc - scale * logit(q)
