"""Exponential, sine/cosine and Fresnel integrals, and the dilogarithm (spence)."""

from __future__ import annotations

import numpy as np
import scipy.special as sp

from ... import extend
from ...extend import ops
from ...numpy._base import is_traced
from ._base import doc, elementwise, order_partial, unary

_exp1_p, exp1 = unary("exp1", lambda ans, x: -ops.exp(-x) / x,
                      doc("exp1", "round(float(fad.grad(special.exp1)(1.0)), 6)   # -exp(-x)/x\n"
                          "        -0.367879"))
_expi_p, expi = unary("expi", lambda ans, x: ops.exp(x) / x,
                      doc("expi", "round(float(fad.grad(special.expi)(1.0)), 6)   # exp(x)/x\n"
                          "        2.718282"))


def _expn_dx(ans, n, x):
    # E_n' = -E_{n-1} for n >= 1; E_0(x) = exp(-x)/x has E_0' = -exp(-x) (1 + 1/x) / x
    e0 = -ops.exp(-x) * (1 + 1 / x) / x
    return ops.where(n >= 1, -_expn_p(ops.maximum(n - 1, 0), x), e0)


_expn_p, expn = elementwise(
    "expn", (order_partial("expn"), _expn_dx),
    doc("expn", "round(float(fad.grad(lambda x: special.expn(2, x))(1.0)), 6)   # -E_1(1)\n"
        "        -0.219384"))


def _spence_dz(ans, z):
    # log(z) / (1 - z); at z = 1 its Taylor polynomial, so that it differentiates right there
    u = z - 1
    at_one = ops.equal(u, 0)
    return ops.where(at_one, -1 + u / 2 - u * u / 3,
                     ops.log(z) / -ops.where(at_one, 1.0, u))


_spence_p, spence = elementwise(
    "spence", (_spence_dz,),
    doc("spence", "round(float(fad.grad(special.spence)(2.0)), 6)   # -log(2)\n"
        "        -0.693147"))


def _sinh_over_x(x):
    small = ops.equal(x, 0)
    return ops.where(small, 1 + x * x / 6, ops.sinh(x) / ops.where(small, 1.0, x))


def _pair(name, d0, d1, doc_):
    """A SciPy ufunc with two outputs as two primitives (each elementwise, derivative ``dk(z)``)
    and one public function returning both."""
    sp_func = getattr(sp, name)
    p0, _ = elementwise(f"{name}_0", (lambda ans, z: d0(z),), "", sp_func=sp_func,
                        impl=lambda z: sp_func(z)[0], register=False)
    p1, _ = elementwise(f"{name}_1", (lambda ans, z: d1(z),), "", sp_func=sp_func,
                        impl=lambda z: sp_func(z)[1], register=False)

    def fn(z):
        if not is_traced(z):
            return sp_func(z)
        return p0(z), p1(z)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc_
    extend.ufunc_table[sp_func] = fn
    return fn


_HALF_PI = float(np.pi / 2)
fresnel = _pair("fresnel", lambda z: ops.sin(_HALF_PI * z * z),
                lambda z: ops.cos(_HALF_PI * z * z),
                doc("fresnel", "[round(float(d), 6) for d in fad.jacfwd(special.fresnel)(1.0)]"
                    "   # (S', C')\n        [1.0, 0.0]"))
sici = _pair("sici", lambda x: ops.sinc(x / np.pi), lambda x: ops.cos(x) / x,
             doc("sici", "[round(float(d), 6) for d in fad.jacfwd(special.sici)(np.pi)]"
                 "   # (sin x/x, cos x/x)\n        [0.0, -0.31831]"))
shichi = _pair("shichi", _sinh_over_x, lambda x: ops.cosh(x) / x,
               doc("shichi", "[round(float(d), 6) for d in fad.jacfwd(special.shichi)(1.0)]"
                   "   # (sinh x/x, cosh x/x)\n        [1.175201, 1.543081]"))
