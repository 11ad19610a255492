"""Array creation and conversion that accept traced values: array, asarray, *_like, linspace."""

from __future__ import annotations

import functools

import numpy as np

from ._base import (Primitive, as_type_of_any, dtype_of, export, implements, is_traced, public,
                    shape_of)
from ._dtypes import astype
from ._elementwise import exp_p, log_p, positive_p, power_p, sign_p
from ._indexing import at
from ._shape import broadcast_to, moveaxis, reshape, stack
from ..extend import to_numpy, zeros_like_type
from ..extend import Tracer, active_traces, full_lower, is_foreign, lift
from ..errors import TracerArrayConversionError

# ---------------------------------------------------------------------------
# array / asarray: lists of traced values are stacked
# ---------------------------------------------------------------------------

def holds_tracer(obj) -> bool:
    """Whether ``obj`` is a traced value or a (nested) list/tuple holding one."""
    if isinstance(obj, Tracer) or is_foreign(obj):     # (a Dask array's list stays lazy)
        return True
    if isinstance(obj, (list, tuple)):
        return any(holds_tracer(o) for o in obj)
    return False


def _build(obj, dtype):
    if isinstance(obj, Tracer) or is_foreign(obj):
        return obj if dtype is None else astype(obj, dtype)
    if isinstance(obj, (list, tuple)) and holds_tracer(obj):
        parts = [_build(o, None) for o in obj]
        dt = np.result_type(*[dtype_of(p) if hasattr(p, "dtype") else np.asarray(p).dtype
                              for p in parts])
        out = stack([p if isinstance(p, Tracer) or is_foreign(p) else np.asarray(p, dt)
                     for p in parts])
        return out if dtype is None else astype(out, dtype)
    return np.array(obj, dtype=dtype)


def from_sequence(obj):
    """A list/tuple holding traced values as one traced array (a stack of its leaves).

    A ragged sequence (``[[a], [b, c]]``, what ``concatenate`` takes) becomes a list
    whose elements are converted the same way. Anything else is returned unchanged.
    """
    if type(obj) not in (list, tuple) or not holds_tracer(obj):
        return obj
    try:
        return _build(obj, None)
    except ValueError:          # ragged: a sequence of arrays of different shapes
        return [from_sequence(o) for o in obj]


def retry_with_arrays(fn, args, kwargs: dict, err: Exception):
    """Call ``fn`` again with its list/tuple arguments holding traced values converted by
    :func:`from_sequence`; raise ``err`` (NumPy met a traced value in a list) if there are none."""
    new_args = [from_sequence(a) for a in args]
    new_kwargs = {k: from_sequence(v) for k, v in kwargs.items()}
    if all(a is b for a, b in zip(new_args, args)) and all(
            new_kwargs[k] is v for k, v in kwargs.items()):
        raise err
    return fn(*new_args, **new_kwargs)


export(retry_with_arrays, "retry_with_arrays")
del public["retry_with_arrays"]      # an ops entry for the NumPy hooks, not a public name


