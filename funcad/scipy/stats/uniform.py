"""The uniform distribution on ``[loc, loc + scale]`` (``scipy.stats.uniform``).

Example:
    >>> from funcad.scipy.stats import uniform
    >>> float(uniform.pdf(0.5))
    1.0
"""

from __future__ import annotations

from ... import numpy as fnp

__all__ = ["logpdf", "pdf", "cdf"]


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
