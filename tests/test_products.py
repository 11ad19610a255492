"""matmul's VJP on the layouts the table-driven specs do not reach, checked two ways:
against finite differences (check_grads) and against the closed form in NumPy."""

import numpy as np
import pytest

import funcad as fad
import funcad.numpy as fnp
from funcad.test_util import check_grads

RNG = np.random.default_rng(0)


def _r(*shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("xs, ys", [
    ((2, 3, 4), (4, 5)),          # stacked rows times a weight matrix: one GEMM for dW
    ((2, 1, 3, 4), (4, 2)),       # two batch axes
    ((2, 1, 3, 4), (5, 4, 2)),    # batch axes broadcast against each other
    ((0, 3, 4), (4, 2)),          # an empty batch
    ((3, 4), (2, 4, 5)),          # a matrix times a stack
])
def test_matmul_grads_batched(xs, ys):
    check_grads(lambda x, y: fnp.sum(fnp.sin(x @ y)), (_r(*xs), _r(*ys)), order=2)


def test_weight_grad_of_stacked_rows_is_the_closed_form():
    x, w = _r(2, 3, 4), _r(4, 5)
    g = fad.grad(lambda w: fnp.sum(fnp.tanh(x @ w)))(w)
    want = x.reshape(-1, 4).T @ (1 - np.tanh(x @ w) ** 2).reshape(-1, 5)
    np.testing.assert_allclose(g, want, rtol=1e-12, atol=1e-12)


def test_transposed_and_strided_operands():
    # operands that are views (transposed, sliced) give the same gradients as copies
    a, b = _r(5, 4), _r(6, 5)
    f = lambda a, b: fnp.sum((a.T @ b[::2].T) ** 2)
    ga, gb = fad.grad(f, argnums=(0, 1))(a, b)
    ga2, gb2 = fad.grad(f, argnums=(0, 1))(a.copy(), b.copy())
    np.testing.assert_array_equal(ga, ga2)
    np.testing.assert_array_equal(gb, gb2)
    check_grads(f, (a, b), order=2)


def test_constant_operand_as_list_and_inputs_unchanged():
    # a non-array constant operand (a nested list) is fine, and nothing is written in place
    w = _r(2, 3)
    w0 = w.copy()
    g = fad.grad(lambda w: fnp.sum(fnp.matmul([[1.0, 2.0]], w)))(w)
    np.testing.assert_array_equal(g, np.array([[1.0] * 3, [2.0] * 3]))
    np.testing.assert_array_equal(w, w0)


def test_float32_stays_float32():
    x, w = _r(3, 4, dtype=np.float32), _r(4, 2, dtype=np.float32)
    gx, gw = fad.grad(lambda x, w: fnp.sum(x @ w), argnums=(0, 1))(x, w)
    assert gx.dtype == np.float32 and gw.dtype == np.float32


def test_plain_arrays_go_straight_to_numpy():
    a, b = _r(2, 3), _r(3, 4)
    np.testing.assert_array_equal(fnp.matmul(a, b), a @ b)
    with pytest.raises(ValueError, match="dimension"):
        fnp.matmul(a, 2.0)


def test_zero_dimensional_traced_operand_is_an_error():
    with pytest.raises(ValueError, match="use \\* for scalars"):
        fad.grad(lambda s: fnp.sum(fnp.matmul(s, np.ones((2, 2)))))(1.0)
