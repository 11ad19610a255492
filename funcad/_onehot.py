"""One-hot Jacobian bases: batched values held by their nonzeros (the rules that apply
primitives to them, and the trace, are in ``_jacobian_trace.py``).

``jacfwd`` pushes the identity basis through a JVP under vmap, and ``jacrev`` pulls the
output basis back. Stored densely, the basis is an ``n x n`` matrix and every linear op
on it costs ``n`` times the op on one example (``W @ I`` is a full matrix product).
But a basis vector is one-hot, and the ops a JVP or a pullback applies to it are
linear: scaling by a primal value, slicing, scattering, sums. Each element of the
batched value then depends on a few basis indices only.

:class:`OneHotRows` stores a batched value ``V`` of shape ``(size, *shape)`` by its
nonzeros, in ``K`` slots::

    V[b, p] = sum_k vals[k, p] * (idx[k, p] == b)

so the identity is ``vals = 1, idx = arange(n)`` with ``K = 1``. Scaling touches
``vals``; slicing, reshaping and transposing apply to ``vals`` and ``idx`` alike; a sum
over an axis moves that axis into the slots; adding two values joins their slots.
When the slots outgrow half the batch the value becomes a dense array, and a primitive
without a rule here sees dense operands (``densify``), so the result is always exact.
The Hessian of an n-dimensional Rosenbrock function costs ``O(n)`` this way instead of
``O(n^2)`` per op, and ``jacfwd(lambda x: W @ x)`` gathers ``W`` instead of multiplying
it by the identity.

Under ``jit`` the indices stay concrete (they depend on shapes only) and ``vals`` may be
a recorded value: the rules marked recordable in ``_jacobian_trace.py`` apply to it through
dispatching NumPy calls (never writes in place), and :data:`onehot_dense_p` makes it dense,
its indices a parameter (:class:`Layout`) of the recorded program.
"""

from __future__ import annotations

import math

import numpy as np

from ._arrays import is_foreign, scatter_add
from ._core import Primitive, Tracer

__all__ = ["OneHotRows", "add_slots", "densify", "basis", "use_sparse", "MIN_SIZE", "ENABLED",
           "Layout", "onehot_dense_p"]


# Bases smaller than this stay dense: on tiny problems the dense ops are cheaper.
MIN_SIZE = 32
# Switch for tests and benchmarks that compare against the dense path.
ENABLED = True


# How many times a one-hot basis was made dense because an operand was traced by a lower
# level (the sparse rules need concrete values). fad.jit reads it around a recording: a
# recording that lost a sparse basis may replay slower than eager calls, so jit times both.
TRACED_DENSIFY = [0]


def use_sparse(size: int, dtype) -> bool:
    """Whether a Jacobian basis of ``size`` vectors of ``dtype`` starts sparse."""
    dt = np.dtype(dtype)
    # float16/32/64 and complex64/128: densify sums in float64 (np.bincount), which would
    # round a longdouble
    return ENABLED and size >= MIN_SIZE and dt.itemsize <= {"f": 8, "c": 16}.get(dt.kind, 0)


def basis(shape, dtype, offset: int, start: int, size: int) -> OneHotRows:
    """The slice ``[start, start + size)`` of the standard basis, restricted to one input
    leaf of ``shape`` whose elements are basis indices ``offset, offset + 1, ...``."""
    n = math.prod(shape)
    lo = offset - start
    pos = np.arange(lo, lo + n).reshape((1,) + tuple(shape))
    if lo >= 0 and lo + n <= size:        # the whole leaf lies in this chunk
        return OneHotRows(np.ones(pos.shape, dtype), pos, size)
    inside = (pos >= 0) & (pos < size)
    vals = inside.astype(dtype)
    return OneHotRows(vals, np.where(inside, pos, 0), size)


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
    ``transposed``, the layout of a forward-mode Jacobian); anything else unchanged. Slot
    values recorded by ``jit`` (see :func:`staged`) are densified by ``onehot_dense_p``."""
    if type(v) is not OneHotRows:
        return v
    if isinstance(v.vals, Tracer):
        return onehot_dense_p(v.vals, layout=Layout(v.idx, v.size, transposed))
    shape = v.vals.shape[1:]
    k, p, size = v.vals.shape[0], math.prod(shape), v.size
    if is_foreign(v.vals):         # Dask / CuPy values: summed into place without ufunc.at
        out = scatter_add(np.zeros(size * p, v.vals.dtype), (_positions(v, transposed).ravel(),),
                          v.vals.reshape(-1), v.vals.dtype)
    elif k > 8 and v.vals.dtype.kind == "f" and p and size:
        # many slots (a sum over an axis moves it into the slots): one weighted count
        out = np.bincount(_positions(v, transposed).ravel(), v.vals.ravel(),
                          size * p).astype(v.vals.dtype, copy=False)
    else:
        out = np.zeros(size * p, v.vals.dtype)
        add_slots(out, v, transposed=transposed)
    return out.reshape(shape + (size,) if transposed else (size,) + shape)


def _positions(v, transposed: bool):
    """(k, p): where each slot entry lands in the flat C-ordered dense layout (``v``: a
    OneHotRows or a Layout)."""
    k, p = v.idx.shape[0], math.prod(v.idx.shape[1:])
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


def staged(x) -> bool:
    """A value recorded by ``jit`` (its staging trace sits below every transform)."""
    return isinstance(x, Tracer) and x._trace.kind == "jit"


def _const(x) -> bool:
    """An unbatched operand whose arithmetic the rules may apply to slot values: a concrete
    value, or one ``jit`` records. Only the slot *values* then become recorded; the
    indices stay concrete (they depend on shapes, never on values), so ``jit`` of a
    Jacobian keeps the sparse structure."""
    return not isinstance(x, Tracer) or x._trace.kind == "jit"


# ---------------------------------------------------------------------------
# densifying recorded slot values: one primitive, the indices a parameter
# ---------------------------------------------------------------------------

class Layout:
    """``onehot_dense_p``'s parameter: the concrete indices, the batch size and layout.
    Hashed by identity (the indices are an array)."""

    __slots__ = ("idx", "size", "transposed")

    def __init__(self, idx, size: int, transposed: bool):
        self.idx, self.size, self.transposed = idx, size, transposed

    def __repr__(self):
        return f"Layout(slots={self.idx.shape[0]}, size={self.size}, transposed={self.transposed})"

    def positions(self):
        """(K, *shape): where each slot entry lands in the flat dense layout."""
        return _positions(self, self.transposed).reshape(self.idx.shape)


def _dense_impl(vals, *, layout: Layout):
    return densify(OneHotRows(vals, layout.idx, layout.size), layout.transposed)


# linear in ``vals``; its JVP, VJP and batching rules are in ``_jit_call`` (needed only when
# a recorded program is interpreted under a transform: grad(jit(hessian(f))))
onehot_dense_p = Primitive("onehot_dense", _dense_impl)


def _align(v: OneHotRows, nd: int):
    """vals and idx with per-example rank ``nd`` (new axes after the slot axis)."""
    vals, idx = v.vals, v.idx
    k = nd - (vals.ndim - 1)
    if k > 0:
        new = (vals.shape[0],) + (1,) * k + vals.shape[1:]
        vals, idx = vals.reshape(new), idx.reshape(new)
    return vals, idx
