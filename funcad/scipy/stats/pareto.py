"""The Pareto distribution (``scipy.stats.pareto``), differentiable in ``b`` too.

Example:
    >>> from funcad.scipy.stats import pareto
    >>> float(pareto.pdf(1.0, 2.0))
    2.0
"""

from __future__ import annotations

from ... import numpy as fnp

__all__ = ["logpdf", "pdf"]


def logpdf(x, b, loc=0, scale=1):
    """``log b - (b + 1) log z - log scale`` on ``z = (x - loc)/scale >= 1``, else ``-inf``.

    Args:
        x: points. b: the shape (> 0). loc, scale: location and scale.

    Returns:
        ``log pdf(x)``, broadcast over the arguments.

    Example:
        >>> from funcad.scipy.stats import pareto
        >>> float(pareto.logpdf(0.5, 2.0))
        -inf
    """
    z = (x - loc) / scale
    ok = z >= 1
    z = fnp.where(ok, z, 1.0)
    return fnp.where(ok, fnp.log(b) - (b + 1.0) * fnp.log(z) - fnp.log(scale), -fnp.inf)


def pdf(x, b, loc=0, scale=1):
    """Density (Args/Returns as :func:`logpdf`).

    Example:
        >>> from funcad.scipy.stats import pareto
        >>> float(pareto.pdf(2.0, 1.0))
        0.25
    """
    return fnp.exp(logpdf(x, b, loc, scale))
