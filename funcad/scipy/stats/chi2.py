"""The chi-squared distribution (``scipy.stats.chi2``), differentiable in ``df`` too.

Example:
    >>> from funcad.scipy.stats import chi2
    >>> float(chi2.pdf(0.0, 2.0))
    0.5
"""

from __future__ import annotations

from ... import numpy as fnp
from . import gamma

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf"]


def logpdf(x, df, loc=0, scale=1):
    """Log-density of chi-squared with ``df`` degrees of freedom: gamma(df/2, scale=2 scale).

    Args:
        x: points. df: degrees of freedom (> 0). loc, scale: location and scale.

    Returns:
        ``log pdf(x)`` (``-inf`` below ``loc``), broadcast over the arguments.

    Example:
        >>> from funcad.scipy.stats import chi2
        >>> round(float(chi2.logpdf(1.0, 3.0)), 6)
        -1.418939
    """
    return gamma.logpdf(x, 0.5 * df, loc, 2.0 * scale)


def pdf(x, df, loc=0, scale=1):
    """Density (Args/Returns as :func:`logpdf`).

    Example:
        >>> from funcad.scipy.stats import chi2
        >>> round(float(chi2.pdf(1.0, 3.0)), 6)
        0.241971
    """
    return fnp.exp(logpdf(x, df, loc, scale))


def cdf(x, df, loc=0, scale=1):
    """``P(X <= x)``: gamma.cdf(x, df/2, loc, 2 scale); differentiating in ``df`` raises.

    Example:
        >>> from funcad.scipy.stats import chi2
        >>> round(float(chi2.cdf(2.0, 2.0)), 6)
        0.632121
    """
    return gamma.cdf(x, 0.5 * df, loc, 2.0 * scale)


def sf(x, df, loc=0, scale=1):
    """``P(X > x)``: gamma.sf(x, df/2, loc, 2 scale); differentiating in ``df`` raises.

    Example:
        >>> from funcad.scipy.stats import chi2
        >>> round(float(chi2.sf(2.0, 2.0)), 6)
        0.367879
    """
    return gamma.sf(x, 0.5 * df, loc, 2.0 * scale)


def logcdf(x, df, loc=0, scale=1):
    """``log P(X <= x)``: gamma.logcdf(x, df/2, loc, 2 scale); differentiating in ``df`` raises.

    Example:
        >>> from funcad.scipy.stats import chi2
        >>> round(float(chi2.logcdf(2.0, 2.0)), 6)
        -0.458675
    """
    return gamma.logcdf(x, 0.5 * df, loc, 2.0 * scale)


def logsf(x, df, loc=0, scale=1):
    """``log P(X > x)``: gamma.logsf(x, df/2, loc, 2 scale); differentiating in ``df`` raises.

    Example:
        >>> from funcad.scipy.stats import chi2
        >>> float(chi2.logsf(6.0, 2.0))
        -3.0
    """
    return gamma.logsf(x, 0.5 * df, loc, 2.0 * scale)


def ppf(q, df, loc=0, scale=1):
    """Quantile function: gamma.ppf(q, df/2, loc, 2 scale); differentiating in ``df`` raises.

    Example:
        >>> from funcad.scipy.stats import chi2
        >>> round(float(chi2.ppf(0.95, 1.0)), 6)   # 1.959964**2
        3.841459
    """
    return gamma.ppf(q, 0.5 * df, loc, 2.0 * scale)


def isf(q, df, loc=0, scale=1):
    """Inverse survival function: gamma.isf(q, df/2, loc, 2 scale) (as :func:`ppf`).

    Example:
        >>> from funcad.scipy.stats import chi2
        >>> round(float(chi2.isf(0.05, 1.0)), 6)
        3.841459
    """
    return gamma.isf(q, 0.5 * df, loc, 2.0 * scale)
