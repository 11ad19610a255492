"""Joining and splitting (append, insert, unstack, h/v/dsplit, block), meshgrid, trim_zeros,
and apply_along_axis / apply_over_axes (loops of traceable calls)."""


from __future__ import annotations

import numpy as np

from ..extend import as_type_of, to_numpy
from ..extend import full_lower
from ._base import dtype_of, export, implements, is_traced, shape_of
from ._creation import asarray
from ._dtypes import astype
from ._elementwise import where
from ._indexing import getitem
from ._shape import broadcast_arrays, concatenate, expand_dims, moveaxis, reshape, split, stack

# ---------------------------------------------------------------------------
# joining and splitting
# ---------------------------------------------------------------------------

@implements(np.append)
def append(arr, values, axis=None):
    """Differentiable ``np.append``.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.append(fnp.array([1.0]), [2.0, 3.0])
        array([1., 2., 3.])
    """
    if axis is None:
        return concatenate([reshape(arr, (-1,)), reshape(values, (-1,))])
    return concatenate([arr, values], axis=axis)


@implements(np.insert)
def insert(arr, obj, values, axis=None):
    """Differentiable ``np.insert`` in ``arr`` and ``values`` (``obj`` must not be traced).

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.insert(fnp.array([1.0, 3.0]), 1, 2.0)
        array([1., 2., 3.])
    """
    if not is_traced(arr, values, obj):
        return np.insert(arr, obj, values, axis=axis)
    obj = full_lower(obj)
    n_arr = int(np.prod(shape_of(arr), dtype=np.int64))
    vshape = shape_of(values)
    n_val = int(np.prod(vshape, dtype=np.int64))
    lab_a = np.arange(n_arr).reshape(shape_of(arr))
    lab_v = (-1 - np.arange(n_val)).reshape(vshape)
    labels = np.insert(lab_a, obj, lab_v, axis=axis)
    dt = np.result_type(dtype_of(arr), dtype_of(values)) if np.issubdtype(
        dtype_of(arr), np.inexact) else dtype_of(arr)
    src_a = getitem(reshape(astype(arr, dt), (-1,)), np.maximum(labels, 0))
    src_v = getitem(reshape(astype(values, dt), (-1,)), np.maximum(-1 - labels, 0))
    return where(as_type_of(labels >= 0, src_a), src_a, src_v)


@implements(np.unstack)
def unstack(x, /, *, axis=0):
    """Differentiable ``np.unstack``.

    Example:
        >>> import funcad.numpy as fnp
        >>> len(fnp.unstack(fnp.ones((3, 2))))
        3
    """
    x = moveaxis(x, axis, 0)
    return tuple(x[i] for i in range(shape_of(x)[0]))


def _split_along(name, axis_of, min_nd):

    def fn(ary, indices_or_sections):
        nd = len(shape_of(ary))
        if nd < min_nd:
            raise ValueError(f"{name} only works on arrays of {min_nd} or more dimensions, got "
                             f"shape {shape_of(ary)}")
        return split(ary, indices_or_sections, axis_of(nd))
    fn.__name__ = name
    fn.__doc__ = (f"Differentiable ``np.{name}``.\n\n    Example:\n        >>> import funcad."
                  f"numpy as fnp\n        >>> len(fnp.{name}(fnp.ones((2, 2, 2)), 2))\n"
                  "        2\n    ")
    return export(fn, name, getattr(np, name))


hsplit = _split_along("hsplit", lambda nd: 1 if nd > 1 else 0, 1)
vsplit = _split_along("vsplit", lambda nd: 0, 2)
dsplit = _split_along("dsplit", lambda nd: 2, 3)


def _block_depth(x):
    return 1 + _block_depth(x[0]) if isinstance(x, list) else 0


def _block_ndim(x):
    if isinstance(x, list):
        return max(_block_ndim(v) for v in x)
    return len(shape_of(x))


