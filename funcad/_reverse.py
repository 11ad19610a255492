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

import inspect
from typing import Callable

import numpy as np

from ._args import _fit, put_at, split_outputs
from ._core import Primitive, Trace, Tracer, new_trace
from ._rules import RuleView, VJPRule
from ._arrays import zeros
from ._util import ShapeDtype, dtype_of, is_inexact, shape_of
from .errors import NoRuleError

__all__ = ["RevTrace", "RevTracer", "Tape", "INPUT", "PROJ", "vjp_rules", "defvjp",
           "defvjp_argnum", "backward_pass", "parents_of", "values_of", "vjp_flat", "pull_back"]

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
        if len(args) <= 2 and not prim.multiple_results:
            return self._process_small(prim, args, params)
        n = len(args)
        flat = [-1, None] * n   # the entry's operand part: parent0, value0, parent1, ...
        bits = 0                # which operands have a parent on this tape
        for j, a in enumerate(args):
            if type(a) is RevTracer and a._trace is self:
                flat[2 * j] = a.node
                a = a.value
                bits |= 1 << j
            flat[2 * j + 1] = a
        vals = flat[1::2]
        lower = any(isinstance(v, Tracer) for v in vals)  # traced by an enclosing transform?
        ans = (prim if lower else prim.impl)(*vals, **params)
        if prim.nondiff:
            return ans
        vjp, strip = _plan(prim, bits, n)
        for i in strip:
            if _has_shape(vals[i]):     # an operand no VJP reads: keep its shape and dtype
                flat[2 * i + 1] = _aval(vals[i])
        tape = self.tape
        tape.entries.append((prim, params or None, ans if vjp.keep_ans else None, *flat))
        node = len(tape.entries) - 1
        if prim.multiple_results:
            return self._project(ans, node)
        if tape.avals is not None:
            tape.avals.append(_aval(ans))
        return RevTracer(self, ans, node)

    def _process_small(self, prim, args, params):
        """Fast path: ``process`` for one or two operands and one result, the same entry
        without the general loop, lists and slices. A chain of tiny ops spends most of its
        time here: benchmark W2 (1,000 ops on 10 numbers) is 25% slower without it."""
        a = args[0]
        if type(a) is RevTracer and a._trace is self:
            v0, p0, bits = a.value, a.node, 1
        else:
            v0, p0, bits = a, -1, 0
        if len(args) == 1:
            ans = (prim if isinstance(v0, Tracer) else prim.impl)(v0, **params)
        else:
            b = args[1]
            if type(b) is RevTracer and b._trace is self:
                v1, p1 = b.value, b.node
                bits |= 2
            else:
                v1, p1 = b, -1
            lower = isinstance(v0, Tracer) or isinstance(v1, Tracer)
            ans = (prim if lower else prim.impl)(v0, v1, **params)
        if prim.nondiff:
            return ans
        vjp = prim.rules.vjp
        strip = None if vjp is None else vjp.strip_cache.get(1 << len(args) | bits)
        if strip is None:
            vjp, strip = _plan(prim, bits, len(args))
        if strip:
            if 0 in strip and _has_shape(v0):
                v0 = _aval(v0)
            if 1 in strip and _has_shape(v1):
                v1 = _aval(v1)
        tape = self.tape
        entries = tape.entries
        if len(args) == 1:
            entries.append((prim, params or None, ans if vjp.keep_ans else None, p0, v0))
        else:
            entries.append((prim, params or None, ans if vjp.keep_ans else None, p0, v0, p1, v1))
        if tape.avals is not None:
            tape.avals.append(_aval(ans))
        return RevTracer(self, ans, len(entries) - 1)

    def _project(self, ans, node) -> list:
        """One PROJ entry per output of the multiple-results entry ``node``."""
        tape = self.tape
        if tape.avals is not None:
            tape.avals.append([_aval(o) for o in ans])
        outs = []
        for j, o in enumerate(ans):
            tape.entries.append((PROJ, j, None, node, None))
            if tape.avals is not None:
                tape.avals.append(_aval(o))
            outs.append(RevTracer(self, o, len(tape.entries) - 1))
        return outs


def _plan(prim, bits: int, n: int):
    """-> (prim's VJP rule, the operands an entry keeps as shape and dtype only)."""
    vjp = prim.rules.vjp
    if vjp is None:
        raise NoRuleError(f"'{prim.name}' has no reverse-mode (VJP) rule")
    strip = vjp.strip_cache.get(1 << n | bits)
    return vjp, vjp.stripped(bits, n) if strip is None else strip


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
            g = [zeros(shape_of(o), dtype_of(o), like=o) if gj is None else gj
                 for gj, o in zip(g, ans)]
        vjp = prim.rules.vjp
        kw = params or _EMPTY
        fns = vjp.per_operand
        if fns is not None and len(e) <= 7:
            # fast path: one or two operands with per-operand rules (most entries), without
            # slices, loops and pull; benchmark W2 (a chain of tiny ops) pays ~20% without it
            if len(e) == 5:
                if e[3] >= 0 and fns[0] is not None:
                    _acc(cts, e[3], fns[0](g, ans, e[4], **kw))
                continue
            if e[3] >= 0 and fns[0] is not None:
                _acc(cts, e[3], fns[0](g, ans, e[4], e[6], **kw))
            if e[5] >= 0 and fns[1] is not None:
                _acc(cts, e[5], fns[1](g, ans, e[4], e[6], **kw))
            continue
        args = e[4::2]
        for j, p in enumerate(e[3::2]):
            if p >= 0:
                _acc(cts, p, vjp.pull(j, g, ans, args, kw))
    return [cts[w] for w in wanted]


