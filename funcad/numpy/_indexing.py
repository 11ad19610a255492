"""Indexing: ``x[idx]``, its transpose (scatter-add), ``fnp.at(x)[idx].<op>(v)``, nonzero.

An index is split into a static template (ints, slices, None, Ellipsis, and a
``_Slot`` where an integer array goes) and the integer arrays themselves, which
become positional operands: they can be batched by vmap but carry no
derivative. Boolean masks become integer arrays through ``nonzero``.

Three primitives (getitem, index_add, index_set) carry everything; their
batching rules handle batched operands and batched integer arrays directly
(no per-example loop), following NumPy's placement of advanced-index axes.
``at(x)[idx].multiply/min/max/...`` with repeated indices apply the updates in
sequence (like ``np.multiply.at``) as rounds of unique-index sets.
"""

from __future__ import annotations

import math

import numpy as np

from ..extend import deflazy
from ..extend import (Tracer, def_linear, defbatch, defsparse, defsparsity, fresh, full_lower,
                      is_foreign, scatter_add, sparse_rules, sparsity_rules)
from ..extend import to_numpy, value_under
from ..extend import zeros_like_type as zeros
from ..errors import BatchingError
from ._base import (Primitive, as_type_of_any, defjvp_full, defvjp_argnum, dtype_of, export,
                    is_traced, shape_of, unbroadcast)
from ._elementwise import (add_p, divide_p, equal_p, maximum_p, minimum_p, multiply_p, negative_p,
                           power_p, where)
from ._shape import broadcast_to, reshape, transpose


class _Slot:
    """Where an index array goes in the template."""

    __slots__ = ()

    def __repr__(self):
        return "<array>"


_SLOT = _Slot()


def _split_index(idx, x_shape):
    """-> (template tuple, list of integer index arrays)."""
    if not isinstance(idx, tuple):
        idx = (idx,)
    template = []
    arrays = []
    for item in idx:
        if item is None or item is Ellipsis or isinstance(item, slice):
            if isinstance(item, slice) and (isinstance(item.start, Tracer) or isinstance(
                    item.stop, Tracer) or isinstance(item.step, Tracer)):
                item = slice(*(None if v is None else int(full_lower(v).__index__())
                               for v in (item.start, item.stop, item.step)))
            template.append(item)
        elif isinstance(item, (bool, np.bool_)):
            template.append(None)   # numpy: x[True] adds an axis of length 1
            if not item:
                raise NotImplementedError("x[False] (an empty selection) is not supported on "
                                          "traced values")
        elif isinstance(item, (int, np.integer)):
            template.append(int(item))
        else:
            if isinstance(item, Tracer):
                if not np.issubdtype(item.dtype, np.integer) and item.dtype != np.bool_:
                    raise IndexError(f"arrays used as indices must be integer or boolean, got "
                                     f"dtype {item.dtype}")
                if item.dtype == np.bool_:
                    try:
                        item = full_lower(item)     # a mask's true entries fix the shape
                    except BatchingError as e:
                        raise BatchingError(
                            "x[mask] with a boolean mask batched by vmap selects a different "
                            "number of entries per example; use fnp.where(mask, x, 0) (or "
                            "x[mask] = v / fnp.at(x)[mask].add(v) with a scalar v, which vmap "
                            "supports)") from e
            else:             # a CuPy index array to the host, as index arrays are kept
                item = to_numpy(item) if is_foreign(item) else np.asarray(item)
                if item.dtype.kind not in "iub":
                    raise IndexError(f"arrays used as indices must be integer or boolean, got "
                                     f"dtype {item.dtype}")
            if not isinstance(item, Tracer) and item.dtype == np.bool_:
                for a in np.nonzero(item):
                    template.append(_SLOT)
                    arrays.append(a)
            else:
                template.append(_SLOT)
                arrays.append(item)
    return tuple(template), arrays


def _build(template, arrays):
    if not arrays:
        return template         # a basic index: the template is the index
    it = iter(arrays)
    return tuple(next(it) if t is _SLOT else t for t in template)


