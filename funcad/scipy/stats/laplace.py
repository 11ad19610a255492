"""The Laplace distribution (``scipy.stats.laplace``).

Example:
    >>> from funcad.scipy.stats import laplace
    >>> float(laplace.cdf(0.0))
    0.5
"""

from __future__ import annotations

import numpy as np

from ... import numpy as fnp

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf"]

_LOG2 = float(np.log(2.0))


def logpdf(x, loc=0, scale=1):
    """Log-density ``-|x - loc|/scale - log(2 scale)``.

    Args:
        x: points. loc: the median. scale: the scale (> 0).

    Returns:
        ``log pdf(x)``, broadcast over the arguments.

    Example:
        >>> from funcad.scipy.stats import laplace
        >>> round(float(laplace.logpdf(1.0)), 6)
        -1.693147
    """
    return -fnp.abs((x - loc) / scale) - _LOG2 - fnp.log(scale)


def pdf(x, loc=0, scale=1):
    """Density (Args/Returns as :func:`logpdf`).

    Example:
        >>> from funcad.scipy.stats import laplace
        >>> float(laplace.pdf(0.0))
        0.5
    """
    return fnp.exp(logpdf(x, loc, scale))


def cdf(x, loc=0, scale=1):
    """``P(X <= x)`` (Args/Returns as :func:`logpdf`).

    Example:
        >>> from funcad.scipy.stats import laplace
        >>> round(float(laplace.cdf(1.0)), 6)
        0.81606
    """
    z = (x - loc) / scale
    half_tail = 0.5 * fnp.exp(-fnp.abs(z))
    return fnp.where(z < 0, half_tail, 1.0 - half_tail)


def logcdf(x, loc=0, scale=1):
    """``log P(X <= x)``: ``z - log 2`` below the median, ``log1p(-exp(-z)/2)`` above.

    Args/Returns as :func:`logpdf`; finite far into both tails.

    Example:
        >>> from funcad.scipy.stats import laplace
        >>> round(float(laplace.logcdf(-1000.0)), 6)
        -1000.693147
    """
    z = (x - loc) / scale
    neg = z < 0
    return fnp.where(neg, fnp.where(neg, z, 0.0) - _LOG2,
                     fnp.log1p(-0.5 * fnp.exp(-fnp.where(neg, 0.0, z))))


def sf(x, loc=0, scale=1):
    """``P(X > x)`` (Args/Returns as :func:`logpdf`).

    Example:
        >>> from funcad.scipy.stats import laplace
        >>> round(float(laplace.sf(1.0)), 6)
        0.18394
    """
    return cdf(-x, -loc, scale)


def logsf(x, loc=0, scale=1):
    """``log P(X > x)``, the mirror image of :func:`logcdf`.

    Example:
        >>> from funcad.scipy.stats import laplace
        >>> round(float(laplace.logsf(1000.0)), 6)
        -1000.693147
    """
    return logcdf(-x, -loc, scale)


def _ppf_standard(q):
    # log(2q) below the median, -log(2(1 - q)) above: q itself, not q - 1/2, carries the
    # digits of a tiny lower-tail probability (1 - q is exact for q >= 1/2)
    low = q < 0.5
    return fnp.where(low, fnp.log(2.0 * q), -fnp.log(2.0 * (1.0 - q)))


def ppf(q, loc=0, scale=1):
    """Quantile function, the inverse of :func:`cdf`.

    Args:
        q: probabilities in [0, 1]. loc, scale: as :func:`logpdf`.

    Returns:
        ``x`` with ``cdf(x) == q``.

    Example:
        >>> from funcad.scipy.stats import laplace
        >>> float(laplace.ppf(0.5))
        0.0
    """
    return loc + scale * _ppf_standard(q)


def isf(q, loc=0, scale=1):
    """Inverse survival function, the inverse of :func:`sf` (Args/Returns as :func:`ppf`).

    Example:
        >>> from funcad.scipy.stats import laplace
        >>> round(float(laplace.isf(0.25)), 6)
        0.693147
    """
    return loc - scale * _ppf_standard(q)
