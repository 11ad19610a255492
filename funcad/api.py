"""The user-facing transforms: thin pytree wrappers over small ``*_flat`` cores.

Composite transforms are compositions: ``jacfwd`` is vmap of jvp over the
standard basis, ``jacrev`` is vmap of the pullback over the output basis,
``hessian`` is ``jacfwd(jacrev(f))`` and ``hvp`` is ``jvp`` of ``grad``.
"""

from __future__ import annotations

import functools
from typing import Callable, Sequence

import numpy as np

from . import tree as _tree
from ._batching import BatchTrace, BatchTracer
from ._core import Tracer, new_trace, ops
from ._forward import JVPTrace, JVPTracer
from ._reverse import RevTrace, RevTracer, backward_pass
from ._util import dtype_of, shape_of, short_repr
from .errors import BatchingError, ConcretizationError

__all__ = ["grad", "value_and_grad", "jvp", "vjp", "linearize", "jacfwd", "jacrev", "jacobian",
           "hessian", "hvp", "vmap", "vjp_flat", "jvp_flat"]


# ---------------------------------------------------------------------------
# input checking
# ---------------------------------------------------------------------------

def _norm_argnums(argnums, nargs: int, where: str):
    if type(argnums) is int and 0 <= argnums < nargs:
        return (argnums,), True       # the common case, checked
    single = isinstance(argnums, (int, np.integer))
    nums = (int(argnums),) if single else tuple(argnums)
    if not nums:
        raise ValueError(f"{where}: argnums is empty; pass at least one argument index")
    for a in nums:
        if not isinstance(a, (int, np.integer)):
            raise TypeError(f"{where}: argnums must be ints, got {a!r}")
        if not -nargs <= a < nargs:
            raise ValueError(f"{where}: argnums={argnums!r} is out of range for a function called "
                             f"with {nargs} positional argument(s); use an index in "
                             f"[0, {nargs - 1}]" if nargs else
                             f"{where}: argnums={argnums!r} but the function was called with no "
                             "positional arguments")
    nums = tuple(a % nargs for a in nums)
    return nums, single


def _is_complex(dt) -> bool:
    return np.dtype(dt).kind == "c"


def _is_float(dt) -> bool:
    return np.dtype(dt).kind == "f"


def _is_inexact(dt) -> bool:
    return np.dtype(dt).kind in "fc"


def _as_diff_leaf(x, what: str, holomorphic: bool = False, allow_int: bool = False):
    """Check a leaf we differentiate with respect to; return it as an array (never mutated)."""
    if isinstance(x, Tracer):
        dt = x.dtype
    else:
        if isinstance(x, (list, tuple)):
            raise TypeError(f"{what} is a {type(x).__name__}; pass an array")
        try:
            x = np.asarray(x)
        except Exception as e:  # pragma: no cover - odd objects
            raise TypeError(f"{what} is not an array: {short_repr(x)}") from e
        dt = x.dtype
    if _is_complex(dt) or _is_float(dt):
        if holomorphic and not _is_complex(dt):
            raise TypeError(f"holomorphic=True needs complex inputs; {what} has dtype {dt}. "
                            "Pass x.astype(complex)")
        return x
    if allow_int:
        return x
    raise TypeError(f"can only differentiate with respect to float or complex inputs; {what} "
                    f"has dtype {dt} (value {short_repr(x)}). Pass floats, e.g. 1.0 instead of 1 "
                    "or x.astype(float)")


def _leaf_name(treedef, k: int, argnames) -> str:
    return f"argument {argnames[k]}" if k < len(argnames) else f"input leaf {k}"


def _diff_inputs(args, nums, where, holomorphic=False):
    diff = tuple(args[i] for i in nums)
    flat, in_tree = _tree.flatten(diff)
    kinds = "c" if holomorphic else "fc"
    if all((type(x) is np.ndarray or isinstance(x, Tracer)) and x.dtype.kind in kinds
           for x in flat):
        return flat, in_tree          # float arrays: nothing to convert or to name
    counts = [len(_tree.leaves(d)) for d in diff]
    names = []
    for i, c in zip(nums, counts):
        names += [f"argument {i}" + ("" if c == 1 else f" (leaf {j})") for j in range(c)]
    flat = [_as_diff_leaf(x, f"{where}: {n}", holomorphic) for x, n in zip(flat, names)]
    return flat, in_tree


def _substitute(args, nums, in_tree, flat):
    new = list(args)
    for k, v in zip(nums, _tree.unflatten(in_tree, flat)):
        new[k] = v
    return new


_ones: dict = {}


