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
second derivatives in a, b and x come from the same expression), and every elementwise choice
(the symmetry, the edges x = 0, 1) is a funcad op too, so vmap pairs the elements right. The
number of terms is the one global, data-dependent choice: guessed from the primal values, then
checked on the computed terms (a bound on every element's tail below 1e-17 of its sum) and
doubled until it holds; a series that needs more than ``MAX_TERMS`` raises NoRuleError.
"""

from __future__ import annotations

import numpy as np

from ...errors import NoRuleError
from ...extend import as_type_of, ops, primal_values, to_numpy
from ...numpy._base import is_traced
from ._gamma import _betaln_p, _digamma_p, _gammaln_p

MAX_TERMS = 20000
_TOL = 1e-17


def _guess(a, b, x):
    """A first guess at the number of terms, from the primal values (a guess only: under vmap
    the operands' values need not pair up element by element; the sum is checked after)."""
    try:
        a, b, x = np.broadcast_arrays(*(np.asarray(to_numpy(primal_values(v)), np.float64)
                                        for v in (a, b, x)))
    except ValueError:
        return 64
    t, s = np.ones_like(x), np.ones_like(x)
    for n in range(MAX_TERMS):
        r = np.maximum(x * (a + b + n) / (a + 1 + n), x)
        if not np.any(t * r / (1 - r) * (1 + np.log(n + 2 + a + b) - np.log(x)) > _TOL * s):
            return n + 1
        t = t * x * (a + b + n) / (a + 1 + n)
        s = s + t
    return MAX_TERMS


def _tail(w, a1, b1, x1, n):
    """A bound on the series' tail after n terms, relative to its sum (funcad ops, constants):
    the later ratios x (a + b + m)/(a + 1 + m) approach x monotonically, so they are below
    max(ratio at n - 1, x); the log factors of the derivatives grow like log(a + b + n)."""
    w, a1, b1, x1 = (ops.stop_gradient(v) for v in (w, a1, b1, x1))
    r = ops.maximum(x1 * (a1 + b1 + (n - 1)) / (a1 + n), x1)
    last = ops.take(w, n - 1, axis=-1)
    grow = 1 + ops.log(a1 + b1 + (n + 1)) - ops.log(x1)
    return last * r / (1 - r) * grow / ops.sum(w, axis=-1)


def betainc_partial(a, b, x, which, name="betainc"):
    """``dI_x(a, b)/da`` (``which=0``) or ``d/db`` (``which=1``), in funcad ops."""
    dt = np.result_type(*(primal_values(v) for v in (a, b, x)), 1.0)
    like = next((v for v in (a, b, x) if is_traced(v)), None)    # constants of its type
    a, b, x = (v if is_traced(v) else as_type_of(np.asarray(v, dt), like) for v in (a, b, x))
    # every elementwise choice in funcad ops (correct under vmap); a global one from the values
    swap = ops.greater(x, (a + 1) / (a + b + 2))
    a1, b1 = ops.where(swap, b, a), ops.where(swap, a, b)
    x1 = ops.where(swap, 1 - x, x)
    edge = ops.less_equal(x1, 0)                # x = 0 or 1: I is 0 or 1 for every a, b
    x1 = ops.where(edge, 0.5, x1)
    some_swap = bool(np.any(primal_values(swap)))
    want_a1 = some_swap if which else not bool(np.all(primal_values(swap)))
    want_b1 = (not bool(np.all(primal_values(swap)))) if which else some_swap
    lx, l1x = ops.log(x1), ops.log1p(-x1)
    e = ops.expand_dims
    # the terms P T_n of I_{x1}(a1, b1), with as many terms as the sum needs
    log_p = e(a1 * lx + b1 * l1x - ops.log(a1) - _betaln_p(a1, b1), -1)
    n = _guess(a1, b1, x1)
    while True:
        k = as_type_of(np.arange(n, dtype=dt), a1)
        ab = e(a1 + b1, -1) + k
        log_t = (e(lx, -1) * k + _gammaln_p(ab) - e(_gammaln_p(a1 + b1), -1)
                 - _gammaln_p(e(a1 + 1, -1) + k) + e(_gammaln_p(a1 + 1), -1))
        w = ops.exp(log_p + log_t)
        rel = _tail(w, a1, b1, x1, n)
        if not np.any(primal_values(rel) > _TOL):      # NaN (a or b <= 0): NaN, as SciPy
            break
        if n >= MAX_TERMS:
            _too_long(rel, a1, b1, x1, name)
        n = min(2 * n, MAX_TERMS)
    # d/da1 log(P T_n) = log x1 + psi(a1 + b1 + n) - psi(a1 + 1 + n) (psi(a1 + 1) = psi(a1)
    # + 1/a1 cancels the rest); d/db1 log(P T_n) = log(1 - x1) - psi(b1) + psi(a1 + b1 + n)
    da1 = db1 = 0.0
    if want_a1:
        da1 = ops.sum(w * (e(lx, -1) + _digamma_p(ab) - _digamma_p(e(a1 + 1, -1) + k)), axis=-1)
    if want_b1:
        db1 = ops.sum(w * (e(l1x - _digamma_p(b1), -1) + _digamma_p(ab)), axis=-1)
    # back to the caller's roles: swapped, I = 1 - I_{1-x}(b, a), so d/da = -d/db1 and so on
    out = ops.where(swap, -db1, da1) if which == 0 else ops.where(swap, -da1, db1)
    return ops.where(edge, 0.0, out)


def _too_long(rel, a1, b1, x1, name):
    # the values at the worst element, each broadcast with rel through funcad ops (so they
    # pair up under vmap too)
    worst = int(np.argmax(to_numpy(primal_values(rel))))
    at = [to_numpy(primal_values(v + 0 * rel)).flat[worst] for v in (a1, b1, x1)]
    raise NoRuleError(
        f"scipy.special.{name}: the derivative in a or b needs more than {MAX_TERMS} series "
        f"terms at a={float(at[0])!r}, b={float(at[1])!r}, x={float(at[2])!r} (the series of "
        "I_x(a, b), after the symmetry I_x(a, b) = 1 - I_{1-x}(b, a) where it applies: x "
        "close to 1 with a much larger than b). Pass the shape parameters as constants "
        "(fad.stop_gradient) there")
