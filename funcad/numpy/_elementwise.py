"""Elementwise primitives: arithmetic, math ufuncs, comparisons, where.

Each primitive is one line: its NumPy impl and its elementwise derivative,
which the family helpers turn into a JVP rule, a VJP rule and a batching rule.
Derivatives are written in funcad ops, so they differentiate again.
"""

from __future__ import annotations

import math

import numpy as np

from ..extend import deflazy, is_foreign
from ..extend import (def_linear, defsparse, defsparsity, deftaylor, match_shape, ops,
                      primal_values, sparse_rules, sparsity_rules, taylor_fallback)
from ._base import (Primitive, at_kinks, batch_elementwise, binary, defjvp, defjvp_full, defvjp,
                    dtype_of, export, implements, is_complex, is_traced, nondiff_elementwise,
                    public, shape_of, unary, unbroadcast)
from ._complex import conj, imag, imag_p, real, real_p, _real_part
from ._series import (conv, exp_series, fit, full, log_series, ode_series, power_series,
                      quotient_series, sin_cos_series, sinh_cosh_series, sqrt_series)

_LN2 = float(np.log(2.0))
_LN10 = float(np.log(10.0))


def _taylor_unary(series_fn):
    """A Taylor rule from ``series_fn(x, ans) -> [y0, ..., yK]`` (x: the operand's full series)."""
    def rule(primals, series, ans, **params):
        return fit(series_fn(full(primals[0], series[0], len(series[0])), ans)[1:], ans)
    return rule


def _taylor_binary(series_fn):
    """A Taylor rule from ``series_fn(a, b, ans) -> [y0, ..., yK]``."""
    def rule(primals, series, ans, **params):
        K = len(next(s for s in series if s is not None))
        a, b = (full(p, s, K) for p, s in zip(primals, series))
        return fit(series_fn(a, b, ans)[1:], ans)
    return rule


def _neg(c):
    return None if c is None else -c


def _sum_series(sign):
    def series_fn(a, b, ans):
        out = [ans]
        for ak, bk in zip(a[1:], b[1:]):
            if bk is None:
                out.append(ak)
            elif ak is None:
                out.append(bk if sign > 0 else -bk)
            else:
                out.append(ak + bk if sign > 0 else ak - bk)
        return out
    return series_fn

# ---------------------------------------------------------------------------
# linear arithmetic: rules need shapes only
# ---------------------------------------------------------------------------

negative_p = Primitive("negative", np.negative)
deflazy(negative_p)
defsparse(negative_p, sparse_rules.unary(np.negative))
defjvp(negative_p, lambda t, ans, x: negative_p(t))
defvjp(negative_p, lambda g, _ans, x: negative_p(g), keep=False)
batch_elementwise(negative_p)
def_linear(negative_p)
export(negative_p, "negative", np.negative)

add_p = Primitive("add", np.add)
deflazy(add_p)
defsparse(add_p, sparse_rules.add(1.0))
defjvp(add_p, lambda t, ans, x, y: t, lambda t, ans, x, y: t)
defvjp(add_p, lambda g, _ans, x, y: unbroadcast(g, shape_of(x)),
       lambda g, _ans, x, y: unbroadcast(g, shape_of(y)), keep=False)
batch_elementwise(add_p)
def_linear(add_p)
deftaylor(add_p, _taylor_binary(_sum_series(+1)))
export(add_p, "add", np.add)

subtract_p = Primitive("subtract", np.subtract)
deflazy(subtract_p)
defsparse(subtract_p, sparse_rules.add(-1.0))


def _subtract_jvp(primals, tangents, ans):
    tx, ty = tangents      # one subtract of the tangents, not tx + negative(ty)
    out = tx if ty is None else negative_p(ty) if tx is None else subtract_p(tx, ty)
    return match_shape(out, ans)


defjvp_full(subtract_p, _subtract_jvp)
defvjp(subtract_p, lambda g, _ans, x, y: unbroadcast(g, shape_of(x)),
       lambda g, _ans, x, y: unbroadcast(negative_p(g), shape_of(y)), keep=False)
batch_elementwise(subtract_p)
def_linear(subtract_p)
deftaylor(subtract_p, _taylor_binary(_sum_series(-1)))
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


multiply_p = binary("multiply", np.multiply, lambda ans, x, y: y, lambda ans, x, y: x,
                    needs=((1,), (0,)))