def _one(dt):
    """A fresh 0-d one of dtype ``dt`` (a copy of a cached one: cheaper than np.ones)."""
    o = _ones.get(dt)
    if o is None:
        o = _ones[dt] = np.ones((), dt)
    return o.copy()


def _zeros_for(p):
    return np.zeros(shape_of(p), dtype_of(p))


def _fit(ct, primal):
    """Match a cotangent/tangent to its primal: zeros for None, the primal's dtype."""
    if ct is None:
        return _zeros_for(primal)
    pd = dtype_of(primal)
    if not isinstance(ct, Tracer):
        ct = np.asarray(ct)
        if ct.dtype != pd and _is_inexact(pd):
            if _is_complex(ct.dtype) and not _is_complex(pd):
                ct = ct.real
            ct = ct.astype(pd)
        if ct.shape != shape_of(primal):
            ct = np.broadcast_to(ct, shape_of(primal)).copy()
    elif dtype_of(ct) != pd and _is_inexact(pd):
        ct = ops.astype(ops.real(ct) if not _is_complex(pd) else ct, pd)
    return ct


# ---------------------------------------------------------------------------
# reverse mode
# ---------------------------------------------------------------------------

def vjp_flat(fun_flat: Callable, primals: list, record: bool = False):
    """Run ``fun_flat(list) -> list`` once on the tape. Returns (outs, pullback, tape)."""
    with new_trace(RevTrace, record) as trace:
        ins = [trace.new_input(p) for p in primals]
        in_nodes = [t.node for t in ins]   # before fun runs: x[i] = v may rebind an input
        outs = fun_flat(ins)
    out_vals, out_nodes = [], []
    for o in outs:
        if type(o) is RevTracer and o._trace is trace:
            out_vals.append(o.value)
            out_nodes.append(o.node)
        else:
            out_vals.append(o)
            out_nodes.append(-1)
    tape = trace.tape
    tape.outputs = out_nodes

    def pullback(cts, consume=False):
        # consume=True (a caller that pulls back exactly once) frees the tape as it sweeps
        res = backward_pass(tape, list(zip(out_nodes, cts)), in_nodes, consume)
        return [_fit(r, p) for r, p in zip(res, primals)]

    return out_vals, pullback, tape


def _unwrap_aux(aux, trace=None):
    """Strip the levels of finished transforms from auxiliary outputs."""
    def low(x):
        while isinstance(x, Tracer) and not x._trace.alive:
            x = x._concrete()
        return x
    return _tree.map(low, aux)


def call_user(fun, *args, **kwargs):
    """Call the user's function, explaining NumPy's error for a tracer written into an array."""
    try:
        return fun(*args, **kwargs)
    except ValueError as e:
        if "setting an array element with a sequence" not in str(e):
            raise
        raise ConcretizationError(
            f"{e} This usually means a traced value was written into a plain NumPy array "
            "(a = np.zeros(3); a[0] = x), which cannot carry a derivative. Create the array "
            "with funcad.numpy.zeros(...) and write x[...] = v on it, or build it functionally "
            "with a.at[0].set(x) (funcad.numpy.at(a)[0].set(x)).") from e


class _FlatFun:
    """Wrap a pytree function as list -> list, remembering the output structure and aux."""

    def __init__(self, fun, args, kwargs, nums, in_tree, has_aux, where):
        self.fun, self.args, self.kwargs, self.nums = fun, args, kwargs, nums
        self.in_tree, self.has_aux, self.where = in_tree, has_aux, where
        self.out_tree = None
        self.aux = None

    def __call__(self, flat):
        out = call_user(self.fun, *_substitute(self.args, self.nums, self.in_tree, flat),
                        **self.kwargs)
        if self.has_aux:
            if not (isinstance(out, (tuple, list)) and len(out) == 2):
                raise TypeError(f"{self.where}: has_aux=True needs the function to return a pair "
                                f"(output, aux), got {short_repr(out)}")
            out, self.aux = out
        leaves, self.out_tree = _tree.flatten(out)
        return leaves


