"""The F distribution (``scipy.stats.f``): the density and the distribution functions (through
``special.betainc``), differentiable in x, both degrees of freedom, loc and scale.

Example:
    >>> from funcad.scipy.stats import f
    >>> round(float(f.cdf(1.0, 4.0, 4.0)), 6)
    0.5
"""

from __future__ import annotations

from ... import numpy as fnp
from ..special import betainc, betaln, xlogy

__all__ = ["cdf", "logcdf", "logpdf", "logsf", "pdf", "sf"]


def logpdf(x, dfn, dfd, loc=0, scale=1):
    """``log pdf`` of ``z = (x - loc)/scale``: ``(dfn/2) log(dfn) + (dfd/2) log(dfd) +
    (dfn/2 - 1) log z - ((dfn + dfd)/2) log(dfd + dfn z) - log B(dfn/2, dfd/2) - log scale``.

    Args:
        x: points. dfn, dfd: the degrees of freedom (> 0). loc, scale: as usual.

    Returns:
        ``log pdf(x)`` (``-inf`` for ``z <= 0``), broadcast over the arguments.

    Example:
        >>> from funcad.scipy.stats import f
        >>> round(float(f.logpdf(1.0, 4.0, 4.0)), 6)
        -0.980829
    """
    z = (x - loc) / scale
    ok = z > 0
    z = fnp.where(ok, z, 1.0)
    hn, hd = 0.5 * dfn, 0.5 * dfd
    val = (hn * fnp.log(dfn) + hd * fnp.log(dfd) + xlogy(hn - 1.0, z)
           - (hn + hd) * fnp.log(dfd + dfn * z) - betaln(hn, hd) - fnp.log(scale))
    return fnp.where(ok, val, -fnp.inf)


def pdf(x, dfn, dfd, loc=0, scale=1):
    """Density (Args/Returns as :func:`logpdf`).

    Example:
        >>> from funcad.scipy.stats import f
        >>> round(float(f.pdf(1.0, 4.0, 4.0)), 6)
        0.375
    """
    return fnp.exp(logpdf(x, dfn, dfd, loc, scale))


def _tail(x, dfn, dfd, loc, scale, upper):
    z = (x - loc) / scale
    ok = z > 0
    z = fnp.where(ok, z, 1.0)
    w = dfd + dfn * z
    # the upper tail as I_{dfd/w}(dfd/2, dfn/2), as SciPy's fdtrc: 1 - dfn z/w would round
    val = betainc(0.5 * dfd, 0.5 * dfn, dfd / w) if upper else \
        betainc(0.5 * dfn, 0.5 * dfd, dfn * z / w)
    return fnp.where(ok, val, 1.0 if upper else 0.0)


def cdf(x, dfn, dfd, loc=0, scale=1):
    """``P(X <= x) = I_{dfn z/(dfn z + dfd)}(dfn/2, dfd/2)``.

    Args:
        x: points (``z = (x - loc)/scale``). dfn, dfd: the degrees of freedom (> 0).
            loc, scale: as usual.

    Returns:
        The cdf (0 for ``z <= 0``), broadcast over the arguments.

    Example:
        >>> import funcad as fad
        >>> from funcad.scipy.stats import f
        >>> round(float(fad.grad(f.cdf)(1.0, 4.0, 4.0)), 6)   # the density
        0.375
    """
    return _tail(x, dfn, dfd, loc, scale, upper=False)


def sf(x, dfn, dfd, loc=0, scale=1):
    """``P(X > x) = I_{dfd/(dfn z + dfd)}(dfd/2, dfn/2)`` (Args/Returns as :func:`cdf`).

    Example:
        >>> from funcad.scipy.stats import f
        >>> round(float(f.sf(1.0, 4.0, 4.0)), 6)
        0.5
    """
    return _tail(x, dfn, dfd, loc, scale, upper=True)


def logcdf(x, dfn, dfd, loc=0, scale=1):
    """``log cdf(x)`` (Args/Returns as :func:`cdf`).

    Example:
        >>> from funcad.scipy.stats import f
        >>> round(float(f.logcdf(1.0, 4.0, 4.0)), 6)
        -0.693147
    """
    return fnp.log(cdf(x, dfn, dfd, loc, scale))


def logsf(x, dfn, dfd, loc=0, scale=1):
    """``log sf(x)`` (Args/Returns as :func:`cdf`).

    Example:
        >>> from funcad.scipy.stats import f
        >>> round(float(f.logsf(1.0, 4.0, 4.0)), 6)
        -0.693147
    """
    return fnp.log(sf(x, dfn, dfd, loc, scale))
