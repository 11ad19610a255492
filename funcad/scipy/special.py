"""funcad.scipy.special: differentiable special functions (real arguments).

Each function is a primitive with a JVP, a VJP and a batching rule (or a
composite of such); derivatives are written with the same primitives, so they
differentiate again. SciPy's ufuncs called on traced values route here too
(``scipy.special.erf(x)`` inside ``fad.grad`` works). For the Bessel-type
functions the derivative is with respect to ``x`` only; differentiating with
respect to the order raises.

Example:
    >>> import numpy as np, funcad as fad
    >>> from funcad.scipy import special
    >>> round(float(fad.grad(special.gammaln)(3.0)), 6)   # digamma(3) = 1.5 - euler_gamma
    0.922784
"""

from __future__ import annotations

import numpy as np
import scipy.special as sp

from .. import extend
from ..extend import Primitive, batch_elementwise, defjvp, defvjp, dtype_of, ops, shape_of
from ..errors import NoRuleError
from ..numpy._base import is_traced, unbroadcast

__all__ = ["erf", "erfc", "erfinv", "erfcinv", "gammaln", "digamma", "polygamma", "gamma",
           "beta", "betaln", "expit", "logit", "xlogy", "xlog1py", "logsumexp", "softmax",
           "log_softmax", "ndtr", "log_ndtr", "ndtri", "gammainc", "gammaincc", "stdtr", "i0", "i1", "i0e", "i1e", "j0", "j1", "y0", "y1", "jn", "yn", "jv",
           "yv", "iv", "ive", "kv"]

_SQRT_PI = float(np.sqrt(np.pi))


def _public(p, sp_func, name, doc):
    """The public wrapper: NumPy/SciPy on plain values, the primitive on traced ones."""
    def fn(*args):
        if not is_traced(*args):
            return sp_func(*args)
        return p(*args)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    extend.ufunc_table[sp_func] = fn
    return fn


def _unary(name, d, doc, keep_x=True, keep_ans=False):
    sp_func = getattr(sp, name)
    p = Primitive(f"special.{name}", sp_func)
    defjvp(p, lambda t, ans, x: t * d(ans, x))
    defvjp(p, lambda g, ans, x: g * d(ans, x), keep=(keep_x,), keep_ans=keep_ans)
    batch_elementwise(p)
    return p, _public(p, sp_func, name, doc)


def _no_order_rule(name):
    def rule(*_a, **_k):
        raise NoRuleError(f"scipy.special.{name}: the derivative with respect to the order "
                          "(first argument) is not implemented; pass it as a constant")
    return rule


def _binary(name, dx, dy, doc, order_arg=False, keep_ans=False):
    sp_func = getattr(sp, name)
    p = Primitive(f"special.{name}", sp_func)
    if order_arg:
        defjvp(p, _no_order_rule(name), lambda t, ans, v, x: t * dy(ans, v, x))
        defvjp(p, _no_order_rule(name),
               lambda g, ans, v, x: unbroadcast(g * dy(ans, v, x), shape_of(x)),
               keep_ans=keep_ans)
    else:
        defjvp(p, lambda t, ans, x, y: t * dx(ans, x, y), lambda t, ans, x, y: t * dy(ans, x, y))
        defvjp(p, lambda g, ans, x, y: unbroadcast(g * dx(ans, x, y), shape_of(x)),
               lambda g, ans, x, y: unbroadcast(g * dy(ans, x, y), shape_of(y)),
               keep_ans=keep_ans)
    batch_elementwise(p)
    return p, _public(p, sp_func, name, doc)


def _doc(what, example):
    return (f"Differentiable ``scipy.special.{what}``.\n\n    Example:\n"
            "        >>> import numpy as np, funcad as fad\n"
            "        >>> from funcad.scipy import special\n"
            f"        >>> {example}\n")


# ---------------------------------------------------------------------------
# the order-taking families first (their derivatives are written with them)
# ---------------------------------------------------------------------------

