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


# ---------------------------------------------------------------------------
# einsum: the sublist form and operands with a repeated index
# ---------------------------------------------------------------------------

_SUBLISTS = [
    ((2, 3), [0, 1], (3, 4), [1, 2], [0, 2]),
    ((2, 3), [0, 1], (3, 4), [1, 2]),                  # implicit output
    ((2, 3), [30, 1], (3, 4), [1, 0]),                 # implicit output sorted by label
    ((2, 3, 4), [..., 0, 1], (4,), [1], [..., 0]),
    ((2, 3, 4), [..., 1], (4,), [1]),
    ((3, 3), [0, 0], None, None, [0]),                  # a diagonal
    ((3, 3), [0, 0]),                                    # a trace
]


@pytest.mark.parametrize("case", _SUBLISTS, ids=[str(i) for i in range(len(_SUBLISTS))])
@pytest.mark.parametrize("spelling", ["np", "fnp"])
def test_einsum_sublist_matches_numpy_in_both_modes(case, spelling):
    einsum = np.einsum if spelling == "np" else fnp.einsum
    shapes = [c for c in case[0::2] if isinstance(c, tuple)]
    subs = [c for c in case[1::2] if c is not None] + ([case[-1]] if len(case) % 2 else [])
    ops = [_r(*s) for s in shapes]

    def args(*xs):
        out = []
        for x, sub in zip(xs, subs):
            out += [x, sub]
        return out + subs[len(xs):]
    want = np.einsum(*args(*ops))
    np.testing.assert_allclose(einsum(*args(*ops)), want)
    def f(*xs):
        return einsum(*args(*xs))
    v, t = fad.jvp(f, tuple(ops), tuple(ops))
    np.testing.assert_allclose(v, want)
    np.testing.assert_allclose(t, len(ops) * want)  # multilinear: the tangent along x is n f
    check_grads(lambda *xs: fnp.sum(fnp.sin(f(*xs))), ops, order=2)


def test_einsum_sublist_bad_label_says_what_is_allowed():
    with pytest.raises(ValueError, match=r"integers in \[0, 52\) or Ellipsis, got 'i'"):
        fad.grad(lambda a: fnp.sum(fnp.einsum(a, ["i", 0])))(np.ones((2, 2)))


@pytest.mark.parametrize("spec, shapes", [
    ("ii->", [(3, 3)]), ("ii->i", [(3, 3)]), ("iij->j", [(3, 3, 2)]), ("ij,jj->i", [(2, 3), (3, 3)]),
    ("iji->j", [(2, 3, 2)]), ("iii->", [(2, 2, 2)]), ("iik->", [(2, 2, 3)]),
    ("bii->b", [(2, 3, 3)]),
])
def test_einsum_repeated_index_vjp_is_the_closed_form(spec, shapes):
    ops = [_r(*s) for s in shapes]
    out, vjp = fad.vjp(lambda *xs: fnp.einsum(spec, *xs), *ops)
    g = _r(*np.shape(out))
    got = vjp(g)
    for k, x in enumerate(ops):     # <g, f(x + e_i)> - <g, f(x)>: einsum is linear in x
        want = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            e = [np.zeros_like(o) if m == k else o for m, o in enumerate(ops)]
            e[k][i] = 1.0
            want[i] = np.sum(g * np.einsum(spec, *e))
        np.testing.assert_allclose(got[k], want, rtol=1e-12, atol=1e-12)


def test_einsum_trace_hessian_and_vmap():
    a = _r(3, 3)
    h = fad.hessian(lambda a: fnp.einsum("ii->", a) ** 2)(a)
    np.testing.assert_allclose(h, 2 * np.einsum("ij,kl->ijkl", np.eye(3), np.eye(3)))
    gs = fad.vmap(fad.grad(lambda a: fnp.einsum("ii->", a @ a)))(np.stack([a, 2 * a]))
    np.testing.assert_allclose(gs, np.stack([2 * a.T, 4 * a.T]), rtol=1e-12)
