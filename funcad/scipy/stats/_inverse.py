"""Distribution-function and quantile primitives on SciPy's values: gamma and t quantiles
(gammaincinv, gammainccinv, stdtrit), and the helpers vonmises builds its own with.

``x = F^{-1}(q; shape)`` has ``dx/dq = 1 / f(x; shape)`` (the inverse-function rule), with
``f`` the density read at the answer, so the rules keep the output, not the operands'
values; ``F(x; shape)`` has ``dF/dx = f(x; shape)``. The derivative in the shape parameter
needs ``dF/dshape`` (of the incomplete gamma or beta function in its parameter, or of a
series), which is not implemented: it raises, naming the call and the way out, never a zero.
"""

from __future__ import annotations

import numpy as np
import scipy.special as sp

from ...errors import NoRuleError
from ...extend import Primitive, Tracer, batch_elementwise, defjvp, defvjp, ops, shape_of
from ...numpy._base import unbroadcast
from ..special import gammaln


def no_shape_rule(users, shape, needs, works="q, loc and scale"):
    """A rule that raises: the derivative in ``shape`` of ``users`` needs ``needs``."""
    def rule(*_a, **_k):
        raise NoRuleError(
            f"scipy.stats {users}: the derivative with respect to the shape parameter {shape} "
            f"is not implemented: it needs {needs}. Pass {shape} as a constant (a plain "
            f"value, or fad.stop_gradient({shape}) if it is traced); the derivative in "
            f"{works} works")
    return rule


def _incomplete(family):
    return f"the derivative of the incomplete {family} function in its parameter"


def quantile(name, impl, density, users, shape, needs):
    """A primitive ``(shape, q) -> x`` whose q-derivative is ``1 / density(shape, x)``."""
    p = Primitive(f"stats.{name}", impl)
    no = no_shape_rule(users, shape, needs)
    defjvp(p, no, lambda t, ans, s, q: t / density(s, ans))
    defvjp(p, no, lambda g, ans, s, q: unbroadcast(g / density(s, ans), shape_of(q)),
           keep=(True, False), keep_ans=True)
    batch_elementwise(p)
    return p


def distribution(name, impl, density, users, shape, needs):
    """A primitive ``(shape, x) -> F(x)`` whose x-derivative is ``density(shape, x)``."""
    p = Primitive(f"stats.{name}", impl)
    no = no_shape_rule(users, shape, needs, works="x, loc and scale")
    defjvp(p, no, lambda t, _ans, s, x: t * density(s, x))
    defvjp(p, no, lambda g, _ans, s, x: unbroadcast(g * density(s, x), shape_of(x)))
    batch_elementwise(p)
    return p


def plain_or_traced(plain, traced, s):
    """A constant of the shape parameter ``s``: a plain one through SciPy, as a Python float
    when scalar (weakly typed, so a float32 q keeps float32), a traced one through funcad."""
    if isinstance(s, Tracer):
        return traced(s)
    v = plain(s)
    return float(v) if np.ndim(v) == 0 else v


def _gamma_density(a, x):
    log_norm = plain_or_traced(sp.gammaln, gammaln, a)
    return ops.exp((a - 1) * ops.log(x) - x - log_norm)


def _t_density(df, x):
    log_norm = plain_or_traced(
        lambda d: sp.gammaln(0.5 * (d + 1)) - sp.gammaln(0.5 * d) - 0.5 * np.log(d * np.pi),
        lambda d: gammaln(0.5 * (d + 1)) - gammaln(0.5 * d) - 0.5 * ops.log(d * np.pi), df)
    return ops.exp(log_norm - 0.5 * (df + 1) * ops.log1p(x * x / df))


def _stdtrit(df, q):
    """SciPy's ``stdtrit``, with the far lower tail from the asymptotic series.

    SciPy's ``stdtrit`` turns wrong far in the lower tail (``stdtrit(3.5, 1e-200)`` is 0.55
    times the answer, ``stdtrit(3.5, 1e-250)`` is ``+inf``). There ``F(t) = C |t|**-df
    (1 + O(df (df + 1) / t**2))`` with ``C = c df**((df - 1)/2)``, ``c`` the density's
    constant, so ``|t| = (C / q)**(1/df)`` is exact to rounding once ``t**2`` exceeds
    ``1e16 df (df + 1)``: that is where the series replaces SciPy's value.
    """
    df, q = np.asarray(df, dtype=np.result_type(df, q, 1.0)), np.asarray(q)
    x = sp.stdtrit(df, q)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore", under="ignore"):
        log_c = sp.gammaln(0.5 * (df + 1)) - sp.gammaln(0.5 * df) - 0.5 * np.log(df * np.pi)
        log_t = (log_c + 0.5 * (df - 1) * np.log(df) - np.log(q)) / df
        # z = df / (df + t^2) below 1e-3: solve F(t) = q with the series of F there (SciPy
        # 1.13's stdtrit is already 0.45 % off at q = 1e-162, df = 30)
        far = (q > 0) & (q < 0.5) & (2 * log_t - np.log(df) > np.log(1e3))
        if np.any(far):
            x = np.where(far, -np.exp(_t_far_log_abs(df, q, log_t)), x).astype(x.dtype)
        x = np.where(q == 0, -np.inf, np.where(q == 0.5, 0.0, x)).astype(x.dtype)   # exact ends
    return x[()] if np.ndim(x) == 0 else x


def _t_far_log_abs(df, q, u):
    """log|t| with F(t) = q far in the lower tail, from u = its leading-order value:
    F = I_z(a, 1/2) / 2 with z = df / (df + t^2), a = df / 2, and
    I_z(a, b) = z^a (1 - z)^b / (a B(a, b)) * sum_k (a + b)_k / (a + 1)_k z^k;
    log F falls with slope ~ -df in log|t|, so u moves by (log F - log q) / df (the error
    shrinks by a factor O(z) < 1e-3 a step)."""
    a, b = 0.5 * df, 0.5
    log_q = np.log(q)
    for _ in range(6):
        log_w = np.log(df) - 2 * u                # log(df / t^2): no underflow for huge t
        log_z = log_w - np.log1p(np.exp(log_w))
        z = np.exp(log_z)
        series, term = np.ones_like(z), np.ones_like(z)
        for k in range(10):
            term = term * (a + b + k) / (a + 1 + k) * z
            series = series + term
        log_f = (np.log(0.5) + a * log_z + b * np.log1p(-z) - np.log(a) - sp.betaln(a, b)
                 + np.log(series))
        u = u + (log_f - log_q) / df
    return u


# the upper-tail inverse gammainccinv(a, q) = gammaincinv(a, 1 - q): dx/dq = -1/f(x)
gammaincinv_p = quantile("gammaincinv", sp.gammaincinv, _gamma_density,
                         "gamma.ppf (chi2.ppf: a = df/2)", "a", _incomplete("gamma"))
gammainccinv_p = quantile("gammainccinv", sp.gammainccinv, lambda a, x: -_gamma_density(a, x),
                          "gamma.isf (chi2.isf: a = df/2)", "a", _incomplete("gamma"))
stdtrit_p = quantile("stdtrit", _stdtrit, _t_density, "t.ppf and t.isf", "df",
                     _incomplete("beta"))
