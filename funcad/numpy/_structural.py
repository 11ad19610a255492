"""Rearranging functions: take, flip, roll, tile, repeat, pad, diagonal, tril, insert, block ...

Most of them only move, copy or drop elements. Those are computed once on an
array of *labels* (``arange(size)`` in the input's shape) by NumPy itself; the
traced result is then one gather ``ravel(x)[labels]``. That is exact, its
derivative is a scatter-add (so duplicated elements accumulate), it batches
through getitem's batching rule, and NumPy's own shape logic is reused as is.
"""

from __future__ import annotations

import numpy as np

from ..extend import Tracer, full_lower
from ._base import dtype_of, export, implements, is_traced, shape_of
from ._elementwise import equal_p, where
from ._indexing import getitem
from ._shape import broadcast_arrays, broadcast_to, concatenate, moveaxis, reshape, stack

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
        >>> from funcad.numpy._structural import rearrange
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
    from ._shape import transpose
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
    from ._reductions import sum
    if not is_traced(a):
        return np.trace(a, offset, axis1, axis2, dtype=dtype)
    return sum(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype)


def _labels_with_fill(np_fn, a, *args, **kwargs):
    """Labels for functions that also create new elements: those get label -1."""
    shp = shape_of(a)
    labels = np.arange(int(np.prod(shp, dtype=np.int64))).reshape(shp)
    return np_fn(labels, *args, **kwargs)


def _gather_or_fill(a, labels, fill):
    src = getitem(reshape(a, (-1,)), np.maximum(labels, 0))
    return where(labels >= 0, src, fill)


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
    return np_tri(np.ones(shp[-2:], dtype=bool), k)


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
    return where(_tri_mask(np.tril, m, k), m, np.zeros((), dtype_of(m)))


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
    return where(_tri_mask(np.triu, m, k), m, np.zeros((), dtype_of(m)))


# ---------------------------------------------------------------------------
# pad: the linear modes
# ---------------------------------------------------------------------------

_GATHER_MODES = ("edge", "reflect", "symmetric", "wrap")


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


# ---------------------------------------------------------------------------
# take / take_along_axis / choose / compress / extract / select / piecewise
# ---------------------------------------------------------------------------

def _lower_int(ix):
    return ix if isinstance(ix, Tracer) else np.asarray(ix)


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
        from ._elementwise import remainder_p
        indices = remainder_p(indices, n)
    elif mode == "clip":
        from ._elementwise import maximum_p, minimum_p
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
    if mode == "wrap":
        from ._elementwise import remainder_p
        a = remainder_p(a, n)
    elif mode == "clip":
        from ._elementwise import maximum_p, minimum_p
        a = minimum_p(maximum_p(a, 0), n - 1)
    elif not isinstance(a, Tracer):
        a = np.asarray(a)
        if a.size and (a.min() < 0 or a.max() >= n):
            raise ValueError(f"choose: index out of range for {n} choices: {a}")
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
    idx = np.flatnonzero(np.asarray(full_lower(condition)))
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
    return take(arr, np.flatnonzero(np.asarray(full_lower(condition))))


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
        from ._elementwise import logical_not_p, logical_or_p
        anyc = condlist[0]
        for c in condlist[1:]:
            anyc = logical_or_p(anyc, c)
        condlist = list(condlist) + [logical_not_p(anyc)]
    from ._creation import astype
    out = astype(np.zeros(xs, dtype_of(x)), dtype_of(x))
    try:
        masks = [np.asarray(full_lower(c), dtype=bool) for c in condlist]
        if not xs:
            raise ValueError("0-d: select instead")
    except Exception:      # batched conditions or a 0-d x: evaluate everywhere and select
        for c, f in zip(condlist, funclist):
            v = f(x, *args, **kw) if callable(f) else f
            out = where(c, v, out)
        return out
    from ._indexing import at
    for m, f in zip(masks, funclist):
        m = np.broadcast_to(m, xs)
        if not m.any():
            continue
        v = f(getitem(x, m), *args, **kw) if callable(f) else f
        out = at(out)[m].set(v)
    return out


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
    from ._creation import astype
    dt = np.result_type(dtype_of(arr), dtype_of(values)) if np.issubdtype(
        dtype_of(arr), np.inexact) else dtype_of(arr)
    src_a = getitem(reshape(astype(arr, dt), (-1,)), np.maximum(labels, 0))
    src_v = getitem(reshape(astype(values, dt), (-1,)), np.maximum(-1 - labels, 0))
    return where(labels >= 0, src_a, src_v)


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
    from ._shape import split

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
    v = np.asarray(full_lower(filt))
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
    from ._creation import asarray
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
    from ._shape import expand_dims
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
