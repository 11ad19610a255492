"""The core: primitives, ``bind``, trace levels, and the Tracer base class.

A *primitive* is a named NumPy operation. Calling it runs ``bind``, which looks
at the positional arguments: with no tracer among them the NumPy ``impl`` runs
directly (the fast path); otherwise the trace with the highest level processes
the call, and every lower level sees only constants. Every transform call gets
a fresh level from a counter that never repeats, so nested transforms cannot
confuse their perturbations.

The operator dunders and the NumPy hooks on :class:`Tracer` look up the
functions they need in tables (``ops``, ``ufunc_table``, ``function_table``)
that ``funcad.numpy`` fills at import time; this module never imports it.
"""

from __future__ import annotations

import itertools
import threading
from typing import Any, Callable

import numpy as np

from ._util import short_repr
from .errors import (ConcretizationError, EscapedTracerError, TracerArrayConversionError,
                     UnsupportedFunctionError)

__all__ = ["Primitive", "bind", "Trace", "Tracer", "new_trace", "ops", "ufunc_table",
           "function_table", "unsupported_table", "primitives", "full_lower"]


# ---------------------------------------------------------------------------
# Primitives and bind
# ---------------------------------------------------------------------------

primitives: dict[str, "Primitive"] = {}   # every primitive ever made, by name


class Primitive:
    """A named operation: array operands positional, static parameters keyword-only.

    Rules for each interpreter live in that interpreter's table (see
    ``funcad.extend``). ``nondiff`` marks a primitive whose derivative is zero
    everywhere (comparisons, argmax, floor): forward and reverse mode pass its
    result through as a constant.
    """

    __slots__ = ("name", "impl", "multiple_results", "nondiff", "__weakref__")

    def __init__(self, name: str, impl: Callable, *, multiple_results: bool = False,
                 nondiff: bool = False):
        self.name = name
        self.impl = impl
        self.multiple_results = multiple_results
        self.nondiff = nondiff
        primitives[name] = self

    def __call__(self, *args, **params):
        top = None     # the highest trace among the operands; none: straight to NumPy
        for a in args:
            if isinstance(a, Tracer):
                t = a._trace
                if top is None or t.level > top.level:
                    top = t
        if top is None:
            return self.impl(*args, **params)
        if not top.alive:
            raise _escaped(top, self)
        return top.process(self, args, params)

    def __repr__(self):
        return f"Primitive({self.name})"


def bind(prim: Primitive, args, params: dict):
    """Apply ``prim``: at the highest trace level among ``args``, or in NumPy if none."""
    return prim(*args, **params)


def _escaped(trace, prim):
    live = ", ".join(f"{t.kind}@{t.level}" for t in _stack()) or "none"
    return EscapedTracerError(
        f"a traced value from {trace.kind} (level {trace.level}) was used in '{prim.name}' after "
        f"that transform returned (transforms running now: {live}). It escaped through a global, "
        "a closure or an attribute. Return it from the transformed function instead, or store "
        "fad.stop_gradient(x).")


# ---------------------------------------------------------------------------
# Traces and levels
# ---------------------------------------------------------------------------

_levels = itertools.count(1)
_tls = threading.local()


def _stack() -> list:
    s = getattr(_tls, "stack", None)
    if s is None:
        s = _tls.stack = []
    return s


class Trace:
    """One transform call. Subclasses implement ``process`` for their tracers."""

    __slots__ = ("level", "alive")
    kind = "trace"

    def __init__(self):
        self.level = next(_levels)
        self.alive = True

    def process(self, prim: Primitive, args, params):  # pragma: no cover - abstract
        raise NotImplementedError

    def pure(self, x):  # pragma: no cover - abstract
        """Wrap a constant as a tracer of this trace (with a zero derivative)."""
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}(level={self.level})"


class new_trace:
    """Context manager: push a fresh trace of type ``cls``; mark it dead on exit."""

    __slots__ = ("trace",)

    def __init__(self, cls, *args):
        self.trace = cls(*args)

    def __enter__(self):
        _stack().append(self.trace)
        return self.trace

    def __exit__(self, *exc):
        self.trace.alive = False
        s = _stack()
        # exceptions may unwind several levels at once; remove exactly ours
        if s and s[-1] is self.trace:
            s.pop()
        elif self.trace in s:
            s.remove(self.trace)
        return False


