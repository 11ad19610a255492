"""The numerical sharp bits of docs/sharp-bits.md, each one pinned by a test.

Derivatives at non-differentiable points (the chosen subgradients), the
``where`` trick, inf/NaN inputs, integer and bool arrays inside traced code,
the kinds of scalar inputs, non-contiguous and read-only inputs (never
mutated), very long tapes and very wide arrays.
"""

from __future__ import annotations

import os
import sys
import warnings

import numpy as np
import pytest

import funcad as fad

BIG_TAPE = int(os.environ.get("FUNCAD_BIG_TAPE", "1000000"))


def _rev(f, x):
    return np.asarray(fad.grad(f)(x))


def _fwd(f, x):
    return np.asarray(fad.jvp(f, (x,), (np.ones_like(np.asarray(x)),))[1])


def _both(f, x):
    """(reverse, forward) derivative of a scalar -> scalar function."""
    with np.errstate(all="ignore"):
        return float(_rev(f, x)), float(_fwd(f, x))


# ---------------------------------------------------------------------------
# 1. non-differentiable points: the subgradient funcad picks, in both modes
# ---------------------------------------------------------------------------

SUBGRADIENTS = [
    # (label, function, point, derivative funcad returns in both modes)
    ("abs at 0", np.abs, 0.0, 0.0),
    ("abs at -0.0", np.abs, -0.0, 0.0),
    ("relu np.maximum(x, 0) at 0", lambda x: np.maximum(x, 0.0), 0.0, 0.5),
    ("relu np.where(x > 0, x, 0) at 0", lambda x: np.where(x > 0, x, 0.0), 0.0, 0.0),
    ("maximum(x, 1) tie", lambda x: np.maximum(x, 1.0), 1.0, 0.5),
    ("minimum(x, 1) tie", lambda x: np.minimum(x, 1.0), 1.0, 0.5),
    ("maximum(x, x)", lambda x: np.maximum(x, x), 1.0, 1.0),
    ("clip at the upper edge", lambda x: np.clip(x, 0.0, 1.0), 1.0, 1.0),
    ("sign at 0", np.sign, 0.0, 0.0),
    ("floor (zero almost everywhere)", np.floor, 1.5, 0.0),
    ("sqrt at 0", np.sqrt, 0.0, np.inf),
    ("x ** 0.5 at 0", lambda x: x ** 0.5, 0.0, np.inf),
    ("log at 0", np.log, 0.0, np.inf),
    ("x ** 2 at 0", lambda x: x ** 2, 0.0, 0.0),
    ("0.0 ** y at y = 2 (d/dy)", lambda y: 0.0 ** y, 2.0, 0.0),
]


@pytest.mark.parametrize("label,f,x,want", SUBGRADIENTS, ids=[s[0] for s in SUBGRADIENTS])
def test_subgradient_choice(label, f, x, want):
    rev, fwd = _both(f, x)
    assert rev == want and fwd == want, f"{label}: reverse {rev}, forward {fwd}, want {want}"


def test_max_reduction_ties_split_evenly():
    x = np.array([1.0, 1.0, 0.0])
    np.testing.assert_array_equal(fad.grad(np.max)(x), [0.5, 0.5, 0.0])
    # forward mode: the tangent is the mean of the tied tangents
    assert float(fad.jvp(np.max, (x,), (np.array([1.0, 0.0, 5.0]),))[1]) == 0.5
    np.testing.assert_array_equal(fad.jacfwd(np.max)(x), fad.jacrev(np.max)(x))


def test_norm_at_zero_is_nan_and_the_safe_version():
    """sqrt(sum(x**2)) at 0 is 0 * inf = NaN in both modes; the double-where fixes it."""
    norm = lambda x: np.sqrt(np.sum(x ** 2))  # noqa: E731
    with np.errstate(all="ignore"):
        assert np.all(np.isnan(fad.grad(norm)(np.zeros(3))))

    def safe_norm(x):
        s = np.sum(x ** 2)
        nonzero = s > 0
        return np.where(nonzero, np.sqrt(np.where(nonzero, s, 1.0)), 0.0)

    np.testing.assert_array_equal(fad.grad(safe_norm)(np.zeros(3)), np.zeros(3))
    np.testing.assert_allclose(fad.grad(safe_norm)(np.array([3.0, 4.0])), [0.6, 0.8])


