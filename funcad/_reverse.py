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

from ._args import _fit, put_at, split_outputs
from ._core import Primitive, Trace, Tracer, new_trace
from ._util import ShapeDtype, dtype_of, is_inexact, shape_of
from .errors import NoRuleError

__all__ = ["RevTrace", "RevTracer", "Tape", "vjp_rules", "vjp_needs", "defvjp", "defvjp_argnum",
           "backward_pass", "vjp_flat", "pull_back"]

# prim -> (per-argument vjp functions, which args to keep, keep ans)
vjp_rules: dict[Primitive, tuple] = {}

_INPUT = "input"        # marks an entry for a transform input
_PROJ = "proj"          # marks output j of a multiple-results entry


class Tape:
    """The Wengert list of one reverse-mode trace."""

    __slots__ = ("rows", "avals", "outputs", "compact")

    def __init__(self, record_avals: bool = False, compact: bool = False):
        self.rows: list = []        # the entries as stored (compact or not)
        self.outputs: list = []     # tape index of each output (-1: constant), set at the end
        # shapes/dtypes of every entry's output, kept only for printing (make_tape)
        self.avals: list | None = [] if record_avals else None
        # compact entries (RevTrace): one flat tuple ``(prim, params, ans, parent0, value0,
        # parent1, value1, ...)`` instead of ``(prim, parents, values, params, ans)``; two
        # tuples fewer per entry is about 100 bytes (the W6 benchmark's 200,001-op chain)
        self.compact = compact

    @property
    def entries(self) -> list:
        """The entries as ``(prim, parents, values, params, ans)`` tuples (for inspection)."""
        if not self.compact:
            return self.rows
        return [e if e[0] is _INPUT or e[0] is _PROJ else (e[0], e[3::2], e[4::2], e[1], e[2])
                for e in self.rows]

    def __len__(self):
        return len(self.rows)


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
        self.tape = Tape(record_avals, compact=not record_avals)   # make_tape reads 5-tuples

    def pure(self, x):
        return self.new_input(x)     # a node no cotangent is read from

    def new_input(self, value) -> RevTracer:
        entries = self.tape.rows
        entries.append((_INPUT, (), (), None, None))
        if self.tape.avals is not None:
            self.tape.avals.append(_aval(value))
        return RevTracer(self, value, len(entries) - 1)

    def process(self, prim, args, params):
        # the common entry inline: one or two operands, one result, compact tape (a chain of
        # tiny ops spends most of its time here); everything else takes the general path
        n = len(args)
        if n > 2 or prim.multiple_results or not self.tape.compact:
            return self._process_general(prim, args, params)
        a = args[0]
        if type(a) is RevTracer and a._trace is self:
            v0, p0, bits = a.value, a.node, 1
        else:
            v0, p0, bits = a, -1, 0
        if n == 2:
            b = args[1]
            if type(b) is RevTracer and b._trace is self:
                v1, p1 = b.value, b.node
                bits |= 2
            else:
                v1, p1 = b, -1
            lower = isinstance(v0, Tracer) or isinstance(v1, Tracer)
            ans = (prim if lower else prim.impl)(v0, v1, **params)
        else:
            ans = (prim if isinstance(v0, Tracer) else prim.impl)(v0, **params)
        if prim.nondiff:
            return ans
        rule = vjp_rules.get(prim)
        if rule is None:
            raise NoRuleError(f"'{prim.name}' has no reverse-mode (VJP) rule")
        plan = _plans.get((prim, bits, n))
        if plan is None or plan[0] is not rule:
            plan = _plans[(prim, bits, n)] = (rule, _strip_plan(prim, rule[1], bits, n))
        strip = plan[1]
        if strip:    # operands the VJPs never read: keep their shape and dtype only
            if 0 in strip and _has_shape(v0):
                v0 = _aval(v0)
            if n == 2 and 1 in strip and _has_shape(v1):
                v1 = _aval(v1)
        entries = self.tape.rows
        if n == 1:
            entries.append((prim, params or None, ans if rule[2] else None, p0, v0))
        else:
            entries.append((prim, params or None, ans if rule[2] else None, p0, v0, p1, v1))
        return RevTracer(self, ans, len(entries) - 1)

    def _process_general(self, prim, args, params):
        vals = []
        parents = []
        bits = 0            # which operands have a parent on this tape
        lower = False       # any operand traced by an enclosing transform?
        for j, a in enumerate(args):
            if type(a) is RevTracer and a._trace is self:
                v = a.value
                parents.append(a.node)
                bits |= 1 << j
            else:
                v = a
                parents.append(-1)
            vals.append(v)
            if not lower and isinstance(v, Tracer):
                lower = True
        ans = (prim if lower else prim.impl)(*vals, **params)
        if prim.nondiff:
            return ans
        rule = vjp_rules.get(prim)
        if rule is None:
            raise NoRuleError(f"'{prim.name}' has no reverse-mode (VJP) rule")
        key = (prim, bits, len(vals))
        plan = _plans.get(key)
        if plan is None or plan[0] is not rule:
            plan = _plans[key] = (rule, _strip_plan(prim, rule[1], bits, len(vals)))
        for i in plan[1]:   # operands the VJPs never read: keep their shape and dtype only
            if _has_shape(vals[i]):
                vals[i] = _aval(vals[i])
        tape = self.tape
        entries = tape.rows
        if not tape.compact:
            entries.append((prim, tuple(parents), tuple(vals), params or None,
                            ans if rule[2] else None))
        elif len(vals) == 1:
            entries.append((prim, params or None, ans if rule[2] else None, parents[0], vals[0]))
        elif len(vals) == 2:
            entries.append((prim, params or None, ans if rule[2] else None, parents[0], vals[0],
                            parents[1], vals[1]))
        else:
            flat = [prim, params or None, ans if rule[2] else None]
            for pv in zip(parents, vals):
                flat += pv
            entries.append(tuple(flat))
        node = len(entries) - 1
        if prim.multiple_results:
            if tape.avals is not None:
                tape.avals.append([_aval(o) for o in ans])
            outs = []
            for j, o in enumerate(ans):
                entries.append((_PROJ, node, j, None, None))
                if tape.avals is not None:
                    tape.avals.append(_aval(o))
                outs.append(RevTracer(self, o, len(entries) - 1))
            return outs
        if tape.avals is not None:
            tape.avals.append(_aval(ans))
        return RevTracer(self, ans, node)


