"""Jacobians and Hessians: ``jacfwd`` is vmap of ``jvp_flat`` over the input basis, ``jacrev``
is vmap of the pullback over the output basis, ``jacobian`` picks the cheaper of the two and
``hessian`` is ``jacfwd(jacrev(f))``. (``hvp`` and ``hessp``, ``jvp`` of ``grad``, are in
``api.py``.)"""

from __future__ import annotations

import functools
import math
from typing import Any, Callable, ParamSpec, Sequence, overload

import numpy as np

from . import tree as _tree
from ._args import (_ONE_ARG_TREE, _diff_inputs, _FlatFun, _norm_argnums, _OneArgFun,
                    _unwrap_aux, one_array_arg, seed_one)
from ._batching import BatchTracer, unbatch
from ._core import Tracer, new_trace, ops
from ._forward import jvp_flat
from ._jacobian_trace import JacobianTrace
from ._onehot import OneHotRows, densify, use_sparse
from ._onehot import basis as one_hot_basis
from ._reverse import vjp_flat
from ._arrays import as_array, as_type_of, is_foreign, on_device, same_library, zeros
from ._util import dtype_of, is_complex, is_inexact, shape_of
from .numpy import concatenate, reshape

P = ParamSpec("P")

__all__ = ["jacfwd", "jacrev", "jacobian", "hessian"]


# ---------------------------------------------------------------------------
# Jacobians and Hessians
# ---------------------------------------------------------------------------

def _basis_chunks(leaves, chunk_size):
    """Yield (k, per-leaf batches of basis vectors) covering all inputs, k at a time."""
    sizes = [math.prod(shape_of(x)) for x in leaves]
    total = sum(sizes)
    step = total if not chunk_size else int(chunk_size)
    offsets = [0]
    for n in sizes:
        offsets.append(offsets[-1] + n)
    for start in range(0, max(total, 1), max(step, 1)):
        stop = min(start + step, total)
        k = stop - start
        batches = []
        for x, o, n in zip(leaves, offsets, sizes):
            dt = dtype_of(x)
            device = on_device(x)     # CuPy: a dense basis on the device (no one-hot slots)
            if use_sparse(k, dt) and not device:   # one-hot slots, not a dense k x n block
                batches.append(one_hot_basis(shape_of(x), dt, o, start, k))
                continue
            b = np.zeros((k, n), dt)
            lo, hi = max(start, o), min(stop, o + n)
            if lo < hi:
                b[np.arange(lo - start, hi - start), np.arange(lo - o, hi - o)] = 1
            b = b.reshape((k,) + tuple(shape_of(x)))
            batches.append(as_type_of(b, x) if device else b)
        yield k, batches


def _assemble(chunks, out_leaves, in_leaves, out_tree, in_tree, single_in, fwd):
    """Glue per-chunk results into JAX-shaped Jacobians: out.shape + in.shape, nested."""
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


def _assemble_fwd_plain(tangents, outs, in_leaves, out_tree, in_tree, single_in):
    """One chunk of plain tangents -> the Jacobian, laid out ``out x in`` directly (a sparse
    tangent is written transposed, saving a copy of the whole Jacobian)."""
    sizes = [math.prod(shape_of(x)) for x in in_leaves]
    total = sum(sizes)
    rows = []
    for t, o in zip(tangents, outs):
        os_ = tuple(shape_of(o))
        p = math.prod(os_)
        if t is None:
            m = zeros((p, total), dtype_of(o), like=o)
        elif type(t) is OneHotRows:
            m = densify(t, transposed=True).reshape(p, total)
        else:
            m = as_array(t).reshape(total, p).T
        per_in, start = [], 0
        for x, n in zip(in_leaves, sizes):
            per_in.append(m[:, start:start + n].reshape(os_ + tuple(shape_of(x))))
            start += n
        t_in = _tree.unflatten(in_tree, per_in)
        rows.append(t_in[0] if single_in else t_in)
    return _tree.unflatten(out_tree, rows)


@overload
def jacfwd(fun: np.ufunc, argnums: int | Sequence[int] = 0, has_aux: bool = False,
           holomorphic: bool = False, chunk_size: int | None = None) -> Callable[..., Any]: ...
@overload
def jacfwd(fun: Callable[P, Any], argnums: int | Sequence[int] = 0, has_aux: bool = False,
           holomorphic: bool = False, chunk_size: int | None = None) -> Callable[P, Any]: ...


def jacfwd(fun: Callable[P, Any], argnums: int | Sequence[int] = 0, has_aux: bool = False,
           holomorphic: bool = False, chunk_size: int | None = None) -> Callable[P, Any]:
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
        flat, in_tree, single, ff = _inputs(fun, args, kwargs, argnums, has_aux, holomorphic,
                                            "jacfwd")
        return _jacfwd_of(ff, flat, in_tree, single, has_aux, holomorphic, chunk_size)

    return jac


