"""Taylor mode (jet, derivatives, taylor, laplacian): every spec row against nested jvp to
order 4, closed forms to order 10, the Laplacian against trace(hessian), and grad through it."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

import funcad as fad
from funcad import tree

from .test_primitives import ALL_SPECS

ORDER = 4


def _nested_derivatives(h, order):
    """[h(0), h'(0), ..., h^(order)(0)] of a function of a scalar t, by nested jvp."""
    out = []
    g = h
    for k in range(order + 1):
        out.append(g(0.0))
        g = (lambda g: lambda t: fad.jvp(g, (t,), (1.0,))[1])(g)
    return out


def _real_rows():
    rows = []
    for s in ALL_SPECS:
        if s.order < 2 or s.dtype != np.float64:
            continue
        doms = s.domain if isinstance(s.domain, tuple) else (s.domain,)
        if "complex" in doms:
            continue
        rows.append(pytest.param(s, id=s.name))
    return rows


@pytest.mark.parametrize("spec", _real_rows())
def test_jet_matches_nested_jvp_to_order_4(spec):
    rng = np.random.default_rng(3)
    args = spec.sample(rng, spec.shapes[0])
    v = [0.3 * rng.normal(size=np.shape(a)) for a in args]
    w = [0.3 * rng.normal(size=np.shape(a)) for a in args]    # a curved path: the scaling

    def h(t):
        return spec.fn(*[a + vi * t + wi * (t * t / 2) for a, vi, wi in zip(args, v, w)])

    zeros = [np.zeros_like(a) for a in args]
    y0, ys = fad.jet(spec.fn, args, [[vi, wi] + [z] * (ORDER - 2)
                                     for vi, wi, z in zip(v, w, zeros)])
    expect = _nested_derivatives(h, ORDER)
    for k in range(ORDER + 1):
        e = tree.leaves(expect[k])
        g = tree.leaves(y0) if k == 0 else [s[k - 1] for s in _series_leaves(ys, y0)]
        assert len(e) == len(g)
        for a, b in zip(g, e):
            np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-8,
                                       err_msg=f"{spec.name}: coefficient {k}")


def _series_leaves(ys, y0):
    """The per-leaf lists of a jet's series output (the primal's structure, lists at leaves)."""
    return tree.leaves(ys, is_leaf=lambda s: isinstance(s, list)
                       and all(not isinstance(c, list) for c in s))


# closed forms to order 10
@pytest.mark.parametrize("name, f, exact", [
    ("exp", np.exp, lambda k, x: math.exp(x)),
    ("sin", np.sin, lambda k, x: [math.sin, math.cos, lambda x: -math.sin(x),
                                  lambda x: -math.cos(x)][k % 4](x)),
    ("1/(1-x)", lambda x: 1 / (1 - x), lambda k, x: math.factorial(k) / (1 - x) ** (k + 1)),
    ("x^2.5", lambda x: x ** 2.5,
     lambda k, x: float(np.prod([2.5 - j for j in range(k)])) * x ** (2.5 - k)),
    ("log", np.log, lambda k, x: math.log(x) if k == 0 else
     (-1) ** (k - 1) * math.factorial(k - 1) / x ** k),
    ("exp(sin)", lambda x: np.exp(np.sin(x)), None),
])
def test_closed_forms_to_order_10(name, f, exact):
    x = 0.3
    d = fad.derivatives(f, 10)(x)
    if exact is None:     # exp(sin x) at 0: the series 1, 1, 1, 0, -3, -8, -3, 56, 217, 64, -2951
        d0 = fad.derivatives(f, 10)(0.0)
        np.testing.assert_allclose(d0, [1, 1, 1, 0, -3, -8, -3, 56, 217, 64, -2951],
                                   rtol=1e-12, atol=1e-10)
        return
    np.testing.assert_allclose(d, [exact(k, x) for k in range(11)], rtol=1e-13)


def test_jet_of_a_rational_function_is_exact():
    # f(x) = x^3 - 2x: every coefficient is a small integer
    f = lambda x: x ** 3 - 2 * x
    y0, ys = fad.jet(f, (2.0,), ((1.0, 0.0, 0.0, 0.0),))
    assert [float(y0), *map(float, ys)] == [4.0, 10.0, 12.0, 6.0, 0.0]
    assert Fraction(float(ys[1])) == 12


def test_derivatives_match_nested_grad_on_the_issue_function():
    f = lambda x: np.sin(x) * np.exp(x / 3) / (1 + x ** 2)
    g, expect = f, []
    for _ in range(6):
        expect.append(g(0.7))
        g = fad.grad(g)
    np.testing.assert_allclose(fad.derivatives(f, 5)(0.7), expect, rtol=1e-13)


def test_taylor_gives_directional_derivatives():
    x, v = np.array([0.3, -0.5, 0.8]), np.array([1.0, 2.0, -1.0])
    f = lambda x: np.sum(np.tanh(x) * x[::-1])
    out = fad.taylor(f, 3)(x, v)
    d1 = fad.jvp(f, (x,), (v,))[1]
    d2 = v @ fad.hessian(f)(x) @ v
    np.testing.assert_allclose(out[1], d1, rtol=1e-12)
    np.testing.assert_allclose(out[2], d2, rtol=1e-12)


def _scalar_rows():
    rows = []
    for p in _real_rows():
        s = p.values[0]
        args = s.sample(np.random.default_rng(0), s.shapes[0])
        if len(args) != 1:
            continue
        try:
            y = s.fn(*args)
        except Exception:     # pragma: no cover - a row that needs its own arguments
            continue
        if np.ndim(y) == 0 and np.asarray(y).dtype.kind == "f":
            rows.append(p)
    return rows