def test_jacobians_at_a_singular_entry():
    """0 * inf: a NaN row in jacfwd (singular output), a NaN column in jacrev (singular input)."""
    x = np.array([0.0, 1.0])
    with np.errstate(all="ignore"):
        jf, jr = fad.jacfwd(np.cbrt)(x), fad.jacrev(np.cbrt)(x)
    np.testing.assert_array_equal(jf, [[np.inf, np.nan], [0.0, 1 / 3]])
    np.testing.assert_array_equal(jr, [[np.inf, 0.0], [np.nan, 1 / 3]])


@pytest.mark.parametrize("e", [0, 0.0], ids=["int", "float"])
def test_power_with_zero_exponent_at_zero(e):
    rev, fwd = _both(lambda x: x ** e, 0.0)
    assert rev == 0.0 and fwd == 0.0


# ---------------------------------------------------------------------------
# 2. the where trick
# ---------------------------------------------------------------------------

X_WHERE = np.array([-1.0, 0.0, 4.0])


def _naive(x):
    return np.sum(np.where(x > 0, np.sqrt(x), 0.0))


def _double_where(x):
    pos = x > 0
    safe_x = np.where(pos, x, 1.0)          # the unused branch never sees a bad input
    return np.sum(np.where(pos, np.sqrt(safe_x), 0.0))


def test_where_value_is_not_poisoned():
    with np.errstate(all="ignore"):
        assert float(_naive(X_WHERE)) == 2.0
        v, _ = fad.value_and_grad(_naive)(X_WHERE)
    assert float(v) == 2.0      # the NaN of sqrt(-1) stays in the unused branch


def test_naive_where_poisons_the_reverse_gradient():
    """Reverse mode multiplies the zero cotangent of the unused branch by sqrt's inf/NaN."""
    with np.errstate(all="ignore"):
        g = fad.grad(_naive)(X_WHERE)
        t = fad.jacfwd(_naive)(X_WHERE)
    assert np.isnan(g[0]) and np.isnan(g[1]) and g[2] == 0.25
    # forward mode selects tangents, so the unused branch's NaN is dropped there
    np.testing.assert_array_equal(t, [0.0, 0.0, 0.25])


def test_double_where_gives_finite_gradients_in_every_mode():
    want = np.array([0.0, 0.0, 0.25])
    with warnings.catch_warnings():
        warnings.simplefilter("error")              # not even a warning
        np.testing.assert_array_equal(fad.grad(_double_where)(X_WHERE), want)
        np.testing.assert_array_equal(fad.jacfwd(_double_where)(X_WHERE), want)
        np.testing.assert_array_equal(fad.jacrev(_double_where)(X_WHERE), want)
        h = fad.hessian(_double_where)(X_WHERE)
    assert np.all(np.isfinite(h))
    np.testing.assert_allclose(np.diag(h), [0.0, 0.0, -0.25 / 2 / 4])


# ---------------------------------------------------------------------------
# 3. inf and NaN inputs propagate as numpy would
# ---------------------------------------------------------------------------

SPECIALS = np.array([1.0, np.inf, -np.inf, np.nan, 0.0])

DERIVATIVES = [  # (function, its derivative written in plain numpy)
    (np.sin, np.cos),
    (np.exp, np.exp),
    (np.tanh, lambda x: 1 - np.tanh(x) ** 2),
    (lambda x: 2.0 * x, lambda x: np.full_like(x, 2.0)),
    (np.arctan, lambda x: 1 / (1 + x ** 2)),
    (lambda x: x * x, lambda x: 2 * x),
]