divide_p = binary("divide", np.divide, lambda ans, x, y: _recip(y), lambda ans, x, y: -ans / y,
                keep=(False, True), keep_ans=True)
export(divide_p, "true_divide")
def_linear(multiply_p, joint=False)   # in either factor alone
defsparse(multiply_p, sparse_rules.scale(np.multiply))
defsparse(divide_p, sparse_rules.scale(np.divide))
def_linear(divide_p, (0,))               # in the numerator
deftaylor(multiply_p, _taylor_binary(lambda a, b, ans: [ans] + [conv(a, b, k)
                                                                  for k in range(1, len(a))]))
deftaylor(divide_p, _taylor_binary(lambda a, b, ans: quotient_series(a, b, ans)))


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


power_p = binary("power", np.power, _power_dx, lambda ans, x, y: ans * _safe_log(x),
                 keep_ans=True, needs=((0, 1), (0,)))


def _power_vjp_x(g, ans, x, y):
    # a constant Python exponent: scale g first, so a plain g costs no traced op
    if type(y) in (int, float):
        if y == 0:
            return None                # x ** 0 is constant
        return unbroadcast((g * y) * (x if y == 2 else power_p(x, y - 1)), shape_of(x))
    return unbroadcast(g * _power_dx(ans, x, y), shape_of(x))


defvjp(power_p, _power_vjp_x, power_p.rules.vjp.per_operand[1], keep=True, keep_ans=True,
       needs=power_p.rules.vjp.needs)


def _power_taylor(primals, series, ans):
    x, p = primals
    x0 = primal_values(x)
    if (series[1] is None and type(p) in (int, float) and not is_foreign(x0)
            and np.all(x0 != 0)):
        return fit(power_series(full(x, series[0], len(series[0])), p, ans)[1:], ans)
    # a traced exponent, or a zero base (where x ** 2 has a finite series the recurrence
    # divides by x0), or a Dask/CuPy base (looking for zeros would compute it): the generic
    # rule from the JVP
    return taylor_fallback(power_p, primals, series, ans, {})


deftaylor(power_p, _power_taylor)
float_power_p = binary("float_power", np.float_power,
                     lambda ans, x, y: where(equal_p(y, 0), 0.0, y * float_power_p(x, y - 1)),
                     lambda ans, x, y: ans * _safe_log(x), keep_ans=True,
                     needs=((0, 1), (0,)))

square_p = unary("square", np.square, lambda ans, x: 2 * x)
sqrt_p = unary("sqrt", np.sqrt, lambda ans, x: 0.5 / ans, keep_x=False, keep_ans=True)
cbrt_p = unary("cbrt", np.cbrt, lambda ans, x: 1 / (3 * ans * ans), keep_x=False, keep_ans=True)
reciprocal_p = unary("reciprocal", np.reciprocal, lambda ans, x: -(ans * ans), keep_x=False,
                   keep_ans=True)
deftaylor(square_p, _taylor_unary(lambda x, ans: [ans] + [conv(x, x, k)
                                                         for k in range(1, len(x))]))
deftaylor(sqrt_p, _taylor_unary(sqrt_series))
deftaylor(reciprocal_p, _taylor_unary(
    lambda x, ans: quotient_series([1.0] + [None] * (len(x) - 1), x, ans)))

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
deftaylor(exp_p, _taylor_unary(exp_series))
deftaylor(expm1_p, _taylor_unary(lambda x, ans: exp_series(x, ans + 1.0)))
deftaylor(exp2_p, _taylor_unary(lambda x, ans: exp_series([c if c is None else c * _LN2
                                                           for c in x], ans)))
deftaylor(log_p, _taylor_unary(log_series))
deftaylor(log1p_p, _taylor_unary(lambda x, ans: log_series([x[0] + 1.0] + x[1:], ans)))
deftaylor(log2_p, _taylor_unary(lambda x, ans: [c if c is None else c / _LN2
                                                for c in log_series(x, ans * _LN2)]))
deftaylor(log10_p, _taylor_unary(lambda x, ans: [c if c is None else c / _LN10
                                                 for c in log_series(x, ans * _LN10)]))
logaddexp_p = binary("logaddexp", np.logaddexp, lambda ans, x, y: exp_p(x - ans),
                   lambda ans, x, y: exp_p(y - ans), keep_ans=True, needs=((0,), (1,)))
