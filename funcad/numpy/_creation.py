"""Array creation and conversion that accept traced values: array, asarray, *_like, astype."""

from __future__ import annotations

import numpy as np

from ._base import (Primitive, batch_elementwise, defjvp, defvjp, dtype_of, export, implements,
                    is_traced, shape_of)
from .._core import Tracer

# ---------------------------------------------------------------------------
# astype: between inexact dtypes it is differentiable; to integers or bools, not
# ---------------------------------------------------------------------------

convert_p = Primitive("convert", lambda x, *, dtype: np.asarray(x).astype(dtype))
defjvp(convert_p, lambda t, ans, x, *, dtype: convert_p(t, dtype=dtype))
defvjp(convert_p, lambda g, ans, x, *, dtype: convert_p(g, dtype=dtype_of(x)), keep=False)
batch_elementwise(convert_p)

convert_nondiff_p = Primitive("convert_nondiff", lambda x, *, dtype: np.asarray(x).astype(dtype),
                              nondiff=True)
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
        return np.asarray(x).astype(dtype)
    if dtype == dtype_of(x):
        return x
    if np.issubdtype(dtype, np.inexact) and np.issubdtype(dtype_of(x), np.inexact):
        if np.issubdtype(dtype_of(x), np.complexfloating) and not np.issubdtype(
                dtype, np.complexfloating):
            from ._complex import real
            return astype(real(x), dtype)
        return convert_p(x, dtype=dtype)
    return convert_nondiff_p(x, dtype=dtype)


export(astype, "astype")


# ---------------------------------------------------------------------------
# array / asarray: lists of traced values are stacked
# ---------------------------------------------------------------------------

def _contains_tracer(obj):
    if isinstance(obj, Tracer):
        return True
    if isinstance(obj, (list, tuple)):
        return any(_contains_tracer(o) for o in obj)
    return False


def _build(obj, dtype):
    from ._shape import stack
    if isinstance(obj, Tracer):
        return obj if dtype is None else astype(obj, dtype)
    if isinstance(obj, (list, tuple)) and _contains_tracer(obj):
        parts = [_build(o, None) for o in obj]
        dt = np.result_type(*[dtype_of(p) if hasattr(p, "dtype") else np.asarray(p).dtype
                              for p in parts])
        out = stack([p if isinstance(p, Tracer) else np.asarray(p, dt) for p in parts])
        return out if dtype is None else astype(out, dtype)
    return np.array(obj, dtype=dtype)


def array(object, dtype=None, *, copy=True, ndmin=0, **kwargs):
    """``np.array`` that also accepts traced values and (nested) lists of them.

    Example:
        >>> import funcad as fad, funcad.numpy as fnp
        >>> fad.grad(lambda x: fnp.array([x, 2 * x]).sum())(1.0)
        array(3.)
    """
    out = _build(object, dtype)
    if ndmin and len(shape_of(out)) < ndmin:
        from ._shape import reshape
        out = reshape(out, (1,) * (ndmin - len(shape_of(out))) + tuple(shape_of(out)))
    return out


def asarray(a, dtype=None, order=None, **kwargs):
    """``np.asarray`` that keeps traced values traced.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.asarray([1.0, 2.0])
        array([1., 2.])
    """
    if isinstance(a, np.ndarray) and (dtype is None or a.dtype == dtype):
        return a
    return _build(a, dtype)


export(array, "array")
export(asarray, "asarray")
export(asarray, "asanyarray")


# ---------------------------------------------------------------------------
# *_like: constants with the shape of a (possibly traced) value
# ---------------------------------------------------------------------------

def _like(fill_fn, name):
    def fn(a, dtype=None, order="K", subok=True, shape=None, **kw):
        shp = shape_of(a) if shape is None else shape
        dt = dtype_of(a) if dtype is None else dtype
        return fill_fn(shp, dt)
    fn.__name__ = name
    fn.__doc__ = (f"``np.{name}`` for traced values: a constant array (no derivative).\n\n"
                  f"    Example:\n        >>> import funcad.numpy as fnp\n"
                  f"        >>> fnp.{name}(fnp.ones(2)).shape\n        (2,)\n    ")
    return export(fn, name, getattr(np, name))


zeros_like = _like(np.zeros, "zeros_like")
ones_like = _like(np.ones, "ones_like")
empty_like = _like(np.zeros, "empty_like")


@implements(np.full_like)
def full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None):
    """``np.full_like``; a traced ``fill_value`` keeps its derivative.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.full_like(fnp.ones(2), 3.0)
        array([3., 3.])
    """
    shp = shape_of(a) if shape is None else shape
    dt = dtype_of(a) if dtype is None else dtype
    if isinstance(fill_value, Tracer):
        from ._shape import broadcast_to
        return broadcast_to(astype(fill_value, dt), shp)
    return np.full(shp, fill_value, dt)


@implements(np.copy)
def copy(a, order="K", subok=False):
    """``np.copy``: traced values are immutable, so this returns the value itself.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.copy(fnp.ones(2))
        array([1., 1.])
    """
    return a if isinstance(a, Tracer) else np.copy(a)
