"""The gamma distribution (``scipy.stats.gamma``): the density, differentiable in ``a`` too.

Example:
    >>> from funcad.scipy.stats import gamma
    >>> float(gamma.logpdf(1.0, 1.0))   # a = 1: the exponential
    -1.0
"""

from __future__ import annotations

from ... import numpy as fnp
from ..special import gammainc, gammaincc, gammaln, xlogy
from ._inverse import gammainccinv_p, gammaincinv_p

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf"]


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


def _log_tails(z, a):
    """``(log P(Z <= z), log P(Z > z))`` of the standard gamma at ``z > 0`` (masked outside).

    The smaller tail is the incomplete gamma function itself; the larger is ``log1p`` of
    minus the smaller, which keeps its digits where ``log(1 - tiny)`` would give 0.
    """
    pos = z > 0
    zs = fnp.where(pos, z, 1.0)
    lower, upper = gammainc(a, zs), gammaincc(a, zs)
    below = zs < a    # the median is near a: the lower tail is the smaller one below it
    lo, up = fnp.where(below, lower, 0.5), fnp.where(below, 0.5, upper)   # the unused
    log_lower = fnp.where(below, fnp.log(lo), fnp.log1p(-up))              # branch sees 1/2
    log_upper = fnp.where(below, fnp.log1p(-lo), fnp.log(up))
    return pos, log_lower, log_upper


def logcdf(x, a, loc=0, scale=1):
    """``log P(X <= x)`` (``-inf`` at and below ``loc``); derivatives as :func:`cdf`.

    Example:
        >>> from funcad.scipy.stats import gamma
        >>> round(float(gamma.logcdf(1.0, 1.0)), 6)
        -0.458675
    """
    pos, log_lower, _ = _log_tails((x - loc) / scale, a)
    return fnp.where(pos, log_lower, -fnp.inf)


def logsf(x, a, loc=0, scale=1):
    """``log P(X > x)`` (0 at and below ``loc``); derivatives as :func:`cdf`.

    Example:
        >>> from funcad.scipy.stats import gamma
        >>> float(gamma.logsf(3.0, 1.0))
        -3.0
    """
    pos, _, log_upper = _log_tails((x - loc) / scale, a)
    return fnp.where(pos, log_upper, 0.0)


def ppf(q, a, loc=0, scale=1):
    """Quantile function: ``loc + scale * gammaincinv(a, q)``, the inverse of :func:`cdf`.

    Differentiable in ``q`` (one over the density at the answer), ``loc`` and ``scale``;
    differentiating in ``a`` raises NoRuleError (it needs the derivative of the
    incomplete gamma function in its parameter).

    Args:
        q: probabilities in [0, 1]. a: the shape (> 0). loc, scale: location and scale.

    Returns:
        ``x`` with ``cdf(x) == q``.

    Example:
        >>> import funcad as fad
        >>> from funcad.scipy.stats import gamma
        >>> round(float(gamma.ppf(0.5, 1.0)), 6)   # log 2
        0.693147
        >>> float(fad.grad(gamma.ppf)(0.5, 1.0))   # 1 / pdf(log 2) = 1 / 0.5
        2.0
    """
    return loc + scale * gammaincinv_p(a, q)


def isf(q, a, loc=0, scale=1):
    """Inverse survival function ``loc + scale * gammainccinv(a, q)`` (as :func:`ppf`).

    Example:
        >>> from funcad.scipy.stats import gamma
        >>> round(float(gamma.isf(0.5, 1.0)), 6)
        0.693147
    """
    return loc + scale * gammainccinv_p(a, q)