def value_and_grad(fun: Callable, argnums=0, has_aux: bool = False, holomorphic: bool = False):
    """Make a function returning ``(fun(*args), gradient)`` in one forward and one backward pass.

    Args:
      fun: a function returning a scalar (a 0-d float array or float).
      argnums: int or tuple of ints: which positional arguments to differentiate.
      has_aux: ``fun`` returns ``(scalar, aux)``; the result is ``((value, aux), grad)``.
      holomorphic: ``fun`` is holomorphic in complex inputs.

    Returns:
      A function with ``fun``'s signature returning ``(value, grad)``; grad has the
      structure of the argument (a tuple of them when argnums is a tuple).

    Example:
        >>> import numpy as np, funcad as fad
        >>> v, g = fad.value_and_grad(lambda x: np.sum(x ** 2))(np.array([1.0, 2.0]))
        >>> float(v), g
        (5.0, array([2., 4.]))
    """
    where = "value_and_grad" if not getattr(fun, "_from_grad", False) else "grad"

    @functools.wraps(fun)
    def vg(*args, **kwargs):
        nums, single = _norm_argnums(argnums, len(args), where)
        flat, in_tree = _diff_inputs(args, nums, where, holomorphic)
        ff = _FlatFun(fun, args, kwargs, nums, in_tree, has_aux, where)
        outs, pullback, _ = vjp_flat(ff, flat)
        if len(outs) != 1 or shape_of(outs[0]) != ():
            shp = shape_of(outs[0]) if len(outs) == 1 else f"a pytree {ff.out_tree}"
            raise TypeError(f"{where} needs a scalar output, got shape {shp}; use jacrev or "
                            "jacfwd for Jacobians, or vjp for a vector-Jacobian product")
        out = outs[0]
        dt = dtype_of(out)
        if _is_complex(dt) and not holomorphic:
            raise TypeError(f"{where} needs a real-valued output, got dtype {dt}; pass "
                            "holomorphic=True for holomorphic functions, or take .real / abs")
        if holomorphic and not _is_complex(dt):
            raise TypeError(f"{where} with holomorphic=True needs a complex output, got dtype "
                            f"{dt}; drop holomorphic=True for a real-valued function")
        if not _is_inexact(dt):
            raise TypeError(f"{where} needs a float output, got dtype {dt} (value "
                            f"{short_repr(out)}); does the function return an integer or bool?")
        grads = _tree.unflatten(in_tree, pullback([_one(dt)], consume=True))
        g = grads[0] if single else grads
        aux = _unwrap_aux(ff.aux, None) if has_aux else None
        return ((out, aux), g) if has_aux else (out, g)

    return vg


def grad(fun: Callable, argnums=0, has_aux: bool = False, holomorphic: bool = False):
    """The gradient of a scalar function, by one reverse sweep of the Wengert tape.

    Args:
      fun: a function returning a scalar.
      argnums: int or tuple of ints: which positional arguments to differentiate.
      has_aux: ``fun`` returns ``(scalar, aux)``; the result is ``(grad, aux)``.
      holomorphic: ``fun`` is holomorphic in complex inputs.

    Returns:
      A function with ``fun``'s signature returning the gradient, shaped like
      the argument(s) (pytrees included).

    Example:
        >>> import numpy as np, funcad as fad
        >>> fad.grad(lambda x: np.sum(np.tanh(x)))(np.array([0.0, 1.0]))
        array([1.        , 0.41997434])
        >>> float(fad.grad(fad.grad(fad.grad(fad.grad(np.sin))))(1.0))  # sin'''' = sin
        0.8414709848078965
    """
    marked = _mark_grad(fun)
    vg = value_and_grad(marked, argnums, has_aux, holomorphic)

    @functools.wraps(fun)
    def g(*args, **kwargs):
        if has_aux:
            (_, aux), gr = vg(*args, **kwargs)
            return gr, aux
        return vg(*args, **kwargs)[1]

    return g


def _mark_grad(fun):
    @functools.wraps(fun)
    def f(*a, **k):
        return fun(*a, **k)
    f._from_grad = True
    return f


def vjp(fun: Callable, *primals, has_aux: bool = False):
    """Evaluate ``fun`` on the tape and return its pullback.

    Returns:
      ``(out, vjp_fn)`` (or ``(out, vjp_fn, aux)``); ``vjp_fn(ct)`` takes a
      cotangent shaped like ``out`` and returns a tuple with one cotangent per
      primal. ``vjp_fn`` may be called many times; it never re-runs ``fun``.

    Example:
        >>> import numpy as np, funcad as fad
        >>> y, f_vjp = fad.vjp(np.sin, np.array([0.0, np.pi]))
        >>> f_vjp(np.ones(2))
        (array([ 1., -1.]),)
    """
    nums = tuple(range(len(primals)))
    flat, in_tree = _diff_inputs(primals, nums, "vjp") if primals else ([], _tree.structure(()))
    ff = _FlatFun(fun, primals, {}, nums, in_tree, has_aux, "vjp")
    outs, pullback, _ = vjp_flat(ff, flat)
    out_tree = ff.out_tree
    out = _tree.unflatten(out_tree, outs)

    def vjp_fn(ct):
        ct_flat, ct_tree = _tree.flatten(ct)
        if ct_tree != out_tree:
            raise ValueError("vjp_fn: the cotangent's structure differs from the output's:\n"
                             f"  output:    {out_tree}\n  cotangent: {ct_tree}")
        checked = []
        for k, (c, o) in enumerate(zip(ct_flat, outs)):
            if shape_of(c) != shape_of(o):
                raise ValueError(f"vjp_fn: cotangent leaf {k} has shape {shape_of(c)} but the "
                                 f"output has shape {shape_of(o)}; pass an array shaped like "
                                 "the output")
            checked.append(c)
        return tuple(_tree.unflatten(in_tree, pullback(checked)))

    if has_aux:
        return out, vjp_fn, _unwrap_aux(ff.aux, None)
    return out, vjp_fn


