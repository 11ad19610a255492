"""ODE right-hand sides written the way research code writes them, with ``np.`` and with
``fnp.``: an output buffer made from the state (``zeros_like``, ``empty_like``, ``ones_like``,
``full_like``, ``copy``) and filled by item, slice, mask, fancy-index and ``+=`` writes, in
loops. Each must give the finite-difference Jacobian under jacfwd, jacrev and jacobian, the
right Hessian, and under vmap of each the per-example results.
"""

from __future__ import annotations

import numpy as np
import pytest

import funcad as fad
import funcad.numpy as fnp
from funcad.errors import BatchingError, TracerArrayConversionError


def idioms(xp):
    """name -> f(y) for a state y of length 4, written with the namespace ``xp``."""
    def zeros_like_slice(y):
        d = xp.zeros_like(y)
        d[1:-1] = y[:-2] - 2 * y[1:-1] + y[2:]
        return d

    def empty_like_all_entries(y):
        d = xp.empty_like(y)
        d[0] = y[0] * y[1]
        d[-1] = 0.0
        d[1:-1] = y[:-2] - 2 * y[1:-1] + y[2:]
        return d

    def ones_like_products(y):
        d = xp.ones_like(y)
        d[1:-1] = y[:-2] * y[2:]
        return d

    def full_like_shifted(y):
        d = xp.full_like(y, 2.0)
        d[1:] = y[1:] * y[:-1]
        return d

    def copy_then_write(y):
        d = xp.copy(y)
        d[0] = y[1] ** 2
        d[2:] = xp.sin(y[2:])
        return d

    def method_copy_then_write(y):
        d = y.copy()
        d[1] = y[0] * y[2]
        return d

    def item_writes_in_loop(y):
        d = xp.zeros_like(y)
        for i in range(len(y)):
            d[i] = y[i] ** 2 + (y[i - 1] if i else 0.0)
        return d

    def augmented_item_writes(y):
        d = xp.zeros_like(y)
        for i in range(len(y)):
            d[i] += 2.0 * y[i]
            d[i] -= y[(i + 1) % len(y)] ** 2
            d[i] *= 1.5
        return d

    def augmented_whole_array(y):
        d = xp.zeros_like(y)
        d += y ** 2
        d[1:] -= y[:-1]
        return d

    def constant_mask_write(y):
        d = xp.zeros_like(y)
        m = np.array([True, False, True, False])
        d[m] = y[m] ** 2
        d[~m] = -y[~m]
        return d

    def fancy_index_write(y):
        d = xp.zeros_like(y)
        d[[0, 2]] = y[[1, 3]] * y[0]
        d[np.array([3, 1])] += y[:2]
        return d

    def lotka_volterra(y):
        d = xp.empty_like(y)
        d[0] = 1.5 * y[0] - y[0] * y[1]
        d[1] = -3.0 * y[1] + y[0] * y[1]
        d[2:] = -y[2:]
        return d

    def robertson(y):
        d = xp.zeros_like(y)
        d[0] = -0.04 * y[0] + 1e4 * y[1] * y[2]
        d[1] = 0.04 * y[0] - 1e4 * y[1] * y[2] - 3e7 * y[1] ** 2
        d[2] = 3e7 * y[1] ** 2
        return d

    def pendulum(y):
        d = xp.zeros_like(y)
        d[0] = y[1]
        d[1] = -9.81 * xp.sin(y[0]) - 0.1 * y[1]
        d[2:] = y[2:] * y[:2]
        return d

    def heat_stencil(y):
        n = len(y)
        d = xp.zeros_like(y)
        d[1:-1] = (y[2:] - 2 * y[1:-1] + y[:-2]) * n ** 2
        d[0] = (y[1] - 2 * y[0]) * n ** 2
        d[-1] = (y[-2] - 2 * y[-1]) * n ** 2
        return d

    def stacked_without_array(y):
        return xp.stack([1.5 * y[0] - y[0] * y[1], -3.0 * y[1] + y[0] * y[1],
                         xp.sin(y[2]), y[3] ** 3])

    def concatenated_pieces(y):
        return xp.concatenate([y[:1] * y[1:2], xp.diff(y) ** 2])

    return {f.__name__: f for f in (
        zeros_like_slice, empty_like_all_entries, ones_like_products, full_like_shifted,
        copy_then_write, method_copy_then_write, item_writes_in_loop, augmented_item_writes,
        augmented_whole_array, constant_mask_write, fancy_index_write, lotka_volterra,
        robertson, pendulum, heat_stencil, stacked_without_array, concatenated_pieces)}


NAMES = sorted(idioms(np))
Y0 = np.array([0.5, 0.2, 0.9, 0.3])
YS = np.stack([Y0, Y0[::-1] + 0.1, Y0 * 1.3])
W = np.array([0.7, -1.1, 0.4, 0.9])


def _fd_jacobian(f, y, eps=1e-6):
    cols = [(f(y + eps * e) - f(y - eps * e)) / (2 * eps) for e in np.eye(len(y))]
    return np.stack(cols, axis=-1)


def _close(got, want, rtol=1e-6):
    scale = max(1.0, float(np.max(np.abs(want))))
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * scale)


