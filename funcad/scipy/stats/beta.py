"""The beta distribution (``scipy.stats.beta``): the density and the distribution functions
(through ``special.betainc``), differentiable in x, ``a``, ``b``, loc and scale.

Example:
    >>> from funcad.scipy.stats import beta
    >>> float(beta.pdf(0.5, 1.0, 1.0))
    1.0
"""

from __future__ import annotations

from ... import numpy as fnp
from ..special import betainc, betaincc, betaln, xlog1py, xlogy

__all__ = ["cdf", "logcdf", "logpdf", "logsf", "pdf", "sf"]


def logpdf(x, a, b, loc=0, scale=1):
    """``(a-1) log z + (b-1) log(1-z) - log B(a, b) - log scale`` on ``0 <= z <= 1``.

    Args:
        x: points (``z = (x - loc)/scale``). a, b: the shapes (> 0). loc, scale: as usual.

    Returns:
        ``log pdf(x)`` (``-inf`` off ``[loc, loc + scale]``), broadcast over the arguments.

    Example:
        >>> from funcad.scipy.stats import beta
        >>> round(float(beta.logpdf(0.5, 2.0, 2.0)), 6)
        0.405465
    """
    z = (x - loc) / scale
    ok = (z >= 0) & (z <= 1)
    z = fnp.where(ok, z, 0.5)
    val = xlogy(a - 1.0, z) + xlog1py(b - 1.0, -z) - betaln(a, b) - fnp.log(scale)
    return fnp.where(ok, val, -fnp.inf)


def pdf(x, a, b, loc=0, scale=1):
    """Density (Args/Returns as :func:`logpdf`).

    Example:
        >>> from funcad.scipy.stats import beta
        >>> float(beta.pdf(0.5, 2.0, 2.0))
        1.5
    """
    return fnp.exp(logpdf(x, a, b, loc, scale))


def _tail(x, a, b, loc, scale, upper):
    """``I_z(a, b)`` (or ``1 - I_z(a, b)``, the upper tail) with 0 and 1 off ``[0, 1]``; the
    incomplete beta function is called inside only, so the outside gets a zero gradient."""
    z = (x - loc) / scale
    inside = (z > 0) & (z < 1)
    zc = fnp.where(inside, z, 0.5)
    val = betaincc(a, b, zc) if upper else betainc(a, b, zc)
    below, above = (1.0, 0.0) if upper else (0.0, 1.0)
    return fnp.where(inside, val, fnp.where(z <= 0, below, above))


def cdf(x, a, b, loc=0, scale=1):
    """``P(X <= x)``: the regularised incomplete beta function ``I_z(a, b)``.

    Args:
        x: points (``z = (x - loc)/scale``). a, b: the shapes (> 0). loc, scale: as usual.

    Returns:
        The cdf (0 below ``loc``, 1 above ``loc + scale``), broadcast over the arguments.

    Example:
        >>> import funcad as fad
        >>> from funcad.scipy.stats import beta
        >>> float(beta.cdf(0.5, 2.0, 2.0)), float(fad.grad(beta.cdf)(0.5, 2.0, 2.0))
        (0.5, 1.5)
    """
    return _tail(x, a, b, loc, scale, upper=False)


def sf(x, a, b, loc=0, scale=1):
    """``P(X > x) = 1 - I_z(a, b)`` (``special.betaincc``; Args/Returns as :func:`cdf`).

    Example:
        >>> from funcad.scipy.stats import beta
        >>> float(beta.sf(0.5, 2.0, 2.0))
        0.5
    """
    return _tail(x, a, b, loc, scale, upper=True)


def logcdf(x, a, b, loc=0, scale=1):
    """``log cdf(x)`` (Args/Returns as :func:`cdf`).

    Example:
        >>> from funcad.scipy.stats import beta
        >>> round(float(beta.logcdf(0.5, 2.0, 2.0)), 6)
        -0.693147
    """
    return fnp.log(cdf(x, a, b, loc, scale))


def logsf(x, a, b, loc=0, scale=1):
    """``log sf(x)`` (Args/Returns as :func:`cdf`).

    Example:
        >>> from funcad.scipy.stats import beta
        >>> round(float(beta.logsf(0.5, 2.0, 2.0)), 6)
        -0.693147
    """
    return fnp.log(sf(x, a, b, loc, scale))
