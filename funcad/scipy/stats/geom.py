"""The geometric distribution on 1, 2, ... (``scipy.stats.geom``), differentiable in ``p``.

Example:
    >>> from funcad.scipy.stats import geom
    >>> float(geom.pmf(1, 0.25))
    0.25
"""

from __future__ import annotations

from ... import numpy as fnp
from ..special import xlog1py
from ._discrete import masked, on_support

__all__ = ["logpmf", "pmf"]


def logpmf(k, p, loc=0):
    """``(k - 1) log(1 - p) + log p`` at integers ``k - loc >= 1``, ``-inf`` elsewhere.

    Args:
        k: the trial of the first success. p: the success probability. loc: a shift.

    Returns:
        ``log pmf(k)``, broadcast over the arguments.

    Example:
        >>> from funcad.scipy.stats import geom
        >>> round(float(geom.logpmf(2, 0.5)), 6)
        -1.386294
    """
    k = k - loc
    ok = on_support(k, 1)
    k_safe = fnp.where(ok, k, 1)
    return masked(ok, xlog1py(k_safe - 1, -p) + fnp.log(p))


def pmf(k, p, loc=0):
    """``P(X = k)`` (Args/Returns as :func:`logpmf`).

    Example:
        >>> from funcad.scipy.stats import geom
        >>> float(geom.pmf(2, 0.5))
        0.25
    """
    return fnp.exp(logpmf(k, p, loc))
