"""jit's back end: clean a recorded program and turn it into something that runs it.

``optimize`` merges common subexpressions (the same primitive, parameters and operands)
and drops the primitives no output and no guard reads. ``compile_program`` then writes
Python source with one line per primitive (``v7 = multiply(v5, v6)``), a guard as an
``if`` that returns its index, and ``del`` after the last use of a large temporary, and
compiles it once. ``compile()`` costs ~10 us a line, so a program longer than
``SOURCE_LIMIT`` replays from a flat list of bound NumPy calls instead (the same steps,
interpreted). Outputs that are constants, or inputs returned as they are, are copied:
the caller always gets arrays of its own.
"""

from __future__ import annotations

import functools
import keyword
import math
import re
from collections.abc import Callable

import numpy as np

from ._staging import Const, Eqn, Guard, Program, same_value

__all__ = ["SOURCE_LIMIT", "Compiled", "compile_program", "optimize", "show_program"]

SOURCE_LIMIT = 4000     # primitives; longer programs replay from the flat list
TIER_MIN = 300          # longer programs start on the flat list, compiled after TIER_CALLS
TIER_CALLS = 3
CSE_LIMIT = 50_000      # longer programs skip common-subexpression elimination (memory)
DEL_SIZE = 4096         # temporaries with at least this many elements are freed at last use


def _const_key(c: Const):
    v = c.value
    if isinstance(v, (float, int, complex, bool)):
        return type(v), repr(v)
    if isinstance(v, np.generic):
        return type(v), v.tobytes()
    return "id", id(v)                  # an array or an object: the same object only


def optimize(prog: Program) -> Program:
    """Common subexpressions merged, dead code dropped (guards and what they read stay)."""
    rename: dict = {}
    seen: dict = {}
    body = []
    cse = len(prog.body) <= CSE_LIMIT     # its table would hold a key per step
    for e in prog.body:
        if type(e) is Guard:
            body.append(e._replace(var=rename.get(e.var, e.var)))
            continue
        ins = tuple([rename.get(i, i) if type(i) is int else i for i in e.ins]) if rename \
            else e.ins
        if not cse:
            body.append(e)
            continue
        try:
            p = e.params
            key = (e.prim, tuple(sorted([(k, type(v), v) for k, v in p.items()])) if p else (),
                   tuple([i if type(i) is int else _const_key(i) for i in ins]))
            hash(key)
        except TypeError:               # an unhashable parameter (an array): keep it
            key = None
        if key is not None:
            old = seen.get(key)
            if old is not None:
                for o, o2 in zip(e.outs, old):
                    rename[o] = o2
                continue
            seen[key] = e.outs
        body.append(e if ins is e.ins else Eqn(e.prim, e.params, ins, e.outs))
    outputs = tuple(rename.get(o, o) if type(o) is int else o for o in prog.outputs)
    live = {o for o in outputs if type(o) is int}
    kept = []
    for e in reversed(body):
        if type(e) is Guard:
            live.add(e.var)
        elif e.outs[0] in live or (len(e.outs) > 1 and any(o in live for o in e.outs)):
            live.update(i for i in e.ins if type(i) is int)
        else:
            continue
        kept.append(e)
    kept.reverse()
    return Program(prog.inputs, kept, outputs, prog.avals)


# ---------------------------------------------------------------------------
# showing a program
# ---------------------------------------------------------------------------

def _show_const(v) -> str:
    if isinstance(v, (float, int, complex, bool, np.generic)) or v is None:
        return repr(v)
    if type(v) is np.ndarray:
        return f"const{v.shape}" if v.size > 4 else repr(v).replace("\n", "")
    return type(v).__name__


def _params(params: dict) -> str:
    return ", ".join(f"{k}={v!r}" if not callable(v) else f"{k}=<{type(v).__name__}>"
                     for k, v in params.items())


