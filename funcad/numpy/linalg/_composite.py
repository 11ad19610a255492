"""Norms and other functions composed from the linalg primitives (they differentiate and batch
for free), and the array-API names of numpy.linalg."""

from __future__ import annotations

import numpy as np

from ...errors import BatchingError
from ...extend import as_type_of, dtype_of, full_lower, ops, shape_of
from .._base import is_traced
from ._basic import _check_square, inv, pinv, rank_p, solve
from ._decomp import svdvals
from ._helpers import is_complex, real_dtype, route, to_float

__all__ = ["norm", "vector_norm", "matrix_norm", "matrix_power", "multi_dot", "tensorsolve",
           "tensorinv", "cond", "lstsq", "matmul", "matrix_transpose", "outer",
           "tensordot", "vecdot", "diagonal", "trace", "cross"]


def _abs2(x):
    return ops.real(x * ops.conj(x)) if is_complex(x) else x * x


def _vector_norm(x, ord, axis, keepdims):
    """Vector norm over ``axis`` (a tuple of axes, reduced together)."""
    if ord is None or ord == 2:
        return ops.sqrt(ops.sum(_abs2(x), axis=axis, keepdims=keepdims))
    if isinstance(ord, str):
        raise ValueError(f"norm: ord={ord!r} is a matrix norm; vector norms take a number, "
                         "inf or -inf")
    ax = ops.abs(x)
    if ord == np.inf:
        return ops.max(ax, axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return ops.min(ax, axis=axis, keepdims=keepdims)
    if ord == 0:   # a count: zero derivative
        return ops.sum(ops.astype(ops.not_equal(x, 0), ax.dtype), axis=axis, keepdims=keepdims)
    if ord == 1:
        return ops.sum(ax, axis=axis, keepdims=keepdims)
    return ops.sum(ax ** ord, axis=axis, keepdims=keepdims) ** (1.0 / ord)


def _matrix_norm(x, ord, axis, keepdims):
    """Matrix norm of the axes pair ``axis`` (row, col), non-negative indices."""
    r, c = axis
    if ord is None or ord == "fro":
        return ops.sqrt(ops.sum(_abs2(x), axis=(r, c), keepdims=keepdims))
    if ord in ("nuc", 2, -2):
        y = ops.moveaxis(x, (r, c), (-2, -1))
        s = svdvals(y)
        out = (ops.sum(s, axis=-1) if ord == "nuc" else
               s[..., 0] if ord == 2 else s[..., -1])
        if keepdims:
            for a in sorted((r, c)):
                out = ops.expand_dims(out, a)
        return out
    if ord in (1, -1, np.inf, -np.inf):
        sum_ax, red_ax = (r, c) if ord in (1, -1) else (c, r)
        red = ops.max if ord in (1, np.inf) else ops.min
        s = ops.sum(ops.abs(x), axis=sum_ax, keepdims=True)
        out = red(s, axis=red_ax, keepdims=True)
        return out if keepdims else ops.squeeze(out, axis=(r, c))
    raise ValueError(f"norm: invalid ord={ord!r} for a matrix norm; use None, 'fro', 'nuc', 1, "
                     "-1, 2, -2, inf or -inf")


@route(np.linalg.norm)
def norm(x, ord=None, axis=None, keepdims=False):
    """Differentiable ``np.linalg.norm``: every vector and matrix ``ord``, ``axis``, ``keepdims``.

    Norms are not differentiable where they have a kink: the 2-norm at 0 gives
    NaN (``sqrt`` at 0), and max/min-type norms split ties evenly.

    Example:
        >>> import numpy as np, funcad as fad, funcad.numpy as fnp
        >>> fad.grad(fnp.linalg.norm)(np.array([3.0, 4.0]))
        array([0.6, 0.8])
    """
    if not is_traced(x):
        return np.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims)
    nd = len(shape_of(x))
    if axis is None:
        if ord is None:
            out = ops.sqrt(ops.sum(_abs2(x)))
            return ops.reshape(out, (1,) * nd) if keepdims else out
        if nd == 1:
            return _vector_norm(x, ord, (0,), keepdims)
        if nd == 2:
            return _matrix_norm(x, ord, (0, 1), keepdims)
        raise ValueError(f"norm: ord={ord!r} needs a 1-D or 2-D input when axis is None, got "
                         f"shape {tuple(shape_of(x))}; pass axis=")
    if isinstance(axis, (int, np.integer)):
        return _vector_norm(x, ord, (int(axis) % nd,), keepdims)
    axis = tuple(int(a) % nd for a in axis)
    if len(axis) == 1:
        return _vector_norm(x, ord, axis, keepdims)
    if len(axis) == 2:
        if axis[0] == axis[1]:
            raise ValueError(f"norm: duplicate axes {axis}")
        return _matrix_norm(x, ord, axis, keepdims)
    raise ValueError(f"norm: axis must be an int or a pair, got {axis!r}")


