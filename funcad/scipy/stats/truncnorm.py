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

__all__ = ["logpdf", "pdf"]


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
