"""np.copyto, put, place, putmask, fill_diagonal, put_along_axis into traced arrays: the
values NumPy computes, derivatives in both modes to order 2, vmap, and clear errors."""

import numpy as np
import pytest

import funcad as fad
from funcad.test_util import check_grads

X = np.array([[0.3, -1.2, 2.0], [0.7, 1.5, -0.4], [1.1, 0.2, 0.9]])


def _writers():
    # each writes into y = x * x (a traced array, in place) with a value depending on x
    def copyto(y, x):
        np.copyto(y, np.sin(x[0]), where=x > 0.5)

    def copyto_all(y, x):
        np.copyto(y, x[::-1] ** 3)

    def put(y, x):
        np.put(y, [0, 4, -1, 4], np.cos(x[1]))          # repeated 4: the last write wins

    def put_wrap(y, x):
        np.put(y, [10, -11], x[0, :2], mode="wrap")

    def put_clip(y, x):
        np.put(y, [100], x[2, 2] ** 2, mode="clip")

    def place(y, x):
        np.place(y, X > 0.5, np.exp(x[2, :2]))          # vals repeated over the mask

    def putmask(y, x):
        np.putmask(y, X < 0.5, 3.0 * x[0])               # values.flat[i % 3]

    def fill_diagonal(y, x):
        np.fill_diagonal(y, np.tanh(x[1]))

    def fill_diagonal_scalar(y, x):
        np.fill_diagonal(y, 2.0)

    def put_along_axis(y, x):
        np.put_along_axis(y, np.array([[2], [0], [1]]), x[:, :1] * 5.0, axis=1)

    def put_along_axis_none(y, x):
        np.put_along_axis(y, np.array([1, 7]), x[0, :2], axis=None)

    return [copyto, copyto_all, put, put_wrap, put_clip, place, putmask, fill_diagonal,
            fill_diagonal_scalar, put_along_axis, put_along_axis_none]


WRITERS = _writers()


def _program(write):
    def f(x):
        y = x * x
        write(y, x)
        return y * np.array([1.0, 2.0, 3.0])
    return f


@pytest.mark.parametrize("write", WRITERS, ids=lambda w: w.__name__)
def test_values_equal_numpy(write):
    f = _program(write)
    expect = f(X.copy())                        # plain NumPy
    out, _ = fad.vjp(f, X)
    np.testing.assert_allclose(out, expect, rtol=1e-14)
    np.testing.assert_allclose(fad.jvp(f, (X,), (np.ones_like(X),))[0], expect, rtol=1e-14)


@pytest.mark.parametrize("write", WRITERS, ids=lambda w: w.__name__)
def test_derivatives_both_modes_to_order_two(write):
    check_grads(_program(write), (X,), order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("write", WRITERS, ids=lambda w: w.__name__)
def test_vmap_matches_a_loop(write):
    f = _program(write)
    xs = np.stack([X, 2.0 * X, X - 1.0])
    np.testing.assert_allclose(fad.vmap(f)(xs), np.stack([f(x.copy()) for x in xs]))
    g = fad.grad(lambda x: np.sum(f(x) ** 2))
    np.testing.assert_allclose(fad.vmap(g)(xs), np.stack([g(x) for x in xs]), rtol=1e-12)


def test_the_last_write_wins_at_a_repeated_position():
    def f(v):
        y = np.zeros(3) * v[0]
        np.put(y, [1, 1], v)
        return y
    np.testing.assert_allclose(fad.jacfwd(f)(np.array([2.0, 5.0])), [[0, 0], [0, 1], [0, 0]])


def test_writes_through_a_view_reach_the_base():
    def f(x):
        y = x * 1.0
        np.fill_diagonal(y[:2, :2], 0.0)
        return y.sum()
    g = fad.grad(f)(X)
    expect = np.ones_like(X)
    expect[0, 0] = expect[1, 1] = 0.0
    np.testing.assert_array_equal(g, expect)


def test_an_input_written_in_place_is_not_mutated():
    x = X.copy()
    fad.grad(lambda x: (np.copyto(x, 0.0, where=X > 1.0), x.sum())[1])(x)
    np.testing.assert_array_equal(x, X)


def test_a_plain_destination_names_the_functional_spelling():
    with pytest.raises(fad.UnsupportedFunctionError, match=r"np.copyto: the destination is a plain NumPy array"
                                        r".*fnp.zeros_like.*fnp.where"):
        fad.grad(lambda x: (np.copyto(np.zeros(3), x), x.sum())[1])(np.ones(3))
    with pytest.raises(fad.UnsupportedFunctionError, match=r"np.put: .*plain NumPy array.*at\[idx\].set"):
        fad.grad(lambda x: (np.put(np.zeros(3), [0], x[0]), x.sum())[1])(np.ones(3))


def test_numpy_errors_are_kept():
    def bad_cast(x):
        y = x * 1.0
        np.copyto(y, (x + 1j))
        return y.sum()
    with pytest.raises(TypeError, match="cannot cast complex128 to float64.*casting='unsafe'"):
        fad.grad(bad_cast)(np.ones(2))
    with pytest.raises(IndexError, match="index 5 is out of bounds for an array of size 3"):
        fad.grad(lambda x: (np.put(x, [5], 1.0), x.sum())[1])(np.ones(3))
    with pytest.raises(ValueError, match="mask and data must be the same size"):
        fad.grad(lambda x: (np.putmask(x, np.array([True]), 1.0), x.sum())[1])(np.ones(3))
