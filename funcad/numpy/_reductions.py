"""Reductions: sum and max/min are primitives; mean, var, std, prod, logsumexp are composites."""

from __future__ import annotations

import math

import numpy as np

from ..extend import as_type_of, deflazy
from ..extend import (batch_elementwise, batch_reduction, canonical_axis, defbatch, defsparse,
                      defsparsity, shift_axis, sparse_rules, sparsity_rules)
from ._base import (Primitive, def_linear_jvp, defjvp, defvjp, dtype_of, export, implements,
                    is_traced, shape_of)
from ._complex import conj, real
from ._dtypes import astype
from ._elementwise import (divide_p, equal_p, exp_p, isfinite_p, log_p, multiply_p, sqrt_p,
                           stop_gradient_p, subtract_p, where)
from ._shape import _broadcast_to, concatenate, moveaxis, reshape


def _expand_back(g, x_shape, axis, keepdims):
    """Broadcast a reduced value back to ``x_shape`` (the VJP of a reduction)."""
    if (isinstance(g, (np.ndarray, np.generic)) and g.ndim == 0 and x_shape
            and math.prod(x_shape) <= _SMALL):
        return np.full(x_shape, g, g.dtype)    # a small filled array is cheaper than a view
    if not keepdims and shape_of(g) != ():     # a 0-d g broadcasts as it is
        g = reshape(g, tuple(1 if i in axis else s for i, s in enumerate(x_shape)))
    return _broadcast_to(g, shape=tuple(x_shape)) if shape_of(g) != tuple(x_shape) else g


def _axes(x, axis):
    return canonical_axis(axis, len(shape_of(x)))


# ---------------------------------------------------------------------------
# sum
# ---------------------------------------------------------------------------

_SMALL = 4096    # arrays up to this size are filled rather than broadcast (same values)


def _sum_impl(x, *, axis, keepdims):
    if type(x) is np.ndarray and x.dtype.kind in "fc":
        return np.add.reduce(x, axis=axis, keepdims=keepdims)   # what np.sum runs, directly
    return np.sum(x, axis=axis, keepdims=keepdims)


_sum = Primitive("sum", _sum_impl)
deflazy(_sum)
defsparse(_sum, sparse_rules.sum)
defsparsity(_sum, sparsity_rules.reduce)
def_linear_jvp(_sum)
defvjp(_sum, lambda g, _ans, x, *, axis, keepdims: _expand_back(g, shape_of(x), axis, keepdims),
       keep=False)
batch_reduction(_sum)


@implements(np.sum)
def sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    """Differentiable ``np.sum``.

    Example:
        >>> import funcad as fad, funcad.numpy as fnp
        >>> fad.grad(lambda x: fnp.sum(x ** 2))(fnp.array([1.0, 2.0]))
        array([2., 4.])
    """
    if initial is not None or where is not None:
        raise NotImplementedError("sum: initial= and where= are not supported on traced values; "
                                  "use fnp.where(mask, x, 0).sum()")
    if dtype is not None:
        a = astype(a, dtype)
    if not is_traced(a):
        return np.sum(a, axis=axis, keepdims=keepdims)
    return _sum(a, axis=_axes(a, axis), keepdims=bool(keepdims))


@implements(np.mean)
def mean(a, axis=None, dtype=None, out=None, keepdims=False, where=None):
    """Differentiable ``np.mean``.

    Example:
        >>> import funcad.numpy as fnp
        >>> float(fnp.mean(fnp.array([1.0, 3.0])))
        2.0
    """
    if where is not None:
        raise NotImplementedError("mean: where= is not supported on traced values")
    if not is_traced(a):
        return np.mean(a, axis=axis, dtype=dtype, keepdims=keepdims)
    n = _count(a, axis)
    s = sum(a, axis=axis, dtype=dtype, keepdims=keepdims)
    return s / n if np.issubdtype(dtype_of(s), np.inexact) else s / float(n)


