"""Taylor-mode transforms: ``jet`` (JAX's signature), ``derivatives``, ``taylor`` and
``laplacian``, thin pytree wrappers over ``jet_flat`` (``_taylor.py``)."""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np

from . import tree as _tree
from ._collapsed import collapsed_second_order
from ._taylor import jet_flat
from ._arrays import as_array, as_type_of, zeros
from ._util import dtype_of, shape_of
from ._vmap import vmap
from .numpy import stack

__all__ = ["jet", "derivatives", "taylor", "laplacian", "taylor_sum"]


def jet(fun: Callable, primals: Sequence[Any], series: Sequence[Sequence[Any]]):
    """Push a truncated Taylor series through ``fun`` in one forward pass (Taylor mode).

    The input path is ``x(t) = x0 + x1 t + x2 t^2 / 2! + ... + xK t^K / K!`` for each
    primal (JAX's convention: the series holds derivatives, not coefficients), and the
    result holds the derivatives of ``fun(x(t))`` at ``t = 0`` in the same convention.
    The cost is one pass with O(K^2) work per primitive (nested ``jvp`` grows
    exponentially with K).

    Args:
        fun: a function of ``len(primals)`` positional pytree arguments.
        primals: the point ``x0``, one pytree per argument.
        series: for each argument, a list of K pytrees shaped like it: ``[x1, ..., xK]``.

    Returns:
        ``(primal_out, series_out)``: ``fun(*primals)``, and ``[y1, ..., yK]`` for a
        single array output (for a pytree output, each leaf replaced by its list).

    Example:
        >>> import numpy as np, funcad as fad
        >>> y0, (y1, y2, y3) = fad.jet(np.exp, (0.0,), ((1.0, 0.0, 0.0),))
        >>> float(y0), float(y1), float(y2), float(y3)      # every derivative of exp is 1
        (1.0, 1.0, 1.0, 1.0)
    """
    primals, series = tuple(primals), tuple(series)
    if len(primals) != len(series):
        raise ValueError(f"jet: got {len(primals)} primals and {len(series)} series; pass one "
                         "series (a list of K terms) per primal")
    orders = {len(s) for s in series}
    if len(orders) != 1:
        raise ValueError(f"jet: every series must have the same number of terms, got "
                         f"{sorted(len(s) for s in series)}")
    (K,) = orders
    flat_p, tdef = _tree.flatten(primals)
    flat_s: list = [[] for _ in flat_p]
    for i, (p, s) in enumerate(zip(primals, series)):
        ptd = _tree.structure(p)
        for k, term in enumerate(s):
            leaves, td = _tree.flatten(term)
            if td != ptd:
                raise ValueError(f"jet: term {k + 1} of the series of argument {i} has "
                                 f"structure {td}, not the primal's {ptd}")
            start = len(_tree.leaves(primals[:i]))
            for j, leaf in enumerate(leaves):
                flat_s[start + j].append(leaf)
    # derivative convention -> normalised Taylor coefficients c_k = x_k / k!
    norm = [[None if _is_zero(t) else _scaled(t, 1.0 / math.factorial(k + 1), p)
             for k, t in enumerate(s)] for p, s in zip(flat_p, flat_s)]
    out_tree: list = []

    def flat_fun(xs):
        out = fun(*_tree.unflatten(tdef, xs))
        leaves, otd = _tree.flatten(out)
        out_tree.append(otd)
        return leaves

    outs, terms = jet_flat(flat_fun, flat_p, norm, K)
    series_out = []
    for o, t in zip(outs, terms):
        series_out.append([
            zeros(shape_of(o), dtype_of(o), like=o) if t is None or t[k] is None
            else t[k] * float(math.factorial(k + 1)) for k in range(K)])
    otd = out_tree[0]
    return _tree.unflatten(otd, outs), _tree.unflatten(otd, series_out)


def _is_zero(t) -> bool:
    return t is None or (isinstance(t, (int, float)) and t == 0)


def _scaled(t, c, p):
    t = np.asarray(t) if not hasattr(t, "shape") else t
    if shape_of(t) != shape_of(p):
        raise ValueError(f"jet: a series term of shape {shape_of(t)} for a primal of shape "
                         f"{shape_of(p)}; each term must have its primal's shape")
    return t * c


def derivatives(fun: Callable, order: int) -> Callable:
    """All derivatives ``f(x), f'(x), ..., f^(order)(x)`` of a scalar function, in one pass.

    ``fun`` maps a scalar to a scalar; on an array ``x`` it must act elementwise, and the
    derivatives are taken elementwise.

    Returns:
        A function of ``x`` returning an array of shape ``(order + 1, *x.shape)``.

    Example:
        >>> import numpy as np, funcad as fad
        >>> fad.derivatives(np.sin, 4)(0.0)
        array([ 0.,  1.,  0., -1.,  0.])
    """
    order = _check_order("derivatives", order)

    def d(x):
        x = np.asarray(x, dtype=float) if not hasattr(x, "shape") else x
        one = as_type_of(np.ones(shape_of(x), np.result_type(dtype_of(x), np.float64)), x)
        zero = zeros(shape_of(x), one.dtype, like=x)
        y0, ys = jet(fun, (x,), ([one] + [zero] * (order - 1),))
        return stack([y0, *ys])
    return d


