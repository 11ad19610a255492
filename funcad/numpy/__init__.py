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

import numpy as _np

from .. import extend as _extend
from ..extend import Primitive as _Primitive

from . import _base, _complex, _dtypes, _elementwise, _shape, _creation  # noqa: F401
from . import _indexing, _reductions, _products  # noqa: F401
from . import _rearranging, _selecting, _joining  # noqa: F401
from . import _cumulative, _polynomial, _sorting, _statistics  # noqa: F401
from . import _index_tricks, _inplace, _ufunc_methods  # noqa: F401
from . import _nondiff_and_unsupported as _nondiff
from . import linalg  # noqa: F401  (funcad.numpy.linalg)
from . import fft  # noqa: F401  (funcad.numpy.fft)
from . import random  # noqa: F401  (funcad.numpy.random: NumPy's, draws are constants)
from ._base import public as _public
from ._creation import accepts_sequences as _accepts_sequences


def _is_routine(fn) -> bool:
    """A function still to be wrapped (a primitive's public function accepts lists itself)."""
    return isinstance(fn, (_types.FunctionType, _Primitive)) and not hasattr(fn, "primitive")


# plain-NumPy creation functions, constants and utilities (no traced inputs to differentiate)
for _name in ["eye", "identity", "arange", "tri", "indices", "ndindex", "ndarray",
              "pi", "e", "inf", "nan", "newaxis", "euler_gamma", "dtype", "finfo", "iinfo",
              "errstate", "seterr", "geterr", "broadcast_shapes", "issubdtype", "True_", "False_",
              "ScalarType", "little_endian", "typecodes", "sctypeDict", "promote_types",
              "isdtype", "isscalar", "iterable", "mintypecode", "typename", "s_", "index_exp",
              "mgrid", "ogrid", "tril_indices", "triu_indices", "diag_indices", "mask_indices",
              "get_printoptions", "set_printoptions", "printoptions", "bartlett", "blackman",
              "hamming", "hanning", "kaiser"]:
    if hasattr(_np, _name):
        globals()[_name] = getattr(_np, _name)

# lists and tuples holding traced values are accepted wherever NumPy takes an array
# (fnp.mean([a, b]), fnp.concatenate([[a], [b, c]])): converted in one place, on the public
# names only, so the rules' own calls (ops.*, module globals) pay nothing. The NumPy
# dispatch hooks do the same through ops.retry_with_arrays.
for _name, _fn in _public.items():
    globals()[_name] = _accepts_sequences(_fn) if _is_routine(_fn) else _fn
for _mod in (linalg, fft):
    for _name in _mod.__all__:
        if _is_routine(getattr(_mod, _name)):
            setattr(_mod, _name, _accepts_sequences(getattr(_mod, _name)))
_nondiff.alias_like_dispatchers()
_ufunc_methods.register_all()


def _numpy_names() -> None:
    """Every dtype class NumPy has (fnp.longdouble is np.longdouble) and every alias of a
    routed function under each name NumPy gives it (fnp.acos, fnp.pow, fnp.row_stack ...)."""
    import warnings
    g = globals()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")       # deprecated aliases warn when called, some on access
        for name in dir(_np):
            if name.startswith("_") or name in g:
                continue
            obj = getattr(_np, name, None)
            if isinstance(obj, type) and issubclass(obj, _np.generic):
                g[name] = obj
                continue
            try:
                fn = (_extend.ufunc_table if isinstance(obj, _np.ufunc)
                      else _extend.function_table).get(obj)
            except TypeError:                 # unhashable: not a function
                continue
            if fn is not None:
                home = g.get(getattr(obj, "__name__", ""))
                g[name] = home if callable(home) else _accepts_sequences(fn)


_numpy_names()


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
