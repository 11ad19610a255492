"""Every way a traced value can turn into a constant either keeps tracing or raises an error
that names the user's own line; copies keep the derivative; formatting shows the value."""

from __future__ import annotations

import copy
import math
import operator
import pickle
import struct

import numpy as np
import pytest

import funcad as fad

X = np.array([1.5, -2.0, 0.25])
TRANSFORMS = ["grad", "jacfwd", "jacrev", "hessian", "vmap"]


def _apply(transform, f, x=X):
    """Run the scalar function ``f`` under ``transform`` ("vmap": vmap of grad)."""
    if transform == "vmap":
        return fad.vmap(fad.grad(f))(np.stack([x, 1.1 * x]))
    return getattr(fad, transform)(f)(x)


def _expected(transform, f_ref, x=X):
    return _apply(transform, f_ref, x)


# --- copies --------------------------------------------------------------------------------

def _deep(x):
    tree = {"a": x, "b": [x ** 2, (x * 3.0,)]}
    t = copy.deepcopy(tree)
    return np.sum(t["a"] * t["b"][0] + t["b"][1][0])


def _shallow(x):
    t = copy.copy([x, x ** 2])
    y = copy.copy(x ** 3)
    return np.sum(t[0] * t[1] + y)


def _deep_ref(x):
    return np.sum(x ** 3 + 3.0 * x)


def _shallow_ref(x):
    return np.sum(2.0 * x ** 3)


@pytest.mark.parametrize("transform", TRANSFORMS)
@pytest.mark.parametrize("f,ref", [(_deep, _deep_ref), (_shallow, _shallow_ref)])
def test_copies_keep_the_derivative(f, ref, transform):
    np.testing.assert_allclose(_apply(transform, f), _expected(transform, ref), rtol=1e-12)


@pytest.mark.parametrize("how", [copy.copy, copy.deepcopy, np.copy, lambda a: a.copy()])
def test_a_copy_is_a_new_array(how):
    def f(x):
        a = x * 2.0
        b = how(a)
        b += 1.0
        b[0] = 100.0
        return a
    np.testing.assert_allclose(fad.jacrev(f)(X), 2.0 * np.eye(3))
    np.testing.assert_allclose(fad.vmap(f)(np.stack([X, X])), np.stack([2 * X, 2 * X]))


@pytest.mark.parametrize("value", ["tracer", "tree"])
def test_pickle_raises(value):
    def f(x):
        pickle.dumps(x if value == "tracer" else {"w": [x]})
        return x.sum()
    with pytest.raises(TypeError, match="pickling a traced value"):
        fad.grad(f)(X)


# --- conversions that raise, each naming the line that asked for it -------------------------

def _item(x): return x[0].item() * x[0]
def _tolist(x): return x.tolist()[0] * x[0]
def _float(x): return float(x[0]) * x[0]
def _int(x): return int(x[0]) * x[0]
def _complex(x): return complex(x[0]) * x[0]
def _index(x): return operator.index(x[0]) * x[0]
def _round(x): return round(x[0]) * x[0]
def _mathexp(x): return math.exp(x[0]) * x[0]
def _mathfloor(x): return math.floor(x[0]) * x[0]
def _tobytes(x): return len(x.tobytes()) * x[0]
def _bytes(x): return len(bytes(x)) * x[0]
def _data(x): return len(x.data) * x[0]
def _ctypes(x): return x.ctypes.data * x[0]
def _interface(x): return len(x.__array_interface__) * x[0]
def _struct_attr(x): return len(x.__array_struct__) * x[0]
def _view_int(x): return x.view(np.int64)[0] * x[0]
def _np_float64(x): return np.float64(x[0]) * x[0]
def _asarray(x): return np.asarray(x)[0] * x[0]


RAISING = [
    (_item, ".item()"), (_tolist, ".tolist()"), (_float, "float()"), (_int, "int()"),
    (_complex, "complex()"), (_index, "use as an index"), (_round, "round()"),
    (_mathexp, "use np.exp"), (_mathfloor, "use np.floor"), (_tobytes, "x.tobytes()"),
    (_bytes, "bytes(x)"), (_data, "x.data"), (_ctypes, "x.ctypes"),
    (_interface, "x.__array_interface__"), (_struct_attr, "x.__array_struct__"),
    (_view_int, "x.view"), (_np_float64, "np.array/np.asarray"), (_asarray, "np.asarray"),
]


@pytest.mark.parametrize("transform", ["grad", "jacfwd", "jacrev", "hessian"])
@pytest.mark.parametrize("f,what", RAISING, ids=[f.__name__ for f, _ in RAISING])
def test_conversion_raises_naming_the_line(f, what, transform):
    with pytest.raises(fad.ConcretizationError) as e:
        _apply(transform, f)
    msg = str(e.value)
    assert what in msg
    assert f"test_conversions.py:{f.__code__.co_firstlineno}: def {f.__name__}(x)" in msg


