"""Elementwise primitives: arithmetic, math ufuncs, comparisons, where.

Each primitive is one line: its NumPy impl and its elementwise derivative,
which the family helpers turn into a JVP rule, a VJP rule and a batching rule.
Derivatives are written in funcad ops, so they differentiate again.
"""

from __future__ import annotations

import math

import numpy as np

from ..extend import def_linear, match_shape, vjp_needs, vjp_rules
from ._base import (Primitive, batch_elementwise, binary, defjvp, defjvp_full, defvjp, export,
                    nondiff_elementwise, shape_of, unary, unbroadcast)

_LN2 = float(np.log(2.0))
_LN10 = float(np.log(10.0))

# ---------------------------------------------------------------------------
# linear arithmetic: rules need shapes only
# ---------------------------------------------------------------------------

negative = Primitive("negative", np.negative)
defjvp(negative, lambda t, ans, x: negative(t))
defvjp(negative, lambda g, ans, x: negative(g), keep=False)
batch_elementwise(negative)
def_linear(negative)
export(negative, "negative", np.negative)

add = Primitive("add", np.add)
defjvp(add, lambda t, ans, x, y: t, lambda t, ans, x, y: t)
defvjp(add, lambda g, ans, x, y: unbroadcast(g, shape_of(x)),
       lambda g, ans, x, y: unbroadcast(g, shape_of(y)), keep=False)
batch_elementwise(add)
def_linear(add)
export(add, "add", np.add)

subtract = Primitive("subtract", np.subtract)


def _subtract_jvp(primals, tangents, ans):
    tx, ty = tangents      # one subtract of the tangents, not tx + negative(ty)
    out = tx if ty is None else negative(ty) if tx is None else subtract(tx, ty)
    return match_shape(out, ans)


defjvp_full(subtract, _subtract_jvp)
defvjp(subtract, lambda g, ans, x, y: unbroadcast(g, shape_of(x)),
       lambda g, ans, x, y: unbroadcast(negative(g), shape_of(y)), keep=False)
batch_elementwise(subtract)
def_linear(subtract)
export(subtract, "subtract", np.subtract)

# ---------------------------------------------------------------------------
# products and quotients
# ---------------------------------------------------------------------------

def _recip(y):
    # 1 / y; a Python zero gives NumPy's signed inf (not ZeroDivisionError), and a Python
    # number stays a Python float (weakly typed: float32 gradients stay float32)
    if type(y) in (int, float) and y == 0:
        return math.copysign(math.inf, y)
    return 1 / y


multiply = binary("multiply", np.multiply, lambda ans, x, y: y, lambda ans, x, y: x)
divide = binary("divide", np.divide, lambda ans, x, y: _recip(y), lambda ans, x, y: -ans / y,
                keep=(False, True), keep_ans=True)
export(divide, "true_divide")
def_linear(multiply, joint=False)   # in either factor alone
def_linear(divide, (0,))               # in the numerator


def _safe_log(x):
    # log(x) where x != 0, else 0: d(x**y)/dy = x**y log x is 0 at x = 0 for y > 0
    if type(x) in (int, float):    # a Python base stays a (weak) Python float: 2.0 ** y in
        return float(np.log(x)) if x != 0 else 0.0      # float32 has a float32 derivative
    return where(equal(x, 0), 0.0, log(where(equal(x, 0), 1.0, x)))


def _power_dx(ans, x, y):
    if type(y) in (int, float):
        if y == 2:
            return 2 * x               # x ** 2: no power(x, 1) in the derivative
        if y == 0:
            return 0.0 * x             # x ** 0 == 1 everywhere, 0 ** 0 included
        return y * power(x, y - 1)
    # y * x**(y-1) is 0 * inf at x = 0, y = 0; the derivative of x**0 is 0 there too
    return where(equal(y, 0), 0.0, y * power(x, y - 1))


power = binary("power", np.power, _power_dx, lambda ans, x, y: ans * _safe_log(x), keep_ans=True)


def _power_vjp_x(g, ans, x, y):
    # a constant Python exponent: scale g first, so a plain g costs no traced op
    if type(y) in (int, float):
        if y == 0:
            return None                # x ** 0 is constant
        return unbroadcast((g * y) * (x if y == 2 else power(x, y - 1)), shape_of(x))
    return unbroadcast(g * _power_dx(ans, x, y), shape_of(x))


defvjp(power, _power_vjp_x, vjp_rules[power][0][1], keep=True, keep_ans=True,
       needs=vjp_needs[power])
float_power = binary("float_power", np.float_power,
                     lambda ans, x, y: where(equal(y, 0), 0.0, y * float_power(x, y - 1)),
                     lambda ans, x, y: ans * _safe_log(x), keep_ans=True)

square = unary("square", np.square, lambda ans, x: 2 * x)
sqrt = unary("sqrt", np.sqrt, lambda ans, x: 0.5 / ans, keep_x=False, keep_ans=True)
cbrt = unary("cbrt", np.cbrt, lambda ans, x: 1 / (3 * ans * ans), keep_x=False, keep_ans=True)
reciprocal = unary("reciprocal", np.reciprocal, lambda ans, x: -(ans * ans), keep_x=False,
                   keep_ans=True)

# ---------------------------------------------------------------------------
# exponentials and logarithms
# ---------------------------------------------------------------------------