def accepts_sequences(fn):
    """``fn``, also accepting lists and tuples holding traced values where NumPy takes arrays.

    ``fn`` runs as is; only when NumPy meets a traced value inside a list (it raises
    ``TracerArrayConversionError``) is it called again through :func:`retry_with_arrays`.
    Calls on arrays pay one Python call and nothing else.
    """
    @functools.wraps(fn)
    def call(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except TracerArrayConversionError as e:
            return retry_with_arrays(fn, args, kwargs, e)
    if isinstance(fn, Primitive):
        call.__name__ = call.__qualname__ = fn.name
        call.__doc__ = f"``numpy.{fn.name}``, differentiable (the primitive ``{fn.name}``)."
    return call


def array(object, dtype=None, *, copy=True, ndmin=0, **kwargs):
    """``np.array`` that also accepts traced values and (nested) lists of them.

    Example:
        >>> import funcad as fad, funcad.numpy as fnp
        >>> fad.grad(lambda x: fnp.array([x, 2 * x]).sum())(1.0)
        array(3.)
    """
    out = _build(object, dtype)
    if ndmin and len(shape_of(out)) < ndmin:
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
# *_like and copy: inside a transform the result is a traced value of the
# innermost transform, so that traced values can be written into it
# (d = np.zeros_like(y); d[1:-1] = y[:-2] - y[2:])
# ---------------------------------------------------------------------------

def writable(x):
    """``x`` as a value of the innermost running transform (unchanged when none runs).

    A constant becomes a tracer with a zero derivative; a tracer of an enclosing
    transform keeps its derivative there. Writing any traced value of the running
    transforms into the result then works (``x[idx] = v``).
    """
    s = active_traces()
    if not s or (isinstance(x, Tracer) and x._trace is s[-1]):
        return x
    return lift(x)


def _like(fill_fn, name):
    def fn(a, dtype=None, order="K", subok=True, shape=None, **kw):
        shp = shape_of(a) if shape is None else shape
        dt = dtype_of(a) if dtype is None else dtype
        return writable(fill_fn(shp, dt))
    fn.__name__ = name
    fn.__doc__ = (f"``np.{name}``: a constant array (no derivative) with the shape and dtype "
                  "of ``a``.\n\n"
                  "    Inside a transform the result is a traced constant, so traced values can "
                  "be written into it.\n\n"
                  "    Args:\n        a: an array or traced value; only its shape and dtype are "
                  "read.\n        dtype, shape: as in NumPy.\n\n"
                  "    Returns:\n        The new array.\n\n"
                  "    Example:\n        >>> import funcad as fad, funcad.numpy as fnp\n"
                  "        >>> def f(y):\n"
                  f"        ...     d = fnp.{name}(y)\n"
                  "        ...     d[0] = y[1] ** 2\n"
                  "        ...     return d.sum()\n"
                  "        >>> fad.grad(f)(fnp.array([1.0, 3.0])).tolist()\n"
                  "        [0.0, 6.0]\n    ")
    return export(fn, name, getattr(np, name))


zeros_like = _like(np.zeros, "zeros_like")
ones_like = _like(np.ones, "ones_like")
empty_like = _like(np.zeros, "empty_like")


@implements(np.full_like)
def full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None, **kw):
    """``np.full_like``; a traced ``fill_value`` keeps its derivative.

    Inside a transform the result is traced, so traced values can be written into it.

    Args:
        a: an array or traced value; only its shape and dtype are read.
        fill_value: the value of every entry (may be traced).
        dtype, shape: as in NumPy.

    Returns:
        The new array.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.full_like(fnp.ones(2), 3.0)
        array([3., 3.])
    """
    shp = shape_of(a) if shape is None else shape
    dt = dtype_of(a) if dtype is None else dtype
    if isinstance(fill_value, Tracer):
        return writable(broadcast_to(astype(fill_value, dt), shp))
    return writable(np.full(shp, fill_value, dt))


@implements(np.copy)
def copy(a, order="K", subok=False):
    """``np.copy``: a new traced value (identity, derivative 1).

    It is a distinct tracer, so ``y = x.copy(); y[0] = v`` rebinds ``y`` only; inside
    a transform it belongs to the innermost one, so any traced value can be written in.

    Args:
        a: an array or traced value.

    Returns:
        The copy.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.copy(fnp.ones(2))
        array([1., 1.])
    """
    if not isinstance(a, Tracer):
        return writable(np.copy(a))
    return writable(positive_p(a))


# ---------------------------------------------------------------------------
# zeros / ones / empty / full: inside a transform they are traced constants,
# so that traced values can be written into them (a = fnp.zeros(3); a[0] = x)
# ---------------------------------------------------------------------------

def _lifted(np_fn, name):

    def fn(shape, dtype=float, order="C", **kw):
        return lift(np_fn(shape, dtype=dtype, order=order, **kw))
    fn.__name__ = name
    fn.__doc__ = (f"``np.{name}``; inside a transform the result is a traced constant that "
                  "traced values can be written into.\n\n    Example:\n"
                  "        >>> import funcad as fad, funcad.numpy as fnp\n"
                  "        >>> def f(x):\n"
                  f"        ...     a = fnp.{name}(2)\n"
                  "        ...     a[1] = x ** 2\n"
                  "        ...     return a.sum()\n"
                  "        >>> float(fad.grad(f)(3.0))\n        6.0\n    ")
    return export(fn, name)


zeros = _lifted(np.zeros, "zeros")
ones = _lifted(np.ones, "ones")
empty = _lifted(np.zeros, "empty")


def full(shape, fill_value, dtype=None, order="C"):
    """``np.full``; a traced ``fill_value`` keeps its derivative, and inside a transform the
    result is a traced constant that traced values can be written into.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.full(2, 7.0)
        array([7., 7.])
    """
    if isinstance(fill_value, Tracer):
        v = fill_value if dtype is None else astype(fill_value, dtype)
        return writable(broadcast_to(v, (shape,) if isinstance(shape, (int, np.integer))
                                     else shape))
    if is_foreign(fill_value):       # a CuPy (Dask) fill value: a result of its array type
        v = fill_value if dtype is None else fill_value.astype(dtype)
        shp = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
        try:
            fits = np.broadcast_shapes(shape_of(v), shp) == shp
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"full: a fill value of shape {shape_of(v)} does not broadcast "
                             f"to the shape {shp}")
        return lift(zeros_like_type(shp, dtype_of(v), like=v) + v)
    return lift(np.full(shape, fill_value, dtype=dtype, order=order))


export(full, "full")


