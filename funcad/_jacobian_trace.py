"""vmap's trace for one-hot Jacobian bases, and the rules that keep the basis sparse.

``jacfwd``/``jacrev`` push a one-hot basis (:class:`~funcad._onehot.OneHotRows`) through
a JVP or a pullback under vmap. :class:`JacobianTrace` applies a primitive with a sparse
operand by the primitive's sparse rule (``prim.rules.sparse``, registered with
:func:`defsparse` next to the primitive); a primitive without one sees its sparse
operands densified, so the result is always exact. The rule builders for the common
shapes (scaling by a constant, sums, joins, structural ops that apply the ordinary batching
rule to values and indices alike) are in :data:`sparse_rules`.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Callable

import numpy as np

from ._batching import BatchTrace, BatchTracer
from ._core import Primitive, Tracer
from ._onehot import (
    TRACED_DENSIFY,
    OneHotRows,
    _align,
    _const,
    _finish,
    _plain,
    add_slots,
    densify,
    staged,
)

__all__ = ["JacobianTrace", "defsparse", "sparse_rules", "sparse_process"]


def defsparse(prim: Primitive, rule: Callable) -> None:
    """Register ``rule(vals, dims, params, size)`` for ``prim`` with a one-hot operand.

    ``vals`` holds the operands (a :class:`~funcad._onehot.OneHotRows`, an array, or a
    batched array), ``dims`` for each 0 (batched) or None. Returns a OneHotRows, a dense
    batched array, or None (the operands are made dense and the batching rule runs).
    """
    prim.rules.sparse = rule


# ---------------------------------------------------------------------------
# rules: rule(vals, dims, params, size) -> OneHotRows, ndarray, or None (densify instead)
# ---------------------------------------------------------------------------

def _recordable(rule):
    """Mark a rule that takes values ``jit`` records (slot values, unbatched operands) and
    applies only dispatching NumPy calls to them, never writes in place. A rule without the
    mark (one registered through ``funcad.extend.defsparse``) sees concrete values only: with
    a recorded operand its operands are made dense instead."""
    rule.recordable = True
    return rule


def _scale(op):
    """x * c, c * x, x / c with x sparse and c a concrete unbatched value."""
    @_recordable
    def rule(vals, dims, params, size):
        if len(vals) != 2:
            return None
        a, b = vals
        if type(a) is OneHotRows and dims[1] is None and _const(b):
            sp, c, left = a, b, True
        elif type(b) is OneHotRows and dims[0] is None and _const(a) and op is not np.divide:
            sp, c, left = b, a, False
        else:
            return None
        # Python scalars stay Python scalars: weakly typed, as in NumPy
        sv, si = _align(sp, c.ndim if type(c) is np.ndarray or staged(c) else np.ndim(c))
        nv = op(sv, c) if left else op(c, sv)
        return OneHotRows(nv, si if si.shape == nv.shape else np.broadcast_to(si, nv.shape),
                          size)
    return rule


def _unary(fn):
    @_recordable
    def rule(vals, dims, params, size):
        v = vals[0]
        return OneHotRows(fn(v.vals, **params), v.idx, size)
    return rule


@_recordable
def _convert(vals, dims, params, size):
    dt = np.dtype(params["dtype"])
    if dt.kind not in "fc" or (dt.kind == "f" and vals[0].dtype.kind == "c"):
        return None
    v = vals[0]
    return OneHotRows(v.vals.astype(dt), v.idx, size)


def _join(a: OneHotRows, b: OneHotRows, sign: float, size: int):
    """a + sign * b: one set of slots when the indices agree, else both sets."""
    nd = max(a.vals.ndim, b.vals.ndim) - 1
    av, ai = _align(a, nd)
    bv, bi = _align(b, nd)
    if av.shape == bv.shape and (ai is bi or (ai == bi).all()):
        return OneHotRows(av + bv if sign > 0 else av - bv, ai, size)
    if sign < 0:
        bv = -bv
    if av.shape[1:] != bv.shape[1:]:
        shape = np.broadcast_shapes(av.shape[1:], bv.shape[1:])
        ka, kb = av.shape[0], bv.shape[0]
        av, ai = np.broadcast_to(av, (ka,) + shape), np.broadcast_to(ai, (ka,) + shape)
        bv, bi = np.broadcast_to(bv, (kb,) + shape), np.broadcast_to(bi, (kb,) + shape)
    ka, kb = av.shape[0], bv.shape[0]
    if ka + kb > 4 and ka * kb <= 256:
        # slots of b whose indices equal a slot of a are added into it, so that sums
        # of terms over the same few basis vectors keep few slots
        same = (ai.reshape(ka, 1, -1) == bi.reshape(1, kb, -1)).all(axis=2)
        hit = same.any(axis=0)
        if hit.any():
            where_a = same.argmax(axis=0)
            if staged(av) or staged(bv):     # recorded values: no writes in place
                rows = [av[i] for i in range(ka)]
                for j in np.flatnonzero(hit):
                    rows[where_a[j]] = rows[where_a[j]] + bv[j]
                av = np.stack(rows)
            else:
                av = av + np.zeros((), bv.dtype)     # a fresh array of the joint dtype
                for j in np.flatnonzero(hit):
                    av[where_a[j]] += bv[j]
            bv, bi = bv[~hit], bi[~hit]
    return _finish(np.concatenate([av, bv]), np.concatenate([ai, bi]), size)


def _add_into(dense, sp: OneHotRows, sign: float, dense_first: bool):
    """dense + sign * sp (or sp + sign * dense) as one copy of the dense operand plus the
    slots added in place, instead of densifying the sparse operand first."""
    if dense.shape != sp.shape:
        return None
    if staged(dense) or staged(sp.vals):     # recorded values: no writes in place
        if isinstance(dense, Tracer) and not staged(dense):
            return None
        d = densify(sp)
        if dense_first:
            return dense + d if sign > 0 else dense - d
        return d + dense if sign > 0 else d - dense
    if isinstance(dense, Tracer):
        return None
    dt = np.result_type(dense, sp.vals)
    out = np.array(dense, dtype=dt, order="C")      # C order: the ravel below is a view
    if not dense_first and sign < 0:
        np.negative(out, out=out)
    add_slots(out.ravel(), sp, -1.0 if dense_first and sign < 0 else 1.0)
    return out


def _add(sign):
    @_recordable
    def rule(vals, dims, params, size):
        if len(vals) != 2 or dims[0] is None or dims[1] is None:
            return None
        a, b = vals
        if type(a) is OneHotRows:
            if type(b) is OneHotRows:
                return _join(a, b, sign, size)
            return _add_into(b, a, sign, dense_first=False) if a.vals.shape[0] <= 8 else None
        return _add_into(a, b, sign, dense_first=True) if b.vals.shape[0] <= 8 else None
    return rule


@_recordable
def _sum(vals, dims, params, size):
    v = vals[0]
    nd = v.vals.ndim - 1
    axis = params.get("axis")
    axes = tuple(range(nd)) if axis is None else (
        tuple(a % nd for a in axis) if isinstance(axis, (tuple, list)) else (axis % nd,))
    if not axes:
        return v
    rest = [a for a in range(nd) if a not in axes]
    perm = (0,) + tuple(a + 1 for a in axes) + tuple(a + 1 for a in rest)
    shp = v.vals.shape[1:]
    out = tuple(shp[a] for a in rest)
    if params.get("keepdims"):
        out_k = tuple(1 if a in axes else shp[a] for a in range(nd))
    else:
        out_k = out
    nv = v.vals.transpose(perm).reshape((-1,) + out_k)
    ni = v.idx.transpose(perm).reshape((-1,) + out_k)
    return _finish(nv, ni, size)


def _structural(prim, sparse_pos=0, basic_index=False):
    """Ops that move elements without arithmetic (slices, reshapes, transposes, broadcasts):
    apply ``prim``'s ordinary batching rule to the values and to the indices alike, the slot
    axis standing in for the batch axis. ``basic_index``: ``getitem``."""
    @_recordable
    def rule(vals, dims, params, size):
        batch_rule = prim.rules.batch
        sp = vals[sparse_pos]
        if type(sp) is not OneHotRows:
            return None
        if basic_index and len(vals) == 1:      # x[slices, ints, None, ...]: index directly
            index = (slice(None),) + tuple(params["tree"])
            return OneHotRows(sp.vals[index], sp.idx[index], size)
        for j, (x, d) in enumerate(zip(vals, dims)):
            if j != sparse_pos and (d is not None or not _plain(x)):
                return None
        if batch_rule is None:
            return None
        nv = batch_rule([sp.vals if j == sparse_pos else x for j, x in enumerate(vals)],
                        dims, **params)
        ni = batch_rule([sp.idx if j == sparse_pos else x for j, x in enumerate(vals)],
                        dims, **params)
        return OneHotRows(nv, ni, size)
    return rule


@_recordable
def _index_add(vals, dims, params, size):
    """zeros.at[index].add(sparse), the transpose of slicing, for basic indexes (an integer
    array may repeat a position, which would add two basis indices together)."""
    if len(vals) != 2 or type(vals[1]) is not OneHotRows:
        return None
    base, upd = vals
    if type(base) is OneHotRows:
        zeros = np.zeros(base.vals.shape[1:], base.vals.dtype)
        scattered = _index_add([zeros, upd], [None, 0], params, size)
        return None if scattered is None else _join(base, scattered, 1.0, size)
    if dims[0] is not None or type(base) is not np.ndarray or base.any():
        return None
    bshape = base.shape
    index = tuple(params["tree"])
    region = np.empty(bshape, np.int8)[index].ndim    # per-example rank of the target
    uv, ui = _align(upd, region)
    if uv.ndim - 1 > region:
        return None
    k = uv.shape[0]
    oi = np.zeros((k,) + bshape, ui.dtype)
    target = (slice(None),) + index
    oi[target] = ui
    if staged(uv):
        ov = _pad_slices(uv, bshape, index, np.result_type(base, uv.dtype))
        return None if ov is None else OneHotRows(ov, oi, size)
    ov = np.zeros((k,) + bshape, np.result_type(base, uv))
    ov[target] = uv
    return OneHotRows(ov, oi, size)


def _pad_slices(uv, bshape, index, dtype):
    """Recorded slot values ``uv`` written into zeros of per-example shape ``bshape`` at
    ``index``, for unit-step slices (``x[1:]``, ``x[:, :-1]``): zero blocks concatenated
    around them, as a recording has no writes in place. None for any other index."""
    if len(index) > len(bshape) or uv.shape[1:] != np.empty(bshape, np.int8)[index].shape:
        return None
    out = uv if uv.dtype == dtype else uv.astype(dtype)
    for ax, sl in enumerate(index):
        if type(sl) is not slice or sl.step not in (None, 1):
            return None
        lo, hi, _ = sl.indices(bshape[ax])
        hi = max(lo, hi)
        parts = []
        for n in (lo, bshape[ax] - hi):
            shp = list(out.shape)
            shp[ax + 1] = n
            parts.append(np.zeros(tuple(shp), dtype) if n else None)
        if parts[0] is not None or parts[1] is not None:
            out = np.concatenate([p for p in (parts[0], out, parts[1]) if p is not None],
                                 axis=ax + 1)
    return out


@_recordable
def _index_set(vals, dims, params, size):
    """base.at[index].set(upd) with base and upd sparse or zero, for basic indexes: the base
    with the region cleared, joined with upd scattered into zeros."""
    if len(vals) != 2:
        return None
    base, upd = vals
    index = (slice(None),) + tuple(params["tree"])
    if type(base) is OneHotRows and staged(base.vals):
        keep = np.ones(base.vals.shape, bool)
        keep[index] = False
        kept = OneHotRows(np.where(keep, base.vals, 0), base.idx, size)
    elif type(base) is OneHotRows:
        kept = base.vals.copy()
        kept[index] = 0
        kept = OneHotRows(kept, base.idx, size)
    elif dims[0] is None and _plain(base) and not np.any(base):
        kept = None
    else:
        return None
    if type(upd) is OneHotRows:
        zeros = np.zeros(np.shape(base) if kept is None else base.vals.shape[1:],
                         np.result_type(base if kept is None else base.vals, upd.vals))
        scattered = _index_add([zeros, upd], [None, 0], params, size)
        if scattered is None:
            return None
        return scattered if kept is None else _join(kept, scattered, 1.0, size)
    if dims[1] is None and _plain(upd) and not np.any(upd) and kept is not None:
        return kept
    return None


def _concatenate(prim):
    @_recordable
    def rule(vals, dims, params, size):
        br = prim.rules.batch
        if br is None:
            return None
        ks = [v.vals.shape[0] for v in vals if type(v) is OneHotRows]
        k = max(ks)
        parts_v, parts_i = [], []
        for v, d in zip(vals, dims):
            if type(v) is OneHotRows:
                pv, pi = v.vals, v.idx
                if pv.shape[0] < k:     # pad with empty slots
                    pad = (k - pv.shape[0],) + pv.shape[1:]
                    pv = np.concatenate([pv, np.zeros(pad, pv.dtype)])
                    pi = np.concatenate([pi, np.zeros(pad, pi.dtype)])
            elif d is None and _plain(v) and not np.any(v):
                shp = (k,) + np.shape(v)
                pv, pi = np.zeros(shp, np.result_type(v, 0.0)), np.zeros(shp, np.intp)
            else:
                return None
            parts_v.append(pv)
            parts_i.append(pi)
        d0 = [0] * len(vals)
        return _finish(br(parts_v, d0, **params), br(parts_i, d0, **params), size)
    return rule


@_recordable
def _where(vals, dims, params, size):
    """where(c, a, b) with a concrete unbatched c, and a, b sparse or zero."""
    c, a, b = vals
    if dims[0] is not None or not _const(c):
        return None
    c = c.astype(bool) if staged(c) else np.asarray(c).astype(bool)
    parts = []
    for x, keep in ((a, c), (b, np.logical_not(c))):
        if type(x) is OneHotRows:
            parts.append((x, keep))
        elif not (_plain(x) and not np.any(x)):
            return None
    nd = max([c.ndim] + [x.vals.ndim - 1 for x, _ in parts])
    masked = []
    for x, keep in parts:
        xv, xi = _align(x, nd)
        nv = np.where(keep, xv, 0)
        masked.append(OneHotRows(nv, np.broadcast_to(xi, nv.shape), size))
    return masked[0] if len(masked) == 1 else _join(masked[0], masked[1], 1.0, size)


@_recordable
def _matmul(vals, dims, params, size):
    """W @ x or x @ W with x sparse and W a concrete 1-D or 2-D array: each stored
    element adds a scaled row of W to its basis row, so the cost is that of touching
    W once per slot instead of a product with the whole basis."""
    a, b = vals
    if type(a) is OneHotRows and dims[1] is None and _const(b):
        sp, w, left = a, b, True
    elif type(b) is OneHotRows and dims[0] is None and _const(a):
        sp, w, left = b, a, False
    else:
        return None
    w = w if staged(w) else np.asarray(w)
    snd = sp.vals.ndim - 1
    if w.ndim not in (1, 2) or snd not in (1, 2) or 4 * sp.vals.shape[0] > size:
        return None
    tv, ti = sp.vals, sp.idx
    if not left:      # W @ t = (t^T @ W^T)^T per example
        if snd == 2:
            tv, ti = tv.swapaxes(1, 2), ti.swapaxes(1, 2)
        w = w.T
    k = tv.shape[0]
    p = tv.shape[1] if snd == 2 else 1
    n = tv.shape[-1]
    m = w.shape[1] if w.ndim == 2 else 1
    if w.shape[0] != n:
        return None          # let NumPy raise its shape error on the dense path
    tv, ti = tv.reshape(k, p * n), ti.reshape(k, p * n)
    w2 = w.reshape(n, m)
    rows = ti * p + np.repeat(np.arange(p), n)          # target row b * p + q
    wrows = np.tile(np.arange(n), p)                    # the row of W each element scales
    fresh = k == 1 and rows.shape[1] == size * p and (rows[0] == np.arange(size * p)).all()
    out = None
    if not fresh and (staged(tv) or staged(w2)):
        out = _matmul_staged(tv, ti, w2, wrows, size, k, p, n, m)
    for j in range(k if out is None else 0):
        contrib = tv[j][:, None] * w2[wrows] if p > 1 else tv[j][:, None] * w2
        r = rows[j]
        if fresh:
            out = contrib        # a fresh basis: row b of the result is row b of contrib
            break
        if out is None:
            out = np.zeros((size * p, m), contrib.dtype)
        if np.bincount(r, minlength=size * p).max(initial=0) <= 1:
            out[r] += contrib
        else:
            np.add.at(out, r, contrib)
    out = out.reshape((size, p, m))
    if not left and snd == 2 and w.ndim == 2:
        out = out.swapaxes(1, 2)
    shape = (size,)
    if left:
        shape += ((p,) if snd == 2 else ()) + ((m,) if w.ndim == 2 else ())
    else:
        shape += ((m,) if w.ndim == 2 else ()) + ((p,) if snd == 2 else ())
    return out.reshape(shape)


def _matmul_staged(tv, ti, w2, wrows, size, k, p, n, m):
    """_matmul's sum over the slots for recorded values (no writes in place): the scaled
    rows of W are slots of a (p, m) value, one per (slot, element of the row), densified by
    onehot_dense_p. Returns the (size * p, m) result."""
    contrib = tv[:, :, None] * (w2[wrows] if p > 1 else w2)          # (k, p * n, m)
    vals = contrib.reshape(k, p, n, m).transpose(0, 2, 1, 3).reshape(k * n, p, m)
    idx = ti.reshape(k, p, n).transpose(0, 2, 1).reshape(k * n, p, 1)
    return densify(OneHotRows(vals, np.broadcast_to(idx, (k * n, p, m)), size)).reshape(
        size * p, m)


sparse_rules = SimpleNamespace(
    scale=_scale,               # scale(np.multiply): x * c, c * x with c a concrete constant
    unary=_unary,               # unary(np.negative): an op applied to the slot values alone
    convert=_convert,           # astype to an inexact dtype
    add=_add,                   # add(1.0), add(-1.0): add / subtract (slots joined)
    sum=_sum,                   # a sum over axes moves them into the slots
    where=_where,
    matmul=_matmul,
    index_add=_index_add,
    index_set=_index_set,
    structural=_structural,     # structural(reshape_p): the batching rule on values and indices
    concatenate=_concatenate,   # concatenate(concatenate_p)
)


def sparse_process(prim, vals, dims, params, size):
    """Apply ``prim`` to operands of which at least one is a :class:`OneHotRows`.

    The structural rules (slicing, reshapes, transposes, broadcasts, concatenation) apply
    the primitive's ordinary batching rule to values and indices alike. Returns the
    batched result, or ``None`` when the operands must be made dense.
    """
    rule = prim.rules.sparse
    if rule is None or prim.multiple_results:
        return None
    if not getattr(rule, "recordable", False) and any(
            staged(v) or (type(v) is OneHotRows and staged(v.vals)) for v in vals):
        TRACED_DENSIFY[0] += 1          # a basis lost to the recording: see _onehot
        return None
    return rule(vals, dims, params, size)


class JacobianTrace(BatchTrace):
    """vmap's trace for a Jacobian basis: a batched value may be a :class:`OneHotRows`.

    Operations with a sparse operand go to :func:`sparse_process`; when it has no rule,
    the sparse operands are densified once (the tracer keeps the dense value) and the
    ordinary batching rule runs. Plain ``vmap`` never pays for this check.
    """

    __slots__ = ()

    def process(self, prim, args, params):
        for a in args:
            if type(a) is BatchTracer and a._trace is self and type(a.val) is OneHotRows:
                break
        else:
            return BatchTrace.process(self, prim, args, params)
        vals, dims = self.split(args)
        out = sparse_process(prim, vals, dims, params, self.size)
        if out is not None:
            return BatchTracer(self, out)
        if any(isinstance(v, Tracer) for v in vals):
            TRACED_DENSIFY[0] += 1          # a staged (jit) operand: see _onehot
        for a, v in zip(args, vals):
            if type(v) is OneHotRows:
                a.val = densify(v)
        return BatchTrace.process(self, prim, args, params)
