"""Complex numbers: real, imag, conj (linear), and the complex-aware abs, sign and angle.

The convention is JAX's: a VJP is the transpose of the JVP under the bilinear
pairing ``real(sum(a * b))``, with no conjugation. Holomorphic functions (exp,
log, sqrt, sin, ...) therefore need nothing special: their rules ``t * f'(z)``
and ``g * f'(z)`` already are each other's transpose. Functions that are not
holomorphic (real, imag, conj, abs, angle) have the rules below. A real output
of a complex input keeps only the real part of its cotangent. With this
convention ``grad`` of a real function of ``z`` returns the *conjugate* of the
steepest-ascent direction: ``grad(lambda z: abs(z) ** 2)(z) == 2 * conj(z)``.
"""

from __future__ import annotations

import numpy as np

from ..extend import def_linear
from ._base import Primitive, batch_elementwise, defjvp, defvjp, dtype_of, export, is_traced
from ._elementwise import absolute_p, arctan2_p, equal_p, sign_p, where


def _is_complex(x) -> bool:
    return np.issubdtype(dtype_of(x), np.complexfloating)


def _real_part(g):
    return real_p(g) if _is_complex(g) else g


real_p = Primitive("real", np.real)
defjvp(real_p, lambda t, ans, x: real_p(t))
defvjp(real_p, lambda g, ans, x: _real_part(g) + 0j, keep=False)
batch_elementwise(real_p)

imag_p = Primitive("imag", np.imag)
defjvp(imag_p, lambda t, ans, x: imag_p(t))
defvjp(imag_p, lambda g, ans, x: _real_part(g) * (-1j), keep=False)
batch_elementwise(imag_p)

conj_p = Primitive("conjugate", np.conjugate)
for _p in (real_p, imag_p, conj_p):
    def_linear(_p)
defjvp(conj_p, lambda t, ans, x: conj_p(t))
defvjp(conj_p, lambda g, ans, x: conj_p(g), keep=False)
batch_elementwise(conj_p)


def real(val):
    """Differentiable ``np.real``.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.real(fnp.array([1 + 2j]))
        array([1.])
    """
    if not is_traced(val):
        return np.real(val)
    if not _is_complex(val):
        return val
    return real_p(val)


def imag(val):
    """Differentiable ``np.imag``.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.imag(fnp.array([1 + 2j]))
        array([2.])
    """
    if not is_traced(val):
        return np.imag(val)
    return imag_p(val)


def conj(x):
    """Differentiable ``np.conjugate``.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.conj(fnp.array([1 + 2j]))
        array([1.-2.j])
    """
    if not is_traced(x) or not _is_complex(x):
        return x if is_traced(x) else np.conjugate(x)
    return conj_p(x)


export(real, "real", np.real)
export(imag, "imag", np.imag)
export(conj, "conj", np.conjugate)
export(conj, "conjugate")

# ---------------------------------------------------------------------------
# |z|: d|z| = real(conj(z) dz) / |z|; the VJP is g conj(z) / |z|. At z = 0 we take the
# zero subgradient, as abs'(0) = 0 for reals.
# ---------------------------------------------------------------------------


def _unit(x, ans):
    """conj(z) / |z|, and 0 where z = 0."""
    zero = equal_p(ans, 0)
    return where(zero, 0.0, conj(x) / where(zero, 1.0, ans))


abs_complex_p = Primitive("abs_complex", np.absolute)
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
    if _is_complex(x):
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
    if not _is_complex(x):
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
