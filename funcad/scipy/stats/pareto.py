"""The Pareto distribution (``scipy.stats.pareto``), differentiable in ``b`` too.

Example:
    >>> from funcad.scipy.stats import pareto
    >>> float(pareto.pdf(1.0, 2.0))
    2.0
"""

from __future__ import annotations

from ... import numpy as fnp
from ._tails import log1mexp

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf"]


def _z(x, loc, scale):
    """``z = (x - loc)/scale`` (1 off the support ``z >= 1``) and the support mask."""
    z = (x - loc) / scale
    ok = z >= 1
    return fnp.where(ok, z, 1.0), ok


def logpdf(x, b, loc=0, scale=1):
    """``log b - (b + 1) log z - log scale`` on ``z = (x - loc)/scale >= 1``, else ``-inf``.

    Args:
        x: points. b: the shape (> 0). loc, scale: location and scale.

    Returns:
        ``log pdf(x)``, broadcast over the arguments.

    Example:
        >>> from funcad.scipy.stats import pareto
        >>> float(pareto.logpdf(0.5, 2.0))
        -inf
    """
    z, ok = _z(x, loc, scale)
    return fnp.where(ok, fnp.log(b) - (b + 1.0) * fnp.log(z) - fnp.log(scale), -fnp.inf)


def pdf(x, b, loc=0, scale=1):
    """Density (Args/Returns as :func:`logpdf`).

    Example:
        >>> from funcad.scipy.stats import pareto
        >>> float(pareto.pdf(2.0, 1.0))
        0.25
    """
    return fnp.exp(logpdf(x, b, loc, scale))


def logsf(x, b, loc=0, scale=1):
    """``log P(X > x) = -b log z`` on the support, 0 below it.

    Args/Returns as :func:`logpdf`; differentiable in ``b`` too.

    Example:
        >>> from funcad.scipy.stats import pareto
        >>> round(float(pareto.logsf(4.0, 2.0)), 6)   # log(1/16)
        -2.772589
    """
    z, _ = _z(x, loc, scale)
    return -b * fnp.log(z)


def sf(x, b, loc=0, scale=1):
    """``P(X > x) = z**-b`` on the support, 1 below it (Args/Returns as :func:`logpdf`).

    Example:
        >>> from funcad.scipy.stats import pareto
        >>> float(pareto.sf(4.0, 2.0))
        0.0625
    """
    z, _ = _z(x, loc, scale)
    return fnp.power(z, -b)


def logcdf(x, b, loc=0, scale=1):
    """``log P(X <= x) = log(1 - z**-b)``, accurate near the lower end and in the tail.

    Example:
        >>> from funcad.scipy.stats import pareto
        >>> round(float(pareto.logcdf(4.0, 2.0)), 6)   # log(15/16)
        -0.064539
    """
    z, _ = _z(x, loc, scale)
    pos = z > 1
    return fnp.where(pos, log1mexp(b * fnp.log(fnp.where(pos, z, 2.0))), -fnp.inf)


def cdf(x, b, loc=0, scale=1):
    """``P(X <= x) = 1 - z**-b`` on the support, 0 below it (Args/Returns as :func:`logpdf`).

    Example:
        >>> from funcad.scipy.stats import pareto
        >>> float(pareto.cdf(4.0, 2.0))
        0.9375
    """
    z, _ = _z(x, loc, scale)
    return -fnp.expm1(-b * fnp.log(z))


def ppf(q, b, loc=0, scale=1):
    """Quantile function ``loc + scale * (1 - q)**(-1/b)``.

    Args:
        q: probabilities in [0, 1]. b, loc, scale: as :func:`logpdf`.

    Returns:
        ``x`` with ``cdf(x) == q``.

    Example:
        >>> from funcad.scipy.stats import pareto
        >>> float(pareto.ppf(0.75, 2.0))
        2.0
    """
    return loc + scale * fnp.exp(-fnp.log1p(-q) / b)


def isf(q, b, loc=0, scale=1):
    """Inverse survival function ``loc + scale * q**(-1/b)`` (Args/Returns as :func:`ppf`).

    Example:
        >>> from funcad.scipy.stats import pareto
        >>> float(pareto.isf(0.25, 2.0))
        2.0
    """
    return loc + scale * fnp.power(q, -1.0 / b)
