"""linearize and linear_transpose: record the tangent program once, replay it.

``linearize`` runs ``jvp`` once with tangents that are tracers of a recording
trace (:class:`_LinTrace`, below the dual numbers). The primal arithmetic sees
no such tracer and is not recorded; every tangent operation lands on a Wengert
list whose other operands are constants (the Jacobian factors). ``f_jvp``
replays only that list for new tangents, and ``linear_transpose`` sweeps it
backward with the ordinary VJP rules.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from . import tree as _tree
from ._args import _diff_inputs, _fit, _FlatFun, split_outputs
from ._core import Trace, Tracer, bind, full_lower, new_trace
from ._forward import jvp_flat
from ._reverse import INPUT, PROJ, Tape, backward_pass, parents_of, values_of
from ._arrays import zeros
from ._util import ShapeDtype, dtype_of, is_complex, is_inexact, shape_of, short_repr

__all__ = ["linearize", "linear_transpose", "transpose_linear"]


class _LinTracer(Tracer):
    __slots__ = ("val", "node")

    def __init__(self, trace, val, node):
        self._trace = trace
        self.val = val
        self.node = node       # tape index; -1: a constant lifted into this trace

    def _become(self, other):
        self.val, self.node = other.val, other.node

    def _concrete(self):
        return self.val


class _LinTrace(Trace):
    """Records every op on its tracers with *all* constant operands (replay needs them)."""

    __slots__ = ("tape",)
    kind = "linearize"

    def __init__(self):
        super().__init__()
        self.tape = Tape()

    def new_input(self, value) -> _LinTracer:
        entries = self.tape.entries
        entries.append((INPUT, None, None))
        return _LinTracer(self, value, len(entries) - 1)

    def pure(self, x):
        return _LinTracer(self, x, -1)

    def process(self, prim, args, params):
        vals = []
        rule = prim.rules.vjp
        entry = [prim, params or None, None]      # the tape's layout (see _reverse)
        for a in args:
            if type(a) is _LinTracer and a._trace is self:
                vals.append(a.val)
                entry += (a.node, a.val if a.node < 0 else
                          ShapeDtype(shape_of(a.val), dtype_of(a.val)))
            else:
                vals.append(a)
                entry += (-1, a)
        ans = bind(prim, vals, params)
        if all(p < 0 for p in entry[3::2]):
            return ([_LinTracer(self, o, -1) for o in ans] if prim.multiple_results
                    else _LinTracer(self, ans, -1))
        if prim.multiple_results or (rule is not None and rule.keep_ans):
            entry[2] = ans
        entries = self.tape.entries
        entries.append(tuple(entry))
        node = len(entries) - 1
        if not prim.multiple_results:
            return _LinTracer(self, ans, node)
        outs = []
        for j, o in enumerate(ans):
            entries.append((PROJ, j, None, node, None))
            outs.append(_LinTracer(self, o, len(entries) - 1))
        return outs


_NOPARAMS: dict = {}


def _frees(tape: Tape, keep) -> list:
    """For each entry, the values whose last use it is (freed right after: memory is reused)."""
    last = {}
    for i, e in enumerate(tape.entries):
        for p in parents_of(e):
            if p >= 0:
                last[p] = i
    out: list = [[] for _ in tape.entries]
    for p, i in last.items():
        if p not in keep:
            out[i].append(p)
    return out


def _replay(tape: Tape, frees, in_nodes, tangents) -> list:
    """Evaluate the recorded program on new inputs (through ``bind``: it nests)."""
    entries = tape.entries
    env: list = [None] * len(entries)
    for n, t in zip(in_nodes, tangents):
        env[n] = t
    for i, e in enumerate(entries):
        prim, params = e[0], e[1]
        if prim is INPUT:
            continue
        if prim is PROJ:
            env[i] = env[e[3]][params]
        else:
            env[i] = bind(prim, [env[p] if p >= 0 else v
                                 for p, v in zip(parents_of(e), values_of(e))],
                          params or _NOPARAMS)
        for p in frees[i]:
            env[p] = None
    return env


class _Linear:
    """A recorded linear map: inputs/outputs structure, the tape and its constant outputs."""

    def __init__(self, tape, in_nodes, out_nodes, consts, in_avals, out_avals, in_tree,
                 out_tree, where):
        self.tape, self.in_nodes, self.out_nodes, self.consts = tape, in_nodes, out_nodes, consts
        self.in_avals, self.out_avals = in_avals, out_avals
        self.in_tree, self.out_tree, self.where = in_tree, out_tree, where
        self.frees = _frees(tape, set(out_nodes))

    def check(self, flat, tree, avals, want_tree, what):
        if tree != want_tree:
            raise ValueError(f"{self.where}: the {what} structure differs from the one "
                             f"recorded:\n  expected: {want_tree}\n  got:      {tree}")
        for k, (x, a) in enumerate(zip(flat, avals)):
            if tuple(shape_of(x)) != tuple(a.shape):
                raise ValueError(f"{self.where}: {what} leaf {k} has shape {shape_of(x)}, "
                                 f"expected {a.shape}")

    def forward(self, *args):
        flat, tree = _tree.flatten(args)
        self.check(flat, tree, self.in_avals, self.in_tree, "tangent")
        env = _replay(self.tape, self.frees, self.in_nodes, flat)
        outs = [env[n] if n >= 0 else c for n, c in zip(self.out_nodes, self.consts)]
        return _tree.unflatten(self.out_tree, [_fit(o, a) for o, a in zip(outs, self.out_avals)])

    def transpose(self, ct):
        flat, tree = _tree.flatten(ct)
        self.check(flat, tree, self.out_avals, self.out_tree, "cotangent")
        for e in self.tape.entries:
            p = e[0]
            if p is not INPUT and p is not PROJ and p.rules.vjp is None:
                raise TypeError(f"linear_transpose: the function uses '{p.name}', which has no "
                                "transpose rule; is the function linear in its inputs?")
        res = backward_pass(self.tape, list(zip(self.out_nodes, flat)), self.in_nodes)
        ins = [_fit(r, a) for r, a in zip(res, self.in_avals)]
        return tuple(_tree.unflatten(self.in_tree, ins))


def _avals(xs):
    return [ShapeDtype(tuple(shape_of(x)), dtype_of(x)) for x in xs]


def _record(flat_fun, flat_ins, where, in_tree, out_tree_box) -> _Linear:
    """Run ``flat_fun(inputs) -> outs`` on recording tracers for zero inputs."""
    with new_trace(_LinTrace) as lt:
        ins = [lt.new_input(zeros(shape_of(x), dtype_of(x), like=x)) for x in flat_ins]
        in_nodes = [t.node for t in ins]
        outs = flat_fun(ins)
    vals, nodes = split_outputs(outs, lt, "node", -1)
    lt.tape.outputs = nodes
    return _Linear(lt.tape, in_nodes, nodes, vals, _avals(flat_ins), _avals(vals), in_tree,
                   out_tree_box(), where)


def first_nonlinear(tape: Tape, out_nodes) -> str | None:
    """What makes a recorded program not linear in its inputs (None: every op is linear).

    Only the ops the outputs are computed from count (a convergence test on the input,
    used for Python control flow only, does not). An op whose operands depend on the
    inputs must be declared linear in those operands (``def_linear``): jointly (``add``:
    then its other operands must be zero, or it is affine), or in one operand at a time
    (``multiply``: the other factor is a constant coefficient).
    """
    entries = tape.entries
    used = [False] * len(entries)
    for n in out_nodes:
        if n >= 0:
            used[n] = True
    for i in range(len(entries) - 1, -1, -1):
        if not used[i]:
            continue
        prim, parents = entries[i][0], parents_of(entries[i])
        if prim is INPUT:
            continue
        if prim is PROJ:
            used[parents[0]] = True
            continue
        dep = frozenset(j for j, p in enumerate(parents) if p >= 0)
        for p in parents:
            if p >= 0:
                used[p] = True
        decl = prim.rules.linear
        if decl is not None:
            args, joint = decl
            if (args is None or dep <= args) and (joint or len(dep) == 1):
                if joint and _nonzero_const(values_of(entries[i]), dep, args):
                    return f"'{prim.name}' with a nonzero constant operand (affine, not linear)"
                continue
            if not joint and len(dep) > 1:
                return f"'{prim.name}' of two values that both depend on it"
        return f"'{prim.name}' (not linear in operand(s) {sorted(dep)})"
    return None


def _nonzero_const(vals, dep, args) -> bool:
    """Does an operand of a jointly linear op that is constant here hold a nonzero value?"""
    for j, v in enumerate(vals):
        if j not in dep and (args is None or j in args) and not isinstance(v, ShapeDtype):
            if np.any(full_lower(v)):
                return True
    return False


def transpose_linear(fun_flat: Callable, like: list, cts: list, what: str) -> list:
    """The transpose of a linear ``fun_flat(list) -> list`` applied to ``cts``.

    ``fun_flat`` is recorded once, on generic inputs shaped like ``like`` (a fixed-seed
    normal sample: Python control flow on them, such as an iterative solver's convergence
    test, takes its typical path). Every op the outputs are computed from must be linear in
    the inputs (checked op by op, so ``clip(g)`` is refused although it is linear near most
    points); raises ``NotLinearError(reason)`` otherwise. Outputs that do not depend on the
    inputs must be zero. Returns one cotangent per input (None: zero).
    """
    rng = np.random.default_rng(0)
    with new_trace(_LinTrace) as lt:
        ins = [lt.new_input(_generic(rng, x)) for x in like]
        in_nodes = [t.node for t in ins]
        outs = fun_flat(ins)
    nodes = split_outputs(outs, lt, "node", -1)[1]
    bad = first_nonlinear(lt.tape, nodes)
    if bad is not None:
        raise NotLinearError(f"{what} applies {bad}")
    for o, n in zip(outs, nodes):
        if n < 0 and o is not None and np.any(full_lower(o)):
            raise NotLinearError(f"{what} returns a nonzero value that does not depend on it "
                                 f"({short_repr(full_lower(o))})")
    seeds = [(n, c) for n, c in zip(nodes, cts) if n >= 0 and c is not None]
    return backward_pass(lt.tape, seeds, in_nodes)


def _generic(rng, x):
    """A fixed-seed normal sample shaped and typed like ``x``."""
    shape, dt = shape_of(x), np.dtype(dtype_of(x))
    v = rng.standard_normal(shape)
    if is_complex(dt):
        v = v + 1j * rng.standard_normal(shape)
    return np.asarray(v, dtype=dt) if is_inexact(dt) else np.zeros(shape, dt)


class NotLinearError(TypeError):
    """A function that must be linear in its inputs applies a nonlinear op to them."""


def linearize(fun: Callable[..., Any], *primals: Any) -> tuple[Any, Callable[..., Any]]:
    """``(fun(*primals), f_jvp)``: the JVP at ``primals`` as a recorded linear map.

    ``fun`` runs once (one ``jvp`` whose tangent operations are recorded).
    ``f_jvp(*tangents)`` replays only the tangent arithmetic, never ``fun``
    itself, so it is cheaper than a ``jvp`` call; its memory cost is the
    recorded constants (the Jacobian factors). ``linear_transpose(f_jvp)``
    gives the transposed map (a VJP).

    Args:
      fun: the function (pytrees in and out).
      primals: the point, one value per positional argument.

    Returns:
      ``(out, f_jvp)``; ``f_jvp`` takes tangents shaped like ``primals`` and
      returns a tangent shaped like ``out``.

    Example:
        >>> import numpy as np, funcad as fad
        >>> y, f_jvp = fad.linearize(np.sin, 0.0)
        >>> float(f_jvp(2.0))
        2.0
    """
    nums = tuple(range(len(primals)))
    flat, in_tree = _diff_inputs(tuple(primals), nums, "linearize")
    ff = _FlatFun(fun, tuple(primals), {}, nums, in_tree, False, "linearize")
    box = {}

    def tangent_fun(ts):
        po, to = jvp_flat(ff, flat, ts)
        box["po"] = po
        return to

    lin = _record(tangent_fun, flat, "linearize f_jvp", in_tree,
                  lambda: ff.out_tree)
    out = _tree.unflatten(ff.out_tree, box["po"])

    def f_jvp(*tangents):
        return lin.forward(*tangents)

    f_jvp._linear = lin
    return out, f_jvp


def linear_transpose(fun: Callable, *primals) -> Callable:
    """The transpose of a linear function: ``ct -> tuple of input cotangents``.

    Args:
      fun: an ``f_jvp`` from :func:`linearize` (then ``primals`` may be omitted),
        or any function linear in its arguments.
      primals: example arguments fixing shapes and dtypes (values are ignored).

    Returns:
      ``f_t(ct)`` returning a tuple with one cotangent per argument of ``fun``.

    Example:
        >>> import numpy as np, funcad as fad
        >>> _, f_jvp = fad.linearize(lambda x: np.array([[1.0, 2.0], [3.0, 4.0]]) @ x, np.ones(2))
        >>> fad.linear_transpose(f_jvp)(np.array([1.0, 0.0]))
        (array([1., 2.]),)
    """
    lin = getattr(fun, "_linear", None)
    if lin is None:
        if not primals:
            raise TypeError("linear_transpose: pass example arguments (linear_transpose(f, *xs))"
                            " unless f is an f_jvp returned by fad.linearize")
        flat, in_tree = _tree.flatten(tuple(primals))
        box = {}

        def run(ins):
            out, box["tree"] = _tree.flatten(fun(*_tree.unflatten(in_tree, ins)))
            return out

        lin = _record(run, [np.asarray(x) if not isinstance(x, Tracer) else x for x in flat],
                      "linear_transpose", in_tree, lambda: box["tree"])
        bad = first_nonlinear(lin.tape, lin.out_nodes)
        if bad is not None:
            raise NotLinearError(f"linear_transpose: the function applies {bad} to its "
                                 "inputs, so it is not linear and has no transpose")
    return lin.transpose
