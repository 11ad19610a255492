"""Selecting elements: take, take_along_axis, choose, compress, extract, select, piecewise."""


from __future__ import annotations

import numpy as np

from ..extend import as_array, as_type_of, to_numpy
from ..extend import Tracer, full_lower
from ._base import dtype_of, implements, is_traced, shape_of
from ._dtypes import astype
from ._elementwise import (equal_p, logical_not_p, logical_or_p, maximum_p, minimum_p, remainder_p,
                           where)
from ._indexing import at, getitem
from ._shape import broadcast_to, reshape

# ---------------------------------------------------------------------------
# take / take_along_axis / choose / compress / extract / select / piecewise
# ---------------------------------------------------------------------------

def _lower_int(ix):
    return ix if isinstance(ix, Tracer) else to_numpy(ix)   # (a CuPy index: to the host)


@implements(np.take)
def take(a, indices, axis=None, out=None, mode=None):
    """Differentiable ``np.take`` (``mode`` 'raise', 'wrap' or 'clip').

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.take(fnp.array([1.0, 2.0, 3.0]), [2, 0])
        array([3., 1.])
    """
    if not is_traced(a, indices):
        return np.take(a, indices, axis=axis, mode=mode or "raise")
    if axis is None:
        a, axis = reshape(a, (-1,)), 0
    n = shape_of(a)[axis]
    indices = _lower_int(indices)
    if mode == "wrap":
        indices = remainder_p(indices, n)
    elif mode == "clip":
        indices = minimum_p(maximum_p(indices, 0), n - 1)
    axis = axis % len(shape_of(a))
    return getitem(a, (slice(None),) * axis + (indices,))


@implements(np.take_along_axis)
def take_along_axis(arr, indices, axis=-1):
    """Differentiable ``np.take_along_axis``.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.take_along_axis(fnp.array([[1.0, 2.0]]), fnp.array([[1, 0]]), axis=1)
        array([[2., 1.]])
    """
    if not is_traced(arr, indices):
        return np.take_along_axis(arr, indices, axis=axis)
    if axis is None:
        return getitem(reshape(arr, (-1,)), indices)
    nd = len(shape_of(arr))
    axis = axis % nd
    ishape = shape_of(indices)
    if len(ishape) != nd:
        raise ValueError(f"take_along_axis: indices has {len(ishape)} dimensions, arr has {nd}")
    idx = []
    for d in range(nd):
        if d == axis:
            idx.append(_lower_int(indices))
        else:
            shp = [1] * nd
            shp[d] = shape_of(arr)[d]
            idx.append(np.arange(shape_of(arr)[d]).reshape(shp))
    return getitem(arr, tuple(idx))


@implements(np.choose)
def choose(a, choices, out=None, mode="raise"):
    """Differentiable ``np.choose`` in the choices (``a`` selects, zero derivative).

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.choose([0, 1], [fnp.array([1.0, 2.0]), fnp.array([3.0, 4.0])])
        array([1., 4.])
    """
    if not is_traced(a, *choices):
        return np.choose(a, choices, mode=mode)
    n = len(choices)
    if not isinstance(a, Tracer):
        a = as_array(a)
        if mode not in ("wrap", "clip"):
            host = to_numpy(a)
            if host.size and (host.min() < 0 or host.max() >= n):
                raise ValueError(f"choose: index out of range for {n} choices: {host}")
        for c in choices:             # a NumPy selector meets CuPy choices as CuPy
            if type(a) is not np.ndarray:
                break
            a = as_type_of(a, c)
    if mode == "wrap":
        a = remainder_p(a, n)
    elif mode == "clip":
        a = minimum_p(maximum_p(a, 0), n - 1)
    out = choices[0]
    for k in range(1, n):
        out = where(equal_p(a, k), choices[k], out)
    return broadcast_to(out, np.broadcast_shapes(shape_of(a), *[shape_of(c) for c in choices]))


@implements(np.compress)
def compress(condition, a, axis=None, out=None):
    """Differentiable ``np.compress`` (the condition is computed on values).

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.compress([True, False, True], fnp.array([1.0, 2.0, 3.0]))
        array([1., 3.])
    """
    if not is_traced(a, condition):
        return np.compress(condition, a, axis=axis)
    idx = np.flatnonzero(to_numpy(full_lower(condition)))
    return take(a, idx, axis=axis)


@implements(np.extract)
def extract(condition, arr):
    """Differentiable ``np.extract``.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.extract(fnp.array([1.0, -2.0]) > 0, fnp.array([1.0, -2.0]))
        array([1.])
    """
    if not is_traced(arr, condition):
        return np.extract(condition, arr)
    return take(arr, np.flatnonzero(to_numpy(full_lower(condition))))


@implements(np.select)
def select(condlist, choicelist, default=0):
    """Differentiable ``np.select``: the first true condition's choice, else ``default``.

    Example:
        >>> import funcad.numpy as fnp
        >>> x = fnp.array([-1.0, 2.0])
        >>> fnp.select([x < 0, x > 0], [-x, x ** 2])
        array([1., 4.])
    """
    if not is_traced(default, *condlist, *choicelist):
        return np.select(condlist, choicelist, default)
    if len(condlist) != len(choicelist):
        raise ValueError(f"select: {len(condlist)} conditions but {len(choicelist)} choices")
    out = default
    for c, v in zip(condlist[::-1], choicelist[::-1]):
        out = where(c, v, out)
    shp = np.broadcast_shapes(*[shape_of(c) for c in condlist],
                              *[shape_of(v) for v in choicelist])
    return broadcast_to(out, shp)


@implements(np.piecewise)
def piecewise(x, condlist, funclist, *args, **kw):
    """Differentiable ``np.piecewise``: each function sees only the elements it owns.

    Under vmap (conditions batched) every function is evaluated on all of
    ``x`` and the results are combined with ``where``.

    Example:
        >>> import funcad as fad, funcad.numpy as fnp
        >>> f = lambda x: fnp.piecewise(x, [x < 0, x >= 0], [lambda v: -v, lambda v: v ** 2])
        >>> fad.grad(lambda x: f(x).sum())(fnp.array([-1.0, 3.0]))
        array([-1.,  6.])
    """
    values = [f for f in funclist if not callable(f)]     # constants in place of functions
    if not is_traced(x, *(condlist if isinstance(condlist, list) else [condlist]), *values):
        return np.piecewise(x, condlist, funclist, *args, **kw)
    xs = shape_of(x)
    if isinstance(condlist, (bool, np.bool_)) or (not isinstance(condlist, list)
                                                   and len(shape_of(condlist)) == len(xs)):
        condlist = [condlist]
    n = len(condlist)
    if len(funclist) == n + 1:   # the "otherwise" function
        anyc = condlist[0]
        for c in condlist[1:]:
            anyc = logical_or_p(anyc, c)
        condlist = list(condlist) + [logical_not_p(anyc)]
    out = astype(as_type_of(np.zeros(xs, dtype_of(x)), x), dtype_of(x))
    try:
        masks = [to_numpy(full_lower(c)).astype(bool, copy=False) for c in condlist]
        if not xs:
            raise ValueError("0-d: select instead")
    except Exception:      # batched conditions or a 0-d x: evaluate everywhere and select
        for c, f in zip(condlist, funclist):
            v = f(x, *args, **kw) if callable(f) else f
            out = where(c, v, out)
        return out
    for m, f in zip(masks, funclist):
        m = np.broadcast_to(m, xs)
        if not m.any():
            continue
        v = f(getitem(x, m), *args, **kw) if callable(f) else f
        out = at(out)[m].set(v)
    return out
