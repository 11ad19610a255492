"""The truncated normal distribution (``scipy.stats.truncnorm``), stable far in the tails.

``a`` and ``b`` are the bounds in standard units, as in SciPy: the support is
``[loc + a * scale, loc + b * scale]``.

Example:
    >>> from funcad.scipy.stats import truncnorm
    >>> float(truncnorm.pdf(0.0, 0.0, float("inf")))   # the half-normal at 0
    0.7978845608028654
"""

from __future__ import annotations

from ... import numpy as fnp
from ..special import log_ndtr
from . import norm

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"]


def _log_mass(a, b):
    """``log(Phi(b) - Phi(a))`` for ``a < b``, read in the lower tail.

    ``Phi(b) - Phi(a) = Phi(-a) - Phi(-b)``: for ``a > 0`` the mirrored bounds are used,
    so the lower bound is never positive and ``Phi(lo) / Phi(hi)`` stays away from 1.
    """
    mirror = a > 0
    lo = fnp.where(mirror, -b, a)
    hi = fnp.where(mirror, -a, b)
    log_hi = log_ndtr(hi)
    return log_hi + fnp.log1p(-fnp.exp(log_ndtr(lo) - log_hi))


def logpdf(x, a, b, loc=0, scale=1):
    """``norm.logpdf(x, loc, scale) - log(Phi(b) - Phi(a))`` on the support, else ``-inf``.

    Args:
        x: points. a, b: the bounds in standard units (``a < b``; may be infinite).
        loc, scale: the mean and standard deviation of the normal before truncation.

    Returns:
        ``log pdf(x)``, broadcast over the arguments.

    Example:
        >>> from funcad.scipy.stats import truncnorm
        >>> round(float(truncnorm.logpdf(10.5, 10.0, 12.0)), 4)   # far in the tail
        -2.8127
    """
    z = (x - loc) / scale
    ok = (z >= a) & (z <= b)
    return fnp.where(ok, norm.logpdf(x, loc, scale) - _log_mass(a, b), -fnp.inf)


def pdf(x, a, b, loc=0, scale=1):
    """Density (Args/Returns as :func:`logpdf`).

    Example:
        >>> from funcad.scipy.stats import truncnorm
        >>> round(float(truncnorm.pdf(0.0, -1.0, 1.0)), 6)
        0.584369
    """
    return fnp.exp(logpdf(x, a, b, loc, scale))


def _log_tails(x, a, b, loc, scale):
    """``(z, inside, log P(X <= x), log P(X > x))`` on the support's interior.

    The smaller of the two is a ratio of masses, each read in the lower tail; the larger is
    ``log1p(-exp(smaller))``, which keeps the digits of a probability next to 1.
    """
    z = (x - loc) / scale
    inside = (z > a) & (z < b)
    zi = fnp.where(inside, z, 0.5 * (fnp.maximum(a, -1e300) + fnp.minimum(b, 1e300)))
    log_total = _log_mass(a, b)
    lower, upper = _log_mass(a, zi) - log_total, _log_mass(zi, b) - log_total
    low_small = lower < upper
    small = fnp.where(low_small, lower, upper)
    large = fnp.log1p(-fnp.exp(small))
    return (z, inside, fnp.where(low_small, lower, large), fnp.where(low_small, large, upper))


def logcdf(x, a, b, loc=0, scale=1):
    """``log P(X <= x) = log(Phi(z) - Phi(a)) - log(Phi(b) - Phi(a))``, in log space.

    Both differences are read in the lower tail (as :func:`logpdf`'s normaliser), so a
    support far out in a tail keeps its digits, and a probability next to 1 is
    ``log1p`` of minus the other tail. ``-inf`` below the support, 0 above.

    Args/Returns as :func:`logpdf`.

    Example:
        >>> from funcad.scipy.stats import truncnorm
        >>> round(float(truncnorm.logcdf(10.5, 10.0, 12.0)), 4)
        -0.0057
    """
    z, inside, log_lower, _ = _log_tails(x, a, b, loc, scale)
    return fnp.where(inside, log_lower, fnp.where(z <= a, -fnp.inf, 0.0))


def logsf(x, a, b, loc=0, scale=1):
    """``log P(X > x)``: 0 below the support, ``-inf`` above (Args/Returns as :func:`logpdf`).

    Example:
        >>> from funcad.scipy.stats import truncnorm
        >>> round(float(truncnorm.logsf(10.5, 10.0, 12.0)), 4)
        -5.1729
    """
    z, inside, _, log_upper = _log_tails(x, a, b, loc, scale)
    return fnp.where(inside, log_upper, fnp.where(z <= a, 0.0, -fnp.inf))


def cdf(x, a, b, loc=0, scale=1):
    """``P(X <= x)`` (Args/Returns as :func:`logpdf`).

    Example:
        >>> from funcad.scipy.stats import truncnorm
        >>> float(truncnorm.cdf(0.0, -1.0, 1.0))
        0.5
    """
    return fnp.exp(logcdf(x, a, b, loc, scale))


def sf(x, a, b, loc=0, scale=1):
    """``P(X > x)`` (Args/Returns as :func:`logpdf`).

    Example:
        >>> from funcad.scipy.stats import truncnorm
        >>> float(truncnorm.sf(0.0, -1.0, 1.0))
        0.5
    """
    return fnp.exp(logsf(x, a, b, loc, scale))
