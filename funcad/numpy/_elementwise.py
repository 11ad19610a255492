"""Elementwise primitives: arithmetic, math ufuncs, comparisons, where.

Each primitive is one line: its NumPy impl and its elementwise derivative,
which the family helpers turn into a JVP rule, a VJP rule and a batching rule.
Derivatives are written in funcad ops, so they differentiate again.
"""

from __future__ import annotations

import math

import numpy as np

from ..extend import def_linear, match_shape, vjp_needs, vjp_rules
from ._base import (Primitive, at_kinks, batch_elementwise, binary, defjvp, defjvp_full, defvjp,
                    export, public,
                    nondiff_elementwise, shape_of, unary, unbroadcast)

_LN2 = float(np.log(2.0))
_LN10 = float(np.log(10.0))

# ---------------------------------------------------------------------------
# linear arithmetic: rules need shapes only
# ---------------------------------------------------------------------------

negative_p = Primitive("negative", np.negative)
defjvp(negative_p, lambda t, ans, x: negative_p(t))
defvjp(negative_p, lambda g, ans, x: negative_p(g), keep=False)
batch_elementwise(negative_p)
def_linear(negative_p)
export(negative_p, "negative", np.negative)

add_p = Primitive("add", np.add)
defjvp(add_p, lambda t, ans, x, y: t, lambda t, ans, x, y: t)
defvjp(add_p, lambda g, ans, x, y: unbroadcast(g, shape_of(x)),
       lambda g, ans, x, y: unbroadcast(g, shape_of(y)), keep=False)
batch_elementwise(add_p)
def_linear(add_p)
export(add_p, "add", np.add)

subtract_p = Primitive("subtract", np.subtract)


def _subtract_jvp(primals, tangents, ans):
    tx, ty = tangents      # one subtract of the tangents, not tx + negative(ty)
    out = tx if ty is None else negative_p(ty) if tx is None else subtract_p(tx, ty)
    return match_shape(out, ans)


defjvp_full(subtract_p, _subtract_jvp)
defvjp(subtract_p, lambda g, ans, x, y: unbroadcast(g, shape_of(x)),
       lambda g, ans, x, y: unbroadcast(negative_p(g), shape_of(y)), keep=False)
batch_elementwise(subtract_p)
def_linear(subtract_p)
export(subtract_p, "subtract", np.subtract)

# ---------------------------------------------------------------------------
# products and quotients
# ---------------------------------------------------------------------------

def _recip(y):
    # 1 / y; a Python zero gives NumPy's signed inf (not ZeroDivisionError), and a Python
    # number stays a Python float (weakly typed: float32 gradients stay float32)
    if type(y) in (int, float) and y == 0:
        return math.copysign(math.inf, y)
    return 1 / y


multiply_p = binary("multiply", np.multiply, lambda ans, x, y: y, lambda ans, x, y: x)
divide_p = binary("divide", np.divide, lambda ans, x, y: _recip(y), lambda ans, x, y: -ans / y,
                keep=(False, True), keep_ans=True)
export(divide_p, "true_divide")
def_linear(multiply_p, joint=False)   # in either factor alone
def_linear(divide_p, (0,))               # in the numerator


def _safe_log(x):
    # log(x) where x != 0, else 0: d(x**y)/dy = x**y log x is 0 at x = 0 for y > 0
    if type(x) in (int, float):    # a Python base stays a (weak) Python float: 2.0 ** y in
        return float(np.log(x)) if x != 0 else 0.0      # float32 has a float32 derivative
    return where(equal_p(x, 0), 0.0, log_p(where(equal_p(x, 0), 1.0, x)))


def _power_dx(ans, x, y):
    if type(y) in (int, float):
        if y == 2:
            return 2 * x               # x ** 2: no power(x, 1) in the derivative
        if y == 0:
            return 0.0 * x             # x ** 0 == 1 everywhere, 0 ** 0 included
        return y * power_p(x, y - 1)
    # y * x**(y-1) is 0 * inf at x = 0, y = 0; the derivative of x**0 is 0 there too
    return where(equal_p(y, 0), 0.0, y * power_p(x, y - 1))


power_p = binary("power", np.power, _power_dx, lambda ans, x, y: ans * _safe_log(x), keep_ans=True)


def _power_vjp_x(g, ans, x, y):
    # a constant Python exponent: scale g first, so a plain g costs no traced op
    if type(y) in (int, float):
        if y == 0:
            return None                # x ** 0 is constant
        return unbroadcast((g * y) * (x if y == 2 else power_p(x, y - 1)), shape_of(x))
    return unbroadcast(g * _power_dx(ans, x, y), shape_of(x))


defvjp(power_p, _power_vjp_x, vjp_rules[power_p][0][1], keep=True, keep_ans=True,
       needs=vjp_needs[power_p])
float_power_p = binary("float_power", np.float_power,
                     lambda ans, x, y: where(equal_p(y, 0), 0.0, y * float_power_p(x, y - 1)),
                     lambda ans, x, y: ans * _safe_log(x), keep_ans=True)

