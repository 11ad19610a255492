"""The Wishart distribution (``scipy.stats.wishart``): differentiable in ``x``, ``scale``, ``df``.

``x`` and ``scale`` take SciPy's spellings: a ``(p, p)`` matrix, a ``(p, p, N)`` stack whose
batch axis is the LAST one (as SciPy; ``fad.vmap(..., in_axes=...)`` batches any axis), a
1-D diagonal, or a scalar for ``p = 1``. A matrix argument is read through its symmetric
part (the same values for a symmetric one), so gradients in ``x`` and ``scale`` are
symmetric matrices.

Example:
    >>> import numpy as np
    >>> from funcad.scipy.stats import wishart
    >>> round(float(wishart.logpdf(2.0 * np.eye(2), 3.5, np.eye(2))), 6)
    -4.469134
"""

from __future__ import annotations

import numpy as np

from ... import numpy as fnp
from ...extend import as_type_of, shape_of
from ..special import digamma, multigammaln

__all__ = ["logpdf", "pdf", "mean", "mode", "var", "entropy"]

_LOG2 = float(np.log(2.0))


def _scale_matrix(scale):
    """SciPy's spellings of ``scale``: a scalar (``p = 1``), a 1-D diagonal, or a matrix."""
    nd = len(shape_of(scale))
    if nd == 0:
        return fnp.reshape(scale, (1, 1))
    return fnp.diag(scale) if nd == 1 else _sym(scale)


def _sym(m):
    """The symmetric part of (a stack of) matrices."""
    return 0.5 * (m + fnp.swapaxes(m, -1, -2))


def _matrix_stack(x, dim, call):
    """``x`` in SciPy's spellings as a stack ``(N, dim, dim)``, and whether N was given."""
    shape = shape_of(x)
    if len(shape) == 0:
        return x * as_type_of(fnp.eye(dim), x)[None], False
    if len(shape) == 1:
        return (fnp.reshape(x, (-1, 1, 1)), True) if dim == 1 else (fnp.diag(x)[None], False)
    if shape[:2] != (dim, dim) or len(shape) > 3:
        raise ValueError(f"{call}(x, ...): x has shape {shape}; the scale matrix gives "
                         f"p = {dim}, so pass x as ({dim}, {dim}) or ({dim}, {dim}, N) (SciPy's "
                         "batch axis is the last one)")
    return (_sym(fnp.moveaxis(x, -1, 0)), True) if len(shape) == 3 else (_sym(x)[None], False)


def _check_df(df, dim, call):
    """SciPy's condition ``df > p - 1`` on a plain ``df``."""
    if not shape_of(df) and isinstance(df, (int, float, np.number)) and df <= dim - 1:
        raise ValueError(f"{call}(x, df, scale): df = {df} must be greater than p - 1 = "
                         f"{dim - 1} (p, the dimension of the scale matrix)")


def _plain(df):
    """A plain scalar ``df``, whose range decides whether SciPy returns None."""
    return isinstance(df, (int, float, np.number))


def _entropy_terms(df, scale):
    """``(p, log|scale|, log Gamma_p(df/2), sum_j psi((df - j)/2))``: the entropies' parts."""
    s = _scale_matrix(scale)
    dim = shape_of(s)[-1]
    psi = sum(digamma(0.5 * (df - j)) for j in range(dim))
    return dim, _log_det(fnp.linalg.cholesky(s)), multigammaln(0.5 * df, dim), psi


def _log_det(chol):
    """``log det`` of the matrices whose Cholesky factors are ``chol`` (``(..., p, p)``)."""
    return 2.0 * fnp.sum(fnp.log(fnp.diagonal(chol, axis1=-2, axis2=-1)), axis=-1)


def _trace_solve(a, b):
    """``trace(solve(a, b))`` over stacks (``a`` or ``b`` may be one matrix)."""
    a, b = (fnp.broadcast_to(m, fnp.broadcast_shapes(shape_of(a), shape_of(b)))
            for m in (a, b))
    return fnp.trace(fnp.linalg.solve(a, b), axis1=-2, axis2=-1)


def _finish(out, batched):
    """SciPy's output shape: ``(N,)`` for a stack, a scalar for one matrix."""
    return out if batched else out[0]


