"""``r_`` and ``c_``: NumPy's index-trick concatenators, for traced values too.

``fnp.r_[a, 0.0, y[1:], 0:1:3j]`` builds an array from scalars, arrays, lists, slices
(``start:stop:step`` as ``arange``, a complex step ``n*1j`` as ``linspace`` with ``n``
points) and traced values, differentiably. Without a traced value it is NumPy's own
``np.r_`` / ``np.c_``. (``np.r_[a, b]`` on traced values cannot be intercepted: NumPy
converts each entry to a plain array first.)
"""

from __future__ import annotations

import numpy as np

from ..extend import full_lower
from ._base import dtype_of, export, shape_of
from ._creation import array, holds_tracer, linspace
from ._dtypes import astype
from ._shape import concatenate

__all__ = ["r_", "c_"]


def _traced(key) -> bool:
    for k in key:
        if isinstance(k, slice):
            if holds_tracer((k.start, k.stop, k.step)):
                return True
        elif holds_tracer(k):
            return True
    return False


def _directive(name: str, item: str):
    """-> (axis, ndmin, trans1d, matrix, col) changes for a string directive, or raise."""
    if item in ("r", "c"):
        return {"matrix": True, "col": item == "c"}
    parts = item.split(",")
    try:
        vals = [int(p) for p in parts]
    except ValueError:
        vals = None
    if vals is None or not 1 <= len(vals) <= 3 or (len(vals) == 1 and "," in item):
        raise ValueError(
            f"fnp.{name}[{item!r}, ...]: unknown special directive {item!r}. Supported: 'r' "
            "(row matrix), 'c' (column matrix), an axis ('1'), or 'axis,ndmin[,trans1d]' "
            "('0,2', '1,2,0'), as the first entry only")
    return dict(zip(("axis", "ndmin", "trans1d"), vals))


def _arange(start, stop, step):
    """``arange`` with traced ends: ``start + step * k``; the length is read from the values."""
    lo = [full_lower(v) for v in (start, stop, step)]
    k = np.arange(len(np.arange(*lo)))
    return start + step * astype(k, np.result_type(*[dtype_of(v) for v in lo]))


class _Concatenator:
    """One of ``r_`` / ``c_``: index it with the entries to join."""

    def __init__(self, name: str, axis: int, ndmin: int, trans1d: int):
        self._name = name
        self._defaults = {"axis": axis, "ndmin": ndmin, "trans1d": trans1d, "matrix": False,
                          "col": False}

    def __len__(self):
        return 0

    def __repr__(self):
        return f"funcad.numpy.{self._name}"

    def __getitem__(self, key):
        key = key if isinstance(key, tuple) else (key,)
        opts = dict(self._defaults)
        for k, item in enumerate(key):
            if isinstance(item, str):
                if k:
                    raise ValueError(f"fnp.{self._name}: the special directive {item!r} must "
                                     "be the first entry")
                opts.update(_directive(self._name, item))
        if not _traced(key):
            return getattr(np, self._name)[key]
        return self._join([i for i in key if not isinstance(i, str)], **opts)

    def _join(self, items, *, axis, ndmin, trans1d, matrix, col):
        objs, kinds = [], []
        for item in items:
            if isinstance(item, slice):
                start = 0 if item.start is None else item.start
                step = 1 if item.step is None else item.step
                if isinstance(step, (complex, np.complexfloating)):
                    obj = linspace(start, item.stop, num=int(abs(step)))
                else:
                    obj = _arange(start, item.stop, step)
                if ndmin > 1:
                    obj = array(obj, ndmin=ndmin)
                    if trans1d != -1:
                        obj = obj.swapaxes(-1, trans1d)
                kinds.append(dtype_of(obj))
            elif type(item) in (int, float, complex, bool):
                obj = item            # a Python scalar: weak in the result dtype, as in NumPy
                kinds.append(item)
            else:
                obj = array(item)
                nd = len(shape_of(obj))
                obj = array(obj, ndmin=ndmin)
                if trans1d != -1 and nd < ndmin:
                    k2, k1 = ndmin - nd, trans1d
                    k1 = k1 + k2 + 1 if k1 < 0 else k1
                    axes = list(range(ndmin))
                    obj = obj.transpose(axes[:k1] + axes[k2:] + axes[k1:k2])
                kinds.append(dtype_of(obj))
            objs.append(obj)
        dt = np.result_type(*kinds)
        out = concatenate([array(o, dtype=dt, ndmin=max(ndmin, 1)) for o in objs], axis=axis)
        if matrix:      # a 2-D array standing in for np.matrix (traced values are arrays)
            if len(shape_of(out)) > 2:
                raise ValueError(f"fnp.{self._name}['r'/'c', ...]: the result has "
                                 f"{len(shape_of(out))} dimensions; a matrix has 2")
            if len(shape_of(out)) == 1:
                out = out[None, :].T if col else out[None, :]
        return out


class RClass(_Concatenator):
    """``np.r_``: join entries along the first axis; traced entries keep their derivative.

    Entries: arrays, lists, scalars, traced values, and slices (``a:b:step`` as ``arange``,
    ``a:b:n*1j`` as ``linspace`` with ``n`` points; traced ends are differentiable). A
    first entry ``'axis'``, ``'axis,ndmin'`` or ``'axis,ndmin,trans1d'`` (``'0,2'``,
    ``'-1,2,0'``) sets the axis and the minimum dimensions as in NumPy; ``'r'`` / ``'c'``
    give a row / column: with traced entries a 2-D array (not an ``np.matrix``). Any
    other directive raises ``ValueError`` naming it.

    Example:
        >>> import funcad as fad, funcad.numpy as fnp
        >>> fad.grad(lambda a: fnp.r_[a, 2.0, 0.0:a:3j].sum())(4.0)
        array(2.5)
        >>> fnp.r_[1:4, 0.5]
        array([1. , 2. , 3. , 0.5])
    """

    def __init__(self):
        super().__init__("r_", 0, 1, -1)


class CClass(_Concatenator):
    """``np.c_``: join entries as columns (``np.r_['-1,2,0', ...]``); traced entries keep
    their derivative. Entries and directives as for ``fnp.r_``.

    Example:
        >>> import funcad as fad, funcad.numpy as fnp
        >>> def f(x):
        ...     return fnp.c_[x, x ** 2].sum()
        >>> fad.grad(f)(fnp.array([1.0, 2.0]))
        array([3., 5.])
        >>> fnp.c_[[1.0, 2.0], [3.0, 4.0]].shape
        (2, 2)
    """

    def __init__(self):
        super().__init__("c_", -1, 2, 0)


r_ = export(RClass(), "r_")
c_ = export(CClass(), "c_")