square_p = unary("square", np.square, lambda ans, x: 2 * x)
sqrt_p = unary("sqrt", np.sqrt, lambda ans, x: 0.5 / ans, keep_x=False, keep_ans=True)
cbrt_p = unary("cbrt", np.cbrt, lambda ans, x: 1 / (3 * ans * ans), keep_x=False, keep_ans=True)
reciprocal_p = unary("reciprocal", np.reciprocal, lambda ans, x: -(ans * ans), keep_x=False,
                   keep_ans=True)

# ---------------------------------------------------------------------------
# exponentials and logarithms
# ---------------------------------------------------------------------------

exp_p = unary("exp", np.exp, lambda ans, x: ans, keep_x=False, keep_ans=True)
exp2_p = unary("exp2", np.exp2, lambda ans, x: ans * _LN2, keep_x=False, keep_ans=True)
expm1_p = unary("expm1", np.expm1, lambda ans, x: ans + 1, keep_x=False, keep_ans=True)
log_p = unary("log", np.log, None, div=lambda ans, x: x)
log2_p = unary("log2", np.log2, None, div=lambda ans, x: x * _LN2)
log10_p = unary("log10", np.log10, None, div=lambda ans, x: x * _LN10)
log1p_p = unary("log1p", np.log1p, None, div=lambda ans, x: x + 1)
logaddexp_p = binary("logaddexp", np.logaddexp, lambda ans, x, y: exp_p(x - ans),
                   lambda ans, x, y: exp_p(y - ans), keep_ans=True)
logaddexp2_p = binary("logaddexp2", np.logaddexp2, lambda ans, x, y: exp2_p(x - ans),
                    lambda ans, x, y: exp2_p(y - ans), keep_ans=True)

# ---------------------------------------------------------------------------
# trigonometric and hyperbolic
# ---------------------------------------------------------------------------

sin_p = unary("sin", np.sin, lambda ans, x: cos_p(x))
cos_p = unary("cos", np.cos, lambda ans, x: negative_p(sin_p(x)))
tan_p = unary("tan", np.tan, lambda ans, x: 1 + ans * ans, keep_x=False, keep_ans=True)
arcsin_p = unary("arcsin", np.arcsin, lambda ans, x: 1 / sqrt_p(1 - x * x))
arccos_p = unary("arccos", np.arccos, lambda ans, x: -1 / sqrt_p(1 - x * x))
arctan_p = unary("arctan", np.arctan, lambda ans, x: 1 / (1 + x * x))
sinh_p = unary("sinh", np.sinh, lambda ans, x: cosh_p(x))
cosh_p = unary("cosh", np.cosh, lambda ans, x: sinh_p(x))
tanh_p = unary("tanh", np.tanh, lambda ans, x: 1 - ans * ans, keep_x=False, keep_ans=True)


def _tanh_vjp(g, ans, x):
    # g * (1 - ans**2). On plain arrays ans * ans is a fresh array of the result's shape and
    # dtype, so the other two steps run in place: one temporary instead of two (an MLP's
    # backward pass makes this array once per layer)
    d = ans * ans
    if type(d) is np.ndarray and type(g) is np.ndarray and g.shape == d.shape and \
            g.dtype == d.dtype:
        np.subtract(1.0, d, out=d)
        d *= g
        return d
    return g * (1 - d)


defvjp(tanh_p, _tanh_vjp, keep=(False,), keep_ans=True, needs=((),))
arcsinh_p = unary("arcsinh", np.arcsinh, lambda ans, x: 1 / sqrt_p(x * x + 1))
arccosh_p = unary("arccosh", np.arccosh, lambda ans, x: 1 / sqrt_p(x * x - 1))
arctanh_p = unary("arctanh", np.arctanh, lambda ans, x: 1 / (1 - x * x))
arctan2_p = binary("arctan2", np.arctan2, lambda ans, y, x: x / (x * x + y * y),
                 lambda ans, y, x: -y / (x * x + y * y))
hypot_p = binary("hypot", np.hypot, lambda ans, x, y: x / ans, lambda ans, x, y: y / ans,
               keep_ans=True)

# ---------------------------------------------------------------------------
# piecewise: the subgradient at kinks is chosen on purpose
# ---------------------------------------------------------------------------

# abs'(0) = 0 (sign(0) = 0): the minimum-norm subgradient, as JAX and autograd. absolute_p and
# sign_p are the real case of the public abs/absolute/sign, registered once in _complex.py.
absolute_p = Primitive("absolute", np.absolute)
defjvp(absolute_p, lambda t, ans, x: t * sign_p(x))
defvjp(absolute_p, lambda g, ans, x: g * sign_p(x))
batch_elementwise(absolute_p)


def _half(ans):
    # 0.5 in the result's float dtype: with a Python 0.5 the weights would be float64 and
    # turn a float32 gradient into float64 from there on
    dt = getattr(ans, "dtype", None)
    return dt.type(0.5) if dt is not None and dt.kind == "f" else 0.5


def _tie_x(ans, x, y):
    # maximum/minimum/fmax/fmin: the selected argument gets 1, a tie splits 0.5/0.5
    return where(equal_p(x, y), _half(ans), equal_p(ans, x))


