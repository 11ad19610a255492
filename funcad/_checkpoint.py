"""checkpoint (remat): trade compute for tape memory, as a primitive.

``checkpoint(f)(*args)`` binds ``checkpoint_call`` on the flat array leaves.
Under reverse mode the tape entry keeps only the inputs (and the outputs, which
the next operations hold anyway); the backward rule re-runs ``f`` on a fresh
tape and pulls the cotangent back through it. A *policy* names operations whose
results are worth keeping: the primitive then returns ``outputs + saved`` (the
caller sees the outputs), and the re-run takes the saved values instead of
recomputing them (a ``<op>[saved]`` primitive: value given, rules of ``<op>``).

Forward mode differentiates ``f`` with dual numbers; vmap runs the record and
replay functions on batched values.
"""

from __future__ import annotations

import functools
from typing import Callable

from . import tree as _tree
from ._args import StaticSplit
from ._batching import _loop as batch_loop
from ._batching import batch_size, defbatch, vmap_flat
from ._core import Primitive, Trace, Tracer, active_traces, new_trace, ops
from ._custom import UserCall, cached, check_no_tracer, run_plain
from ._forward import defjvp, defjvp_full, jvp_flat
from ._reverse import RevTrace, defvjp, defvjp_argnum, pull_back
from ._sparsity import Inline, defsparsity
from ._util import shape_of
from .errors import FuncadError

__all__ = ["checkpoint", "remat", "checkpoint_name", "checkpoint_policies"]


# ---------------------------------------------------------------------------
# checkpoint_name: an identity that policies can select by name
# ---------------------------------------------------------------------------

name_p = Primitive("checkpoint_name", lambda x, *, name: x)
name_p.declare_lazy()      # (Dask / CuPy: see extend.deflazy)
defjvp(name_p, lambda t, ans, x, *, name: t)
defvjp(name_p, lambda g, _ans, x, *, name: g, keep=False)
defbatch(name_p, lambda vals, dims, *, name: name_p(vals[0], name=name))
defsparsity(name_p, lambda sets, vals, ans, *, name: sets[0])


def checkpoint_name(x, name: str):
    """Tag ``x`` with ``name`` so a ``save_only_these_names`` policy can keep it.

    Args:
      x: an array (traced or not).
      name: the tag a policy selects.

    Returns:
      ``x`` itself: the identity on values and derivatives.

    Example:
        >>> import numpy as np, funcad as fad
        >>> float(fad.checkpoint_name(np.float64(2.0), "h"))
        2.0
    """
    if not isinstance(name, str):
        raise TypeError(f"checkpoint_name: name must be a str, got {name!r}")
    return name_p(x, name=name)


# ---------------------------------------------------------------------------
# policies: policy(prim, *args, **params) -> keep this result?
# ---------------------------------------------------------------------------

class checkpoint_policies:
    """What a checkpointed function keeps for the backward pass (everything else is recomputed).

    Attributes:
      nothing_saveable: keep nothing (the default).
      everything_saveable: keep every result (no recomputation; for comparison).
      dots_saveable: keep the results of matrix products: the primitives declared with
        ``def_dot`` (matmul and einsum; dot, tensordot and @ use them).
      save_only_these_names: ``save_only_these_names("a", "b")`` keeps values tagged
        with :func:`checkpoint_name`.

    A policy is any ``policy(prim, *args, **params) -> bool``.

    Example:
        >>> import funcad as fad
        >>> from funcad.numpy._products import matmul_p
        >>> fad.checkpoint_policies.dots_saveable(matmul_p)
        True
    """

    @staticmethod
    def nothing_saveable(prim, *args, **params) -> bool:
        return False

    @staticmethod
    def everything_saveable(prim, *args, **params) -> bool:
        return True

    @staticmethod
    def dots_saveable(prim, *args, **params) -> bool:
        return prim.rules.dot

    @staticmethod
    def save_only_these_names(*names: str) -> Callable:
        wanted = frozenset(names)

        def policy(prim, *args, **params):
            return prim is name_p and params.get("name") in wanted
        policy.__name__ = f"save_only_these_names{tuple(sorted(wanted))}"
        return policy


