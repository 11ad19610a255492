"""Writes through views and in-place operators give NumPy's value and the right derivative
under every transform.

Each case is a function written the NumPy way (views, ``+=``, ``out=``) and the same function
written without any mutation. The first must equal plain NumPy on a plain array, and under
grad/jacfwd/jacrev/hessian/jvp/vmap it must agree with the second.
"""

from __future__ import annotations

import numpy as np
import pytest

import funcad as fad
import funcad.numpy as fnp

X = np.array([3.0, 1.0, -2.0, 0.5])


def _cat(*parts):
    return fnp.concatenate([fnp.reshape(p, (-1,)) for p in parts])


def _reproducer_array(x):
    A = x * 1.0
    r = A[:1]
    r += 5 * x[:1]
    return A


def _reproducer(x):
    return _reproducer_array(x)[0]


def _reproducer_nl(x):
    A = _reproducer_array(x)
    return A[0] * A[1]


def _base_write(x):
    A = x * 1.0
    r = A[:2]
    A[0] = 7.0 * x[1] ** 2
    return r


def _view_of_view(x):
    A = x * 1.0
    r = A[1:]
    s = r[:2]
    s *= x[:2]
    return A


def _row(x):
    M = np.reshape(x * 1.0, (2, 2)).T      # M[:, 0] = x[0], x[1]
    M = M * 1.0                            # a fresh array: M = [[x0, x2], [x1, x3]]
    col = M[:, 0]
    col += M[:, 1] ** 2
    return M.T.reshape(-1)


def _alias(x):
    a = x * 2.0
    b = a
    b += x ** 2
    return a


def _transposed(x):
    M = (x * 1.0).reshape(2, 2)
    T = M.T
    T[0] = M[:, 0] ** 2                    # writes M[0, 0] and M[1, 0] (x0, x2)
    return M.reshape(-1)


def _reshaped(x):
    A = x * 1.0
    M = A.reshape(2, 2)
    M[1] *= 3.0 * x[0]
    return A


def _reshape_copy(x):
    M = (x.reshape(2, 2) * 1.0).T * 1.0    # an F-ordered result: reshape copies in NumPy
    v = M.reshape(-1)
    v[0] = 100.0
    return M.T.reshape(-1)


def _ravel(x):
    A = (x * 1.0).reshape(2, 2)
    r = np.ravel(A)
    r[0] *= x[3]
    return A.ravel()


def _squeezed(x):
    A = x[None, :] * 1.0
    s = np.squeeze(A)
    s += x ** 3
    return A[0]


def _diag(x):
    A = (x * 1.0).reshape(2, 2)
    d = A.diagonal()
    A[0, 0] = 5.0 * x[3] ** 2
    return d


def _ellipsis(x):
    A = (x * 1.0)[None]
    v = A[..., 0]                          # shape (1,): a view
    v *= A[0, 1]
    return A[0]


def _out_buffer(x):
    buf = x * 0.0
    r = np.add(x, x ** 2, out=buf)
    assert r is buf
    return buf


def _out_view(x):
    A = x * 1.0
    np.multiply(x[:2], x[2:], out=A[:2])
    return A


def _all_ops(x):
    a = x * 1.0
    a += x[0]
    a -= 1.0
    a *= x[1]
    a /= 2.0
    a **= 2
    return a


def _setitem_view(x):
    A = x * 1.0
    r = A[1:3]
    r[0] = x[3] ** 2
    return A


def _copied(x):
    a = x * 2.0
    b = a.copy()
    b += 1.0
    return a


def _np_views(x):
    A = x * 1.0
    B = np.atleast_2d(A)
    B[0, 0] = 5.0 * x[1]
    C = np.permute_dims(A.reshape(2, 2), (1, 0))
    C[0, 1] *= 2.0                         # A[2]
    D = np.matrix_transpose(np.reshape(A, (2, 2)))
    D[1, 0] += x[0]                        # A[1]
    E = np.expand_dims(np.moveaxis(A.reshape(2, 2), 0, 1), 0)
    E[0, 1, 1] *= x[0]                     # A[3]
    F = np.reshape(A, shape=(4,), copy=True)
    F[0] = 0.0
    return A


def _loop(x):
    A = x * 1.0
    for i in range(1, 4):
        r = A[i:i + 1]
        r += A[i - 1]
    return A


