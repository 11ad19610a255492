"""jit_call: a recorded program as a primitive, so transforms outside jit replay it too.

Under ``grad``, ``jvp`` and ``vmap`` (and ``jacfwd``/``jacrev``/``hessian``, built from
them), ``jit(f)(x)`` binds ``jit_call`` on the dynamic leaves of its arguments; the
parameter is the :class:`JitCall` of the program that the primal values select (their
guards checked on them, see ``funcad._jit``). Its impl replays the compiled program. Its
JVP, VJP and batching rules run *derived* programs: jitted functions that interpret the
recorded program under ``jvp_flat``, ``pull_back`` or ``vmap_flat``. A derived program is
recorded on its first use and replayed from then on, so the derivative is generated code
too; under yet another transform it is itself a ``jit_call`` (any order: grad of grad).

The VJP re-runs the forward part of the program inside the backward program (no residuals
cross the primitive), as ``checkpoint`` does: a replay is cheap, a tape of residuals is not.
"""

from __future__ import annotations

import threading

import numpy as np

from ._arrays import is_foreign
from ._args import put_at
from ._batching import BatchTrace, BatchTracer, defbatch, vmap_flat
from ._core import Primitive, Tracer
from ._custom import cached
from ._forward import JVPTrace, JVPTracer, def_linear_jvp, defjvp_full, jvp_flat
from ._jacobian_trace import JacobianTrace
from ._onehot import Layout, OneHotRows, onehot_dense_p
from ._reverse import RevTrace, RevTracer, defvjp_argnum, vjp_flat
from ._staging import Guard, Program
from ._util import dtype_of, is_inexact, shape_of
from .errors import FuncadError

__all__ = [
    "NO_EXAMPLE",
    "PLAIN",
    "JitCall",
    "example",
    "flat_examples",
    "interpret",
    "jit_call_p",
    "supported",
]

# the traces whose rules jit_call has (JacobianTrace: jacfwd/jacrev/hessian's vmap)
_SUPPORTED = (JVPTrace, RevTrace, BatchTrace, JacobianTrace)
NO_EXAMPLE = object()       # a leaf no example value can be read from (a sparse basis)
PLAIN = object()            # under a transform, but no argument is traced


def supported(stack) -> bool:
    """Every running transform is one jit_call has rules for (jvp, grad/vjp, vmap)."""
    for t in stack:
        if type(t) not in _SUPPORTED:
            return False
    return True


def example(x, flags: list):
    """The value under every level of tracing; under vmap, the first example of the batch
    (``flags[0]`` is set). ``flags[1]``: reverse mode traces it. ``NO_EXAMPLE`` for a one-hot
    basis or an unknown tracer."""
    k = 0
    flags[1] = False
    while isinstance(x, Tracer):
        t = type(x)
        if t is BatchTracer:
            x = x.val
            k += 1
        elif t is JVPTracer:
            x = x.primal
        elif t is RevTracer:
            x = x.value
            flags[1] = True
        else:
            return NO_EXAMPLE
    if type(x) is OneHotRows or is_foreign(x):      # (Dask / CuPy: jit runs f itself)
        return NO_EXAMPLE
    if k:
        flags[0] = True
        x = np.asarray(x)[(0,) * k + (Ellipsis,)]      # a 0-d array, not a scalar
    return x


def flat_examples(args, flags):
    """``Jitted._signature(args, {}, flags)`` (funcad._jit) where every argument is an
    array, a float or a tracer (the common case, and every call jit_call's rules make): the
    key is the plain call's, so a program recorded outside transforms serves under them
    too. None: use ``_signature``."""
    leaves, wrt, key = [], [], []
    seen = False
    for a in args:
        if isinstance(a, Tracer):
            seen = True
            a = example(a, flags)
            if a is NO_EXAMPLE:
                return None
        wrt.append(flags[1])
        flags[1] = False
        t = type(a)
        if t is np.ndarray:
            key.append((a.shape, a.dtype))
        elif t is float:
            key.append(float)
        else:
            return None
        leaves.append(a)
    if not seen:
        return PLAIN
    return tuple(key), leaves, leaves, rebuild_flat, args, tuple(wrt)


