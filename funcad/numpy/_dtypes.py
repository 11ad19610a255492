"""dtype conversion (astype: differentiable between inexact dtypes) and the dtype tests
the families share."""

from __future__ import annotations

import numpy as np

from ..extend import deflazy
from ..extend import as_array, def_linear, defsparse, sparse_rules
from ._base import (Primitive, batch_elementwise, defjvp, defvjp, dtype_of, export, implements,
                    is_traced)
from ._complex import real_p

# ---------------------------------------------------------------------------
# astype: between inexact dtypes it is differentiable; to integers or bools, not
# ---------------------------------------------------------------------------

convert_p = Primitive("convert", lambda x, *, dtype: as_array(x).astype(dtype))
deflazy(convert_p)
defsparse(convert_p, sparse_rules.convert)
defjvp(convert_p, lambda t, ans, x, *, dtype: convert_p(t, dtype=dtype))
def_linear(convert_p)


def _convert_vjp(g, _ans, x, *, dtype):
    to = dtype_of(x)
    if dtype_of(g).kind == "c" and to.kind != "c":
        # a real value's complex cotangent (complex arithmetic further on): its real part is
        # what counts, taken explicitly so that NumPy raises no ComplexWarning
        g = real_p(g)
    return convert_p(g, dtype=to)


defvjp(convert_p, _convert_vjp, keep=False)
batch_elementwise(convert_p)

convert_nondiff_p = Primitive("convert_nondiff", lambda x, *, dtype: as_array(x).astype(dtype),
                              nondiff=True)
deflazy(convert_nondiff_p)
batch_elementwise(convert_nondiff_p)


def astype(x, dtype, /, *, copy=True):
    """``x.astype(dtype)``: differentiable between float/complex dtypes, constant otherwise.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.astype(fnp.ones(2), fnp.float32).dtype
        dtype('float32')
    """
    dtype = np.dtype(dtype)
    if not is_traced(x):
        return as_array(x).astype(dtype)
    if dtype == dtype_of(x):
        return x
    if np.issubdtype(dtype, np.inexact) and np.issubdtype(dtype_of(x), np.inexact):
        if np.issubdtype(dtype_of(x), np.complexfloating) and not np.issubdtype(
                dtype, np.complexfloating):
            return astype(real_p(x), dtype)
        return convert_p(x, dtype=dtype)
    return convert_nondiff_p(x, dtype=dtype)


export(astype, "astype")

implements(np.astype)(astype)
