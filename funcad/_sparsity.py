"""Sparsity detection: an interpreter whose values carry, per element, the inputs it depends on.

A :class:`SparsityTracer` holds the value at the given point (for shapes, dtypes and the
NumPy implementations) and an :class:`~funcad._index_sets.IndexSets`: for each element, the
sorted input indices it may depend on. Each primitive maps its operands' sets to its
output's with the rule in ``prim.rules.sparsity`` (``rule(sets, vals, ans, **params)``; a
set is None for an operand that is not traced here). Defaults keep every primitive sound:
elementwise primitives take the broadcast union of their operands' sets, primitives marked
``nondiff`` depend on nothing, and any other primitive without a rule makes every output
element depend on everything its operands depend on.

For Hessians the trace also collects the pairs of inputs that interact nonlinearly: a
primitive linear in its traced operands adds nothing, a multilinear one (``multiply``,
``matmul``: ``Linearity(joint=False)``) adds the pairs across operands, element by element,
and any other adds all pairs within each output element's set.

*Global* patterns (the default) hold for every input: the trace refuses to branch on a value.
With ``local=True`` Python control flow sees the values, and the pattern holds at this point.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ._core import Primitive, Trace, Tracer, new_trace
from ._index_sets import IndexSets, SparsityError, _check_size, cross_keys
from ._pattern import unique_ints
from ._rules import RuleView
from ._util import canonical_axis, dtype_of, shape_of
from .errors import ConcretizationError

__all__ = [
    "Inline",
    "SparsityError",
    "SparsityTrace",
    "SparsityTracer",
    "defsparsity",
    "detect_flat",
    "sparsity_rules",
]

sparsity_rules_view = RuleView("sparsity")
_DENSE_PAIRS = 1 << 24      # up to n*n = this, Hessian pairs live in a dense boolean mask


class Inline:
    """A sparsity rule that re-runs a function on the tracers (call primitives: checkpoint,
    custom_jvp). ``fn(*args, **params)`` returns what the primitive returns. Data-dependent
    control flow inside falls back to the conservative rule."""

    __slots__ = ("fn",)

    def __init__(self, fn: Callable):
        self.fn = fn


def defsparsity(prim: Primitive, rule) -> None:
    """Register ``prim``'s sparsity rule: ``rule(sets, vals, ans, **params)`` returns the
    output's :class:`IndexSets` (a list for ``multiple_results``), or an :class:`Inline`.
    ``sets[i]`` is None for a constant operand (then ``vals[i]`` is its value)."""
    prim.rules.sparsity = rule


class SparsityTracer(Tracer):
    __slots__ = ("sets", "val")

    def __init__(self, trace, val, sets: IndexSets):
        self._trace = trace
        self.val = val
        self.sets = sets

    @property
    def shape(self) -> tuple:
        return shape_of(self.val)

    @property
    def dtype(self):
        return dtype_of(self.val)

    def _become(self, other):
        self.val, self.sets = other.val, other.sets

    def _under(self):
        return self.val

    def _concrete(self):
        if self._trace.local:
            return self.val
        raise ConcretizationError(
            f"{self._trace.caller} detects a pattern valid for every input, so the function "
            "cannot branch on a traced value (if/while/bool/int/float or a boolean mask of a "
            "traced value, here of shape "
            f"{shape_of(self.val)}). Write the branch with funcad.numpy.where, pass "
            "sparsity= a pattern of your own, or detect at this point with local=True.")

    def __repr__(self):
        return f"SparsityTracer(shape={self.shape}, nnz={self.sets.nnz})"


class SparsityTrace(Trace):
    __slots__ = ("caller", "hessian", "keys", "local", "mask", "n", "nkeys")
    kind = "sparsity"

    def __init__(self, n: int, local: bool, hessian: bool, caller: str):
        super().__init__()
        self.n, self.local, self.hessian, self.caller = n, local, hessian, caller
        self.keys, self.nkeys = [], 0
        self.mask = np.zeros(n * n, bool) if hessian and n * n <= _DENSE_PAIRS else None

    def pure(self, x):
        return SparsityTracer(self, x, IndexSets.empty(math.prod(shape_of(x)), self.n))

    def process(self, prim, args, params):
        vals, sets, lower = [], [], False
        for a in args:
            if type(a) is SparsityTracer and a._trace is self:
                vals.append(a.val)
                lower = lower or isinstance(a.val, Tracer)     # a value jit is recording
                # local: an integer operand with no derivative (an index) is taken as it is
                const = self.local and not a.sets.nnz and dtype_of(a.val).kind in "iub"
                sets.append(None if const else a.sets)
            else:
                vals.append(a)
                sets.append(None)
                lower = lower or isinstance(a, Tracer)
        rule = prim.rules.sparsity
        if isinstance(rule, Inline):
            try:
                return rule.fn(*args, **params)
            except SparsityError:
                raise
            except Exception:  # noqa: BLE001 - data-dependent code inside: the sound fallback
                rule = conservative
        ans = (prim if lower else prim.impl)(*vals, **params)
        multi = prim.multiple_results
        if prim.nondiff or all(s is None for s in sets):
            outs = [IndexSets.empty(_size(a), self.n) for a in (ans if multi else [ans])]
        else:
            if rule is None:
                rule = elementwise if prim.rules.elementwise else conservative
            outs = rule(sets, vals, ans, **params)
            outs = list(outs) if multi else [outs]
            if self.hessian:
                self._record(prim, rule, sets, vals, ans, params, outs)
        wrapped = [SparsityTracer(self, a, s) for a, s in zip(ans if multi else [ans], outs)]
        return wrapped if multi else wrapped[0]

    # -- Hessians: pairs of inputs that interact nonlinearly ------------------------
    def _record(self, prim, rule, sets, vals, ans, params, outs):
        live = [i for i, s in enumerate(sets) if s is not None and s.nnz]
        if not live:
            return
        lin = prim.rules.linear
        covered = lin is not None and (lin.operands is None or set(live) <= lin.operands)
        if covered and (lin.joint or len(live) == 1):
            return                       # linear in everything traced: no second derivative
        if rule is conservative:
            u = unique_ints(np.concatenate([sets[i].indices for i in live]))
            self._add(cross_keys(*(IndexSets(np.array([0, len(u)]), u, self.n),) * 2))
            return
        if covered:                      # multilinear: pairs across operands only
            parts = []
            for i in live:
                only = [s if j == i or s is None else IndexSets.empty(s.m, s.n)
                        for j, s in enumerate(sets)]
                out = rule(only, vals, ans, **params)
                parts.append(out[0] if prim.multiple_results else out)
            for a in range(len(parts)):
                for b in range(a + 1, len(parts)):
                    self._add(cross_keys(parts[a], parts[b]))
            return
        for o in outs:
            self._add(cross_keys(o, o))

    def _add(self, keys):
        if not len(keys):
            return
        if self.mask is not None:
            self.mask[keys] = True
            return
        self.keys.append(keys)
        self.nkeys += len(keys)
        if self.nkeys > 1 << 22 and len(self.keys) > 1:      # merge now and then
            self.keys = [unique_ints(np.concatenate(self.keys))]
            self.nkeys = len(self.keys[0])

    def pairs(self) -> np.ndarray:
        """The sorted keys ``i * n + j`` (i <= j) of every interacting pair."""
        if self.mask is not None:
            return np.flatnonzero(self.mask)
        return unique_ints(np.concatenate(self.keys)) if self.keys else np.zeros(0, np.int64)


def _size(x) -> int:
    return math.prod(shape_of(x))


def _n_of(sets) -> int:
    return next(s.n for s in sets if s is not None)


# ---------------------------------------------------------------------------
# rules
# ---------------------------------------------------------------------------

def _bcast(shape_in, shape_out) -> np.ndarray:
    """For each element of ``shape_out``, the element of ``shape_in`` broadcast to it."""
    codes = np.arange(math.prod(shape_in), dtype=np.int64).reshape(shape_in)
    return np.broadcast_to(codes, shape_out).ravel()


def elementwise(sets, vals, ans, **_params):
    """Broadcasting elementwise: each output element, the union of its operands' elements."""
    out_shape, n = shape_of(ans), _n_of(sets)
    parts = []
    for s, v in zip(sets, vals):
        if s is None or not s.nnz:
            continue
        shp = shape_of(v)
        parts.append(s if tuple(shp) == tuple(out_shape) else s.gather(_bcast(shp, out_shape)))
    return IndexSets.union(parts, math.prod(out_shape), n)