def show_program(prog: Program) -> str:
    """The program one step a line: ``v7 = sin v5`` and ``guard bool(v9) == True``."""
    lines = [f"inputs: {', '.join(f'v{i}' for i in prog.inputs)}"]
    for e in prog.body:
        if type(e) is Guard:
            lines.append(f"guard {e.kind}(v{e.var}) == {_show_const(e.expected)}   # {e.site}")
            continue
        ins = " ".join(f"v{i}" if type(i) is int else _show_const(i.value) for i in e.ins)
        p = _params(e.params)
        lines.append(f"{', '.join(f'v{o}' for o in e.outs)} = {e.prim.name} {ins}"
                     + (f"  [{p}]" if p else ""))
    outs = ", ".join(f"v{o}" if type(o) is int else _show_const(o.value) for o in prog.outputs)
    lines.append(f"outputs: {outs}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# compiling
# ---------------------------------------------------------------------------

class Compiled:
    """A program ready to run: ``run(*input leaves)`` -> list of outputs, or the int index of
    the guard that failed. ``source`` is the generated code (written on first request)."""

    __slots__ = ("_name", "_prog", "_source", "guards", "run")

    def __init__(self, run: Callable, guards: dict, prog: Program, name: str, source=None):
        self.run = run
        self.guards = guards          # body index -> Guard
        self._prog, self._name, self._source = prog, name, source

    @property
    def source(self) -> str:
        if self._source is None and self._prog is None:
            return "# not kept: use jit(f).lower(*args).source"
        if self._source is None:
            prog = self._prog
            self._source = (_source(prog, self._name, _any_fusable(prog))[1]
                            if len(prog.body) <= SOURCE_LIMIT else
                            f"# {len(prog.body)} steps: replayed from a flat list of bound NumPy "
                            "calls (too long to compile)")
        return self._source

    def guard_note(self, k: int) -> str:
        g = self.guards[k]
        what = {"bool": "bool()", "int": "int() or an index", "float": "float()",
                "value": "a value read by Python (.item(), a mask, a shape from data)"}[g.kind]
        note = (f"{what} saw another value than {_show_const(g.expected)} when recorded"
                f"{f' (at {g.site})' if g.site else ''}")
        if g.kind == "float" or (g.kind == "value" and np.issubdtype(
                np.asarray(g.expected).dtype, np.inexact)):
            note += ("; a guard on an exact float value records again for every new value")
        return note


def _guard_check(g: Guard) -> Callable:
    exp = g.expected
    if g.kind == "bool":
        return lambda v: bool(v) is exp
    if g.kind == "int":
        return lambda v: int(v) == exp
    if g.kind == "float":
        return lambda v: same_value(type(exp)(v), exp)
    return lambda v: same_value(v, exp)


def _bind(e: Eqn) -> Callable:
    return functools.partial(e.prim.impl, **e.params) if e.params else e.prim.impl


def _copy_flags(prog: Program) -> list:
    """Outputs returned as they came (a constant, an input): the caller gets a copy."""
    ins = set(prog.inputs)
    return [type(o) is not int or o in ins for o in prog.outputs]


def _copy(x):
    return np.array(x, copy=True) if type(x) is np.ndarray else x


def _last_uses(prog: Program) -> list:
    """For each var, the index of the body step that reads it last (-1: outputs, never
    freed). A list, not a dict: a 800,000-step program keeps one int per var."""
    last = [-1] * len(prog.avals)
    for k, e in enumerate(prog.body):
        for i in ((e.var,) if type(e) is Guard else e.ins):
            if type(i) is int:
                last[i] = k
    for o in prog.outputs:
        if type(o) is int:
            last[o] = -1
    return last


def _any_fusable(prog: Program) -> bool:
    return any(_fusable(e, prog.avals) for e in prog.body if type(e) is Eqn)


def _generate(prog: Program, name: str):
    """-> (the compiled run function, the source shown for it)."""
    exact, src = _source(prog, name, False)
    if not _any_fusable(prog):
        return exact, src
    fast, src = _source(prog, name, True)
    return _with_fallback(fast, exact), src


def compile_program(prog: Program, name: str = "f") -> Compiled:
    """The program as a :class:`Compiled`. Short programs are compiled at once; longer ones
    (``compile()`` costs ~10-20 us a line) replay from the flat list first and are compiled
    at their ``TIER_CALLS``-th replay, so a function called once or twice never pays for it;
    past ``SOURCE_LIMIT`` they stay on the flat list."""
    guards = {k: e for k, e in enumerate(prog.body) if type(e) is Guard}
    n = len(prog.body)
    if n > SOURCE_LIMIT:
        return Compiled(_flat(prog), guards, None, name, f"# {n} steps: replayed from a flat "
                        "list of bound NumPy calls (too long to compile)")
    if n <= TIER_MIN:
        run, src = _generate(prog, name)
        return Compiled(run, guards, None, name, src)
    flat = _flat(prog)
    c = Compiled(flat, guards, prog, name)
    calls = [0]

    def tiered(*args):
        calls[0] += 1
        if calls[0] >= TIER_CALLS and c._prog is not None:
            c.run, c._source = _generate(prog, name)   # two threads may both compile: harmless
            c._prog = None
        return flat(*args)

    c.run = tiered
    return c


def _with_fallback(fast, exact):
    """Run the scalar fast path; where Python's float arithmetic raises (1 / 0.0, log(0),
    overflow) or cannot run, the NumPy version gives NumPy's answer (inf, nan, warnings)."""
    ok = [True]

    def run(*args):
        if ok[0]:
            try:
                return fast(*args)
            except (ArithmeticError, ValueError):
                pass
            except Exception:  # noqa: BLE001 - an impl that needs an array: NumPy from now on
                ok[0] = False
        return exact(*args)

    return run


def _ident(s: str) -> str:
    s = re.sub(r"\W", "_", s)
    return s + "_" if keyword.iskeyword(s) or s in ("int", "bool", "float", "np") else s


# scalar fast path: float64 scalars as Python floats, one operator or math call each
# (math's functions may differ from NumPy's SIMD kernels by an ulp; see docs/jit.md)
_BINOPS = {"add": "+", "subtract": "-", "multiply": "*", "divide": "/"}
_MATH = {"sin": "sin", "cos": "cos", "tan": "tan", "exp": "exp", "log": "log", "sqrt": "sqrt",
         "tanh": "tanh", "sinh": "sinh", "cosh": "cosh", "arctan": "atan", "expm1": "expm1",
         "log1p": "log1p"}
_F64 = np.dtype(np.float64)


def _scalar_var(i, avals) -> bool:
    return type(i) is int and avals[i][0] == () and avals[i][1] == _F64


def _scalar_const(v) -> bool:
    t = type(v)
    return t is float or t is int or t is np.float64 or (
        t is np.ndarray and v.shape == () and v.dtype == _F64)


def _fusable(e: Eqn, avals) -> bool:
    name = e.prim.name
    if e.params or e.prim.multiple_results or not _scalar_var(e.outs[0], avals):
        return False
    if name not in _BINOPS and name not in _MATH and name not in ("negative", "square"):
        return False
    for i in e.ins:
        if type(i) is int:
            if not _scalar_var(i, avals):
                return False
        elif not _scalar_const(i.value):
            return False
    return True


def _source(prog: Program, name: str, scalar: bool):
    ns: dict = {"np": np, "_copy": _copy, "_math": math, "_f64": np.float64}
    by_fn: dict = {}                      # id(callable) -> its name in ns
    consts: dict = {}                     # id(value) -> its name in ns
    avals = prog.avals
    floats: set = set()                   # vars held as Python floats (scalar mode)

    def fn_name(e: Eqn, fn) -> str:
        nm = by_fn.get(id(fn))
        if nm is None:
            base = _ident(e.prim.name)
            nm = base if base not in ns else f"{base}_{len(ns)}"
            ns[nm] = fn
            by_fn[id(fn)] = nm
        return nm

    def ref(i) -> str:
        if type(i) is int:
            return f"v{i}"
        v = i.value
        if scalar and (type(v) is np.float64 or (type(v) is np.ndarray and _scalar_const(v))):
            v = float(v)
        if isinstance(v, (float, int, bool)) and repr(v) == str(v) and np.isfinite(v):
            return repr(v)                # a Python literal, as written
        nm = consts.get(id(v))
        if nm is None:
            nm = consts[id(v)] = f"c{len(consts)}"
            ns[nm] = v
        return nm

    def strong(i) -> str:
        # a Python float where NumPy had an np.float64: NumPy again, or a float32 operand
        # would win the promotion (NEP 50) and change the result's dtype
        return f"_f64(v{i})" if i in floats and not avals[i][2] else ref(i)

    last = _last_uses(prog)
    lines = [f"def {_ident(name)}_replay({', '.join(f'v{i}' for i in prog.inputs)}):"]
    if scalar:
        for i in prog.inputs:
            if _scalar_var(i, avals):
                lines.append(f"    v{i} = float(v{i})")
                floats.add(i)
    for k, e in enumerate(prog.body):
        if type(e) is Guard:
            ns[f"guard{k}"] = _guard_check(e)
            lines.append(f"    if not guard{k}(v{e.var}): return {k}")
            reads = (e.var,)
        else:
            reads = e.ins
            if scalar and _fusable(e, avals):
                a = [ref(i) for i in e.ins]
                nm = e.prim.name
                expr = (f"{a[0]} {_BINOPS[nm]} {a[1]}" if nm in _BINOPS else f"-{a[0]}"
                        if nm == "negative" else f"{a[0]} * {a[0]}" if nm == "square"
                        else f"_math.{_MATH[nm]}({a[0]})")
                lines.append(f"    v{e.outs[0]} = {expr}")
                floats.add(e.outs[0])
                continue
            fn = _bind(e)
            call = f"{fn_name(e, fn)}({', '.join(strong(i) for i in e.ins)})"
            p = _params(e.params)
            comment = f"  # {p}" if p else ""
            if e.prim.multiple_results:
                lhs = ", ".join(f"v{o}" for o in e.outs) + ("," if len(e.outs) == 1 else "")
                lines.append(f"    {lhs} = {call}{comment}")
            else:
                lines.append(f"    v{e.outs[0]} = {call}{comment}")
        dead = [i for i in reads if type(i) is int and last[i] == k
                and math.prod(avals[i][0]) >= DEL_SIZE]
        if dead:
            lines.append(f"    del {', '.join(f'v{i}' for i in sorted(set(dead)))}")
    flags = _copy_flags(prog)
    outs = [strong(o) if o in floats else ref(o) if not f else f"_copy({ref(o)})"
            for o, f in zip(prog.outputs, flags)]
    lines.append(f"    return [{', '.join(outs)}]")
    src = "\n".join(lines) + "\n"
    exec(compile(src, f"<jit {name}>", "exec"), ns)
    return ns[f"{_ident(name)}_replay"], src


def _flat(prog: Program) -> Callable:
    """The program as a list of steps run by one loop (for programs too long to compile)."""
    n = len(prog.avals)
    template: list = [None] * n
    slots: dict = {}

    def slot(i) -> int:
        if type(i) is int:
            return i
        s = slots.get(id(i.value))
        if s is None:
            s = slots[id(i.value)] = len(template)
            template.append(i.value)
        return s

    last = _last_uses(prog)
    steps = []
    for k, e in enumerate(prog.body):
        if type(e) is Guard:
            steps.append((_guard_check(e), (e.var,), k, 2, ()))
            reads = (e.var,)
        else:
            out = e.outs if e.prim.multiple_results else e.outs[0]
            steps.append((_bind(e), tuple(slot(i) for i in e.ins), out,
                          int(e.prim.multiple_results), ()))
            reads = e.ins
        dead = tuple({i for i in reads if type(i) is int and last[i] == k})
        if dead:
            steps[-1] = steps[-1][:4] + (dead,)
    outs = [slot(o) for o in prog.outputs]
    flags = _copy_flags(prog)
    inputs = prog.inputs

    def run(*leaves):
        env = list(template)
        for i, x in zip(inputs, leaves):
            env[i] = x
        for fn, ins, out, kind, dead in steps:
            if kind == 0:
                env[out] = fn(*[env[i] for i in ins])
            elif kind == 1:
                for o, v in zip(out, fn(*[env[i] for i in ins])):
                    env[o] = v
            elif not fn(env[ins[0]]):
                return out
            for i in dead:
                env[i] = None
        return [_copy(env[o]) if f else env[o] for o, f in zip(outs, flags)]

    return run