def taylor(fun: Callable, order: int) -> Callable:
    """The directional derivatives ``D^k f(x)[v, ..., v]``, k = 0..order, in one pass.

    Returns:
        A function of ``(x, v)`` returning the list ``[f(x), Df(x)[v], ..., D^K f(x)[v]^K]``
        (each shaped like ``f(x)``).

    Example:
        >>> import numpy as np, funcad as fad
        >>> f = lambda x: np.sum(x ** 3)
        >>> [float(d) for d in fad.taylor(f, 3)(np.array([1.0, 2.0]), np.array([1.0, 0.0]))]
        [9.0, 3.0, 6.0, 6.0]
    """
    order = _check_order("taylor", order)

    def t(x, v):
        zero = _tree.map(lambda a: zeros(shape_of(a), dtype_of(a), like=a), v)
        y0, ys = jet(fun, (x,), ([v] + [zero] * (order - 1),))
        if isinstance(ys, list) and len(ys) == order and not isinstance(y0, list):
            return [y0, *ys]
        return [y0, *[_tree.map(lambda s, k=k: s[k], ys, is_leaf=lambda s: isinstance(s, list))
                      for k in range(order)]]
    return t


def laplacian(fun: Callable) -> Callable:
    """The Laplacian ``sum_i d^2 f / dx_i^2`` of ``fun`` at ``x``, by collapsed Taylor mode.

    One forward pass carries the first Taylor coefficient along every coordinate
    direction and one summed second coefficient (no Hessian, no per-direction second
    order work: see :func:`taylor_sum`). ``fun`` maps an array to a scalar or an array
    (the Laplacian of each output). Composes with ``grad`` (a PINN loss differentiates it
    with respect to the weights) and ``vmap`` (a batch of collocation points).

    Example:
        >>> import numpy as np, funcad as fad
        >>> float(fad.laplacian(lambda x: np.sum(x ** 2) * x[0])(np.array([1.0, 2.0])))
        8.0
    """
    def lap(x):
        x = np.asarray(x, dtype=float) if not hasattr(x, "shape") else x
        shp = shape_of(x)
        n = math.prod(shp)
        eye = as_type_of(np.eye(n, dtype=np.result_type(dtype_of(x), np.float64))
                         .reshape((n, *shp)), x)
        return _second_order_sum(fun, x, eye, None)
    return lap


def taylor_sum(fun: Callable, directions, weights=None, order: int = 2) -> Callable:
    """``sum_r w_r D^K f(x)[v_r, ..., v_r]``: a weighted sum of K-th directional derivatives.

    The linear differential operators of PDEs are of this form: the Laplacian (K = 2,
    the coordinate directions), a weighted or anisotropic Laplacian (``weights``, or
    directions from a factor of the coefficient matrix), and, with O(d^2) directions, the
    biharmonic operator (K = 4; by polarisation it needs directions ``e_i + e_j`` and
    ``e_i - e_j`` as well). K = 2 runs collapsed (one summed second-order coefficient);
    other orders push one Taylor series per direction through ``jet`` under ``vmap``.

    Args:
        fun: a function of one array.
        directions: the v_r stacked on axis 0, shape ``(R, *x.shape)``.
        weights: the w_r, shape ``(R,)`` (None: all ones).
        order: K.

    Returns:
        A function of ``x``.

    Example:
        >>> import numpy as np, funcad as fad
        >>> f = lambda x: x[0] ** 2 * x[1]
        >>> V = np.eye(2)
        >>> float(fad.taylor_sum(f, V, weights=np.array([3.0, 1.0]))(np.array([1.0, 5.0])))
        30.0
    """
    order = _check_order("taylor_sum", order)
    V = as_array(directions)                   # a CuPy or Dask array stays one
    W = None if weights is None else as_array(weights).astype(float)
    if W is not None and W.shape != V.shape[:1]:
        raise ValueError(f"taylor_sum: weights of shape {W.shape} for {V.shape[0]} "
                         "directions; pass one weight per direction")

    def op(x):
        x = np.asarray(x, dtype=float) if not hasattr(x, "shape") else x
        if V.shape[1:] != shape_of(x):
            raise ValueError(f"taylor_sum: directions of shape {V.shape[1:]} for x of shape "
                             f"{shape_of(x)}; stack one direction per row: (R, *x.shape)")
        if order == 2:
            return _second_order_sum(fun, x, V, W)
        zero = np.zeros(shape_of(x), V.dtype)

        def kth(v):
            _, ys = jet(fun, (x,), ([v] + [zero] * (order - 1),))
            return ys[-1]
        per = vmap(kth)(V)
        w = as_type_of(np.ones(V.shape[0]), V) if W is None else W
        return (w.reshape((-1,) + (1,) * (per.ndim - 1)) * per).sum(axis=0)
    return op


def _second_order_sum(fun, x, V, W):
    _, out = collapsed_second_order(lambda xs: [fun(xs[0])], x, V, W)
    return out


def _check_order(name, order) -> int:
    if not isinstance(order, (int, np.integer)) or isinstance(order, bool) or order < 1:
        raise ValueError(f"{name}(f, order): order must be a positive int, got {order!r}")
    return int(order)