logaddexp2_p = binary("logaddexp2", np.logaddexp2, lambda ans, x, y: exp2_p(x - ans),
                    lambda ans, x, y: exp2_p(y - ans), keep_ans=True,
                    needs=((0,), (1,)))

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
deftaylor(sin_p, _taylor_unary(lambda x, ans: sin_cos_series(x, ans, cos_p(x[0]))[0]))
deftaylor(cos_p, _taylor_unary(lambda x, ans: sin_cos_series(x, sin_p(x[0]), ans)[1]))
deftaylor(sinh_p, _taylor_unary(lambda x, ans: sinh_cosh_series(x, ans, cosh_p(x[0]))[0]))
deftaylor(cosh_p, _taylor_unary(lambda x, ans: sinh_cosh_series(x, sinh_p(x[0]), ans)[1]))
deftaylor(tanh_p, _taylor_unary(lambda x, ans: ode_series(
    x, ans, lambda y, m: 1.0 - y[0] * y[0] if m == 0 else _neg(conv(y, y, m)))))


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
               keep_ans=True, needs=((0,), (1,)))

# ---------------------------------------------------------------------------
# piecewise: the subgradient at kinks is chosen on purpose
# ---------------------------------------------------------------------------

# abs'(0) = 0 (sign(0) = 0): the minimum-norm subgradient, as JAX and autograd. absolute_p and
# sign_p are the real case of the public abs/absolute/sign, registered once in _complex.py.
absolute_p = Primitive("absolute", np.absolute)
deflazy(absolute_p)
defjvp(absolute_p, lambda t, ans, x: t * sign_p(x))
defvjp(absolute_p, lambda g, _ans, x: g * sign_p(x))
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
                   lambda ans, x, y: negative_p(floor_p(divide_p(x, y))),
                     needs=((), (0, 1)))
export(remainder_p, "mod")
fmod_p = binary("fmod", np.fmod, lambda ans, x, y: 1.0,
              lambda ans, x, y: negative_p(trunc_p(divide_p(x, y))),
                needs=((), (0, 1)))
for _name, _q in (("remainder", "floor"), ("mod", "floor"), ("fmod", "trunc")):
    at_kinks(_name, f"Derivative: 1 in x1 and -{_q}(x1 / x2) in x2, the one-sided value at "
                    "the jumps (where x1 / x2 is an integer).")

# ---------------------------------------------------------------------------
# zero-derivative elementwise functions (piecewise constant or boolean)
# ---------------------------------------------------------------------------

sign_p = Primitive("sign", np.sign, nondiff=True)     # public sign: see absolute_p
deflazy(sign_p)
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
deflazy(_where)
defsparse(_where, sparse_rules.where)
defjvp(_where, None, lambda t, ans, c, x, y: _where(c, t, 0),
       lambda t, ans, c, x, y: _where(c, 0, t))
defvjp(_where, None, lambda g, _ans, c, x, y: unbroadcast(_where(c, g, 0), shape_of(x)),
       lambda g, _ans, c, x, y: unbroadcast(_where(c, 0, g), shape_of(y)),
       keep=(True, False, False))
batch_elementwise(_where)
def_linear(_where, (1, 2))
defsparsity(_where, sparsity_rules.select)     # a constant condition picks one branch's set


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
        return ops.nonzero(condition)      # _indexing.py (above this family) defines it
    if x is None or y is None:
        raise ValueError("where takes one argument or three, not two")
    return _where(condition, x, y)


export(where, "where", np.where)


# ---------------------------------------------------------------------------
# stop_gradient: identity with zero derivative at every level
# ---------------------------------------------------------------------------

stop_gradient_p = Primitive("stop_gradient", lambda x: x, nondiff=True)
deflazy(stop_gradient_p)
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


_D2R = float(np.pi / 180.0)

# ---------------------------------------------------------------------------
# linear and sign-like
# ---------------------------------------------------------------------------

deg2rad_p = unary("deg2rad", np.deg2rad, lambda ans, x: _D2R, keep_x=False)
rad2deg_p = unary("rad2deg", np.rad2deg, lambda ans, x: 1.0 / _D2R, keep_x=False)
def_linear(deg2rad_p)
def_linear(rad2deg_p)
export(deg2rad_p, "radians", np.radians)
export(rad2deg_p, "degrees", np.degrees)
positive_p = unary("positive", np.positive, lambda ans, x: 1.0, keep_x=False)
defsparse(positive_p, sparse_rules.unary(np.positive))
def_linear(positive_p)
# fabs'(0) = 0, as abs
fabs_p = unary("fabs", np.fabs, lambda ans, x: sign_p(x))


