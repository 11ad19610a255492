"""Reverse mode: the Wengert tape.

Every primitive applied to a :class:`RevTracer` appends one entry to a flat
list, in execution order: ``(prim, parents, residuals, params, ans)``, where
``parents`` holds the tape index of each operand (``-1`` for a constant) and
``residuals`` keep only what the VJP rule declared it needs (values, or just
shapes and dtypes). The backward sweep walks the list once, from the end, with
a list of cotangents indexed like the tape: no recursion, so a chain of a
million ops is fine, and no reference cycles, so the tape is freed as soon as
the transform returns.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ._core import Primitive, Trace, Tracer, bind
from ._util import ShapeDtype, dtype_of, shape_of
from .errors import NoRuleError

__all__ = ["RevTrace", "RevTracer", "Tape", "vjp_rules", "defvjp", "defvjp_argnum", "backward_pass"]

# prim -> (per-argument vjp functions, which args to keep, keep ans)
vjp_rules: dict[Primitive, tuple] = {}

_INPUT = "input"        # marks an entry for a transform input
_PROJ = "proj"          # marks output j of a multiple-results entry


class Tape:
    """The Wengert list of one reverse-mode trace."""

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
    def aval(self):
        v = self.value
        return v.aval if isinstance(v, Tracer) else ShapeDtype(shape_of(v), dtype_of(v))

    def _become(self, other):
        self.value = other.value
        self.node = other.node

    def _concrete(self):
        return self.value

    def __repr__(self):
        return f"RevTracer(level={self._trace.level}, node={self.node}, value={self.value!r})"


def _aval(x):
    return x.aval if isinstance(x, Tracer) else ShapeDtype(shape_of(x), dtype_of(x))


class RevTrace(Trace):
    __slots__ = ("tape",)
    kind = "vjp"

    def __init__(self, record_avals: bool = False):
        super().__init__()
        self.tape = Tape(record_avals)

    def new_input(self, value) -> RevTracer:
        entries = self.tape.entries
        entries.append((_INPUT, (), (), None, None))
        if self.tape.avals is not None:
            self.tape.avals.append(_aval(value))
        return RevTracer(self, value, len(entries) - 1)

    def process(self, prim, args, params):
        vals = []
        parents = []
        for a in args:
            if type(a) is RevTracer and a._trace is self:
                vals.append(a.value)
                parents.append(a.node)
            else:
                vals.append(a)
                parents.append(-1)
        ans = bind(prim, vals, params)
        if prim.nondiff:
            return ans
        rule = vjp_rules.get(prim)
        if rule is None:
            raise NoRuleError(f"'{prim.name}' has no reverse-mode (VJP) rule")
        keep = rule[1]
        if keep is False:
            vals = [_aval(v) if hasattr(v, "shape") else v for v in vals]
        elif keep is not True:
            nk = len(keep)   # operands past the end of ``keep`` are kept
            vals = [_aval(v) if (i < nk and not keep[i] and hasattr(v, "shape")) else v
                    for i, v in enumerate(vals)]
        tape = self.tape
        entries = tape.entries
        entries.append((prim, tuple(parents), tuple(vals), params or None,
                        ans if rule[2] else None))
        node = len(entries) - 1
        if tape.avals is not None:
            tape.avals.append([_aval(o) for o in ans] if prim.multiple_results else _aval(ans))
        if prim.multiple_results:
            outs = []
            for j, o in enumerate(ans):
                entries.append((_PROJ, node, j, None, None))
                if tape.avals is not None:
                    tape.avals.append(_aval(o))
                outs.append(RevTracer(self, o, len(entries) - 1))
            return outs
        return RevTracer(self, ans, node)


_EMPTY: dict = {}


def backward_pass(tape: Tape, seeds, wanted) -> list:
    """Sweep the tape once in reverse.

    Args:
      seeds: ``(node, cotangent)`` pairs for the outputs.
      wanted: tape indices whose cotangents to return (``None`` where no path).
    """
    entries = tape.entries
    cts: list = [None] * len(entries)
    for node, g in seeds:
        if node >= 0 and g is not None:
            cts[node] = g if cts[node] is None else cts[node] + g
    stop = min(wanted) if wanted else len(entries)
    for i in range(len(entries) - 1, stop - 1, -1):
        g = cts[i]
        if g is None:
            continue
        prim, parents, args, params, ans = entries[i]
        if prim is _INPUT:
            continue
        cts[i] = None
        if prim is _PROJ:
            lst = cts[parents]
            if lst is None:
                lst = cts[parents] = [None] * len(entries[parents][4])
            lst[args] = g if lst[args] is None else lst[args] + g
            continue
        if prim.multiple_results:
            g = [np.zeros(shape_of(o), dtype_of(o)) if gj is None else gj
                 for gj, o in zip(g, ans)]
        fns = vjp_rules[prim][0]
        kw = params or _EMPTY
        for j, p in enumerate(parents):
            if p < 0:
                continue
            if type(fns) is tuple:
                fn = fns[j]
                if fn is None:
                    continue
                c = fn(g, ans, *args, **kw)
            else:
                c = fns(j, g, ans, *args, **kw)
            if c is None:
                continue
            old = cts[p]
            cts[p] = c if old is None else old + c
    return [cts[w] for w in wanted]


def defvjp(prim: Primitive, *per_arg: Callable | None, keep=True, keep_ans: bool = False) -> None:
    """Register per-argument VJP rules.

    ``per_arg[i](g, ans, *args, **params)`` returns the cotangent of argument i
    (already summed back to its shape), or ``None`` for zero. ``keep`` says
    which operands the tape must hold: ``True`` (all), ``False`` (none: shapes
    and dtypes only) or a tuple of bools. ``keep_ans`` keeps the output too.
    """
    if prim.multiple_results:
        keep_ans = True
    vjp_rules[prim] = (tuple(per_arg), keep if isinstance(keep, bool) else tuple(keep), keep_ans)


def defvjp_argnum(prim: Primitive, fn: Callable, keep=True,
                  keep_ans: bool = False) -> None:
    """Register one VJP function for all operands of a variadic primitive.

    ``fn(j, g, ans, *args, **params)`` returns the cotangent of operand j.
    """
    if prim.multiple_results:
        keep_ans = True
    vjp_rules[prim] = (fn, keep if isinstance(keep, bool) else tuple(keep), keep_ans)