@pytest.mark.parametrize("k", range(len(DERIVATIVES)))
def test_inf_nan_inputs_propagate(k):
    f, df = DERIVATIVES[k]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with np.errstate(all="ignore"):
            want = df(SPECIALS)
            got_rev = fad.grad(lambda x: np.sum(f(x)))(SPECIALS)
            y, got_fwd = fad.jvp(f, (SPECIALS,), (np.ones(5),))
            want_y = f(SPECIALS)
    np.testing.assert_array_equal(y, want_y)           # NaN == NaN here
    np.testing.assert_allclose(got_rev, want, rtol=1e-15)
    np.testing.assert_allclose(got_fwd, want, rtol=1e-15)


def test_inf_nan_in_reductions_and_vmap():
    x = np.array([[1.0, np.inf], [np.nan, 2.0]])
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(fad.vmap(np.sum)(x), np.sum(x, axis=1))
        np.testing.assert_array_equal(fad.grad(np.sum)(x), np.ones((2, 2)))
        g = fad.grad(np.max)(np.array([1.0, np.inf]))
    np.testing.assert_array_equal(g, [0.0, 1.0])


def test_inf_nan_never_raise_with_errstate_raise_off_the_traced_path():
    """Under np.errstate(all='raise') a traced op raises exactly where plain numpy would."""
    x = np.array([1.0, 0.0])
    with np.errstate(divide="raise"):
        with pytest.raises(FloatingPointError):
            np.log(x)
        with pytest.raises(FloatingPointError):
            fad.grad(lambda x: np.sum(np.log(x)))(x)
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(fad.grad(lambda x: np.sum(np.log(x)))(x), [1.0, np.inf])


# ---------------------------------------------------------------------------
# 4. integer and bool arrays inside traced functions
# ---------------------------------------------------------------------------

def test_integer_and_bool_arrays_inside_traced_code():
    x = np.linspace(0.0, 1.0, 4)
    idx = np.array([0, 2, 2])
    n = np.arange(4)
    cases = [
        (lambda x: np.sum(x[idx] * n[1:4]), [1.0, 0.0, 5.0, 0.0]),      # int index, int data
        (lambda x: np.sum(x[n > 1]), [0.0, 0.0, 1.0, 1.0]),             # constant bool mask
        (lambda x: np.sum(x[x > 0.5]), [0.0, 0.0, 1.0, 1.0]),           # traced bool mask
        (lambda x: np.sum(x * (x > 0.5)), [0.0, 0.0, 1.0, 1.0]),        # bool as a factor
        (lambda x: np.sum(x) / np.sum(x > 0.2), [1 / 3] * 4),           # int count
        (lambda x: x[np.argmax(x)] * 2.0, [0.0, 0.0, 0.0, 2.0]),        # int from argmax
        (lambda x: np.sum(np.where(n % 2 == 0, x, -x)), [1.0, -1.0, 1.0, -1.0]),
        (lambda x: np.sum(x ** (n + 1)), (n + 1) * x ** n),            # int exponents
        (lambda x: x[len(x) - 1] * x.shape[0], [0.0, 0.0, 0.0, 4.0]),   # shapes are ints
    ]
    for k, (f, want) in enumerate(cases):
        with np.errstate(all="ignore"):
            for mode in (fad.grad(f), fad.jacfwd(f), fad.jacrev(f)):
                np.testing.assert_allclose(mode(x), want, err_msg=f"case {k}")
        if k == 2:
            # a traced mask gives a data-dependent shape: vmap refuses it with a clear error
            with pytest.raises(fad.BatchingError):
                fad.vmap(fad.grad(f))(np.stack([x, x]))
            continue
        vm = fad.vmap(fad.grad(f))(np.stack([x, x]))
        np.testing.assert_allclose(vm, [want, want], err_msg=f"vmap case {k}")


