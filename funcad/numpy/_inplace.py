"""NumPy's in-place writers on a traced destination: copyto, put, place, putmask,
fill_diagonal, put_along_axis.

A traced array can be written in place (``x[i] = v``, ``x += v``: the tracer becomes the
updated value, and its base and views follow, as NumPy's memory would). These functions
are that write with NumPy's index rules: each computes the flat positions it writes and
the values (repeated as NumPy repeats them, the last write winning at a repeated
position) and assigns ``dst[...] = updated``. The derivative flows from the written
values and from the entries left as they were.

A plain NumPy destination cannot hold a traced value: that raises and names the
functional spelling.

Example:
    >>> import numpy as np, funcad as fad
    >>> def f(x):
    ...     y = x * 1.0
    ...     np.fill_diagonal(y, 0.0)     # zero the diagonal in place
    ...     return y.sum()
    >>> fad.grad(f)(np.ones((2, 2)))
    array([[0., 1.],
           [1., 0.]])
"""

from __future__ import annotations

import numpy as np

from ..errors import UnsupportedFunctionError
from ..extend import to_numpy
from ..extend import Tracer, full_lower
from ._base import dtype_of, export, is_traced
from ._elementwise import where as _where
from ._indexing import at
from ._shape import broadcast_to, reshape

_FUNCTIONAL = {
    "copyto": "fnp.where(mask, src, dst) or dst = src",
    "put": "x = x.at[idx].set(v) on a raveled x",
    "place": "fnp.where(mask, v, x)",
    "putmask": "fnp.where(mask, v, x)",
    "fill_diagonal": "x = x.at[i, i].set(v)",
    "put_along_axis": "x = x.at[...].set(v)",
}


def _traced_destination(name: str, dst) -> Tracer:
    if isinstance(dst, Tracer):
        return dst
    extra = ("" if name != "copyto" else
             " (np.full, np.full_like and np.nan_to_num call np.copyto when only the fill "
             "value is traced: use fnp.full, fnp.full_like, fnp.nan_to_num)")
    raise UnsupportedFunctionError(
        f"np.{name}: the destination is a plain NumPy array ({type(dst).__name__} of shape "
        f"{np.shape(dst)}) and the value written is traced; a plain array cannot hold a "
        f"traced value. Make the destination traced (e.g. dst = fnp.zeros_like(x)) or "
        f"write it functionally: {_FUNCTIONAL[name]}{extra}")


def _concrete(name: str, what: str, v):
    """An index or mask argument as a plain array (a derivative never flows through it)."""
    try:
        return to_numpy(full_lower(v) if isinstance(v, Tracer) else v)
    except Exception as e:   # a batched (vmap) mask or index has no one value
        raise TypeError(f"np.{name}: the {what} must have one value for the whole call; "
                        f"under vmap write it functionally: {_FUNCTIONAL[name]}") from e


def _write_flat(dst: Tracer, pos: np.ndarray, values) -> None:
    """dst.flat[pos] = values (one value per position; the last write wins at a repeat)."""
    if pos.size == 0:
        return
    n = pos.size
    # the last occurrence of every position, in the order of the positions
    rev_unique, rev_first = np.unique(pos[::-1], return_index=True)
    keep = np.sort(n - 1 - rev_first)
    flat = reshape(dst, (-1,))
    vals = values if np.ndim(values) == 0 else reshape(values, (-1,))[keep]
    dst[...] = reshape(at(flat)[pos[keep]].set(vals), dst.shape)


def _cycled(values, count: int):
    """The first ``count`` entries of ``values`` repeated as NumPy's put/place repeat them."""
    size = int(np.size(values))
    flat = reshape(values, (-1,)) if is_traced(values) else np.ravel(values)
    return flat[np.arange(count) % size]


def copyto(dst, src, casting="same_kind", where=True):
    """``np.copyto`` into a traced ``dst``: ``dst[...] = where(where, src, dst)``, NumPy's
    casting rule checked first.

    Example:
        >>> import numpy as np, funcad as fad
        >>> def f(x):
        ...     y = x * 2.0
        ...     np.copyto(y, x ** 2, where=x > 1.5)
        ...     return y
        >>> fad.jacfwd(f)(np.array([1.0, 2.0]))
        array([[2., 0.],
               [0., 4.]])
    """
    dst = _traced_destination("copyto", dst)
    src_dtype = dtype_of(src) if not isinstance(src, (bool, int, float, complex)) else \
        np.result_type(src)
    if not isinstance(src, (bool, int, float, complex)) and not np.can_cast(
            src_dtype, dst.dtype, casting):
        raise TypeError(f"np.copyto: cannot cast {src_dtype} to {dst.dtype} according to "
                        f"the rule {casting!r}; pass casting='unsafe' or convert src first")
    value = broadcast_to(src, dst.shape)
    if where is not True:
        value = _where(where, value, dst)
    dst[...] = value