# ---------------------------------------------------------------------------
# getitem and its transpose
# ---------------------------------------------------------------------------

getitem_p = Primitive("getitem", lambda x, *arrs, tree: x[_build(tree, arrs)])
index_add_p = Primitive("index_add", None)
index_set_p = Primitive("index_set", None)
deflazy(getitem_p, index_add_p, index_set_p)      # impls below: Dask has no ufunc.at (_arrays)
def_linear(getitem_p, (0,))
defsparse(getitem_p, sparse_rules.structural(getitem_p, basic_index=True))
defsparse(index_add_p, sparse_rules.index_add)
defsparse(index_set_p, sparse_rules.index_set)
defsparsity(index_set_p, sparsity_rules.move(index_set_p, data=(0, 1)))
def_linear(index_add_p, (0, 1))     # in the base and the update together
def_linear(index_set_p, (0, 1))


def _result_dtype(base, upd):
    dt = getattr(base, "dtype", None)
    if dt is not None and type(upd) is np.ndarray and upd.dtype == dt:
        return dt                     # the common case, without NumPy's promotion machinery
    # dtypes, not arrays: np.result_type of a CuPy and a NumPy array is refused
    return np.result_type(*(getattr(v, "dtype", v) for v in (base, upd)))


def _zero_fill(base) -> bool:
    """Is ``base`` one zero broadcast to its shape (``_add_into_zeros``'s base)? Then the
    output starts from ``np.zeros`` instead of a copy of the broadcast view."""
    if (type(base) is not np.ndarray or base.flags.writeable or base.dtype.kind not in "iuf"
            or any(base.strides)):
        return False
    v = base.flat[0] if base.size else 1
    return not v and not np.signbit(v)          # +0 only: -0.0 + 0.0 is +0.0, not -0.0


_ZERO_VIEW_MIN = 1 << 14     # elements: below this the old copy path is as fast


def _zeros_view(shape, dt):
    """A read-only array of zeros of ``shape`` that holds one element (all strides 0)."""
    z = np.ndarray(shape, dt, np.zeros((), dt), 0, (0,) * len(shape))
    z.flags.writeable = False
    return z


def _index_add_impl(base, upd, *arrs, tree):
    idx = _build(tree, arrs)
    if is_foreign(upd) or is_foreign(base):      # a Dask or CuPy array: no ufunc.at in Dask
        dt = _result_dtype(base, upd)
        if arrs:
            return scatter_add(base, idx, upd, dt)
        out = fresh(base, upd, dt)
        out[idx] = out[idx] + upd
        return out
    if _zero_fill(base):
        out = np.zeros(base.shape, _result_dtype(base, upd))
        if arrs:
            np.add.at(out, idx, upd)
        else:                 # a basic index selects each entry once: a plain write
            out[idx] = upd
        return out
    out = np.array(base, dtype=_result_dtype(base, upd), copy=True)
    if arrs:
        np.add.at(out, idx, upd)
    else:
        out[idx] += upd
    return out


def _index_set_impl(base, upd, *arrs, tree):
    if is_foreign(upd) or is_foreign(base):
        out = fresh(base, upd, _result_dtype(base, upd))
    else:
        out = np.array(base, dtype=_result_dtype(base, upd), copy=True)
    out[_build(tree, arrs)] = upd
    return out


index_add_p.impl = _index_add_impl
index_set_p.impl = _index_set_impl
defsparsity(index_add_p, sparsity_rules.index_add(_build))


def _slot_extent(vals, k, params):
    """The length of the axis of x that index array k - 1 indexes (its values' range)."""
    tree, ndim = params["tree"], len(shape_of(vals[0]))
    consumed = sum(1 for t in tree if t is not None and t is not Ellipsis)
    axis, slot = 0, 0
    for t in tree:
        if t is Ellipsis:
            axis += ndim - consumed
        elif t is not None:
            if t is _SLOT:
                slot += 1
                if slot == k:
                    return shape_of(vals[0])[axis]
            axis += 1
    raise AssertionError("no such index array")   # pragma: no cover