@implements(np.block)
def block(arrays):
    """Differentiable ``np.block`` (nested lists of arrays).

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.block([[fnp.ones((1, 1)), fnp.zeros((1, 2))]]).shape
        (1, 3)
    """
    depth = _block_depth(arrays)
    nd = max(depth, _block_ndim(arrays))

    def build(x, level):
        if not isinstance(x, list):
            s = shape_of(x)
            return reshape(x, (1,) * (nd - len(s)) + tuple(s))
        return concatenate([build(v, level + 1) for v in x], axis=nd - depth + level)
    return build(arrays, 0)


@implements(np.meshgrid)
def meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    """Differentiable ``np.meshgrid``.

    Example:
        >>> import funcad.numpy as fnp
        >>> [g.shape for g in fnp.meshgrid(fnp.ones(2), fnp.ones(3))]
        [(3, 2), (3, 2)]
    """
    if not is_traced(*xi):
        return np.meshgrid(*xi, copy=copy, sparse=sparse, indexing=indexing)
    n = len(xi)
    outs = []
    for i, x in enumerate(xi):
        shp = [1] * n
        shp[i] = -1
        if indexing == "xy" and n > 1 and i < 2:
            shp[0], shp[1] = shp[1], shp[0]
        outs.append(reshape(x, shp))
    if sparse:
        return tuple(outs)
    return tuple(broadcast_arrays(*outs))


@implements(np.trim_zeros)
def trim_zeros(filt, trim="fb", axis=None):
    """Differentiable ``np.trim_zeros`` (where to cut is decided on values).

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.trim_zeros(fnp.array([0.0, 1.0, 0.0]))
        array([1.])
    """
    if not is_traced(filt):
        return np.trim_zeros(filt, trim)
    v = to_numpy(full_lower(filt))
    nz = np.flatnonzero(v)
    start = nz[0] if ("f" in trim and nz.size) else 0
    stop = nz[-1] + 1 if ("b" in trim and nz.size) else len(v)
    if not nz.size:
        start, stop = (len(v) if "f" in trim else 0), len(v)
    return filt[int(start):int(max(stop, start))]



# ---------------------------------------------------------------------------
# apply_along_axis / apply_over_axes: loops of traceable calls
# ---------------------------------------------------------------------------

@implements(np.apply_along_axis)
def apply_along_axis(func1d, axis, arr, *args, **kwargs):
    """Differentiable ``np.apply_along_axis`` (a Python loop over the 1-d slices).

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.apply_along_axis(fnp.sum, 1, fnp.ones((2, 3)))
        array([3., 3.])
    """
    if not is_traced(arr, *args):
        return np.apply_along_axis(func1d, axis, arr, *args, **kwargs)
    nd = len(shape_of(arr))
    axis = axis % nd
    x = moveaxis(arr, axis, -1)
    lead = shape_of(x)[:-1]
    outs = [func1d(x[i], *args, **kwargs) for i in np.ndindex(*lead)]
    outs = [asarray(o) for o in outs]
    res = reshape(stack(outs), tuple(lead) + tuple(shape_of(outs[0])))
    k = len(shape_of(outs[0]))
    return moveaxis(res, list(range(len(lead), len(lead) + k)),
                    list(range(axis, axis + k))) if k else res


@implements(np.apply_over_axes)
def apply_over_axes(func, a, axes):
    """Differentiable ``np.apply_over_axes``.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.apply_over_axes(fnp.sum, fnp.ones((2, 3)), [0, 1]).shape
        (1, 1)
    """
    if not is_traced(a):
        return np.apply_over_axes(func, a, axes)
    val = a
    nd = len(shape_of(a))
    for ax in np.atleast_1d(axes):
        ax = int(ax) % nd
        res = func(val, ax)
        if len(shape_of(res)) == len(shape_of(val)):
            val = res
        else:
            val = expand_dims(res, ax)
    return val
