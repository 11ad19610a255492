"""The logistic function, x log y, entropies (entr, rel_entr, kl_div) and the log-sum-exp
family (logsumexp, softmax)."""

from __future__ import annotations

import numpy as np
import scipy.special as sp

from ...extend import ops, shape_of
from ...numpy._base import is_traced
from ._base import binary, doc, elementwise, unary

_expit_p, expit = unary("expit", lambda ans, x: ans * (1 - ans),
                        doc("expit", "float(fad.grad(special.expit)(0.0))\n        0.25"),
                        keep_x=False, keep_ans=True)
_logit_p, logit = unary("logit", lambda ans, x: 1 / (x * (1 - x)),
                        doc("logit", "float(fad.grad(special.logit)(0.5))\n        4.0"))
_xlogy_p, xlogy = binary("xlogy", lambda ans, x, y: ops.log(y), lambda ans, x, y: x / y,
                         doc("xlogy", "float(fad.grad(special.xlogy, 1)(2.0, 4.0))\n"
                             "        0.5"))
_xlog1py_p, xlog1py = binary("xlog1py", lambda ans, x, y: ops.log1p(y),
                             lambda ans, x, y: x / (1 + y),
                             doc("xlog1py", "float(fad.grad(special.xlog1py, 1)(2.0, 3.0))\n"
                                 "        0.5"))


# entropies: -x log x, x log(x/y), x log(x/y) - x + y (SciPy's conventions at x = 0 and off
# the domain; the derivatives are those of the formulas, infinite at x = 0)
_entr_p, entr = unary("entr", lambda ans, x: -(ops.log(x) + 1),
                      doc("entr", "float(fad.grad(special.entr)(1.0))   # -(log x + 1)\n"
                          "        -1.0"))
_rel_entr_p, rel_entr = elementwise(
    "rel_entr", (lambda ans, x, y: ops.log(x) - ops.log(y) + 1, lambda ans, x, y: -x / y),
    doc("rel_entr", "float(fad.grad(special.rel_entr, 1)(2.0, 4.0))   # -x/y\n"
        "        -0.5"))
_kl_div_p, kl_div = elementwise(
    "kl_div", (lambda ans, x, y: ops.log(x) - ops.log(y), lambda ans, x, y: 1 - x / y),
    doc("kl_div", "float(fad.grad(special.kl_div, 1)(2.0, 4.0))   # 1 - x/y\n"
        "        0.5"))


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False):
    """Differentiable ``scipy.special.logsumexp`` (with ``b`` weights and ``return_sign``).

    Args:
        a: the exponents. axis: the axes to reduce (None: all). b: weights broadcast against
            ``a`` (may be negative: the sum can then be negative, whose log is NaN unless
            ``return_sign``). keepdims: keep the reduced axes. return_sign: also return the
            sign of the sum (+1, -1 or 0) and the log of its absolute value.

    Returns:
        ``log(sum(b * exp(a)))``, or ``(log|sum|, sign)`` with ``return_sign``; the sign has
        derivative zero.

    Example:
        >>> import numpy as np, funcad as fad
        >>> from funcad.scipy import special
        >>> fad.grad(special.logsumexp)(np.array([0.0, 0.0]))
        array([0.5, 0.5])
    """
    if not is_traced(a, b):
        return sp.logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=return_sign)
    # the shift m: the largest a with a nonzero weight (as SciPy); a weight-0 term enters as
    # exp(m - m) * 0, so it adds 0 and gets a zero gradient however large its a
    live = None if b is None else ops.not_equal(b, 0)
    top = a if live is None else ops.where(live, a, -np.inf)
    m = ops.stop_gradient(ops.max(top, axis=axis, keepdims=True))
    m = ops.where(ops.isfinite(m), m, 0.0)
    e = ops.exp(a - m) if live is None else ops.exp(ops.where(live, a, m) - m) * b
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
