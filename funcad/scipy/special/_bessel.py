"""Bessel functions (derivatives in x through the general-order ones; in the order: raise)."""

from __future__ import annotations

import numpy as np
import scipy.special as sp

from ... import extend
from ...extend import dtype_of, ops
from ...numpy._base import is_traced
from ._base import binary, doc, unary

_jv_p, jv = binary("jv", None, lambda ans, v, x: (_jv_p(v - 1, x) - _jv_p(v + 1, x)) * 0.5,
                   doc("jv", "round(float(fad.grad(lambda x: special.jv(1, x))(0.0)), 6)\n"
                       "        0.5"), order_arg=True)
_yv_p, yv = binary("yv", None, lambda ans, v, x: (_yv_p(v - 1, x) - _yv_p(v + 1, x)) * 0.5,
                   doc("yv", "round(float(fad.grad(lambda x: special.yv(0, x))(1.0)), 6)\n"
                       "        0.781213"), order_arg=True)
_iv_p, iv = binary("iv", None, lambda ans, v, x: (_iv_p(v - 1, x) + _iv_p(v + 1, x)) * 0.5,
                   doc("iv", "round(float(fad.grad(lambda x: special.iv(0, x))(1.0)), 6)\n"
                       "        0.565159"), order_arg=True)
_ive_p, ive = binary(
    "ive", None,
    lambda ans, v, x: (_ive_p(v - 1, x) + _ive_p(v + 1, x)) * 0.5 - ops.sign(x) * ans,
    doc("ive", "round(float(fad.grad(lambda x: special.ive(0, x))(1.0)), 6)\n"
        "        -0.257849"), order_arg=True, keep_ans=True)
_kv_p, kv = binary("kv", None, lambda ans, v, x: -(_kv_p(v - 1, x) + _kv_p(v + 1, x)) * 0.5,
                   doc("kv", "round(float(fad.grad(lambda x: special.kv(0, x))(1.0)), 6)\n"
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

# orders 0 and 1
_i0_p, i0 = unary("i0", lambda ans, x: _i1_p(x),
                  doc("i0", "round(float(fad.grad(special.i0)(1.0)), 6)\n        0.565159"))
_i1_p, i1 = unary("i1", lambda ans, x: (_i0_p(x) + _iv_p(2, x)) * 0.5,
                  doc("i1", "round(float(fad.grad(special.i1)(0.0)), 6)\n        0.5"))
_i0e_p, i0e = unary("i0e", lambda ans, x: _i1e_p(x) - ops.sign(x) * ans,
                    doc("i0e", "round(float(fad.grad(special.i0e)(1.0)), 6)\n        -0.257849"),
                    keep_ans=True)
_i1e_p, i1e = unary("i1e", lambda ans, x: (_i0e_p(x) + _ive_p(2, x)) * 0.5 - ops.sign(x) * ans,
                    doc("i1e", "round(float(fad.grad(special.i1e)(0.0)), 6)\n        0.5"),
                    keep_ans=True)
_j0_p, j0 = unary("j0", lambda ans, x: -_j1_p(x),
                  doc("j0", "round(float(fad.grad(special.j0)(1.0)), 6)\n        -0.440051"))
_j1_p, j1 = unary("j1", lambda ans, x: (_j0_p(x) - _jv_p(2, x)) * 0.5,
                  doc("j1", "round(float(fad.grad(special.j1)(0.0)), 6)\n        0.5"))
_y0_p, y0 = unary("y0", lambda ans, x: -_y1_p(x),
                  doc("y0", "round(float(fad.grad(special.y0)(1.0)), 6)\n        0.781213"))
_y1_p, y1 = unary("y1", lambda ans, x: (_y0_p(x) - _yv_p(2, x)) * 0.5,
                  doc("y1", "round(float(fad.grad(special.y1)(1.0)), 6)\n        0.86947"))
