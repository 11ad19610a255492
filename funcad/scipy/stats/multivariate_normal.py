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
from ...extend import as_type_of, shape_of

__all__ = ["logpdf", "pdf", "entropy"]

_LOG_2PI = float(np.log(2 * np.pi))


def _cov_matrix(cov, d, like):
    """SciPy's spellings of ``cov``: a scalar (times I), a 1-D diagonal, or a matrix.

    A matrix is read through its symmetric part (the same values for a symmetric one), so
    the gradient in ``cov`` is symmetric, as JAX's, not the lower triangle that the
    Cholesky factor alone would read. A scalar's identity is of ``like``'s array type."""
    nd = len(shape_of(cov))
    if nd == 0:
        return cov * as_type_of(fnp.eye(d), like)
    if nd == 1:
        return fnp.diag(cov)
    return 0.5 * (cov + fnp.swapaxes(cov, -1, -2))


def _dim(x, mean, cov):
    """SciPy's dimension: from ``mean``, else from ``cov``, else from a 2-D or higher ``x``
    (a scalar ``cov`` with no ``mean``: SciPy would say 1; funcad reads ``x``'s last axis),
    else 1."""
    for v in (mean, cov):
        if v is not None and shape_of(v):
            return shape_of(v)[0]
    xs = shape_of(x)
    return xs[-1] if len(xs) >= 2 else 1


def _points(x, d):
    """``x`` as ``(..., d)`` points, the way SciPy reads it: a scalar is one point of a 1-D
    distribution, a 1-D ``x`` is n points when ``d == 1`` and one point otherwise."""
    xs = shape_of(x)
    if len(xs) == 0 or (len(xs) == 1 and d == 1):
        x = fnp.reshape(x, xs + (1,))
    if shape_of(x)[-1] != d:
        raise ValueError(f"multivariate_normal.logpdf(x, mean, cov): x has shape {xs}, but mean"
                         f"/cov give the dimension d = {d}: pass x as (..., {d})")
    return x


def logpdf(x, mean=None, cov=1, allow_singular=False):
    """Log-density of N(mean, cov) at ``x`` (the last axis of ``x`` is the dimension).

    Args:
        x: points, shape ``(..., d)``; as SciPy, a scalar is one point and a 1-D ``x`` is
            ``n`` points when ``d == 1`` (``d`` from ``mean``, else ``cov``, else 1).
        mean: shape ``(d,)``; zeros when None.
        cov: a scalar, a ``(d,)`` diagonal or a ``(d, d)`` symmetric positive
            (semi-)definite matrix.
        allow_singular: when True, a singular ``cov`` is handled as SciPy does, with the
            pseudo-inverse and the pseudo-determinant (eigenvalues at most
            ``1e6 * eps * max|w|`` count as zero); the result is not set to ``-inf``
            off the support, and derivatives in ``cov`` need distinct eigenvalues.

    Returns:
        ``log pdf(x)``, shape ``x.shape[:-1]`` (after the reading of a scalar/1-D ``x``).

    Example:
        >>> import numpy as np, funcad as fad
        >>> from funcad.scipy.stats import multivariate_normal as mvn
        >>> fad.grad(mvn.logpdf)(np.array([1.0, 2.0]), np.zeros(2), np.eye(2))
        array([-1., -2.])
    """
    d = _dim(x, mean, cov)
    x = _points(x, d)
    dev = x if mean is None else x - mean
    c = _cov_matrix(cov, d, x)
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
        >>> round(float(mvn.pdf(0.0, cov=1.0)), 6)
        0.398942
    """
    return fnp.exp(logpdf(x, mean, cov, allow_singular))


def entropy(mean=None, cov=1):
    """Differential entropy ``(d log(2 pi e) + log det cov) / 2`` of N(mean, cov).

    Args:
        mean: shape ``(d,)`` or None (only its length is read). cov: a scalar, a ``(d,)``
            diagonal or a ``(d, d)`` symmetric positive definite matrix.

    Returns:
        The entropy, a scalar (differentiable in ``cov``).

    Example:
        >>> import numpy as np
        >>> from funcad.scipy.stats import multivariate_normal as mvn
        >>> round(float(mvn.entropy(cov=1.0)), 6)
        1.418939
    """
    d = _dim(None, mean, cov)
    chol = fnp.linalg.cholesky(_cov_matrix(cov, d, cov if mean is None else mean))
    return 0.5 * d * (_LOG_2PI + 1.0) + fnp.sum(fnp.log(fnp.diagonal(chol)))
