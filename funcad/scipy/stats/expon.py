"""The exponential distribution (``scipy.stats.expon``).

Example:
    >>> from funcad.scipy.stats import expon
    >>> float(expon.logpdf(1.0))
    -1.0
"""

from __future__ import annotations

from ... import numpy as fnp
from ._tails import log1mexp

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf"]


def _z(x, loc, scale):
    z = (x - loc) / scale
    return z, z >= 0


def logpdf(x, loc=0, scale=1):
    """Log-density ``-(x - loc)/scale - log(scale)`` on ``x >= loc``, ``-inf`` below.

    Args:
        x: points. loc: start of the support. scale: the mean minus loc (> 0).

    Returns:
        ``log pdf(x)``, broadcast over the arguments.

    Example:
        >>> from funcad.scipy.stats import expon
        >>> float(expon.logpdf(-1.0))
        -inf
    """
    z, inside = _z(x, loc, scale)
    return fnp.where(inside, -z - fnp.log(scale), -fnp.inf)


def pdf(x, loc=0, scale=1):
    """Density (Args/Returns as :func:`logpdf`).

    Example:
        >>> from funcad.scipy.stats import expon
        >>> float(expon.pdf(0.0, scale=2.0))
        0.5
    """
    return fnp.exp(logpdf(x, loc, scale))


def cdf(x, loc=0, scale=1):
    """``P(X <= x)`` (Args/Returns as :func:`logpdf`).

    Example:
        >>> from funcad.scipy.stats import expon
        >>> float(expon.cdf(0.0))
        0.0
    """
    z, inside = _z(x, loc, scale)
    return fnp.where(inside, -fnp.expm1(-fnp.where(inside, z, 0.0)), 0.0)


def logcdf(x, loc=0, scale=1):
    """``log P(X <= x) = log(1 - exp(-z))``, accurate for tiny and for large ``z``.

    Args/Returns as :func:`logpdf` (``-inf`` at and below ``loc``).

    Example:
        >>> from funcad.scipy.stats import expon
        >>> float(expon.logcdf(40.0))   # -exp(-40): log(cdf) would round to 0
        -4.248354255291589e-18
    """
    z, _ = _z(x, loc, scale)
    pos = z > 0
    return fnp.where(pos, log1mexp(fnp.where(pos, z, 1.0)), -fnp.inf)


def sf(x, loc=0, scale=1):
    """``P(X > x)`` (Args/Returns as :func:`logpdf`).

    Example:
        >>> from funcad.scipy.stats import expon
        >>> float(expon.sf(0.0))
        1.0
    """
    z, inside = _z(x, loc, scale)
    return fnp.where(inside, fnp.exp(-fnp.where(inside, z, 0.0)), 1.0)


def logsf(x, loc=0, scale=1):
    """``log P(X > x) = -(x - loc)/scale`` on the support, 0 below it.

    Example:
        >>> from funcad.scipy.stats import expon
        >>> float(expon.logsf(1000.0))
        -1000.0
    """
    z, inside = _z(x, loc, scale)
    return fnp.where(inside, -z, 0.0)


def ppf(q, loc=0, scale=1):
    """Quantile function, the inverse of :func:`cdf`.

    Args:
        q: probabilities in [0, 1]. loc, scale: as :func:`logpdf`.

    Returns:
        ``loc - scale * log(1 - q)``.

    Example:
        >>> from funcad.scipy.stats import expon
        >>> float(expon.ppf(0.0))
        0.0
    """
    return loc - scale * fnp.log1p(-q)


def isf(q, loc=0, scale=1):
    """Inverse survival function ``loc - scale * log(q)``, the inverse of :func:`sf`.

    Args:
        q: probabilities in [0, 1]. loc, scale: as :func:`logpdf`.

    Returns:
        ``x`` with ``sf(x) == q`` (accurate for tiny ``q``).

    Example:
        >>> from funcad.scipy.stats import expon
        >>> float(expon.isf(1.0))
        0.0
    """
    return loc - scale * fnp.log(q)
