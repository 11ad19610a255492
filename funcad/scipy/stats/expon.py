"""The exponential distribution (``scipy.stats.expon``).

Example:
    >>> from funcad.scipy.stats import expon
    >>> float(expon.logpdf(1.0))
    -1.0
"""

from __future__ import annotations

from ... import numpy as fnp

__all__ = ["logpdf", "pdf", "cdf", "sf", "ppf"]


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


def sf(x, loc=0, scale=1):
    """``P(X > x)`` (Args/Returns as :func:`logpdf`).

    Example:
        >>> from funcad.scipy.stats import expon
        >>> float(expon.sf(0.0))
        1.0
    """
    z, inside = _z(x, loc, scale)
    return fnp.where(inside, fnp.exp(-fnp.where(inside, z, 0.0)), 1.0)


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
