"""Small helpers shared by every layer; stdlib and NumPy only."""

from __future__ import annotations

import numpy as np


class ShapeDtype:
    """What the tape keeps of a value whose data the VJP rule does not need."""

    __slots__ = ("shape", "dtype")

    def __init__(self, shape, dtype):
        self.shape = shape
        self.dtype = dtype

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return int(np.prod(self.shape, dtype=np.int64))

    def __repr__(self):
        return f"ShapeDtype({self.shape}, {self.dtype})"


# Python scalars are answered without NumPy (np.shape / np.result_type cost a microsecond)
_SCALAR_TYPES = frozenset((float, int, complex, bool))
_SCALAR_DTYPES = {float: np.dtype(np.float64), complex: np.dtype(np.complex128),
                  bool: np.dtype(np.bool_)}     # int is left to NumPy (its size decides)


def shape_of(x) -> tuple:
    try:
        return x.shape
    except AttributeError:
        return () if type(x) in _SCALAR_TYPES else np.shape(x)


def dtype_of(x):
    try:
        return x.dtype
    except AttributeError:
        dt = _SCALAR_DTYPES.get(type(x))
        return dt if dt is not None else np.result_type(x)


def is_float_dtype(dt) -> bool:
    return np.issubdtype(dt, np.inexact)


def canonical_axis(axis, ndim: int):
    """Normalize an axis argument (None, int or tuple) to a sorted tuple of non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        return tuple(sorted(a % ndim if ndim else a for a in axis))
    return (axis % ndim if ndim else axis,)


def short_repr(x, limit: int = 60) -> str:
    s = repr(x).replace("\n", " ")
    return s if len(s) <= limit else s[: limit - 3] + "..."