_polygamma_p, polygamma = _binary(
    "polygamma", None, lambda ans, n, x: _polygamma_p(n + 1, x),
    _doc("polygamma", "round(float(fad.grad(lambda x: special.polygamma(1, x))(1.0)), 6)\n"
         "        -2.404114"), order_arg=True)
_jv_p, jv = _binary("jv", None, lambda ans, v, x: (_jv_p(v - 1, x) - _jv_p(v + 1, x)) * 0.5,
                    _doc("jv", "round(float(fad.grad(lambda x: special.jv(1, x))(0.0)), 6)\n"
                         "        0.5"), order_arg=True)
_yv_p, yv = _binary("yv", None, lambda ans, v, x: (_yv_p(v - 1, x) - _yv_p(v + 1, x)) * 0.5,
                    _doc("yv", "round(float(fad.grad(lambda x: special.yv(0, x))(1.0)), 6)\n"
                         "        0.781213"), order_arg=True)
_iv_p, iv = _binary("iv", None, lambda ans, v, x: (_iv_p(v - 1, x) + _iv_p(v + 1, x)) * 0.5,
                    _doc("iv", "round(float(fad.grad(lambda x: special.iv(0, x))(1.0)), 6)\n"
                         "        0.565159"), order_arg=True)
_ive_p, ive = _binary(
    "ive", None,
    lambda ans, v, x: (_ive_p(v - 1, x) + _ive_p(v + 1, x)) * 0.5 - ops.sign(x) * ans,
    _doc("ive", "round(float(fad.grad(lambda x: special.ive(0, x))(1.0)), 6)\n"
         "        -0.257849"), order_arg=True, keep_ans=True)
_kv_p, kv = _binary("kv", None, lambda ans, v, x: -(_kv_p(v - 1, x) + _kv_p(v + 1, x)) * 0.5,
                    _doc("kv", "round(float(fad.grad(lambda x: special.kv(0, x))(1.0)), 6)\n"
                         "        -0.601907"), order_arg=True)


def jn(n, x):
    """Differentiable ``scipy.special.jn`` (Bessel J of integer order; derivative in x).

    Example:
        >>> import funcad as fad
        >>> from funcad.scipy import special
        >>> round(float(fad.grad(lambda x: special.jn(0, x))(1.0)), 6)   # -J1(1)
        -0.440051
    """
    return jv(n, x)


def yn(n, x):
    """Differentiable ``scipy.special.yn`` (Bessel Y of integer order; derivative in x).

    Example:
        >>> import funcad as fad
        >>> from funcad.scipy import special
        >>> round(float(fad.grad(lambda x: special.yn(0, x))(1.0)), 6)   # -Y1(1)
        0.781213
    """
    if not is_traced(n, x):
        return sp.yn(n, x)
    if dtype_of(x) != np.promote_types(dtype_of(x), np.float64):
        x = ops.astype(x, np.promote_types(dtype_of(x), np.float64))   # as scipy: float64
    return yv(n, x)


extend.ufunc_table[sp.yn] = yn

# ---------------------------------------------------------------------------
# error functions
# ---------------------------------------------------------------------------

_erf_p, erf = _unary("erf", lambda ans, x: (2 / _SQRT_PI) * ops.exp(-x * x),
                     _doc("erf", "round(float(fad.grad(special.erf)(0.0)), 6)\n        1.128379"))
_erfc_p, erfc = _unary("erfc", lambda ans, x: (-2 / _SQRT_PI) * ops.exp(-x * x),
                       _doc("erfc", "round(float(fad.grad(special.erfc)(0.0)), 6)\n"
                            "        -1.128379"))
_erfinv_p, erfinv = _unary("erfinv", lambda ans, x: (_SQRT_PI / 2) * ops.exp(ans * ans),
                           _doc("erfinv", "round(float(fad.grad(special.erfinv)(0.0)), 6)\n"
                                "        0.886227"), keep_x=False, keep_ans=True)