def _copysign_dx(ans, x, y):
    # copysign(x, y) = |x| s(y) with s(y) = +-1 from y's sign bit, so sign(ans) = s(y) and
    # the derivative is sign(x) * s(y); 0 at x = 0 (as abs)
    return multiply_p(sign_p(x), sign_p(ans))


copysign_p = binary("copysign", np.copysign, _copysign_dx, None, keep_ans=True,
                    needs=((0,), ()))
at_kinks("fabs", "Derivative: sign(x); 0 at x = 0 (the minimum-norm subgradient, as abs).")
at_kinks("copysign", "Derivative: sign(x1) * sign(copysign(1, x2)) in x1, 0 at x1 = 0 "
                     "(as abs); 0 in x2.")
# nextafter(x, y) is x moved by one ulp: derivative 1 in x, 0 in y
nextafter_p = binary("nextafter", np.nextafter, lambda ans, x, y: 1.0, None, keep=False)
heaviside_p = nondiff_elementwise("heaviside")
spacing_p = nondiff_elementwise("spacing")

# ldexp(x, n) = x * 2**n is linear in x, so both rules are ldexp itself (exact, and in
# x's dtype: 2**n would be a float64 array); the integer exponent has no derivative
ldexp_p = Primitive("ldexp", np.ldexp)
deflazy(ldexp_p)
defjvp(ldexp_p, lambda t, ans, x, n: ldexp_p(t, n), None)


def _ldexp_vjp(g, _ans, x, n):
    # a complex cotangent reaches a real x when the value flows into complex arithmetic
    # further on (its real part is kept at the end); np.ldexp takes no complex numbers
    if dtype_of(g).kind == "c":
        return unbroadcast(ldexp_p(real_p(g), n) + 1j * ldexp_p(imag_p(g), n), shape_of(x))
    return unbroadcast(ldexp_p(g, n), shape_of(x))


defvjp(ldexp_p, _ldexp_vjp, None, keep=(False, True))
def_linear(ldexp_p, (0,))
batch_elementwise(ldexp_p)
export(ldexp_p, "ldexp", np.ldexp)

# ---------------------------------------------------------------------------
# multiple results: frexp, modf, divmod
# ---------------------------------------------------------------------------

frexp_exponent = Primitive("frexp_exponent", lambda x: np.frexp(x)[1], nondiff=True)
deflazy(frexp_exponent)
batch_elementwise(frexp_exponent)


@implements(np.frexp)
def frexp(x):
    """Differentiable ``np.frexp``: the mantissa ``x / 2**e`` has derivative ``2**-e``.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.frexp(fnp.array([8.0]))
        (array([0.5]), array([4], dtype=int32))
    """
    if not is_traced(x):
        return np.frexp(x)
    e = frexp_exponent(x)
    return ldexp_p(x, negative_p(e)), e


@implements(np.modf)
def modf(x):
    """Differentiable ``np.modf``: the fractional part has derivative 1, the integral 0.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.modf(fnp.array([2.5]))
        (array([0.5]), array([2.]))
    """
    if not is_traced(x):
        return np.modf(x)
    t = trunc_p(x)
    return subtract_p(x, t), t


@implements(np.divmod)
def divmod(x1, x2):
    """Differentiable ``np.divmod``: (floor_divide, remainder).

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.divmod(fnp.array([7.0]), 2.0)
        (array([3.]), array([1.]))
    """
    if not is_traced(x1, x2):
        return np.divmod(x1, x2)
    return floor_divide_p(x1, x2), remainder_p(x1, x2)


# ---------------------------------------------------------------------------
# zero-derivative: rounding and integer/bit ufuncs
# ---------------------------------------------------------------------------

round_p = Primitive("round", lambda x, *, decimals: np.round(x, decimals), nondiff=True)
deflazy(round_p)
batch_elementwise(round_p)


@implements(np.round, np.around)
def round(a, decimals=0, out=None):
    """``np.round`` on traced values: piecewise constant, zero derivative.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.round(fnp.array([1.26]), 1)
        array([1.3])
    """
    if not is_traced(a):
        return np.round(a, decimals)
    return round_p(a, decimals=int(decimals))


export(round, "around")
fix = export(lambda x, out=None: trunc_p(x) if is_traced(x) else np.fix(x), "fix", np.fix)
fix.__doc__ = ("``np.fix`` (round toward zero) on traced values: zero derivative.\n\n"
               "    Example:\n        >>> import funcad.numpy as fnp\n"
               "        >>> fnp.fix(fnp.array([-1.5]))\n        array([-1.])\n    ")

