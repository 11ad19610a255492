"""The derivatives of the regularised incomplete beta function I_x(a, b) in a and b.

With ``x <= (a + 1)/(a + b + 2)`` (else ``I_x(a, b) = 1 - I_{1-x}(b, a)``, which swaps the
roles), ``I_x(a, b) = P * sum_n T_n`` where

    log P   = a log x + b log(1 - x) - log a - log B(a, b)
    log T_n = n log x + lgamma(a + b + n) - lgamma(a + b) - lgamma(a + 1 + n) + lgamma(a + 1)

(DLMF 8.17.8 with 15.2.1), whose terms shrink at least geometrically (ratio
``x (a + b + n)/(a + 1 + n) < 1``). Differentiating term by term gives

    dI/da = P sum_n T_n (log x - 1/a - psi(a) + psi(a + b)
                         + psi(a + b + n) - psi(a + b) - psi(a + 1 + n) + psi(a + 1))
    dI/db = P sum_n T_n (log(1 - x) - psi(b) + psi(a + b) + psi(a + b + n) - psi(a + b)).

Both are written in funcad ops over a trailing axis of terms, so they differentiate again (the
second derivatives in a, b and x come from the same expression). The number of terms is a
data-dependent choice made on the primal values (every element's series to below 1e-17 of its
sum); a series that needs more than ``MAX_TERMS`` raises NoRuleError.
"""

from __future__ import annotations

import numpy as np

from ...errors import NoRuleError
from ...extend import ops, primal_values
from ...numpy._base import is_traced
from ._gamma import _betaln_p, _digamma_p, _gammaln_p

MAX_TERMS = 20000


def _plain(v):
    v = primal_values(v)
    return v if isinstance(v, (int, float)) else np.asarray(v)


def _terms(a, b, x, name):
    """How many terms every element's series needs, from plain (swapped) a, b, x."""
    a, b, x = np.broadcast_arrays(*(np.asarray(v, np.float64) for v in (a, b, x)))
    live = x > 0
    a, b, x = np.where(live, a, 1.0), np.where(live, b, 1.0), np.where(live, x, 0.5)
    t, s = np.ones_like(x), np.ones_like(x)
    for n in range(MAX_TERMS):
        # the tail after term n: t_n r / (1 - r) with r a bound on the later ratios; the
        # ratio x (a + b + m)/(a + 1 + m) approaches x from above (b > 1) or below (b < 1)
        r = np.maximum(x * (a + b + n) / (a + 1 + n), x)
        if np.all(t * r / (1 - r) * (1 + np.log(n + 2 + a + b)) <= 1e-17 * s):
            return n + 1
        t = t * x * (a + b + n) / (a + 1 + n)
        s = s + t
    bad = np.argmax(t > 1e-17 * s)
    raise NoRuleError(
        f"scipy.special.{name}: the derivative in a or b needs more than {MAX_TERMS} series "
        f"terms at a={float(a.flat[bad])!r}, b={float(b.flat[bad])!r}, x={float(x.flat[bad])!r} "
        "(the series of I_x(a, b), after the symmetry I_x(a, b) = 1 - I_{1-x}(b, a) where it "
        "applies: x close to 1 with a much larger than b). Pass the shape parameters as "
        "constants (fad.stop_gradient) there")


def betainc_partial(a, b, x, which, name="betainc"):
    """``dI_x(a, b)/da`` (``which=0``) or ``d/db`` (``which=1``), in funcad ops."""
    ap, bp, xp = _plain(a), _plain(b), _plain(x)
    dt = np.result_type(ap, bp, xp, 1.0)
    a, b, x = (v if is_traced(v) else np.asarray(v, dt) for v in (a, b, x))
    swap = np.asarray(xp > (ap + 1) / (ap + bp + 2))
    a1, b1 = ops.where(swap, b, a), ops.where(swap, a, b)
    x1p = np.where(swap, 1 - np.asarray(xp, np.float64), xp)
    edge = np.asarray(x1p <= 0)                   # x = 0 or 1: I is 0 or 1 for every a, b
    x1 = ops.where(edge, 0.5, ops.where(swap, 1 - x, x))
    n = _terms(np.where(swap, bp, ap), np.where(swap, ap, bp), np.where(edge, 0.5, x1p), name)
    k = np.arange(n, dtype=dt)
    e = ops.expand_dims
    ab = e(a1 + b1, -1) + k
    lx, l1x = ops.log(x1), ops.log1p(-x1)
    # the terms P T_n of I_{x1}(a1, b1)
    log_p = a1 * lx + b1 * l1x - ops.log(a1) - _betaln_p(a1, b1)
    log_t = (e(lx, -1) * k + _gammaln_p(ab) - e(_gammaln_p(a1 + b1), -1)
             - _gammaln_p(e(a1 + 1, -1) + k) + e(_gammaln_p(a1 + 1), -1))
    w = ops.exp(e(log_p, -1) + log_t)
    # d/da1 log(P T_n) = log x1 + psi(a1 + b1 + n) - psi(a1 + 1 + n) (psi(a1 + 1) = psi(a1)
    # + 1/a1 cancels the rest); d/db1 log(P T_n) = log(1 - x1) - psi(b1) + psi(a1 + b1 + n)
    want_a1 = np.any(swap) if which else not np.all(swap)
    want_b1 = not np.all(swap) if which else np.any(swap)
    da1 = db1 = 0.0
    if want_a1:
        da1 = ops.sum(w * (e(lx, -1) + _digamma_p(ab) - _digamma_p(e(a1 + 1, -1) + k)), axis=-1)
    if want_b1:
        db1 = ops.sum(w * (e(l1x - _digamma_p(b1), -1) + _digamma_p(ab)), axis=-1)
    # back to the caller's roles: swapped, I = 1 - I_{1-x}(b, a), so d/da = -d/db1 and so on
    out = ops.where(swap, -db1, da1) if which == 0 else ops.where(swap, -da1, db1)
    return ops.where(edge, 0.0, out)