_erfcinv_p, erfcinv = _unary("erfcinv", lambda ans, x: (-_SQRT_PI / 2) * ops.exp(ans * ans),
                             _doc("erfcinv", "round(float(fad.grad(special.erfcinv)(1.0)), 6)\n"
                                  "        -0.886227"), keep_x=False, keep_ans=True)

# the normal distribution function, its log (stable far into the lower tail: SciPy's
# log_ndtr uses an asymptotic series there) and its inverse
_SQRT_2PI = float(np.sqrt(2 * np.pi))
_LOG_SQRT_2PI = float(np.log(np.sqrt(2 * np.pi)))
_ndtr_p, ndtr = _unary("ndtr", lambda ans, x: ops.exp(-0.5 * x * x) / _SQRT_2PI,
                       _doc("ndtr", "round(float(fad.grad(special.ndtr)(0.0)), 6)\n"
                            "        0.398942"))
# d log Phi(x) = phi(x) / Phi(x) = exp(log phi(x) - log Phi(x)): finite for x = -40
_log_ndtr_p, log_ndtr = _unary(
    "log_ndtr", lambda ans, x: ops.exp(-0.5 * x * x - _LOG_SQRT_2PI - ans),
    _doc("log_ndtr", "round(float(fad.grad(special.log_ndtr)(-40.0)), 4)   # ~ -x\n"
         "        40.0249"), keep_ans=True)
_ndtri_p, ndtri = _unary("ndtri", lambda ans, x: _SQRT_2PI * ops.exp(0.5 * ans * ans),
                         _doc("ndtri", "round(float(fad.grad(special.ndtri)(0.5)), 6)\n"
                              "        2.506628"), keep_x=False, keep_ans=True)

# ---------------------------------------------------------------------------
# gamma family
# ---------------------------------------------------------------------------

# the order 1 in x's dtype: SciPy's polygamma with an integer order returns float64
_digamma_p, digamma = _unary("digamma", lambda ans, x: _polygamma_p(dtype_of(x).type(1), x),
                             _doc("digamma", "round(float(fad.grad(special.digamma)(1.0)), 6)\n"
                                  "        1.644934"))
_gammaln_p, gammaln = _unary("gammaln", lambda ans, x: _digamma_p(x),
                             _doc("gammaln", "round(float(fad.grad(special.gammaln)(1.0)), 6)\n"
                                  "        -0.577216"))
_gamma_p, gamma = _unary("gamma", lambda ans, x: ans * _digamma_p(x),
                         _doc("gamma", "round(float(fad.grad(special.gamma)(2.0)), 6)\n"
                              "        0.422784"), keep_ans=True)
_betaln_p, betaln = _binary(
    "betaln", lambda ans, a, b: _digamma_p(a) - _digamma_p(a + b),
    lambda ans, a, b: _digamma_p(b) - _digamma_p(a + b),
    _doc("betaln", "round(float(fad.grad(special.betaln)(1.0, 2.0)), 6)\n        -1.5"))
_beta_p, beta = _binary(
    "beta", lambda ans, a, b: ans * (_digamma_p(a) - _digamma_p(a + b)),
    lambda ans, a, b: ans * (_digamma_p(b) - _digamma_p(a + b)),
    _doc("beta", "round(float(fad.grad(special.beta)(1.0, 2.0)), 6)\n        -0.75"),
    keep_ans=True)

# distribution functions with a shape parameter: the derivative in x has a closed form,
# the one in the shape (a derivative of the incomplete gamma/beta function in its
# parameter) is not implemented and raises instead of giving a zero


def _no_shape_rule(name, shape, users):
    def rule(*_a, **_k):
        raise NoRuleError(
            f"scipy.special.{name} (used by {users}): the derivative with respect to the "
            f"shape parameter {shape} (the first argument) is not implemented: it needs the "
            f"derivative of the incomplete {'beta' if name == 'stdtr' else 'gamma'} function "
            f"in its parameter. Pass {shape} as a constant (a plain value, or "
            f"fad.stop_gradient({shape}) if it is traced); the derivative in x works")
    return rule


