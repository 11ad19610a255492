"""Distribution functions with a shape parameter: the regularised incomplete gamma and beta
functions and Student's t. The derivative in x has a closed form (the density); those of the
incomplete beta function in a and b come from a convergent series (_betainc_series); the
other shape derivatives raise instead of giving a zero."""

from __future__ import annotations

import numpy as np
import scipy.special as sp

from ...errors import NoRuleError
from ...extend import Primitive, as_type_of, batch_elementwise, defjvp, defvjp, dtype_of, ops, shape_of
from ...numpy._base import is_traced, unbroadcast
from ._base import doc, elementwise, lazy_on_dask, plain_float, public
from ._betainc_series import betainc_partial
from ._gamma import _betaln_p, _gammaln_p
from ._logexp import _xlog1py_p, _xlogy_p


def _no_shape_rule(name, shape, users):
    def rule(*_a, **_k):
        raise NoRuleError(
            f"scipy.special.{name} (used by {users}): the derivative with respect to the "
            f"shape parameter {shape} (the first argument) is not implemented: it needs the "
            f"derivative of the incomplete {'beta' if name == 'stdtr' else 'gamma'} function "
            f"in its parameter. Pass {shape} as a constant (a plain value, or "
            f"fad.stop_gradient({shape}) if it is traced); the derivative in x works")
    return rule


def _shape_binary(name, dx, doc_, shape, users):
    sp_func = getattr(sp, name)
    p = Primitive(f"special.{name}", sp_func)
    lazy_on_dask(p, sp_func)
    no = _no_shape_rule(name, shape, users)
    defjvp(p, no, lambda t, ans, a, x: t * dx(a, x))
    defvjp(p, no, lambda g, _ans, a, x: unbroadcast(g * dx(a, x), shape_of(x)))
    batch_elementwise(p)
    return p, public(p, sp_func, name, doc_)


def gammaln_const(a):
    """gammaln of a shape parameter; a plain one is a Python float (weakly typed, so a float32
    x keeps float32 on every SciPy), a traced one stays traced."""
    if is_traced(a):
        return _gammaln_p(a)
    return plain_float(sp.gammaln(a))


def _gamma_density(a, x):
    return ops.exp((a - 1) * ops.log(x) - x - gammaln_const(a))


_gammainc_p, gammainc = _shape_binary(
    "gammainc", _gamma_density,
    doc("gammainc", "round(float(fad.grad(special.gammainc, 1)(1.0, 1.0)), 6)   # exp(-1)\n"
        "        0.367879"), "a", "scipy.stats gamma.cdf and chi2.cdf")
_gammaincc_p, gammaincc = _shape_binary(
    "gammaincc", lambda a, x: -_gamma_density(a, x),
    doc("gammaincc", "round(float(fad.grad(special.gammaincc, 1)(1.0, 1.0)), 6)\n"
        "        -0.367879"), "a", "scipy.stats gamma.sf and chi2.sf")


def _t_log_norm(df):
    # log of Student's t normalising constant; a plain df stays a Python float (weakly
    # typed: float32 x keeps float32), a traced one stays traced
    if not is_traced(df):
        return plain_float(sp.gammaln(0.5 * (df + 1)) - sp.gammaln(0.5 * df)
                           - 0.5 * np.log(df * np.pi))
    return (gammaln_const(0.5 * (df + 1)) - gammaln_const(0.5 * df)
            - 0.5 * ops.log(df * np.pi))


_stdtr_p, stdtr = _shape_binary(
    "stdtr",
    lambda df, x: ops.exp(_t_log_norm(df) - 0.5 * (df + 1) * ops.log1p(x * x / df)),
    doc("stdtr", "round(float(fad.grad(special.stdtr, 1)(1.0, 0.0)), 6)   # 1/pi\n"
        "        0.31831"), "df", "scipy.stats t.cdf and t.sf")


# the regularised incomplete beta function I_x(a, b): its x-derivative is the beta density
def _betaln_const(a, b, x):
    # plain shapes in x's precision (SciPy's betaln(float32, 2.0) is float64); a plain result
    # is a Python float where it is a scalar (weakly typed)
    a, b = _like_x(a, x), _like_x(b, x)
    return _betaln_p(a, b) if is_traced(a, b) else plain_float(sp.betaln(a, b))


def _like_x(v, x):
    # a plain parameter in x's precision (SciPy's xlogy(1.5, float32) returns float64), of
    # x's array type (CuPy refuses NumPy operands, 0-d ones too)
    return v if is_traced(v) else as_type_of(np.asarray(v, np.result_type(v, dtype_of(x))), x)


def _beta_density(ans, a, b, x):
    return ops.exp(_xlogy_p(_like_x(a - 1, x), x) + _xlog1py_p(_like_x(b - 1, x), -x)
                   - _betaln_const(a, b, x))


# in a and b: a convergent series differentiated term by term (_betainc_series)
_betainc_p, betainc = elementwise(
    "betainc", (lambda ans, a, b, x: betainc_partial(a, b, x, 0),
                lambda ans, a, b, x: betainc_partial(a, b, x, 1), _beta_density),
    doc("betainc", "float(fad.grad(special.betainc, 2)(2.0, 1.0, 0.5))   # 2 x\n"
        "        1.0"))
# its complement 1 - I_x(a, b), accurate where I_x(a, b) is close to 1 (the upper tails)
_betaincc_p, betaincc = elementwise(
    "betaincc", (lambda ans, a, b, x: -betainc_partial(a, b, x, 0, "betaincc"),
                 lambda ans, a, b, x: -betainc_partial(a, b, x, 1, "betaincc"),
                 lambda ans, a, b, x: -_beta_density(ans, a, b, x)),
    doc("betaincc", "float(fad.grad(special.betaincc, 2)(2.0, 1.0, 0.5))   # -2 x\n"
        "        -1.0"))