for _name in ["bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_count", "invert",
              "left_shift", "right_shift", "gcd", "lcm", "isnat"]:
    globals()[_name] = nondiff_elementwise(_name)
export(globals()["invert"], "bitwise_not")
_ones_like_p = nondiff_elementwise("_ones_like", lambda x: np.ones_like(x),
                                   np_func=np._core.umath._ones_like)
deflazy(_ones_like_p)

# ---------------------------------------------------------------------------
# sinc and i0
# ---------------------------------------------------------------------------


@implements(np.sinc)
def sinc(x):
    """Differentiable ``np.sinc`` = sin(pi x) / (pi x), with all derivatives right at 0.

    Near 0 a Taylor polynomial replaces the quotient, so the derivatives of
    every order are the true ones there (sinc'(0) = 0, sinc''(0) = -pi**2/3).

    Example:
        >>> import funcad as fad, funcad.numpy as fnp
        >>> print(f"{float(fad.grad(fad.grad(fnp.sinc))(0.0)):.6f}")
        -3.289868
    """
    if not is_traced(x):
        return np.sinc(x)
    small = less_p(absolute_p(x), 1e-3)
    safe = where(small, 1.0, x)
    px = multiply_p(safe, np.pi)
    z = multiply_p(multiply_p(x, x), np.pi ** 2)
    taylor = 1.0 - z / 6.0 + multiply_p(z, z) / 120.0 - multiply_p(multiply_p(z, z), z) / 5040.0
    return where(small, taylor, divide_p(sin_p(px), px))


def _i1_impl(x):
    # I1(x) = sum_k (x/2)^(2k+1) / (k! (k+1)!): all terms share x's sign, no cancellation
    x = np.asarray(x)
    x = x if x.dtype.kind == "f" else x.astype(np.float64)   # float32 in, float32 out
    half = x / 2.0
    term = half.copy()
    total = term.copy()
    q = half * half
    k = 0
    while np.any(np.abs(term) > 1e-17 * np.abs(total)) and k < 1000:
        term = term * q / ((k + 1) * (k + 2))
        total = total + term
        k += 1
    return total


i0_p = Primitive("i0", np.i0)
i1_p = Primitive("i1", _i1_impl)
defjvp(i0_p, lambda t, ans, x: multiply_p(t, i1_p(x)))
defvjp(i0_p, lambda g, _ans, x: multiply_p(g, i1_p(x)))
batch_elementwise(i0_p)


def _i1_deriv(x):
    # I1'(x) = I0(x) - I1(x)/x, which is 1/2 at x = 0
    small = equal_p(x, 0.0)
    safe = where(small, 1.0, x)
    return where(small, 0.5, subtract_p(i0_p(x), divide_p(i1_p(safe), safe)))


defjvp(i1_p, lambda t, ans, x: multiply_p(t, _i1_deriv(x)))
defvjp(i1_p, lambda g, _ans, x: multiply_p(g, _i1_deriv(x)))
batch_elementwise(i1_p)


@implements(np.i0)
def i0(x):
    """Differentiable ``np.i0`` (modified Bessel function of order 0); i0' = i1.

    Example:
        >>> import funcad as fad, funcad.numpy as fnp
        >>> print(f"{float(fad.grad(fnp.i0)(1.0)):.6f}")
        0.565159
    """
    if not is_traced(x):
        return np.i0(x)
    return i0_p(x)


# ---------------------------------------------------------------------------
# |z|: d|z| = real(conj(z) dz) / |z|; the VJP is g conj(z) / |z|. At z = 0 we take the
# zero subgradient, as abs'(0) = 0 for reals.
# ---------------------------------------------------------------------------


def _unit(x, ans):
    """conj(z) / |z|, and 0 where z = 0."""
    zero = equal_p(ans, 0)
    return where(zero, 0.0, conj(x) / where(zero, 1.0, ans))


abs_complex_p = Primitive("abs_complex", np.absolute)
deflazy(abs_complex_p)
defjvp(abs_complex_p, lambda t, ans, x: real_p(_unit(x, ans) * t))
defvjp(abs_complex_p, lambda g, ans, x: _real_part(g) * _unit(x, ans), keep_ans=True)
batch_elementwise(abs_complex_p)