def select(sets, vals, ans, **_params):
    """``where(c, a, b)``: with a constant condition each element takes one branch's set;
    with a traced one (its value varies), the union of both."""
    cond = vals[0]
    if sets[0] is not None or not isinstance(cond, (np.ndarray, np.generic, bool)):
        return elementwise(sets, vals, ans)
    out_shape, n = shape_of(ans), _n_of(sets)
    c = np.broadcast_to(np.asarray(cond, bool), out_shape).ravel()
    parts = []
    for s, v, pick in ((sets[1], vals[1], c), (sets[2], vals[2], ~c)):
        if s is not None and s.nnz:
            parts.append(s.gather(np.where(pick, _bcast(shape_of(v), out_shape), -1)))
    return IndexSets.union(parts, math.prod(out_shape), n)


def conservative(sets, vals, ans, **_params):
    """Every output element depends on everything any operand depends on."""
    n = _n_of(sets)
    live = [s.indices for s in sets if s is not None and s.nnz]
    cols = unique_ints(np.concatenate(live)) if live else np.zeros(0, np.int64)
    outs = ans if isinstance(ans, (list, tuple)) else [ans]
    res = [IndexSets.uniform(_size(a), cols, n) for a in outs]
    return res if isinstance(ans, (list, tuple)) else res[0]