# constant indices: exact; one index computed from the input (argsort): any along its axis
defsparsity(getitem_p, sparsity_rules.any_index(sparsity_rules.move(getitem_p), _slot_extent))


def _getitem_jvp(primals, tangents, ans, *, tree):
    t = tangents[0]
    return None if t is None else getitem_p(t, *primals[1:], tree=tree)


def _add_into_zeros(shape, upd, arrs, tree):
    """``index_add(zeros(shape), upd)``: a plain write when nothing is traced and the index
    is basic (it selects each entry at most once), else the primitive."""
    dt = dtype_of(upd)
    if is_foreign(value_under(upd)):      # Dask / CuPy (under tracers too): zeros of its type
        return index_add_p(zeros(shape, dt, like=upd), upd, *arrs, tree=tree)
    if not arrs and not isinstance(upd, Tracer):
        out = np.zeros(shape, dt)
        out[tree] = upd
        return out
    # one zero broadcast (no memory): the impl starts from np.zeros, batched or not
    big = math.prod(shape) >= _ZERO_VIEW_MIN      # small: np.zeros and a copy cost less
    return index_add_p(_zeros_view(shape, dt) if big else np.zeros(shape, dt), upd, *arrs,
                       tree=tree)


def _getitem_vjp(j, g, _ans, x, *arrs, tree):
    if j:
        return None
    return _add_into_zeros(shape_of(x), g, arrs, tree)


defjvp_full(getitem_p, _getitem_jvp)
defvjp_argnum(getitem_p, _getitem_vjp, keep=(False,))


def _scatter_jvp(p):
    def rule(primals, tangents, ans, *, tree):
        tb, tu = tangents[0], tangents[1]
        if tb is None and tu is None:
            return None
        b, u = primals[0], primals[1]
        if tb is None and p is index_add_p and tu is not None and dtype_of(tu) == dtype_of(ans):
            return _add_into_zeros(shape_of(b), tu, primals[2:], tree)
        tb = zeros(shape_of(b), dtype_of(ans), like=b) if tb is None else tb
        tu = zeros(shape_of(u), dtype_of(ans), like=u) if tu is None else tu
        return p(tb, tu, *primals[2:], tree=tree)
    return rule


def _index_add_vjp(j, g, _ans, base, upd, *arrs, tree):
    if j == 0:
        return g
    if j == 1:
        return unbroadcast(getitem_p(g, *arrs, tree=tree), shape_of(upd))
    return None


def _index_set_vjp(j, g, _ans, base, upd, *arrs, tree):
    if j == 0:
        return index_set_p(g, zeros((), dtype_of(g), like=g), *arrs, tree=tree)
    if j == 1:
        gu = getitem_p(g, *arrs, tree=tree)
        if arrs:
            gu = _where_won(gu, base, arrs, tree)
        return unbroadcast(gu, shape_of(upd))
    return None


def _where_won(gu, base, arrs, tree):
    """Zero the cotangent of updates that a later duplicate index overwrote (last write wins).

    Each update position writes its own id into an integer array with the same
    primitive as the forward pass; an update won where its id is read back.
    """
    region = shape_of(gu)
    ids = np.arange(int(np.prod(region, dtype=np.int64))).reshape(region)
    written = index_set_p(np.full(shape_of(base), -1), ids, *arrs, tree=tree)
    won = equal_p(getitem_p(written, *arrs, tree=tree), ids)   # NumPy unless arrs are batched
    return where(as_type_of_any(won, gu), gu, 0.0)


defjvp_full(index_add_p, _scatter_jvp(index_add_p))
defvjp_argnum(index_add_p, _index_add_vjp, keep=(False, False))
defjvp_full(index_set_p, _scatter_jvp(index_set_p))
defvjp_argnum(index_set_p, _index_set_vjp, keep=(False, False))


