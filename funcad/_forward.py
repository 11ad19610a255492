"""Forward mode: dual numbers.

A :class:`JVPTracer` is a dual number ``primal + tangent * eps`` at one level.
Processing a primitive evaluates it on the primals (one level down) and pushes
the tangents through the primitive's JVP rule. A tangent of ``None`` is a
symbolic zero: rules never see work for inputs that do not depend on the
perturbation.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ._args import split_outputs
from ._core import Primitive, PrimalTracer, Trace, Tracer, new_trace, ops
from ._rules import Linearity, RuleView
from ._arrays import zeros
from ._util import dtype_of, shape_of
from .errors import NoRuleError

__all__ = ["JVPTrace", "JVPTracer", "jvp_rules", "defjvp", "defjvp_full", "def_linear_jvp",
           "linear_in", "def_linear", "jvp_flat"]

# views of the rule records (prim.rules.jvp, prim.rules.linear) for code that wants a table
jvp_rules = RuleView("jvp")
linear_in = RuleView("linear")


class JVPTracer(PrimalTracer):
    __slots__ = ("tangent",)

    def __init__(self, trace, primal, tangent):
        self._trace = trace
        self.primal = primal
        self.tangent = tangent

    def _become(self, other):
        self.primal = other.primal
        self.tangent = other.tangent

    def __repr__(self):
        return f"JVPTracer(level={self._trace.level}, primal={self.primal!r})"


class JVPTrace(Trace):
    __slots__ = ()
    kind = "jvp"

    def pure(self, x):
        return JVPTracer(self, x, zeros(shape_of(x), dtype_of(x), like=x))

    def process(self, prim, args, params):
        primals = []
        tangents = []
        lower = False       # any operand traced by an enclosing transform?
        for a in args:
            if type(a) is JVPTracer and a._trace is self:
                p = a.primal
                tangents.append(a.tangent)
            else:
                p = a
                tangents.append(None)
            primals.append(p)
            if not lower and isinstance(p, Tracer):
                lower = True
        ans = (prim if lower else prim.impl)(*primals, **params)
        if prim.nondiff:
            return ans
        rule = prim.rules.jvp
        if rule is None:
            raise NoRuleError(f"'{prim.name}' has no forward-mode (JVP) rule")
        t = rule(primals, tangents, ans, **params)
        if prim.multiple_results:
            return [a if ti is None else JVPTracer(self, a, ti) for a, ti in zip(ans, t)]
        if t is None:
            return ans
        return JVPTracer(self, ans, t)


def _match_shape(t, ans):
    """Broadcast a tangent contribution to the output's shape (inputs may broadcast)."""
    if t is None:
        return None
    s = ans.shape if type(ans) is np.ndarray else shape_of(ans)
    if (t.shape if type(t) is np.ndarray else shape_of(t)) != s:
        t = ops.broadcast_to(t, s)
    return t


def defjvp(prim: Primitive, *per_arg: Callable | None) -> None:
    """Register a JVP as a sum of per-argument terms.

    ``per_arg[i](t, ans, *primals, **params)`` is argument i's contribution
    given its tangent ``t``; ``None`` declares a zero contribution. The sum is
    broadcast to the output's shape.
    """
    n = len(per_arg)

    def rule(primals, tangents, ans, **params):
        out = None
        for i in range(n):
            t = tangents[i]
            if t is None or per_arg[i] is None:
                continue
            c = per_arg[i](t, ans, *primals, **params)
            out = c if out is None else out + c
        return _match_shape(out, ans)

    prim.rules.jvp = rule


def defjvp_full(prim: Primitive, rule: Callable) -> None:
    """Register a JVP rule ``rule(primals, tangents, ans, **params)`` directly."""
    prim.rules.jvp = rule


def def_linear(prim: Primitive, args=None, joint: bool = True) -> None:
    """Declare ``prim`` linear in operands ``args`` (None: all of them).

    ``joint=True``: linear in those operands together (``add``, ``where``'s two
    branches); ``joint=False``: linear in any one of them while the others are
    fixed (``multiply``, ``matmul``).
    """
    prim.rules.linear = Linearity(None if args is None else frozenset(args), joint)


def def_linear_jvp(prim: Primitive) -> None:
    """A primitive linear in all its operands jointly: the JVP applies it to the tangents.

    Zero tangents are filled in with zero arrays only when some operand has
    one and another does not.
    """

    def rule(primals, tangents, ans, **params):
        if all(t is None for t in tangents):
            return None
        ts = [zeros(shape_of(p), dtype_of(p), like=p) if t is None else t
              for p, t in zip(primals, tangents)]
        return prim(*ts, **params)

    prim.rules.jvp = rule
    def_linear(prim)


# ---------------------------------------------------------------------------
# jvp_flat: the forward-mode core of the transforms (jvp, jacfwd, linearize, custom rules)
# ---------------------------------------------------------------------------

def jvp_flat(fun_flat: Callable, primals: list, tangents: list):
    """Push tangents through ``fun_flat(list) -> list`` with dual numbers.

    Returns ``(outs, out_tangents)``; an output that does not depend on the inputs has
    the tangent ``None``.
    """
    with new_trace(JVPTrace) as trace:
        ins = [JVPTracer(trace, p, t) for p, t in zip(primals, tangents)]
        outs = fun_flat(ins)
    return split_outputs(outs, trace, "tangent", None)
