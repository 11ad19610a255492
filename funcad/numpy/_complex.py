"""Complex parts: real, imag, conj (linear primitives)."""

from __future__ import annotations

import numpy as np

from ._base import Primitive, batch_elementwise, defjvp, defvjp, dtype_of, export, is_traced


def _complex_like(g, x):
    # the cotangent of a real part goes back into a complex input as a real-valued complex
    return g if not np.issubdtype(dtype_of(x), np.complexfloating) else g + 0j


real_p = Primitive("real", np.real)
defjvp(real_p, lambda t, ans, x: real_p(t))
defvjp(real_p, lambda g, ans, x: _complex_like(g, x), keep=False)
batch_elementwise(real_p)

imag_p = Primitive("imag", np.imag)
defjvp(imag_p, lambda t, ans, x: imag_p(t))
defvjp(imag_p, lambda g, ans, x: g * (-1j), keep=False)
batch_elementwise(imag_p)

conj_p = Primitive("conjugate", np.conjugate)
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
    if not np.issubdtype(dtype_of(val), np.complexfloating):
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
    if not is_traced(x) or not np.issubdtype(dtype_of(x), np.complexfloating):
        return x if is_traced(x) else np.conjugate(x)
    return conj_p(x)


export(real, "real", np.real)
export(imag, "imag", np.imag)
export(conj, "conj", np.conjugate)
export(conj, "conjugate")