# ---------------------------------------------------------------------------
# ranges and fills with traced endpoints / fill values
# ---------------------------------------------------------------------------

@implements(np.linspace)
def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, *,
             device=None):
    """``np.linspace``, differentiable in ``start`` and ``stop``.

    Example:
        >>> import funcad as fad, funcad.numpy as fnp
        >>> fad.grad(lambda b: fnp.linspace(0.0, b, 3).sum())(2.0)
        array(1.5)
    """
    if not is_traced(start, stop):
        return np.linspace(start, stop, num, endpoint, retstep, dtype, axis)
    num = int(num)
    div = (num - 1) if endpoint else num
    bshape = np.broadcast_shapes(shape_of(start), shape_of(stop))
    # NumPy's dtype rule: the endpoints' and a weak Python float (float32 stays float32)
    dt = np.result_type(*[dtype_of(v) if hasattr(v, "dtype") else v for v in (start, stop)], 1.0)
    t = as_type_of_any(np.arange(num, dtype=dt).reshape((num,) + (1,) * len(bshape)),
                       start, stop)             # CuPy endpoints: a CuPy range
    step = (stop - start) / float(div) if div > 0 else (stop - start) * np.nan
    y = start + t * step if div > 0 else start + 0 * t * stop
    if endpoint and num > 1:
        y = at(y)[-1].set(stop + 0 * start)
    if axis != 0:
        y = moveaxis(y, 0, axis)
    if dtype is not None:
        y = astype(y, dtype)
    return (y, step) if retstep else y


@implements(np.logspace)
def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    """``np.logspace``, differentiable in ``start``, ``stop`` and ``base``.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.logspace(0.0, 2.0, 3)
        array([  1.,  10., 100.])
    """
    if not is_traced(start, stop, base):
        return np.logspace(start, stop, num, endpoint, base, dtype, axis)
    y = power_p(base, linspace(start, stop, num, endpoint, axis=axis))
    return y if dtype is None else astype(y, dtype)


@implements(np.geomspace)
def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """``np.geomspace`` (positive or negative real endpoints), differentiable in both.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.geomspace(1.0, 100.0, 3)
        array([  1.,  10., 100.])
    """
    if not is_traced(start, stop):
        return np.geomspace(start, stop, num, endpoint, dtype, axis)
    s = sign_p(start)
    try:
        sv, tv = to_numpy(full_lower(s)), to_numpy(full_lower(sign_p(stop)))
    except Exception:      # batched by vmap: the values cannot be checked here
        sv = tv = np.ones(())
    if np.any(sv == 0) or np.any(tv != sv):
        raise ValueError("geomspace: start and stop must be nonzero and of the same sign "
                         "(complex endpoints are not supported on traced values)")
    y = s * exp_p(linspace(log_p(s * start), log_p(s * stop), num, endpoint, axis=axis))
    # as NumPy: the result is at least float64 unless dtype= says otherwise
    return astype(y, np.result_type(dtype_of(start), dtype_of(stop), np.float64)
                  if dtype is None else dtype)


def _full_like_dispatch(shape, fill_value, dtype=None, order="C", *, device=None, like=None):
    return full(shape, fill_value, dtype, order)


_full_like_dispatch.__doc__ = full.__doc__

from .. import extend  # noqa: E402
extend.function_table[np.full] = _full_like_dispatch


def _like_constant(np_fn):
    """``np.zeros(..., like=tracer)`` etc.: the result is a constant NumPy array."""
    def fn(*args, like=None, **kwargs):
        return np_fn(*args, **kwargs)
    fn.__name__ = np_fn.__name__
    return fn


for _f in [np.zeros, np.ones, np.empty, np.eye, np.identity, np.tri, np.arange,
           np.fromfunction]:
    extend.function_table[_f] = _like_constant(_f)



@implements(np.ascontiguousarray)
def ascontiguousarray(a, dtype=None, *, like=None):
    """``np.ascontiguousarray``: a traced value is returned as is (layout does not apply).

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.ascontiguousarray(fnp.ones(2)).shape
        (2,)
    """
    return asarray(a, dtype)


@implements(np.asfortranarray)
def asfortranarray(a, dtype=None, *, like=None):
    """``np.asfortranarray``: a traced value is returned as is (layout does not apply).

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.asfortranarray(fnp.ones(2)).shape
        (2,)
    """
    return asarray(a, dtype)


@implements(np.require)
def require(a, dtype=None, requirements=None, *, like=None):
    """``np.require``: traced values already satisfy every layout requirement.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.require(fnp.ones(2), float).dtype
        dtype('float64')
    """
    return asarray(a, dtype)


export(np.fromfunction, "fromfunction")
implements(np.array)(array)
implements(np.asarray)(asarray)
implements(np.asanyarray)(asarray)
