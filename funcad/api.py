"""The user-facing transforms: thin pytree wrappers over small ``*_flat`` cores.

This module holds grad, value_and_grad, vjp, jvp and linearize. The composite
transforms are compositions and live beside it: ``vmap`` in ``_vmap.py``;
``jacfwd`` (vmap of jvp over the standard basis), ``jacrev`` (vmap of the
pullback over the output basis), ``hessian`` (``jacfwd(jacrev(f))``) and
``hvp`` (``jvp`` of ``grad``) in ``_jacobians.py``. All are re-exported here.
"""

from __future__ import annotations

import functools
from typing import Callable, Sequence

import numpy as np

from . import tree as _tree
from ._core import Tracer, new_trace, ops
from ._forward import JVPTrace, JVPTracer
from ._reverse import RevTrace, RevTracer, backward_pass
from ._util import dtype_of, shape_of, short_repr
from .errors import ConcretizationError

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
        if isinstance(x, (np.ma.MaskedArray, np.matrix)):
            raise TypeError(
                f"{what} is a {type(x).__module__}.{type(x).__name__}: converting it to a plain "
                "array would silently change its meaning (a mask dropped, or * turning from a "
                "matrix product into an elementwise one). Pass a plain array: x.filled(value) "
                "for a masked array (use funcad.numpy.where for the mask), np.asarray(m) for a "
                "matrix (and @ for products)")
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
    for x in flat:
        if not ((type(x) is np.ndarray or isinstance(x, Tracer)) and x.dtype.kind in kinds):
            break
    else:
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
            raise AssertionError(
                f"internal error: a derivative of shape {ct.shape} was computed for a value of "
                f"shape {shape_of(primal)} (a rule did not sum its cotangent back to its input's "
                "shape); please report it")
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
            out, self.aux = _split_aux(out, self.where)
        leaves, self.out_tree = _tree.flatten(out)
        return leaves


def _check_scalar(out, out_tree, n_outs, holomorphic, where):
    """The checks on a function we take the gradient of: one real (or complex) scalar."""
    if n_outs != 1 or shape_of(out) != ():
        shp = shape_of(out) if n_outs == 1 else f"a pytree {out_tree}"
        raise TypeError(f"{where} needs a scalar output, got shape {shp}; use jacrev or "
                        "jacfwd for Jacobians, or vjp for a vector-Jacobian product")
    dt = dtype_of(out)
    kind = dt.kind if isinstance(dt, np.dtype) else np.dtype(dt).kind
    if kind == "f" and not holomorphic:
        return dt                       # the common case: a real float scalar
    if kind == "c" and not holomorphic:
        raise TypeError(f"{where} needs a real-valued output, got dtype {dt}; pass "
                        "holomorphic=True for holomorphic functions, or take .real / abs")
    if holomorphic and kind != "c":
        raise TypeError(f"{where} with holomorphic=True needs a complex output, got dtype "
                        f"{dt}; drop holomorphic=True for a real-valued function")
    if kind not in "fc":
        raise TypeError(f"{where} needs a float output, got dtype {dt} (value "
                        f"{short_repr(out)}); does the function return an integer or bool?")
    return dt


def _split_aux(out, where):
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
        raise TypeError(f"{where}: has_aux=True needs the function to return a pair "
                        f"(output, aux), got {short_repr(out)}")
    return out


def _vg_array(fun, args, kwargs, argnum, x, has_aux, holomorphic, where):
    """value_and_grad with respect to one array argument: no pytree work on the way in.

    Returns ``(value, aux, gradient)``.
    """
    aux = None
    with new_trace(RevTrace) as trace:
        xin = trace.new_input(x)
        node_in = xin.node        # before fun runs: x[i] = v may rebind the input
        args = list(args)
        args[argnum] = xin
        out = call_user(fun, *args, **kwargs)
        if has_aux:
            out, aux = _split_aux(out, where)
    if type(out) is RevTracer and out._trace is trace:
        out, node = out.value, out.node
        n_outs, out_tree = 1, None
    elif isinstance(out, (np.ndarray, Tracer, float, np.generic)):   # a leaf, not ours
        node, n_outs, out_tree = -1, 1, None
    else:                         # a container (or an odd leaf): the general rules apply
        leaves, out_tree = _tree.flatten(out)
        n_outs = len(leaves)
        out, node = (leaves[0], -1) if leaves else (out, -1)
        if type(out) is RevTracer and out._trace is trace:
            out, node = out.value, out.node
    dt = _check_scalar(out, out_tree, n_outs, holomorphic, where)
    g = backward_pass(trace.tape, ((node, _one(dt)),), (node_in,), True)[0]
    return out, aux, _fit(g, x)


def _vg_general(fun, args, kwargs, argnums, has_aux, holomorphic, where):
    """value_and_grad with respect to any pytrees of arguments. Returns (value, aux, grads)."""
    nums, single = _norm_argnums(argnums, len(args), where)
    flat, in_tree = _diff_inputs(args, nums, where, holomorphic)
    ff = _FlatFun(fun, args, kwargs, nums, in_tree, has_aux, where)
    outs, pullback, _ = vjp_flat(ff, flat)
    out = outs[0] if len(outs) == 1 else None
    dt = _check_scalar(out, ff.out_tree, len(outs), holomorphic, where)
    grads = _tree.unflatten(in_tree, pullback([_one(dt)], consume=True))
    aux = _unwrap_aux(ff.aux, None) if has_aux else None
    return out, aux, grads[0] if single else grads


def _grad_transform(fun, argnums, has_aux, holomorphic, where, with_value):
    """The function that value_and_grad (``with_value``) or grad returns."""
    kinds = "c" if holomorphic else "fc"
    one_arg = type(argnums) is int

    @functools.wraps(fun)
    def vg(*args, **kwargs):
        x = args[argnums] if one_arg and 0 <= argnums < len(args) else None
        if type(x) is float:
            x = np.asarray(x)
        if (type(x) is np.ndarray or isinstance(x, Tracer)) and x.dtype.kind in kinds:
            out, aux, g = _vg_array(fun, args, kwargs, argnums, x, has_aux, holomorphic, where)
            if has_aux:
                aux = _unwrap_aux(aux)
        else:
            out, aux, g = _vg_general(fun, args, kwargs, argnums, has_aux, holomorphic, where)
        if with_value:
            return ((out, aux), g) if has_aux else (out, g)
        return (g, aux) if has_aux else g

    return vg


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
    return _grad_transform(fun, argnums, has_aux, holomorphic, "value_and_grad", True)


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
    return _grad_transform(fun, argnums, has_aux, holomorphic, "grad", False)


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


# the composite transforms live in their own modules; re-exported here
from ._vmap import _unbatch, vmap  # noqa: E402,F401
from ._jacobians import hessian, hvp, jacfwd, jacobian, jacrev  # noqa: E402,F401