def rebuild_flat(leaves):
    return list(leaves), {}


# ---------------------------------------------------------------------------
# interpreting a program on any values (tracers of the transforms running)
# ---------------------------------------------------------------------------

def _seen(kind: str, v, expected):
    if kind == "bool":
        return bool(v)
    if kind == "int":
        return int(v)
    if kind == "float":
        return complex(v) if type(expected) is complex else float(v)
    while isinstance(v, Tracer):
        v = v._concrete()
    return v


def _same(kind: str, seen, expected) -> bool:
    if kind in ("bool", "int"):
        return seen == expected
    a, b = np.asarray(seen), np.asarray(expected)
    return a.shape == b.shape and a.dtype == b.dtype and (
        a.tobytes() == b.tobytes() or bool(np.array_equal(a, b, equal_nan=True)))


def interpret(prog: Program, leaves, name: str) -> list:
    """Run ``prog`` by binding each primitive on ``leaves`` (values or tracers): the
    transforms running see every primitive. A guard reads its value as the recording did
    (a recording of this run gets the same guard); a value other than the recorded one
    raises, never a silently wrong branch."""
    env: list = [None] * len(prog.avals)
    for i, x in zip(prog.inputs, leaves):
        env[i] = x
    for e in prog.body:
        if type(e) is Guard:
            seen = _seen(e.kind, env[e.var], e.expected)
            if not _same(e.kind, seen, e.expected):
                raise FuncadError(
                    f"jit({name}): under a transform, the recorded program read another "
                    f"value than when it was recorded ({e.kind}() at {e.site or 'unknown'}). "
                    "This is a bug in funcad.jit: please report it; call the function without "
                    "jit under this transform meanwhile.")
            continue
        ins = [env[i] if type(i) is int else i.value for i in e.ins]
        out = e.prim(*ins, **e.params)
        if e.prim.multiple_results:
            for o, v in zip(e.outs, out):
                env[o] = v
        else:
            env[e.outs[0]] = out
    return [env[o] if type(o) is int else o.value for o in prog.outputs]


# ---------------------------------------------------------------------------
# the call: one recorded program and its derived programs
# ---------------------------------------------------------------------------

class JitCall:
    """One recorded program as ``jit_call``'s parameter: the compiled replay, the program
    (for the derived programs) and the derived jitted functions, made on first use."""

    __slots__ = (
        "_batch",
        "_jitted",
        "_jvp",
        "_lock",
        "_vjp",
        "compiled",
        "n_guards",
        "name",
        "prog",
    )

    def __init__(self, prog: Program, compiled, name: str, jitted):
        self.name = name
        self.prog = prog
        self.compiled = compiled
        self.n_guards = len(compiled.guards)
        self._jitted = jitted       # funcad._jit.Jitted (this module does not import _jit)
        self._jvp: dict = {}        # which operands have tangents -> the derived function
        self._vjp: dict = {}        # which operands need cotangents -> the derived function
        self._batch: dict = {}
        self._lock = threading.Lock()

    def __repr__(self):
        return f"jit_call({self.name})"

    def _derived(self, table: dict, key: tuple, make, what: str):
        """``table[key]``: the jitted ``make()`` (made once, under the lock)."""
        fn = table.get(key)
        if fn is None:
            with self._lock:
                fn = table.get(key)
                if fn is None:
                    fun = make(self.prog, self.name, len(self.prog.inputs), key)
                    fun.__name__ = f"{what}_{self.name}"
                    fn = self._jitted(fun, on_retrace="ignore")
                    fn.derived = True   # closes over no traced value: replays under any
                    table[key] = fn
        return fn

    def jvp(self, pos: tuple):
        """``(*primals, *tangents of the operands in pos)`` -> the outputs' tangents."""
        return self._derived(self._jvp, pos, _jvp_of, "jvp")

    def vjp(self, wrt: tuple):
        """``(*operands, *output cotangents)`` -> the cotangents of the float operands marked
        in ``wrt`` (None for the others)."""
        return self._derived(self._vjp, wrt, _vjp_of, "vjp")

    def batched(self, dims: tuple):
        """``(*operands)`` batched along axis 0 where ``dims`` says 0 -> the outputs, too."""
        return self._derived(self._batch, dims, _vmap_of, "vmap")


