"""The remaining math ufuncs (and sinc, i0, round, fix), with their derivatives.

Each is a primitive built with the family helpers (JVP, VJP and batching in
one line) or a short composite of primitives.
"""

from __future__ import annotations

import numpy as np

from ._base import (at_kinks, Primitive, batch_elementwise, binary, defjvp, defvjp, dtype_of, export,
                    implements, is_traced, nondiff_elementwise, shape_of, unary, unbroadcast)
from ..extend import def_linear
from ._complex import imag_p, real_p
from ._elementwise import (absolute_p, divide_p, equal_p, floor_divide_p, less_p, multiply_p, negative_p,
                           remainder_p, sign_p, sin_p, subtract_p, trunc_p, where)

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
def_linear(positive_p)
# fabs'(0) = 0, as abs
fabs_p = unary("fabs", np.fabs, lambda ans, x: sign_p(x))


def _copysign_dx(ans, x, y):
    # copysign(x, y) = |x| s(y) with s(y) = +-1 from y's sign bit, so sign(ans) = s(y) and
    # the derivative is sign(x) * s(y); 0 at x = 0 (as abs)
    return multiply_p(sign_p(x), sign_p(ans))


copysign_p = binary("copysign", np.copysign, _copysign_dx, None, keep_ans=True)
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
defjvp(ldexp_p, lambda t, ans, x, n: ldexp_p(t, n), None)


def _ldexp_vjp(g, ans, x, n):
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
defvjp(i0_p, lambda g, ans, x: multiply_p(g, i1_p(x)))
batch_elementwise(i0_p)


def _i1_deriv(x):
    # I1'(x) = I0(x) - I1(x)/x, which is 1/2 at x = 0
    small = equal_p(x, 0.0)
    safe = where(small, 1.0, x)
    return where(small, 0.5, subtract_p(i0_p(x), divide_p(i1_p(safe), safe)))


defjvp(i1_p, lambda t, ans, x: multiply_p(t, _i1_deriv(x)))
defvjp(i1_p, lambda g, ans, x: multiply_p(g, _i1_deriv(x)))
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
# vector ufuncs: vecdot, matvec, vecmat
# ---------------------------------------------------------------------------


@implements(np.vecdot)
def vecdot(x1, x2, /, *, axis=-1, **kwargs):
    """Differentiable ``np.vecdot`` (conjugates ``x1``).

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.vecdot(fnp.ones((2, 3)), fnp.ones(3))
        array([3., 3.])
    """
    from ._complex import conj
    from ._reductions import sum
    if not is_traced(x1, x2):
        return np.vecdot(x1, x2, axis=axis)
    return sum(multiply_p(conj(x1), x2), axis=axis)


@implements(np.matvec)
def matvec(x1, x2, /, **kwargs):
    """Differentiable ``np.matvec``: matrix (..., m, n) times vector (..., n).

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.matvec(fnp.eye(2), fnp.array([1.0, 2.0]))
        array([1., 2.])
    """
    from ._products import matmul
    from ._shape import expand_dims
    if not is_traced(x1, x2):
        return np.matvec(x1, x2)
    return matmul(x1, expand_dims(x2, -1))[..., 0]


@implements(np.vecmat)
def vecmat(x1, x2, /, **kwargs):
    """Differentiable ``np.vecmat``: conj(vector) (..., m) times matrix (..., m, n).

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.vecmat(fnp.array([1.0, 2.0]), fnp.eye(2))
        array([1., 2.])
    """
    from ._complex import conj
    from ._products import matmul
    from ._shape import expand_dims
    if not is_traced(x1, x2):
        return np.vecmat(x1, x2)
    return matmul(expand_dims(conj(x1), -2), x2)[..., 0, :]

