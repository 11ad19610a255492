"""The Cauchy distribution (``scipy.stats.cauchy``).

Example:
    >>> from funcad.scipy.stats import cauchy
    >>> float(cauchy.cdf(0.0))
    0.5
"""

from __future__ import annotations

import numpy as np

from ... import numpy as fnp

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf"]


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
    """``P(X <= x) = 1/2 + arctan(z)/pi``, computed as ``arctan2(1, -z)/pi``.

    The arctan2 form keeps the digits of a tiny lower-tail probability (``-1/(pi z)``
    for ``z -> -inf``), which ``1/2 + arctan(z)/pi`` loses to cancellation.

    Args/Returns as :func:`logpdf`.

    Example:
        >>> from funcad.scipy.stats import cauchy
        >>> float(cauchy.cdf(1.0))
        0.75
    """
    return fnp.arctan2(1.0, (loc - x) / scale) / np.pi


def logcdf(x, loc=0, scale=1):
    """``log P(X <= x)``, accurate in both tails (Args/Returns as :func:`logpdf`).

    Example:
        >>> from funcad.scipy.stats import cauchy
        >>> round(float(cauchy.logcdf(-1e20)), 6)   # log(1 / (pi 1e20))
        -47.196432
    """
    z = (x - loc) / scale
    neg = z < 0
    return fnp.where(neg, fnp.log(fnp.arctan2(1.0, -fnp.where(neg, z, -1.0)) / np.pi),
                     fnp.log1p(-fnp.arctan2(1.0, fnp.where(neg, 1.0, z)) / np.pi))


def sf(x, loc=0, scale=1):
    """``P(X > x) = arctan2(1, z)/pi``, accurate in the upper tail (as :func:`cdf`).

    Example:
        >>> from funcad.scipy.stats import cauchy
        >>> float(cauchy.sf(1.0))
        0.25
    """
    return fnp.arctan2(1.0, (x - loc) / scale) / np.pi


def logsf(x, loc=0, scale=1):
    """``log P(X > x)``, the mirror image of :func:`logcdf`.

    Example:
        >>> from funcad.scipy.stats import cauchy
        >>> round(float(cauchy.logsf(1e20)), 6)
        -47.196432
    """
    return logcdf(-x, -loc, scale)


def _ppf_standard(q):
    # in the tails -cot(pi q) and cot(pi (1 - q)) keep the digits of the distance to 0 or 1
    # (tan(pi (q - 1/2)) would lose them next to its poles); tan(pi (q - 1/2)) in the middle,
    # where q - 1/2 is exact and ppf(1/2) is exactly 0. Each branch sees only its own q.
    low, high = q < 0.25, q > 0.75
    mid = fnp.where(low | high, 0.5, q)
    return fnp.where(low, -1.0 / fnp.tan(np.pi * fnp.where(low, q, 0.25)),
                     fnp.where(high, 1.0 / fnp.tan(np.pi * (1.0 - fnp.where(high, q, 0.75))),
                               fnp.tan(np.pi * (mid - 0.5))))


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
    return loc + scale * _ppf_standard(q)


def isf(q, loc=0, scale=1):
    """Inverse survival function, the inverse of :func:`sf` (Args/Returns as :func:`ppf`).

    Example:
        >>> from funcad.scipy.stats import cauchy
        >>> round(float(cauchy.isf(0.25)), 12)
        1.0
    """
    return loc - scale * _ppf_standard(q)
