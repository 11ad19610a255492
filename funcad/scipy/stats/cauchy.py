"""The Cauchy distribution (``scipy.stats.cauchy``).

Example:
    >>> from funcad.scipy.stats import cauchy
    >>> float(cauchy.cdf(0.0))
    0.5
"""

from __future__ import annotations

import numpy as np

from ... import numpy as fnp

__all__ = ["logpdf", "pdf", "cdf", "sf", "ppf"]


def logpdf(x, loc=0, scale=1):
    """Log-density ``-log(pi scale) - log(1 + z**2)``, ``z = (x - loc)/scale``.

    Args:
        x: points. loc: the median. scale: the half-width (> 0).

    Returns:
        ``log pdf(x)``, broadcast over the arguments.

    Example:
        >>> from funcad.scipy.stats import cauchy
        >>> round(float(cauchy.logpdf(0.0)), 6)
        -1.14473
    """
    z = (x - loc) / scale
    return -fnp.log(np.pi * scale) - fnp.log1p(z * z)


def pdf(x, loc=0, scale=1):
    """Density (Args/Returns as :func:`logpdf`).

    Example:
        >>> from funcad.scipy.stats import cauchy
        >>> round(float(cauchy.pdf(1.0)), 6)
        0.159155
    """
    return fnp.exp(logpdf(x, loc, scale))


def cdf(x, loc=0, scale=1):
    """``P(X <= x) = 1/2 + arctan(z)/pi`` (Args/Returns as :func:`logpdf`).

    Example:
        >>> from funcad.scipy.stats import cauchy
        >>> float(cauchy.cdf(1.0))
        0.75
    """
    return 0.5 + fnp.arctan((x - loc) / scale) / np.pi


def sf(x, loc=0, scale=1):
    """``P(X > x)`` (Args/Returns as :func:`logpdf`).

    Example:
        >>> from funcad.scipy.stats import cauchy
        >>> float(cauchy.sf(1.0))
        0.25
    """
    return 0.5 - fnp.arctan((x - loc) / scale) / np.pi


def ppf(q, loc=0, scale=1):
    """Quantile function ``loc + scale * tan(pi (q - 1/2))``.

    Args:
        q: probabilities in (0, 1). loc, scale: as :func:`logpdf`.

    Returns:
        ``x`` with ``cdf(x) == q``.

    Example:
        >>> from funcad.scipy.stats import cauchy
        >>> float(cauchy.ppf(0.5))
        0.0
    """
    return loc + scale * fnp.tan(np.pi * (q - 0.5))
