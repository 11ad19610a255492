"""Python's and NumPy's protocols on a traced value, and the tables funcad.numpy fills.

``float(x)``, ``np.asarray(x)``, ``x.tobytes()``, pickling ...: each would turn a traced
value into a concrete one and drop its derivative, so each raises an error that names the
user's line and the way out (docs/sharp-bits.md lists them). :class:`ArrayProtocols` holds
these methods and the common ndarray methods that compute a new array (``x.sum()``,
``x.astype()``); :class:`funcad._core.Tracer` inherits them. The dispatch tables (``ops``,
``ufunc_table``, ``function_table``, ``unsupported_table``) are filled by funcad.numpy at
import time; this module never imports it.
"""

from __future__ import annotations

import importlib
import re
import sys
from typing import Any

import numpy as np

from ._util import short_repr, user_site
from .errors import (ConcretizationError, FuncadError, TracerArrayConversionError,
                     TracerBufferError, UnsupportedFunctionError)

__all__ = ["ArrayProtocols", "ops", "ufunc_table", "function_table", "unsupported_table",
           "conversion_site", "full_lower"]

# ---------------------------------------------------------------------------
# Tables filled by funcad.numpy
# ---------------------------------------------------------------------------

class _Ops:
    """Namespace of funcad.numpy functions the Tracer dunders need (filled at import)."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise RuntimeError(f"funcad.numpy has not registered '{name}'; import funcad first")


ops: Any = _Ops()
ufunc_table: dict = {}        # np.ufunc -> funcad function
function_table: dict = {}     # numpy function -> funcad function
unsupported_table: dict = {}  # numpy function -> reason it cannot be traced


def _array_function_error(func, reason):
    name = getattr(func, "__module__", "numpy") + "." + getattr(func, "__name__", str(func))
    name = name.replace("numpy._core.multiarray", "numpy").replace("numpy._core.fromnumeric",
                                                                    "numpy")
    return UnsupportedFunctionError(f"{name} is not supported on traced values: {reason}")


def _is_scipy_special(ufunc) -> bool:
    special = sys.modules.get("scipy.special")    # loaded if the user holds one of its ufuncs
    return special is not None and getattr(special, ufunc.__name__, None) is ufunc


def _load_scipy_rules(ufunc) -> bool:
    """Import funcad.scipy.special (which registers its rules) the first time one of SciPy's
    special-function ufuncs meets a traced value: ``import funcad`` never imports SciPy."""
    if "funcad.scipy.special" in sys.modules or not _is_scipy_special(ufunc):
        return False
    importlib.import_module("funcad.scipy.special")
    return True


class ArrayProtocols:
    """The conversions of a traced value: each keeps tracing or raises (see the module doc).

    Subclasses implement ``_concrete`` (the value one level down).
    """

    __slots__ = ()

    # -- conversions: each keeps tracing or raises (docs/sharp-bits.md lists them) --
    def __bool__(self):
        return bool(self._concrete())

    def _drop(self, what):
        at, math_fix = conversion_site()
        if math_fix:
            raise ConcretizationError(f"{what} of a traced value {short_repr(self)}{at}: "
                                      f"{math_fix}")
        raise ConcretizationError(
            f"{what} of a traced value {short_repr(self)}{at} would drop its derivative. Keep it "
            "an array, or call fad.stop_gradient(x) first if a zero derivative is meant. If this "
            "came from writing a traced value into a plain NumPy array (a = np.zeros(3); "
            "a[0] = x), create the array from a traced value (np.zeros_like(y)) or with "
            "funcad.numpy.zeros instead, or use "
            "a = funcad.numpy.at(a)[0].set(x).")

    def __float__(self):
        self._drop("float()")

    def __int__(self):
        if np.issubdtype(self.dtype, np.integer):      # an integer has no derivative to drop
            return int(full_lower(self))
        self._drop("int()")

    def __complex__(self):
        self._drop("complex()")

    def __index__(self):
        if np.issubdtype(self.dtype, np.integer):      # an integer has no derivative to drop
            return int(full_lower(self))
        self._drop("use as an index")

    def item(self, *args):
        self._drop(".item()")

    def tolist(self):
        self._drop(".tolist()")

    def __round__(self, ndigits=None):
        if ndigits is None:
            self._drop("round()")
        return ops.round(self, ndigits)

    def _no_buffer(self, what, cls=TracerBufferError):
        where, _ = user_site()
        raise cls(
            f"{what} of a traced value {short_repr(self)}"
            f"{f' (at {where})' if where else ''} would read its memory and drop the derivative. "
            "Keep it an array (x.astype(...) converts dtypes), or apply it to "
            "fad.stop_gradient(x) if a constant is meant.")

    def tobytes(self, order="C"):
        self._no_buffer("x.tobytes()")

    def tofile(self, *args, **kwargs):
        self._no_buffer("x.tofile()")

    def __bytes__(self):
        self._no_buffer("bytes(x)")

    def __buffer__(self, flags):     # Python >= 3.12: memoryview(x), np.frombuffer(x)
        self._no_buffer("the buffer protocol (memoryview(x), np.frombuffer(x))", TypeError)

    # attribute probes (NumPy's coercion, hasattr) see an AttributeError; users see why
    @property
    def data(self):
        self._no_buffer("x.data")

    @property
    def ctypes(self):
        self._no_buffer("x.ctypes")

    @property
    def __array_interface__(self):
        self._no_buffer("x.__array_interface__")

    @property
    def __array_struct__(self):
        self._no_buffer("x.__array_struct__")

    def __array__(self, dtype=None, copy=None):
        hint = ops.__dict__.get("conversion_hint")    # NumPy callers named with their fix
        hint = hint(self) if hint is not None else ""
        if hint:
            raise TracerArrayConversionError(hint)
        where, library = user_site()
        call = f"{library} called np.asarray" if library else "np.array/np.asarray was called"
        fix = ("funcad.numpy.asarray / fnp.array / fnp.stack / fnp.concatenate (fnp.r_), which "
               "accept traced values, or np.zeros_like(y) and then writes")
        if library and not library.startswith("np."):
            alt = "funcad." + library
            mod = sys.modules.get(alt.rpartition(".")[0])
            fix = (f"{alt}" if mod is not None and hasattr(mod, alt.rpartition(".")[2])
                   else f"{alt} once it exists, or wrap the call in fad.custom_vjp")
        raise TracerArrayConversionError(
            f"{call} on a traced value {short_repr(self)}"
            f"{f' (at {where})' if where else ''}; the result would lose the derivative. "
            f"Use {fix}; or fad.stop_gradient(x) if a constant is meant.")

    def __format__(self, spec):
        if not spec:
            return str(self)
        try:
            v = full_lower(self, peek=True)
        except FuncadError as e:
            raise TypeError(f"format(x, {spec!r}) of a value batched by vmap: each example has "
                            "its own value; format it outside vmap") from e
        return format(v, spec)

    # copies are new tracers on the same trace (the default would copy the trace itself)
    def __copy__(self):
        return ops.copy(self)

    def __deepcopy__(self, memo):
        return ops.copy(self)

    def __reduce_ex__(self, protocol=None):
        raise TypeError(
            f"pickling a traced value {short_repr(self)} is not possible: it belongs to a "
            "running transform. Pickle the transform's result, or fad.stop_gradient(x) if a "
            "constant is meant.")

    __reduce__ = __getstate__ = __reduce_ex__

    def __hash__(self):
        return id(self)

    # -- methods (the common ndarray ones) --------------------------------
    @property
    def T(self): return self.transpose()
    @property
    def real(self): return ops.real(self)
    @property
    def imag(self): return ops.imag(self)
    def conj(self): return ops.conj(self)
    def conjugate(self): return ops.conj(self)
    def sum(self, axis=None, dtype=None, keepdims=False): return ops.sum(self, axis=axis, dtype=dtype, keepdims=keepdims)  # noqa: E501
    def mean(self, axis=None, dtype=None, keepdims=False): return ops.mean(self, axis=axis, dtype=dtype, keepdims=keepdims)  # noqa: E501
    def prod(self, axis=None, dtype=None, keepdims=False): return ops.prod(self, axis=axis, dtype=dtype, keepdims=keepdims)  # noqa: E501
    def max(self, axis=None, keepdims=False): return ops.max(self, axis=axis, keepdims=keepdims)
    def min(self, axis=None, keepdims=False): return ops.min(self, axis=axis, keepdims=keepdims)
    def var(self, axis=None, ddof=0, keepdims=False): return ops.var(self, axis=axis, ddof=ddof, keepdims=keepdims)  # noqa: E501
    def std(self, axis=None, ddof=0, keepdims=False): return ops.std(self, axis=axis, ddof=ddof, keepdims=keepdims)  # noqa: E501
    def argmax(self, axis=None): return ops.argmax(self, axis=axis)
    def argmin(self, axis=None): return ops.argmin(self, axis=axis)
    def cumsum(self, axis=None): return ops.cumsum(self, axis=axis)
    def cumprod(self, axis=None): return ops.cumprod(self, axis=axis)
    def dot(self, o): return ops.dot(self, o)
    def clip(self, a_min=None, a_max=None): return ops.clip(self, a_min, a_max)
    def round(self, decimals=0): return ops.round(self, decimals)
    def astype(self, dtype, order="K", casting="unsafe", subok=True, copy=True): return ops.astype(self, dtype)  # noqa: E501
    def copy(self, order="C"): return ops.copy(self)
    def flatten(self, order="C"): return ops.reshape(ops.copy(self), (-1,), order=order)
    def trace(self, offset=0, axis1=0, axis2=1): return ops.trace(self, offset, axis1, axis2)
    def repeat(self, repeats, axis=None): return ops.repeat(self, repeats, axis)
    def any(self, axis=None, keepdims=False): return ops.any(self, axis=axis, keepdims=keepdims)
    def all(self, axis=None, keepdims=False): return ops.all(self, axis=axis, keepdims=keepdims)
    def nonzero(self): return ops.nonzero(self)
    def sort(self, axis=-1):
        raise TypeError("x.sort() sorts in place, which a traced value cannot do; use "
                        "x = funcad.numpy.sort(x)")


def conversion_site():
    """-> (" (at file:line: source)" of the user's line, or "";  the np. spelling to use when
    that line calls a math function, or None). Only called when raising."""
    where, _ = user_site(sys._getframe(1))
    m = re.search(r"\bmath\.(\w+)\s*\(", where or "")
    fix = None
    if m:
        name = m.group(1)
        fix = (f"math.{name} works on Python floats only: use np.{name}(x), which is traced."
               if hasattr(np, name) else f"math.{name} works on Python floats only: write it "
               "with np. functions, which are traced.")
    return (f" (at {where})" if where else ""), fix



def full_lower(x, peek: bool = False):
    """The plain NumPy value under any number of tracer levels (used for control flow).

    ``peek=True``: to print it or look at its memory layout only, not to decide anything
    with it (jit's staging records no guard for such a read)."""
    while isinstance(x, ArrayProtocols):
        x = x._peek() if peek and hasattr(x, "_peek") else x._concrete()
    return x