def absolute(x, /, out=None, **kwargs):
    """Differentiable ``np.abs``, for real and complex inputs (``abs'(0)`` is taken as 0).

    Example:
        >>> import funcad as fad
        >>> complex(fad.grad(lambda z: abs(z) ** 2)(1 + 2j))   # conj of the ascent direction
        (2-4j)
    """
    if out is not None:
        raise TypeError("abs(out=...) cannot hold a traced value; drop out=")
    if not is_traced(x):
        return np.absolute(x, **kwargs)
    if is_complex(x):
        return abs_complex_p(x)
    return absolute_p(x)


def sign(x, /, out=None, **kwargs):
    """``np.sign``: zero derivative for reals; ``z / |z|`` (differentiable) for complex z.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.sign(fnp.array([-2.0, 0.0, 3.0]))
        array([-1.,  0.,  1.])
    """
    if out is not None:
        raise TypeError("sign(out=...) cannot hold a traced value; drop out=")
    if not is_traced(x):
        return np.sign(x, **kwargs)
    if not is_complex(x):
        return sign_p(x)
    a = absolute(x)
    zero = equal_p(a, 0)
    return where(zero, 0j, x / where(zero, 1.0, a))


def angle(z, deg=False):
    """Differentiable ``np.angle``: ``arctan2(imag z, real z)`` (constant for real inputs).

    Example:
        >>> import funcad as fad, funcad.numpy as fnp
        >>> complex(fad.grad(fnp.angle)(1j))   # d angle = imag(dz / z); the VJP of 1 is -1j / z
        (-1+0j)
    """
    if not is_traced(z):
        return np.angle(z, deg=deg)
    out = arctan2_p(imag(z), real(z))
    return out * (180.0 / np.pi) if deg else out


export(absolute, "absolute", np.absolute)
export(absolute, "abs")
export(sign, "sign", np.sign)
export(angle, "angle", np.angle)


# ---------------------------------------------------------------------------
# clip and nan_to_num: the derivative flows where the value is kept
# ---------------------------------------------------------------------------


@implements(np.clip, np._core.umath.clip)
def clip(a, a_min=np._NoValue, a_max=np._NoValue, out=None, *, min=np._NoValue,
         max=np._NoValue, **kwargs):
    """Differentiable ``np.clip``.

    Subgradient: the derivative in ``a`` is 1 where ``a_min <= a <= a_max``
    (the bounds themselves count as inside) and 0 where ``a`` is clipped; the
    bound that is returned gets derivative 1 where ``a`` is strictly beyond it.

    Example:
        >>> import funcad as fad, funcad.numpy as fnp
        >>> fad.grad(lambda x: fnp.clip(x, 0.0, 1.0).sum())(fnp.array([-1.0, 0.0, 0.5, 2.0]))
        array([0., 1., 1., 0.])
    """
    lo = a_min if a_min is not np._NoValue else (None if min is np._NoValue else min)
    hi = a_max if a_max is not np._NoValue else (None if max is np._NoValue else max)
    if not is_traced(a, lo, hi):
        return np.clip(a, lo, hi)
    out = a
    if lo is not None:
        out = _where(less_p(out, lo), lo, out)
    if hi is not None:
        out = _where(greater_p(out, hi), hi, out)
    shp = np.broadcast_shapes(shape_of(a), *[shape_of(b) for b in (lo, hi) if b is not None])
    return ops.broadcast_to(out, shp)       # _shape.py is above this family


@implements(np.nan_to_num)
def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """Differentiable ``np.nan_to_num``: derivative 1 where ``x`` is finite, 0 elsewhere.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.nan_to_num(fnp.array([1.0, fnp.nan, fnp.inf]))[:2]
        array([1., 0.])
    """
    if not is_traced(x, nan, posinf, neginf):
        return np.nan_to_num(x, copy=copy, nan=nan, posinf=posinf, neginf=neginf)
    if not np.issubdtype(dtype_of(x), np.inexact):
        return x
    if is_complex(x):
        raise NotImplementedError("nan_to_num: complex inputs are not supported on traced "
                                  "values; apply it to x.real and x.imag")
    fi = np.finfo(dtype_of(x))
    posinf = fi.max if posinf is None else posinf
    neginf = fi.min if neginf is None else neginf
    rep = _where(isnan_p(x), nan,
                 _where(logical_and_p(isinf_p(x), greater_p(x, 0)), posinf, neginf))
    return _where(isfinite_p(x), x, rep)