def _shape_binary(name, dx, doc, shape, users):
    sp_func = getattr(sp, name)
    p = Primitive(f"special.{name}", sp_func)
    no = _no_shape_rule(name, shape, users)
    defjvp(p, no, lambda t, ans, a, x: t * dx(a, x))
    defvjp(p, no, lambda g, _ans, a, x: unbroadcast(g * dx(a, x), shape_of(x)))
    batch_elementwise(p)
    return p, _public(p, sp_func, name, doc)


def _gammaln_const(a):
    """gammaln of a shape parameter; a plain one is a Python float (weakly typed, so a float32
    x keeps float32 on every SciPy), a traced one stays traced."""
    if is_traced(a):
        return _gammaln_p(a)
    v = sp.gammaln(a)
    return float(v) if np.ndim(v) == 0 else v


def _gamma_density(a, x):
    return ops.exp((a - 1) * ops.log(x) - x - _gammaln_const(a))


_gammainc_p, gammainc = _shape_binary(
    "gammainc", _gamma_density,
    _doc("gammainc", "round(float(fad.grad(special.gammainc, 1)(1.0, 1.0)), 6)   # exp(-1)\n"
         "        0.367879"), "a", "scipy.stats gamma.cdf and chi2.cdf")
_gammaincc_p, gammaincc = _shape_binary(
    "gammaincc", lambda a, x: -_gamma_density(a, x),
    _doc("gammaincc", "round(float(fad.grad(special.gammaincc, 1)(1.0, 1.0)), 6)\n"
         "        -0.367879"), "a", "scipy.stats gamma.sf and chi2.sf")
def _t_log_norm(df):
    # log of Student's t normalising constant; a plain df stays a Python float (weakly
    # typed: float32 x keeps float32), a traced one stays traced
    if not is_traced(df):
        v = sp.gammaln(0.5 * (df + 1)) - sp.gammaln(0.5 * df) - 0.5 * np.log(df * np.pi)
        return float(v) if np.ndim(v) == 0 else v
    return (_gammaln_const(0.5 * (df + 1)) - _gammaln_const(0.5 * df)
            - 0.5 * ops.log(df * np.pi))


_stdtr_p, stdtr = _shape_binary(
    "stdtr",
    lambda df, x: ops.exp(_t_log_norm(df) - 0.5 * (df + 1) * ops.log1p(x * x / df)),
    _doc("stdtr", "round(float(fad.grad(special.stdtr, 1)(1.0, 0.0)), 6)   # 1/pi\n"
         "        0.31831"), "df", "scipy.stats t.cdf and t.sf")

# ---------------------------------------------------------------------------
# logistic and x log y
# ---------------------------------------------------------------------------

_expit_p, expit = _unary("expit", lambda ans, x: ans * (1 - ans),
                         _doc("expit", "float(fad.grad(special.expit)(0.0))\n        0.25"),
                         keep_x=False, keep_ans=True)
_logit_p, logit = _unary("logit", lambda ans, x: 1 / (x * (1 - x)),
                         _doc("logit", "float(fad.grad(special.logit)(0.5))\n        4.0"))
_xlogy_p, xlogy = _binary("xlogy", lambda ans, x, y: ops.log(y), lambda ans, x, y: x / y,
                          _doc("xlogy", "float(fad.grad(special.xlogy, 1)(2.0, 4.0))\n"
                               "        0.5"))
_xlog1py_p, xlog1py = _binary("xlog1py", lambda ans, x, y: ops.log1p(y),
                              lambda ans, x, y: x / (1 + y),
                              _doc("xlog1py", "float(fad.grad(special.xlog1py, 1)(2.0, 3.0))\n"
                                   "        0.5"))

# ---------------------------------------------------------------------------
# Bessel functions of order 0 and 1 (derivatives through the general-order ones)
# ---------------------------------------------------------------------------

