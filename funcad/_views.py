"""Views and in-place writes on traced values, as NumPy's shared memory behaves.

A tracer made by a NumPy view operation (basic indexing, transpose, reshape when the layout
allows, squeeze, diagonal...) remembers its base and how it was read (``_vbase``); the base
keeps weak references to its live views (``_views``). A write into a view becomes a write
into its base (``base.at[idx].set(new view)``, or the view's inverse); a write into a base
re-reads its views, recursively. Tracers are made inside the transform, so nothing the
caller passed in is ever changed.
"""

from __future__ import annotations

import weakref

import numpy as np

from ._arrays import as_array, library_of
from ._protocols import ArrayProtocols as Tracer  # the base of every tracer (no cycle)
from ._protocols import ops
from ._util import user_site
from .errors import ConcretizationError, FuncadError


class ViewOp:
    """A view other than a basic index: ``read(base)`` gives it, ``write(base, v)`` gives the
    base holding ``v`` (None: a read-only view; UNKNOWN: NumPy's layout decides, unseen)."""

    __slots__ = ("read", "write")

    def __init__(self, read, write):
        self.read, self.write = read, write


UNKNOWN = object()


def _np_reshape(fn, a, shape=None, order="C", *, newshape=None, copy=None):
    out = a.reshape(newshape if shape is None else shape, order=order)
    return ops.copy(out) if copy else out


def _np_atleast(fn, *arys):
    outs = [make_view(a, ViewOp(fn, reshape_back)) for a in arys]
    return outs[0] if len(outs) == 1 else tuple(outs)


# NumPy functions that return views of their first argument: fn(funcad's function, a, ...)
VIEW_FUNCTIONS = {
    np.transpose: lambda fn, a, axes=None: a.transpose(axes),
    np.swapaxes: lambda fn, a, axis1, axis2: a.swapaxes(axis1, axis2),
    np.moveaxis: lambda fn, a, source, destination: a._moveaxis(source, destination),
    np.reshape: _np_reshape,
    np.ravel: lambda fn, a, order="C": a.ravel(order),
    np.squeeze: lambda fn, a, axis=None: a.squeeze(axis),
    np.expand_dims: lambda fn, a, axis: a._expand_dims(axis),
    np.diagonal: lambda fn, a, offset=0, axis1=0, axis2=1: a.diagonal(offset, axis1, axis2),
    np.atleast_1d: _np_atleast, np.atleast_2d: _np_atleast, np.atleast_3d: _np_atleast,
}
if hasattr(np, "permute_dims"):          # NumPy >= 2.0
    VIEW_FUNCTIONS[np.permute_dims] = lambda fn, a, axes=None: a.transpose(axes)
    VIEW_FUNCTIONS[np.matrix_transpose] = lambda fn, a: a.swapaxes(-1, -2)


def reshape_back(b, v):
    return ops.reshape(v, b.shape)


def is_complex(dt):
    return np.issubdtype(dt, np.complexfloating)


def is_view_index(idx, ndim) -> bool:
    """Does NumPy return a view for ``x[idx]``: a basic index that is not one element?"""
    if type(idx) is slice:
        return True
    items = idx if type(idx) is tuple else (idx,)
    ints = 0
    for it in items:
        if type(it) is slice or it is None or it is Ellipsis:
            continue
        if isinstance(it, (int, np.integer)) and not isinstance(it, (bool, np.bool_)):
            ints += 1
        elif isinstance(it, Tracer) and it.shape == () and it.dtype.kind in "iu":
            ints += 1           # a traced integer (vmap of argmax): NumPy's basic index too
        else:
            return False
    return ints < ndim or ints != len(items)


def link(view, base, how):
    """Record that ``view`` shares ``base``'s memory in NumPy (``how``: index or ViewOp)."""
    if view is base or not isinstance(view, Tracer) or view._trace is not base._trace:
        return view
    view._vbase = (base, how)
    ref = weakref.ref(view)
    vs = getattr(base, "_views", None)
    if vs is None:
        base._views = [ref]
        return view
    n = len(vs)
    if n >= 16 and not n & (n - 1):              # at each power of two: drop dead views
        vs[:] = [r for r in vs if r() is not None]
    vs.append(ref)
    return view