def _has_shape(v) -> bool:
    """An operand the tape may replace by its ShapeDtype (an array or a traced value)."""
    return type(v) is np.ndarray or isinstance(v, Tracer) or hasattr(v, "shape")


# prim -> per operand j, the operand indices its VJP reads (beyond shapes and dtypes)
vjp_needs: dict[Primitive, tuple] = {}
# (prim, parent bits, arity) -> (the rule it was made for, operand indices stored as shapes)
_plans: dict = {}


def _strip_plan(prim, declared, bits: int, n: int) -> tuple:
    """Operands a tape entry keeps as ShapeDtype: not declared kept, or read by no VJP that runs."""
    if len(_plans) > 8192:
        _plans.clear()
    keep = [declared is True or (declared is not False and (i >= len(declared) or declared[i]))
            for i in range(n)]
    needs = vjp_needs.get(prim)
    if needs is not None:
        used = set()
        for j in range(n):
            if bits >> j & 1:
                used.update(needs[j] if j < len(needs) else range(n))
        keep = [k and i in used for i, k in enumerate(keep)]
    return tuple(i for i, k in enumerate(keep) if not k)


_EMPTY: dict = {}


def backward_pass(tape: Tape, seeds, wanted, consume: bool = False) -> list:
    """Sweep the tape once in reverse.

    Args:
      seeds: ``(node, cotangent)`` pairs for the outputs.
      wanted: tape indices whose cotangents to return (``None`` where no path).
      consume: free each entry once it is swept (a one-shot ``grad``: the residuals
        are released while the cotangents are being made, lowering the peak).
    """
    entries = tape.rows if hasattr(tape, "rows") else tape.entries
    cts: list = [None] * len(entries)
    for node, g in seeds:
        if node >= 0 and g is not None:
            cts[node] = g if cts[node] is None else cts[node] + g
    stop = min(wanted) if wanted else len(entries)
    compact = getattr(tape, "compact", False)
    ans_at = 2 if compact else 4
    for i in range(len(entries) - 1, stop - 1, -1):
        g = cts[i]
        if g is None:
            continue
        e = entries[i]
        prim = e[0]
        if prim is _INPUT:
            continue
        cts[i] = None
        if consume and prim is not _PROJ:
            entries[i] = None
        if prim is _PROJ:
            node, j = e[1], e[2]
            lst = cts[node]
            if lst is None:
                lst = cts[node] = [None] * len(entries[node][ans_at])
            lst[j] = g if lst[j] is None else lst[j] + g
            continue
        if compact:
            params, ans = e[1], e[2]
        else:
            _, parents, args, params, ans = e
        if prim.multiple_results:
            g = [np.zeros(shape_of(o), dtype_of(o)) if gj is None else gj
                 for gj, o in zip(g, ans)]
        fns = vjp_rules[prim][0]
        kw = params or _EMPTY
        per_arg = type(fns) is tuple
        if compact:
            n = len(e)
            if per_arg and n <= 7:      # one or two operands (most entries): no slices, no loop
                if n == 5:      # one operand: the add of _acc inlined (chains of tiny ops)
                    p = e[3]
                    if p >= 0 and fns[0] is not None:
                        c = fns[0](g, ans, e[4], **kw) if params else fns[0](g, ans, e[4])
                        if c is not None:
                            old = cts[p]
                            cts[p] = c if old is None else old + c
                    continue
                if e[3] >= 0 and fns[0] is not None:
                    _acc(cts, e[3], fns[0](g, ans, e[4], e[6], **kw))
                if e[5] >= 0 and fns[1] is not None:
                    _acc(cts, e[5], fns[1](g, ans, e[4], e[6], **kw))
                continue
            parents, args = e[3::2], e[4::2]
        for j, p in enumerate(parents):
            if p < 0:
                continue
            if per_arg:
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


def _acc(cts: list, p: int, c) -> None:
    """Add the contribution ``c`` (None: none) to the cotangent of tape entry ``p``."""
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
    if prim.multiple_results:
        keep_ans = True
    vjp_rules[prim] = (tuple(per_arg), keep if isinstance(keep, bool) else tuple(keep), keep_ans)
    vjp_needs.pop(prim, None)
    if needs is not None:
        vjp_needs[prim] = tuple(tuple(n) for n in needs)


def defvjp_argnum(prim: Primitive, fn: Callable, keep=True,
                  keep_ans: bool = False) -> None:
    """Register one VJP function for all operands of a variadic primitive.

    ``fn(j, g, ans, *args, **params)`` returns the cotangent of operand j.
    """
    if prim.multiple_results:
        keep_ans = True
    vjp_rules[prim] = (fn, keep if isinstance(keep, bool) else tuple(keep), keep_ans)


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