# identity with a NaN derivative: marks a value whose derivative does not exist (a variance
# with ddof >= n is inf or NaN for every input, so no finite number is its derivative)
_undefined = Primitive("undefined_derivative", lambda x: x)
deflazy(_undefined)
defjvp(_undefined, lambda t, ans, x: multiply_p(t, np.nan))
defvjp(_undefined, lambda g, _ans, x: multiply_p(g, np.nan), keep=False)
batch_elementwise(_undefined)


def _count(a, axis):
    return int(np.prod([shape_of(a)[i] for i in _axes(a, axis)], dtype=np.int64))


@implements(np.var)
def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None, mean=None,
        correction=None):
    """Differentiable ``np.var`` (``ddof`` supported).

    With ``ddof >= n`` the value is NumPy's (inf, or NaN for constant data, with NumPy's
    warning) and the derivative is NaN: it does not exist.

    Example:
        >>> import funcad.numpy as fnp
        >>> float(fnp.var(fnp.array([1.0, 3.0])))
        1.0
    """
    if correction is not None:
        ddof = correction
    if not is_traced(a):
        return np.var(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)
    m = globals()["mean"](a, axis=axis, dtype=dtype, keepdims=True)
    d = subtract_p(a, m)
    if np.iscomplexobj(np.empty(0, dtype_of(d))):
        sq = real(multiply_p(d, conj(d)))
    else:
        sq = multiply_p(d, d)
    s = sum(sq, axis=axis, keepdims=keepdims)
    n = _count(a, axis)
    if n - ddof > 0:
        return s / float(n - ddof)
    import warnings
    warnings.warn("Degrees of freedom <= 0 for slice", RuntimeWarning, stacklevel=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        return _undefined(multiply_p(s, np.inf))     # NumPy's s / 0: inf, or NaN where s == 0


@implements(np.std)
def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None, mean=None,
        correction=None):
    """Differentiable ``np.std``; its derivative is infinite where the spread is 0.

    With one sample per slice (and ``ddof=0``) the value is 0 for every input, so the
    derivative is 0 (not the NaN of sqrt's derivative at 0). With ``ddof >= n`` the value
    is NumPy's and the derivative NaN, as for :func:`var`.

    Example:
        >>> import funcad.numpy as fnp
        >>> float(fnp.std(fnp.array([1.0, 3.0])))
        1.0
    """
    if correction is not None:
        ddof = correction
    if not is_traced(a):
        return np.std(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)
    v = var(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)
    return sqrt_of_var(v, _count(a, axis) == 1 and ddof < 1)


def sqrt_of_var(v, one_sample):
    """``sqrt(v)`` of a variance ``v``. Where ``one_sample`` (one sample and ``ddof`` 0: a
    Python bool, or a boolean array per slice for the nan-reductions) ``x - mean(x)`` is
    exactly 0 (NaN for inf/NaN) for every input, so ``v`` is the value and its derivative is
    0, not the NaN of sqrt's derivative at 0."""
    if one_sample is True:
        return stop_gradient_p(v)
    if one_sample is False:
        return sqrt_p(v)
    # sqrt sees 1 in those slices, so its infinite derivative at 0 never meets a zero cotangent
    return where(one_sample, stop_gradient_p(v), sqrt_p(where(one_sample, 1.0, v)))


# ---------------------------------------------------------------------------
# max / min: ties split the derivative evenly among the maximal entries
# ---------------------------------------------------------------------------

def _extreme_weights(ans, x, axis, keepdims):
    hit = equal_p(x, _expand_back(ans, shape_of(x), axis, keepdims))
    count = sum(hit, axis=axis, keepdims=keepdims)
    if dtype_of(x).kind in "fc":   # weights in x's dtype: bool / int is float64, which would
        count = count.astype(dtype_of(x))   # turn a float32 gradient into float64 from here on
    return hit / _expand_back(count, shape_of(x), axis, keepdims)