# ---------------------------------------------------------------------------
# the saving / replaying trace
# ---------------------------------------------------------------------------

class _SaveTracer(Tracer):
    __slots__ = ("val",)

    def __init__(self, trace, val):
        self._trace = trace
        self.val = val

    def _become(self, other):
        self.val = other.val

    def _concrete(self):
        return self.val


class _SaveTrace(Trace):
    """Passes every op down; records the results the policy selects, or (replay) substitutes
    the recorded ones through ``<op>[saved]`` primitives."""

    __slots__ = ("policy", "saved", "replay", "name", "labels")
    kind = "checkpoint"

    def __init__(self, policy, name, saved=None):
        super().__init__()
        self.policy = policy
        self.name = name
        self.replay = None if saved is None else iter(saved)
        self.saved = []
        self.labels = []       # what each saved value is, for print_saved_residuals

    def pure(self, x):
        return _SaveTracer(self, x)

    def process(self, prim, args, params):
        vals = [a.val if type(a) is _SaveTracer and a._trace is self else a for a in args]
        # only single-result, differentiable ops are saved
        keep = not (prim.nondiff or prim.multiple_results) and self.policy(prim, *vals,
                                                                            **params)
        if keep and self.replay is not None:
            out = saved_version(prim)(self._next(prim), *vals, **params)
        else:
            out = prim(*vals, **params)
        if keep:
            self.saved.append(out)
            self.labels.append(prim.name + (f" {params['name']}" if prim is name_p else ""))
        if prim.multiple_results:
            return [_SaveTracer(self, o) for o in out]
        return _SaveTracer(self, out)

    def _next(self, prim):
        v = next(self.replay, None)
        if v is None:
            raise FuncadError(
                f"fad.checkpoint('{self.name}'): re-running the function in the backward pass "
                f"reached a '{prim.name}' the first run did not save. A checkpointed function "
                "must repeat the same operations when re-run (no randomness or global state).")
        return v


# ---------------------------------------------------------------------------
# <op>[saved]: the value is given (operand 0), the rules are op's
# ---------------------------------------------------------------------------

_saved_versions: dict = {}


def saved_version(prim: Primitive) -> Primitive:
    p = _saved_versions.get(prim)
    if p is not None:
        return p
    p = Primitive(f"{prim.name}[saved]", lambda saved, *args, **params: saved,
                  multiple_results=prim.multiple_results)
    p.declare_lazy()          # returns the saved value
    jrule = prim.rules.jvp
    if jrule is not None:
        defjvp_full(p, lambda ps, ts, ans, **kw: jrule(ps[1:], ts[1:], ans, **kw))
    vrule = prim.rules.vjp
    if vrule is not None:
        def vjp(j, g, ans, saved, *args, **kw):
            return None if j == 0 else vrule.pull(j - 1, g, ans, args, kw)

        keep = vrule.keep
        keep2 = (False,) + ((False,) * 256 if keep is False else () if keep is True else keep)
        defvjp_argnum(p, vjp, keep=keep2, keep_ans=vrule.keep_ans)

    def batch(vals, dims, **kw):   # recompute under vmap (correct; the saving is lost there)
        if all(d is None for d in dims[1:]):       # only the saved value varies: same value
            out = prim(*vals[1:], **kw)
            return ops.broadcast_to(out, shape_of(vals[0])[:1] + tuple(shape_of(out)))
        rule = prim.rules.batch
        if rule is not None:
            return rule(list(vals[1:]), list(dims[1:]), **kw)
        return batch_loop(prim, batch_size(vals[1:], dims[1:]), vals[1:], dims[1:], kw)

    defbatch(p, batch)
    _saved_versions[prim] = p
    return p


# ---------------------------------------------------------------------------
# the checkpoint primitive
# ---------------------------------------------------------------------------

def _record(fun, policy, name, box):
    """``record(*args) -> outs + saved`` (the first run)."""
    if policy is None:
        return fun

    def record(*args):
        with new_trace(_SaveTrace, policy, name) as t:
            outs = fun(*[_SaveTracer(t, a) for a in args])
        box["saved_labels"] = t.labels
        return [_low(o, t) for o in outs] + [_low(v, t) for v in t.saved]

    return record