def _jvp_of(prog, name, n, pos):
    def jvp_of(*xs):
        primals = list(xs[:n])
        return jvp_flat(lambda ts: interpret(prog, put_at(primals, pos, ts), name),
                        [primals[k] for k in pos], list(xs[n:]))[1]
    return jvp_of


def _vjp_of(prog, name, n, wrt):
    def vjp_of(*xs):
        args, cts = list(xs[:n]), xs[n:]
        pos = [k for k, a in enumerate(args) if wrt[k] and is_inexact(dtype_of(a))]
        _, pullback, _ = vjp_flat(lambda ys: interpret(prog, put_at(args, pos, ys), name),
                                  [args[k] for k in pos])
        out = [None] * len(args)
        for k, c in zip(pos, pullback(list(cts), consume=True)):
            out[k] = c
        return out
    return vjp_of


def _vmap_of(prog, name, n, dims):
    def vmap_of(*vals):
        size = next(shape_of(v)[0] for v, d in zip(vals, dims) if d is not None)
        return vmap_flat(lambda *xs: interpret(prog, xs, name), dims, size)(*vals)
    return vmap_of


# ---------------------------------------------------------------------------
# the primitive
# ---------------------------------------------------------------------------

def _impl(*leaves, call, wrt):
    out = call.compiled.run(*leaves)
    if type(out) is int:        # funcad._jit checked the guards on these values
        raise FuncadError(f"jit({call.name}): a guard failed inside a transform: "
                          f"{call.compiled.guard_note(out)}. This is a bug in funcad.jit: "
                          "please report it; call the function without jit meanwhile.")
    return out


jit_call_p = Primitive("jit_call", _impl, multiple_results=True)


def _jvp(primals, tangents, ans, *, call, wrt):
    pos = tuple([k for k, t in enumerate(tangents) if t is not None])
    if not pos:
        return [None] * len(ans)
    return call.jvp(pos)(*primals, *[tangents[k] for k in pos])


def _vjp(j, g, _ans, *args, call, wrt):
    return cached(call, g, lambda: call.vjp(wrt)(*args, *g))[j]


def _batch(vals, dims, *, call, wrt):
    fn = call.batched(tuple(dims))
    for v in vals:
        if isinstance(v, Tracer):
            return fn(*vals)
    return fn.call_plain(vals, {})          # the common case: straight to the replay


defjvp_full(jit_call_p, _jvp)
defvjp_argnum(jit_call_p, _vjp, keep=True)
defbatch(jit_call_p, _batch)


# ---------------------------------------------------------------------------
# onehot_dense: a recorded one-hot basis made dense (``_onehot``). Only a recording binds it
# (on slot values jit records); these rules run when jit_call interprets such a program
# under a transform (grad(jit(hessian(f))), vmap(jit(jacfwd(f)))).
# ---------------------------------------------------------------------------

def _dense_vjp(j, g, _ans, vals, *, layout):
    """The transpose of a scatter-add: each slot entry reads back the cotangent of the
    dense position it was added to."""
    return g.reshape(-1)[layout.positions()]


def _dense_batch(vals, dims, *, layout):
    """The batch axis moved last, as one more per-example axis of the slots (its indices
    broadcast along it), then back to the front of the dense result."""
    v = vals[0]
    nd = v.ndim - 1                      # slot axis plus the per-example axes
    idx = layout.idx[..., None]
    wide = Layout(np.broadcast_to(idx, idx.shape[:-1] + (v.shape[0],)), layout.size,
                  layout.transposed)
    out = onehot_dense_p(v.transpose(tuple(range(1, nd + 1)) + (0,)), layout=wide)
    b = nd - 1 if layout.transposed else nd      # where the batch axis landed
    return out.transpose((b,) + tuple(a for a in range(out.ndim) if a != b))


def_linear_jvp(onehot_dense_p)
defvjp_argnum(onehot_dense_p, _dense_vjp, keep=False)
defbatch(onehot_dense_p, _dense_batch)