def _jacfwd_of(ff, flat, in_tree, single, has_aux, holomorphic, chunk_size):
    """jacfwd's work once its inputs are flat (shared with ``jacobian``)."""
    chunks = []
    outs = None
    for k, basis in _basis_chunks(flat, chunk_size):
        with new_trace(JacobianTrace, k) as bt:
            ts = [BatchTracer(bt, b) for b in basis]
            po, to = jvp_flat(ff, flat, ts)
        outs = po
        chunks.append([unbatch(t, bt, k) if t is not None else None for t in to])
    _check_float_outputs(outs, "jacfwd", holomorphic)
    if len(chunks) == 1 and not any(isinstance(v, Tracer) for v in chunks[0] + outs):
        j = _assemble_fwd_plain(chunks[0], outs, flat, ff.out_tree, in_tree, single)
    else:
        chunks = [[densify(v) if v is not None else
                   zeros((k,) + tuple(shape_of(p)), dtype_of(p), like=p)
                   for v, p in zip(c, outs)] for c in chunks]
        j = _assemble(chunks, outs, flat, ff.out_tree, in_tree, single, fwd=True)
    j = _inputs_library(j, flat)
    return (j, _unwrap_aux(ff.aux, None)) if has_aux else j


def _inputs_library(j, flat):
    """A Jacobian of Dask or CuPy inputs is of their library, also where it does not depend
    on their values (a linear function's is built from the NumPy basis alone)."""
    like = next((x for x in flat if is_foreign(x)), None)
    return j if like is None else _tree.map(lambda v: same_library(v, like), j)


def _inputs(fun, args, kwargs, argnums, has_aux, holomorphic, where):
    """``(flat inputs, input tree, single argnum?, flat function)`` for a Jacobian transform;
    one float array argument takes the short way (no pytree work on the inputs)."""
    x = None if has_aux else one_array_arg(args, argnums, "c" if holomorphic else "f")
    if x is not None:
        return [x], _ONE_ARG_TREE, True, _OneArgFun(fun, args, kwargs, argnums)
    nums, single = _norm_argnums(argnums, len(args), where)
    flat, in_tree = _diff_inputs(args, nums, where, holomorphic, fun)
    if where == "jacfwd":
        _check_complex(flat, where, holomorphic, "inputs", "jvp")
    return flat, in_tree, single, _FlatFun(fun, args, kwargs, nums, in_tree, has_aux, where)


def _check_float_outputs(outs, where, holomorphic):
    for o in outs:
        dt = dtype_of(o)
        if not is_inexact(dt):
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
        cplx = is_complex(dt)
        if holomorphic and not cplx:
            raise TypeError(f"{where} with holomorphic=True needs complex {what}, got dtype {dt}")
        if not holomorphic and cplx:
            raise TypeError(f"{where} needs real-valued {what}, got dtype {dt}. For holomorphic "
                            "functions pass holomorphic=True; for non-holomorphic functions of "
                            f"complex values use fad.{alt} directly (or split real and "
                            "imaginary parts)")


@overload
def jacrev(fun: np.ufunc, argnums: int | Sequence[int] = 0, has_aux: bool = False,
           holomorphic: bool = False, chunk_size: int | None = None) -> Callable[..., Any]: ...
@overload
def jacrev(fun: Callable[P, Any], argnums: int | Sequence[int] = 0, has_aux: bool = False,
           holomorphic: bool = False, chunk_size: int | None = None) -> Callable[P, Any]: ...


def jacrev(fun: Callable[P, Any], argnums: int | Sequence[int] = 0, has_aux: bool = False,
           holomorphic: bool = False, chunk_size: int | None = None) -> Callable[P, Any]:
    """The Jacobian by reverse mode: one forward pass, then one vectorized backward sweep.

    Example:
        >>> import numpy as np, funcad as fad
        >>> fad.jacrev(lambda x: x ** 2)(np.array([1.0, 2.0]))
        array([[2., 0.],
               [0., 4.]])
    """

    @functools.wraps(fun)
    def jac(*args, **kwargs):
        flat, in_tree, single, ff = _inputs(fun, args, kwargs, argnums, has_aux, holomorphic,
                                            "jacrev")
        outs, pullback, _ = vjp_flat(ff, flat)
        _check_float_outputs(outs, "jacrev", holomorphic)
        j = _jacrev_from_pullback(outs, pullback, flat, ff.out_tree, in_tree, single, chunk_size)
        j = _inputs_library(j, flat)
        return (j, _unwrap_aux(ff.aux, None)) if has_aux else j

    return jac


def _jacrev_from_pullback(outs, pullback, flat, out_tree, in_tree, single, chunk_size):
    if len(outs) == 1 and shape_of(outs[0]) == ():
        # one scalar output: the Jacobian is the gradient, one plain backward sweep
        in_cts = pullback([seed_one(outs[0], dtype_of(outs[0]))])
        t = _tree.unflatten(in_tree, in_cts)
        return _tree.unflatten(out_tree, [t[0] if single else t])
    chunks = []
    for k, basis in _basis_chunks(outs, chunk_size):
        with new_trace(JacobianTrace, k) as bt:
            cts = [BatchTracer(bt, b) for b in basis]
            in_cts = pullback(cts)
        chunks.append([densify(unbatch(c, bt, k)) for c in in_cts])
    return _assemble(chunks, outs, flat, out_tree, in_tree, single, fwd=False)


