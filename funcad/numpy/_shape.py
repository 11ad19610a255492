"""Shape primitives (reshape, transpose, broadcast_to, concatenate) and the composites on them."""

from __future__ import annotations

import math

import numpy as np

from ..extend import deflazy
from ..extend import bdim_to_front, defbatch, defsparse, defsparsity, sparse_rules, sparsity_rules
from ._base import (Primitive, def_linear_jvp, defvjp, defvjp_argnum, export, implements, is_traced,
                    like_numpy, shape_of, unbroadcast)
from ._dtypes import astype

# ---------------------------------------------------------------------------
# reshape
# ---------------------------------------------------------------------------

_reshape = Primitive("reshape", lambda x, *, newshape: np.reshape(x, newshape))
deflazy(_reshape)
defsparse(_reshape, sparse_rules.structural(_reshape))
defsparsity(_reshape, sparsity_rules.move(_reshape))
def_linear_jvp(_reshape)
defvjp(_reshape, lambda g, _ans, x, *, newshape: _reshape(g, newshape=shape_of(x)), keep=False)
defbatch(_reshape, lambda vals, dims, *, newshape:
         _reshape(vals[0], newshape=(shape_of(vals[0])[0],) + newshape))


def _resolve_shape(shape, size):
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)
    if -1 in shape:
        known = int(np.prod([s for s in shape if s != -1], dtype=np.int64))
        shape = tuple(size // known if s == -1 and known else s for s in shape)
    return shape


@implements(np.reshape)
def reshape(a, shape=None, order="C", *, newshape=None, copy=None):
    """Differentiable ``np.reshape`` (C order; ``order='F'`` goes through transposes).

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.reshape(fnp.arange(6.0), (2, -1)).shape
        (2, 3)
    """
    shape = newshape if shape is None else shape
    if order == "F":
        rev = tuple(range(len(shape_of(a))))[::-1]
        new = _resolve_shape(shape, int(np.prod(shape_of(a), dtype=np.int64)))
        return transpose(reshape(transpose(a, rev), new[::-1]), tuple(range(len(new)))[::-1])
    if order not in ("C", "A"):
        raise ValueError(f"reshape: order={order!r} is not supported; use 'C' or 'F'")
    new = _resolve_shape(shape, math.prod(shape_of(a)))
    if not is_traced(a):
        return np.reshape(a, new)
    if new == shape_of(a):
        return a
    return _reshape(a, newshape=new)


@implements(np.ravel)
def ravel(a, order="C"):
    """Differentiable ``np.ravel``.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.ravel(fnp.ones((2, 2))).shape
        (4,)
    """
    return reshape(a, (-1,), order=order)


# ---------------------------------------------------------------------------
# transpose
# ---------------------------------------------------------------------------

_transpose = Primitive("transpose", lambda x, *, perm: np.transpose(x, perm))
deflazy(_transpose)
defsparse(_transpose, sparse_rules.structural(_transpose))
defsparsity(_transpose, sparsity_rules.move(_transpose))
def_linear_jvp(_transpose)
defvjp(_transpose, lambda g, _ans, x, *, perm: _transpose(g, perm=tuple(np.argsort(perm))),
       keep=False)
defbatch(_transpose, lambda vals, dims, *, perm:
         _transpose(vals[0], perm=(0,) + tuple(p + 1 for p in perm)))


@implements(np.transpose)
def transpose(a, axes=None):
    """Differentiable ``np.transpose``.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.transpose(fnp.ones((2, 3))).shape
        (3, 2)
    """
    nd = len(shape_of(a))
    perm = tuple(range(nd))[::-1] if axes is None else tuple(int(p) % nd for p in axes)
    if not is_traced(a):
        return np.transpose(a, perm)
    if perm == tuple(range(nd)):
        return a
    return _transpose(a, perm=perm)


@implements(np.moveaxis)
def moveaxis(a, source, destination):
    """Differentiable ``np.moveaxis``.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.moveaxis(fnp.ones((2, 3, 4)), 0, -1).shape
        (3, 4, 2)
    """
    nd = len(shape_of(a))
    src = [s % nd for s in np.atleast_1d(source)]
    dst = [d % nd for d in np.atleast_1d(destination)]
    order = [i for i in range(nd) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return transpose(a, order)


@implements(np.swapaxes)
def swapaxes(a, axis1, axis2):
    """Differentiable ``np.swapaxes``.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.swapaxes(fnp.ones((2, 3)), 0, 1).shape
        (3, 2)
    """
    nd = len(shape_of(a))
    perm = list(range(nd))
    perm[axis1 % nd], perm[axis2 % nd] = perm[axis2 % nd], perm[axis1 % nd]
    return transpose(a, perm)


@implements(np.matrix_transpose)
def matrix_transpose(x):
    """Swap the last two axes (``np.matrix_transpose``).

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.matrix_transpose(fnp.ones((4, 2, 3))).shape
        (4, 3, 2)
    """
    return swapaxes(x, -1, -2)


# ---------------------------------------------------------------------------
# broadcast_to
# ---------------------------------------------------------------------------

_broadcast_to = Primitive("broadcast_to", lambda x, *, shape: np.broadcast_to(x, shape))
deflazy(_broadcast_to)
defsparse(_broadcast_to, sparse_rules.structural(_broadcast_to))
defsparsity(_broadcast_to, sparsity_rules.move(_broadcast_to))
def_linear_jvp(_broadcast_to)
defvjp(_broadcast_to, lambda g, _ans, x, *, shape: unbroadcast(g, shape_of(x)), keep=False)


def _broadcast_batch(vals, dims, *, shape):
    x = vals[0]
    xs = shape_of(x)
    k = len(shape) - (len(xs) - 1)
    if k:
        x = _reshape(x, newshape=(xs[0],) + (1,) * k + tuple(xs[1:]))
    return _broadcast_to(x, shape=(xs[0],) + tuple(shape))


defbatch(_broadcast_to, _broadcast_batch)


@implements(np.broadcast_to)
def broadcast_to(array, shape, subok=False):
    """Differentiable ``np.broadcast_to``; the VJP sums over the broadcast axes.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.broadcast_to(fnp.ones(3), (2, 3)).shape
        (2, 3)
    """
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)
    if not is_traced(array):
        return np.broadcast_to(array, shape)
    if shape_of(array) == shape:
        return array
    return _broadcast_to(array, shape=shape)


@implements(np.broadcast_arrays)
def broadcast_arrays(*args, subok=False):
    """Differentiable ``np.broadcast_arrays``.

    Example:
        >>> import funcad.numpy as fnp
        >>> [a.shape for a in fnp.broadcast_arrays(fnp.ones(3), fnp.ones((2, 1)))]
        [(2, 3), (2, 3)]
    """
    shape = np.broadcast_shapes(*[shape_of(a) for a in args])
    return tuple(broadcast_to(a, shape) for a in args)


# ---------------------------------------------------------------------------
# expand_dims / squeeze / atleast_nd: reshapes
# ---------------------------------------------------------------------------

@implements(np.expand_dims)
def expand_dims(a, axis):
    """Differentiable ``np.expand_dims``.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.expand_dims(fnp.ones(3), 0).shape
        (1, 3)
    """
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    shp = list(shape_of(a))
    nd = len(shp) + len(axes)
    for ax in sorted(x % nd for x in axes):
        shp.insert(ax, 1)
    return reshape(a, tuple(shp))


@implements(np.squeeze)
def squeeze(a, axis=None):
    """Differentiable ``np.squeeze``.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.squeeze(fnp.ones((1, 3, 1))).shape
        (3,)
    """
    shp = shape_of(a)
    if axis is None:
        axes = {i for i, s in enumerate(shp) if s == 1}
    else:
        axes = {x % len(shp) for x in ((axis,) if isinstance(axis, (int, np.integer)) else axis)}
        bad = [i for i in axes if shp[i] != 1]
        if bad:
            raise ValueError(f"squeeze: axis {bad[0]} has size {shp[bad[0]]}, not 1 (shape {shp})")
    return reshape(a, tuple(s for i, s in enumerate(shp) if i not in axes))


def _atleast(nd, places):
    def fn(*arys):
        out = []
        for a in arys:
            shp = shape_of(a)
            if len(shp) < nd:
                a = reshape(a, places(shp))
            out.append(a)
        return out[0] if len(out) == 1 else tuple(out)
    return fn


_LINEAR = "Linear (a reshape): its derivative reshapes the tangent the same way."
atleast_1d = export(like_numpy(_atleast(1, lambda s: (1,) if not s else s), np.atleast_1d,
                               _LINEAR), "atleast_1d", np.atleast_1d)
atleast_2d = export(like_numpy(_atleast(2, lambda s: (1,) * (2 - len(s)) + tuple(s)),
                               np.atleast_2d, _LINEAR), "atleast_2d", np.atleast_2d)
atleast_3d = export(like_numpy(_atleast(3, lambda s: {0: (1, 1, 1), 1: (1,) + tuple(s) + (1,),
                                                      2: tuple(s) + (1,)}[len(s)]),
                               np.atleast_3d, _LINEAR), "atleast_3d", np.atleast_3d)

# ---------------------------------------------------------------------------
# concatenate (variadic) and the stacking composites
# ---------------------------------------------------------------------------

_concatenate = Primitive("concatenate", lambda *xs, axis: np.concatenate(xs, axis=axis))
deflazy(_concatenate)
defsparse(_concatenate, sparse_rules.concatenate(_concatenate))
defsparsity(_concatenate, sparsity_rules.move(_concatenate, data=None))
def_linear_jvp(_concatenate)


def _concat_vjp(j, g, _ans, *xs, axis):
    start = sum(shape_of(x)[axis] for x in xs[:j])
    idx = (slice(None),) * axis + (slice(start, start + shape_of(xs[j])[axis]),)
    return g[idx]


defvjp_argnum(_concatenate, _concat_vjp, keep=False)


def _concat_batch(vals, dims, *, axis):
    size = next(shape_of(v)[0] for v, d in zip(vals, dims) if d is not None)
    return _concatenate(*[bdim_to_front(v, d, size) for v, d in zip(vals, dims)], axis=axis + 1)


defbatch(_concatenate, _concat_batch)


@implements(np.concatenate)
def concatenate(arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    """Differentiable ``np.concatenate``.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.concatenate([fnp.ones(2), fnp.zeros(3)]).shape
        (5,)
    """
    arrays = list(arrays)
    if axis is None:
        arrays, axis = [ravel(a) for a in arrays], 0
    if dtype is not None:
        arrays = [astype(a, dtype) for a in arrays]
    if not is_traced(*arrays):
        return np.concatenate(arrays, axis=axis)
    nd = len(shape_of(arrays[0]))
    return _concatenate(*arrays, axis=axis % nd)


@implements(np.stack)
def stack(arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    """Differentiable ``np.stack``.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.stack([fnp.ones(2), fnp.zeros(2)]).shape
        (2, 2)
    """
    arrays = list(arrays)
    if not is_traced(*arrays):      # (Dask's stack takes no dtype)
        return (np.stack(arrays, axis=axis) if dtype is None else
                np.stack(arrays, axis=axis, dtype=dtype))
    shapes = {shape_of(a) for a in arrays}
    if len(shapes) != 1:
        raise ValueError(f"stack: all input arrays must have the same shape, got {sorted(shapes)}")
    return concatenate([expand_dims(a, axis) for a in arrays], axis=axis, dtype=dtype)


@implements(np.vstack, np.row_stack if hasattr(np, "row_stack") else np.vstack)
def vstack(tup, dtype=None, casting="same_kind"):
    """Differentiable ``np.vstack``.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.vstack([fnp.ones(2), fnp.zeros(2)]).shape
        (2, 2)
    """
    return concatenate([atleast_2d(a) for a in tup], axis=0, dtype=dtype)


@implements(np.hstack)
def hstack(tup, dtype=None, casting="same_kind"):
    """Differentiable ``np.hstack``.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.hstack([fnp.ones(2), fnp.zeros(3)]).shape
        (5,)
    """
    arrs = [atleast_1d(a) for a in tup]
    return concatenate(arrs, axis=0 if len(shape_of(arrs[0])) == 1 else 1, dtype=dtype)


@implements(np.dstack)
def dstack(tup):
    """Differentiable ``np.dstack``.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.dstack([fnp.ones((2, 2)), fnp.zeros((2, 2))]).shape
        (2, 2, 2)
    """
    return concatenate([atleast_3d(a) for a in tup], axis=2)


@implements(np.column_stack)
def column_stack(tup):
    """Differentiable ``np.column_stack``.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.column_stack([fnp.ones(3), fnp.zeros(3)]).shape
        (3, 2)
    """
    return concatenate([reshape(a, (-1, 1)) if len(shape_of(a)) < 2 else a for a in tup], axis=1)


# ---------------------------------------------------------------------------
# split: slices
# ---------------------------------------------------------------------------

@implements(np.array_split)
def array_split(ary, indices_or_sections, axis=0):
    """Differentiable ``np.array_split``.

    Example:
        >>> import funcad.numpy as fnp
        >>> [p.shape for p in fnp.array_split(fnp.ones(5), 2)]
        [(3,), (2,)]
    """
    n = shape_of(ary)[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        k = int(indices_or_sections)
        q, r = divmod(n, k)
        sizes = [q + 1] * r + [q] * (k - r)
        bounds = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
    else:
        bounds = [0] + [int(i) for i in indices_or_sections] + [n]
    nd = len(shape_of(ary))
    axis = axis % nd
    return [ary[(slice(None),) * axis + (slice(int(a), int(b)),)]
            for a, b in zip(bounds[:-1], bounds[1:])]


@implements(np.split)
def split(ary, indices_or_sections, axis=0):
    """Differentiable ``np.split``.

    Example:
        >>> import funcad.numpy as fnp
        >>> [p.shape for p in fnp.split(fnp.ones(4), 2)]
        [(2,), (2,)]
    """
    if isinstance(indices_or_sections, (int, np.integer)):
        n = shape_of(ary)[axis]
        if n % indices_or_sections:
            raise ValueError(f"split: array of size {n} along axis {axis} does not divide into "
                             f"{indices_or_sections} equal parts; use array_split")
    return array_split(ary, indices_or_sections, axis)