# (name, in-place function, functional reference); inputs have shape (4,)
CASES = [
    ("issue_reproducer",
     _reproducer,
     lambda x: 6.0 * x[0]),
    ("issue_reproducer_nonlinear",
     _reproducer_nl,
     lambda x: 6.0 * x[0] * x[1]),
    ("base_write_seen_by_view",
     _base_write,
     lambda x: _cat(7.0 * x[1] ** 2, x[1])),
    ("view_of_view",
     _view_of_view,
     lambda x: _cat(x[0], x[1] * x[0], x[2] * x[1], x[3])),
    ("row_of_matrix",
     _row,
     lambda x: _cat(x[0] + x[2] ** 2, x[1] + x[3] ** 2, x[2], x[3])),
    ("alias_iadd",
     _alias,
     lambda x: x * 2.0 + x ** 2),
    ("transpose_view",
     _transposed,
     lambda x: _cat(x[0] ** 2, x[1], x[2] ** 2, x[3])),
    ("reshape_view",
     _reshaped,
     lambda x: _cat(x[0], x[1], 3.0 * x[2] * x[0], 3.0 * x[3] * x[0])),
    ("reshape_of_transpose_is_a_copy",
     _reshape_copy,
     lambda x: x * 1.0),
    ("ravel_writes_through",
     _ravel,
     lambda x: _cat(x[0] * x[3], x[1], x[2], x[3])),
    ("squeeze_view",
     _squeezed,
     lambda x: x + x ** 3),
    ("diagonal_sees_base_write",
     _diag,
     lambda x: _cat(5.0 * x[3] ** 2, x[3])),
    ("ellipsis_and_newaxis",
     _ellipsis,
     lambda x: _cat(x[0] * x[1], x[1], x[2], x[3])),
    ("ufunc_out_traced_buffer",
     _out_buffer,
     lambda x: x + x ** 2),
    ("ufunc_out_into_view",
     _out_view,
     lambda x: _cat(x[0] * x[2], x[1] * x[3], x[2], x[3])),
    ("all_inplace_operators",
     _all_ops,
     lambda x: ((((x + x[0]) - 1.0) * x[1]) / 2.0) ** 2),
    ("setitem_on_a_view_writes_base",
     _setitem_view,
     lambda x: _cat(x[0], x[3] ** 2, x[2], x[3])),
    ("copy_does_not_alias",
     _copied,
     lambda x: x * 2.0),
    ("numpy_view_functions",
     _np_views,
     lambda x: _cat(5.0 * x[1], x[1] + x[0], 2.0 * x[2], x[3] * x[0])),
    ("loop_of_slices",
     _loop,
     lambda x: _cat(x[0], x[1] + x[0], x[2] + x[1] + x[0], x[3] + x[2] + x[1] + x[0])),
]


def _check_reference(f, ref):
    """The reference is NumPy's own answer (so it pins what the transforms must give)."""
    x = X.copy()
    np.testing.assert_allclose(f(x), ref(X), rtol=1e-12)
    np.testing.assert_array_equal(x, X)


