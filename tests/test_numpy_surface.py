"""The funcad.numpy surface a NumPy user expects: lists and tuples of traced values wherever
NumPy takes an array, ``r_`` / ``c_``, every dtype name and alias NumPy has, ``astype`` to
integer and bool types, and ``np.vectorize`` named in its error."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import funcad as fad
import funcad.numpy as fnp
from funcad._core import full_lower
from funcad.errors import TracerArrayConversionError

A, B, C = 0.3, 0.7, 0.9

# ---------------------------------------------------------------------------
# lists and tuples holding traced values
# ---------------------------------------------------------------------------

# name -> f(xp, a, b, c): the same call with NumPy on floats and with fnp on traced values
SEQUENCE_CALLS = {
    "mean": lambda xp, a, b, c: xp.mean([a, b]),
    "std": lambda xp, a, b, c: xp.std([a, b, 0.0]),
    "var_tuple": lambda xp, a, b, c: xp.var((a, b, c), ddof=1),
    "sum": lambda xp, a, b, c: xp.sum([a, b]),
    "prod": lambda xp, a, b, c: xp.prod((a, b, c)),
    "max": lambda xp, a, b, c: xp.max([a, b, c]),
    "median": lambda xp, a, b, c: xp.median([a, b, c]),
    "array_2d": lambda xp, a, b, c: xp.array([[a, b], [c, 1.0]]),
    "array_dtype": lambda xp, a, b, c: xp.array([a, b], dtype=np.float32),
    "asarray": lambda xp, a, b, c: xp.asarray([a, b]),
    "concatenate_ragged": lambda xp, a, b, c: xp.concatenate([[a], [b, c]]),
    "concatenate_mixed": lambda xp, a, b, c: xp.concatenate([xp.ones(2) * a, [b, c]]),
    "stack": lambda xp, a, b, c: xp.stack([[a, b], [c, 1.0]], axis=1),
    "hstack": lambda xp, a, b, c: xp.hstack([a, [b, c]]),
    "vstack": lambda xp, a, b, c: xp.vstack([[a, b], [c, 1.0]]),
    "column_stack": lambda xp, a, b, c: xp.column_stack([[a, b], [c, 1.0]]),
    "dstack": lambda xp, a, b, c: xp.dstack([[a, b], [c, 1.0]]),
    "dot": lambda xp, a, b, c: xp.dot([a, b], [c, 2.0]),
    "matmul": lambda xp, a, b, c: xp.matmul([[a, b], [c, 1.0]], [1.0, 2.0]),
    "outer": lambda xp, a, b, c: xp.outer([a, b], (c, 1.0)),
    "einsum": lambda xp, a, b, c: xp.einsum("i,i->", [a, b], [c, 1.0]),
    "exp": lambda xp, a, b, c: xp.exp([a, b]),
    "add": lambda xp, a, b, c: xp.add([a, b], c),
    "where": lambda xp, a, b, c: xp.where([True, False], [a, b], c),
    "average": lambda xp, a, b, c: xp.average([a, b], weights=[c, 1.0]),
    "cumsum": lambda xp, a, b, c: xp.cumsum([a, b, c]),
    "polyval": lambda xp, a, b, c: xp.polyval([a, b, c], 2.0),
    "interp": lambda xp, a, b, c: xp.interp(0.25, [0.0, 1.0], [a, b]),
    "sort": lambda xp, a, b, c: xp.sort([c, a, b]),
    "diag": lambda xp, a, b, c: xp.diag([a, b]),
    "clip": lambda xp, a, b, c: xp.clip([a, b, c], 0.5, 0.8),
    "reshape": lambda xp, a, b, c: xp.reshape([a, b], (2, 1)),
    "trapezoid": lambda xp, a, b, c: xp.trapezoid([a, b, c]),
    "linalg_norm": lambda xp, a, b, c: xp.linalg.norm([a, b]),
    "linalg_det": lambda xp, a, b, c: xp.linalg.det([[a, b], [c, 1.0]]),
    "fft": lambda xp, a, b, c: xp.fft.fft([a, b, c]).real,
}


def _traced_value_and_grads(f, args):
    """``f(*args)`` computed on traced values (its NumPy value), and the gradient of the sum
    of its squares with respect to every argument."""
    seen = {}

    def g(*a):
        out = f(*a)
        seen["value"] = full_lower(out)
        return (out * out).sum()
    grads = fad.grad(g, argnums=tuple(range(len(args))))(*args)
    return seen["value"], grads


@pytest.mark.parametrize("name", sorted(SEQUENCE_CALLS))
def test_fnp_functions_accept_lists_of_traced_values(name):
    call = SEQUENCE_CALLS[name]
    want = call(np, A, B, C)
    got, grads = _traced_value_and_grads(lambda a, b, c: call(fnp, a, b, c), (A, B, C))
    assert got.shape == np.shape(want) and got.dtype == np.asarray(want).dtype
    np.testing.assert_allclose(got, want, rtol=1e-12)
    h, tol = (1e-6, 1e-5) if got.dtype == np.float64 else (1e-2, 1e-2)   # float32: coarse

    def sq(*v):
        return (np.asarray(call(np, *v), dtype=np.float64) ** 2).sum()
    fd = [(sq(*[v + h * (i == j) for j, v in enumerate((A, B, C))])
           - sq(*[v - h * (i == j) for j, v in enumerate((A, B, C))])) / (2 * h)
          for i in range(3)]
    np.testing.assert_allclose([float(g) for g in grads], fd, rtol=tol, atol=1e-8)


def test_lists_of_traced_values_under_forward_mode_vmap_and_hessian():
    def f(a, b):
        return fnp.std([a, b, 0.0]) + fnp.concatenate([[a], [b, a * b]]).sum()
    x = np.array([0.4, 1.3])

    def g(v):
        return f(v[0], v[1])
    h = fad.hessian(g)(x)
    np.testing.assert_allclose(h, fad.jacfwd(fad.jacrev(g))(x))
    np.testing.assert_allclose(fad.vmap(g)(np.stack([x, x[::-1]])), [g(x), g(x[::-1])])
    np.testing.assert_allclose(fad.jacfwd(g)(x), fad.grad(g)(x))


def test_numpy_calls_with_a_traced_array_convert_the_lists_next_to_it():
    x0 = np.array([0.5, 2.0])
    calls = {
        "concatenate": lambda x, a: np.concatenate([x, [a, 2 * a]]).sum(),
        "dot": lambda x, a: np.dot(x, [a, 1.0]),
        "add": lambda x, a: np.add(x, [a, 1.0]).sum(),
        "stack": lambda x, a: np.stack([x, [a, a]]).sum(),
        "where": lambda x, a: np.where(x > 1, x, [a, a]).sum(),
    }
    for name, f in calls.items():
        gx, ga = fad.grad(f, argnums=(0, 1))(x0, 0.5)
        fx = lambda v: f(v, 0.5)  # noqa: E731
        np.testing.assert_allclose(
            gx, [(fx(x0 + e * 1e-6) - fx(x0 - e * 1e-6)) / 2e-6 for e in np.eye(2)],
            rtol=1e-6, err_msg=name)
        np.testing.assert_allclose(ga, (f(x0, 0.5 + 1e-6) - f(x0, 0.5 - 1e-6)) / 2e-6,
                                   rtol=1e-6, err_msg=name)


def test_a_list_that_cannot_be_converted_still_raises_the_conversion_error():
    # a traced value inside an object array / a call NumPy makes itself: the original error
    with pytest.raises(TracerArrayConversionError):
        fad.grad(lambda a: fnp.sum(np.array([a, 1.0])))(A)


def test_rule_tables_and_ops_keep_the_unwrapped_functions():
    """Only the public names pay for list conversion; the dunders and rules do not."""
    from funcad import _core
    from funcad.numpy import _reductions
    assert _core.ops.sum is _reductions.sum
    assert _core.function_table[np.sum] is _reductions.sum
    assert fnp.sum.__wrapped__ is _reductions.sum
    assert fnp.sum.__doc__ == _reductions.sum.__doc__


# ---------------------------------------------------------------------------
# r_ and c_
# ---------------------------------------------------------------------------

# f(R, a, x, m) with R one of np, fnp
INDEX_TRICKS = [
    lambda R, a, x, m: R.r_[a, 2.0, x],
    lambda R, a, x, m: R.r_[x, 0:3, -1:1:5j],
    lambda R, a, x, m: R.r_[0:a:4j, x],
    lambda R, a, x, m: R.r_[a:5.0:1.5, x],
    lambda R, a, x, m: R.r_[[a, 1.0], x],
    lambda R, a, x, m: R.r_["0,2", x, x * a],
    lambda R, a, x, m: R.r_["1,2,0", x, x * a],
    lambda R, a, x, m: R.r_["0,2,0", x, [1.0, 2.0, 3.0]],
    lambda R, a, x, m: R.r_["-1", m, m * a],
    lambda R, a, x, m: R.r_["1", m, m * a],
    lambda R, a, x, m: R.r_["0,3,1", m, m * a],
    lambda R, a, x, m: R.r_["r", x, a],
    lambda R, a, x, m: R.r_["c", x, a],
    lambda R, a, x, m: R.r_[(x * a).astype(np.float32), 2.0],
    lambda R, a, x, m: R.c_[x, x * a],
    lambda R, a, x, m: R.c_[x, 1:4, 0:1:3j],
    lambda R, a, x, m: R.c_[m, m * a],
    lambda R, a, x, m: R.c_[m.T, [1.0, 2.0, 3.0]],
    lambda R, a, x, m: R.c_[a, a, 2.0],
]


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")   # np.r_['r', ...]: np.matrix
@pytest.mark.parametrize("k", range(len(INDEX_TRICKS)))
def test_r_and_c_match_numpy_and_differentiate(k):
    f = INDEX_TRICKS[k]
    a0, x0, m0 = 0.7, np.array([1.0, 2.0, 3.0]), np.arange(6.0).reshape(2, 3)
    want = np.asarray(f(np, a0, x0, m0))
    got, grads = _traced_value_and_grads(lambda a, x, m: f(fnp, a, x, m), (a0, x0, m0))
    assert (got.shape, got.dtype) == (want.shape, want.dtype)
    np.testing.assert_allclose(got, want)
    if got.dtype != np.float64:
        return                 # float32: the finite differences below would be too coarse
    h = 1e-6
    fd = ((np.asarray(f(np, a0 + h, x0, m0)) ** 2).sum()
          - (np.asarray(f(np, a0 - h, x0, m0)) ** 2).sum()) / (2 * h)
    np.testing.assert_allclose(float(grads[0]), fd, rtol=1e-4, atol=1e-6)
    fad.check_grads(lambda a: f(fnp, a, x0, m0), (a0,), order=2)


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
def test_r_and_c_on_plain_values_are_numpys_and_work_under_vmap():
    assert fnp.r_[1:4, 0.5].tolist() == np.r_[1:4, 0.5].tolist()
    assert isinstance(fnp.r_["r", [1.0, 2.0]], np.matrix)    # NumPy's own, untraced
    got = fad.vmap(lambda x: fnp.r_[x, 0.0, x ** 2])(np.array([[1.0, 2.0], [3.0, 4.0]]))
    np.testing.assert_array_equal(got, [[1, 2, 0, 1, 4], [3, 4, 0, 9, 16]])
    got = fad.vmap(lambda x: fnp.c_[x, 2 * x])(np.array([[1.0, 2.0], [3.0, 4.0]]))
    np.testing.assert_array_equal(got[1], [[3, 6], [4, 8]])


@pytest.mark.parametrize("directive", ["x", "0,2,0,1", "1,", "a,b"])
def test_r_unknown_directive_is_named(directive):
    with pytest.raises(ValueError, match=f"unknown special directive '{directive}'"):
        fad.grad(lambda a: fnp.r_[directive, a, a].sum())(1.0)
    with pytest.raises(ValueError, match=f"unknown special directive '{directive}'"):
        fnp.r_[directive, 1.0, 2.0]
    with pytest.raises(ValueError, match="must be the first entry"):
        fnp.r_[1.0, "0,2"]


def test_r_c_docstrings():
    assert "linspace" in fnp.r_.__doc__ and "columns" in fnp.c_.__doc__


# ---------------------------------------------------------------------------
# every dtype name and alias NumPy has
# ---------------------------------------------------------------------------

def _numpy_public():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in dir(np):
            if not name.startswith("_"):
                yield name, getattr(np, name, None)


def test_every_numpy_dtype_name_is_a_funcad_numpy_name():
    names = [n for n, obj in _numpy_public()
             if isinstance(obj, type) and issubclass(obj, np.generic)]
    assert {"longdouble", "complex128", "float16", "int8", "bool_", "intp", "uint"} <= set(names)
    missing = [n for n in names if getattr(fnp, n, None) is not getattr(np, n)]
    assert not missing, f"NumPy dtype names that funcad.numpy lacks: {missing}"
    assert fnp.dtype is np.dtype and fnp.finfo is np.finfo


def test_every_alias_of_a_routed_function_is_a_funcad_numpy_name():
    """np.acos, np.pow, np.concat, np.row_stack (where NumPy still has it) ...: every NumPy
    name of a function funcad routes is a funcad.numpy name that routes the same way."""
    from funcad import _core
    missing = []
    for name, obj in _numpy_public():
        try:
            routed = (_core.ufunc_table if isinstance(obj, np.ufunc)
                      else _core.function_table).get(obj)
        except TypeError:
            continue
        if routed is not None and not callable(getattr(fnp, name, None)):
            missing.append(name)
    assert not missing, f"NumPy aliases funcad.numpy lacks: {missing}"
    x = np.array([0.2, 0.5])
    np.testing.assert_allclose(fad.grad(lambda x: fnp.acos(x).sum())(x),
                               -1 / np.sqrt(1 - x ** 2))
    np.testing.assert_allclose(fad.grad(lambda x: fnp.pow(x, 3.0).sum())(x), 3 * x ** 2)
    if hasattr(np, "row_stack"):
        assert fnp.row_stack([x, x]).shape == (2, 2)


def test_plain_numpy_utilities_are_there():
    for name in ["s_", "index_exp", "mgrid", "ogrid", "promote_types", "isscalar",
                 "tril_indices", "hanning", "printoptions", "True_", "typecodes"]:
        if hasattr(np, name):
            assert getattr(fnp, name) is getattr(np, name), name


# ---------------------------------------------------------------------------
# astype to integer and bool types: a zero-derivative constant
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [int, bool, np.int32, "i8", "int16", np.uint8])
def test_astype_to_integer_or_bool_is_a_constant(dtype):
    x = np.array([1.7, 2.2, 3.5])
    want = x.astype(dtype)

    def f(x):
        k = x.astype(dtype)
        assert k.dtype == np.dtype(dtype)
        return (k * x).sum()
    np.testing.assert_allclose(fad.grad(f)(x), want)
    np.testing.assert_allclose(fad.jvp(f, (x,), (np.ones(3),))[1], want.sum())
    np.testing.assert_array_equal(fad.vmap(lambda v: v.astype(dtype))(np.stack([x, x])),
                                  [want, want])
    np.testing.assert_allclose(fad.vmap(fad.grad(f))(np.stack([x, x])), [want, want])
    np.testing.assert_allclose(fad.hessian(f)(x), np.zeros((3, 3)))
    # every spelling: the method with NumPy's keywords, np.astype, fnp.astype
    g = fad.grad(lambda x: (x.astype(dtype, order="C", casting="unsafe", copy=False) * x).sum())
    np.testing.assert_allclose(g(x), want)
    np.testing.assert_allclose(fad.grad(lambda x: (np.astype(x, dtype) * x).sum())(x), want)
    np.testing.assert_allclose(fad.grad(lambda x: (fnp.astype(x, dtype) * x).sum())(x), want)
    _, t = fad.jvp(lambda x: x.astype(dtype), (x,), (np.ones(3),))
    assert not np.any(np.asarray(t))


# ---------------------------------------------------------------------------
# np.vectorize
# ---------------------------------------------------------------------------

def _relu_squared(v):
    return v * v if v > 0 else 0.0


@pytest.mark.parametrize("transform", ["grad", "jacfwd", "vmap"])
def test_np_vectorize_on_a_traced_value_names_it_and_the_fix(transform):
    f = np.vectorize(_relu_squared)
    t = {"grad": lambda g: fad.grad(lambda x: g(x).sum()), "jacfwd": fad.jacfwd,
         "vmap": fad.vmap}[transform]
    with pytest.raises(TracerArrayConversionError,
                       match=r"np.vectorize\(_relu_squared\).*array operations.*fnp.where"
                             r".*fad.vmap\(_relu_squared\)"):
        t(f)(np.array([1.0, -2.0]))
    with pytest.raises(AttributeError, match="vectorize.*fad.vmap"):
        fnp.vectorize  # noqa: B018
    # the fix it names works
    g = fad.grad(lambda x: fnp.where(x > 0, x * x, 0.0).sum())(np.array([1.0, -2.0]))
    np.testing.assert_array_equal(g, [2.0, 0.0])
    # other conversions keep the general message
    with pytest.raises(TracerArrayConversionError, match="funcad.numpy.asarray"):
        fad.grad(lambda x: np.asarray(x).sum())(np.ones(2))