@route(getattr(np.linalg, "vector_norm", None))
def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
    """Differentiable ``np.linalg.vector_norm`` (axis None: all entries as one vector).

    Example:
        >>> import numpy as np, funcad as fad, funcad.numpy as fnp
        >>> fad.grad(lambda x: fnp.linalg.vector_norm(x, ord=1))(np.array([-1.0, 2.0]))
        array([-1.,  1.])
    """
    if not is_traced(x):
        return np.linalg.vector_norm(x, axis=axis, keepdims=keepdims, ord=ord)
    nd = len(shape_of(x))
    ax = tuple(range(nd)) if axis is None else (
        (int(axis) % nd,) if isinstance(axis, (int, np.integer)) else
        tuple(int(a) % nd for a in axis))
    return _vector_norm(x, ord, ax, keepdims)


@route(getattr(np.linalg, "matrix_norm", None))
def matrix_norm(x, /, *, keepdims=False, ord="fro"):
    """Differentiable ``np.linalg.matrix_norm`` over the last two axes.

    Example:
        >>> import numpy as np, funcad as fad, funcad.numpy as fnp
        >>> fad.grad(lambda a: fnp.linalg.matrix_norm(a, ord="nuc"))(np.diag([2.0, 1.0]))
        array([[1., 0.],
               [0., 1.]])
    """
    if not is_traced(x):
        return np.linalg.matrix_norm(x, keepdims=keepdims, ord=ord)
    nd = len(shape_of(x))
    return _matrix_norm(x, ord, (nd - 2, nd - 1), keepdims)


@route(np.linalg.cond)
def cond(x, p=None):
    """Differentiable ``np.linalg.cond`` (ratio of singular values, or norm(x) norm(inv x)).

    Example:
        >>> import numpy as np, funcad as fad, funcad.numpy as fnp
        >>> fad.grad(fnp.linalg.cond)(np.diag([4.0, 2.0]))
        array([[ 0.5,  0. ],
               [ 0. , -1. ]])
    """
    if not is_traced(x):
        return np.linalg.cond(x, p)
    if p is None or p in (2, -2):
        s = svdvals(x)
        return s[..., 0] / s[..., -1] if p != -2 else s[..., -1] / s[..., 0]
    _check_square(x, "cond")
    nd = len(shape_of(x))
    ax = (nd - 2, nd - 1)
    return _matrix_norm(x, p, ax, False) * _matrix_norm(inv(x), p, ax, False)


@route(np.linalg.matrix_power)
def matrix_power(a, n):
    """Differentiable ``np.linalg.matrix_power`` by repeated squaring (negative n: of the inverse).

    Example:
        >>> import numpy as np, funcad as fad, funcad.numpy as fnp
        >>> fad.grad(lambda a: fnp.linalg.matrix_power(a, 3)[0, 0])(np.array([[2.0]]))
        array([[12.]])
    """
    if not isinstance(n, (int, np.integer)):
        raise TypeError(f"matrix_power: the exponent must be an integer, got {n!r}")
    if not is_traced(a):
        return np.linalg.matrix_power(a, n)
    _check_square(a, "matrix_power")
    n = int(n)
    if n == 0:
        m = shape_of(a)[-1]
        # a constant of a's array type (a CuPy a: a CuPy identity)
        return as_type_of(np.broadcast_to(np.eye(m, dtype=dtype_of(a)), shape_of(a)).copy(), a)
    if n < 0:
        a, n = inv(a), -n
    result, base = None, a
    while n:
        if n & 1:
            result = base if result is None else result @ base
        n >>= 1
        if n:
            base = base @ base
    return result


@route(np.linalg.multi_dot)
def multi_dot(arrays, *, out=None):
    """Differentiable ``np.linalg.multi_dot`` (evaluated left to right).

    Example:
        >>> import numpy as np, funcad as fad, funcad.numpy as fnp
        >>> fad.grad(lambda x: fnp.linalg.multi_dot([x, np.eye(2), x]))(np.array([1.0, 2.0]))
        array([2., 4.])
    """
    if out is not None:
        raise TypeError("multi_dot(out=...) cannot hold a traced value; drop out=")
    if not is_traced(*arrays):
        return np.linalg.multi_dot(arrays)
    if len(arrays) < 2:
        raise ValueError("multi_dot needs at least two arrays")
    result = arrays[0]
    for b in arrays[1:]:
        result = result @ b
    return result


