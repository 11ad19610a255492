"""The core: primitives, ``bind``, trace levels, and the Tracer base class.

A *primitive* is a named NumPy operation. Calling it runs ``bind``, which looks
at the positional arguments: with no tracer among them the NumPy ``impl`` runs
directly (the fast path); otherwise the trace with the highest level processes
the call, and every lower level sees only constants. Every transform call gets
a fresh level from a counter that never repeats, so nested transforms cannot
confuse their perturbations.

Each primitive carries its rule record (``prim.rules``, see ``_rules.py``): every
interpreter reads its own rule there. The operator dunders and the NumPy hooks on
:class:`Tracer` look up the functions they need in tables (``ops``, ``ufunc_table``,
``function_table``) that ``funcad.numpy`` fills at import time (``_protocols.py``,
with the conversions that raise); this module never imports it.
"""

from __future__ import annotations

import itertools
import threading
from typing import Callable

import numpy as np

from ._protocols import (ArrayProtocols, _array_function_error, _is_scipy_special,
                         _load_scipy_rules, conversion_site, full_lower, function_table, ops,
                         ufunc_table, unsupported_table)
from ._arrays import eager_on_foreign, lazy_on_foreign, mixing_error
from ._rules import Rules, primitives
from ._util import ShapeDtype, dtype_of, shape_of
from ._views import (UNKNOWN, VIEW_FUNCTIONS, ViewOp, check_views, is_complex, is_view_index,
                     link, make_view, may_view, refresh_views, reshape_back, write_back,
                     write_out, write_result)
from .errors import (ConcretizationError, EscapedTracerError, TracerArrayConversionError,
                     UnsupportedFunctionError)

__all__ = ["Primitive", "Rules", "bind", "Trace", "Tracer", "PrimalTracer", "new_trace", "ops", "ufunc_table",
           "function_table", "unsupported_table", "primitives", "full_lower", "conversion_site"]


# ---------------------------------------------------------------------------
# Primitives and bind
# ---------------------------------------------------------------------------

class Primitive:
    """A named operation: array operands positional, static parameters keyword-only.

    ``rules`` holds its rule for every interpreter (a :class:`~funcad._rules.Rules`,
    filled by the helpers in ``funcad.extend``). ``nondiff`` marks a primitive whose
    derivative is zero everywhere (comparisons, argmax, floor): forward and reverse mode
    pass its result through as a constant.
    """

    __slots__ = ("name", "impl", "_impl", "multiple_results", "nondiff", "rules",
                 "__weakref__")

    def __init__(self, name: str, impl: Callable, *, multiple_results: bool = False,
                 nondiff: bool = False):
        self.name = name
        self.rules = Rules()
        self.impl = impl
        self.multiple_results = multiple_results
        self.nondiff = nondiff
        primitives[name] = self

    def __setattr__(self, name, value):
        # ``impl`` is what the interpreters call: the NumPy implementation (``_impl``)
        # wrapped for arrays of other libraries. Unless the primitive is declared to run on
        # Dask and CuPy arrays as they are (``rules.lazy``, ``extend.deflazy``), such
        # operands are converted to NumPy first and the result back (``_arrays.py``).
        if name == "impl":
            object.__setattr__(self, "_impl", value)
            lazy = getattr(getattr(self, "rules", None), "lazy", False)
            value = (lazy_on_foreign if lazy is True else eager_on_foreign)(self, value)
        object.__setattr__(self, name, value)

    def declare_lazy(self) -> None:
        """Run the impl on Dask and CuPy arrays as they are (``extend.deflazy``)."""
        self.rules.lazy = True
        self.impl = self._impl

    def __call__(self, *args, **params):
        top = None     # the highest trace among the operands; none: straight to NumPy
        for a in args:
            if isinstance(a, Tracer):
                t = a._trace
                if top is None or t.level > top.level:
                    top = t
        try:
            if top is None:
                return self.impl(*args, **params)
            if not top.alive:
                raise _escaped(top, self)
            return top.process(self, args, params)
        except TypeError as e:              # CuPy refusing a NumPy operand: say which and why
            mix = mixing_error(self.name, args, e)
            if mix is None:
                raise
            raise mix from e

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
# Tracer
# ---------------------------------------------------------------------------