def _tie_y(ans, x, y):
    return where(equal_p(x, y), _half(ans), equal_p(ans, y))


maximum_p = binary("maximum", np.maximum, _tie_x, _tie_y, keep_ans=True)
minimum_p = binary("minimum", np.minimum, _tie_x, _tie_y, keep_ans=True)
fmax_p = binary("fmax", np.fmax, _tie_x, _tie_y, keep_ans=True)
fmin_p = binary("fmin", np.fmin, _tie_x, _tie_y, keep_ans=True)
for _name in ("maximum", "minimum", "fmax", "fmin"):
    at_kinks(_name, "Derivative: 1 for the selected argument, 0 for the other; at a tie "
                    "(x1 == x2) each gets 0.5.")

# remainder = x - floor(x / y) * y; fmod = x - trunc(x / y) * y (away from the jumps)
remainder_p = binary("remainder", np.remainder, lambda ans, x, y: 1.0,
                   lambda ans, x, y: negative_p(floor_p(divide_p(x, y))))
export(remainder_p, "mod")
fmod_p = binary("fmod", np.fmod, lambda ans, x, y: 1.0,
              lambda ans, x, y: negative_p(trunc_p(divide_p(x, y))))
for _name, _q in (("remainder", "floor"), ("mod", "floor"), ("fmod", "trunc")):
    at_kinks(_name, f"Derivative: 1 in x1 and -{_q}(x1 / x2) in x2, the one-sided value at "
                    "the jumps (where x1 / x2 is an integer).")

# ---------------------------------------------------------------------------
# zero-derivative elementwise functions (piecewise constant or boolean)
# ---------------------------------------------------------------------------

sign_p = Primitive("sign", np.sign, nondiff=True)     # public sign: see absolute_p
batch_elementwise(sign_p)
floor_p = nondiff_elementwise("floor")
ceil_p = nondiff_elementwise("ceil")
trunc_p = nondiff_elementwise("trunc")
rint_p = nondiff_elementwise("rint")
floor_divide_p = nondiff_elementwise("floor_divide")
isnan_p = nondiff_elementwise("isnan")
isinf_p = nondiff_elementwise("isinf")
isfinite_p = nondiff_elementwise("isfinite")
signbit_p = nondiff_elementwise("signbit")
equal_p = nondiff_elementwise("equal")
not_equal_p = nondiff_elementwise("not_equal")
less_p = nondiff_elementwise("less")
less_equal_p = nondiff_elementwise("less_equal")
greater_p = nondiff_elementwise("greater")
greater_equal_p = nondiff_elementwise("greater_equal")
logical_and_p = nondiff_elementwise("logical_and")
logical_or_p = nondiff_elementwise("logical_or")
logical_xor_p = nondiff_elementwise("logical_xor")
logical_not_p = nondiff_elementwise("logical_not")

# ---------------------------------------------------------------------------
# where: select, differentiable in the two branches
# ---------------------------------------------------------------------------

_where = Primitive("where", np.where)
defjvp(_where, None, lambda t, ans, c, x, y: _where(c, t, 0),
       lambda t, ans, c, x, y: _where(c, 0, t))
defvjp(_where, None, lambda g, ans, c, x, y: unbroadcast(_where(c, g, 0), shape_of(x)),
       lambda g, ans, c, x, y: unbroadcast(_where(c, 0, g), shape_of(y)),
       keep=(True, False, False))
batch_elementwise(_where)
def_linear(_where, (1, 2))


def where(condition, x=None, y=None):
    """Differentiable ``np.where``: the derivative flows to the selected branch only.

    A NaN in the branch that is not selected does not leak into the value,
    but its *derivative* can (0 * inf): guard the input of the unused branch
    too (see docs/sharp-bits.md).

    Example:
        >>> import funcad as fad, funcad.numpy as fnp
        >>> float(fad.grad(lambda x: fnp.where(x > 0, x ** 2, -x))(3.0))
        6.0
    """
    if x is None and y is None:
        from . import _indexing
        return _indexing.nonzero(condition)
    if x is None or y is None:
        raise ValueError("where takes one argument or three, not two")
    return _where(condition, x, y)


export(where, "where", np.where)


# ---------------------------------------------------------------------------
# stop_gradient: identity with zero derivative at every level
# ---------------------------------------------------------------------------

stop_gradient_p = Primitive("stop_gradient", lambda x: x, nondiff=True)
batch_elementwise(stop_gradient_p)
export(stop_gradient_p, "stop_gradient")


def stop_gradient(x):
    """The value of ``x``, a constant to every transform: its derivative is 0 at every level.

    Args:
        x: an array or a traced value.

    Returns:
        ``x``'s value, which grad, jvp, vjp and their compositions see as a constant.

    Example:
        >>> import funcad as fad
        >>> float(fad.grad(lambda x: x * fad.stop_gradient(x))(3.0))
        3.0
    """
    return stop_gradient_p(x)


public["stop_gradient"] = stop_gradient
