"""A stand-in for CuPy on a machine without a GPU: an array type that, like CuPy, implements
NumPy's dispatch protocols, refuses NumPy array operands (only Python and NumPy scalars mix
with it) and refuses implicit conversion to NumPy (``np.asarray``). Its values live in a
NumPy array; ``.get()`` copies them out, as CuPy's does.

tests/test_strict_array.py runs the audited spec rows on it: every place where funcad would
mix a NumPy constant into a CuPy computation, or convert a CuPy value to NumPy, raises here.
"""

from __future__ import annotations

import contextlib
import types

import numpy as np

# creation functions called with like=StrictArray (NEP 35): their NumPy results are ours
_CREATION = {np.asarray, np.array, np.zeros, np.ones, np.empty, np.full, np.arange,
             np.eye, np.identity, np.asanyarray, np.ascontiguousarray}


class StrictArray:
    """An array of values that only meet their own kind (and scalars)."""

    __slots__ = ("_a",)

    def __init__(self, a):
        self._a = np.asarray(a)

    # -- conversions ----------------------------------------------------------
    def get(self) -> np.ndarray:
        return self._a.copy()

    def __array__(self, dtype=None, copy=None):
        raise TypeError("Implicit conversion to a NumPy array is not allowed "
                        "(StrictArray, like CuPy); use .get()")

    def __repr__(self):
        return f"StrictArray({self._a!r})"

    # -- attributes -----------------------------------------------------------
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    T = property(lambda self: StrictArray(self._a.T))
    real = property(lambda self: StrictArray(self._a.real))
    imag = property(lambda self: StrictArray(self._a.imag))

    def __len__(self):
        return len(self._a)

    def __bool__(self):                  # CuPy: a size-1 array answers (synchronising)
        return bool(self._a)

    def __float__(self):
        return float(self._a)

    def __int__(self):
        return int(self._a)

    def __index__(self):
        return self._a.__index__()

    def item(self):
        return self._a.item()

    def tolist(self):
        return self._a.tolist()

    # -- methods --------------------------------------------------------------
    def reshape(self, *shape, order="C"):
        return StrictArray(self._a.reshape(*shape, order=order))

    def astype(self, dtype, copy=True):
        return StrictArray(self._a.astype(dtype, copy=copy))

    def copy(self):
        return StrictArray(self._a.copy())

    def ravel(self, order="C"):
        return StrictArray(self._a.ravel(order))

    def transpose(self, *axes):
        return StrictArray(self._a.transpose(*axes))

    def conj(self):
        return StrictArray(self._a.conj())

    def sum(self, *args, **kwargs):
        return np.sum(self, *args, **kwargs)

    def __getitem__(self, idx):
        return _wrap(self._a[_unwrap_index(idx)])

    def __setitem__(self, idx, value):
        self._a[_unwrap_index(idx)] = _unwrap(value, "setitem")

    # -- the protocols --------------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if any(_foreign(x) for x in inputs):
            return NotImplemented        # a tracer, say: it takes over (as with CuPy)
        if method == "at":               # indices may be NumPy arrays, as CuPy allows
            a, idx, *rest = inputs
            getattr(ufunc, method)(_unwrap(a, "at"), _unwrap_index(idx),
                                   *[_unwrap(x, "at") for x in rest])
            return None
        ins = [_unwrap(x, ufunc.__name__) for x in inputs]
        if "out" in kwargs:
            kwargs["out"] = tuple(_unwrap(o, ufunc.__name__) for o in kwargs["out"])
        res = getattr(ufunc, method)(*ins, **kwargs)
        return None if method == "at" else _wrap(res)

    def __array_function__(self, func, types, args, kwargs):
        if func in _CREATION:            # np.asarray(x, like=strict) and friends
            return _wrap(func(*args, **kwargs))
        if not all(issubclass(t, (StrictArray, np.ndarray)) for t in types):
            return NotImplemented
        args = _unwrap(args, func.__name__)
        kwargs = _unwrap(kwargs, func.__name__)
        return _wrap(func(*args, **kwargs))


def _binary(name):
    uf = getattr(np, name)

    def op(self, other):
        return uf(self, other)

    def rop(self, other):
        return uf(other, self)
    return op, rop


for _n, _u in [("add", "add"), ("sub", "subtract"), ("mul", "multiply"),
               ("truediv", "true_divide"), ("pow", "power"), ("matmul", "matmul"),
               ("floordiv", "floor_divide"), ("mod", "remainder"), ("and", "bitwise_and"),
               ("or", "bitwise_or"), ("xor", "bitwise_xor")]:
    _op, _rop = _binary(_u)
    setattr(StrictArray, f"__{_n}__", _op)
    setattr(StrictArray, f"__r{_n}__", _rop)