@route(np.linalg.tensorsolve)
def tensorsolve(a, b, axes=None):
    """Differentiable ``np.linalg.tensorsolve``: x with ``tensordot(a, x, x.ndim) = b``.

    Example:
        >>> import numpy as np, funcad as fad, funcad.numpy as fnp
        >>> a = np.eye(4).reshape(2, 2, 2, 2) * 2.0
        >>> fad.grad(lambda b: fnp.sum(fnp.linalg.tensorsolve(a, b)))(np.ones((2, 2)))
        array([[0.5, 0.5],
               [0.5, 0.5]])
    """
    if not is_traced(a, b):
        return np.linalg.tensorsolve(a, b, axes=axes)
    a, b = to_float(a), to_float(b)
    an, bn = len(shape_of(a)), len(shape_of(b))
    if axes is not None:
        rest = [k for k in range(an) if k not in [x % an for x in axes]]
        a = ops.transpose(a, tuple(rest) + tuple(x % an for x in axes))
    xshape = tuple(shape_of(a))[bn:]
    size = int(np.prod(xshape, dtype=np.int64))
    if int(np.prod(shape_of(a), dtype=np.int64)) != size * size:
        raise np.linalg.LinAlgError(
            f"tensorsolve: a of shape {tuple(shape_of(a))} is not 'square' for b of shape "
            f"{tuple(shape_of(b))}: prod(a.shape[b.ndim:])**2 must equal a.size")
    x = solve(ops.reshape(a, (size, size)), ops.reshape(b, (size,)))
    return ops.reshape(x, xshape)


@route(np.linalg.tensorinv)
def tensorinv(a, ind=2):
    """Differentiable ``np.linalg.tensorinv``.

    Example:
        >>> import numpy as np, funcad as fad, funcad.numpy as fnp
        >>> a = np.eye(4).reshape(4, 2, 2) * 2.0
        >>> fnp.linalg.tensorinv(a, ind=1).shape
        (2, 2, 4)
    """
    if not is_traced(a):
        return np.linalg.tensorinv(a, ind=ind)
    if ind <= 0:
        raise ValueError(f"tensorinv: ind must be a positive integer, got {ind}")
    s = tuple(shape_of(a))
    rows = int(np.prod(s[:ind], dtype=np.int64))
    cols = int(np.prod(s[ind:], dtype=np.int64))
    if rows != cols:
        raise np.linalg.LinAlgError(f"tensorinv: prod(a.shape[:ind]) = {rows} must equal "
                                    f"prod(a.shape[ind:]) = {cols} (a.shape = {s}, ind = {ind})")
    return ops.reshape(inv(ops.reshape(a, (rows, cols))), s[ind:] + s[:ind])


@route(np.linalg.lstsq)
def lstsq(a, b, rcond=None):
    """Differentiable ``np.linalg.lstsq``: ``(x, residuals, rank, s)``.

    ``x = pinv(a, rcond) @ b`` (the minimum-norm least-squares solution), so its
    derivative is the constant-rank one. ``rank`` is an integer (zero
    derivative). Under vmap the residuals are always returned (NumPy returns an
    empty array for rank-deficient or non-tall ``a``, which a batch cannot mix).

    Example:
        >>> import numpy as np, funcad as fad, funcad.numpy as fnp
        >>> a = np.array([[1.0], [1.0]])
        >>> fad.grad(lambda b: fnp.linalg.lstsq(a, b)[0][0])(np.array([1.0, 3.0]))
        array([0.5, 0.5])
    """
    if not is_traced(a, b):
        return np.linalg.lstsq(a, b, rcond=rcond)
    a, b = to_float(a), to_float(b)
    m, n = shape_of(a)[-2:]
    if rcond is None:
        rcond = np.finfo(np.float64).eps * max(m, n)
    x = pinv(a, rcond=rcond) @ b
    s = svdvals(a)
    rank = rank_p(a, tol=None, hermitian=False)
    try:
        full = int(full_lower(rank)) == n
    except BatchingError:
        full = True
    if full and m > n:
        r = b - a @ x
        res = ops.sum(_abs2(r), axis=0)
        if len(shape_of(b)) == 1:
            res = ops.reshape(res, (1,))
    else:
        res = as_type_of(np.empty((0,), dtype=real_dtype(x)), x)   # NumPy: x's real dtype
    return x, res, rank, s


