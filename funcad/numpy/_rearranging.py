"""Rearranging functions: flip, roll, rot90, tile, repeat, diagonal, trace, diag, tril, pad ...

Most of them only move, copy or drop elements. Those are computed once on an
array of *labels* (``arange(size)`` in the input's shape) by NumPy itself; the
traced result is then one gather ``ravel(x)[labels]``. That is exact, its
derivative is a scatter-add (so duplicated elements accumulate), it batches
through getitem's batching rule, and NumPy's own shape logic is reused as is.
"""

from __future__ import annotations

import numpy as np

from ..extend import Tracer, as_type_of, full_lower
from . import _reductions
from ._base import dtype_of, export, implements, is_traced, shape_of
from ._elementwise import where
from ._indexing import getitem, index_set_p
from ._shape import concatenate, reshape, transpose

__all__ = ["rearrange"]


def rearrange(np_fn, a, *args, **kwargs):
    """Apply an element-moving NumPy function to ``a`` by gathering through labels.

    Args:
      np_fn: a NumPy function that only moves, copies or drops elements.
      a: the (possibly traced) array; ``args``/``kwargs``: static arguments of ``np_fn``.

    Returns:
      ``np_fn(a, *args, **kwargs)``, differentiable in ``a``.

    Example:
        >>> import numpy as np, funcad.numpy as fnp
        >>> from funcad.numpy._rearranging import rearrange
        >>> rearrange(np.flip, fnp.array([1.0, 2.0, 3.0]))
        array([3., 2., 1.])
    """
    if not is_traced(a):
        return np_fn(np.asarray(a), *args, **kwargs)
    shp = shape_of(a)
    labels = np.arange(int(np.prod(shp, dtype=np.int64))).reshape(shp)
    idx = np_fn(labels, *args, **kwargs)
    if isinstance(idx, (list, tuple)):
        return type(idx)(getitem(reshape(a, (-1,)), np.asarray(i)) for i in idx)
    return getitem(reshape(a, (-1,)), np.asarray(idx))


def _gathering(np_fn, name=None, example=None):
    """A funcad.numpy function for an element-moving NumPy function."""
    name = name or np_fn.__name__

    def fn(a, *args, **kwargs):
        return rearrange(np_fn, a, *args, **kwargs)
    fn.__name__ = name
    fn.__doc__ = (f"Differentiable ``np.{name}`` (a gather: exact; repeated elements accumulate "
                  "their derivatives).\n\n    Args:\n      a: the array; the other arguments "
                  f"are those of np.{name} and must not be traced.\n\n    Returns:\n      "
                  f"np.{name}(a, ...).\n\n    Example:\n        >>> import funcad.numpy as fnp\n"
                  f"        >>> {example[0]}\n        {example[1]}\n    ")
    return export(fn, name, np_fn)




# flips, rolls and rotations are slices, concatenations and transposes (cheaper than gathers)

def _axes_of(axis, nd):
    if axis is None:
        return tuple(range(nd))
    return tuple(a % nd for a in (axis if isinstance(axis, (tuple, list)) else (axis,)))


@implements(np.flip)
def flip(m, axis=None):
    """Differentiable ``np.flip`` (a reversed slice).

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.flip(fnp.array([1.0, 2.0]))
        array([2., 1.])
    """
    if not is_traced(m):
        return np.flip(m, axis)
    nd = len(shape_of(m))
    axes = _axes_of(axis, nd)
    return getitem(m, tuple(slice(None, None, -1) if i in axes else slice(None)
                            for i in range(nd)))


@implements(np.fliplr)
def fliplr(m):
    """Differentiable ``np.fliplr``.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.fliplr(fnp.eye(2))[0]
        array([0., 1.])
    """
    if len(shape_of(m)) < 2:
        raise ValueError(f"fliplr: input must be at least 2-d, got shape {shape_of(m)}")
    return flip(m, 1)


@implements(np.flipud)
def flipud(m):
    """Differentiable ``np.flipud``.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.flipud(fnp.eye(2))[0]
        array([0., 1.])
    """
    if len(shape_of(m)) < 1:
        raise ValueError("flipud: input must be at least 1-d")
    return flip(m, 0)


@implements(np.rot90)
def rot90(m, k=1, axes=(0, 1)):
    """Differentiable ``np.rot90``.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.rot90(fnp.ones((2, 3))).shape
        (3, 2)
    """
    if not is_traced(m):
        return np.rot90(m, k, axes)
    nd = len(shape_of(m))
    a0, a1 = axes[0] % nd, axes[1] % nd
    if a0 == a1:
        raise ValueError(f"rot90: axes must be different, got {axes}")
    k %= 4
    if k == 0:
        return m
    if k == 2:
        return flip(flip(m, a0), a1)
    perm = list(range(nd))
    perm[a0], perm[a1] = perm[a1], perm[a0]
    return transpose(flip(m, a1), perm) if k == 1 else flip(transpose(m, perm), a1)


