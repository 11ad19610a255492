"""Student's t distribution (``scipy.stats.t``): the density, differentiable in ``df`` too.

Example:
    >>> from funcad.scipy.stats import t
    >>> round(float(t.pdf(0.0, 1.0)), 6)   # the Cauchy density at 0
    0.31831
"""

from __future__ import annotations

import numpy as np

from ... import numpy as fnp
from ..special import gammaln, stdtr

__all__ = ["logpdf", "pdf", "cdf", "sf"]


def logpdf(x, df, loc=0, scale=1):
    """Log-density of Student's t with ``df`` degrees of freedom.

    Args:
        x: points. df: degrees of freedom (> 0). loc, scale: location and scale.

    Returns:
        ``log pdf(x)``, broadcast over the arguments.

    Example:
        >>> from funcad.scipy.stats import t
        >>> round(float(t.logpdf(1.0, 3.0)), 6)
        -1.576253
    """
    z = (x - loc) / scale
    half = 0.5 * (df + 1)
    return (gammaln(half) - gammaln(0.5 * df) - 0.5 * fnp.log(df * np.pi)
            - fnp.log(scale) - half * fnp.log1p(z * z / df))


def pdf(x, df, loc=0, scale=1):
    """Density of Student's t (Args/Returns as :func:`logpdf`).

    Example:
        >>> from funcad.scipy.stats import t
        >>> round(float(t.pdf(1.0, 3.0)), 6)
        0.20674
    """
    return fnp.exp(logpdf(x, df, loc, scale))


def cdf(x, df, loc=0, scale=1):
    """``P(X <= x)``; differentiable in ``x``, ``loc``, ``scale``, and raising in ``df``.

    Args:
        x: points. df: degrees of freedom (> 0). loc, scale: location and scale.

    Returns:
        ``P(X <= x)``, broadcast over the arguments.

    Example:
        >>> from funcad.scipy.stats import t
        >>> float(t.cdf(0.0, 3.0))
        0.5
    """
    return stdtr(df, (x - loc) / scale)


def sf(x, df, loc=0, scale=1):
    """``P(X > x)`` (as :func:`cdf`).

    Example:
        >>> from funcad.scipy.stats import t
        >>> float(t.sf(0.0, 3.0))
        0.5
    """
    return stdtr(df, (loc - x) / scale)