_i0_p, i0 = _unary("i0", lambda ans, x: _i1_p(x),
                   _doc("i0", "round(float(fad.grad(special.i0)(1.0)), 6)\n        0.565159"))
_i1_p, i1 = _unary("i1", lambda ans, x: (_i0_p(x) + _iv_p(2, x)) * 0.5,
                   _doc("i1", "round(float(fad.grad(special.i1)(0.0)), 6)\n        0.5"))
_i0e_p, i0e = _unary("i0e", lambda ans, x: _i1e_p(x) - ops.sign(x) * ans,
                     _doc("i0e", "round(float(fad.grad(special.i0e)(1.0)), 6)\n        -0.257849"),
                     keep_ans=True)
_i1e_p, i1e = _unary("i1e", lambda ans, x: (_i0e_p(x) + _ive_p(2, x)) * 0.5 - ops.sign(x) * ans,
                     _doc("i1e", "round(float(fad.grad(special.i1e)(0.0)), 6)\n        0.5"),
                     keep_ans=True)
_j0_p, j0 = _unary("j0", lambda ans, x: -_j1_p(x),
                   _doc("j0", "round(float(fad.grad(special.j0)(1.0)), 6)\n        -0.440051"))
_j1_p, j1 = _unary("j1", lambda ans, x: (_j0_p(x) - _jv_p(2, x)) * 0.5,
                   _doc("j1", "round(float(fad.grad(special.j1)(0.0)), 6)\n        0.5"))
_y0_p, y0 = _unary("y0", lambda ans, x: -_y1_p(x),
                   _doc("y0", "round(float(fad.grad(special.y0)(1.0)), 6)\n        0.781213"))
_y1_p, y1 = _unary("y1", lambda ans, x: (_y0_p(x) - _yv_p(2, x)) * 0.5,
                   _doc("y1", "round(float(fad.grad(special.y1)(1.0)), 6)\n        0.86947"))

# ---------------------------------------------------------------------------
# composites: logsumexp, softmax, log_softmax
# ---------------------------------------------------------------------------


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False):
    """Differentiable ``scipy.special.logsumexp`` (with ``b`` weights and ``return_sign``).

    Example:
        >>> import numpy as np, funcad as fad
        >>> from funcad.scipy import special
        >>> fad.grad(special.logsumexp)(np.array([0.0, 0.0]))
        array([0.5, 0.5])
    """
    if not is_traced(a, b):
        return sp.logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=return_sign)
    m = ops.stop_gradient(ops.max(a, axis=axis, keepdims=True))
    m = ops.where(ops.isfinite(m), m, 0.0)
    e = ops.exp(a - m)
    if b is not None:
        e = e * b
    s = ops.sum(e, axis=axis, keepdims=True)
    sign = ops.sign(s)
    out = ops.log(ops.abs(s) if return_sign else s) + m
    if not keepdims:
        ax = tuple(range(len(shape_of(out)))) if axis is None else axis
        out = ops.squeeze(out, axis=ax)
        sign = ops.squeeze(sign, axis=ax)
    return (out, sign) if return_sign else out


def log_softmax(x, axis=None):
    """Differentiable ``scipy.special.log_softmax``.

    Example:
        >>> import numpy as np, funcad as fad
        >>> from funcad.scipy import special
        >>> fad.grad(lambda x: special.log_softmax(x)[0])(np.array([0.0, 0.0]))
        array([ 0.5, -0.5])
    """
    if not is_traced(x):
        return sp.log_softmax(x, axis=axis)
    return x - logsumexp(x, axis=axis, keepdims=True)


def softmax(x, axis=None):
    """Differentiable ``scipy.special.softmax``.

    Example:
        >>> import numpy as np, funcad as fad
        >>> from funcad.scipy import special
        >>> fad.grad(lambda x: special.softmax(x)[0])(np.array([0.0, 0.0]))
        array([ 0.25, -0.25])
    """
    if not is_traced(x):
        return sp.softmax(x, axis=axis)
    return ops.exp(log_softmax(x, axis=axis))