@pytest.mark.parametrize("f,what", RAISING, ids=[f.__name__ for f, _ in RAISING])
def test_conversion_raises_under_vmap(f, what):
    with pytest.raises((TypeError, fad.BatchingError)):   # BatchingError: one number per example
        _apply("vmap", f)


def test_buffer_protocol_raises():
    for fn in (memoryview, np.frombuffer, lambda v: struct.pack("d", v[0])):
        with pytest.raises((TypeError, struct.error)):
            fad.grad(lambda x: fn(x) and x.sum())(X)


def test_attribute_probes_see_no_buffer():
    seen = {}

    def f(x):
        seen["probe"] = [hasattr(x, a) for a in ("__array_interface__", "__array_struct__",
                                                 "data", "ctypes")]
        return x.sum()
    fad.grad(f)(X)
    assert seen["probe"] == [False] * 4


# --- conversions that keep tracing ----------------------------------------------------------

@pytest.mark.parametrize("transform", TRANSFORMS)
def test_astype_int_is_a_zero_derivative_constant(transform):
    def f(x):
        return np.sum(x.astype(int) * x + x.astype(np.int32) + np.floor(x).astype(int))
    got = _apply(transform, f)
    ref = _apply(transform, lambda x: np.sum(np.array([1, -2, 0]) * x))
    np.testing.assert_allclose(got, ref)


@pytest.mark.parametrize("transform", TRANSFORMS)
def test_round_with_digits_keeps_tracing(transform):
    got = _apply(transform, lambda x: np.sum(round(x[0] * 1.0, 2) + x ** 2))
    np.testing.assert_allclose(got, _apply(transform, lambda x: np.sum(x ** 2)))


def test_int_index_of_an_integer_value_is_fine():
    np.testing.assert_allclose(fad.grad(lambda x: x[operator.index(np.argmax(x))])(X),
                               [1.0, 0.0, 0.0])


# --- formatting shows the value ------------------------------------------------------------

@pytest.mark.parametrize("transform", ["grad", "jacfwd", "jacrev", "hessian"])
def test_format_shows_the_primal(transform):
    seen = []

    def f(x):
        y = x[0]
        seen.append((f"{y:.3f}", format(x[1], ".2e"), f"{x[2]:>6.2f}", "%s" % y, str(y),
                     f"{y}"))
        return np.sum(x ** 3)
    _apply(transform, f)
    a, b, c, s, r, plain = seen[-1]
    assert (a, b, c) == ("1.500", "-2.00e+00", "  0.25")
    assert s == r == plain and "Tracer" in s


def test_format_under_vmap_names_the_problem():
    with pytest.raises(TypeError, match="batched by vmap"):
        fad.vmap(lambda x: f"{x:.2f}" and x)(X)


# --- what funcad cannot intercept: the error names the call the user wrote -------------------

def test_np_array_of_traced_scalars_names_the_call():
    def f(x):
        a, b = x[0], x[1]
        v = np.array([a, b])
        return v.sum()
    with pytest.raises(fad.TracerArrayConversionError) as e:
        fad.grad(f)(X)
    assert "v = np.array([a, b])" in str(e.value) and "fnp.array" in str(e.value)


def test_writing_into_a_plain_array_names_the_call():
    def f(x):
        buf = np.zeros(3)
        buf[0] = x[0]
        return buf.sum()
    for transform in ("grad", "jacfwd"):
        with pytest.raises(fad.ConcretizationError) as e:
            _apply(transform, f)
        assert "buf[0] = x[0]" in str(e.value) and "np.zeros_like(y)" in str(e.value)


def test_r_of_traced_scalars_names_the_call():
    def f(x):
        return np.r_[x[0], x[1]].sum()
    with pytest.raises(fad.TracerArrayConversionError) as e:
        fad.grad(f)(X)
    assert "np.r_[x[0], x[1]]" in str(e.value) and "fnp.r_" in str(e.value)


def test_math_function_names_numpy_spelling():
    def f(x):
        return math.sin(x[0]) * x[0]
    with pytest.raises(fad.ConcretizationError) as e:
        fad.grad(f)(X)
    assert "math.sin(x[0])" in str(e.value) and "np.sin" in str(e.value)
    with pytest.raises(fad.BatchingError) as e:
        fad.vmap(f)(np.stack([X, X]))
    assert "math.sin(x[0])" in str(e.value) and "np.sin" in str(e.value)


def test_scipy_function_calling_asarray_is_named():
    linalg = pytest.importorskip("scipy.linalg")

    def f(a):
        A = a.reshape(2, 2)
        E = linalg.expm(A)
        return E.sum()
    with pytest.raises(fad.TracerArrayConversionError) as e:
        fad.grad(f)(np.arange(4.0))
    msg = str(e.value)
    assert "scipy.linalg.expm called np.asarray" in msg
    assert "E = linalg.expm(A)" in msg and "funcad.scipy.linalg.expm" in msg
