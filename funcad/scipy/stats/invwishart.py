"""The inverse Wishart distribution (``scipy.stats.invwishart``), differentiable in ``x``,
``scale`` and ``df``. Shapes as :mod:`funcad.scipy.stats.wishart`.

Example:
    >>> import numpy as np
    >>> from funcad.scipy.stats import invwishart
    >>> round(float(invwishart.logpdf(2.0 * np.eye(2), 3.5, np.eye(2))), 6)
    -7.821164
"""

from __future__ import annotations

from ... import numpy as fnp
from ...extend import shape_of
from ..special import multigammaln
from .wishart import (_LOG2, _check_df, _entropy_terms, _finish, _log_det, _matrix_stack,
                      _plain, _scale_matrix, _trace_solve)

__all__ = ["logpdf", "pdf", "mean", "mode", "var", "entropy"]


def logpdf(x, df, scale):
    """Log-density of the inverse Wishart distribution W^-1(df, scale) at the matrix ``x``.

    ``df/2 log|scale| - df p/2 log 2 - log Gamma_p(df/2) - (df + p + 1)/2 log|x|
    - tr(scale x^-1)/2``.

    Args:
        x: symmetric positive definite matrices: ``(p, p)``, a ``(p, p, N)`` stack (batch
            axis last, as SciPy), a 1-D diagonal, or a scalar for ``p = 1``.
        df: degrees of freedom (> p - 1), differentiable. scale: the scale matrix (symmetric
            positive definite), a 1-D diagonal or a scalar.

    Returns:
        ``log pdf(x)``: a scalar for one matrix, shape ``(N,)`` for a stack.

    Example:
        >>> import numpy as np, funcad as fad
        >>> from funcad.scipy.stats import invwishart
        >>> fad.grad(invwishart.logpdf)(2.0 * np.eye(2), 3.5, np.eye(2))   # symmetric x
        array([[-1.5,  0. ],
               [ 0. , -1.5]])
    """
    s = _scale_matrix(scale)
    dim = shape_of(s)[-1]
    _check_df(df, dim, "invwishart.logpdf")
    xs, batched = _matrix_stack(x, dim, "invwishart.logpdf")
    out = (0.5 * df * _log_det(fnp.linalg.cholesky(s)) - 0.5 * df * dim * _LOG2
           - multigammaln(0.5 * df, dim)
           - 0.5 * (df + dim + 1) * _log_det(fnp.linalg.cholesky(xs))
           - 0.5 * _trace_solve(xs, s))
    return _finish(out, batched)


def pdf(x, df, scale):
    """Density (Args/Returns as :func:`logpdf`).

    Example:
        >>> import numpy as np
        >>> from funcad.scipy.stats import invwishart
        >>> round(float(invwishart.pdf(1.0, 3.0, 1.0)), 6)
        0.241971
    """
    return fnp.exp(logpdf(x, df, scale))


def mean(df, scale):
    """The mean ``scale / (df - p - 1)``; None where ``df <= p + 1`` (as SciPy).

    Args:
        df: degrees of freedom. scale: the scale matrix (or a 1-D diagonal, or a scalar).

    Returns:
        A ``(p, p)`` matrix (or None).

    Example:
        >>> import numpy as np
        >>> from funcad.scipy.stats import invwishart
        >>> invwishart.mean(5.0, np.eye(2))
        array([[0.5, 0. ],
               [0. , 0.5]])
    """
    s = _scale_matrix(scale)
    dim = shape_of(s)[-1]
    return None if _plain(df) and df <= dim + 1 else s / (df - dim - 1)


def mode(df, scale):
    """The mode ``scale / (df + p + 1)``.

    Example:
        >>> import numpy as np
        >>> from funcad.scipy.stats import invwishart
        >>> invwishart.mode(1.0, np.eye(2))
        array([[0.25, 0.  ],
               [0.  , 0.25]])
    """
    s = _scale_matrix(scale)
    return s / (df + shape_of(s)[-1] + 1)


def var(df, scale):
    """The variances of the entries; None where ``df <= p + 3`` (as SciPy).

    ``((df - p + 1) scale_ij**2 + (df - p - 1) scale_ii scale_jj)
    / ((df - p) (df - p - 1)**2 (df - p - 3))``.

    Example:
        >>> import numpy as np
        >>> from funcad.scipy.stats import invwishart
        >>> invwishart.var(7.0, np.eye(2))
        array([[0.0625, 0.025 ],
               [0.025 , 0.0625]])
    """
    s = _scale_matrix(scale)
    dim = shape_of(s)[-1]
    if _plain(df) and df <= dim + 3:
        return None
    d = fnp.diagonal(s)
    k = df - dim
    return ((k + 1) * s * s + (k - 1) * d[:, None] * d[None, :]) / (k * (k - 1) ** 2 * (k - 3))


def entropy(df, scale):
    """The differential entropy, differentiable in ``df`` and ``scale``.

    ``(p + 1)/2 log|scale| - p (p + 1)/2 log 2 + log Gamma_p(df/2)
    - (df + p + 1)/2 sum_j psi((df - j)/2) + df p / 2``. (SciPy 1.17's
    ``invwishart.entropy`` disagrees with its own ``logpdf`` for ``p > 1``; this is
    ``-E[log pdf]``, checked against a Monte Carlo estimate.)

    Example:
        >>> from funcad.scipy.stats import invwishart
        >>> round(float(invwishart.entropy(4.5, 1.7)), 6)   # the inverse gamma's
        0.351577
    """
    dim, log_det_s, mgl, psi = _entropy_terms(df, scale)
    return (0.5 * (dim + 1) * log_det_s - 0.5 * dim * (dim + 1) * _LOG2 + mgl
            - 0.5 * (df + dim + 1) * psi + 0.5 * df * dim)
