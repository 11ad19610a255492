"""funcad.scipy.signal: values against SciPy, derivatives to second order, vmap against a loop."""

from __future__ import annotations


import numpy as np
import pytest

import funcad as fad
import funcad.numpy as fnp
from funcad.test_util import check_grads

pytest.importorskip("scipy")
import scipy.signal as ss  # noqa: E402

from funcad.scipy import signal  # noqa: E402

MODES = ("full", "valid", "same")


def _rng(seed=0):
    return np.random.default_rng(seed)


def _traced(f, *args):
    """f evaluated on traced operands (the primitive path, not the plain SciPy call)."""
    return fad.jvp(f, tuple(args), tuple(np.zeros_like(a) for a in args))[0]


# shapes: 1-D with odd and even kernels, kernel longer than the signal, n-d
SHAPES_ND = [((7,), (3,)), ((6,), (4,)), ((3,), (5,)), ((5, 4), (2, 3)), ((4, 5, 3), (3, 2, 2))]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("s1,s2", SHAPES_ND)
@pytest.mark.parametrize("name", ["convolve", "correlate"])
def test_nd_values_match_scipy(name, s1, s2, mode):
    rng = _rng()
    a, v = rng.normal(size=s1), rng.normal(size=s2)
    f = lambda a, v: getattr(signal, name)(a, v, mode=mode)
    if mode == "valid" and not (all(x >= y for x, y in zip(s1, s2))
                                or all(y >= x for x, y in zip(s1, s2))):
        with pytest.raises(ValueError, match=f"{name}: for 'valid' mode"):
            _traced(f, a, v)
        return
    want = getattr(ss, name)(a, v, mode=mode)
    np.testing.assert_allclose(_traced(f, a, v), want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(f(a, v), want, rtol=1e-12, atol=1e-12)   # plain path


@pytest.mark.parametrize("method", ["direct", "fft", "auto"])
def test_methods_accepted(method):
    rng = _rng(1)
    a, v = rng.normal(size=(9,)), rng.normal(size=(4,))
    got = _traced(lambda a, v: signal.convolve(a, v, "same", method=method), a, v)
    np.testing.assert_allclose(got, ss.convolve(a, v, "same"), rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match="convolve: method must be"):
        _traced(lambda a, v: signal.convolve(a, v, method="spectral"), a, v)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("s1,s2,axes", [
    ((4, 6), (4, 3), 1), ((4, 6), (1, 3), 1), ((5, 6), (2, 3), None), ((3, 5, 4), (3, 2, 1), (1, 2)),
    ((3, 5, 4), (1, 3, 4), (1,))])
def test_fftconvolve_values_axes(s1, s2, axes, mode):
    rng = _rng(2)
    a, v = rng.normal(size=s1), rng.normal(size=s2)
    f = lambda a, v: signal.fftconvolve(a, v, mode=mode, axes=axes)
    want = ss.fftconvolve(a, v, mode=mode, axes=axes)
    np.testing.assert_allclose(_traced(f, a, v), want, rtol=1e-10, atol=1e-12)


BOUNDARIES = [("fill", 0), ("fill", 1.5), ("wrap", 0), ("symm", 0)]


@pytest.mark.parametrize("boundary,fillvalue", BOUNDARIES)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("s1,s2", [((6, 5), (3, 3)), ((5, 6), (2, 4)), ((4, 4), (1, 2))])
@pytest.mark.parametrize("name", ["convolve2d", "correlate2d"])
def test_2d_values_match_scipy(name, s1, s2, mode, boundary, fillvalue):
    rng = _rng(3)
    a, v = rng.normal(size=s1), rng.normal(size=s2)
    f = lambda a, v: getattr(signal, name)(a, v, mode, boundary, fillvalue)
    want = getattr(ss, name)(a, v, mode, boundary, fillvalue)
    np.testing.assert_allclose(_traced(f, a, v), want, rtol=1e-12, atol=1e-12)


def test_errors_name_the_call():
    a = fad.jvp(lambda x: x, (np.ones((3, 3)),), (np.ones((3, 3)),))[0]
    with pytest.raises(ValueError, match="convolve2d: boundary must be 'fill', 'wrap' or 'symm'"):
        signal.convolve2d(np.ones((3, 3)), np.ones((2, 2)), boundary="reflect")
    with pytest.raises(ValueError, match="convolve: in1 and in2 must have the same number"):
        _traced(lambda a, v: signal.convolve(a, v), np.ones((3, 3)), np.ones(2))
    with pytest.raises(ValueError, match="correlate2d: in1 and in2 must be 2-D"):
        _traced(lambda a, v: signal.correlate2d(a, v), np.ones(3), np.ones(2))
    with pytest.raises(ValueError, match="fftconvolve: axis 0 is not convolved"):
        _traced(lambda a, v: signal.fftconvolve(a, v, axes=1), np.ones((3, 3)), np.ones((2, 2)))
    del a


# derivatives: both operands, both modes, second order
GRAD_CASES = [
    ("convolve", (5,), (3,), {"mode": "full"}),
    ("convolve", (6,), (4,), {"mode": "same"}),
    ("convolve", (3,), (5,), {"mode": "valid"}),
    ("correlate", (4, 3), (2, 2), {"mode": "same"}),
    ("correlate", (5,), (2,), {"mode": "valid"}),
    ("fftconvolve", (3, 5), (1, 3), {"mode": "same", "axes": 1}),
    ("fftconvolve", (3, 5), (3, 2), {"mode": "full", "axes": (1,)}),
    ("convolve2d", (4, 4), (2, 3), {"mode": "same"}),
    ("convolve2d", (4, 3), (2, 2), {"mode": "full", "boundary": "wrap"}),
    ("correlate2d", (4, 4), (3, 2), {"mode": "same", "boundary": "symm"}),
    ("correlate2d", (3, 4), (2, 2), {"mode": "full", "fillvalue": 2.0}),
]


@pytest.mark.parametrize("name,s1,s2,kw", GRAD_CASES)
def test_check_grads_order2(name, s1, s2, kw):
    rng = _rng(4)
    a, v = rng.normal(size=s1), rng.normal(size=s2)
    f = lambda a, v: getattr(signal, name)(a, v, **kw)
    check_grads(f, (a, v), order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("name", ["convolve2d", "correlate2d"])
def test_fillvalue_is_differentiable(name):
    rng = _rng(9)
    a, v = rng.normal(size=(4, 3)), rng.normal(size=(2, 3))
    f = lambda a, v, c: getattr(signal, name)(a, v, "same", fillvalue=c)
    check_grads(f, (a, v, 0.7), order=2, modes=("fwd", "rev"))
    # d/dc of the sum: every output term that reads a padded cell contributes its weight
    dc = fad.grad(lambda c: fnp.sum(f(a, v, c)))(0.7)
    eps = 1e-3
    fd = (np.sum(getattr(ss, name)(a, v, "same", fillvalue=0.7 + eps))
          - np.sum(getattr(ss, name)(a, v, "same", fillvalue=0.7 - eps))) / (2 * eps)
    np.testing.assert_allclose(dc, fd, rtol=1e-8)


def test_vjp_is_correlation_with_flipped_kernel():
    # grad of <w, convolve(a, v, 'valid')> in a is the full correlation of w with v, in v the
    # valid correlation of a with w reversed: the transpose rule against a closed form
    rng = _rng(5)
    a, v, w = rng.normal(size=8), rng.normal(size=3), rng.normal(size=6)
    ga, gv = fad.grad(lambda a, v: fnp.sum(w * signal.convolve(a, v, "valid")), (0, 1))(a, v)
    np.testing.assert_allclose(ga, ss.correlate(w, v, "full"), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gv, ss.correlate(a, w, "valid")[::-1], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("which", ["both", "in1", "in2"])
@pytest.mark.parametrize("name,s1,s2,kw", [
    ("convolve", (6,), (3,), {"mode": "same"}),
    ("correlate", (5, 4), (2, 3), {"mode": "valid"}),
    ("fftconvolve", (3, 5), (3, 2), {"mode": "full", "axes": 1}),
    ("convolve2d", (5, 4), (2, 2), {"mode": "same", "boundary": "wrap"}),
])
def test_vmap_matches_loop(name, s1, s2, kw, which):
    rng = _rng(6)
    B = 3
    a = rng.normal(size=((B,) if which in ("both", "in1") else ()) + s1)
    v = rng.normal(size=((B,) if which in ("both", "in2") else ()) + s2)
    f = lambda a, v: getattr(signal, name)(a, v, **kw)
    in_axes = (0 if which in ("both", "in1") else None, 0 if which in ("both", "in2") else None)
    got = fad.vmap(f, in_axes=in_axes)(a, v)
    want = np.stack([getattr(ss, name)(a[i] if in_axes[0] == 0 else a,
                                       v[i] if in_axes[1] == 0 else v, **kw) for i in range(B)])
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    # vmap of grad in both operands, against a loop of grads
    loss = lambda a, v: fnp.sum(fnp.sin(f(a, v)))
    g = fad.vmap(fad.grad(loss, (0, 1)), in_axes=in_axes)(a, v)
    for i in range(B):
        ai = a[i] if in_axes[0] == 0 else a
        vi = v[i] if in_axes[1] == 0 else v
        gi = fad.grad(loss, (0, 1))(ai, vi)
        np.testing.assert_allclose(g[0][i], gi[0], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(g[1][i], gi[1], rtol=1e-10, atol=1e-12)


def test_nested_vmap_both_batched():
    rng = _rng(7)
    a, v = rng.normal(size=(2, 3, 6)), rng.normal(size=(2, 3, 3))
    got = fad.vmap(fad.vmap(lambda a, v: signal.convolve(a, v, "same")))(a, v)
    want = np.array([[ss.convolve(a[i, j], v[i, j], "same") for j in range(3)] for i in range(2)])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_tiny_convnet_gradient():
    # one conv layer + tanh + a linear readout, trained on a batch with a shared kernel:
    # the gradient through vmap(convolve2d) matches finite differences and a loss decreases
    rng = _rng(8)
    imgs = rng.normal(size=(4, 6, 6))
    targets = rng.normal(size=4)
    params = {"k": 0.3 * rng.normal(size=(3, 3)), "w": 0.1 * rng.normal(size=(4, 4))}

    def loss(p):
        feats = fad.vmap(lambda im: fnp.tanh(signal.convolve2d(im, p["k"], "valid")))(imgs)
        preds = fnp.sum(feats * p["w"], axis=(1, 2))
        return fnp.mean((preds - targets) ** 2)

    check_grads(loss, (params,), order=1, modes=("rev",))
    l0 = loss(params)
    for _ in range(30):
        g = fad.grad(loss)(params)
        params = {k: params[k] - 0.05 * g[k] for k in params}
    assert loss(params) < 0.5 * l0
