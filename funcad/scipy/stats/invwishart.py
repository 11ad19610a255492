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
from .wishart import (_LOG2, _check_df, _finish, _log_det, _matrix_stack, _multigammaln,
                      _scale_matrix, _trace_solve)

__all__ = ["logpdf", "pdf"]


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
           - _multigammaln(0.5 * df, dim)
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