# ---------------------------------------------------------------------------
# batching: basic indexes get a leading full slice; with integer arrays, a batch arange
# joins the advanced indices and the result's axes are put back where NumPy puts them
# per example (advanced axes in place when the advanced indices are adjacent, else first)
# ---------------------------------------------------------------------------

def _batched_template(tree):
    return (slice(None),) + tuple(tree)


def _indexed_shape(shape, tree, arr_shapes):
    probe = np.lib.stride_tricks.as_strided(np.zeros(1), shape, (0,) * len(shape))
    return probe[_build(tree, [np.zeros(s, int) for s in arr_shapes])].shape


def _advanced_layout(tree, ndim):
    """-> (adjacent, p): are the advanced items (arrays, ints) adjacent, and how many output
    axes come before them."""
    adv = [i for i, t in enumerate(tree) if t is _SLOT or isinstance(t, int)]
    adjacent = adv == list(range(adv[0], adv[-1] + 1))
    consumed = sum(1 for t in tree if t is not None and t is not Ellipsis)
    p = 0
    for t in tree[:adv[0]]:
        p += (ndim - consumed) if t is Ellipsis else (1 if t is None or isinstance(t, slice)
                                                       else 0)
    return adjacent, p


def _batched_index(vals, dims, tree):
    """Per-example (x, arrays) -> batched (x, arrays, template), and the advanced block's
    per-example position (None when it already leads) and rank."""
    size = next(shape_of(v)[0] for v, d in zip(vals, dims) if d is not None)
    x, arrs = vals[0], vals[1:]
    xshape = shape_of(x)[1:] if dims[0] is not None else shape_of(x)
    shapes = [shape_of(a)[1:] if d is not None else shape_of(a) for a, d in zip(arrs, dims[1:])]
    nb = len(np.broadcast_shapes(*shapes))
    new = [np.arange(size).reshape((size,) + (1,) * nb)]
    for a, d, s in zip(arrs, dims[1:], shapes):
        if d is not None and len(s) < nb:
            a = reshape(a, (size,) + (1,) * (nb - len(s)) + tuple(s))
        new.append(a)
    adjacent, p = _advanced_layout(tree, len(xshape))
    return size, xshape, new, (_SLOT,) + tuple(tree), (p if adjacent and p else None), nb


def _move_block(v, start, stop, dest):
    """Move axes [start, stop) of ``v`` so that they begin at ``dest``."""
    nd = len(shape_of(v))
    block = list(range(start, stop))
    rest = [i for i in range(nd) if i < start or i >= stop]
    return transpose(v, rest[:dest] + block + rest[dest:])


def _shared_index(dims, tree, ndim) -> bool:
    """Are the index arrays the same for every example (not batched) and the advanced items
    adjacent? Then ``x[:, idx]`` indexes the batch as it is (no ``arange`` over the batch:
    cheaper, and the one form of advanced index Dask supports)."""
    return all(d is None for d in dims) and _advanced_layout(tree, ndim)[0]


def _getitem_batch(vals, dims, *, tree):
    x, arrs = vals[0], vals[1:]
    if not arrs or (dims[0] is not None and _shared_index(dims[1:], tree, len(shape_of(x)) - 1)):
        return getitem_p(x, *arrs, tree=_batched_template(tree))
    size, xshape, new, btree, p, nb = _batched_index(vals, dims, tree)
    if dims[0] is None:
        x = broadcast_to(x, (size,) + tuple(xshape))
    out = getitem_p(x, *new, tree=btree)
    return out if p is None else _move_block(out, 1, 1 + nb, 1 + p)


