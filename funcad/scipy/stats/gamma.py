"""The gamma distribution (``scipy.stats.gamma``): the density, differentiable in ``a`` too.

Example:
    >>> from funcad.scipy.stats import gamma
    >>> float(gamma.logpdf(1.0, 1.0))   # a = 1: the exponential
    -1.0
"""

from __future__ import annotations

from ... import numpy as fnp
from ..special import gammainc, gammaincc, gammaln, xlogy

__all__ = ["logpdf", "pdf", "cdf", "sf"]


def logpdf(x, a, loc=0, scale=1):
    """``(a - 1) log z - z - log Gamma(a) - log scale`` on ``z = (x - loc)/scale >= 0``.

    Args:
        x: points. a: the shape (> 0). loc, scale: location and scale.

    Returns:
        ``log pdf(x)`` (``-inf`` below ``loc``), broadcast over the arguments.

    Example:
        >>> from funcad.scipy.stats import gamma
        >>> round(float(gamma.logpdf(2.0, 3.0)), 6)
        -1.306853
    """
    z = (x - loc) / scale
    ok = z >= 0
    z = fnp.where(ok, z, 1.0)
    return fnp.where(ok, xlogy(a - 1.0, z) - z - gammaln(a) - fnp.log(scale), -fnp.inf)


def pdf(x, a, loc=0, scale=1):
    """Density (Args/Returns as :func:`logpdf`).

    Example:
        >>> from funcad.scipy.stats import gamma
        >>> round(float(gamma.pdf(2.0, 3.0)), 6)
        0.270671
    """
    return fnp.exp(logpdf(x, a, loc, scale))


def cdf(x, a, loc=0, scale=1):
    """``P(X <= x)``, the regularized lower incomplete gamma function of ``z``.

    Differentiable in ``x``, ``loc`` and ``scale``; differentiating in ``a`` raises
    NoRuleError (the derivative of the incomplete gamma function in its parameter is
    not implemented).

    Args:
        x: points. a: the shape (> 0). loc, scale: location and scale.

    Returns:
        ``P(X <= x)``, broadcast over the arguments.

    Example:
        >>> from funcad.scipy.stats import gamma
        >>> round(float(gamma.cdf(1.0, 1.0)), 6)
        0.632121
    """
    z = (x - loc) / scale
    return gammainc(a, fnp.maximum(z, 0.0))


def sf(x, a, loc=0, scale=1):
    """``P(X > x)`` (as :func:`cdf`, with the upper incomplete gamma function).

    Example:
        >>> from funcad.scipy.stats import gamma
        >>> round(float(gamma.sf(1.0, 1.0)), 6)
        0.367879
    """
    z = (x - loc) / scale
    return gammaincc(a, fnp.maximum(z, 0.0))