@pytest.mark.parametrize("spec", _scalar_rows())
def test_laplacian_equals_trace_of_hessian(spec):
    (x,) = spec.sample(np.random.default_rng(5), spec.shapes[0])
    lap = fad.laplacian(spec.fn)(x)
    h = np.asarray(fad.hessian(spec.fn)(x)).reshape(x.size, x.size)
    np.testing.assert_allclose(lap, np.trace(h), rtol=1e-8, atol=1e-9)


def test_laplacian_of_an_mlp_and_its_gradient():
    rng = np.random.default_rng(0)
    W0, W1, w2 = rng.normal(size=(4, 8)) / 2, rng.normal(size=(8, 8)) / 3, rng.normal(size=8)

    def u(x, W0):
        return np.tanh(np.tanh(x @ W0) @ W1) @ w2

    x = rng.normal(size=4)
    lap = fad.laplacian(lambda x: u(x, W0))(x)
    np.testing.assert_allclose(lap, np.trace(fad.hessian(u)(x, W0)), rtol=1e-12)
    # the PINN case: grad of the Laplacian with respect to the weights
    g = fad.grad(lambda W0: fad.laplacian(lambda x: u(x, W0))(x))(W0)
    eps = 1e-6
    E = np.zeros_like(W0)
    E[1, 2] = eps
    fd = (fad.laplacian(lambda x: u(x, W0 + E))(x) - fad.laplacian(lambda x: u(x, W0 - E))(x))
    np.testing.assert_allclose(g[1, 2], fd / (2 * eps), rtol=1e-6)
    # vmap over collocation points
    xs = rng.normal(size=(5, 4))
    np.testing.assert_allclose(fad.vmap(fad.laplacian(lambda x: u(x, W0)))(xs),
                               [fad.laplacian(lambda x: u(x, W0))(p) for p in xs], rtol=1e-12)


def test_grad_through_jet():
    f = lambda x: np.exp(np.sin(x))
    d3 = lambda x: fad.derivatives(f, 3)(x)[3]
    eps = 1e-6
    np.testing.assert_allclose(fad.grad(d3)(0.4), (d3(0.4 + eps) - d3(0.4 - eps)) / (2 * eps),
                               rtol=1e-7)


def test_errors():
    with pytest.raises(ValueError, match="one series"):
        fad.jet(np.sin, (1.0, 2.0), ((1.0,),))
    with pytest.raises(ValueError, match="same number of terms"):
        fad.jet(lambda x, y: x * y, (1.0, 2.0), ((1.0,), (1.0, 0.0)))
    with pytest.raises(ValueError, match="order must be a positive int"):
        fad.derivatives(np.sin, 0)
    with pytest.raises(ValueError, match="primal's shape|its primal's shape"):
        fad.jet(np.sin, (np.ones(3),), ((np.ones(2),),))


COMPOSITES = [
    ("x*sin(x)", lambda x: np.sum(x * np.sin(x))),
    ("quotient", lambda x: np.sum(x / (1 + x ** 2))),
    ("outer product", lambda x: np.sum(np.tanh(x[:, None] * x[None, :]))),
    ("broadcast add", lambda x: np.sum(np.exp(x[:2, None] + x[None, 1:]) ** 2)),
    ("arctan2 (generic)", lambda x: np.sum(np.arctan2(x, 1 + x * x))),
    ("power traced exponent", lambda x: np.sum((1.5 + x * x) ** x)),
    ("matrix", lambda x: np.sum(np.tanh(np.outer(x, x) @ x)) * x[0]),
    ("vector output", lambda x: np.sin(x) * x[::-1]),
]


@pytest.mark.parametrize("name, f", COMPOSITES, ids=[c[0] for c in COMPOSITES])
def test_laplacian_and_weighted_sums_of_composites(name, f):
    x = np.array([0.3, -0.7, 0.5])
    H = np.asarray(fad.jacfwd(fad.jacrev(f))(x))          # (*out, 3, 3)
    np.testing.assert_allclose(fad.laplacian(f)(x), np.trace(H, axis1=-2, axis2=-1),
                               rtol=1e-10, atol=1e-12)
    rng = np.random.default_rng(2)
    V, w = rng.normal(size=(4, 3)), np.array([1.0, -2.0, 0.5, 3.0])
    expect = np.einsum("r,...ij,ri,rj->...", w, H, V, V)
    np.testing.assert_allclose(fad.taylor_sum(f, V, weights=w)(x), expect, rtol=1e-10,
                               atol=1e-12)
    # the general order: one series per direction (K = 3 against nested jvp)
    d3 = fad.taylor_sum(f, V, weights=w, order=3)(x)
    ref = 0.0
    for wr, v in zip(w, V):
        ref = ref + wr * _nested_derivatives(lambda t: f(x + t * v), 3)[3]
    np.testing.assert_allclose(d3, ref, rtol=1e-9, atol=1e-11)


def test_collapsed_mode_through_primitives_with_several_outputs():
    f = lambda x: (np.sum(np.linalg.eigh(np.outer(x, x) + np.diag([1.0, 2.0]))[0] ** 2)
                   + np.linalg.svd(np.tanh(np.outer(x, x) + np.eye(2)))[1][0])
    x = np.array([0.3, 0.4])
    np.testing.assert_allclose(fad.laplacian(f)(x), np.trace(fad.hessian(f)(x)), rtol=1e-10)
