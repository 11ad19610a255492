"""Staging: run a function once on real values and record every primitive it binds.

A :class:`StagingTracer` carries a real value (``val``) and a variable (``var``: an int,
or a :class:`Const` for a value known while recording). :class:`StagingTrace` sits at the
bottom of the trace stack: every transform running above it (grad, jacfwd, vmap, custom
rules, checkpoint) binds its primitives down to it, so the whole computation, derivative
code included, lands in one flat :class:`Program` of the primitives funcad already has.
Each bind computes the NumPy ``impl`` right away (the first result is exact, and Python
control flow on values works) and appends one :class:`Eqn`.

Whenever Python looks at a staged value (``bool``, ``int``, ``float``, ``.item()``, an
index or a shape computed from data: ``_concrete``), the value seen becomes a
:class:`Guard` at that point of the program; a replay checks it there and gives up when it
differs (``funcad._jit`` records again). Printing and formatting read the value without a
guard: they happen while recording only.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ._core import Trace, Tracer
from ._util import dtype_of, shape_of, user_site
from .errors import EscapedTracerError

__all__ = ["Const", "Eqn", "Guard", "Program", "ProgramTooLong", "StagingTrace", "StagingTracer",
           "same_value"]


class ProgramTooLong(BaseException):
    """Raised inside a recording that passed its step limit (``jit(max_steps=...)``): a
    BaseException, so that user code's ``except Exception`` does not swallow it."""


class Const:
    """A value known while recording (a literal, an array made inside the function)."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __repr__(self):
        return f"Const({self.value!r})"


class Eqn(NamedTuple):
    """One bind: ``outs = prim.impl(*ins, **params)``; ``ins`` are var ids or Consts."""
    prim: Any
    params: dict
    ins: tuple
    outs: tuple          # one var id per result (a single one unless multiple_results)


class Guard(NamedTuple):
    """Python looked at ``var``: a replay must see ``expected`` again (``kind`` says how it
    was read: bool, int, float, value) or give up. ``site`` is the user's line."""
    var: int
    kind: str
    expected: Any
    site: str


class Program(NamedTuple):
    """A recorded function: its inputs, body (Eqns and Guards in order) and outputs."""
    inputs: tuple        # var id of each dynamic input leaf
    body: list
    outputs: tuple       # var id or Const of each output leaf
    avals: list          # (shape, dtype, is a Python float) of each var, by id


def same_value(a, b) -> bool:
    """Equal as a guard means it: same type, shape, dtype and bits (NaN equals NaN)."""
    if isinstance(a, float) and isinstance(b, float):     # a Python float, an np.float64
        return a == b or (a != a and b != b)
    if type(a) is not type(b):
        return False
    if type(a) is np.ndarray or isinstance(a, np.generic):
        return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()
    return a == b or (a != a and b != b)


class StagingTracer(Tracer):
    __slots__ = ("val", "var")

    def __init__(self, trace, val, var):
        self._trace = trace
        self.val = val
        self.var = var

    @property
    def shape(self) -> tuple:
        v = self.val
        return v.shape if type(v) is np.ndarray else shape_of(v)

    @property
    def dtype(self):
        v = self.val
        return v.dtype if type(v) is np.ndarray else dtype_of(v)

    def _become(self, other):
        self.val = other.val
        self.var = other.var

    def _peek(self):
        """The value without a guard: for printing and layout questions only."""
        return self.val

    # Python reads the value: each read is a guard (a replay checks it at this point)
    def _under(self):
        return self.val

    def _concrete(self):
        return self._trace.guard(self, "value", self.val)

    def __bool__(self):
        return self._trace.guard(self, "bool", bool(self.val))

    def __int__(self):
        return self._trace.guard(self, "int", int(self.val))

    def __index__(self):
        return self._trace.guard(self, "int", self.val.__index__())

    def __float__(self):
        return self._trace.guard(self, "float", float(self.val))

    def __complex__(self):
        return self._trace.guard(self, "float", complex(self.val))

    def item(self, *args):
        return np.asarray(self._concrete()).item(*args)

    def tolist(self):
        return np.asarray(self._concrete()).tolist()

    def __format__(self, spec):
        return format(self.val, spec)

    def __repr__(self):
        return f"StagingTracer(var={self.var}, val={self.val!r})"

    __str__ = __repr__


_avals: dict = {}
_NO_PARAMS: dict = {}     # one shared (never written) dict for the many parameterless binds


class StagingTrace(Trace):
    """The recording trace of one ``jit`` call (see the module doc)."""

    __slots__ = ("avals", "body", "consts", "limit")
    kind = "jit"

    def __init__(self, limit: float = float("inf")):
        super().__init__()
        self.body: list = []
        self.avals: list = []
        self.consts: dict = {}      # one Const per Python scalar (a long chain's 1.0001)
        self.limit = limit          # most steps recorded before ProgramTooLong

    def new_var(self, val) -> int:
        key = (shape_of(val), dtype_of(val), type(val) is float)   # weak: a Python float
        aval = _avals.get(key)        # one shared tuple per (shape, dtype): long programs
        if aval is None:
            if len(_avals) > 4096:
                _avals.clear()
            aval = _avals[key] = key
        self.avals.append(aval)
        return len(self.avals) - 1

    def new_input(self, val) -> StagingTracer:
        return StagingTracer(self, val, self.new_var(val))

    def pure(self, x):
        return StagingTracer(self, x, Const(x))

    def guard(self, tracer: StagingTracer, kind: str, seen):
        if type(tracer.var) is int:         # a Const needs no guard
            where, _ = user_site()
            snap = seen.copy() if type(seen) is np.ndarray else seen
            self.body.append(Guard(tracer.var, kind, snap, where or ""))
        return seen

    def process(self, prim, args, params):
        vals, ins = [], []
        known = True                        # every operand a Const: fold the result
        for a in args:
            if type(a) is StagingTracer and a._trace is self:
                vals.append(a.val)
                ins.append(a.var)
                if type(a.var) is int:
                    known = False
            elif isinstance(a, Tracer):
                t = a._trace
                raise EscapedTracerError(
                    f"'{prim.name}' inside fad.jit got a value traced by {t.kind}@{t.level}, a "
                    "transform that is not running inside the jitted function (it escaped "
                    "through a global, a closure or an attribute). Pass it as an argument.")
            else:
                vals.append(a)
                t = type(a)
                if (t is float and a) or t is int:      # not 0.0: -0.0 == 0.0 as a key
                    c = self.consts.get((t, a))
                    if c is None:
                        c = self.consts[(t, a)] = Const(a)
                    ins.append(c)
                else:
                    ins.append(Const(a))
        if not params:
            params = _NO_PARAMS
        ans = prim.impl(*vals, **params)
        multi = prim.multiple_results
        if known:
            return [StagingTracer(self, o, Const(o)) for o in ans] if multi else \
                StagingTracer(self, ans, Const(ans))
        if len(self.body) >= self.limit:
            raise ProgramTooLong(len(self.body))
        if multi:
            outs = tuple(self.new_var(o) for o in ans)
            self.body.append(Eqn(prim, params, tuple(ins), outs))
            return [StagingTracer(self, o, v) for o, v in zip(ans, outs)]
        out = self.new_var(ans)
        self.body.append(Eqn(prim, params, tuple(ins), (out,)))
        return StagingTracer(self, ans, out)
