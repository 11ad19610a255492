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

import types as _types

import types as _types

import numpy as _np

from .._core import Primitive as _Primitive

from .._core import Primitive as _Primitive

from . import _base, _complex, _creation, _elementwise, _indexing, _nondiff  # noqa: F401
from . import _products, _reductions, _shape  # noqa: F401
from . import _cumulative, _polynomial, _sorting, _statistics, _structural  # noqa: F401
from . import _index_tricks, _ufunc_methods, _ufuncs_more  # noqa: F401
from . import linalg  # noqa: F401  (funcad.numpy.linalg)
from . import fft  # noqa: F401  (funcad.numpy.fft)
from ._base import public as _public
from ._creation import accepts_sequences as _accepts_sequences


def _is_routine(fn) -> bool:
    return isinstance(fn, (_types.FunctionType, _Primitive))

from ._creation import accepts_sequences as _accepts_sequences


def _is_routine(fn) -> bool:
    return isinstance(fn, (_types.FunctionType, _Primitive))


# plain-NumPy creation functions and constants (no traced inputs to differentiate)
for _name in ["eye", "identity", "arange", "tri", "indices", "ndindex", "random", "ndarray",
              "pi", "e", "inf", "nan", "newaxis", "euler_gamma", "float16", "float32",
              "float64", "complex64", "complex128", "int8", "int16", "int32", "int64",
              "uint8", "bool_", "integer", "floating", "inexact", "complexfloating",
              "dtype", "finfo", "iinfo", "errstate", "seterr", "broadcast_shapes",
              "issubdtype"]:
    globals()[_name] = getattr(_np, _name)

# lists and tuples holding traced values are accepted wherever NumPy takes an array
# (fnp.mean([a, b]), fnp.concatenate([[a], [b, c]])): converted in this one place, on the
# public names only, so the rules' own calls (ops.*, module globals) pay nothing
for _name, _fn in _public.items():
    globals()[_name] = _accepts_sequences(_fn) if _is_routine(_fn) else _fn
for _mod in (linalg, fft):
    for _name in _mod.__all__:
        if _is_routine(getattr(_mod, _name)):
            setattr(_mod, _name, _accepts_sequences(getattr(_mod, _name)))
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
