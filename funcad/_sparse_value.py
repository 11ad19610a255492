"""The sparse batched value behind Jacobian bases (see ``_sparse.py`` for the rules).

A :class:`OneHotRows` holds a batched value ``V`` of shape ``(size, *shape)`` by its
nonzeros, in ``K`` slots: ``V[b, p] = sum_k vals[k, p] * (idx[k, p] == b)``.
"""

from __future__ import annotations

import math

import numpy as np

from ._core import Tracer

__all__ = ["OneHotRows", "add_slots", "densify"]


class OneHotRows:
    """A batched value of shape ``(size, *vals.shape[1:])`` held as ``K`` one-hot slots."""

    __slots__ = ("idx", "size", "vals")

    def __init__(self, vals, idx, size: int):
        self.vals = vals      # (K, *shape) inexact ndarray
        self.idx = idx        # (K, *shape) integer ndarray with entries in [0, size)
        self.size = size

    @property
    def shape(self) -> tuple:
        return (self.size,) + self.vals.shape[1:]

    @property
    def dtype(self):
        return self.vals.dtype

    @property
    def ndim(self) -> int:
        return self.vals.ndim

    def __repr__(self):
        return f"OneHotRows(shape={self.shape}, slots={self.vals.shape[0]})"


def densify(v, transposed: bool = False):
    """A plain ``(size, *shape)`` array for a :class:`OneHotRows` (``(*shape, size)`` with
    ``transposed``, the layout of a forward-mode Jacobian); anything else unchanged."""
    if type(v) is not OneHotRows:
        return v
    shape = v.vals.shape[1:]
    k, p, size = v.vals.shape[0], math.prod(shape), v.size
    if k > 8 and v.vals.dtype.kind == "f" and p and size:
        # many slots (a sum over an axis moves it into the slots): one weighted count
        out = np.bincount(_positions(v, transposed).ravel(), v.vals.ravel(),
                          size * p).astype(v.vals.dtype, copy=False)
    else:
        out = np.zeros(size * p, v.vals.dtype)
        add_slots(out, v, transposed=transposed)
    return out.reshape(shape + (size,) if transposed else (size,) + shape)


def _positions(v: OneHotRows, transposed: bool):
    """(k, p): where each slot entry lands in the flat C-ordered dense layout."""
    k, p = v.vals.shape[0], math.prod(v.vals.shape[1:])
    if transposed:
        return v.idx.reshape(k, p) + np.arange(0, v.size * p, v.size)
    return v.idx.reshape(k, p) * p + np.arange(p)


def add_slots(out, v: OneHotRows, sign: float = 1.0, transposed: bool = False) -> None:
    """Add ``sign * v`` into ``out``, a flat C-ordered buffer of the dense layout."""
    vals, size = v.vals, v.size
    k = vals.shape[0]
    p = math.prod(vals.shape[1:])
    if p == 0 or size == 0 or k == 0:
        return
    flat = _positions(v, transposed)
    w = vals.reshape(k, p)
    if k <= 8:
        for j in range(k):     # positions differ within a slot: no repeated targets
            if sign < 0:
                out[flat[j]] -= w[j]
            else:
                out[flat[j]] += w[j]
        return
    w = -w if sign < 0 else w
    if vals.dtype.kind == "c":
        f = flat.ravel()
        out += np.bincount(f, w.real.ravel(), size * p)
        out += 1j * np.bincount(f, w.imag.ravel(), size * p)
    else:
        out += np.bincount(flat.ravel(), w.ravel(), size * p)


def _finish(vals, idx, size):
    """A OneHotRows, or a dense array once the slots outgrow half the batch."""
    v = OneHotRows(vals, idx, size)
    return densify(v) if 2 * vals.shape[0] > size else v


def _plain(x) -> bool:
    """An unbatched operand the rules here can use: a concrete array or number."""
    return not isinstance(x, Tracer)


def _align(v: OneHotRows, nd: int):
    """vals and idx with per-example rank ``nd`` (new axes after the slot axis)."""
    vals, idx = v.vals, v.idx
    k = nd - (vals.ndim - 1)
    if k > 0:
        new = (vals.shape[0],) + (1,) * k + vals.shape[1:]
        vals, idx = vals.reshape(new), idx.reshape(new)
    return vals, idx