# ---------------------------------------------------------------------------
# the array-API names of numpy.linalg: thin wrappers over funcad.numpy (looked up at call time)
# ---------------------------------------------------------------------------

@route(getattr(np.linalg, "matmul", None))   # NumPy >= 2
def matmul(x1, x2, /):
    """``np.linalg.matmul`` (array API): ``funcad.numpy.matmul``.

    Example:
        >>> import numpy as np, funcad.numpy as fnp
        >>> fnp.linalg.matmul(np.eye(2), np.ones(2))
        array([1., 1.])
    """
    return ops.matmul(x1, x2) if is_traced(x1, x2) else np.linalg.matmul(x1, x2)


@route(getattr(np.linalg, "matrix_transpose", None))   # NumPy >= 2
def matrix_transpose(x, /):
    """``np.linalg.matrix_transpose``: swap the last two axes.

    Example:
        >>> import numpy as np, funcad.numpy as fnp
        >>> fnp.linalg.matrix_transpose(np.ones((2, 3))).shape
        (3, 2)
    """
    return ops.swapaxes(x, -1, -2) if is_traced(x) else np.linalg.matrix_transpose(x)


@route(getattr(np.linalg, "outer", None))   # NumPy >= 2
def outer(x1, x2, /):
    """``np.linalg.outer`` (1-D inputs).

    Example:
        >>> import numpy as np, funcad.numpy as fnp
        >>> fnp.linalg.outer(np.ones(2), np.arange(3.0)).shape
        (2, 3)
    """
    if not is_traced(x1, x2):
        return np.linalg.outer(x1, x2)
    if len(shape_of(x1)) != 1 or len(shape_of(x2)) != 1:
        raise ValueError("linalg.outer needs 1-D inputs; use funcad.numpy.outer to flatten")
    return ops.outer(x1, x2)


@route(getattr(np.linalg, "tensordot", None))   # NumPy >= 2
def tensordot(x1, x2, /, *, axes=2):
    """``np.linalg.tensordot``: ``funcad.numpy.tensordot``.

    Example:
        >>> import numpy as np, funcad.numpy as fnp
        >>> float(fnp.linalg.tensordot(np.ones((2, 2)), np.ones((2, 2))))
        4.0
    """
    if not is_traced(x1, x2):
        return np.linalg.tensordot(x1, x2, axes=axes)
    return ops.tensordot(x1, x2, axes=axes)


@route(getattr(np.linalg, "vecdot", None))   # NumPy >= 2
def vecdot(x1, x2, /, *, axis=-1):
    """``np.linalg.vecdot``: ``sum(conj(x1) * x2, axis)``.

    Example:
        >>> import numpy as np, funcad.numpy as fnp
        >>> float(fnp.linalg.vecdot(np.array([1.0, 2.0]), np.array([3.0, 4.0])))
        11.0
    """
    if not is_traced(x1, x2):
        return np.linalg.vecdot(x1, x2, axis=axis)
    return ops.sum(ops.conj(x1) * x2, axis=axis)


@route(getattr(np.linalg, "diagonal", None))   # NumPy >= 2
def diagonal(x, /, *, offset=0):
    """``np.linalg.diagonal``: the diagonal of the last two axes.

    Example:
        >>> import numpy as np, funcad.numpy as fnp
        >>> fnp.linalg.diagonal(np.eye(2))
        array([1., 1.])
    """
    if not is_traced(x):
        return np.linalg.diagonal(x, offset=offset)
    return ops.diagonal(x, offset, -2, -1)


@route(getattr(np.linalg, "trace", None))   # NumPy >= 2
def trace(x, /, *, offset=0, dtype=None):
    """``np.linalg.trace``: the trace of the last two axes.

    Example:
        >>> import numpy as np, funcad.numpy as fnp
        >>> float(fnp.linalg.trace(np.eye(3)))
        3.0
    """
    if not is_traced(x):
        return np.linalg.trace(x, offset=offset, dtype=dtype)
    return ops.sum(ops.diagonal(x, offset, -2, -1), axis=-1)


@route(getattr(np.linalg, "cross", None))   # NumPy >= 2
def cross(x1, x2, /, *, axis=-1):
    """``np.linalg.cross`` (3-vectors): ``funcad.numpy.cross``.

    Example:
        >>> import numpy as np, funcad.numpy as fnp
        >>> fnp.linalg.cross(np.array([1.0, 0, 0]), np.array([0.0, 1, 0]))
        array([0., 0., 1.])
    """
    if not is_traced(x1, x2):
        return np.linalg.cross(x1, x2, axis=axis)
    return ops.cross(x1, x2, axis=axis)
