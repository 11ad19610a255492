"""``vmap``: batch a function over an axis of its inputs with batching rules."""

from __future__ import annotations

import functools
from typing import Callable

import numpy as np

from . import tree as _tree
from ._args import call_user
from ._batching import BatchTrace, BatchTracer
from ._core import Tracer, new_trace, ops
from ._arrays import as_array
from ._util import shape_of
from .errors import BatchingError

__all__ = ["vmap"]


# ---------------------------------------------------------------------------
# vmap
# ---------------------------------------------------------------------------

def _broadcast_prefix(prefix, full, where):
    """Expand an in_axes/out_axes prefix to one entry per leaf of ``full``."""
    if type(prefix) is tuple and type(full) is tuple and len(prefix) == len(full):
        for p, f in zip(prefix, full):
            if not ((p is None or type(p) is int) and isinstance(f, _ARRAY_LEAVES)):
                break
        else:
            return list(prefix)   # the common case: one int/None per array argument
    elif (prefix is None or type(prefix) is int) and isinstance(full, _ARRAY_LEAVES):
        return [prefix]           # one axis for one array
    out: list = []
    _prefix_walk(prefix, full, where, out)
    return out


_ARRAY_LEAVES = (np.ndarray, Tracer, float)


def _prefix_walk(p, f, where, out):
    # a module-level recursive function: a nested one would be a reference cycle per call
    if p is None or isinstance(p, (int, np.integer)):
        if isinstance(f, (np.ndarray, Tracer, float, int, complex, np.generic)):
            out.append(p)     # a leaf: skip flattening
        else:
            out.extend([p] * len(_tree.leaves(f)))
        return
    ptd = _tree.flatten(p, is_leaf=_is_none)[1]
    if ptd.kind is None:
        raise TypeError(f"{where}: axis spec must be an int, None or a pytree of them, "
                        f"got {p!r}")
    fl = _tree.flatten(f, is_leaf=_is_none)[1]
    if type(p) is not type(f) and not (isinstance(p, (tuple, list)) and isinstance(
            f, (tuple, list))):
        raise ValueError(f"{where}: axis spec {p!r} does not match the value's structure {fl}")
    if isinstance(p, dict):
        if set(p) != set(f):
            raise ValueError(f"{where}: axis spec keys {sorted(map(str, p))} do not match the "
                             f"value's keys {sorted(map(str, f))}")
        keys = _tree.flatten(dict.fromkeys(f, 0))[1].aux   # the flatten order of the keys
        kids_p, kids_f = [p[k] for k in keys], [f[k] for k in keys]
    else:
        kids_p, kids_f = list(p), list(f)
    if len(kids_p) != len(kids_f):
        raise ValueError(f"{where}: axis spec {p!r} has {len(kids_p)} entries but the value "
                         f"has {len(kids_f)} (structure {fl})")
    for a, b in zip(kids_p, kids_f):
        _prefix_walk(a, b, where, out)


def _is_none(x) -> bool:
    return x is None


def vmap(fun: Callable, in_axes=0, out_axes=0, axis_size: int | None = None):
    """Vectorize ``fun`` over an axis of its inputs, with batching rules (no Python loop).

    Args:
      in_axes: int, None, or a pytree prefix of the positional arguments (tuple, one per
        argument). Keyword arguments are mapped along their axis 0.
      out_axes: int, None, or a pytree prefix of the output.
      axis_size: the batch size when no input is batched.

    Example:
        >>> import numpy as np, funcad as fad
        >>> fad.vmap(lambda x, y: x @ y, in_axes=(0, None))(np.ones((5, 3)), np.ones(3))
        array([3., 3., 3., 3., 3.])
    """

    @functools.wraps(fun)
    def batched(*args, **kwargs):
        ia = in_axes
        if isinstance(ia, list):
            ia = tuple(ia)
        if isinstance(ia, tuple) and len(ia) != len(args):
            raise ValueError(f"vmap: in_axes has {len(ia)} entries but the function was called "
                             f"with {len(args)} positional arguments")
        ia = ia if isinstance(ia, tuple) else (ia,) * len(args)
        if kwargs:    # keyword arguments are mapped along their axis 0, as in JAX
            args, ia = args + (kwargs,), ia + (0,)
        flat, in_tree = _tree.flatten(args)
        axes = _broadcast_prefix(ia, args, "vmap in_axes")
        size = _batch_size(flat, axes, axis_size)
        with new_trace(BatchTrace, size) as trace:
            ins = [x if ax is None else
                   BatchTracer(trace, x if ax == 0 else ops.moveaxis(x, ax, 0))
                   for x, ax in zip(flat, axes)]
            a = tuple(ins) if in_tree.flat else _tree.unflatten(in_tree, ins)
            out = call_user(fun, *a[:-1], **a[-1]) if kwargs else call_user(fun, *a)
        out_flat, out_tree = _tree.flatten(out)
        oaxes = _broadcast_prefix(out_axes, out, "vmap out_axes")
        res = []
        for o, ax in zip(out_flat, oaxes):
            if type(o) is BatchTracer and o._trace is trace:
                if ax is None:
                    raise BatchingError("vmap: out_axes=None for an output that varies along the "
                                        "mapped axis; give it an axis")
                v = o.val
                if not -len(shape_of(v)) <= ax < len(shape_of(v)):
                    raise BatchingError(f"vmap: out_axes={ax} for an output of per-example shape "
                                        f"{tuple(shape_of(v))[1:]}: that axis does not exist")
                res.append(v if ax == 0 else ops.moveaxis(v, 0, ax))
            elif ax is None:
                res.append(o)
            else:
                o = o if isinstance(o, Tracer) else as_array(o)
                if not -len(shape_of(o)) - 1 <= ax <= len(shape_of(o)):
                    raise BatchingError(f"vmap: out_axes={ax} for an output of per-example shape "
                                        f"{shape_of(o)}: that axis does not exist")
                b = ops.broadcast_to(o, (size,) + tuple(shape_of(o)))
                res.append(b if ax == 0 else ops.moveaxis(b, 0, ax))
        return _tree.unflatten(out_tree, res)

    return batched


def _batch_size(flat, axes, axis_size) -> int:
    """The common length of the mapped axes (checked), or ``axis_size``."""
    size = axis_size
    same = True
    for k, (x, ax) in enumerate(zip(flat, axes)):
        if ax is None:
            continue
        shp = shape_of(x)
        if not shp or not -len(shp) <= ax < len(shp):
            raise BatchingError(f"vmap: in_axes={ax} for input leaf {k} of shape {shp}: that "
                                "axis does not exist")
        if size is None:
            size = shp[ax]
        elif shp[ax] != size:
            same = False
    if not same:
        sizes = {k: shape_of(x)[ax] for k, (x, ax) in enumerate(zip(flat, axes))
                 if ax is not None}
        detail = ", ".join(f"leaf {k}: {s}" for k, s in sizes.items())
        raise BatchingError(f"vmap: inconsistent sizes along the mapped axes ({detail}"
                            f"{', axis_size: ' + str(axis_size) if axis_size else ''}); "
                            "all mapped axes must have the same length")
    if size is None:
        raise BatchingError("vmap: no input is mapped (all in_axes are None); pass "
                            "axis_size=")
    return size
