"""Kummer's confluent hypergeometric function, the Hurwitz/Riemann zeta function and the
Bernoulli numbers."""

from __future__ import annotations

import scipy.special as sp

from ...extend import Primitive, batch_elementwise, defjvp, defvjp
from ...numpy._base import is_traced
from ._base import Raises, doc, elementwise


def _no_param_rule(name, arg, fix=""):
    return Raises(name, f"the parameter {arg}", "no closed form; SciPy has none either",
                  f"Pass {arg} as a constant (a plain value, or fad.stop_gradient({arg}) if it "
                  f"is traced){fix}")


# 1F1(a; b; z): d/dz = a/b 1F1(a + 1; b + 1; z)
_hyp1f1_p, hyp1f1 = elementwise(
    "hyp1f1", (_no_param_rule("hyp1f1", "a"), _no_param_rule("hyp1f1", "b"),
               lambda ans, a, b, z: a / b * _hyp1f1_p(a + 1, b + 1, z)),
    doc("hyp1f1", "round(float(fad.grad(special.hyp1f1, 2)(1.0, 1.0, 0.0)), 6)   # exp'\n"
        "        1.0"))

# the Hurwitz zeta function sum_k (k + q)^-x: d/dq = -x zeta(x + 1, q); in x: no rule
_no_zeta_x = _no_param_rule("zeta", "x", "; the derivative in q works")
_hurwitz_p, _ = elementwise("zeta", (_no_zeta_x, lambda ans, x, q: -x * _hurwitz_p(x + 1, q)),
                            "", sp_func=sp.zeta, register=False)
# the Riemann zeta function (with its continuation to x < 1, which Hurwitz's q = 1 lacks)
_riemann_p = Primitive("special.zeta_riemann", sp.zeta)
defjvp(_riemann_p, _no_zeta_x)
defvjp(_riemann_p, _no_zeta_x)
batch_elementwise(_riemann_p)


def zeta(x, q=None):
    """Differentiable ``scipy.special.zeta``: Riemann's (``q=None``) or Hurwitz's zeta function.

    Args:
        x: the exponent (no derivative: differentiating in x raises NoRuleError).
        q: the shift of Hurwitz's ``sum_k (k + q)**-x``; None: Riemann's zeta.

    Returns:
        ``zeta(x, q)``, broadcast over the arguments.

    Example:
        >>> import funcad as fad
        >>> from funcad.scipy import special
        >>> round(float(fad.grad(lambda q: special.zeta(2.0, q))(1.0)), 6)   # -2 zeta(3)
        -2.404114
    """
    if not is_traced(x, q):
        return sp.zeta(x, q)
    return _riemann_p(x) if q is None else _hurwitz_p(x, q)


def bernoulli(n):
    """``scipy.special.bernoulli``: the Bernoulli numbers B_0 .. B_n (no derivative: ``n`` is
    a count, and must be a concrete integer).

    Example:
        >>> from funcad.scipy import special
        >>> special.bernoulli(2).tolist()
        [1.0, -0.5, 0.16666666666666666]
    """
    return sp.bernoulli(int(n) if is_traced(n) else n)
