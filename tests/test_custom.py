"""custom_jvp / custom_vjp under every transform and nesting pair, plus misuse errors.

The trick that makes these tests able to fail: the custom rules describe a *different*
function from the primal one (primal ``sin(x) * y``, rules of ``sinh(x) * y``). Every
derivative-only result must then equal the same transform of ``sinh(x) * y`` -- which
holds only if the rule (not the primal code) was differentiated, at every order.
"""

from __future__ import annotations

import functools
import importlib.util
import pathlib

import numpy as np
import pytest

import funcad as fad
import funcad.numpy as fnp

RNG = np.random.default_rng(0)
X = RNG.standard_normal(3)
Y = RNG.standard_normal(3)
W = RNG.standard_normal(3)
XB = RNG.standard_normal((4, 3))
YB = RNG.standard_normal((4, 3))


def ref(x, y):
    return np.sinh(x) * y


@fad.custom_jvp
def fake_jvp(x, y):
    return np.sin(x) * y


@fake_jvp.defjvp
def _fake_jvp_rule(primals, tangents):
    (x, y), (tx, ty) = primals, tangents
    return fake_jvp(x, y), np.cosh(x) * y * tx + np.sinh(x) * ty


@fad.custom_vjp
def fake_vjp(x, y):
    return np.sin(x) * y


def _fake_fwd(x, y):
    return fake_vjp(x, y), (np.cosh(x), np.sinh(x), y)


def _fake_bwd(res, g):
    c, s, y = res
    return c * y * g, s * g


fake_vjp.defvjp(_fake_fwd, _fake_bwd)


def _lin(F):       # a scalar loss linear in F's output: its gradient is derivative-only
    return lambda x, y: np.sum(F(x, y) * W)


# name -> transform(F) -> function of (x, y) whose result depends on derivatives only
DERIVATIVE_ONLY = {
    "grad": lambda F: fad.grad(_lin(F), argnums=(0, 1)),
    "vjp": lambda F: lambda x, y: fad.vjp(F, x, y)[1](W),
    "jacrev": lambda F: fad.jacrev(F, argnums=(0, 1)),
    "hessian": lambda F: fad.hessian(_lin(F), argnums=(0, 1)),
    "grad_grad": lambda F: fad.grad(lambda x, y: np.sum(fad.grad(_lin(F))(x, y) ** 2)),
    "jacrev_jacrev": lambda F: fad.jacrev(fad.jacrev(_lin(F))),
    "vmap_grad": lambda F: lambda x, y: fad.vmap(fad.grad(_lin(F)))(XB, YB),
    "grad_vmap": lambda F: fad.grad(lambda x, y: np.sum(fad.vmap(F, in_axes=(0, None))(XB, y)
                                                        * W)),
    "vmap_jacrev": lambda F: lambda x, y: fad.vmap(fad.jacrev(F))(XB, YB),
    "jacrev_vmap": lambda F: lambda x, y: fad.jacrev(lambda yy: fad.vmap(F, (0, None))(XB, yy))(y),
}
FORWARD = {
    "jvp": lambda F: lambda x, y: fad.jvp(F, (x, y), (W, Y))[1],
    "jacfwd": lambda F: fad.jacfwd(F, argnums=(0, 1)),
    "linearize": lambda F: lambda x, y: fad.linearize(F, x, y)[1](W, Y),
    "jvp_vmap": lambda F: lambda x, y: fad.jvp(fad.vmap(F), (XB, YB), (YB, XB))[1],
    "vmap_jvp": lambda F: lambda x, y: fad.vmap(lambda a, b: fad.jvp(F, (a, b), (b, a))[1])(XB,
                                                                                             YB),
    "jvp_grad": lambda F: lambda x, y: fad.jvp(fad.grad(_lin(F)), (x, y), (W, Y))[1],
    "jacfwd_jacfwd": lambda F: fad.jacfwd(fad.jacfwd(_lin(F))),
    "hvp": lambda F: lambda x, y: fad.hvp(lambda a: _lin(F)(a, y), (x,), (W,))[1],
    "grad_jvp": lambda F: fad.grad(lambda x, y: np.sum(fad.jvp(F, (x, y), (W, y))[1] * W),
                                   argnums=(0, 1)),
    "vmap_vmap_jvp": lambda F: lambda x, y: fad.vmap(fad.vmap(
        lambda a, b: fad.jvp(F, (a, b), (b, a))[1]))(XB[:, :, None], YB[:, :, None]),
}