def move(prim: Primitive, data=(0,)):
    """A primitive that only moves, copies or drops elements of its ``data`` operands
    (None: all): reshape, transpose, broadcast_to, getitem, concatenate, x.at[i].set(v).
    Its implementation runs on element codes, so the rule is exact. Other operands (index
    arrays) must be constants, or the rule is conservative."""
    def rule(sets, vals, ans, **params):
        which = range(len(vals)) if data is None else data
        codes, parts, off = list(vals), [], 0
        for i, (s, v) in enumerate(zip(sets, vals)):
            shp = shape_of(v)
            if i in which:
                if s is None:
                    codes[i] = np.zeros(shp, np.int64)
                else:
                    m = math.prod(shp)
                    codes[i] = np.arange(off + 1, off + m + 1, dtype=np.int64).reshape(shp)
                    parts.append(s)
                    off += m
            elif s is not None:
                return conservative(sets, vals, ans)      # indices computed from the input
        src = np.asarray(prim.impl(*codes, **params)).ravel().astype(np.int64) - 1
        return IndexSets.concat(parts).gather(src)
    return rule


def any_index(rule: Callable, extent: Callable):
    """A gather (``rule``, exact for constant indices) whose one traced index operand ``k``
    may hold any value in ``range(extent(vals, k, params))``: the union of ``rule`` over
    those values. ``take_along_axis(x, argsort(x))`` is then dense along its axis only.
    With several traced index operands, or none, it is ``rule`` itself."""
    def wrapped(sets, vals, ans, **params):
        traced = [k for k in range(1, len(vals)) if sets[k] is not None]
        if len(traced) != 1:
            return rule(sets, vals, ans, **params)
        k, n = traced[0], _n_of(sets)
        sets = list(sets)
        sets[k] = None
        if all(s is None for s in sets):     # a constant gathered: no derivative
            return IndexSets.empty(_size(ans), n)
        length = extent(vals, k, params)
        _check_size(length * math.prod(shape_of(ans)), "a gather with computed indices")
        parts = []
        for j in range(length):
            vj = list(vals)
            vj[k] = np.full(shape_of(vals[k]), j, np.int64)
            parts.append(rule(sets, vj, ans, **params))
        return IndexSets.union(parts, _size(ans), n)
    return wrapped


