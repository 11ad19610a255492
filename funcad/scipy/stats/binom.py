"""The binomial distribution (``scipy.stats.binom``), differentiable in ``p`` (the pmf in ``n``
too, through gammaln; the cdf/sf in ``n`` raise NoRuleError: n is a count).

Example:
    >>> from funcad.scipy.stats import binom
    >>> float(binom.pmf(1, 2, 0.5))
    0.5
"""

from __future__ import annotations

from ... import numpy as fnp
from ...errors import NoRuleError
from ...extend import Primitive, batch_elementwise, defjvp, defvjp
from ..special import betainc, gammaln, xlog1py, xlogy
from ._discrete import masked, on_support

__all__ = ["cdf", "logcdf", "logpmf", "logsf", "pmf", "sf"]


def logpmf(k, n, p, loc=0):
    """``log C(n, k) + k log p + (n - k) log(1 - p)`` at integers ``0 <= k - loc <= n``.

    Args:
        k: successes. n: trials. p: the success probability. loc: a shift of ``k``.

    Returns:
        ``log pmf(k)`` (``-inf`` off the support), broadcast over the arguments.

    Example:
        >>> from funcad.scipy.stats import binom
        >>> round(float(binom.logpmf(0, 2, 0.5)), 6)
        -1.386294
    """
    k = k - loc
    ok = on_support(k, 0, n)
    k_safe = fnp.where(ok, k, 0)
    comb = gammaln(n + 1.0) - gammaln(k_safe + 1.0) - gammaln(n - k_safe + 1.0)
    return masked(ok, comb + xlogy(k_safe, p) + xlog1py(n - k_safe, -p))


def pmf(k, n, p, loc=0):
    """``P(X = k)`` (Args/Returns as :func:`logpmf`).

    Example:
        >>> from funcad.scipy.stats import binom
        >>> float(binom.pmf(2, 2, 0.5))
        0.25
    """
    return fnp.exp(logpmf(k, n, p, loc))


# n in the distribution functions: the identity, without a derivative. I_{1-p}(n - k, k + 1)
# continues the cdf to real n one way, the pmf's gammaln another; SciPy defines neither off the
# integers, so there is no derivative in n to give
_trials_p = Primitive("stats.binom.n", lambda n: n)


def _no_n_rule(*_a, **_k):
    raise NoRuleError("scipy.stats binom.cdf/sf/logcdf/logsf: no derivative with respect to n "
                      "(a count of trials: SciPy's binom is defined at integers only). Pass n as "
                      "a constant (a plain value, or fad.stop_gradient(n) if it is traced); the "
                      "derivative in p works")


defjvp(_trials_p, _no_n_rule)
defvjp(_trials_p, _no_n_rule, keep=False)
batch_elementwise(_trials_p)


def _tail(k, n, p, loc, upper):
    """``P(X <= k)`` (``upper``: ``P(X > k)``) as the incomplete beta function of ``p``, called
    for ``0 <= k < n`` only (its parameters are positive there)."""
    k = fnp.floor(k - loc)
    n = _trials_p(n)
    inside = (k >= 0) & (k < n)
    lo, hi = fnp.where(inside, n - k, 1.0), fnp.where(inside, k + 1.0, 1.0)
    val = betainc(hi, lo, p) if upper else betainc(lo, hi, 1 - p)
    below, above = (1.0, 0.0) if upper else (0.0, 1.0)
    return fnp.where(inside, val, fnp.where(k < 0, below, above))


def cdf(k, n, p, loc=0):
    """``P(X <= k) = I_{1-p}(n - k, k + 1)`` (``k`` floored, as SciPy).

    Args:
        k: successes. n: trials (no derivative: it raises NoRuleError).
        p: the success probability. loc: a shift of ``k``.

    Returns:
        The cdf, broadcast over the arguments.

    Example:
        >>> import funcad as fad
        >>> from funcad.scipy.stats import binom
        >>> float(binom.cdf(0, 2, 0.5)), float(fad.grad(binom.cdf, 2)(0, 2, 0.5))   # (1-p)^2
        (0.25, -1.0)
    """
    return _tail(k, n, p, loc, upper=False)


def sf(k, n, p, loc=0):
    """``P(X > k) = I_p(k + 1, n - k)`` (Args/Returns as :func:`cdf`).

    Example:
        >>> from funcad.scipy.stats import binom
        >>> float(binom.sf(1, 2, 0.5))
        0.25
    """
    return _tail(k, n, p, loc, upper=True)


def logcdf(k, n, p, loc=0):
    """``log cdf(k)`` (Args/Returns as :func:`cdf`).

    Example:
        >>> from funcad.scipy.stats import binom
        >>> round(float(binom.logcdf(0, 2, 0.5)), 6)
        -1.386294
    """
    return fnp.log(cdf(k, n, p, loc))


def logsf(k, n, p, loc=0):
    """``log sf(k)`` (Args/Returns as :func:`cdf`).

    Example:
        >>> from funcad.scipy.stats import binom
        >>> round(float(binom.logsf(1, 2, 0.5)), 6)
        -1.386294
    """
    return fnp.log(sf(k, n, p, loc))