@pytest.mark.parametrize("transform", ["jacfwd", "jacrev", "hessian"])
@pytest.mark.parametrize("name,f,ref", CASES, ids=[c[0] for c in CASES])
def test_derivatives(name, f, ref, transform):
    _check_reference(f, ref)
    T = getattr(fad, transform)
    np.testing.assert_allclose(T(f)(X), T(ref)(X), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name,f,ref", CASES, ids=[c[0] for c in CASES])
def test_grad_and_jvp(name, f, ref):
    _check_reference(f, ref)
    if np.ndim(ref(X)) == 0:
        v, g = fad.value_and_grad(f)(X)
        v0, g0 = fad.value_and_grad(ref)(X)
        np.testing.assert_allclose(v, v0, rtol=1e-12)
        np.testing.assert_allclose(g, g0, rtol=1e-12, atol=1e-14)
    t = np.array([0.3, -1.0, 2.0, 0.7])
    p, d = fad.jvp(f, (X,), (t,))
    p0, d0 = fad.jvp(ref, (X,), (t,))
    np.testing.assert_allclose(p, p0, rtol=1e-12)
    np.testing.assert_allclose(d, d0, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name,f,ref", CASES, ids=[c[0] for c in CASES])
def test_vmap(name, f, ref):
    xs = np.stack([X, X[::-1] + 0.5, 2.0 * X])
    np.testing.assert_allclose(fad.vmap(f)(xs), np.stack([ref(x) for x in xs]), rtol=1e-12)
    np.testing.assert_allclose(fad.vmap(fad.jacrev(f))(xs), fad.vmap(fad.jacrev(ref))(xs),
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fad.vmap(fad.jacfwd(f))(xs), fad.vmap(fad.jacrev(ref))(xs),
                               rtol=1e-10, atol=1e-12)


def test_reproducer_exact():
    v, g = fad.value_and_grad(_reproducer)(np.array([3.0, 1.0]))
    assert v == 18.0
    np.testing.assert_array_equal(g, [6.0, 0.0])


# --- NumPy's errors, raised the same way --------------------------------------------------

def _int_plus_float(x):
    k = x.astype(int)
    k += 1.5
    return k


def _div_into_int(x):
    k = x.astype(int)
    k /= 2
    return k


def _grow(x):
    a = x[:1] * 1.0
    a += x
    return a


def _diag_write(x):
    d = (x * 1.0).reshape(2, 2).diagonal()
    d += 1.0
    return d


@pytest.mark.parametrize("f,err", [(_int_plus_float, TypeError), (_div_into_int, TypeError),
                                   (_grow, ValueError), (_diag_write, ValueError)])
@pytest.mark.parametrize("transform", ["plain", "jacfwd", "jacrev", "vmap"])
def test_numpy_errors_are_kept(f, err, transform):
    with pytest.raises(err):
        f(X.copy())
    g = {"plain": None, "jacfwd": fad.jacfwd, "jacrev": fad.jacrev, "vmap": fad.vmap}[transform]
    if g is None:
        return
    xs = np.stack([X, X]) if transform == "vmap" else X
    with pytest.raises(err):
        g(f)(xs)


def test_inplace_keeps_dtype():
    def f(x):
        a = x.astype(np.float32)
        a += 1.0
        assert a.dtype == np.float32
        b = x.astype(int)
        b += 2
        assert b.dtype == np.dtype(int)
        return a.astype(np.float64) * 2.0 + b
    np.testing.assert_allclose(fad.jacrev(f)(X), 2.0 * np.eye(4), rtol=1e-6)
    np.testing.assert_allclose(fad.jacfwd(f)(X), 2.0 * np.eye(4), rtol=1e-6)


def test_setitem_casts_like_numpy():
    def f(x):
        k = x.astype(int) * 0
        k[0] = x[0] * 1.7                    # truncated into an int array, as NumPy does
        return k
    assert f(X.copy())[0] == 5
    out = fad.vmap(f)(np.stack([X, -X]))
    assert out.dtype == np.dtype(int)
    np.testing.assert_array_equal(out[:, 0], [5, -5])


def test_inputs_are_never_mutated():
    def f(x):
        r = x[:2]
        r += 10.0
        x *= 2.0
        x[3] = 0.0
        return x
    x = X.copy()
    x.setflags(write=False)
    np.testing.assert_allclose(fad.jacrev(f)(x), np.diag([2.0, 2.0, 2.0, 0.0]))
    np.testing.assert_allclose(fad.vmap(f)(np.stack([x, x]))[0], [26.0, 22.0, -4.0, 0.0])
    np.testing.assert_array_equal(x, X)


def test_out_plain_array_names_the_fix():
    def f(x):
        buf = np.zeros(4)
        np.add(x, 1.0, out=buf)
        return buf
    with pytest.raises(fad.ConcretizationError, match=r"np.add\(x, 1.0, out=buf\)") as e:
        fad.grad(lambda x: f(x).sum())(X)
    assert "np.zeros_like(y)" in str(e.value)

    def g(x):
        buf = np.zeros(4)
        buf += x
        return buf
    with pytest.raises(fad.ConcretizationError, match=r"buf \+= x"):
        fad.jacfwd(g)(X)


def test_nested_transform_write_is_an_error():
    def f(x):
        a = x * 1.0

        def inner(y):
            a[0] = y                       # y is traced by the inner transform only
            return y
        fad.grad(inner)(1.0)
        return a.sum()
    with pytest.raises(TypeError, match="started after"):
        fad.grad(f)(X)


def test_reshape_under_vmap_decides_view_or_copy_per_example():
    def f(x):
        A = x * 1.0
        M = A.reshape(2, 2)
        M[0, 0] = 9.0
        T = (M * 1.0).T
        v = T.reshape(-1)                  # a copy in NumPy (T is F-ordered)
        v[1] = -1.0
        return A + T.reshape(-1)
    xs = np.stack([X, 2 * X])
    np.testing.assert_allclose(fad.vmap(f)(xs), np.stack([f(x.copy()) for x in xs]))
    np.testing.assert_allclose(fad.jacfwd(f)(X), fad.jacrev(f)(X))


def test_fill_and_view():
    def f(x):
        A = x * 1.0
        v = A.view()
        A[:2].fill(3.0)
        v[3] *= x[0]
        return A
    np.testing.assert_allclose(f(X.copy()), [3.0, 3.0, -2.0, 1.5])
    np.testing.assert_allclose(fad.jacrev(f)(X)[3], [0.5, 0.0, 0.0, 3.0])


def _bits(x):
    k = x.astype(int)
    m = (x > 1.0) & (x < 5.0)
    m |= x < 0.0
    m ^= x > 2.5
    k &= 6
    k |= 1
    return (k ^ 3) + (~k) + (3 & k) + np.where(~m, x, 0.0)


@pytest.mark.parametrize("transform", ["plain", "jacfwd", "jacrev", "vmap"])
def test_bitwise_operators_are_numpys(transform):
    x = np.array([3.0, 1.0, -2.0, 7.0])
    want = _bits(x.copy())
    if transform == "vmap":
        np.testing.assert_array_equal(fad.vmap(_bits)(np.stack([x, x]))[1], want)
    elif transform != "plain":
        jac = getattr(fad, transform)(_bits)(x)
        np.testing.assert_array_equal(jac, np.diag([1.0, 1.0, 0.0, 0.0]))


def test_out_with_two_results():
    def g(x):
        q = x * 0.0
        r = x * 0.0
        res = np.divmod(x * 2.0, 1.5, out=(q, r))
        assert res[0] is q and res[1] is r
        return q + r * x
    x = np.array([1.0, 2.0, 3.5])
    want = g(x.copy())
    np.testing.assert_allclose(fad.vmap(g)(np.stack([x, x]))[0], want)
    ref = lambda x: np.floor_divide(x * 2.0, 1.5) + np.mod(x * 2.0, 1.5) * x  # noqa: E731
    np.testing.assert_allclose(fad.jacrev(g)(x), fad.jacrev(ref)(x))
    np.testing.assert_allclose(fad.jacfwd(g)(x), fad.jacrev(ref)(x))


def test_out_with_plain_inputs_into_a_traced_buffer():
    c = np.array([1.0, np.inf, 2.0, 3.0])

    def f(x):
        buf = x * 1.0
        np.multiply(c, 2.0, out=buf)       # a constant result: buf's derivative is 0
        return buf + x
    np.testing.assert_allclose(f(X.copy()), 2.0 * c + X)
    for T in (fad.jacfwd, fad.jacrev):
        np.testing.assert_array_equal(T(f)(X), np.eye(4))
    np.testing.assert_allclose(fad.vmap(f)(np.stack([X, X]))[1], 2.0 * c + X)


def _ode_rhs(y):
    d = np.zeros_like(y)
    np.subtract(y[2:], y[:-2], out=d[1:-1])     # out= a view of a *_like buffer
    inner = d[1:-1]
    inner -= 2.0 * y[1:-1] ** 2
    edges = d[::3]
    edges += np.sin(y[::3])
    return d


def _ode_ref(y):
    mid = y[2:] - y[:-2] - 2.0 * y[1:-1] ** 2
    return _cat(np.sin(y[0]), mid, np.sin(y[3]))


@pytest.mark.parametrize("transform", ["jacfwd", "jacrev", "hessian"])
def test_ode_rhs_with_out_into_a_zeros_like_view(transform):
    _check_reference(_ode_rhs, _ode_ref)
    T = getattr(fad, transform)
    np.testing.assert_allclose(T(_ode_rhs)(X), T(_ode_ref)(X), rtol=1e-12, atol=1e-14)
    xs = np.stack([X, X + 1.0])
    np.testing.assert_allclose(fad.vmap(T(_ode_rhs))(xs), fad.vmap(T(_ode_ref))(xs),
                               rtol=1e-12, atol=1e-14)


def test_view_taken_with_a_traced_integer_index_writes_through_under_vmap():
    # A[i] with a traced integer i (vmap of argmax) is NumPy's basic index: a view
    def write(x):
        i = np.argmax(x)
        A = np.outer(x, x) * 1.0
        r = A[i]
        r += 5 * x
        return A.sum()

    def stale(x):
        i = np.argmax(x)
        A = np.outer(x, x) * 1.0
        r = A[i]
        A[...] = 0.0
        return r.sum()

    xs = np.array([[1.0, 2.0, 3.0], [3.0, 1.0, 0.0]])
    for f in (write, stale):
        np.testing.assert_allclose(fad.vmap(f)(xs), [f(x) for x in xs])
        np.testing.assert_allclose(fad.vmap(fad.grad(f))(xs),
                                   [fad.grad(f)(x) for x in xs])