_EMPTY: dict = {}


def _acc(cts: list, p: int, c) -> None:
    """Add the contribution ``c`` (None: none) to the cotangent ``cts[p]``."""
    if c is not None:
        old = cts[p]
        cts[p] = c if old is None else old + c


def defvjp(prim: Primitive, *per_arg: Callable | None, keep=True,
           keep_ans: bool | None = None, needs=None) -> None:
    """Register per-argument VJP rules.

    ``per_arg[i](g, ans, *args, **params)`` returns the cotangent of argument i
    (already summed back to its shape), or ``None`` for zero. ``keep`` says
    which operands the tape must hold: ``True`` (all), ``False`` (none: shapes
    and dtypes only) or a tuple of bools. The output is kept when a rule's
    second parameter is named ``ans`` (name it ``_ans`` or ``_`` when the rule
    does not read it); ``keep_ans=True``/``False`` says so explicitly instead
    (a family helper whose rule forwards ``ans`` to a derivative that may not
    read it). A rule whose output is not kept receives ``ans=None``.
    ``needs`` (optional) refines ``keep`` per entry: ``needs[i]`` lists the
    operands that argument i's VJP reads, so ``x * c`` with a constant ``c``
    keeps ``c`` but not ``x``.
    """
    if keep_ans is None:
        keep_ans = any(_names_ans(f, 1) for f in per_arg)
    prim.rules.vjp = VJPRule(tuple(per_arg), None, _keep(keep),
                             keep_ans or prim.multiple_results,
                             None if needs is None else tuple(tuple(n) for n in needs))


def defvjp_argnum(prim: Primitive, fn: Callable, keep=True,
                  keep_ans: bool | None = None) -> None:
    """Register one VJP function for all operands of a variadic primitive.

    ``fn(j, g, ans, *args, **params)`` returns the cotangent of operand j; the output
    is kept when its third parameter is named ``ans`` (or ``keep_ans=True``), as in
    ``defvjp``.
    """
    if keep_ans is None:
        keep_ans = _names_ans(fn, 2)
    prim.rules.vjp = VJPRule(None, fn, _keep(keep), keep_ans or prim.multiple_results)


def _names_ans(fn, position: int) -> bool:
    """Whether the rule's parameter at ``position`` (the output's) is named ``ans``."""
    if fn is None:
        return False
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):   # a builtin without a signature reads no output
        return False
    return (len(params) > position and params[position].name == "ans"
            and params[position].kind in (inspect.Parameter.POSITIONAL_ONLY,
                                          inspect.Parameter.POSITIONAL_OR_KEYWORD))


def _keep(keep):
    return keep if isinstance(keep, bool) else tuple(keep)


# ---------------------------------------------------------------------------
# vjp_flat: the reverse-mode core of the transforms (grad, vjp, jacrev, custom rules)
# ---------------------------------------------------------------------------

def vjp_flat(fun_flat: Callable, primals: list, record: bool = False):
    """Run ``fun_flat(list) -> list`` once on the tape. Returns ``(outs, pullback, tape)``.

    ``pullback(cts, consume=False)`` sweeps the tape back from one cotangent per output
    and returns one cotangent per primal, fitted to it (zeros where no path leads);
    ``consume=True`` (a caller that pulls back exactly once) frees the tape as it sweeps.
    ``record=True`` keeps every entry's shape and dtype (``make_tape`` prints them).
    """
    with new_trace(RevTrace, record) as trace:
        ins = [trace.new_input(p) for p in primals]
        in_nodes = [t.node for t in ins]   # before fun runs: x[i] = v may rebind an input
        outs = fun_flat(ins)
    out_vals, out_nodes = split_outputs(outs, trace, "node", -1)
    tape = trace.tape
    tape.outputs = out_nodes

    def pullback(cts, consume=False):
        res = backward_pass(tape, list(zip(out_nodes, cts)), in_nodes, consume)
        return [_fit(r, p) for r, p in zip(res, primals)]

    return out_vals, pullback, tape


def pull_back(f: Callable, args, g) -> list:
    """Cotangents of the float entries of ``args`` for ``f(*args) -> list`` and output
    cotangents ``g``, by a fresh reverse pass (``None`` for the other entries)."""
    pos = [k for k, a in enumerate(args) if is_inexact(dtype_of(a))]
    _, pullback, _ = vjp_flat(lambda xs: f(*put_at(args, pos, xs)), [args[k] for k in pos])
    cts = [None] * len(args)
    for k, c in zip(pos, pullback(list(g))):
        cts[k] = c
    return cts
