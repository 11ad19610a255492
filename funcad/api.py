"""The user-facing transforms: thin pytree wrappers over small ``*_flat`` cores.

The cores live with their interpreters: ``jvp_flat`` with forward mode (``_forward.py``),
``vjp_flat`` with reverse mode (``_reverse.py``), ``vmap_flat`` with batching
(``_batching.py``); the argument handling they share is in ``_args.py``. This module holds
grad, value_and_grad, vjp, jvp, linearize, hvp and hessp; the composite transforms live
beside it and are re-exported here: ``vmap`` in ``_vmap.py``; ``jacfwd`` (vmap of jvp over
the standard basis), ``jacrev`` (vmap of the pullback over the output basis), ``jacobian``
and ``hessian`` (``jacfwd(jacrev(f))``) in ``_jacobians.py``.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Literal, ParamSpec, Sequence, overload

import numpy as np

from . import tree as _tree
from ._args import (_check_scalar, _check_tangents, _diff_inputs, _fit, _FlatFun, _norm_argnums,
                    _OneArgFun, _split_aux, _unwrap_aux, call_user, one_array_arg, seed_one)
from ._core import Tracer, new_trace
from ._forward import jvp_flat
from ._jacobians import hessian, jacfwd, jacobian, jacrev
from ._linearize import linearize
from ._reverse import RevTrace, RevTracer, backward_pass, vjp_flat
from ._util import shape_of
from ._vmap import vmap

P = ParamSpec("P")
__all__ = ["grad", "value_and_grad", "jvp", "vjp", "linearize", "jacfwd", "jacrev", "jacobian",
           "hessian", "hvp", "hessp", "vmap", "vjp_flat", "jvp_flat"]


# ---------------------------------------------------------------------------
# reverse mode
# ---------------------------------------------------------------------------

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
    g = backward_pass(trace.tape, ((node, seed_one(out, dt)),), (node_in,), True)[0]
    return out, aux, _fit(g, x)


def _vg_general(fun, args, kwargs, argnums, has_aux, holomorphic, where):
    """value_and_grad with respect to any pytrees of arguments. Returns (value, aux, grads)."""
    nums, single = _norm_argnums(argnums, len(args), where)
    flat, in_tree = _diff_inputs(args, nums, where, holomorphic, fun)
    ff = _FlatFun(fun, args, kwargs, nums, in_tree, has_aux, where)
    outs, pullback, _ = vjp_flat(ff, flat)
    out = outs[0] if len(outs) == 1 else None
    dt = _check_scalar(out, ff.out_tree, len(outs), holomorphic, where)
    grads = _tree.unflatten(in_tree, pullback([seed_one(out, dt)], consume=True))
    aux = _unwrap_aux(ff.aux, None) if has_aux else None
    return out, aux, grads[0] if single else grads


def _grad_transform(fun, argnums, has_aux, holomorphic, where, with_value):
    """The function that value_and_grad (``with_value``) or grad returns."""
    kinds = "c" if holomorphic else "fc"

    @functools.wraps(fun)
    def vg(*args, **kwargs):
        x = one_array_arg(args, argnums, kinds)
        if x is not None:
            out, aux, g = _vg_array(fun, args, kwargs, argnums, x, has_aux, holomorphic, where)
            if has_aux:
                aux = _unwrap_aux(aux)
        else:
            out, aux, g = _vg_general(fun, args, kwargs, argnums, has_aux, holomorphic, where)
        if with_value:
            return ((out, aux), g) if has_aux else (out, g)
        return (g, aux) if has_aux else g

    return vg


@overload
def value_and_grad(fun: np.ufunc, argnums: int | Sequence[int] = 0, has_aux: bool = False,
                   holomorphic: bool = False) -> Callable[..., Any]: ...
@overload
def value_and_grad(fun: Callable[P, Any], argnums: int | Sequence[int] = 0,
                   has_aux: Literal[False] = False, holomorphic: bool = False
                   ) -> Callable[P, tuple[Any, Any]]: ...
@overload
def value_and_grad(fun: Callable[P, Any], argnums: int | Sequence[int] = 0, *,
                   has_aux: Literal[True], holomorphic: bool = False
                   ) -> Callable[P, tuple[tuple[Any, Any], Any]]: ...
@overload
def value_and_grad(fun: Callable[P, Any], argnums: int | Sequence[int] = 0,
                   has_aux: bool = False, holomorphic: bool = False) -> Callable[P, Any]: ...


def value_and_grad(fun: Callable[P, Any], argnums: int | Sequence[int] = 0,
                   has_aux: bool = False, holomorphic: bool = False) -> Callable[P, Any]:
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


@overload
def grad(fun: np.ufunc, argnums: int | Sequence[int] = 0, has_aux: bool = False,
         holomorphic: bool = False) -> Callable[..., Any]: ...
@overload
def grad(fun: Callable[P, Any], argnums: int | Sequence[int] = 0,
         has_aux: Literal[False] = False, holomorphic: bool = False) -> Callable[P, Any]: ...
@overload
def grad(fun: Callable[P, Any], argnums: int | Sequence[int] = 0, *,
         has_aux: Literal[True], holomorphic: bool = False
         ) -> Callable[P, tuple[Any, Any]]: ...
@overload
def grad(fun: Callable[P, Any], argnums: int | Sequence[int] = 0,
         has_aux: bool = False, holomorphic: bool = False) -> Callable[P, Any]: ...


def grad(fun: Callable[P, Any], argnums: int | Sequence[int] = 0, has_aux: bool = False,
         holomorphic: bool = False) -> Callable[P, Any]:
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


def vjp(fun: Callable[..., Any], *primals: Any, has_aux: bool = False) -> tuple[Any, ...]:
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
    flat, in_tree = (_diff_inputs(primals, nums, "vjp", False, fun) if primals
                     else ([], _tree.structure(())))
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

def jvp(fun: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any],
        has_aux: bool = False) -> tuple[Any, ...]:
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
    if len(primals) == 1 and not has_aux:
        x, t = one_array_arg(primals, 0, "f"), tangents[0]
        if x is not None and type(t) is np.ndarray and t.shape == x.shape and \
                t.dtype.kind == "f":          # (the general path's checks would pass)
            f1 = _OneArgFun(fun, (x,), {}, 0)
            po, to = jvp_flat(f1, [x], [t])
            return (_tree.unflatten(f1.out_tree, po),
                    _tree.unflatten(f1.out_tree, [_fit(t, p) for t, p in zip(to, po)]))
    nums = tuple(range(len(primals)))
    flat, in_tree = _diff_inputs(tuple(primals), nums, "jvp", False, fun)
    t_flat, t_tree = _tree.flatten(tuple(tangents))
    t_flat = _check_tangents(flat, t_flat, in_tree, t_tree, "jvp")
    ff = _FlatFun(fun, tuple(primals), {}, nums, in_tree, has_aux, "jvp")
    po, to = jvp_flat(ff, flat, t_flat)
    out = _tree.unflatten(ff.out_tree, po)
    tout = _tree.unflatten(ff.out_tree, [_fit(t, p) for t, p in zip(to, po)])
    if has_aux:
        return out, tout, _unwrap_aux(ff.aux, None)
    return out, tout


# ---------------------------------------------------------------------------
# Hessian-vector products: jvp of grad
# ---------------------------------------------------------------------------

def hvp(fun: Callable[..., Any], primals: Sequence[Any],
        tangents: Sequence[Any]) -> tuple[Any, Any]:
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
    vg = value_and_grad(fun, argnums=0 if n == 1 else tuple(range(n)))  # int: grad's short way
    (val, _), (_, hv) = jvp(vg, tuple(primals), tuple(tangents))
    return val, hv


def hessp(fun: Callable[..., Any], argnums: int = 0) -> Callable[..., Any]:
    """``hessp(x, p, *args) = H(x) @ p``, the Hessian-vector product in scipy's form.

    One forward-over-reverse pass (``jvp`` of ``grad``) per call: the Hessian is never
    formed. The signature is the one ``scipy.optimize.minimize`` expects for its
    ``hessp`` argument (methods ``trust-ncg``, ``trust-krylov``, ``newton-cg``,
    ``trust-constr``), so the one-liner is
    ``minimize(f, x0, method="trust-ncg", jac=fad.grad(f), hessp=fad.hessp(f))``.

    Args:
      fun: a scalar function ``fun(x, *args)``.
      argnums: the position of ``x`` among ``fun``'s positional arguments (the Hessian is
        with respect to it; the other arguments are passed through unchanged).

    Returns:
      ``hessp(x, p, *args)``: ``H @ p`` shaped like ``x`` (``x`` and ``p`` may be pytrees
      of one structure).

    Example:
        >>> import numpy as np, funcad as fad
        >>> rosen = lambda x: np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)
        >>> fad.hessp(rosen)(np.zeros(3), np.array([1.0, 0.0, 0.0]))   # H[:, 0]
        array([2., 0., 0.])
        >>> try:
        ...     from scipy.optimize import minimize
        ... except ImportError:              # scipy is optional
        ...     minimize = None
        >>> if minimize is not None:
        ...     res = minimize(rosen, np.zeros(5), method="trust-ncg",
        ...                    jac=fad.grad(rosen), hessp=fad.hessp(rosen))
        ...     assert res.success and np.allclose(res.x, 1.0, atol=1e-4)
    """
    if type(argnums) is not int or argnums < 0:
        raise TypeError(f"hessp: argnums must be a non-negative int, got {argnums!r}")

    def hvp_at(x, p, *args):
        def at(xx):
            full = args[:argnums] + (xx,) + args[argnums:]
            return fun(*full)
        if type(x) is np.ndarray and x.dtype.kind == "f" and not isinstance(p, Tracer):
            p = np.asarray(p, dtype=x.dtype)            # scipy may pass a list or ints
        _, hv = jvp(grad(at), (x,), (p,))
        return hv

    name = getattr(fun, "__name__", "fun")
    hvp_at.__name__ = hvp_at.__qualname__ = f"hessp({name})"
    hvp_at.__doc__ = f"H(x) @ p for {name} (funcad.hessp)."
    return hvp_at