def _make_extreme(name, np_fn):
    p = Primitive(name, lambda x, *, axis, keepdims: np_fn(x, axis=axis, keepdims=keepdims))
    deflazy(p)
    defjvp(p, lambda t, ans, x, *, axis, keepdims:
           sum(multiply_p(t, _extreme_weights(ans, x, axis, keepdims)), axis=axis,
               keepdims=keepdims))
    defvjp(p, lambda g, ans, x, *, axis, keepdims:
           multiply_p(_expand_back(g, shape_of(x), axis, keepdims),
                    _extreme_weights(ans, x, axis, keepdims)), keep_ans=True)
    batch_reduction(p)
    defsparsity(p, sparsity_rules.reduce)
    return p


_max = _make_extreme("max", np.max)
_min = _make_extreme("min", np.min)


def _extreme(p, np_fn):
    def fn(a, axis=None, out=None, keepdims=False, initial=None, where=None):
        if initial is not None or where is not None:
            raise NotImplementedError(f"{p.name}: initial= and where= are not supported on "
                                      "traced values")
        if not is_traced(a):
            return np_fn(a, axis=axis, keepdims=keepdims)
        if 0 in shape_of(a):
            raise ValueError(f"{p.name} of an empty array (shape {shape_of(a)}) has no value")
        return p(a, axis=_axes(a, axis), keepdims=bool(keepdims))
    fn.__name__ = p.name
    fn.__doc__ = (f"Differentiable ``np.{p.name}``; tied extreme entries share the derivative "
                  "equally.\n\n    Example:\n        >>> import funcad as fad, funcad.numpy as "
                  f"fnp\n        >>> fad.grad(fnp.{p.name})(fnp.array([1.0, 1.0]))\n"
                  "        array([0.5, 0.5])\n    ")
    return fn


max = export(_extreme(_max, np.max), "max", np.max)
min = export(_extreme(_min, np.min), "min", np.min)
export(max, "amax", np.amax)
export(min, "amin", np.amin)


@implements(np.ptp)
def ptp(a, axis=None, out=None, keepdims=False):
    """Differentiable ``np.ptp`` (max - min).

    Example:
        >>> import funcad.numpy as fnp
        >>> float(fnp.ptp(fnp.array([1.0, 4.0, 2.0])))
        3.0
    """
    return max(a, axis=axis, keepdims=keepdims) - min(a, axis=axis, keepdims=keepdims)


# ---------------------------------------------------------------------------
# argmax / argmin / any / all: zero derivative
# ---------------------------------------------------------------------------

def _arg_batch(p):
    def rule(vals, dims, *, axis, keepdims):
        x = vals[0]
        if axis is None:
            x = reshape(x, (shape_of(x)[0], -1))
            return p(x, axis=1, keepdims=False) if not keepdims else \
                reshape(p(x, axis=1, keepdims=False), (shape_of(x)[0],) + (1,) * (
                    len(shape_of(vals[0])) - 1))
        return p(x, axis=shift_axis(axis, len(shape_of(x)) - 1), keepdims=keepdims)
    return rule


def _make_arg(name, np_fn):
    p = Primitive(name, lambda x, *, axis, keepdims: np_fn(x, axis=axis, keepdims=keepdims),
                  nondiff=True)
    deflazy(p)
    defbatch(p, _arg_batch(p))

    def fn(a, axis=None, out=None, *, keepdims=False):
        if not is_traced(a):
            return np_fn(a, axis=axis, keepdims=keepdims)
        return p(a, axis=axis, keepdims=keepdims)
    fn.__name__ = name
    fn.__doc__ = (f"``np.{name}`` on traced values (zero derivative).\n\n    Example:\n"
                  f"        >>> import funcad.numpy as fnp\n        >>> int(fnp.{name}("
                  "fnp.array([1.0, 3.0, 2.0])))\n" + ("        1\n" if name == "argmax" else
                                                      "        0\n") + "    ")
    return export(fn, name, getattr(np, name))