def _close(a, b):
    la, lb = fad.tree.leaves(a), fad.tree.leaves(b)
    assert len(la) == len(lb)
    for u, v in zip(la, lb):
        np.testing.assert_allclose(np.asarray(u), np.asarray(v), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", sorted(DERIVATIVE_ONLY) + sorted(FORWARD))
def test_custom_jvp_rule_used_under_every_transform(name):
    t = DERIVATIVE_ONLY.get(name) or FORWARD[name]
    _close(t(fake_jvp)(X, Y), t(ref)(X, Y))


@pytest.mark.parametrize("name", sorted(DERIVATIVE_ONLY))
def test_custom_vjp_rule_used_under_reverse_transforms(name):
    _close(DERIVATIVE_ONLY[name](fake_vjp)(X, Y), DERIVATIVE_ONLY[name](ref)(X, Y))


@pytest.mark.parametrize("name", sorted(FORWARD))
def test_custom_vjp_rule_used_under_forward_transforms(name):
    # forward mode transposes bwd (never dual numbers through fwd): sinh semantics at every
    # order, forward over reverse and reverse over forward included
    _close(FORWARD[name](fake_vjp)(X, Y), FORWARD[name](ref)(X, Y))


@pytest.mark.parametrize("F", [fake_jvp, fake_vjp], ids=["custom_jvp", "custom_vjp"])
def test_values_unchanged_under_transforms(F):
    _close(F(X, Y), np.sin(X) * Y)
    _close(fad.vmap(F)(XB, YB), np.sin(XB) * YB)
    _close(fad.vmap(fad.vmap(F))(XB[:, :, None], YB[:, :, None]), (np.sin(XB) * YB)[:, :, None])
    _close(fad.vmap(F, (None, 0))(X, YB), np.sin(X) * YB)
    _close(fad.jvp(F, (X, Y), (W, W))[0], np.sin(X) * Y)
    _close(fad.vjp(F, X, Y)[0], np.sin(X) * Y)


# ---------------------------------------------------------------------------
# the documented examples
# ---------------------------------------------------------------------------

@fad.custom_jvp
def log1pexp(x):
    return fnp.where(x > 0, x + np.log1p(np.exp(-np.abs(x))), np.log1p(np.exp(-np.abs(x))))


def sigmoid(x):   # stable, and so are its derivatives: each branch sees a safe input
    pos = x >= 0
    ep = np.exp(-fnp.where(pos, x, 0.0))
    en = np.exp(fnp.where(pos, 0.0, x))
    return fnp.where(pos, 1 / (1 + ep), en / (1 + en))


@log1pexp.defjvp
def _log1pexp_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return log1pexp(x), t * sigmoid(x)


def test_log1pexp_stable_gradient_and_hessian():
    x = np.array([-1000.0, -3.0, 0.0, 3.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        g = fad.vmap(fad.grad(log1pexp))(x)
        h = fad.vmap(fad.hessian(log1pexp))(x)
    sig = 1 / (1 + np.exp(-np.clip(x, -700, 700)))
    np.testing.assert_allclose(g, sig, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(h, sig * (1 - sig), rtol=1e-12, atol=1e-300)
    # the naive formula's gradient overflows; the custom rule is why this works
    with np.errstate(all="ignore"):
        naive = fad.grad(lambda x: np.log(1 + np.exp(x)))(1000.0)
    assert not np.isfinite(naive) or naive != 1.0
    assert float(fad.grad(log1pexp)(1000.0)) == 1.0


def test_custom_jvp_inside_hessian_of_a_bigger_function():
    f = lambda x: np.sum(log1pexp(x * np.arange(1.0, 4.0)) ** 2)  # noqa: E731
    g = lambda x: np.sum(np.logaddexp(0.0, x * np.arange(1.0, 4.0)) ** 2)  # noqa: E731
    _close(fad.hessian(f)(X), fad.hessian(g)(X))
    _close(fad.jacrev(fad.jacfwd(f))(X), fad.hessian(g)(X))
    _close(fad.grad(fad.grad(lambda s: f(X * s)))(0.7), fad.grad(fad.grad(lambda s: g(X * s)))(0.7))


def test_clipped_gradient():
    @fad.custom_vjp
    def clip_gradient(x, lo, hi):
        return x

    clip_gradient.defvjp(lambda x, lo, hi: (x, (lo, hi)),
                         lambda res, g: (np.clip(g, res[0], res[1]), None, None))
    g = fad.grad(lambda x: np.sum(clip_gradient(x, -1.0, 1.0) * np.array([5.0, 0.5, -3.0])))
    np.testing.assert_array_equal(g(np.zeros(3)), [1.0, 0.5, -1.0])


def test_defjvps_and_nondiff_argnums():
    @fad.custom_jvp
    def f(x, y):
        return x * np.sin(y)

    f.defjvps(lambda tx, ans, x, y: tx * np.sin(y), lambda ty, ans, x, y: x * np.cos(y) * ty)
    g = lambda x, y: x * np.sin(y)  # noqa: E731
    _close(fad.grad(lambda x, y: np.sum(f(x, y)), argnums=(0, 1))(X, Y),
           fad.grad(lambda x, y: np.sum(g(x, y)), argnums=(0, 1))(X, Y))
    _close(fad.hessian(lambda x: np.sum(f(x, x)))(X), fad.hessian(lambda x: np.sum(g(x, x)))(X))

    @functools.partial(fad.custom_jvp, nondiff_argnums=(0,))
    def apply(fn, x):
        return fn(x)

    @apply.defjvp
    def _(fn, primals, tangents):
        (x,), (t,) = primals, tangents
        return fn(x), 2.0 * t         # a deliberately fake slope: shows the rule is used

    assert float(fad.grad(apply, argnums=1)(np.sin, 0.3)) == 2.0
    assert float(fad.grad(lambda x: apply(np.sin, x) * 3.0)(0.3)) == 6.0

    @fad.custom_vjp
    def scale(k, x):
        return k * x

    scale.defvjp(lambda k, x: (k * x, None), lambda res, g: (None, 10 * g))
    assert float(fad.grad(scale, argnums=1)(3.0, 1.0)) == 10.0
    scale2 = fad.custom_vjp(lambda k, x: k * x, nondiff_argnums=(0,))
    scale2.defvjp(lambda k, x: (k * x, None), lambda k, res, g: (10 * k * g,))
    assert float(fad.grad(scale2, argnums=1)(3, 1.0)) == 30.0
    assert float(fad.jacrev(lambda x: scale2(2, x))(1.0)) == 20.0


def test_pytrees_in_and_out_and_kwargs():
    @fad.custom_vjp
    def f(p, x):
        return {"out": p["w"] * x, "aux": (np.sum(p["b"]) * x,)}

    def fwd(p, x):
        return f(p, x), (p, x)

    def bwd(res, g):
        p, x = res
        gx = g["out"] * p["w"] + g["aux"][0] * np.sum(p["b"])
        gp = {"w": g["out"] * x, "b": np.ones_like(p["b"]) * np.sum(g["aux"][0] * x)}
        return gp, gx

    f.defvjp(fwd, bwd)
    p = {"w": X, "b": Y[:2]}

    def plain(p, x):
        return {"out": p["w"] * x, "aux": (np.sum(p["b"]) * x,)}

    def loss(F):
        return lambda p, x: np.sum(F(p, x=x)["out"] * W) + np.sum(F(p, x)["aux"][0] ** 2)

    _close(fad.grad(loss(f), argnums=(0, 1))(p, Y), fad.grad(loss(plain), argnums=(0, 1))(p, Y))
    _close(fad.jacfwd(lambda x: f(p, x))(Y), fad.jacfwd(lambda x: plain(p, x))(Y))

    @fad.custom_jvp
    def h(p):
        return (p["a"] ** 2, p["a"] * p["b"])

    @h.defjvp
    def _(primals, tangents):
        (p,), (t,) = primals, tangents
        return h(p), (2 * p["a"] * t["a"], t["a"] * p["b"] + p["a"] * t["b"])

    q = {"a": X, "b": Y}
    hl = lambda p: np.sum(h(p)[0] * h(p)[1])  # noqa: E731
    pl = lambda p: np.sum(p["a"] ** 3 * p["b"])  # noqa: E731
    _close(fad.grad(hl)(q), fad.grad(pl)(q))
    _close(fad.hessian(hl)(q), fad.hessian(pl)(q))


def test_vmap_runs_function_once_on_batched_values():
    calls = []

    @fad.custom_jvp
    def f(x):
        calls.append(np.shape(x))
        return np.sin(x)

    f.defjvp(lambda p, t: (f(p[0]), np.cos(p[0]) * t[0]))
    out = fad.vmap(f)(fad.vmap(lambda x: x)(XB))
    np.testing.assert_allclose(out, np.sin(XB))
    assert calls == [(3,)]          # one traced call with the per-example shape, no loop


def test_implicit_fixed_point_matches_unrolled():
    # x* = tanh(a * x* + 0.5); derivative by the implicit function theorem
    def unrolled(a):
        x = np.zeros_like(a)
        for _ in range(200):
            x = np.tanh(a * x + 0.5)
        return x

    @fad.custom_vjp
    def solve(a):
        return unrolled(fad.stop_gradient(a))

    def fwd(a):
        x = solve(a)
        return x, (a, x)

    def bwd(res, g):
        a, x = res
        d = 1 - np.tanh(a * x + 0.5) ** 2
        return (g * d * x / (1 - d * a),)

    solve.defvjp(fwd, bwd)
    a = np.array([0.3, -0.5, 0.8])
    _close(fad.grad(lambda a: np.sum(solve(a) ** 2))(a), fad.grad(lambda a: np.sum(unrolled(a)
                                                                                    ** 2))(a))


def test_example_implicit_fixed_point_runs(capsys):
    path = pathlib.Path(__file__).parent.parent / "examples" / "implicit_fixed_point.py"
    spec = importlib.util.spec_from_file_location("implicit_fixed_point", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.main()                                   # asserts implicit == unrolled inside
    assert "grad: implicit vs unrolled" in capsys.readouterr().out


# ---------------------------------------------------------------------------
# misuse
# ---------------------------------------------------------------------------

def test_no_rule_defined():
    f = fad.custom_jvp(lambda x: x)
    with pytest.raises(fad.CustomRuleError, match="has no JVP rule.*defjvp"):
        f(1.0)
    h = fad.custom_vjp(np.sin)
    with pytest.raises(fad.CustomRuleError, match="'sin' has no VJP rule.*defvjp"):
        h(1.0)


def test_bwd_wrong_count_names_function_and_counts():
    @fad.custom_vjp
    def two_args(x, y):
        return x * y

    two_args.defvjp(lambda x, y: (x * y, (x, y)), lambda r, g: (g * r[1],))
    with pytest.raises(fad.CustomRuleError, match=r"'two_args'.*expected 2.*got 1 cotangent"):
        fad.grad(two_args)(1.0, 2.0)

    @fad.custom_vjp
    def not_tuple(x):
        return x

    not_tuple.defvjp(lambda x: (x, None), lambda r, g: g)
    with pytest.raises(fad.CustomRuleError, match=r"'not_tuple'.*got a ndarray.*Wrap"):
        fad.grad(not_tuple)(1.0)


def test_bwd_wrong_shape_shows_expected_and_got():
    @fad.custom_vjp
    def bad_shape(x):
        return np.sum(x)

    bad_shape.defvjp(lambda x: (np.sum(x), None), lambda r, g: (np.ones(2) * g,))
    with pytest.raises(fad.CustomRuleError, match=r"'bad_shape'.*\[\(2,\)\].*expected \[\(3,\)\]"):
        fad.grad(bad_shape)(np.ones(3))


def test_jvp_rule_mismatched_structures():
    @fad.custom_jvp
    def pair(x):
        return x, 2 * x

    pair.defjvp(lambda p, t: (pair(*p), t[0]))
    with pytest.raises(fad.CustomRuleError, match=r"'pair'.*mismatched structures"):
        fad.jvp(pair, (1.0,), (1.0,))

    @fad.custom_jvp
    def not_pair(x):
        return x

    not_pair.defjvp(lambda p, t: t[0])
    with pytest.raises(fad.CustomRuleError, match=r"'not_pair'.*must return a pair"):
        fad.grad(not_pair)(1.0)

    @fad.custom_jvp
    def wrong_tangent_shape(x):
        return x

    wrong_tangent_shape.defjvp(lambda p, t: (p[0], np.ones(5)))
    with pytest.raises(fad.CustomRuleError, match=r"'wrong_tangent_shape'.*\(5,\).*\(3,\)"):
        fad.jvp(wrong_tangent_shape, (np.ones(3),), (np.ones(3),))


def test_function_argument_needs_nondiff_argnums():
    f = fad.custom_jvp(lambda fn, x: fn(x))
    f.defjvp(lambda p, t: (f(*p), t[1]))
    with pytest.raises(TypeError, match=r"argument 0.*not an array.*nondiff_argnums=\(0,\)"):
        fad.grad(f, argnums=1)(np.sin, 1.0)


def test_traced_nondiff_arg_and_closure_errors():
    f = fad.custom_jvp(lambda n, x: x * n, nondiff_argnums=(0,))
    f.defjvp(lambda n, p, t: (f(n, *p), n * t[0]))
    with pytest.raises(TypeError, match="nondiff_argnums"):
        fad.grad(lambda x: f(x, x))(1.0)

    def outer(w):
        g = fad.custom_jvp(lambda x: x * w)
        g.defjvp(lambda p, t: (g(*p), t[0] * w))
        return g(np.float64(2.0)) + g(w)

    with pytest.raises(fad.errors.CustomRuleError,
                       match=r"'<lambda>' closes over a value traced .*Pass the value as an "
                             r"argument") as info:
        fad.grad(outer)(1.5)
    assert "not traced at that level" not in str(info.value)
