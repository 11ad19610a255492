"""The explicit tables of NumPy names with a zero derivative and of unsupported names.

Zero-derivative functions listed here run on the traced values' underlying
NumPy values (their results are integer, boolean or shape data, or piecewise
constant). Under vmap they have no batched value to run on and raise a clear
error instead (primitives with batching rules cover the common ones:
comparisons, argmax, floor ...). Unsupported names raise an error that names
the function and gives the reason.
"""

from __future__ import annotations

import numpy as np

from .. import _core
from .._core import Tracer, full_lower
from ._base import dtype_of, export, shape_of

zero_derivative_names: set[str] = set()
unsupported_names: dict[str, str] = {}


def _lower_tree(x):
    if isinstance(x, Tracer):
        return full_lower(x)
    if isinstance(x, (list, tuple)):
        return type(x)(_lower_tree(v) for v in x)
    if isinstance(x, dict):
        return {k: _lower_tree(v) for k, v in x.items()}
    return x


def zero_derivative(np_func, name: str | None = None):
    """Route ``np_func`` on traced values to itself, run on the underlying values."""
    name = name or np_func.__name__

    def fn(*args, **kwargs):
        return np_func(*_lower_tree(args), **_lower_tree(kwargs))
    fn.__name__ = name
    fn.__doc__ = f"``np.{name}`` on traced values: computed on their values, zero derivative."
    zero_derivative_names.add(name)
    _core.function_table[np_func] = fn
    return fn


def unsupported(np_func, reason: str, name: str | None = None) -> None:
    """Record that ``np_func`` cannot be traced, and why."""
    name = name or np_func.__name__
    unsupported_names[name] = reason
    _core.unsupported_table[np_func] = reason


# -- shape and dtype queries: answered from the abstract value, so they work under vmap too
def _shape(a):
    return tuple(shape_of(a))


def _ndim(a):
    return len(shape_of(a))


def _size(a, axis=None):
    s = shape_of(a)
    return int(np.prod(s, dtype=np.int64)) if axis is None else s[axis]


def _result_type(*arrays_and_dtypes):
    return np.result_type(*[dtype_of(a) if isinstance(a, Tracer) else a
                            for a in arrays_and_dtypes])


def _iscomplexobj(x):
    return np.issubdtype(dtype_of(x), np.complexfloating)


for _f, _impl in [(np.shape, _shape), (np.ndim, _ndim), (np.size, _size),
                  (np.result_type, _result_type), (np.iscomplexobj, _iscomplexobj),
                  (np.isrealobj, lambda x: not _iscomplexobj(x))]:
    _core.function_table[_f] = _impl
    zero_derivative_names.add(_f.__name__)
    export(_impl, _f.__name__)

# -- integer/boolean results computed on values
for _f in [np.argsort, np.argpartition, np.argwhere, np.flatnonzero, np.searchsorted,
           np.digitize, np.bincount, np.count_nonzero, np.array_equal, np.array_equiv,
           np.allclose, np.isclose, np.unique, np.histogram, np.histogram_bin_edges,
           np.lexsort, np.may_share_memory, np.shares_memory, np.iscomplex, np.isreal,
           np.isneginf, np.isposinf, np.isin, np.in1d if hasattr(np, "in1d") else np.isin]:
    export(zero_derivative(_f), _f.__name__)

# -- in-place or output-array functions cannot be traced
for _f, _why in [
        (np.copyto, "it writes into an existing array; build the value functionally with "
                    "fnp.where or x.at[idx].set(v)"),
        (np.put, "it writes in place; use x.at[idx].set(v)"),
        (np.place, "it writes in place; use fnp.where(mask, v, x)"),
        (np.putmask, "it writes in place; use fnp.where(mask, v, x)"),
        (np.fill_diagonal, "it writes in place; use x.at[i, i].set(v)"),
        (np.put_along_axis, "it writes in place; use x.at[...].set(v)"),
        (np.save, "saving a traced value would drop its derivative; save the result instead"),
        (np.savez, "saving a traced value would drop its derivative; save the result instead")]:
    unsupported(_f, _why)