for _n, _u in [("lt", "less"), ("le", "less_equal"), ("gt", "greater"),
               ("ge", "greater_equal"), ("eq", "equal"), ("ne", "not_equal")]:
    setattr(StrictArray, f"__{_n}__", _binary(_u)[0])
StrictArray.__neg__ = lambda self: np.negative(self)
StrictArray.__pos__ = lambda self: np.positive(self)
StrictArray.__abs__ = lambda self: np.absolute(self)
StrictArray.__invert__ = lambda self: np.invert(self)
StrictArray.__hash__ = None


def _foreign(x) -> bool:
    """Another library's array-like (a funcad tracer): not ours to compute with."""
    return (hasattr(x, "__array_ufunc__") and not isinstance(x, (StrictArray, np.ndarray,
                                                                  np.generic)))


def _unwrap(x, where):
    if type(x) is StrictArray:
        return x._a
    if type(x) is np.ndarray:
        raise TypeError(f"Unsupported type <class 'numpy.ndarray'> in {where} "
                        "(StrictArray, like CuPy, does not mix with NumPy arrays)")
    if isinstance(x, (list, tuple)):
        return type(x)(_unwrap(v, where) for v in x)
    if isinstance(x, dict):
        return {k: _unwrap(v, where) for k, v in x.items()}
    return x


def _unwrap_index(idx):
    """Indices may be NumPy arrays (CuPy accepts them as indices) or our own."""
    if isinstance(idx, tuple):
        return tuple(_unwrap_index(i) for i in idx)
    return idx._a if type(idx) is StrictArray else idx


def _wrap(r):
    if isinstance(r, (np.ndarray, np.generic)):      # CuPy: a reduction is a 0-d array
        return StrictArray(r)
    if isinstance(r, (tuple, list)):
        return type(r)(_wrap(v) for v in r)
    return r


class _ConstantsLike(types.ModuleType):
    """NumPy, except that its creation functions make arrays of another type (``make``)."""

    _MAKE = ("eye", "identity", "ones", "zeros", "full", "arange", "array", "tri",
             "linspace", "diag")

    def __init__(self, make):
        super().__init__("numpy")
        self._make = make

    def __getattr__(self, name):
        f = getattr(np, name)
        if name in self._MAKE:
            return lambda *args, **kwargs: self._make(f(*args, **kwargs))
        return f


@contextlib.contextmanager
def constants_like(modules, make=None):
    """While active, the ``np`` of each module in ``modules`` (the spec tables) makes its
    constants (``np.eye(n)``, ``np.arange(k)``...) with ``make`` (StrictArray, or
    ``cupy.asarray``): a row then runs as its author would write it for CuPy (``cp.eye(n)``),
    and a NumPy array that still meets a CuPy(-style) array was made inside funcad."""
    patched = [m for m in modules if getattr(m, "np", None) is np]
    for m in patched:
        m.np = _ConstantsLike(make or StrictArray)
    try:
        yield
    finally:
        for m in patched:
            m.np = np


def run_mode(fn, args, mode, convert, leaf=0, argnums=None, scale=0.9):
    """``fn`` at ``args`` made with ``convert`` (the identity, StrictArray, cupy.asarray), in
    one of the modes the CuPy tests compare: ``value``; ``grad`` of the sum of squares of
    output leaf ``leaf`` (in ``argnums``, default all); ``jvp`` along ones; ``vmap`` over two
    examples (``a`` and ``scale * a``)."""
    import funcad as fad
    import funcad.numpy as fnp
    from funcad import tree

    ins = [convert(a) for a in args]
    if mode == "value":
        return fn(*ins)
    if mode == "grad":
        nums = tuple(range(len(ins))) if argnums is None else argnums
        return fad.grad(lambda *a: fnp.sum(tree.leaves(fn(*a))[leaf] ** 2), argnums=nums)(*ins)
    if mode == "jvp":
        return fad.jvp(fn, tuple(ins), tuple(convert(np.ones(np.shape(a))) for a in args))
    return fad.vmap(fn)(*[convert(np.stack([a, scale * a])) for a in args])


def assert_same(got, ref, kind=StrictArray, to_numpy=StrictArray.get, err_msg=""):
    """``got`` (results on another array type) equals ``ref`` (NumPy's) leaf by leaf, and
    every non-scalar leaf is of type ``kind``."""
    from funcad import tree

    ref_leaves, got_leaves = tree.leaves(ref), tree.leaves(got)
    assert len(ref_leaves) == len(got_leaves), err_msg
    for r, g in zip(ref_leaves, got_leaves):
        if np.ndim(r):
            assert isinstance(g, kind), f"{type(g)} {err_msg}"
        g = to_numpy(g) if isinstance(g, kind) else g
        assert np.shape(g) == np.shape(r), err_msg
        np.testing.assert_allclose(g, r, rtol=1e-9, atol=1e-11, err_msg=err_msg)