def test_int_results_are_not_differentiated():
    with pytest.raises(TypeError, match="float"):
        fad.grad(lambda x: np.sum(x > 0))(np.ones(3))
    with pytest.raises(TypeError, match="1.0 instead of 1"):
        fad.grad(lambda x: x ** 2)(3)
    # an int argument that is not differentiated passes through unchanged
    g = fad.grad(lambda x, k: np.sum(x[:k] ** 2), argnums=0)(np.ones(4), 2)
    np.testing.assert_array_equal(g, [2.0, 2.0, 0.0, 0.0])
    with pytest.raises(TypeError):
        fad.grad(lambda x: float(x) * 2.0)(1.0)      # float() would drop the derivative


# ---------------------------------------------------------------------------
# 5. Python floats, numpy scalars, 0-d arrays
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("x", [3.0, np.float64(3.0), np.array(3.0), np.array([3.0])[0]],
                         ids=["float", "np.float64", "0-d", "array element"])
def test_scalar_kinds_give_the_same_results(x):
    f = lambda x: x ** 2 * np.sin(x)  # noqa: E731
    want = 2 * 3.0 * np.sin(3.0) + 9.0 * np.cos(3.0)
    g = fad.grad(f)(x)
    assert isinstance(g, np.ndarray) and g.shape == () and g.dtype == np.float64
    assert float(g) == pytest.approx(want, rel=1e-14)
    y, t = fad.jvp(f, (x,), (1.0,))
    assert float(t) == pytest.approx(want, rel=1e-14) and np.shape(y) == ()
    assert float(fad.hessian(f)(x)) == pytest.approx(float(fad.grad(fad.grad(f))(x)))


def test_float32_scalars_stay_float32():
    g = fad.grad(lambda x: x ** 2 * np.sin(x))(np.float32(3.0))
    assert g.dtype == np.float32
    g = fad.grad(lambda x: np.sum(x * 2.0))(np.ones(3, np.float32))
    assert g.dtype == np.float32


# ---------------------------------------------------------------------------
# 6. non-contiguous and read-only inputs; inputs are never mutated
# ---------------------------------------------------------------------------

def _f_views(x):
    return np.sum(np.tanh(x) * x[..., ::-1] ** 2)


def _views():
    base = np.linspace(-1.0, 1.0, 24).reshape(4, 6)
    ro = base.copy()
    ro.flags.writeable = False
    return {
        "strided": base[::2, ::3],
        "transposed": base.T,
        "fortran": np.asfortranarray(base),
        "negative_stride": base[::-1, ::-1],
        "read_only": ro,
        "broadcast_view": np.broadcast_to(base[0], (3, 6)),   # zero strides, read-only
    }


@pytest.mark.parametrize("name", list(_views()))
def test_non_contiguous_and_read_only_inputs(name):
    x = _views()[name]
    before = x.copy()
    want = fad.grad(_f_views)(np.ascontiguousarray(x))
    np.testing.assert_array_equal(fad.grad(_f_views)(x), want)
    np.testing.assert_allclose(fad.jacfwd(_f_views)(x), want, rtol=1e-13)
    np.testing.assert_allclose(fad.vmap(fad.grad(_f_views))(x[None]), want[None], rtol=1e-13)
    np.testing.assert_array_equal(x, before)