def _scatter_batch(p):
    def rule(vals, dims, *, tree):
        base, upd, arrs = vals[0], vals[1], vals[2:]
        size = next(shape_of(v)[0] for v, d in zip(vals, dims) if d is not None)
        bshape = shape_of(base)[1:] if dims[0] is not None else shape_of(base)
        if dims[0] is None:
            base = broadcast_to(base, (size,) + tuple(bshape))
        ashapes = [shape_of(a)[1:] if d is not None else shape_of(a)
                   for a, d in zip(arrs, dims[2:])]
        region = _indexed_shape(bshape, tree, ashapes)
        if dims[1] is not None:
            us = shape_of(upd)
            k = len(region) - (len(us) - 1)
            if k > 0:
                upd = reshape(upd, (us[0],) + (1,) * k + tuple(us[1:]))
            elif k < 0:          # leading length-1 axes of the update, as NumPy allows
                upd = reshape(upd, (us[0],) + tuple(us[1 - k:]))
        if not arrs:
            return p(base, upd, tree=_batched_template(tree))
        if _shared_index(dims[2:], tree, len(bshape)):
            return p(base, broadcast_to(upd, (size,) + tuple(region)), *arrs,
                     tree=_batched_template(tree))
        upd = broadcast_to(upd, (size,) + tuple(region))
        _, _, new, btree, pos, nb = _batched_index([base] + list(arrs), [0] + list(dims[2:]),
                                                   tree)
        if pos is not None:
            upd = _move_block(upd, 1 + pos, 1 + pos + nb, 1)
        return p(base, upd, *new, tree=btree)
    return rule


defbatch(getitem_p, _getitem_batch)
defbatch(index_add_p, _scatter_batch(index_add_p))
defbatch(index_set_p, _scatter_batch(index_set_p))


def getitem(x, idx):
    """``x[idx]`` for traced and plain arrays: basic, advanced and boolean indexing.

    Example:
        >>> import funcad as fad, funcad.numpy as fnp
        >>> fad.grad(lambda x: x[1] * x[-1])(fnp.array([1.0, 2.0, 3.0]))
        array([0., 3., 2.])
    """
    if not is_traced(x) and not is_traced(*(idx if isinstance(idx, tuple) else (idx,))):
        return np.asarray(x)[idx]
    tree, arrs = _split_index(idx, shape_of(x))
    return getitem_p(x, *arrs, tree=tree)


export(getitem, "getitem")


# ---------------------------------------------------------------------------
# functional updates: x.at[idx].set(v) / .add(v) / .get()
# ---------------------------------------------------------------------------