# ---------------------------------------------------------------------------
# forward mode
# ---------------------------------------------------------------------------

def jvp_flat(fun_flat: Callable, primals: list, tangents: list):
    """Push tangents through ``fun_flat`` with dual numbers; returns (outs, out_tangents)."""
    with new_trace(JVPTrace) as trace:
        ins = [JVPTracer(trace, p, t) for p, t in zip(primals, tangents)]
        outs = fun_flat(ins)
    po, to = [], []
    for o in outs:
        if type(o) is JVPTracer and o._trace is trace:
            po.append(o.primal)
            to.append(o.tangent)
        else:
            po.append(o)
            to.append(None)
    return po, to


def _check_tangents(primals_flat, tangents_flat, p_tree, t_tree, where):
    if p_tree != t_tree:
        raise ValueError(f"{where}: primals and tangents have different structures:\n"
                         f"  primals:  {p_tree}\n  tangents: {t_tree}")
    out = []
    for k, (p, t) in enumerate(zip(primals_flat, tangents_flat)):
        if not isinstance(t, Tracer):
            t = np.asarray(t)
        if shape_of(t) != shape_of(p):
            raise ValueError(f"{where}: tangent {k} has shape {shape_of(t)} but its primal has "
                             f"shape {shape_of(p)}; tangents must match the primals' shapes")
        tdt, pdt = dtype_of(t), dtype_of(p)
        if not _is_inexact(tdt):
            raise TypeError(f"{where}: tangent {k} has dtype {tdt}; tangents must be float "
                            f"(its primal has dtype {pdt})")
        if _is_complex(tdt) and not _is_complex(pdt):
            raise TypeError(f"{where}: tangent {k} is complex ({tdt}) but its primal is real "
                            f"({pdt})")
        out.append(t)
    return out