@implements(np.roll)
def roll(a, shift, axis=None):
    """Differentiable ``np.roll`` (two slices joined per axis).

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.roll(fnp.array([1.0, 2.0, 3.0]), 1)
        array([3., 1., 2.])
    """
    if not is_traced(a):
        return np.roll(a, shift, axis)
    if axis is None:
        return reshape(roll(reshape(a, (-1,)), shift, 0), shape_of(a))
    nd = len(shape_of(a))
    axes = _axes_of(axis, nd)
    shifts = np.broadcast_to(np.asarray(shift), (len(axes),)) if np.ndim(shift) else \
        (shift,) * len(axes)
    total = {}
    for s_, ax in zip(shifts, axes):
        total[ax] = total.get(ax, 0) + int(s_)
    for ax, s_ in total.items():
        n = shape_of(a)[ax]
        s_ = s_ % n if n else 0
        if s_:
            pre = (slice(None),) * ax
            a = concatenate([a[pre + (slice(n - s_, None),)], a[pre + (slice(0, n - s_),)]],
                            axis=ax)
    return a

tile = _gathering(np.tile, example=("fnp.tile(fnp.array([1.0, 2.0]), 2)",
                                    "array([1., 2., 1., 2.])"))
resize = _gathering(np.resize, example=("fnp.resize(fnp.array([1.0, 2.0]), 3)",
                                        "array([1., 2., 1.])"))
rollaxis = _gathering(np.rollaxis, example=("fnp.rollaxis(fnp.ones((2, 3, 4)), 2).shape",
                                            "(4, 2, 3)"))
sliding_window_view = _gathering(
    np.lib.stride_tricks.sliding_window_view,
    example=("fnp.sliding_window_view(fnp.arange(4.0), 2).shape", "(3, 2)"))
delete = _gathering(np.delete, example=("fnp.delete(fnp.array([1.0, 2.0, 3.0]), 1)",
                                        "array([1., 3.])"))


@implements(np.repeat)
def repeat(a, repeats, axis=None):
    """Differentiable ``np.repeat``; the derivative of a repeated element sums over its copies.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.repeat(fnp.array([1.0, 2.0]), 2)
        array([1., 1., 2., 2.])
    """
    return rearrange(np.repeat, a, full_lower(repeats), axis)


@implements(np.diagonal)
def diagonal(a, offset=0, axis1=0, axis2=1):
    """Differentiable ``np.diagonal``.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.diagonal(fnp.array([[1.0, 2.0], [3.0, 4.0]]))
        array([1., 4.])
    """
    return rearrange(lambda lab: np.diagonal(lab, offset, axis1, axis2).copy(), a)


@implements(np.trace)
def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    """Differentiable ``np.trace``.

    Example:
        >>> import funcad.numpy as fnp
        >>> float(fnp.trace(fnp.array([[1.0, 2.0], [3.0, 4.0]])))
        5.0
    """
    if not is_traced(a):
        return np.trace(a, offset, axis1, axis2, dtype=dtype)
    return _reductions.sum(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype)


def _labels_with_fill(np_fn, a, *args, **kwargs):
    """Labels for functions that also create new elements: those get label -1."""
    shp = shape_of(a)
    labels = np.arange(int(np.prod(shp, dtype=np.int64))).reshape(shp)
    return np_fn(labels, *args, **kwargs)


def _gather_or_fill(a, labels, fill):
    src = getitem(reshape(a, (-1,)), np.maximum(labels, 0))
    return where(as_type_of(labels >= 0, src), src, as_type_of(fill, src))


@implements(np.diag)
def diag(v, k=0):
    """Differentiable ``np.diag``: the diagonal of a matrix, or a matrix with ``v`` on it.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.diag(fnp.array([1.0, 2.0]))
        array([[1., 0.],
               [0., 2.]])
    """
    if not is_traced(v):
        return np.diag(v, k)
    if len(shape_of(v)) == 2:
        return diagonal(v, k)
    if len(shape_of(v)) != 1:
        raise ValueError(f"diag: input must be 1-d or 2-d, got shape {shape_of(v)}")
    n = shape_of(v)[0]
    labels = np.diag(np.arange(1, n + 1), k) - 1    # 0 off the diagonal -> -1
    return _gather_or_fill(v, labels, np.zeros((), dtype_of(v)))


@implements(np.diagflat)
def diagflat(v, k=0):
    """Differentiable ``np.diagflat``.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.diagflat(fnp.array([[1.0, 2.0]])).shape
        (2, 2)
    """
    return diag(reshape(v, (-1,)), k)