def test_inputs_are_never_mutated():
    def f(x):
        x[0] = 5.0          # rebinds the traced value; the caller's array is untouched
        x += 1.0
        x *= x
        return np.sum(x)

    transforms = {
        "grad": lambda x: fad.grad(f)(x),
        "jvp": lambda x: fad.jvp(f, (x,), (np.ones_like(x),)),
        "vjp": lambda x: fad.vjp(f, x)[1](1.0),
        "jacfwd": lambda x: fad.jacfwd(f)(x),
        "hessian": lambda x: fad.hessian(f)(x),
        "vmap": lambda x: fad.vmap(f)(x.reshape(1, -1)),
    }
    for name, t in transforms.items():
        x = np.array([1.0, 2.0, 3.0])
        before = x.copy()
        t(x)
        np.testing.assert_array_equal(x, before, err_msg=name)
    g = fad.grad(f)(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(g, [0.0, 6.0, 8.0])     # d/dx (x+1)^2, x[0] overwritten


def test_read_only_input_written_inside_the_function():
    x = np.array([1.0, 2.0, 3.0])
    x.flags.writeable = False

    def f(x):
        y = x * 1.0
        y[1] = 0.0
        return np.sum(y ** 2)

    np.testing.assert_array_equal(fad.grad(f)(x), [2.0, 0.0, 6.0])


# ---------------------------------------------------------------------------
# 7. zero-size arrays, other float widths, ndarray subclasses
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(0,), (0, 3)], ids=["0", "0x3"])
def test_zero_size_inputs(shape):
    x = np.zeros(shape)
    f = lambda x: np.sin(x) * 2.0  # noqa: E731
    s = lambda x: np.sum(x ** 3)  # noqa: E731
    assert fad.grad(s)(x).shape == shape
    assert fad.jacfwd(f)(x).shape == shape + shape        # raised ValueError before
    assert fad.jacrev(f)(x).shape == shape + shape
    assert fad.hessian(s)(x).shape == shape + shape
    assert fad.jvp(f, (x,), (x,))[1].shape == shape
    assert fad.vmap(f)(np.zeros((0, 3))).shape == (0, 3)
    assert fad.jacfwd(np.sum)(x).shape == shape


@pytest.mark.parametrize("dt", [np.float16, np.longdouble])
def test_other_float_widths_keep_their_dtype(dt):
    x = np.array([0.5, 1.0], dt)
    g = fad.grad(lambda x: np.sum(np.sin(x) * x))(x)
    assert g.dtype == dt
    np.testing.assert_allclose(g.astype(float), np.cos([0.5, 1.0]) * [0.5, 1.0] +
                               np.sin([0.5, 1.0]), rtol=2e-3 if dt == np.float16 else 1e-12)


def test_masked_array_input_is_rejected_or_respected():
    x = np.ma.array([1.0, 2.0], mask=[False, True])
    f = lambda x: np.sum(np.sin(x) * x)  # noqa: E731
    try:
        g = fad.grad(f)(x)
    except TypeError:
        return                       # a clear error is an acceptable answer
    assert np.asarray(g)[1] == 0.0   # the masked entry does not influence f(x)


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
def test_matrix_input_is_rejected():
    m = np.matrix([[1.0, 2.0]])
    f = lambda x: np.sum(np.sin(x) * x)  # noqa: E731
    with pytest.raises(ValueError):
        f(m)                         # plain NumPy: (1,2) @ (1,2) is not aligned
    with pytest.raises(TypeError):
        fad.grad(f)(m)


# ---------------------------------------------------------------------------
# 8. very long tapes and very wide arrays
# ---------------------------------------------------------------------------

def test_very_long_tape_no_recursion():
    """grad of a chain of BIG_TAPE ops (a million by default; FUNCAD_BIG_TAPE=N to change)."""
    steps = BIG_TAPE // 2

    def chain(x):
        y = x
        for _ in range(steps):
            y = y * 0.9999999 + 1e-7       # two tape entries per step
        return y

    old = sys.getrecursionlimit()
    sys.setrecursionlimit(200)    # the backward sweep is a loop: no deep recursion anywhere
    try:
        g = fad.grad(chain)(0.5)
    finally:
        sys.setrecursionlimit(old)
    assert float(g) == pytest.approx(0.9999999 ** steps, rel=1e-9)


def test_very_wide_arrays():
    n = 10 ** 7
    x = np.linspace(-1.0, 1.0, n)
    g = fad.grad(lambda x: np.sum(np.sin(x) * x))(x)
    assert g.shape == (n,)
    idx = np.array([0, n // 3, n - 1])
    np.testing.assert_allclose(g[idx], np.cos(x[idx]) * x[idx] + np.sin(x[idx]), rtol=1e-12)
    del g
    _, t = fad.jvp(lambda x: np.mean(np.tanh(x)), (x,), (np.ones(n),))
    assert float(t) == pytest.approx(float(np.mean(1 - np.tanh(x) ** 2)), rel=1e-12)
