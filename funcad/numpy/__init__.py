"""funcad.numpy: the differentiable NumPy namespace.

Every function here accepts plain arrays and traced values alike; on plain
arrays it is NumPy. Code written with ``import numpy as np`` is routed here
automatically through NumPy's dispatch protocols when it meets a traced value.

Example:
    >>> import funcad as fad
    >>> import funcad.numpy as fnp
    >>> float(fad.grad(lambda x: fnp.sum(fnp.sin(x) ** 2))(fnp.array(0.5)))
    0.8414709848078965
"""

from __future__ import annotations

import numpy as _np

from . import _base, _complex, _creation, _elementwise, _indexing, _nondiff  # noqa: F401
from . import _products, _reductions, _shape  # noqa: F401
from . import _cumulative, _polynomial, _sorting, _statistics, _structural  # noqa: F401
from . import _ufunc_methods, _ufuncs_more  # noqa: F401
from . import linalg  # noqa: F401  (funcad.numpy.linalg)
from . import fft  # noqa: F401  (funcad.numpy.fft)
from ._base import public as _public

# plain-NumPy creation functions and constants (no traced inputs to differentiate)
for _name in ["eye", "identity", "arange", "tri", "indices", "ndindex", "random", "ndarray",
              "pi", "e", "inf", "nan", "newaxis", "euler_gamma", "float16", "float32",
              "float64", "complex64", "complex128", "int8", "int16", "int32", "int64",
              "uint8", "bool_", "integer", "floating", "inexact", "complexfloating",
              "dtype", "finfo", "iinfo", "errstate", "seterr", "broadcast_shapes",
              "issubdtype"]:
    globals()[_name] = getattr(_np, _name)

globals().update(_public)
_nondiff.alias_like_dispatchers()
_ufunc_methods.register_all()


def __getattr__(name):
    if name in _nondiff.unsupported_names:
        raise AttributeError(f"funcad.numpy.{name} is not available: numpy.{name} is not "
                             f"supported on traced values: {_nondiff.unsupported_names[name]}")
    if hasattr(_np, name):
        raise AttributeError(
            f"funcad.numpy.{name} is not available: funcad has no differentiation rule for "
            f"numpy.{name} yet (see docs/numpy-coverage.md). Use numpy.{name} on plain arrays, "
            "or wrap it with fad.custom_vjp.")
    raise AttributeError(f"module 'funcad.numpy' has no attribute '{name}'")


def __dir__():
    return sorted(set(globals()) | set(_public))
