"""The normal distribution (``scipy.stats.norm``), stable in the tails.

Example:
    >>> from funcad.scipy.stats import norm
    >>> bool(norm.logcdf(-40.0) > -805)   # finite: log_ndtr's asymptotic series
    True
"""

from __future__ import annotations

import numpy as np

from ... import numpy as fnp
from ..special import log_ndtr, ndtr, ndtri

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf"]

_LOG_SQRT_2PI = float(np.log(np.sqrt(2 * np.pi)))


def logpdf(x, loc=0, scale=1):
    """Log-density of N(loc, scale**2) at ``x``.

    Args:
        x: points. loc: mean. scale: standard deviation (> 0).

    Returns:
        ``log pdf(x)``, broadcast over the arguments.

    Example:
        >>> from funcad.scipy.stats import norm
        >>> round(float(norm.logpdf(0.0)), 6)
        -0.918939
    """
    z = (x - loc) / scale
    return -0.5 * z * z - _LOG_SQRT_2PI - fnp.log(scale)


def pdf(x, loc=0, scale=1):
    """Density of N(loc, scale**2) at ``x`` (Args/Returns as :func:`logpdf`).

    Example:
        >>> from funcad.scipy.stats import norm
        >>> round(float(norm.pdf(0.0)), 6)
        0.398942
    """
    return fnp.exp(logpdf(x, loc, scale))


def cdf(x, loc=0, scale=1):
    """Distribution function ``P(X <= x)`` (Args/Returns as :func:`logpdf`).

    Example:
        >>> from funcad.scipy.stats import norm
        >>> float(norm.cdf(1.0, loc=1.0))
        0.5
    """
    return ndtr((x - loc) / scale)


def logcdf(x, loc=0, scale=1):
    """``log P(X <= x)``, finite far into the lower tail (Args/Returns as :func:`logpdf`).

    Example:
        >>> from funcad.scipy.stats import norm
        >>> round(float(norm.logcdf(-40.0)), 3)
        -804.608
    """
    return log_ndtr((x - loc) / scale)


def sf(x, loc=0, scale=1):
    """Survival function ``P(X > x)`` (Args/Returns as :func:`logpdf`).

    Example:
        >>> from funcad.scipy.stats import norm
        >>> float(norm.sf(0.0))
        0.5
    """
    return ndtr((loc - x) / scale)


def logsf(x, loc=0, scale=1):
    """``log P(X > x)``, finite far into the upper tail (Args/Returns as :func:`logpdf`).

    Example:
        >>> from funcad.scipy.stats import norm
        >>> round(float(norm.logsf(40.0)), 3)
        -804.608
    """
    return log_ndtr((loc - x) / scale)


def ppf(q, loc=0, scale=1):
    """Quantile function, the inverse of :func:`cdf`.

    Args:
        q: probabilities in [0, 1]. loc, scale: as :func:`logpdf`.

    Returns:
        ``x`` with ``cdf(x) == q``.

    Example:
        >>> from funcad.scipy.stats import norm
        >>> float(norm.ppf(0.5, loc=3.0))
        3.0
    """
    return loc + scale * ndtri(q)


def isf(q, loc=0, scale=1):
    """Inverse survival function ``loc - scale * ndtri(q)``, the inverse of :func:`sf`.

    Args/Returns as :func:`ppf`.

    Example:
        >>> from funcad.scipy.stats import norm
        >>> round(float(norm.isf(0.025)), 6)
        1.959964
    """
    return loc - scale * ndtri(q)
