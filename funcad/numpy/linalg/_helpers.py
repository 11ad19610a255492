"""Shared helpers of funcad.numpy.linalg: matrix masks, transposes, batching, routing.

Everything here that touches possibly-traced values is written in funcad ops, so
rules built from these helpers differentiate again.
"""

from __future__ import annotations

import numpy as np

from ... import extend
from ...extend import Tracer, as_array, as_type_of, defbatch, dtype_of, ops, primal_values, shape_of
from .._base import is_complex

__all__ = ["T", "H", "diag", "diagm", "trace", "mask", "is_complex", "route", "batch_core",
           "safe_div", "nan_where", "used_cols", "either", "degenerate", "real_ct", "to_float",
           "make_result", "real_dtype", "eye"]


def route(*np_funcs):
    """Decorator: send ``np_funcs`` called on traced values to the decorated function."""

    def deco(fn):
        for f in np_funcs:
            if f is not None:
                extend.function_table[f] = fn
        return fn

    return deco


def make_result(cls, *values):
    """NumPy's result type for a decomposition (a namedtuple in NumPy 2, a tuple before)."""
    return cls._make(values) if hasattr(cls, "_make") else tuple(values)


def to_float(x):
    """Plain integer/bool arrays become float64 (numpy.linalg does the same)."""
    if isinstance(x, Tracer):
        return x
    x = as_array(x)                  # a CuPy or Dask array stays one
    return x if np.issubdtype(x.dtype, np.inexact) else x.astype(np.float64)


def T(x):
    """Transpose of the last two axes."""
    return ops.swapaxes(x, -1, -2)


def H(x):
    """Conjugate transpose of the last two axes."""
    return ops.conj(T(x)) if is_complex(x) else T(x)


def real_dtype(x) -> np.dtype:
    """The real float dtype of ``x`` (float32 for complex64; float64 for integers): the
    dtype of the constants a rule mixes into ``x``, so float32 work stays float32."""
    dt = np.dtype(dtype_of(x))
    return np.finfo(dt).dtype if dt.kind in "fc" else np.dtype(np.float64)


def mask(n: int, m: int | None = None, kind: str = "eye", k: int = 0, dtype=None, like=None):
    """A constant 0/1 matrix: 'eye', 'tril' or 'triu' with offset ``k``, in ``dtype``
    (``like``'s real float dtype when ``like`` is given, else float64) and of the array type
    under ``like`` (a CuPy value gets a CuPy mask; NumPy and Dask a NumPy one)."""
    m = n if m is None else m
    if dtype is None:
        dtype = np.float64 if like is None else real_dtype(like)
    if kind == "eye":
        c = np.eye(n, m, dtype=dtype)
    elif kind == "tril":
        c = np.tril(np.ones((n, m), dtype), k)
    else:
        c = np.triu(np.ones((n, m), dtype), k)
    return c if like is None else as_type_of(c, like)


def eye(n: int, like):
    """The identity in ``like``'s real float dtype, of the array type under ``like``."""
    return as_type_of(np.eye(n, dtype=real_dtype(like)), like)


def diag(x):
    """The diagonal of the last two axes (square matrices): (..., n, n) -> (..., n)."""
    n = shape_of(x)[-1]
    return ops.sum(x * eye(n, x), axis=-1)


def diagm(d):
    """(..., n) -> (..., n, n) with ``d`` on the diagonal."""
    n = shape_of(d)[-1]
    return ops.expand_dims(d, -1) * eye(n, d)


def trace(x):
    return ops.sum(diag(x), axis=-1)


def real_ct(g, complex_input: bool):
    """A real output of a complex input: only the real part of its cotangent is meaningful."""
    return ops.real(g) if complex_input and is_complex(g) else g


def safe_div(x, d, zero):
    """``x / d`` where ``zero`` is False, and 0 where it is True (no inf/NaN either way)."""
    return ops.where(zero, 0.0, x / ops.where(zero, 1.0, d))


def nan_where(cond, like):
    """An additive mask in ``like``'s real dtype: NaN where ``cond``, 0 elsewhere (marks an
    undefined derivative)."""
    dt = real_dtype(like).type
    return ops.where(cond, dt(np.nan), dt(0.0))


def anywhere(mask) -> bool:
    """Whether a boolean mask of primal values (e.g. :func:`degenerate`) is True anywhere,
    looking through every level of tracing. The decomposition rules leave out their NaN
    markers when it is not: the rules then read their tangent or cotangent only linearly
    (``linear_transpose`` of what ``linearize`` returns needs that) and do less work."""
    # under vmap: any example (the masks then apply per example)
    return bool(np.any(primal_values(mask)))


def used_cols(g):
    """Boolean (..., k): column j of ``g`` (..., m, k) has a nonzero entry."""
    return ops.greater(ops.sum(ops.not_equal(g, 0), axis=-2), 0)


def either(flags):
    """Boolean (..., k, k): flags_i or flags_j."""
    return ops.logical_or(ops.expand_dims(flags, -1), ops.expand_dims(flags, -2))


def degenerate(w, rtol: float = 1e-10):
    """Boolean (..., n, n): off-diagonal pairs (i, j) with w_i == w_j up to ``rtol``."""
    n = shape_of(w)[-1]
    aw = ops.abs(w)
    scale = ops.expand_dims(ops.max(aw, axis=-1, keepdims=True), -1)
    diff = ops.abs(ops.expand_dims(w, -2) - ops.expand_dims(w, -1))
    off = as_type_of(~np.eye(n, dtype=bool), w)        # of w's array type (CuPy: CuPy)
    return ops.logical_and(ops.less_equal(diff, rtol * scale + 1e-300), off)


def batch_core(prim, core):
    """Batching for numpy.linalg-style primitives that broadcast over leading axes.

    ``core[i]`` is the number of trailing core axes of operand i. Batched
    operands get singleton axes after the batch axis so that every operand has
    the same number of per-example leading axes; NumPy broadcasting does the rest.
    """

    def rule(vals, dims, **params):
        leads = [len(shape_of(v)) - (d is not None) - c for v, d, c in zip(vals, dims, core)]
        top = max(leads)
        out = []
        for v, d, lead in zip(vals, dims, leads):
            if d is not None and lead < top:
                s = tuple(shape_of(v))
                v = ops.reshape(v, s[:1] + (1,) * (top - lead) + s[1:])
            out.append(v)
        return prim(*out, **params)

    defbatch(prim, rule)