class _IndexRef:
    __slots__ = ("x", "idx")

    def __init__(self, x, idx):
        self.x, self.idx = x, idx

    def _args(self, v):
        tree, arrs = _split_index(self.idx, shape_of(self.x))
        return self.x, v, arrs, tree

    def _full_mask(self, values):
        """A traced boolean mask of x's shape with a scalar value: a ``where`` does it (works
        under vmap, where the mask's true entries differ per example)."""
        m = self.idx
        return (isinstance(m, Tracer) and m.dtype == np.bool_ and shape_of(m) == shape_of(self.x)
                and len(shape_of(values)) == 0)

    def get(self):
        """``x[idx]``."""
        return getitem(self.x, self.idx)

    def set(self, values):
        """A copy of ``x`` with ``x[idx] = values``.

        For repeated indices the last write wins, and only the winning update
        receives a derivative.
        """
        if self._full_mask(values):
            return where(self.idx, values, self.x)
        x, v, arrs, tree = self._args(values)
        return index_set_p(x, v, *arrs, tree=tree)

    def add(self, values):
        """A copy of ``x`` with ``values`` added at ``idx``; repeated indices accumulate."""
        if self._full_mask(values):
            return where(self.idx, add_p(self.x, values), self.x)
        x, v, arrs, tree = self._args(values)
        return index_add_p(x, v, *arrs, tree=tree)

    def subtract(self, values):
        """A copy of ``x`` with ``values`` subtracted at ``idx``."""
        return self.add(negative_p(values))

    def multiply(self, values):
        """A copy of ``x`` with ``x[idx] *= values`` (repeated indices multiply in turn)."""
        return self._apply_each(values, multiply_p)

    def divide(self, values):
        """A copy of ``x`` with ``x[idx] /= values`` (repeated indices divide in turn)."""
        return self._apply_each(values, divide_p)

    def power(self, values):
        """A copy of ``x`` with ``x[idx] **= values`` (repeated indices apply in turn)."""
        return self._apply_each(values, power_p)

    def min(self, values):
        """A copy of ``x`` with ``x[idx] = minimum(x[idx], values)`` (like np.minimum.at)."""
        return self._apply_each(values, minimum_p)

    def max(self, values):
        """A copy of ``x`` with ``x[idx] = maximum(x[idx], values)`` (like np.maximum.at)."""
        return self._apply_each(values, maximum_p)

    def _apply_each(self, values, op):
        # Sequential semantics (np.multiply.at): the k-th occurrence of each target index is
        # applied in round k, so every round writes distinct positions.
        if self._full_mask(values):
            return where(self.idx, op(self.x, values), self.x)
        shape = shape_of(self.x)
        tree, arrs = _split_index(self.idx, shape)
        one = int(np.prod(np.broadcast_shapes(*[shape_of(a) for a in arrs]), dtype=np.int64)) <= 1
        if not arrs or one:      # one position per index array: nothing can repeat
            return self.set(op(getitem(self.x, self.idx), values))
        try:
            lowered = [full_lower(a) for a in arrs]
        except Exception as e:   # batched index arrays: the rounds differ per example
            raise NotImplementedError(
                "at[...].multiply/divide/power/min/max with integer-array indices batched by "
                "vmap is not supported (repeated indices must be applied in sequence, and the "
                "sequence differs per example); use .set(op(x[idx], v)) with unique indices, "
                "or .add") from e
        size = int(np.prod(shape, dtype=np.int64))
        targets = np.arange(size).reshape(shape)[_build(tree, lowered)]
        if np.unique(targets).size == targets.size:
            return self.set(op(getitem(self.x, self.idx), values))
        flat_t = targets.ravel()
        order = np.argsort(flat_t, kind="stable")
        srt = flat_t[order]
        first = np.concatenate([[0], np.flatnonzero(srt[1:] != srt[:-1]) + 1])
        group_start = first[np.searchsorted(first, np.arange(srt.size), side="right") - 1]
        rank = np.empty_like(flat_t)
        rank[order] = np.arange(srt.size) - group_start
        vf = reshape(broadcast_to(values, targets.shape), (-1,))
        xf = reshape(self.x, (-1,))
        for r in range(int(rank.max()) + 1):
            sel = np.flatnonzero(rank == r)
            t = flat_t[sel]
            xf = at(xf)[t].set(op(getitem(xf, t), getitem(vf, sel)))
        return reshape(xf, shape)


class _IndexHelper:
    __slots__ = ("x",)

    def __init__(self, x):
        self.x = x

    def __getitem__(self, idx):
        return _IndexRef(self.x, idx)


def at(x):
    """JAX-style functional updates for traced and plain arrays: ``fnp.at(x)[idx].set(v)``.

    Tracers also have the property form ``x.at[idx]``. Operations: ``get``,
    ``set`` (repeated indices: the last write wins), ``add`` and ``subtract``
    (repeated indices accumulate), ``multiply``, ``divide``, ``power``,
    ``min``, ``max`` (repeated indices apply in sequence, like
    ``np.multiply.at``). Indices may be ints, slices, boolean masks or integer
    arrays. The input is never modified.

    Example:
        >>> import funcad.numpy as fnp
        >>> x = fnp.zeros(3)
        >>> fnp.at(x)[[0, 0, 2]].add(1.0)
        array([2., 0., 1.])
        >>> fnp.at(fnp.ones(2))[[0, 0]].multiply(3.0)
        array([9., 1.])
        >>> x
        array([0., 0., 0.])
    """
    return _IndexHelper(x)


export(at, "at")


# ---------------------------------------------------------------------------
# nonzero and friends: integer results, no derivative
# ---------------------------------------------------------------------------

def nonzero(a):
    """``np.nonzero`` on a traced value (computed on its value; zero derivative).

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.nonzero(fnp.array([0.0, 2.0, 3.0]))
        (array([1, 2]),)
    """
    return np.nonzero(full_lower(a))


export(nonzero, "nonzero", np.nonzero)