def jvp(fun: Callable, primals: Sequence, tangents: Sequence, has_aux: bool = False):
    """Forward mode: evaluate ``fun`` on dual numbers ``primal + tangent * eps``.

    Args:
      primals, tangents: tuples (or lists) with one entry per positional argument,
        tangents shaped like primals.

    Returns:
      ``(fun(*primals), J @ tangents)`` (plus aux with ``has_aux``).

    Example:
        >>> import numpy as np, funcad as fad
        >>> fad.jvp(np.sin, (np.array([0.0, 1.0]),), (np.array([1.0, 1.0]),))
        (array([0.        , 0.84147098]), array([1.        , 0.54030231]))
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp: primals and tangents must be tuples (one entry per positional "
                        f"argument), got {type(primals).__name__} and {type(tangents).__name__}; "
                        "write jvp(f, (x,), (v,))")
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primals but {len(tangents)} tangents")
    nums = tuple(range(len(primals)))
    flat, in_tree = _diff_inputs(tuple(primals), nums, "jvp")
    t_flat, t_tree = _tree.flatten(tuple(tangents))
    t_flat = _check_tangents(flat, t_flat, in_tree, t_tree, "jvp")
    ff = _FlatFun(fun, tuple(primals), {}, nums, in_tree, has_aux, "jvp")
    po, to = jvp_flat(ff, flat, t_flat)
    out = _tree.unflatten(ff.out_tree, po)
    tout = _tree.unflatten(ff.out_tree, [_fit(t, p) for t, p in zip(to, po)])
    if has_aux:
        return out, tout, _unwrap_aux(ff.aux, None)
    return out, tout


def linearize(fun: Callable, *primals):
    """``(fun(*primals), f_jvp)`` where ``f_jvp(*tangents)`` is the JVP at ``primals``.

    Example:
        >>> import numpy as np, funcad as fad
        >>> y, f_jvp = fad.linearize(np.sin, 0.0)
        >>> float(f_jvp(2.0))
        2.0
    """
    from ._linearize import linearize as _linearize   # records the tangent program once
    return _linearize(fun, *primals)


# ---------------------------------------------------------------------------
# vmap
# ---------------------------------------------------------------------------

def _broadcast_prefix(prefix, full, where):
    """Expand an in_axes/out_axes prefix to one entry per leaf of ``full``."""
    if (type(prefix) is tuple and type(full) is tuple and len(prefix) == len(full)
            and all(p is None or type(p) is int for p in prefix)
            and all(isinstance(f, (np.ndarray, Tracer, float)) for f in full)):
        return list(prefix)       # the common case: one int/None per array argument
    out: list = []
    _prefix_walk(prefix, full, where, out)
    return out


def _prefix_walk(p, f, where, out):
    # a module-level recursive function: a nested one would be a reference cycle per call
    if p is None or isinstance(p, (int, np.integer)):
        if isinstance(f, (np.ndarray, Tracer, float, int, complex, np.generic)):
            out.append(p)     # a leaf: skip flattening
        else:
            out.extend([p] * len(_tree.leaves(f)))
        return
    ptd = _tree.flatten(p, is_leaf=_is_none)[1]
    if ptd.kind is None:
        raise TypeError(f"{where}: axis spec must be an int, None or a pytree of them, "
                        f"got {p!r}")
    fl = _tree.flatten(f, is_leaf=_is_none)[1]
    if type(p) is not type(f) and not (isinstance(p, (tuple, list)) and isinstance(
            f, (tuple, list))):
        raise ValueError(f"{where}: axis spec {p!r} does not match the value's structure {fl}")
    if isinstance(p, dict):
        if set(p) != set(f):
            raise ValueError(f"{where}: axis spec keys {sorted(map(str, p))} do not match the "
                             f"value's keys {sorted(map(str, f))}")
        keys = _tree.flatten(dict.fromkeys(f, 0))[1].aux   # the flatten order of the keys
        kids_p, kids_f = [p[k] for k in keys], [f[k] for k in keys]
    else:
        kids_p, kids_f = list(p), list(f)
    if len(kids_p) != len(kids_f):
        raise ValueError(f"{where}: axis spec {p!r} has {len(kids_p)} entries but the value "
                         f"has {len(kids_f)} (structure {fl})")
    for a, b in zip(kids_p, kids_f):
        _prefix_walk(a, b, where, out)


def _is_none(x) -> bool:
    return x is None


def vmap(fun: Callable, in_axes=0, out_axes=0, axis_size: int | None = None):
    """Vectorize ``fun`` over an axis of its inputs, with batching rules (no Python loop).

    Args:
      in_axes: int, None, or a pytree prefix of the positional arguments (tuple, one per
        argument). Keyword arguments are mapped along their axis 0.
      out_axes: int, None, or a pytree prefix of the output.
      axis_size: the batch size when no input is batched.

    Example:
        >>> import numpy as np, funcad as fad
        >>> fad.vmap(lambda x, y: x @ y, in_axes=(0, None))(np.ones((5, 3)), np.ones(3))
        array([3., 3., 3., 3., 3.])
    """

    @functools.wraps(fun)
    def batched(*args, **kwargs):
        ia = in_axes
        if isinstance(ia, list):
            ia = tuple(ia)
        if isinstance(ia, tuple) and len(ia) != len(args):
            raise ValueError(f"vmap: in_axes has {len(ia)} entries but the function was called "
                             f"with {len(args)} positional arguments")
        ia = ia if isinstance(ia, tuple) else (ia,) * len(args)
        if kwargs:    # keyword arguments are mapped along their axis 0, as in JAX
            args, ia = args + (kwargs,), ia + (0,)
        flat, in_tree = _tree.flatten(args)
        axes = _broadcast_prefix(ia, args, "vmap in_axes")
        sizes = {}
        for k, (x, ax) in enumerate(zip(flat, axes)):
            if ax is None:
                continue
            shp = shape_of(x)
            if not shp or not -len(shp) <= ax < len(shp):
                raise BatchingError(f"vmap: in_axes={ax} for input leaf {k} of shape {shp}: that "
                                    "axis does not exist")
            sizes[k] = shp[ax]
        size_set = set(sizes.values())
        if axis_size is not None:
            size_set.add(axis_size)
        if len(size_set) > 1:
            detail = ", ".join(f"leaf {k}: {s}" for k, s in sizes.items())
            raise BatchingError(f"vmap: inconsistent sizes along the mapped axes ({detail}"
                                f"{', axis_size: ' + str(axis_size) if axis_size else ''}); "
                                "all mapped axes must have the same length")
        if not size_set:
            raise BatchingError("vmap: no input is mapped (all in_axes are None); pass "
                                "axis_size=")
        size = size_set.pop()
        with new_trace(BatchTrace, size) as trace:
            ins = [x if ax is None else
                   BatchTracer(trace, x if ax == 0 else ops.moveaxis(x, ax, 0))
                   for x, ax in zip(flat, axes)]
            a = _tree.unflatten(in_tree, ins)
            out = call_user(fun, *a[:-1], **a[-1]) if kwargs else call_user(fun, *a)
        out_flat, out_tree = _tree.flatten(out)
        oaxes = _broadcast_prefix(out_axes, out, "vmap out_axes")
        res = []
        for o, ax in zip(out_flat, oaxes):
            if type(o) is BatchTracer and o._trace is trace:
                if ax is None:
                    raise BatchingError("vmap: out_axes=None for an output that varies along the "
                                        "mapped axis; give it an axis")
                v = o.val
                if not -len(shape_of(v)) <= ax < len(shape_of(v)):
                    raise BatchingError(f"vmap: out_axes={ax} for an output of per-example shape "
                                        f"{tuple(shape_of(v))[1:]}: that axis does not exist")
                res.append(v if ax == 0 else ops.moveaxis(v, 0, ax))
            elif ax is None:
                res.append(o)
            else:
                o = o if isinstance(o, Tracer) else np.asarray(o)
                if not -len(shape_of(o)) - 1 <= ax <= len(shape_of(o)):
                    raise BatchingError(f"vmap: out_axes={ax} for an output of per-example shape "
                                        f"{shape_of(o)}: that axis does not exist")
                b = ops.broadcast_to(o, (size,) + tuple(shape_of(o)))
                res.append(b if ax == 0 else ops.moveaxis(b, 0, ax))
        return _tree.unflatten(out_tree, res)

    return batched


def _unbatch(x, trace, size):
    if type(x) is BatchTracer and x._trace is trace:
        return x.val
    if x is None:
        return None
    x = x if isinstance(x, Tracer) else np.asarray(x)
    return ops.broadcast_to(x, (size,) + tuple(shape_of(x)))


# ---------------------------------------------------------------------------
# Jacobians and Hessians
# ---------------------------------------------------------------------------

def _basis_chunks(leaves, chunk_size):
    """Yield (k, per-leaf batches of basis vectors) covering all inputs, k at a time."""
    sizes = [int(np.prod(shape_of(x), dtype=np.int64)) for x in leaves]
    total = sum(sizes)
    step = total if not chunk_size else int(chunk_size)
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
    for start in range(0, max(total, 1), max(step, 1)):
        stop = min(start + step, total)
        k = stop - start
        batches = []
        for x, o, n in zip(leaves, offsets[:-1], sizes):
            dt = dtype_of(x)
            b = np.zeros((k, n), dt)
            lo, hi = max(start, o), min(stop, o + n)
            if lo < hi:
                b[np.arange(lo - start, hi - start), np.arange(lo - o, hi - o)] = 1
            batches.append(b.reshape((k,) + tuple(shape_of(x))))
        yield k, batches


def _assemble(chunks, out_leaves, in_leaves, out_tree, in_tree, single_in, fwd):
    """Glue per-chunk results into JAX-shaped Jacobians: out.shape + in.shape, nested."""
    from .numpy import concatenate, reshape
    rows = []
    if fwd:   # chunks: list (per chunk) of list (per out leaf) of (k, *out_shape)
        stacked = [concatenate([c[j] for c in chunks], axis=0) if len(chunks) > 1
                   else chunks[0][j] for j in range(len(out_leaves))]
        sizes = [int(np.prod(shape_of(x), dtype=np.int64)) for x in in_leaves]
        offs = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        for j, o in enumerate(out_leaves):
            os_ = tuple(shape_of(o))
            full = reshape(stacked[j], (offs[-1], int(np.prod(os_, dtype=np.int64))))
            per_in = []
            for i, x in enumerate(in_leaves):
                part = full[offs[i]:offs[i + 1]]
                part = ops.transpose(part)
                per_in.append(reshape(part, os_ + tuple(shape_of(x))))
            rows.append(per_in)
    else:     # chunks: list (per chunk) of list (per in leaf) of (k, *in_shape)
        stacked = [concatenate([c[i] for c in chunks], axis=0) if len(chunks) > 1
                   else chunks[0][i] for i in range(len(in_leaves))]
        sizes = [int(np.prod(shape_of(o), dtype=np.int64)) for o in out_leaves]
        offs = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        for j, o in enumerate(out_leaves):
            per_in = []
            for i, x in enumerate(in_leaves):
                part = stacked[i][offs[j]:offs[j + 1]]
                per_in.append(reshape(part, tuple(shape_of(o)) + tuple(shape_of(x))))
            rows.append(per_in)
    out = []
    for per_in in rows:
        t = _tree.unflatten(in_tree, per_in)
        out.append(t[0] if single_in else t)
    return _tree.unflatten(out_tree, out)


def jacfwd(fun: Callable, argnums=0, has_aux: bool = False, holomorphic: bool = False,
           chunk_size: int | None = None):
    """The Jacobian by forward mode: one vectorized JVP over the input basis.

    Args:
      chunk_size: push this many basis vectors per pass (None: all at once).

    Returns:
      A function returning the Jacobian shaped ``out.shape + in.shape``
      (nested ``out pytree -> in pytree``).

    Example:
        >>> import numpy as np, funcad as fad
        >>> fad.jacfwd(lambda x: x ** 2)(np.array([1.0, 2.0]))
        array([[2., 0.],
               [0., 4.]])
    """

    @functools.wraps(fun)
    def jac(*args, **kwargs):
        nums, single = _norm_argnums(argnums, len(args), "jacfwd")
        flat, in_tree = _diff_inputs(args, nums, "jacfwd", holomorphic)
        _check_complex(flat, "jacfwd", holomorphic, "inputs", "jvp")
        ff = _FlatFun(fun, args, kwargs, nums, in_tree, has_aux, "jacfwd")
        chunks = []
        outs = None
        for k, basis in _basis_chunks(flat, chunk_size):
            with new_trace(BatchTrace, k) as bt:
                ts = [BatchTracer(bt, b) for b in basis]
                po, to = jvp_flat(ff, flat, ts)
            outs = po
            chunks.append([_unbatch(t, bt, k) if t is not None else
                           np.zeros((k,) + tuple(shape_of(p)), dtype_of(p))
                           for t, p in zip(to, po)])
        _check_float_outputs(outs, "jacfwd", holomorphic)
        j = _assemble(chunks, outs, flat, ff.out_tree, in_tree, single, fwd=True)
        return (j, _unwrap_aux(ff.aux, None)) if has_aux else j

    return jac


def _check_float_outputs(outs, where, holomorphic):
    for o in outs:
        dt = dtype_of(o)
        if not _is_inexact(dt):
            raise TypeError(f"{where}: output has dtype {dt}; only float or complex outputs have "
                            "a Jacobian")
    if where != "jacfwd":
        _check_complex(outs, where, holomorphic, "outputs", "vjp")
    elif holomorphic:
        _check_complex(outs, where, True, "outputs", "jvp")


def _check_complex(xs, where, holomorphic, what, alt):
    """JAX's rules: holomorphic=True needs complex values; without it jacfwd needs real inputs
    and jacrev real outputs (a non-holomorphic complex map has no complex Jacobian)."""
    for x in xs:
        dt = dtype_of(x)
        cplx = _is_complex(dt)
        if holomorphic and not cplx:
            raise TypeError(f"{where} with holomorphic=True needs complex {what}, got dtype {dt}")
        if not holomorphic and cplx:
            raise TypeError(f"{where} needs real-valued {what}, got dtype {dt}. For holomorphic "
                            "functions pass holomorphic=True; for non-holomorphic functions of "
                            f"complex values use fad.{alt} directly (or split real and "
                            "imaginary parts)")


def jacrev(fun: Callable, argnums=0, has_aux: bool = False, holomorphic: bool = False,
           chunk_size: int | None = None):
    """The Jacobian by reverse mode: one forward pass, then one vectorized backward sweep.

    Example:
        >>> import numpy as np, funcad as fad
        >>> fad.jacrev(lambda x: x ** 2)(np.array([1.0, 2.0]))
        array([[2., 0.],
               [0., 4.]])
    """

    @functools.wraps(fun)
    def jac(*args, **kwargs):
        nums, single = _norm_argnums(argnums, len(args), "jacrev")
        flat, in_tree = _diff_inputs(args, nums, "jacrev", holomorphic)
        ff = _FlatFun(fun, args, kwargs, nums, in_tree, has_aux, "jacrev")
        outs, pullback, _ = vjp_flat(ff, flat)
        _check_float_outputs(outs, "jacrev", holomorphic)
        j = _jacrev_from_pullback(outs, pullback, flat, ff.out_tree, in_tree, single, chunk_size)
        return (j, _unwrap_aux(ff.aux, None)) if has_aux else j

    return jac


def _jacrev_from_pullback(outs, pullback, flat, out_tree, in_tree, single, chunk_size):
    if len(outs) == 1 and shape_of(outs[0]) == ():
        # one scalar output: the Jacobian is the gradient, one plain backward sweep
        in_cts = pullback([_one(dtype_of(outs[0]))])
        t = _tree.unflatten(in_tree, in_cts)
        return _tree.unflatten(out_tree, [t[0] if single else t])
    chunks = []
    for k, basis in _basis_chunks(outs, chunk_size):
        with new_trace(BatchTrace, k) as bt:
            cts = [BatchTracer(bt, b) for b in basis]
            in_cts = pullback(cts)
        chunks.append([_unbatch(c, bt, k) for c in in_cts])
    return _assemble(chunks, outs, flat, out_tree, in_tree, single, fwd=False)


def jacobian(fun: Callable, argnums=0, has_aux: bool = False, holomorphic: bool = False,
             mode: str | None = None, chunk_size: int | None = None):
    """The Jacobian, by the cheaper mode: forward when there are fewer inputs than outputs.

    Args:
      mode: ``None`` (choose), ``"fwd"`` or ``"rev"``.

    Example:
        >>> import numpy as np, funcad as fad
        >>> fad.jacobian(lambda x: np.sum(x ** 2))(np.array([1.0, 2.0]))  # reverse chosen
        array([2., 4.])
    """
    if mode not in (None, "fwd", "rev"):
        raise ValueError(f"jacobian: mode must be None, 'fwd' or 'rev', got {mode!r}")
    if mode == "fwd":
        return jacfwd(fun, argnums, has_aux, holomorphic, chunk_size)

    @functools.wraps(fun)
    def jac(*args, **kwargs):
        nums, single = _norm_argnums(argnums, len(args), "jacobian")
        flat, in_tree = _diff_inputs(args, nums, "jacobian", holomorphic)
        ff = _FlatFun(fun, args, kwargs, nums, in_tree, has_aux, "jacobian")
        outs, pullback, _ = vjp_flat(ff, flat)
        if mode is None and not holomorphic and any(
                _is_complex(dtype_of(o)) for o in outs):
            return jacfwd(fun, argnums, has_aux, holomorphic, chunk_size)(*args, **kwargs)
        _check_float_outputs(outs, "jacobian", holomorphic)
        n_in = sum(int(np.prod(shape_of(x), dtype=np.int64)) for x in flat)
        n_out = sum(int(np.prod(shape_of(o), dtype=np.int64)) for o in outs)
        if mode is None and n_in < n_out:
            return jacfwd(fun, argnums, has_aux, holomorphic, chunk_size)(*args, **kwargs)
        j = _jacrev_from_pullback(outs, pullback, flat, ff.out_tree, in_tree, single, chunk_size)
        return (j, _unwrap_aux(ff.aux, None)) if has_aux else j

    return jac


def hessian(fun: Callable, argnums=0, has_aux: bool = False, holomorphic: bool = False):
    """The Hessian as ``jacfwd(jacrev(fun))``: forward-over-reverse, vectorized.

    Example:
        >>> import numpy as np, funcad as fad
        >>> fad.hessian(lambda x: x[0] ** 2 * x[1])(np.array([1.0, 2.0]))
        array([[4., 2.],
               [2., 0.]])
    """
    return jacfwd(jacrev(fun, argnums, has_aux, holomorphic), argnums, has_aux, holomorphic)


def hvp(fun: Callable, primals: Sequence, tangents: Sequence):
    """Hessian-vector product without forming the Hessian: ``jvp`` of ``grad``.

    Returns:
      ``(fun(*primals), H @ tangents)``; with several primals, the product is a
      tuple with one entry per primal.

    Example:
        >>> import numpy as np, funcad as fad
        >>> y, hv = fad.hvp(lambda x: np.sum(x ** 3), (np.array([1.0, 2.0]),),
        ...                 (np.array([1.0, 0.0]),))
        >>> float(y), hv
        (9.0, array([6., 0.]))
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("hvp: primals and tangents must be tuples, e.g. hvp(f, (x,), (v,))")
    n = len(primals)
    vg = value_and_grad(fun, argnums=tuple(range(n)))
    (val, _), (_, hv) = jvp(lambda *p: vg(*p), tuple(primals), tuple(tangents))
    return val, (hv[0] if n == 1 else hv)