argmax = _make_arg("argmax", np.argmax)
argmin = _make_arg("argmin", np.argmin)


def _make_bool_reduce(name, np_fn):
    p = Primitive(name, lambda x, *, axis, keepdims: np_fn(x, axis=axis, keepdims=keepdims),
                  nondiff=True)
    deflazy(p)
    batch_reduction(p)

    def fn(a, axis=None, out=None, keepdims=False, *, where=None):
        if not is_traced(a):
            return np_fn(a, axis=axis, keepdims=keepdims)
        return p(a, axis=_axes(a, axis), keepdims=keepdims)
    fn.__name__ = name
    fn.__doc__ = (f"``np.{name}`` on traced values (boolean result, zero derivative).\n\n"
                  "    Example:\n        >>> import funcad.numpy as fnp\n"
                  f"        >>> bool(fnp.{name}(fnp.array([1.0, 0.0]) > 0))\n"
                  f"        {name == 'any'}\n    ")
    return export(fn, name, getattr(np, name))


any = _make_bool_reduce("any", np.any)
all = _make_bool_reduce("all", np.all)


# ---------------------------------------------------------------------------
# prod: a pairwise product tree, so zeros in the input are handled exactly
# ---------------------------------------------------------------------------

@implements(np.prod)
def prod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    """Differentiable ``np.prod``, exact with zeros in the input (no division by x).

    Example:
        >>> import funcad as fad, funcad.numpy as fnp
        >>> fad.grad(fnp.prod)(fnp.array([2.0, 0.0, 3.0]))
        array([0., 6., 0.])
    """
    if initial is not None or where is not None:
        raise NotImplementedError("prod: initial= and where= are not supported on traced values")
    if dtype is not None:
        a = astype(a, dtype)
    if not is_traced(a):
        return np.prod(a, axis=axis, keepdims=keepdims)
    shp = shape_of(a)
    axes = _axes(a, axis)
    rest = [i for i in range(len(shp)) if i not in axes]
    x = moveaxis(a, list(axes), list(range(len(rest), len(shp)))) if axes else a
    n = int(np.prod([shp[i] for i in axes], dtype=np.int64))
    x = reshape(x, tuple(shp[i] for i in rest) + (n,))
    while n > 1:
        if n % 2:
            one = as_type_of(np.ones(tuple(shp[i] for i in rest) + (1,), dtype_of(x)), x)
            x = concatenate([x, one], axis=-1)
            n += 1
        x = multiply_p(x[..., 0:n:2], x[..., 1:n:2])
        n //= 2
    out = x[..., 0] if n == 1 else (reshape(as_type_of(np.ones((), dtype_of(x)), x), ())
                                    + 0 * sum(x, axis=-1))
    if keepdims:
        out = reshape(out, tuple(1 if i in axes else s for i, s in enumerate(shp)))
    return out


# ---------------------------------------------------------------------------
# logsumexp (not a NumPy name; also in funcad.nn)
# ---------------------------------------------------------------------------

def logsumexp(a, axis=None, keepdims=False, b=None):
    """Numerically stable ``log(sum(b * exp(a), axis))``, differentiable.

    Example:
        >>> import funcad.numpy as fnp
        >>> round(float(fnp.logsumexp(fnp.array([1000.0, 1000.0]))), 6)
        1000.693147
    """
    m = max(stop_gradient_p(a), axis=axis, keepdims=True)
    m = where(isfinite_p(m), m, 0.0)
    e = exp_p(subtract_p(a, m))
    if b is not None:
        e = multiply_p(e, b)
    out = log_p(sum(e, axis=axis, keepdims=True)) + m
    if not keepdims:
        out = reshape(out, tuple(s for i, s in enumerate(shape_of(out))
                                 if i not in _axes(a, axis)))
    return out


export(logsumexp, "logsumexp")
_ = divide_p
