"""Ufunc methods on traced values: ``np.<ufunc>.outer``, ``.reduce``, ``.accumulate``, ``.at``.

They are built from the ufunc's own funcad function, so they differentiate
and batch like it: ``outer`` broadcasts, ``reduce`` folds along an axis (a
log-depth tree for associative ufuncs, a left fold otherwise; ``add``,
``multiply``, ``maximum``, ``minimum`` use sum/prod/max/min), ``accumulate``
is a Hillis-Steele scan (associative) or a sequential scan. ``at`` writes in
place and raises an error naming ``fnp.at``. Call :func:`register_all` after
every family has filled ``ufunc_table``.
"""

from __future__ import annotations

import numpy as np

from .. import extend
from ..errors import UnsupportedFunctionError
from . import _reductions
from ._base import shape_of
from ._reductions import prod
from ._shape import concatenate, moveaxis, reshape, stack

_ASSOCIATIVE = {np.add, np.multiply, np.maximum, np.minimum, np.fmax, np.fmin, np.logaddexp,
                np.logaddexp2, np.hypot, np.logical_and, np.logical_or, np.logical_xor,
                np.bitwise_and, np.bitwise_or, np.bitwise_xor, np.gcd, np.lcm}


def _outer(fn):
    def outer(a, b, **kwargs):
        return fn(reshape(a, tuple(shape_of(a)) + (1,) * len(shape_of(b))), b)
    return outer


def _fold(fn, x, assoc):
    """Reduce axis 0 of x with the binary fn."""
    n = shape_of(x)[0]
    if not assoc:
        acc = x[0]
        for i in range(1, n):
            acc = fn(acc, x[i])
        return acc
    while n > 1:
        half = n // 2
        paired = fn(x[0:2 * half:2], x[1:2 * half:2])
        x = concatenate([paired, x[2 * half:]]) if n % 2 else paired
        n = shape_of(x)[0]
    return x[0]


# Non-associative ufuncs whose NumPy ``reduce`` is the left fold ``((a0 op a1) op a2) ...`` on
# every CPU. Not power and arctan2: NumPy's SIMD (SVML) loops for them give another result in
# the reduce case on CPUs with AVX-512 (only the first and last elements on NumPy 2.x), so
# funcad cannot match NumPy's value on every machine and refuses them everywhere.
_LEFT_FOLD = {np.subtract, np.divide, np.floor_divide, np.remainder, np.fmod, np.float_power,
              np.copysign, np.nextafter, np.heaviside}


def _reduce(u, fn):
    special = {np.add: _reductions.sum, np.multiply: prod, np.maximum: _reductions.max,
               np.minimum: _reductions.min}

    def reduce(array, axis=0, dtype=None, out=None, keepdims=False, initial=np._NoValue,
               where=True):
        if initial is not np._NoValue or where is not True:
            raise NotImplementedError(f"np.{u.__name__}.reduce: initial= and where= are not "
                                      "supported on traced values")
        if u in special:
            return special[u](array, axis=axis, keepdims=keepdims)
        if u not in _ASSOCIATIVE and u not in _LEFT_FOLD:
            raise NotImplementedError(
                f"np.{u.__name__}.reduce is not supported on traced values: NumPy's own result "
                f"is not the left fold that np.{u.__name__}.accumulate gives on every CPU; "
                f"write the loop out (functools.reduce(fnp.{u.__name__}, x)) or take "
                f"np.{u.__name__}.accumulate(x)[-1]")
        nd = len(shape_of(array))
        axes = tuple(range(nd)) if axis is None else tuple(
            a % nd for a in (axis if isinstance(axis, (tuple, list)) else (axis,)))
        if len(axes) > 1 and u not in _ASSOCIATIVE:
            raise ValueError(f"np.{u.__name__}.reduce over several axes needs an associative "
                             "ufunc")
        rest = [i for i in range(nd) if i not in axes]
        x = moveaxis(array, list(axes), list(range(len(axes)))) if axes else array
        x = reshape(x, (-1,) + tuple(shape_of(array)[i] for i in rest))
        if shape_of(x)[0] == 0:
            raise ValueError(f"np.{u.__name__}.reduce of an empty axis has no identity here")
        r = _fold(fn, x, u in _ASSOCIATIVE)
        if keepdims:
            r = reshape(r, tuple(1 if i in axes else shape_of(array)[i] for i in range(nd)))
        return r
    return reduce


def _accumulate(u, fn):
    def accumulate(array, axis=0, dtype=None, out=None):
        nd = len(shape_of(array))
        x = moveaxis(array, axis % nd, 0)
        n = shape_of(x)[0]
        if u in _ASSOCIATIVE:
            k = 1
            while k < n:     # y[i] = op(y[i - k], y[i]) for i >= k
                x = concatenate([x[:k], fn(x[:n - k], x[k:])])
                k *= 2
        else:
            acc = [x[0]]
            for i in range(1, n):
                acc.append(fn(acc[-1], x[i]))
            x = stack(acc)
        return moveaxis(x, 0, axis % nd)
    return accumulate


def _at(u):
    def at(*args, **kwargs):
        raise UnsupportedFunctionError(
            f"np.{u.__name__}.at writes into an array in place, which a traced value cannot "
            f"do; use x = fnp.at(x)[idx].{_AT_NAMES.get(u, 'set')}(v) (repeated indices "
            "behave like np.<ufunc>.at)")
    return at


_AT_NAMES = {np.add: "add", np.subtract: "subtract", np.multiply: "multiply",
             np.divide: "divide", np.minimum: "min", np.maximum: "max", np.power: "power"}


def register_all() -> None:
    """Register outer/reduce/accumulate/at for every binary ufunc in ``ufunc_table``."""
    for u, fn in list(extend.ufunc_table.items()):
        if not isinstance(u, np.ufunc) or u.nin != 2 or u.nout != 1:
            continue
        extend.ufunc_table.setdefault((u, "outer"), _outer(fn))
        extend.ufunc_table.setdefault((u, "reduce"), _reduce(u, fn))
        extend.ufunc_table.setdefault((u, "accumulate"), _accumulate(u, fn))
        extend.ufunc_table.setdefault((u, "at"), _at(u))

