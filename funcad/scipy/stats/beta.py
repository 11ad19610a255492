"""The beta distribution (``scipy.stats.beta``): the density, differentiable in ``a``, ``b``.

Example:
    >>> from funcad.scipy.stats import beta
    >>> float(beta.pdf(0.5, 1.0, 1.0))
    1.0
"""

from __future__ import annotations

from ... import numpy as fnp
from ..special import betaln, xlog1py, xlogy

__all__ = ["logpdf", "pdf"]


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
