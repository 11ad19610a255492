"""The uniform distribution on ``[loc, loc + scale]`` (``scipy.stats.uniform``).

Example:
    >>> from funcad.scipy.stats import uniform
    >>> float(uniform.pdf(0.5))
    1.0
"""

from __future__ import annotations

from ... import numpy as fnp

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf"]


def logpdf(x, loc=0, scale=1):
    """``-log(scale)`` on ``[loc, loc + scale]``, ``-inf`` elsewhere.

    Args:
        x: points. loc: the left end. scale: the width (> 0).

    Returns:
        ``log pdf(x)``, broadcast over the arguments.

    Example:
        >>> from funcad.scipy.stats import uniform
        >>> float(uniform.logpdf(2.0))
        -inf
    """
    z = (x - loc) / scale
    inside = (z >= 0) & (z <= 1)
    return fnp.where(inside, -fnp.log(scale) + 0.0 * z, -fnp.inf)


def pdf(x, loc=0, scale=1):
    """Density (Args/Returns as :func:`logpdf`).

    Example:
        >>> from funcad.scipy.stats import uniform
        >>> float(uniform.pdf(1.0, scale=2.0))
        0.5
    """
    return fnp.exp(logpdf(x, loc, scale))


def cdf(x, loc=0, scale=1):
    """``P(X <= x) = clip((x - loc)/scale, 0, 1)`` (Args/Returns as :func:`logpdf`).

    Example:
        >>> from funcad.scipy.stats import uniform
        >>> float(uniform.cdf(0.25))
        0.25
    """
    return fnp.clip((x - loc) / scale, 0.0, 1.0)


def logcdf(x, loc=0, scale=1):
    """``log P(X <= x)``: ``log z`` on the support, ``-inf`` below, 0 above.

    Args/Returns as :func:`logpdf`.

    Example:
        >>> from funcad.scipy.stats import uniform
        >>> float(uniform.logcdf(2.0))
        0.0
    """
    z = (x - loc) / scale
    inside = (z > 0) & (z < 1)
    return fnp.where(inside, fnp.log(fnp.where(inside, z, 0.5)), fnp.where(z <= 0, -fnp.inf, 0.0))


def sf(x, loc=0, scale=1):
    """``P(X > x) = clip(1 - (x - loc)/scale, 0, 1)`` (Args/Returns as :func:`logpdf`).

    Example:
        >>> from funcad.scipy.stats import uniform
        >>> float(uniform.sf(0.25))
        0.75
    """
    return fnp.clip((loc + scale - x) / scale, 0.0, 1.0)


def logsf(x, loc=0, scale=1):
    """``log P(X > x)``: ``log1p(-z)`` on the support, 0 below, ``-inf`` above.

    Example:
        >>> from funcad.scipy.stats import uniform
        >>> float(uniform.logsf(-1.0))
        0.0
    """
    z = (x - loc) / scale
    inside = (z > 0) & (z < 1)
    return fnp.where(inside, fnp.log1p(-fnp.where(inside, z, 0.5)),
                     fnp.where(z <= 0, 0.0, -fnp.inf))


def _in_unit(q, value):
    # SciPy's ppf/isf give nan for a probability outside [0, 1]
    return fnp.where((q >= 0) & (q <= 1), value, fnp.nan)


def ppf(q, loc=0, scale=1):
    """Quantile function ``loc + scale * q``.

    Args:
        q: probabilities in [0, 1] (nan outside, as SciPy). loc, scale: as :func:`logpdf`.

    Returns:
        ``x`` with ``cdf(x) == q``.

    Example:
        >>> from funcad.scipy.stats import uniform
        >>> float(uniform.ppf(0.25, loc=1.0, scale=2.0))
        1.5
    """
    return _in_unit(q, loc + scale * q)


def isf(q, loc=0, scale=1):
    """Inverse survival function ``loc + scale * (1 - q)`` (Args/Returns as :func:`ppf`).

    Example:
        >>> from funcad.scipy.stats import uniform
        >>> float(uniform.isf(0.25))
        0.75
    """
    return _in_unit(q, loc + scale * (1.0 - q))