# jacobian(mode=None) takes forward mode for up to this many inputs when the Jacobian is
# square or tall: measured in docs/performance.md ("jacobian: forward or reverse")
FWD_MAX_INPUTS = 64


def _size(leaves) -> int:
    """The number of elements in a list of arrays."""
    return sum(math.prod(shape_of(x)) for x in leaves)


@overload
def jacobian(fun: np.ufunc, argnums: int | Sequence[int] = 0, has_aux: bool = False,
             holomorphic: bool = False, mode: str | None = None,
             chunk_size: int | None = None) -> Callable[..., Any]: ...
@overload
def jacobian(fun: Callable[P, Any], argnums: int | Sequence[int] = 0, has_aux: bool = False,
             holomorphic: bool = False, mode: str | None = None,
             chunk_size: int | None = None) -> Callable[P, Any]: ...


def jacobian(fun: Callable[P, Any], argnums: int | Sequence[int] = 0, has_aux: bool = False,
             holomorphic: bool = False, mode: str | None = None,
             chunk_size: int | None = None) -> Callable[P, Any]:
    """The Jacobian, by the cheaper mode.

    The rule (``mode=None``), from the timings in docs/performance.md ("jacobian: forward or
    reverse"): with at most ``FWD_MAX_INPUTS`` (64) input elements, ``fun`` is first
    evaluated once on plain values to count its outputs, and forward mode is used when
    there are at least as many outputs as inputs (square Jacobians included: there one
    vectorized forward pass costs 0.4-0.7 of reverse mode's tape and backward sweep),
    reverse mode otherwise. With more inputs, forward mode is used when there are fewer
    inputs than outputs, reverse mode otherwise (large dense square Jacobians are cheaper
    in reverse). Complex outputs of a non-holomorphic function use forward mode.

    Args:
      mode: ``None`` (choose), ``"fwd"`` or ``"rev"``.

    Example:
        >>> import numpy as np, funcad as fad
        >>> fad.jacobian(lambda x: np.sum(x ** 2))(np.array([1.0, 2.0]))  # reverse chosen
        array([2., 4.])
        >>> fad.jacobian(lambda y: y[::-1] * y)(np.array([1.0, 2.0]))     # forward chosen
        array([[2., 1.],
               [2., 1.]])
    """
    if mode not in (None, "fwd", "rev"):
        raise ValueError(f"jacobian: mode must be None, 'fwd' or 'rev', got {mode!r}")
    if mode == "fwd":
        return jacfwd(fun, argnums, has_aux, holomorphic, chunk_size)

    @functools.wraps(fun)
    def jac(*args, **kwargs):
        flat, in_tree, single, ff = _inputs(fun, args, kwargs, argnums, has_aux, holomorphic,
                                            "jacobian")
        if mode is None and _size(flat) <= FWD_MAX_INPUTS and (
                holomorphic or not any(is_complex(dtype_of(x)) for x in flat)):
            outs = ff(flat)              # a plain evaluation: how many outputs?
            if not all(is_inexact(dtype_of(o)) for o in outs):
                _check_float_outputs(outs, "jacobian", holomorphic)
            if _size(outs) >= _size(flat) or (
                    not holomorphic and any(is_complex(dtype_of(o)) for o in outs)):
                return _jacfwd_of(ff, flat, in_tree, single, has_aux, holomorphic, chunk_size)
        outs, pullback, _ = vjp_flat(ff, flat)
        if mode is None and not holomorphic and any(
                is_complex(dtype_of(o)) for o in outs):
            return jacfwd(fun, argnums, has_aux, holomorphic, chunk_size)(*args, **kwargs)
        _check_float_outputs(outs, "jacobian", holomorphic)
        if mode is None and _size(flat) < _size(outs):
            return jacfwd(fun, argnums, has_aux, holomorphic, chunk_size)(*args, **kwargs)
        j = _jacrev_from_pullback(outs, pullback, flat, ff.out_tree, in_tree, single, chunk_size)
        j = _inputs_library(j, flat)
        return (j, _unwrap_aux(ff.aux, None)) if has_aux else j

    return jac


@overload
def hessian(fun: np.ufunc, argnums: int | Sequence[int] = 0, has_aux: bool = False,
            holomorphic: bool = False) -> Callable[..., Any]: ...
@overload
def hessian(fun: Callable[P, Any], argnums: int | Sequence[int] = 0, has_aux: bool = False,
            holomorphic: bool = False) -> Callable[P, Any]: ...


def hessian(fun: Callable[P, Any], argnums: int | Sequence[int] = 0, has_aux: bool = False,
            holomorphic: bool = False) -> Callable[P, Any]:
    """The Hessian as ``jacfwd(jacrev(fun))``: forward-over-reverse, vectorized.

    Example:
        >>> import numpy as np, funcad as fad
        >>> fad.hessian(lambda x: x[0] ** 2 * x[1])(np.array([1.0, 2.0]))
        array([[4., 2.],
               [2., 0.]])
    """
    return jacfwd(jacrev(fun, argnums, has_aux, holomorphic), argnums, has_aux, holomorphic)
