"""Reverse mode: the Wengert tape.

Every primitive applied to a :class:`RevTracer` appends one entry to a flat
list, in execution order. An entry is one flat tuple::

    (prim, params, ans, parent0, value0, parent1, value1, ...)

``parent`` is the tape index of an operand (``-1`` for a constant) and ``value``
what the VJP rule declared it reads (the operand, or just its shape and dtype);
``ans`` is the output when the rule reads it, else None. Transform inputs are
``(INPUT, None, None)``; output j of a multiple-results entry n is
``(PROJ, j, None, n, None)``. The backward sweep walks the list once, from the
end, with a list of cotangents indexed like the tape: no recursion, so a chain
of a million ops is fine, and no reference cycles, so the tape is freed as soon
as the transform returns. (One flat tuple per entry, rather than a tuple of
tuples, is about 100 bytes less per entry: the W6 benchmark's 200,001-op chain.)
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ._core import Primitive, Trace, Tracer
from ._rules import RuleView, VJPRule
from ._util import ShapeDtype, dtype_of, shape_of
from .errors import NoRuleError

__all__ = ["RevTrace", "RevTracer", "Tape", "INPUT", "PROJ", "vjp_rules", "defvjp",
           "defvjp_argnum", "backward_pass", "parents_of", "values_of"]

vjp_rules = RuleView("vjp")     # a view of prim.rules.vjp, for code that wants a table

INPUT = "input"         # the prim of an entry for a transform input
PROJ = "proj"           # the prim of the entry for output j of a multiple-results entry


def parents_of(entry) -> tuple:
    """The tape indices of an entry's operands (-1: a constant)."""
    return entry[3::2]


def values_of(entry) -> tuple:
    """What an entry keeps of its operands (values, or ShapeDtype)."""
    return entry[4::2]


class Tape:
    """The Wengert list of one reverse-mode trace (entries: see the module doc)."""

    __slots__ = ("entries", "avals", "outputs")

    def __init__(self, record_avals: bool = False):
        self.entries: list = []
        self.outputs: list = []     # tape index of each output (-1: constant), set at the end
        # shapes/dtypes of every entry's output, kept only for printing (make_tape)
        self.avals: list | None = [] if record_avals else None

    def __len__(self):
        return len(self.entries)


class RevTracer(Tracer):
    __slots__ = ("value", "node")

    def __init__(self, trace, value, node):
        self._trace = trace
        self.value = value
        self.node = node

    @property
    def shape(self) -> tuple:
        return shape_of(self.value)

    @property
    def dtype(self):
        return dtype_of(self.value)

    def _become(self, other):
        self.value = other.value
        self.node = other.node

    def _concrete(self):
        return self.value

    def __repr__(self):
        return f"RevTracer(level={self._trace.level}, node={self.node}, value={self.value!r})"


_avals: dict = {}


def _aval(x):
    """A shared ShapeDtype for x: one object per distinct (shape, dtype), so entries stay small."""
    if type(x) is np.ndarray:
        shp, dt = x.shape, x.dtype
    elif isinstance(x, Tracer):
        shp, dt = tuple(x.shape), x.dtype
    else:
        shp, dt = shape_of(x), dtype_of(x)
    key = (shp, dt)
    a = _avals.get(key)
    if a is None:
        if len(_avals) > 4096:
            _avals.clear()
        a = _avals[key] = ShapeDtype(shp, dt)
    return a


class RevTrace(Trace):
    __slots__ = ("tape",)
    kind = "vjp"

    def __init__(self, record_avals: bool = False):
        super().__init__()
        self.tape = Tape(record_avals)

    def pure(self, x):
        return self.new_input(x)     # a node no cotangent is read from

    def new_input(self, value) -> RevTracer:
        tape = self.tape
        tape.entries.append((INPUT, None, None))
        if tape.avals is not None:
            tape.avals.append(_aval(value))
        return RevTracer(self, value, len(tape.entries) - 1)

    def process(self, prim, args, params):
        vals = []           # the operands one level down
        parents = []        # their tape indices (-1: a constant here)
        bits = 0            # which operands have a parent on this tape
        lower = False       # any operand traced by an enclosing transform?
        for a in args:
            if type(a) is RevTracer and a._trace is self:
                v = a.value
                bits |= 1 << len(vals)
                parents.append(a.node)
            else:
                v = a
                parents.append(-1)
            vals.append(v)
            if not lower and isinstance(v, Tracer):
                lower = True
        ans = (prim if lower else prim.impl)(*vals, **params)
        if prim.nondiff:
            return ans
        vjp = prim.rules.vjp
        if vjp is None:
            raise NoRuleError(f"'{prim.name}' has no reverse-mode (VJP) rule")
        for i in vjp.stripped(bits, len(vals)):   # operands no VJP reads: shape and dtype only
            if _has_shape(vals[i]):
                vals[i] = _aval(vals[i])
        entry = [prim, params or None, ans if vjp.keep_ans else None]
        for pv in zip(parents, vals):
            entry += pv
        tape = self.tape
        entries = tape.entries
        entries.append(tuple(entry))
        node = len(entries) - 1
        if not prim.multiple_results:
            if tape.avals is not None:
                tape.avals.append(_aval(ans))
            return RevTracer(self, ans, node)
        if tape.avals is not None:
            tape.avals.append([_aval(o) for o in ans])
        outs = []
        for j, o in enumerate(ans):
            entries.append((PROJ, j, None, node, None))
            if tape.avals is not None:
                tape.avals.append(_aval(o))
            outs.append(RevTracer(self, o, len(entries) - 1))
        return outs