def put(a, ind, v, mode="raise"):
    """``np.put`` into a traced ``a``: ``a.flat[ind] = v``, ``v`` repeated as needed.

    Example:
        >>> import numpy as np, funcad as fad
        >>> def f(x):
        ...     y = x * 1.0
        ...     np.put(y, [0, 2], x[1] ** 2)
        ...     return y
        >>> fad.jacfwd(f)(np.array([1.0, 3.0, 5.0]))
        array([[0., 6., 0.],
               [0., 1., 0.],
               [0., 6., 0.]])
    """
    a = _traced_destination("put", a)
    ind = _concrete("put", "index", ind).astype(np.intp).ravel()
    n = a.size
    if mode == "raise":
        bad = (ind < -n) | (ind >= n)
        if bad.any():
            raise IndexError(f"np.put: index {int(ind[bad][0])} is out of bounds for an "
                             f"array of size {n}")
        ind = ind % n if n else ind
    elif mode == "wrap":
        ind = ind % n
    elif mode == "clip":
        ind = np.clip(ind, 0, n - 1)
    else:
        raise ValueError(f"np.put: mode must be 'raise', 'wrap' or 'clip', not {mode!r}")
    if ind.size and np.size(v) == 0:
        raise ValueError("np.put: cannot put from an empty array of values")
    _write_flat(a, ind, _cycled(v, ind.size) if ind.size else v)


def place(arr, mask, vals):
    """``np.place``: the entries of a traced ``arr`` where ``mask`` is true take ``vals`` in
    order (repeated if ``vals`` is shorter).

    Example:
        >>> import numpy as np, funcad as fad
        >>> def f(x):
        ...     y = x * 1.0
        ...     np.place(y, np.array([True, False, True]), 7.0)
        ...     return y.sum()
        >>> fad.grad(f)(np.array([1.0, 3.0, 5.0]))
        array([0., 1., 0.])
    """
    arr = _traced_destination("place", arr)
    pos = np.flatnonzero(_concrete("place", "mask", mask))
    if pos.size and np.size(vals) == 0:
        raise ValueError("np.place: cannot insert from an empty array of values")
    if pos.size:
        _write_flat(arr, pos, _cycled(vals, pos.size))


def putmask(a, mask, values):
    """``np.putmask``: ``a.flat[i] = values.flat[i % values.size]`` where ``mask`` is true.

    Example:
        >>> import numpy as np, funcad as fad
        >>> def f(x):
        ...     y = x * 1.0
        ...     np.putmask(y, np.array([True, False]), 10 * x)
        ...     return y.sum()
        >>> fad.grad(f)(np.array([1.0, 3.0]))
        array([10.,  1.])
    """
    a = _traced_destination("putmask", a)
    m = _concrete("putmask", "mask", mask)
    if m.size != a.size:
        raise ValueError(f"np.putmask: mask and data must be the same size ({m.size} and "
                         f"{a.size})")
    pos = np.flatnonzero(m)
    if pos.size:
        size = int(np.size(values))
        flat = reshape(values, (-1,)) if is_traced(values) else np.ravel(values)
        _write_flat(a, pos, flat[pos % size])


def fill_diagonal(a, val, wrap=False):
    """``np.fill_diagonal`` on a traced ``a`` (the example is in the module's docstring)."""
    a = _traced_destination("fill_diagonal", a)
    if a.ndim < 2:
        raise ValueError("np.fill_diagonal: the array must be at least 2-d")
    if a.ndim == 2:
        step, end = a.shape[1] + 1, (None if wrap else a.shape[1] * a.shape[1])
    else:
        if len(set(a.shape)) != 1:
            raise ValueError("np.fill_diagonal: all dimensions of the input must be of "
                             "equal length")
        step, end = 1 + int(np.cumprod(a.shape[:-1]).sum()), None
    pos = np.arange(a.size)[:end:step]
    if pos.size:
        _write_flat(a, pos, _cycled(val, pos.size))


def put_along_axis(arr, indices, values, axis):
    """``np.put_along_axis`` into a traced ``arr``.

    Example:
        >>> import numpy as np, funcad as fad
        >>> def f(x):
        ...     y = x * 1.0
        ...     np.put_along_axis(y, np.array([[1], [0]]), 0.0, axis=1)
        ...     return y.sum()
        >>> fad.grad(f)(np.ones((2, 2)))
        array([[1., 0.],
               [0., 1.]])
    """
    arr = _traced_destination("put_along_axis", arr)
    idx = _concrete("put_along_axis", "indices", indices).astype(np.intp)
    if axis is None:
        shape, idx, axis = (arr.size,), idx.ravel(), 0
    else:
        shape = arr.shape
        axis = axis % len(shape)
    if idx.ndim != len(shape):
        raise ValueError("np.put_along_axis: indices and arr must have the same number of "
                         "dimensions")
    grids = list(np.ogrid[tuple(slice(0, s) for s in idx.shape)])
    grids[axis] = np.where(idx < 0, idx + shape[axis], idx)
    grids = np.broadcast_arrays(*grids)
    pos = np.ravel_multi_index(tuple(grids), shape).ravel()
    _write_flat(arr, pos, broadcast_to(values, idx.shape))


for _np_func, _impl in [(np.copyto, copyto), (np.put, put), (np.place, place),
                        (np.putmask, putmask), (np.fill_diagonal, fill_diagonal),
                        (np.put_along_axis, put_along_axis)]:
    export(_impl, _np_func.__name__, _np_func)
