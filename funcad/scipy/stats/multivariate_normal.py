"""The multivariate normal distribution (``scipy.stats.multivariate_normal``).

Example:
    >>> import numpy as np
    >>> from funcad.scipy.stats import multivariate_normal
    >>> round(float(multivariate_normal.logpdf(np.zeros(2), np.zeros(2), np.eye(2))), 6)
    -1.837877
"""

from __future__ import annotations

import numpy as np

from ... import numpy as fnp
from ...extend import shape_of

__all__ = ["logpdf", "pdf"]

_LOG_2PI = float(np.log(2 * np.pi))


def _cov_matrix(cov, d):
    """SciPy's spellings of ``cov``: a scalar (times I), a 1-D diagonal, or a matrix."""
    nd = len(shape_of(cov))
    if nd == 0:
        return cov * fnp.eye(d)
    if nd == 1:
        return fnp.diag(cov)
    return cov


def logpdf(x, mean=None, cov=1, allow_singular=False):
    """Log-density of N(mean, cov) at ``x`` (the last axis of ``x`` is the dimension).

    Args:
        x: points, shape ``(..., d)`` (a scalar or ``(n,)`` with ``d == 1`` is not
            inferred: pass ``(n, 1)``).
        mean: shape ``(d,)``; zeros when None.
        cov: a scalar, a ``(d,)`` diagonal or a ``(d, d)`` symmetric positive
            (semi-)definite matrix.
        allow_singular: when True, a singular ``cov`` is handled as SciPy does, with the
            pseudo-inverse and the pseudo-determinant (eigenvalues at most
            ``1e6 * eps * max|w|`` count as zero); the result is not set to ``-inf``
            off the support, and derivatives in ``cov`` need distinct eigenvalues.

    Returns:
        ``log pdf(x)``, shape ``x.shape[:-1]``.

    Example:
        >>> import numpy as np, funcad as fad
        >>> from funcad.scipy.stats import multivariate_normal as mvn
        >>> fad.grad(mvn.logpdf)(np.array([1.0, 2.0]), np.zeros(2), np.eye(2))
        array([-1., -2.])
    """
    if not shape_of(x):
        raise ValueError("multivariate_normal.logpdf(x, ...): x is a scalar; pass points as an "
                         "array of shape (..., d), e.g. x[..., None] for a 1-D distribution")
    d = shape_of(x)[-1]
    dev = x if mean is None else x - mean
    c = _cov_matrix(cov, d)
    batch = shape_of(dev)[:-1]
    cols = fnp.transpose(fnp.reshape(dev, (-1, d)))            # (d, n)
    if allow_singular:
        w, v = fnp.linalg.eigh(c)
        eps = 1e6 * np.finfo(np.float64).eps * fnp.max(fnp.abs(w))
        keep = w > eps
        w_safe = fnp.where(keep, w, 1.0)
        log_pdet = fnp.sum(fnp.where(keep, fnp.log(w_safe), 0.0))
        rank = fnp.sum(keep)
        proj = fnp.matmul(fnp.transpose(v), cols)               # (d, n)
        maha = fnp.sum(proj * proj * fnp.where(keep, 1.0 / w_safe, 0.0)[:, None], axis=0)
        out = -0.5 * (rank * _LOG_2PI + log_pdet + maha)
    else:
        chol = fnp.linalg.cholesky(c)
        sol = fnp.linalg.solve(chol, cols)
        maha = fnp.sum(sol * sol, axis=0)
        log_det = 2.0 * fnp.sum(fnp.log(fnp.diagonal(chol)))
        out = -0.5 * (d * _LOG_2PI + log_det + maha)
    return fnp.reshape(out, batch)


def pdf(x, mean=None, cov=1, allow_singular=False):
    """Density of N(mean, cov) at ``x`` (Args/Returns as :func:`logpdf`).

    Example:
        >>> import numpy as np
        >>> from funcad.scipy.stats import multivariate_normal as mvn
        >>> round(float(mvn.pdf(np.zeros(1), cov=1.0)), 6)
        0.398942
    """
    return fnp.exp(logpdf(x, mean, cov, allow_singular))