def _has_shape(v) -> bool:
    """An operand the tape may replace by its ShapeDtype (an array or a traced value)."""
    return type(v) is np.ndarray or isinstance(v, Tracer) or hasattr(v, "shape")


def backward_pass(tape: Tape, seeds, wanted, consume: bool = False) -> list:
    """Sweep the tape once in reverse.

    Args:
      seeds: ``(node, cotangent)`` pairs for the outputs.
      wanted: tape indices whose cotangents to return (``None`` where no path).
      consume: free each entry once it is swept (a one-shot ``grad``: the residuals
        are released while the cotangents are being made, lowering the peak).
    """
    entries = tape.entries
    cts: list = [None] * len(entries)       # cotangent of each entry's output
    for node, g in seeds:
        if node >= 0:
            _acc(cts, node, g)
    stop = min(wanted) if wanted else len(entries)
    for i in range(len(entries) - 1, stop - 1, -1):
        g = cts[i]
        if g is None:
            continue
        e = entries[i]
        prim, params, ans = e[0], e[1], e[2]
        if prim is INPUT:
            continue
        cts[i] = None
        if consume:
            entries[i] = None
        if prim is PROJ:        # output j (params) of entry e[3]: slot j of its cotangent list
            n = e[3]
            if cts[n] is None:
                cts[n] = [None] * len(entries[n][2])
            _acc(cts[n], params, g)
            continue
        if prim.multiple_results:
            g = [np.zeros(shape_of(o), dtype_of(o)) if gj is None else gj
                 for gj, o in zip(g, ans)]
        vjp = prim.rules.vjp
        args = e[4::2]
        for j, p in enumerate(e[3::2]):
            if p >= 0:
                _acc(cts, p, vjp.pull(j, g, ans, args, params or _EMPTY))
    return [cts[w] for w in wanted]


_EMPTY: dict = {}


def _acc(cts: list, p: int, c) -> None:
    """Add the contribution ``c`` (None: none) to the cotangent ``cts[p]``."""
    if c is not None:
        old = cts[p]
        cts[p] = c if old is None else old + c


def defvjp(prim: Primitive, *per_arg: Callable | None, keep=True, keep_ans: bool = False,
           needs=None) -> None:
    """Register per-argument VJP rules.

    ``per_arg[i](g, ans, *args, **params)`` returns the cotangent of argument i
    (already summed back to its shape), or ``None`` for zero. ``keep`` says
    which operands the tape must hold: ``True`` (all), ``False`` (none: shapes
    and dtypes only) or a tuple of bools. ``keep_ans`` keeps the output too.
    ``needs`` (optional) refines ``keep`` per entry: ``needs[i]`` lists the
    operands that argument i's VJP reads, so ``x * c`` with a constant ``c``
    keeps ``c`` but not ``x``.
    """
    prim.rules.vjp = VJPRule(tuple(per_arg), None, _keep(keep),
                             keep_ans or prim.multiple_results,
                             None if needs is None else tuple(tuple(n) for n in needs))


def defvjp_argnum(prim: Primitive, fn: Callable, keep=True,
                  keep_ans: bool = False) -> None:
    """Register one VJP function for all operands of a variadic primitive.

    ``fn(j, g, ans, *args, **params)`` returns the cotangent of operand j.
    """
    prim.rules.vjp = VJPRule(None, fn, _keep(keep), keep_ans or prim.multiple_results)


def _keep(keep):
    return keep if isinstance(keep, bool) else tuple(keep)