def _replay(fun, policy, name, box):
    """``replay(saved_flat, *args) -> outs + saved`` (the backward-pass re-run)."""
    if policy is None:
        return lambda saved, *args: fun(*args)

    def replay(saved, *args):
        with new_trace(_SaveTrace, policy, name, saved) as t:
            outs = fun(*[_SaveTracer(t, a) for a in args])
        return [_low(o, t) for o in outs] + [_low(v, t) for v in t.saved]

    return replay


def _low(x, t):
    return x.val if type(x) is _SaveTracer and x._trace is t else x


def _ckpt_impl(*args, call):
    return check_no_tracer(run_plain(call.record, args), call.name, "checkpointed function")


checkpoint_p = Primitive("checkpoint", _ckpt_impl, multiple_results=True)
checkpoint_p.declare_lazy()   # the impl runs the function: its own primitives decide


def _ckpt_jvp(primals, tangents, ans, *, call):
    if all(t is None for t in tangents):
        return [None] * len(ans)
    return jvp_flat(lambda xs: call.record(*xs), list(primals), list(tangents))[1]


def _ckpt_vjp(j, g, ans, *args, call):
    saved = list(ans[call.box["n_out"]:])
    return cached(call, g, lambda: pull_back(lambda *xs: call.replay(saved, *xs), list(args),
                                             g))[j]


def _ckpt_batch(vals, dims, *, call):
    size = batch_size(vals, dims)

    def replay(saved, *args):
        k = len(saved)
        return vmap_flat(lambda *sa: call.replay(list(sa[:k]), *sa[k:]),
                         [0] * k + list(dims), size)(*saved, *args)

    new = UserCall(call.name, call.box, record=vmap_flat(call.record, dims, size), replay=replay)
    return checkpoint_p(*vals, call=new)


defjvp_full(checkpoint_p, _ckpt_jvp)
defvjp_argnum(checkpoint_p, _ckpt_vjp, keep=True)
defbatch(checkpoint_p, _ckpt_batch)
defsparsity(checkpoint_p, Inline(lambda *args, call: call.record(*args)))   # trace through


def _under_reverse() -> bool:
    return any(isinstance(t, RevTrace) for t in active_traces())


def checkpoint(fun: Callable, policy: Callable | None = None, *, static_argnums=()) -> Callable:
    """Rematerialize ``fun`` in the backward pass instead of keeping its intermediates.

    Under reverse mode the tape keeps only ``fun``'s inputs (and the values the
    policy selects); the backward sweep re-runs ``fun`` on a fresh tape. Values
    are unchanged and gradients equal. ``fun`` must take the values it
    differentiates as arguments (a traced value it closes over raises an error).

    Args:
      fun: the function to checkpoint (pytrees in and out).
      policy: ``None`` (keep nothing) or one of :class:`checkpoint_policies`, or
        any ``policy(prim, *args, **params) -> bool``.
      static_argnums: positional arguments passed through untraced (flags, ints).

    Returns:
      A function with ``fun``'s signature.

    Example:
        >>> import numpy as np, funcad as fad
        >>> block = fad.checkpoint(lambda x: np.sin(np.sin(x)))
        >>> float(fad.grad(lambda x: block(x) ** 2)(0.5))
        0.7183294951894593
    """
    name = getattr(fun, "__name__", type(fun).__name__)
    pol = None if policy is checkpoint_policies.nothing_saveable else policy

    @functools.wraps(fun)
    def wrapped(*args, **kwargs):
        sp = StaticSplit(fun, static_argnums, args, kwargs, "checkpoint", "static_argnums")
        if not sp.traced or not _under_reverse():
            return fun(*sp.args)
        box: dict = {}

        def fun_flat(*leaves):
            out, box["out_tree"] = _tree.flatten(fun(*sp.rebuild(leaves)))
            box["n_out"] = len(out)
            return out

        call = UserCall(name, box, record=_record(fun_flat, pol, name, box),
                     replay=_replay(fun_flat, pol, name, box))
        outs = checkpoint_p(*sp.leaves, call=call)
        return _tree.unflatten(box["out_tree"], outs[:box["n_out"]])

    return wrapped


remat = checkpoint