class Tracer(ArrayProtocols):
    """A value being traced by a transform. Behaves like a NumPy array.

    Subclasses store their own payload and implement ``_concrete`` (the value one
    level down, for Python control flow) and ``_become`` (take another tracer's
    payload: in-place writes). ``shape`` and ``dtype`` default to the payload's;
    a subclass whose payload has another shape (vmap's batch axis) overrides them.
    """

    __slots__ = ("_trace", "_vbase", "_views", "__weakref__")    # views: see link
    __array_priority__ = 1000
    _funcad_value = True        # a tracer is not an array of another library (is_foreign)

    def _concrete(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def _under(self):
        """The value one level down, only to choose the array type of constants
        (``_arrays.value_under``): never a guard or an error. The primal by default."""
        return self._concrete()

    # -- array attributes -------------------------------------------------
    @property
    def aval(self) -> ShapeDtype:
        """The tracer's shape and dtype, without the trace."""
        return ShapeDtype(tuple(self.shape), self.dtype)

    @property
    def shape(self) -> tuple:
        return shape_of(self._concrete())

    @property
    def dtype(self):
        return dtype_of(self._concrete())

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def __len__(self):
        shp = self.shape
        if not shp:
            raise TypeError("len() of unsized traced value (shape ())")
        return shp[0]

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    # -- NumPy protocols --------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        out = kwargs.pop("out", None) if kwargs else None
        if method == "__call__":
            fn = ufunc_table.get(ufunc) or ufunc_table.get((ufunc, method))
        else:
            fn = ufunc_table.get((ufunc, method))
        if fn is None and _load_scipy_rules(ufunc):      # rules register on first use
            kwargs.update({} if out is None else {"out": out})
            return self.__array_ufunc__(ufunc, method, *inputs, **kwargs)
        if fn is None:
            reason = unsupported_table.get(ufunc, "no differentiation rule is defined")
            home = "scipy.special" if _is_scipy_special(ufunc) else "np"
            what = f"{home}.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")
            raise UnsupportedFunctionError(f"{what} is not supported on traced values: {reason}")
        try:
            result = fn(*inputs, **kwargs)
        except TracerArrayConversionError as e:   # a list holding traced values: convert, retry
            result = ops.retry_with_arrays(fn, inputs, kwargs, e)
        return result if out is None else write_out(ufunc, out, result)

    def __array_function__(self, func, types, args, kwargs):
        fn = function_table.get(func)
        if fn is None:
            reason = unsupported_table.get(func, "funcad has no rule for it (see "
                                                 "docs/numpy-coverage.md)")
            raise _array_function_error(func, reason)
        as_view = VIEW_FUNCTIONS.get(func)
        if as_view is not None and args and isinstance(args[0], Tracer):
            return as_view(fn, *args, **kwargs)      # a NumPy view: writes go both ways
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
    # NumPy's & | ^ ~ are bitwise (logical on bools)
    def __and__(self, o): return ops.bitwise_and(self, o)
    def __rand__(self, o): return ops.bitwise_and(o, self)
    def __or__(self, o): return ops.bitwise_or(self, o)
    def __ror__(self, o): return ops.bitwise_or(o, self)
    def __xor__(self, o): return ops.bitwise_xor(self, o)
    def __rxor__(self, o): return ops.bitwise_xor(o, self)
    def __invert__(self): return ops.invert(self)

    def __getitem__(self, idx):
        out = ops.getitem(self, idx)
        if is_view_index(idx, self.ndim):
            link(out, self, idx)
        return out

    def __setitem__(self, idx, value):
        # x[idx] = v: a functional update that this tracer *becomes* (and its base and views,
        # as NumPy's memory would). Tracers are made inside the transform: no input changes.
        new = ops.at(self)[idx].set(value)
        if new.dtype != self.dtype:      # NumPy casts the value to the array's dtype
            new = ops.astype(ops.real(new) if not is_complex(self.dtype) else new, self.dtype)
        self._assign(new)

    def _become(self, other):  # pragma: no cover - abstract
        raise NotImplementedError

    def _assign(self, new):
        """Make this tracer hold ``new`` in place: through its base if it is a view of one, then
        into the views of what changed, as NumPy's shared memory would."""
        if type(new) is not type(self) or new._trace is not self._trace:
            raise TypeError(
                f"an in-place write into x: the value written is traced by a transform "
                f"({_trace_name(new)}) that started after the one tracing x "
                f"({_trace_name(self)}), so x cannot hold it in place. Write "
                "x = x.at[idx].set(v) (or x = x + v) instead.")
        vb = getattr(self, "_vbase", None)
        if vb is not None:
            base, how = vb
            return base._assign(write_back(base, how, new))
        check_views(self)
        self._become(new)
        refresh_views(self)

    def _inplace(self, op, other, name):
        return write_result(self, op(self, other), name)

    def __iadd__(self, o): return self._inplace(ops.add, o, "add")
    def __isub__(self, o): return self._inplace(ops.subtract, o, "subtract")
    def __imul__(self, o): return self._inplace(ops.multiply, o, "multiply")
    def __itruediv__(self, o): return self._inplace(ops.divide, o, "divide")
    def __ifloordiv__(self, o): return self._inplace(ops.floor_divide, o, "floor_divide")
    def __imod__(self, o): return self._inplace(ops.mod, o, "remainder")
    def __ipow__(self, o): return self._inplace(ops.power, o, "power")
    def __imatmul__(self, o): return self._inplace(ops.matmul, o, "matmul")
    def __iand__(self, o): return self._inplace(ops.bitwise_and, o, "bitwise_and")
    def __ior__(self, o): return self._inplace(ops.bitwise_or, o, "bitwise_or")
    def __ixor__(self, o): return self._inplace(ops.bitwise_xor, o, "bitwise_xor")

    def fill(self, value):
        self[...] = value

    @property
    def at(self):
        return ops.at(self)

    # -- methods that return NumPy views: the result writes through to x and sees x's writes
    def reshape(self, *shape, order="C"):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        may = may_view(self, shape, order)
        if may is False:                 # NumPy copies here (the layout does not allow a view)
            return ops.reshape(self, shape, order=order)
        back = (lambda b, v: ops.reshape(v, b.shape, order=order)) if may else UNKNOWN
        return make_view(self, ViewOp(lambda b: ops.reshape(b, shape, order=order), back))

    def ravel(self, order="C"):
        return self.reshape((-1,), order="F" if order == "F" else "C")

    def transpose(self, *axes):
        if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
            axes = axes[0]
        nd = self.ndim
        perm = tuple(range(nd))[::-1] if not axes else tuple(int(a) % nd for a in axes)
        return make_view(self, ViewOp(lambda b: ops.transpose(b, perm),
                                   lambda b, v: ops.transpose(v, tuple(np.argsort(perm)))))

    def swapaxes(self, axis1, axis2):
        return make_view(self, ViewOp(lambda b: ops.swapaxes(b, axis1, axis2),
                                   lambda b, v: ops.swapaxes(v, axis1, axis2)))

    def _moveaxis(self, source, destination):
        return make_view(self, ViewOp(lambda b: ops.moveaxis(b, source, destination),
                                   lambda b, v: ops.moveaxis(v, destination, source)))

    def squeeze(self, axis=None):
        return make_view(self, ViewOp(lambda b: ops.squeeze(b, axis), reshape_back))

    def _expand_dims(self, axis):
        return make_view(self, ViewOp(lambda b: ops.expand_dims(b, axis), reshape_back))

    def diagonal(self, offset=0, axis1=0, axis2=1):    # read-only view, as in NumPy
        return make_view(self, ViewOp(lambda b: ops.diagonal(b, offset, axis1, axis2), None))

    def view(self, dtype=None, type=None):
        if type is not None or (dtype is not None and np.dtype(dtype) != self.dtype):
            self._no_buffer(f"x.view({dtype!r})", ConcretizationError)
        return make_view(self, ViewOp(lambda b: ops.copy(b), lambda b, v: v))



class PrimalTracer(Tracer):
    """A tracer whose payload starts with the value one level down, ``primal`` (forward
    mode's dual numbers, Taylor series, collapsed Taylor mode): shape, dtype and the
    concrete value are the primal's."""

    __slots__ = ("primal",)

    @property
    def shape(self) -> tuple:
        p = self.primal
        return p.shape if type(p) is np.ndarray else shape_of(p)

    @property
    def dtype(self):
        p = self.primal
        return p.dtype if type(p) is np.ndarray else dtype_of(p)

    def _concrete(self):
        return self.primal


def _trace_name(x):
    t = getattr(x, "_trace", None)
    return "none" if t is None else f"{t.kind}@{t.level}"