def _tri_mask(np_tri, m, k):
    shp = shape_of(m)
    return as_type_of(np_tri(np.ones(shp[-2:], dtype=bool), k), m)


@implements(np.tril)
def tril(m, k=0):
    """Differentiable ``np.tril`` (zero derivative above the k-th diagonal).

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.tril(fnp.ones((2, 2)))
        array([[1., 0.],
               [1., 1.]])
    """
    if not is_traced(m):
        return np.tril(m, k)
    return where(_tri_mask(np.tril, m, k), m, as_type_of(np.zeros((), dtype_of(m)), m))


@implements(np.triu)
def triu(m, k=0):
    """Differentiable ``np.triu`` (zero derivative below the k-th diagonal).

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.triu(fnp.ones((2, 2)))
        array([[1., 1.],
               [0., 1.]])
    """
    if not is_traced(m):
        return np.triu(m, k)
    return where(_tri_mask(np.triu, m, k), m, as_type_of(np.zeros((), dtype_of(m)), m))


# ---------------------------------------------------------------------------
# pad: the linear modes
# ---------------------------------------------------------------------------

_GATHER_MODES = ("edge", "reflect", "symmetric", "wrap")


def _pad_constant(a, pad_width, cv):
    """``np.pad(a, pad_width, constant_values=cv)`` for a constant scalar ``cv``: the filled
    array with ``a`` written into its interior (a slice, where the general path gathers
    through labels). ``None`` for a ``pad_width`` it does not read as (before, after) pairs."""
    if np.iscomplexobj(cv) and np.dtype(dtype_of(a)).kind != "c":
        return None                     # the general path promotes to complex, as before
    shp = tuple(shape_of(a))
    try:
        w = np.broadcast_to(np.asarray(pad_width), (len(shp), 2))
    except ValueError:
        return None
    if w.dtype.kind not in "iu" or (w < 0).any():
        return None
    w = w.tolist()
    base = as_type_of(np.full(tuple(b + n + e for (b, e), n in zip(w, shp)), cv, dtype_of(a)), a)
    inner = tuple(slice(b, b + n) for (b, _), n in zip(w, shp))
    return index_set_p(base, a, tree=inner)


@implements(np.pad)
def pad(array, pad_width, mode="constant", **kwargs):
    """Differentiable ``np.pad`` for the linear modes.

    Supported modes: ``constant`` (the constant may be traced), ``edge``,
    ``reflect``, ``symmetric``, ``wrap`` (``reflect_type='even'``), ``empty``
    (filled with 0). The other modes (``linear_ramp``, ``maximum``, ``mean``,
    ``median``, ``minimum``, callables) raise NotImplementedError.

    Args:
      array: the array; pad_width, mode, kwargs: as in np.pad (static).

    Returns:
      The padded array.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.pad(fnp.array([1.0, 2.0]), 1, mode="edge")
        array([1., 1., 2., 2.])
    """
    if not is_traced(array, kwargs.get("constant_values")):
        return np.pad(array, pad_width, mode, **kwargs)
    if kwargs.get("reflect_type", "even") != "even":
        raise NotImplementedError("pad: reflect_type='odd' is not supported on traced values")
    if mode in _GATHER_MODES:
        return rearrange(np.pad, array, pad_width, mode)
    if mode in ("constant", "empty"):
        cv = kwargs.get("constant_values", 0) if mode == "constant" else 0
        if not isinstance(cv, Tracer) and np.ndim(cv) == 0:
            out = _pad_constant(array, pad_width, cv)
            if out is not None:
                return out
        labels = _labels_with_fill(np.pad, array, pad_width, "constant", constant_values=-1)
        if isinstance(cv, Tracer) or np.ndim(cv) == 0:
            return _gather_or_fill(array, labels, cv)
        # per-axis (before, after) constants: fill axis by axis, last axis first (like NumPy)
        widths = np.broadcast_to(np.asarray(pad_width), (len(shape_of(array)), 2))
        cvs = np.broadcast_to(np.asarray(cv), (len(shape_of(array)), 2))
        out = _gather_or_fill(array, labels, 0.0)
        nd = len(shape_of(array))
        for ax in range(nd):
            pos = np.arange(shape_of(out)[ax])
            before = pos < widths[ax, 0]
            after = pos >= shape_of(out)[ax] - widths[ax, 1]
            shp = [1] * nd
            shp[ax] = -1
            out = where(reshape(before, shp), cvs[ax, 0],
                        where(reshape(after, shp), cvs[ax, 1], out))
        return out
    raise NotImplementedError(
        f"pad: mode={mode!r} is not supported on traced values; use one of the linear modes "
        f"'constant', 'edge', 'reflect', 'symmetric', 'wrap', or build the padding with "
        "fnp.concatenate")