def lift(x):
    """Make ``x`` a tracer of the innermost running transform (unchanged when none runs).

    Arrays created with funcad.numpy inside a transform are lifted this way, so
    that traced values can be written into them (``a = fnp.zeros(3); a[0] = x``).
    """
    s = _stack()
    return s[-1].pure(x) if s else x


def active_traces() -> list:
    """The traces running in this thread, innermost last."""
    return list(_stack())


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


# ---------------------------------------------------------------------------
# Tracer
# ---------------------------------------------------------------------------

class Tracer:
    """A value being traced by a transform. Behaves like a NumPy array.

    Subclasses store their own payload and implement ``aval`` (a value with the
    tracer's shape and dtype, without the trace) and ``_concrete`` (the
    underlying NumPy value, for Python control flow).
    """

    __slots__ = ("_trace",)
    __array_priority__ = 1000

    # -- abstract ----------------------------------------------------------
    @property
    def aval(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def _concrete(self):  # pragma: no cover - abstract
        raise NotImplementedError

    # -- array attributes -------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self.aval.shape

    @property
    def dtype(self):
        return self.aval.dtype

    @property
    def ndim(self) -> int:
        return len(self.aval.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.aval.shape, dtype=np.int64))

    def __len__(self):
        shp = self.shape
        if not shp:
            raise TypeError("len() of unsized traced value (shape ())")
        return shp[0]

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    # -- conversions ------------------------------------------------------
    def __bool__(self):
        return bool(self._concrete())

    def _drop(self, what):
        raise ConcretizationError(
            f"{what} of a traced value {short_repr(self)} would drop its derivative. Keep it an "
            "array, or call fad.stop_gradient(x) first if a zero derivative is meant. If this "
            "came from writing a traced value into a plain NumPy array (a = np.zeros(3); "
            "a[0] = x), create the array with funcad.numpy.zeros instead, or use "
            "a = funcad.numpy.at(a)[0].set(x).")

    def __float__(self):
        self._drop("float()")

    def __int__(self):
        self._drop("int()")

    def __complex__(self):
        self._drop("complex()")

    def __index__(self):
        v = self._concrete()
        if np.issubdtype(np.asarray(v).dtype, np.integer):
            return int(v)
        self._drop("use as an index")

    def item(self, *args):
        self._drop(".item()")

    def tolist(self):
        self._drop(".tolist()")

    def __array__(self, dtype=None, copy=None):
        hint = ops.__dict__.get("conversion_hint")    # NumPy callers named with their fix
        raise TracerArrayConversionError((hint(self) if hint is not None else "") or (
            f"np.array/np.asarray was called on a traced value {short_repr(self)}; the result "
            "would lose the derivative. Use funcad.numpy.asarray / funcad.numpy.stack (or just "
            "keep operating on the value), or fad.stop_gradient(x) if a constant is meant."))

    def __hash__(self):
        return id(self)

    # -- NumPy protocols --------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if kwargs:
            if kwargs.get("out") is not None:
                raise ConcretizationError(
                    f"np.{ufunc.__name__}(..., out=...) would write a traced value into a plain "
                    "array; drop out= and use the returned value.")
            kwargs.pop("out", None)
        if method == "__call__":
            fn = ufunc_table.get(ufunc) or ufunc_table.get((ufunc, method))
        else:
            fn = ufunc_table.get((ufunc, method))
        if fn is None:
            reason = unsupported_table.get(ufunc, "no differentiation rule is defined")
            what = f"np.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")
            raise UnsupportedFunctionError(f"{what} is not supported on traced values: {reason}")
        try:
            return fn(*inputs, **kwargs)
        except TracerArrayConversionError as e:   # a list holding traced values: convert, retry
            return ops.retry_with_arrays(fn, inputs, kwargs, e)

    def __array_function__(self, func, types, args, kwargs):
        fn = function_table.get(func)
        if fn is None:
            reason = unsupported_table.get(func, "funcad has no rule for it (see "
                                                 "docs/numpy-coverage.md)")
            raise _array_function_error(func, reason)
        try:
            return fn(*args, **kwargs)
        except TracerArrayConversionError as e:   # a list holding traced values: convert, retry
            return ops.retry_with_arrays(fn, args, kwargs, e)

    # -- operators --------------------------------------------------------
    def __neg__(self): return ops.negative(self)
    def __pos__(self): return self
    def __abs__(self): return ops.abs(self)
    def __add__(self, o): return ops.add(self, o)
    def __radd__(self, o): return ops.add(o, self)
    def __sub__(self, o): return ops.subtract(self, o)
    def __rsub__(self, o): return ops.subtract(o, self)
    def __mul__(self, o): return ops.multiply(self, o)
    def __rmul__(self, o): return ops.multiply(o, self)
    def __truediv__(self, o): return ops.divide(self, o)
    def __rtruediv__(self, o): return ops.divide(o, self)
    def __floordiv__(self, o): return ops.floor_divide(self, o)
    def __rfloordiv__(self, o): return ops.floor_divide(o, self)
    def __mod__(self, o): return ops.mod(self, o)
    def __rmod__(self, o): return ops.mod(o, self)
    def __pow__(self, o): return ops.power(self, o)
    def __rpow__(self, o): return ops.power(o, self)
    def __matmul__(self, o): return ops.matmul(self, o)
    def __rmatmul__(self, o): return ops.matmul(o, self)
    def __lt__(self, o): return ops.less(self, o)
    def __le__(self, o): return ops.less_equal(self, o)
    def __gt__(self, o): return ops.greater(self, o)
    def __ge__(self, o): return ops.greater_equal(self, o)
    def __eq__(self, o): return ops.equal(self, o)
    def __ne__(self, o): return ops.not_equal(self, o)
    def __and__(self, o): return ops.logical_and(self, o)
    def __or__(self, o): return ops.logical_or(self, o)
    def __invert__(self): return ops.logical_not(self)

    def __getitem__(self, idx): return ops.getitem(self, idx)

    def __setitem__(self, idx, value):
        # x[idx] = v: compute the functional update and make this tracer *become* it. The
        # tracer was created inside the transform, so nothing the caller passed in changes.
        new = ops.at(self)[idx].set(value)
        if type(new) is not type(self) or new._trace is not self._trace:
            raise TypeError(
                f"x[idx] = v: the value written is traced by a transform ({_trace_name(new)}) "
                f"that started after the one tracing x ({_trace_name(self)}), so x cannot "
                "hold it in place. Write x = x.at[idx].set(v) instead.")
        self._become(new)

    def _become(self, other):  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def at(self):
        return ops.at(self)

    # -- methods (the common ndarray ones) --------------------------------
    @property
    def T(self): return ops.transpose(self)
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
    def copy(self): return ops.copy(self)
    def ravel(self): return ops.ravel(self)
    def flatten(self): return ops.ravel(self)
    def squeeze(self, axis=None): return ops.squeeze(self, axis)
    def trace(self, offset=0, axis1=0, axis2=1): return ops.trace(self, offset, axis1, axis2)
    def diagonal(self, offset=0, axis1=0, axis2=1): return ops.diagonal(self, offset, axis1, axis2)  # noqa: E501
    def repeat(self, repeats, axis=None): return ops.repeat(self, repeats, axis)
    def swapaxes(self, a, b): return ops.swapaxes(self, a, b)
    def any(self, axis=None, keepdims=False): return ops.any(self, axis=axis, keepdims=keepdims)
    def all(self, axis=None, keepdims=False): return ops.all(self, axis=axis, keepdims=keepdims)
    def nonzero(self): return ops.nonzero(self)
    def sort(self, axis=-1):
        raise TypeError("x.sort() sorts in place, which a traced value cannot do; use "
                        "x = funcad.numpy.sort(x)")

    def reshape(self, *shape, order="C"):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return ops.reshape(self, shape, order=order)

    def transpose(self, *axes):
        if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
            axes = axes[0]
        return ops.transpose(self, axes or None)


def _trace_name(x):
    t = getattr(x, "_trace", None)
    return "none" if t is None else f"{t.kind}@{t.level}"


def full_lower(x):
    """The plain NumPy value under any number of tracer levels (used for control flow)."""
    while isinstance(x, Tracer):
        x = x._concrete()
    return x
