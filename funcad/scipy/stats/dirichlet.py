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
from ..special import digamma, gammaln, xlogy

__all__ = ["logpdf", "pdf", "mean", "var", "cov", "entropy"]


def _full(x, alpha, call):
    """SciPy's two spellings of ``x``: all ``K`` components, or ``K - 1`` (the last one is
    then one minus their sum)."""
    k, n = shape_of(alpha)[0], shape_of(x)[0] if shape_of(x) else 0
    if n == k - 1:
        return fnp.concatenate([x, 1.0 - fnp.sum(x, axis=0, keepdims=True)], axis=0)
    if n != k:
        raise ValueError(f"dirichlet.{call}(x, alpha): x has {n} components along its first "
                         f"axis (shape {shape_of(x)}); alpha has K = {k}: pass K or K - 1 "
                         "components along x's first axis")
    return x


def _log_beta(alpha):
    return fnp.sum(gammaln(alpha)) - gammaln(fnp.sum(alpha))


def logpdf(x, alpha):
    """``sum((alpha - 1) log x) - log B(alpha)``, the components along ``x``'s FIRST axis.

    Args:
        x: points on the simplex, shape ``(K,)`` or ``(K, ...)``, or with ``K - 1``
            components (the last one is one minus their sum), as SciPy.
            alpha: concentrations, shape ``(K,)``.

    Returns:
        ``log pdf(x)``, shape ``x.shape[1:]``.

    Example:
        >>> import numpy as np
        >>> from funcad.scipy.stats import dirichlet
        >>> round(float(dirichlet.logpdf(np.array([0.2, 0.8]), np.array([2.0, 3.0]))), 6)
        0.429182
    """
    x = _full(x, alpha, "logpdf")
    a = fnp.reshape(alpha, shape_of(alpha) + (1,) * (len(shape_of(x)) - 1))
    return fnp.sum(xlogy(a - 1.0, x), axis=0) - _log_beta(alpha)


def pdf(x, alpha):
    """Density (Args/Returns as :func:`logpdf`).

    Example:
        >>> import numpy as np
        >>> from funcad.scipy.stats import dirichlet
        >>> round(float(dirichlet.pdf(np.array([0.2, 0.8]), np.array([2.0, 3.0]))), 6)
        1.536
    """
    return fnp.exp(logpdf(x, alpha))


def mean(alpha):
    """The mean ``alpha / sum(alpha)``.

    Args:
        alpha: concentrations, shape ``(K,)``.

    Returns:
        shape ``(K,)``.

    Example:
        >>> import numpy as np
        >>> from funcad.scipy.stats import dirichlet
        >>> dirichlet.mean(np.array([1.0, 3.0]))
        array([0.25, 0.75])
    """
    return alpha / fnp.sum(alpha)


def var(alpha):
    """The variances ``alpha (a0 - alpha) / (a0**2 (a0 + 1))``, ``a0 = sum(alpha)``.

    Example:
        >>> import numpy as np
        >>> from funcad.scipy.stats import dirichlet
        >>> dirichlet.var(np.array([1.0, 1.0]))
        array([0.08333333, 0.08333333])
    """
    a0 = fnp.sum(alpha)
    return alpha * (a0 - alpha) / (a0 * a0 * (a0 + 1.0))


def cov(alpha):
    """The covariance matrix ``(a0 diag(alpha) - alpha alpha^T) / (a0**2 (a0 + 1))``.

    Example:
        >>> import numpy as np
        >>> from funcad.scipy.stats import dirichlet
        >>> dirichlet.cov(np.array([1.0, 1.0])) * 12
        array([[ 1., -1.],
               [-1.,  1.]])
    """
    a0 = fnp.sum(alpha)
    return (a0 * fnp.diag(alpha) - alpha[:, None] * alpha[None, :]) / (a0 * a0 * (a0 + 1.0))


def entropy(alpha):
    """The differential entropy ``log B(alpha) + (a0 - K) psi(a0) - sum((alpha - 1) psi(alpha))``.

    Example:
        >>> import numpy as np
        >>> from funcad.scipy.stats import dirichlet
        >>> float(dirichlet.entropy(np.ones(3)))   # uniform on the simplex: -log 2
        -0.6931471805599453
    """
    a0 = fnp.sum(alpha)
    k = shape_of(alpha)[0]
    return (_log_beta(alpha) + (a0 - k) * digamma(a0)
            - fnp.sum((alpha - 1.0) * digamma(alpha)))