def make_view(x, how: ViewOp):
    return link(how.read(x), x, how)


def read(base, how):
    return ops.getitem(base, how) if type(how) is not ViewOp else how.read(base)


def write_back(base, how, new):
    if type(how) is not ViewOp:
        return ops.at(base)[how].set(new)
    if how.write is None:
        raise ValueError("assignment destination is read-only (x.diagonal() and np.diagonal "
                         "return read-only views in NumPy; write into x.copy() or use "
                         "x[np.diag_indices(n)] = v)")
    if how.write is UNKNOWN:
        raise unknown_layout()
    return how.write(base, new)


def unknown_layout():
    where, _ = user_site()
    return FuncadError(
        f"an in-place write{f' (at {where})' if where else ''} reaches an array made by "
        "reshape/ravel of a value batched by vmap, where funcad cannot see whether NumPy would "
        "have made a view or a copy. Make the intent explicit: x.reshape(...).copy() for a "
        "copy, or write into the base array and reshape afterwards.")


def live_views(x):
    vs = getattr(x, "_views", None)
    return [v for v in (r() for r in vs) if v is not None] if vs else ()


def check_views(x):
    """Raise before anything changes if a write into ``x`` would reach an UNKNOWN view."""
    for v in live_views(x):
        how = v._vbase[1]
        if type(how) is ViewOp and how.write is UNKNOWN:
            raise unknown_layout()
        check_views(v)


def refresh_views(x):
    for v in live_views(x):
        v._become(read(x, v._vbase[1]))
        refresh_views(v)


def write_result(x, new, name):
    """Store ``new`` (the result of an in-place op or ``out=``) into ``x`` with NumPy's rules:
    the shape of ``x`` is kept and the dtype is cast with casting='same_kind'."""
    if not isinstance(new, Tracer) or new._trace.level < x._trace.level:
        new = x._trace.pure(new)         # a constant (or lower-level) result: lift it to x's
    if tuple(new.shape) != tuple(x.shape):
        raise ValueError(f"non-broadcastable output operand with shape {tuple(x.shape)} doesn't "
                         f"match the broadcast shape {tuple(new.shape)}")
    if new.dtype != x.dtype:
        if not np.can_cast(new.dtype, x.dtype, "same_kind"):
            raise TypeError(f"Cannot cast ufunc '{name}' output from {new.dtype!r} to "
                            f"{x.dtype!r} with casting rule 'same_kind'")
        new = ops.astype(new, x.dtype)
    x._assign(new)
    return x


def write_out(ufunc, out, result):
    """``np.<ufunc>(..., out=buf)``: write into a traced ``buf``; a plain one cannot hold it."""
    outs = out if isinstance(out, tuple) else (out,)
    if all(isinstance(o, Tracer) for o in outs):
        if len(outs) == 1:
            return write_result(outs[0], result, ufunc.__name__)
        return tuple(write_result(o, r, ufunc.__name__) for o, r in zip(outs, result))
    where, _ = user_site()
    at = f" at {where}" if where else ""
    raise ConcretizationError(
        f"np.{ufunc.__name__}(..., out=buf) (or an in-place operator on buf){at} "
        "would write a traced value into a plain NumPy array, which cannot carry a derivative. "
        "Make buf from a traced value (buf = np.zeros_like(y)), or drop out= and use the "
        "returned value.")


def may_view(x, shape, order):
    """Would NumPy's reshape of ``x`` be a view? Decided on the layout of the concrete value
    (of one example under vmap); None when there is none to look at."""
    batched = 0
    while isinstance(x, Tracer):
        try:
            x = x._peek() if hasattr(x, "_peek") else x._concrete()   # jit: no guard
        except FuncadError:              # vmap: look at the batched value's first example
            x = getattr(x, "val", None)
            batched += 1
    if library_of(x) == "dask":
        return False                     # Dask arrays are immutable: never a view
    try:
        c = as_array(x)[(0,) * batched] if x is not None else None
    except IndexError:
        c = None
    if c is None:
        return None
    try:
        r = c.reshape(shape, order=order)
    except Exception:
        return True                      # the error comes from the traced reshape
    return c.size == 0 or np.may_share_memory(r, c)
