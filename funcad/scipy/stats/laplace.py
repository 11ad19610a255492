"""The Laplace distribution (``scipy.stats.laplace``).

Example:
    >>> from funcad.scipy.stats import laplace
    >>> float(laplace.cdf(0.0))
    0.5
"""

from __future__ import annotations

import numpy as np

from ... import numpy as fnp

__all__ = ["logpdf", "pdf", "cdf", "sf", "ppf"]

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


def sf(x, loc=0, scale=1):
    """``P(X > x)`` (Args/Returns as :func:`logpdf`).

    Example:
        >>> from funcad.scipy.stats import laplace
        >>> round(float(laplace.sf(1.0)), 6)
        0.18394
    """
    return cdf(-x, -loc, scale)


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
    c = q - 0.5
    return loc - scale * fnp.sign(c) * fnp.log1p(-2.0 * fnp.abs(c))