def logpdf(x, df, scale):
    """Log-density of the Wishart distribution W(df, scale) at the matrix ``x``.

    ``(df - p - 1)/2 log|x| - tr(scale^-1 x)/2 - df p/2 log 2 - df/2 log|scale|
    - log Gamma_p(df/2)``.

    Args:
        x: symmetric positive definite matrices (see the module docstring for the shapes).
        df: degrees of freedom (> p - 1), differentiable. scale: the scale matrix (symmetric
            positive definite), a 1-D diagonal or a scalar.

    Returns:
        ``log pdf(x)``: a scalar for one matrix, shape ``(N,)`` for a ``(p, p, N)`` stack.

    Example:
        >>> import numpy as np, funcad as fad
        >>> from funcad.scipy.stats import wishart
        >>> round(float(fad.grad(wishart.logpdf, 1)(2.0 * np.eye(2), 3.5, np.eye(2))), 6)
        -0.010009
    """
    s = _scale_matrix(scale)
    dim = shape_of(s)[-1]
    _check_df(df, dim, "wishart.logpdf")
    xs, batched = _matrix_stack(x, dim, "wishart.logpdf")
    out = (0.5 * (df - dim - 1) * _log_det(fnp.linalg.cholesky(xs)) - 0.5 * _trace_solve(s, xs)
           - 0.5 * df * dim * _LOG2 - 0.5 * df * _log_det(fnp.linalg.cholesky(s))
           - multigammaln(0.5 * df, dim))
    return _finish(out, batched)


def pdf(x, df, scale):
    """Density (Args/Returns as :func:`logpdf`).

    Example:
        >>> import numpy as np
        >>> from funcad.scipy.stats import wishart
        >>> round(float(wishart.pdf(1.0, 3.0, 1.0)), 6)   # chi2(3) at 1
        0.241971
    """
    return fnp.exp(logpdf(x, df, scale))


def mean(df, scale):
    """The mean ``df * scale``.

    Args:
        df: degrees of freedom. scale: the scale matrix (or a 1-D diagonal, or a scalar).

    Returns:
        A ``(p, p)`` matrix.

    Example:
        >>> import numpy as np
        >>> from funcad.scipy.stats import wishart
        >>> wishart.mean(3.0, np.eye(2))
        array([[3., 0.],
               [0., 3.]])
    """
    return df * _scale_matrix(scale)


def mode(df, scale):
    """The mode ``(df - p - 1) * scale``; None where ``df < p + 1`` (as SciPy).

    Example:
        >>> import numpy as np
        >>> from funcad.scipy.stats import wishart
        >>> wishart.mode(4.0, np.eye(2))
        array([[1., 0.],
               [0., 1.]])
    """
    s = _scale_matrix(scale)
    dim = shape_of(s)[-1]
    return None if _plain(df) and df < dim + 1 else (df - dim - 1) * s


def var(df, scale):
    """The variances of the entries, ``df (scale_ij**2 + scale_ii scale_jj)``.

    Example:
        >>> import numpy as np
        >>> from funcad.scipy.stats import wishart
        >>> wishart.var(3.0, np.eye(2))
        array([[6., 3.],
               [3., 6.]])
    """
    s = _scale_matrix(scale)
    d = fnp.diagonal(s)
    return df * (s * s + d[:, None] * d[None, :])


def entropy(df, scale):
    """The differential entropy, differentiable in ``df`` and ``scale``.

    ``(p + 1)/2 log|scale| + p (p + 1)/2 log 2 + log Gamma_p(df/2)
    - (df - p - 1)/2 sum_j psi((df - j)/2) + df p / 2``.

    Example:
        >>> from funcad.scipy.stats import wishart
        >>> round(float(wishart.entropy(3.0, 1.0)), 6)   # chi2(3)
        2.05412
    """
    dim, log_det_s, mgl, psi = _entropy_terms(df, scale)
    return (0.5 * (dim + 1) * log_det_s + 0.5 * dim * (dim + 1) * _LOG2 + mgl
            - 0.5 * (df - dim - 1) * psi + 0.5 * df * dim)
