"""The Dirichlet distribution (``scipy.stats.dirichlet``), differentiable in ``alpha``.

Example:
    >>> import numpy as np
    >>> from funcad.scipy.stats import dirichlet
    >>> float(dirichlet.pdf(np.array([0.5, 0.5]), np.ones(2)))
    1.0
"""

from __future__ import annotations

from ... import numpy as fnp
from ...extend import shape_of
from ..special import gammaln, xlogy

__all__ = ["logpdf", "pdf"]


def logpdf(x, alpha):
    """``sum((alpha - 1) log x) - log B(alpha)``, the components along ``x``'s FIRST axis.

    Args:
        x: points on the simplex, shape ``(K,)`` or ``(K, ...)`` (as SciPy; all ``K``
            components, not ``K - 1``). alpha: concentrations, shape ``(K,)``.

    Returns:
        ``log pdf(x)``, shape ``x.shape[1:]``.

    Example:
        >>> import numpy as np
        >>> from funcad.scipy.stats import dirichlet
        >>> round(float(dirichlet.logpdf(np.array([0.2, 0.8]), np.array([2.0, 3.0]))), 6)
        0.429182
    """
    a = fnp.reshape(alpha, shape_of(alpha) + (1,) * (len(shape_of(x)) - 1))
    log_b = fnp.sum(gammaln(alpha)) - gammaln(fnp.sum(alpha))
    return fnp.sum(xlogy(a - 1.0, x), axis=0) - log_b


def pdf(x, alpha):
    """Density (Args/Returns as :func:`logpdf`).

    Example:
        >>> import numpy as np
        >>> from funcad.scipy.stats import dirichlet
        >>> round(float(dirichlet.pdf(np.array([0.2, 0.8]), np.array([2.0, 3.0]))), 6)
        1.536
    """
    return fnp.exp(logpdf(x, alpha))
