"""Complex numbers: real, imag, conj (linear) and real_if_close. The complex-aware abs, sign
and angle are in _elementwise.py.

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

from ..extend import to_numpy
from ..extend import deflazy
from ..extend import def_linear, defsparse, full_lower, sparse_rules
from ._base import (Primitive, batch_elementwise, defjvp, defvjp, export, implements,
                    is_complex, is_traced)


def _real_part(g):
    return real_p(g) if is_complex(g) else g


real_p = Primitive("real", np.real)
deflazy(real_p)
defsparse(real_p, sparse_rules.unary(np.real))
defjvp(real_p, lambda t, ans, x: real_p(t))
defvjp(real_p, lambda g, _ans, x: _real_part(g) + 0j, keep=False)
batch_elementwise(real_p)

imag_p = Primitive("imag", np.imag)
deflazy(imag_p)
defsparse(imag_p, sparse_rules.unary(np.imag))
defjvp(imag_p, lambda t, ans, x: imag_p(t))
defvjp(imag_p, lambda g, _ans, x: _real_part(g) * (-1j), keep=False)
batch_elementwise(imag_p)

conj_p = Primitive("conjugate", np.conjugate)
deflazy(conj_p)
defsparse(conj_p, sparse_rules.unary(np.conjugate))
for _p in (real_p, imag_p, conj_p):
    def_linear(_p)
defjvp(conj_p, lambda t, ans, x: conj_p(t))
defvjp(conj_p, lambda g, _ans, x: conj_p(g), keep=False)
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
    if not is_complex(val):
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
    if not is_traced(x) or not is_complex(x):
        return x if is_traced(x) else np.conjugate(x)
    return conj_p(x)


export(real, "real", np.real)
export(imag, "imag", np.imag)
export(conj, "conj", np.conjugate)
export(conj, "conjugate")


@implements(np.real_if_close)
def real_if_close(a, tol=100):
    """``np.real_if_close`` on traced values (the test is made on values).

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.real_if_close(fnp.array([1.0 + 1e-20j]))
        array([1.])
    """
    if not is_traced(a):
        return np.real_if_close(a, tol)
    if not is_complex(a):
        return a
    v = to_numpy(full_lower(a))
    t = tol * np.finfo(v.dtype).eps if tol > 1 else tol
    return real(a) if np.all(np.abs(v.imag) < t) else a
