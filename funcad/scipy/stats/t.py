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
from ._inverse import stdtrit_p

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf"]


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


def logcdf(x, df, loc=0, scale=1):
    """``log P(X <= x)``, from the smaller of the two tails (as :func:`cdf`).

    Example:
        >>> from funcad.scipy.stats import t
        >>> round(float(t.logcdf(-1e10, 1.0)), 6)   # the Cauchy tail: log(1 / (pi 1e10))
        -24.170581
    """
    return _log_tail((x - loc) / scale, df)


def logsf(x, df, loc=0, scale=1):
    """``log P(X > x)``, from the smaller of the two tails (as :func:`cdf`).

    Example:
        >>> from funcad.scipy.stats import t
        >>> round(float(t.logsf(1e10, 1.0)), 6)
        -24.170581
    """
    return _log_tail((loc - x) / scale, df)


def _log_tail(z, df):
    # log P(T <= z): stdtr(df, z) is accurate below 0; above, log1p(-P(T > z)) keeps the
    # digits of the small upper tail. Each branch sees only its own half-line.
    neg = z < 0
    return fnp.where(neg, fnp.log(stdtr(df, fnp.where(neg, z, -1.0))),
                     fnp.log1p(-stdtr(df, -fnp.where(neg, 1.0, z))))


def ppf(q, df, loc=0, scale=1):
    """Quantile function ``loc + scale * stdtrit(df, q)``, the inverse of :func:`cdf`.

    Differentiable in ``q`` (one over the density at the answer), ``loc`` and ``scale``;
    differentiating in ``df`` raises NoRuleError.

    Args:
        q: probabilities in [0, 1]. df: degrees of freedom (> 0). loc, scale: as
            :func:`logpdf`.

    Returns:
        ``x`` with ``cdf(x) == q``.

    Example:
        >>> from funcad.scipy.stats import t
        >>> round(float(t.ppf(0.75, 1.0)), 12)   # the Cauchy quartile
        1.0
    """
    return loc + scale * stdtrit_p(df, q)


def isf(q, df, loc=0, scale=1):
    """Inverse survival function ``loc - scale * stdtrit(df, q)`` (as :func:`ppf`).

    Example:
        >>> from funcad.scipy.stats import t
        >>> round(float(t.isf(0.25, 1.0)), 12)
        1.0
    """
    return loc - scale * stdtrit_p(df, q)