def index_add(build: Callable):
    """``x.at[idx].add(v)``: x's sets, plus each update's set at the element it lands on.
    ``build(tree, arrays)`` makes the NumPy index from the primitive's parameters."""
    def rule(sets, vals, ans, *, tree):
        upd, arrs = vals[1], vals[2:]
        if any(s is not None for s in sets[2:]):
            return conservative(sets, vals, ans)       # indices computed from the input
        shp, n = shape_of(ans), _n_of(sets)
        m = math.prod(shp)
        parts = [sets[0] if sets[0] is not None else IndexSets.empty(m, n)]
        if sets[1] is not None and sets[1].nnz:
            targets = np.arange(m, dtype=np.int64).reshape(shp)[build(tree, list(arrs))]
            src = _bcast(shape_of(upd), targets.shape)
            parts.append(sets[1].merge(targets.ravel(), src, m))
        return IndexSets.union(parts, m, n)
    return rule


def _lines(shape, axis):
    """Element codes of ``shape`` as (lines, length along ``axis``)."""
    codes = np.moveaxis(np.arange(math.prod(shape), dtype=np.int64).reshape(shape), axis, -1)
    return codes.reshape(-1, shape[axis]) if shape else codes.reshape(1, 1)


def reduce(sets, vals, ans, *, axis=None, keepdims=False, **_params):
    """A reduction over ``axis``: each output element, the union over what it reduces."""
    shp = shape_of(vals[0])
    axes = canonical_axis(axis, len(shp))
    keep = [a for a in range(len(shp)) if a not in axes]
    codes = np.arange(math.prod(shp), dtype=np.int64).reshape(shp)
    m_out = _size(ans)
    moved = np.transpose(codes, keep + list(axes)).reshape(m_out, -1)
    out = np.repeat(np.arange(m_out, dtype=np.int64), moved.shape[1])
    return sets[0].merge(out, moved.ravel(), m_out)


