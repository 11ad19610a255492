"""The von Mises distribution (``scipy.stats.vonmises``), differentiable in ``kappa`` too.

Example:
    >>> import numpy as np
    >>> from funcad.scipy.stats import vonmises
    >>> round(float(vonmises.pdf(0.0, 0.0) * 2 * np.pi), 6)   # kappa = 0: uniform
    1.0
"""

from __future__ import annotations

import numpy as np
from scipy.special import i0e as sp_i0e

from ... import numpy as fnp
from ..special import i0e
from ._inverse import distribution, plain_or_traced, quantile

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf"]

_LOG_2PI = float(np.log(2 * np.pi))


def logpdf(x, kappa, loc=0, scale=1):
    """``kappa cos(z) - log(2 pi I0(kappa)) - log scale``, ``z = (x - loc)/scale``.

    ``log I0(kappa)`` is computed as ``log(i0e(kappa)) + kappa``: finite for large kappa.

    Args:
        x: angles. kappa: the concentration (>= 0). loc, scale: location and scale.

    Returns:
        ``log pdf(x)``, broadcast over the arguments.

    Example:
        >>> from funcad.scipy.stats import vonmises
        >>> round(float(vonmises.logpdf(0.0, 1.0)), 6)
        -1.073791
    """
    z = (x - loc) / scale
    return kappa * (fnp.cos(z) - 1.0) - _log_norm(kappa) - fnp.log(scale)


def pdf(x, kappa, loc=0, scale=1):
    """Density (Args/Returns as :func:`logpdf`).

    Example:
        >>> from funcad.scipy.stats import vonmises
        >>> round(float(vonmises.pdf(0.0, 1.0)), 6)
        0.34171
    """
    return fnp.exp(logpdf(x, kappa, loc, scale))


# ---------------------------------------------------------------------------
# the distribution function and its inverse: SciPy's values (a series for small kappa, a
# normal approximation for large), a primitive whose x-derivative is the density; the
# derivative in kappa has no closed form and raises
# ---------------------------------------------------------------------------


def _log_norm(kappa):
    """``log(2 pi I0(kappa)) - kappa``; a Python float for a plain scalar kappa (weakly
    typed: float32 x keeps float32)."""
    return plain_or_traced(lambda k: _LOG_2PI + np.log(sp_i0e(k)),
                           lambda k: _LOG_2PI + fnp.log(i0e(k)), kappa)


def _standard_pdf(kappa, z):
    return fnp.exp(kappa * (fnp.cos(z) - 1.0) - _log_norm(kappa))


def _cdf_impl(kappa, z):
    from scipy.stats import vonmises as sp_vonmises    # scipy.stats loads on first use
    return np.asarray(sp_vonmises.cdf(z, kappa), dtype=np.result_type(z, kappa, np.float32))


def _ppf_impl(kappa, q):
    from scipy.stats import vonmises as sp_vonmises
    return np.asarray(sp_vonmises.ppf(q, kappa), dtype=np.result_type(q, kappa, np.float32))


_NEEDS = "the derivative of the von Mises distribution function in kappa (no closed form)"
_cdf_p = distribution("vonmises_cdf", _cdf_impl, _standard_pdf,
                      "vonmises.cdf/sf/logcdf/logsf", "kappa", _NEEDS)
_ppf_p = quantile("vonmises_ppf", _ppf_impl, _standard_pdf, "vonmises.ppf/isf", "kappa",
                  _NEEDS)


def cdf(x, kappa, loc=0, scale=1):
    """``P(X <= x)``, SciPy's values: it grows by 1 over each period of ``2 pi scale``.

    Differentiable in ``x`` (the density), ``loc`` and ``scale``; differentiating in
    ``kappa`` raises NoRuleError (no closed form).

    Args:
        x: angles. kappa: the concentration (> 0). loc, scale: location and scale.

    Returns:
        ``P(X <= x)``, broadcast over the arguments.

    Example:
        >>> import numpy as np
        >>> from funcad.scipy.stats import vonmises
        >>> float(vonmises.cdf(0.0, 1.5)), float(vonmises.cdf(np.pi, 1.5))
        (0.5, 1.0)
    """
    return _cdf_p(kappa, (x - loc) / scale)


def sf(x, kappa, loc=0, scale=1):
    """``P(X > x)``, as ``cdf`` at ``-z`` (the density is even): accurate in the upper tail.

    Example:
        >>> from funcad.scipy.stats import vonmises
        >>> round(float(vonmises.sf(1.0, 1.5)), 6)
        0.151369
    """
    return _cdf_p(kappa, (loc - x) / scale)


def logcdf(x, kappa, loc=0, scale=1):
    """``log P(X <= x)`` (as :func:`cdf`).

    Example:
        >>> from funcad.scipy.stats import vonmises
        >>> round(float(vonmises.logcdf(1.0, 1.5)), 6)
        -0.16413
    """
    return fnp.log(cdf(x, kappa, loc, scale))


def logsf(x, kappa, loc=0, scale=1):
    """``log P(X > x)`` (as :func:`sf`).

    Example:
        >>> from funcad.scipy.stats import vonmises
        >>> round(float(vonmises.logsf(-1.0, 1.5)), 6)
        -0.16413
    """
    return fnp.log(sf(x, kappa, loc, scale))


def ppf(q, kappa, loc=0, scale=1):
    """Quantile function, SciPy's values (a root of the cdf): ``-inf``/``inf`` at 0/1.

    Differentiable in ``q`` (one over the density at the answer), ``loc`` and ``scale``;
    differentiating in ``kappa`` raises NoRuleError.

    Args:
        q: probabilities in [0, 1]. kappa, loc, scale: as :func:`cdf`.

    Returns:
        ``x`` with ``cdf(x) == q``.

    Example:
        >>> from funcad.scipy.stats import vonmises
        >>> round(float(vonmises.ppf(0.9, 1.5)), 6)
        1.283629
    """
    return loc + scale * _ppf_p(kappa, q)


def isf(q, kappa, loc=0, scale=1):
    """Inverse survival function ``loc - scale * ppf(q)`` (Args/Returns as :func:`ppf`).

    Example:
        >>> from funcad.scipy.stats import vonmises
        >>> round(float(vonmises.isf(0.1, 1.5)), 6)
        1.283629
    """
    return loc - scale * _ppf_p(kappa, q)