exp = unary("exp", np.exp, lambda ans, x: ans, keep_x=False, keep_ans=True)
exp2 = unary("exp2", np.exp2, lambda ans, x: ans * _LN2, keep_x=False, keep_ans=True)
expm1 = unary("expm1", np.expm1, lambda ans, x: ans + 1, keep_x=False, keep_ans=True)
log = unary("log", np.log, None, div=lambda ans, x: x)
log2 = unary("log2", np.log2, None, div=lambda ans, x: x * _LN2)
log10 = unary("log10", np.log10, None, div=lambda ans, x: x * _LN10)
log1p = unary("log1p", np.log1p, None, div=lambda ans, x: x + 1)
logaddexp = binary("logaddexp", np.logaddexp, lambda ans, x, y: exp(x - ans),
                   lambda ans, x, y: exp(y - ans), keep_ans=True)
logaddexp2 = binary("logaddexp2", np.logaddexp2, lambda ans, x, y: exp2(x - ans),
                    lambda ans, x, y: exp2(y - ans), keep_ans=True)

# ---------------------------------------------------------------------------
# trigonometric and hyperbolic
# ---------------------------------------------------------------------------

sin = unary("sin", np.sin, lambda ans, x: cos(x))
cos = unary("cos", np.cos, lambda ans, x: negative(sin(x)))
tan = unary("tan", np.tan, lambda ans, x: 1 + ans * ans, keep_x=False, keep_ans=True)
arcsin = unary("arcsin", np.arcsin, lambda ans, x: 1 / sqrt(1 - x * x))
arccos = unary("arccos", np.arccos, lambda ans, x: -1 / sqrt(1 - x * x))
arctan = unary("arctan", np.arctan, lambda ans, x: 1 / (1 + x * x))
sinh = unary("sinh", np.sinh, lambda ans, x: cosh(x))
cosh = unary("cosh", np.cosh, lambda ans, x: sinh(x))
tanh = unary("tanh", np.tanh, lambda ans, x: 1 - ans * ans, keep_x=False, keep_ans=True)


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


defvjp(tanh, _tanh_vjp, keep=(False,), keep_ans=True, needs=((),))
arcsinh = unary("arcsinh", np.arcsinh, lambda ans, x: 1 / sqrt(x * x + 1))
arccosh = unary("arccosh", np.arccosh, lambda ans, x: 1 / sqrt(x * x - 1))
arctanh = unary("arctanh", np.arctanh, lambda ans, x: 1 / (1 - x * x))
arctan2 = binary("arctan2", np.arctan2, lambda ans, y, x: x / (x * x + y * y),
                 lambda ans, y, x: -y / (x * x + y * y))
hypot = binary("hypot", np.hypot, lambda ans, x, y: x / ans, lambda ans, x, y: y / ans,
               keep_ans=True)

# ---------------------------------------------------------------------------
# piecewise: the subgradient at kinks is chosen on purpose
# ---------------------------------------------------------------------------

# abs'(0) = 0 (sign(0) = 0): the minimum-norm subgradient, as JAX and autograd.
absolute = unary("absolute", np.absolute, lambda ans, x: sign(x))
export(absolute, "abs")


def _half(ans):
    # 0.5 in the result's float dtype: with a Python 0.5 the weights would be float64 and
    # turn a float32 gradient into float64 from there on
    dt = getattr(ans, "dtype", None)
    return dt.type(0.5) if dt is not None and dt.kind == "f" else 0.5


def _tie_x(ans, x, y):
    # maximum/minimum/fmax/fmin: the selected argument gets 1, a tie splits 0.5/0.5
    return where(equal(x, y), _half(ans), equal(ans, x))


def _tie_y(ans, x, y):
    return where(equal(x, y), _half(ans), equal(ans, y))


maximum = binary("maximum", np.maximum, _tie_x, _tie_y, keep_ans=True)
minimum = binary("minimum", np.minimum, _tie_x, _tie_y, keep_ans=True)
fmax = binary("fmax", np.fmax, _tie_x, _tie_y, keep_ans=True)
fmin = binary("fmin", np.fmin, _tie_x, _tie_y, keep_ans=True)

# remainder = x - floor(x / y) * y; fmod = x - trunc(x / y) * y (away from the jumps)
remainder = binary("remainder", np.remainder, lambda ans, x, y: 1.0,
                   lambda ans, x, y: negative(floor(divide(x, y))))
export(remainder, "mod")
fmod = binary("fmod", np.fmod, lambda ans, x, y: 1.0,
              lambda ans, x, y: negative(trunc(divide(x, y))))

# ---------------------------------------------------------------------------
# zero-derivative elementwise functions (piecewise constant or boolean)
# ---------------------------------------------------------------------------

sign = nondiff_elementwise("sign")
floor = nondiff_elementwise("floor")
ceil = nondiff_elementwise("ceil")
trunc = nondiff_elementwise("trunc")
rint = nondiff_elementwise("rint")
floor_divide = nondiff_elementwise("floor_divide")
isnan = nondiff_elementwise("isnan")
isinf = nondiff_elementwise("isinf")
isfinite = nondiff_elementwise("isfinite")
signbit = nondiff_elementwise("signbit")
equal = nondiff_elementwise("equal")
not_equal = nondiff_elementwise("not_equal")
less = nondiff_elementwise("less")
less_equal = nondiff_elementwise("less_equal")
greater = nondiff_elementwise("greater")
greater_equal = nondiff_elementwise("greater_equal")
logical_and = nondiff_elementwise("logical_and")
logical_or = nondiff_elementwise("logical_or")
logical_xor = nondiff_elementwise("logical_xor")
logical_not = nondiff_elementwise("logical_not")

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

stop_gradient = Primitive("stop_gradient", lambda x: x, nondiff=True)
batch_elementwise(stop_gradient)
export(stop_gradient, "stop_gradient")