def cumsum(sets, vals, ans, *, axis, reverse=False, **_params):
    """Element i along ``axis`` depends on elements 0..i (i..end reversed): exact, O(L^2)."""
    shp = shape_of(vals[0])
    if not shp:
        return sets[0]
    lines = _lines(shp, axis % len(shp))
    length = lines.shape[1]
    _check_size(lines.shape[0] * length * (length + 1) // 2, "cumsum's pattern")
    i, j = np.tril_indices(length) if not reverse else np.triu_indices(length)
    return sets[0].merge(lines[:, i], lines[:, j], _size(ans))


def along_axis(sets, vals, ans, *, axis, **_params):
    """Each output line along ``axis`` depends on the whole input line (fft, sort)."""
    shp, oshp = shape_of(vals[0]), shape_of(ans)
    a = axis % len(shp)
    li, lo = _lines(shp, a), _lines(oshp, a)
    out = np.repeat(lo, li.shape[1], axis=1)
    src = np.tile(li, (1, lo.shape[1]))
    return sets[0].merge(out, src, _size(ans))


def _contract(sets, vals, ans, out_codes, op_codes):
    """Output element o depends on operand element e wherever they meet in the index space
    and no constant operand is zero there (constants' zeros are structural)."""
    n, m_out = _n_of(sets), _size(ans)
    _check_size(out_codes.size, "the index space of a contraction")
    mask = None
    for s, v, c in zip(sets, vals, op_codes):
        if s is None and isinstance(v, (np.ndarray, np.generic, float, int)):
            nz = (np.asarray(v).ravel() != 0)[c]
            mask = nz if mask is None else mask & nz
    parts = []
    for s, c in zip(sets, op_codes):
        if s is None or not s.nnz:
            continue
        o, e = (out_codes, c) if mask is None else (out_codes[mask], c[mask])
        parts.append(s.merge(o, e, m_out))
    return IndexSets.union(parts, m_out, n)


def matmul(sets, vals, ans, **_params):
    """``a @ b`` with NumPy's vector promotion and batch broadcasting."""
    sa, sb = tuple(shape_of(vals[0])), tuple(shape_of(vals[1]))
    a2 = (1,) + sa if len(sa) == 1 else sa
    b2 = sb + (1,) if len(sb) == 1 else sb
    ca = np.arange(math.prod(sa), dtype=np.int64).reshape(a2)[..., :, :, None]
    cb = np.arange(math.prod(sb), dtype=np.int64).reshape(b2)[..., None, :, :]
    batch = np.broadcast_shapes(a2[:-2], b2[:-2])
    space = batch + (a2[-2], a2[-1], b2[-1])
    co = np.arange(math.prod(batch) * a2[-2] * b2[-1], dtype=np.int64).reshape(
        batch + (a2[-2], b2[-1]))[..., :, None, :]
    return _contract(sets, vals, ans, *_spread(space, co, [ca, cb]))


def _spread(space, co, cs):
    _check_size(math.prod(space), "the index space of a contraction")
    return (np.broadcast_to(co, space).ravel(), [np.broadcast_to(c, space).ravel() for c in cs])


def einsum(sets, vals, ans, *, spec, **_params):
    """``np.einsum(spec, ...)``: the index space of all letters (repeated letters within one
    operand are handled conservatively)."""
    ins, out = spec.split("->")
    ins = ins.split(",")
    if any(len(set(t)) != len(t) for t in ins + [out]):
        return conservative(sets, vals, ans)
    letters = list(out) + sorted({c for t in ins for c in t} - set(out))
    size = {}
    for t, v in zip(ins, vals):
        for c, d in zip(t, shape_of(v)):
            size[c] = max(size.get(c, 1), d)
    space = tuple(size[c] for c in letters)

    def place(term, shp):
        codes = np.arange(math.prod(shp), dtype=np.int64).reshape(shp)
        order = sorted(range(len(term)), key=lambda k: letters.index(term[k]))
        codes = np.transpose(codes, order)
        full = [1] * len(letters)
        for k in order:
            full[letters.index(term[k])] = shp[k]
        return codes.reshape(full)

    co = place(out, shape_of(ans))
    return _contract(sets, vals, ans, *_spread(space, co, [place(t, shape_of(v))
                                                           for t, v in zip(ins, vals)]))


class _Rules:
    """The rule builders, for ``defsparsity(prim, sparsity_rules.<name>)``."""
    elementwise = staticmethod(elementwise)
    select = staticmethod(select)
    conservative = staticmethod(conservative)
    move = staticmethod(move)
    any_index = staticmethod(any_index)
    index_add = staticmethod(index_add)
    reduce = staticmethod(reduce)
    cumsum = staticmethod(cumsum)
    along_axis = staticmethod(along_axis)
    matmul = staticmethod(matmul)
    einsum = staticmethod(einsum)
    Inline = Inline


sparsity_rules = _Rules()


# ---------------------------------------------------------------------------
# the flat core
# ---------------------------------------------------------------------------

def detect_flat(f: Callable, args: list, *, hessian: bool = False, local: bool = False,
                caller: str = "jacobian_sparsity"):
    """Run ``f(*args)`` (flat arrays in, a list of arrays out) on index-set tracers.

    Returns ``(outs, n, pairs)``: per output, its :class:`IndexSets` (rows: its elements
    in C order, columns: the inputs' elements raveled one after another), the number of
    inputs' elements, and for ``hessian`` the sorted keys ``i * n + j`` (i <= j) of the
    interacting pairs (else None).
    """
    sizes = [_size(a) for a in args]
    n = sum(sizes)
    with new_trace(SparsityTrace, n, local, hessian, caller) as trace:
        ins, off = [], 0
        for a, m in zip(args, sizes):
            ins.append(SparsityTracer(trace, a, IndexSets.identity(m, off, n)))
            off += m
        outs = f(*ins)
        res = []
        for o in outs:
            if type(o) is SparsityTracer and o._trace is trace:
                res.append(o.sets)
            else:
                res.append(IndexSets.empty(_size(o), n))
        pairs = trace.pairs() if hessian else None
    return res, n, pairs