@pytest.mark.parametrize("xp", [np, fnp], ids=["np", "fnp"])
@pytest.mark.parametrize("name", NAMES)
def test_rhs_jacobians(name, xp):
    f = idioms(xp)[name]
    np.testing.assert_allclose(f(Y0), idioms(np)[name](Y0))
    want = _fd_jacobian(idioms(np)[name], Y0)
    for jac in (fad.jacfwd, fad.jacrev, fad.jacobian):
        _close(jac(f)(Y0), want)


@pytest.mark.parametrize("xp", [np, fnp], ids=["np", "fnp"])
@pytest.mark.parametrize("name", NAMES)
def test_rhs_hessians(name, xp):
    def g(y):
        return (idioms(xp)[name](y) * W).sum()
    grad = fad.grad(g)
    _close(grad(Y0), _fd_jacobian(lambda y: (idioms(np)[name](y) * W).sum(), Y0))
    h = fad.hessian(g)(Y0)
    _close(h, _fd_jacobian(grad, Y0), rtol=1e-5)
    _close(fad.jacrev(fad.jacfwd(g))(Y0), h)


@pytest.mark.parametrize("xp", [np, fnp], ids=["np", "fnp"])
@pytest.mark.parametrize("name", NAMES)
def test_rhs_under_vmap_of_each_transform(name, xp):
    f = idioms(xp)[name]

    def g(y):
        return (f(y) * W).sum()
    for t in (fad.jacfwd(f), fad.jacrev(f), fad.jacobian(f), fad.hessian(g), f):
        np.testing.assert_allclose(fad.vmap(t)(YS), np.stack([t(y) for y in YS]),
                                   rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("xp", [np, fnp], ids=["np", "fnp"])
def test_mask_from_the_state(xp):
    def f(y):
        d = xp.zeros_like(y)
        d[y > 0.4] = y[y > 0.4] ** 2
        return d
    want = np.diag(np.where(Y0 > 0.4, 2 * Y0, 0.0))
    for jac in (fad.jacfwd, fad.jacrev, fad.jacobian):
        np.testing.assert_allclose(jac(f)(Y0), want)
    # under vmap each example selects a different number of entries: a clear error
    with pytest.raises(BatchingError, match="mask"):
        fad.vmap(fad.jacfwd(f))(YS)


def test_writes_of_values_from_an_outer_transform():
    """The buffer belongs to the innermost transform: values traced by the outer one (and
    the inner one) can be written in, and both derivatives are right."""
    def inner(y, c):
        d = np.zeros_like(y)
        d[0] = c * y[0]
        d[1:] = y[1:] * y[0]
        return d.sum()
    # d/dc of d/dy0 inner = 1
    got = fad.grad(lambda c: fad.grad(inner)(Y0, c)[0])(2.0)
    assert float(got) == pytest.approx(1.0)

    def outer(c):
        def inner2(s):
            d = np.copy(c * Y0)            # traced by the outer transform only
            d[0] = s * d[1]                # a value of the inner one written in
            e = fnp.full_like(Y0, c)       # the same for a traced fill value
            e[1] = s ** 2
            return d.sum() + e.sum()
        return fad.grad(inner2)(2.0)       # = c * Y0[1] + 4 (c traced by the outer grad)
    assert float(fad.grad(outer)(3.0)) == pytest.approx(Y0[1])
    assert float(fad.jacfwd(outer)(3.0)) == pytest.approx(Y0[1])


def test_fnp_array_spelling_and_the_np_array_error():
    def lv_fnp(y):
        return fnp.array([1.5 * y[0] - y[0] * y[1], -3.0 * y[1] + y[0] * y[1]])

    def lv_np(y):
        return np.array([1.5 * y[0] - y[0] * y[1], -3.0 * y[1] + y[0] * y[1]])
    y = Y0[:2]
    np.testing.assert_allclose(fad.jacfwd(lv_fnp)(y), _fd_jacobian(lv_np, y), rtol=1e-6)
    np.testing.assert_allclose(fad.vmap(fad.jacrev(lv_fnp))(YS[:, :2]),
                               np.stack([fad.jacrev(lv_fnp)(v) for v in YS[:, :2]]))
    # np.array([...]) of traced values cannot be intercepted: an error naming the fix
    with pytest.raises(TracerArrayConversionError, match="funcad.numpy"):
        fad.jacfwd(lv_np)(y)


def test_like_functions_return_writable_values_and_keep_dtype_and_shape():
    def f(y):
        outs = [fnp.zeros_like(y), fnp.ones_like(y), fnp.empty_like(y),
                fnp.full_like(y, 3.0), fnp.full_like(y, y[0]), fnp.copy(y),
                np.zeros_like(y, shape=(2, 4))]
        for o in outs:
            o[0] = y[1] * 2.0
        assert np.ones_like(y, dtype=np.float32).dtype == np.float32
        return outs
    outs = fad.jvp(lambda y: f(y), (Y0,), (np.eye(4)[1],))
    primal, tangent = outs
    assert [o.shape for o in primal] == [(4,)] * 6 + [(2, 4)]
    for o, t in zip(primal, tangent):
        assert np.all(np.asarray(o)[0] == 0.4)
        np.testing.assert_array_equal(np.asarray(t)[0], 2.0)
    # fill value traced: it keeps its derivative in the entries not overwritten
    assert float(fad.grad(lambda a: fnp.full_like(Y0, a)[1:].sum())(1.0)) == 3.0
    # outside a transform they are plain NumPy arrays
    assert type(fnp.zeros_like(Y0)) is np.ndarray and type(fnp.copy(Y0)) is np.ndarray
