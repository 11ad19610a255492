"""Quantile primitives: SciPy's inverses of the gamma and t distribution functions in x.

``x = F^{-1}(q; shape)`` has ``dx/dq = 1 / f(x; shape)`` (the inverse-function rule), with
``f`` the density read at the answer, so the rules keep the output, not the operands'
values. The derivative in the shape parameter needs ``dF/dshape`` (of the incomplete
gamma or beta function in its parameter), which is not implemented: it raises, naming the
call and the way out, never a zero.
"""

from __future__ import annotations

import scipy.special as sp

from ...errors import NoRuleError
from ...extend import Primitive, batch_elementwise, defjvp, defvjp, ops, shape_of
from ...numpy._base import unbroadcast
from ..special import _gamma_density, _t_log_norm


def _no_shape_rule(users, shape, family):
    def rule(*_a, **_k):
        raise NoRuleError(
            f"scipy.stats {users}: the derivative with respect to the shape parameter {shape} "
            f"is not implemented: it needs the derivative of the incomplete {family} function "
            f"in its parameter. Pass {shape} as a constant (a plain value, or "
            f"fad.stop_gradient({shape}) if it is traced); the derivative in q, loc and scale "
            "works")
    return rule


def _quantile(name, impl, density, users, shape, family):
    """A primitive ``(shape, q) -> x`` whose q-derivative is ``1 / density(shape, x)``."""
    p = Primitive(f"stats.{name}", impl)
    no = _no_shape_rule(users, shape, family)
    defjvp(p, no, lambda t, ans, s, q: t / density(s, ans))
    defvjp(p, no, lambda g, ans, s, q: unbroadcast(g / density(s, ans), shape_of(q)),
           keep=(True, False), keep_ans=True)
    batch_elementwise(p)
    return p


def _t_density(df, x):
    return ops.exp(_t_log_norm(df) - 0.5 * (df + 1) * ops.log1p(x * x / df))


# the upper-tail inverse gammainccinv(a, q) = gammaincinv(a, 1 - q): dx/dq = -1/f(x)
gammaincinv_p = _quantile("gammaincinv", sp.gammaincinv, _gamma_density,
                          "gamma.ppf (chi2.ppf: a = df/2)", "a", "gamma")
gammainccinv_p = _quantile("gammainccinv", sp.gammainccinv,
                           lambda a, x: -_gamma_density(a, x),
                           "gamma.isf (chi2.isf: a = df/2)", "a", "gamma")
stdtrit_p = _quantile("stdtrit", sp.stdtrit, _t_density, "t.ppf and t.isf", "df", "beta")
