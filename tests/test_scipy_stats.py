"""funcad.scipy.stats: values against scipy.stats, derivatives (both modes, order 2),
vmap against a loop, and the tails."""

from __future__ import annotations

import numpy as np
import pytest

import funcad as fad

pytest.importorskip("scipy")
import scipy.stats as ss  # noqa: E402

import funcad.scipy.stats as st  # noqa: E402
from funcad.scipy import special  # noqa: E402
from funcad.test_util import check_grads  # noqa: E402

X = np.array([-1.3, 0.2, 0.7, 2.1])
P = np.array([0.1, 0.35, 0.6, 0.9])

# (name, method, args for the value check, index of the args differentiated)
CONTINUOUS = [
    ("norm", m, (X, 0.3, 1.7)) for m in ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf")
] + [("norm", "ppf", (P, 0.3, 1.7))] + [
    ("t", m, (X, 3.5, 0.3, 1.7)) for m in ("logpdf", "pdf")
] + [
    (d, m, (X, 0.3, 1.7)) for d in ("laplace", "logistic", "cauchy")
    for m in ("logpdf", "pdf", "cdf", "sf")
] + [(d, "ppf", (P, 0.3, 1.7)) for d in ("laplace", "logistic", "cauchy", "expon")] + [
    ("expon", m, (np.abs(X) + 2.0, 0.3, 1.7)) for m in ("logpdf", "pdf", "cdf", "sf")
] + [
    ("uniform", m, (X, -2.0, 5.0)) for m in ("logpdf", "pdf", "cdf")
] + [
    ("gamma", m, (np.abs(X) + 0.5, 2.5, 0.1, 1.7)) for m in ("logpdf", "pdf")
] + [
    ("chi2", m, (np.abs(X) + 0.5, 3.5, 0.1, 1.7)) for m in ("logpdf", "pdf")
] + [
    ("beta", m, (P, 2.5, 1.5, -0.05, 1.1)) for m in ("logpdf", "pdf")
] + [
    ("pareto", m, (np.abs(X) + 2.0, 2.5, 0.1, 1.7)) for m in ("logpdf", "pdf")
] + [
    ("vonmises", m, (X, 1.5, 0.3, 1.7)) for m in ("logpdf", "pdf")
] + [
    ("truncnorm", m, (X, -1.5, 2.5, 0.3, 1.7)) for m in ("logpdf", "pdf")
] + [
    ("truncnorm", "logpdf", (X + 2.0, 0.5, 3.5, -1.0, 1.7)),     # a > 0: mirrored bounds
]


@pytest.mark.parametrize("name,method,args", CONTINUOUS,
                         ids=[f"{n}.{m}" for n, m, _ in CONTINUOUS])
def test_continuous_values_and_grads(name, method, args):
    ours = getattr(getattr(st, name), method)
    ref = getattr(getattr(ss, name), method)
    np.testing.assert_allclose(ours(*args), ref(*args), rtol=1e-12, atol=1e-300)
    # every argument is differentiable here: the data, the shapes, loc and scale
    for i in range(len(args)):
        def f(v, i=i):
            a = list(args)
            a[i] = v
            return fad.numpy.sum(ours(*a)) if i == 0 else ours(*a)
        # a scalar parameter gives the array of values; the data gives their sum
        v0 = args[i] if i == 0 else float(args[i])
        check_grads(f, (v0,), order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("name,method,args", CONTINUOUS,
                         ids=[f"{n}.{m}" for n, m, _ in CONTINUOUS])
def test_continuous_vmap_matches_loop(name, method, args):
    ours = getattr(getattr(st, name), method)
    rest = args[1:]

    def g(x):
        return fad.grad(lambda x: ours(x, *rest))(x)
    want = np.array([g(float(x)) for x in args[0]])
    np.testing.assert_allclose(fad.vmap(g)(args[0]), want, rtol=1e-12)
    np.testing.assert_allclose(fad.vmap(lambda x: ours(x, *rest))(args[0]), ours(*args),
                               rtol=1e-12)


K = np.array([0.0, 1.0, 3.0, 4.0])
DISCRETE = [
    ("poisson", (K, 2.3), 1), ("bernoulli", (np.array([0.0, 1.0]), 0.3), 1),
    ("binom", (K, 5, 0.3), 2), ("geom", (K + 1, 0.3), 1),
    ("nbinom", (K, 2.5, 0.3), 1), ("nbinom", (K, 2.5, 0.3), 2),
]


@pytest.mark.parametrize("name,args,ip", DISCRETE, ids=[f"{d[0]}-{d[2]}" for d in DISCRETE])
def test_discrete_values_and_grads(name, args, ip):
    mod, ref = getattr(st, name), getattr(ss, name)
    np.testing.assert_allclose(mod.logpmf(*args), ref.logpmf(*args), rtol=1e-12)
    np.testing.assert_allclose(mod.pmf(*args), ref.pmf(*args), rtol=1e-12)

    def f(p):
        a = list(args)
        a[ip] = p
        return mod.logpmf(*a)
    check_grads(f, (float(args[ip]),), order=2, modes=("fwd", "rev"))
    p0 = float(args[ip])

    def g(k):
        a = list(args)
        a[0] = k
        return fad.grad(lambda p: mod.logpmf(*a[:ip], p, *a[ip + 1:]))(p0)
    want = np.array([g(k) for k in args[0]])
    np.testing.assert_allclose(fad.vmap(g)(args[0]), want, rtol=1e-12)


def test_discrete_off_support_is_minus_inf():
    np.testing.assert_array_equal(st.poisson.logpmf(np.array([-1.0, 1.5]), 2.0), -np.inf)
    np.testing.assert_array_equal(st.binom.logpmf(np.array([-1.0, 6.0]), 5, 0.3), -np.inf)
    np.testing.assert_array_equal(st.geom.logpmf(0.0, 0.3), -np.inf)
    np.testing.assert_array_equal(st.bernoulli.logpmf(2.0, 0.3), -np.inf)
    # and the gradient in the parameter there is zero, not nan
    assert fad.grad(lambda mu: st.poisson.logpmf(-1.0, mu))(2.0) == 0.0


def test_off_support_continuous_gradients_are_not_nan():
    for f in (lambda a: st.gamma.logpdf(-1.0, a), lambda a: st.beta.logpdf(2.0, a, 2.0),
              lambda s: st.expon.logpdf(-1.0, scale=s)):
        assert f(2.0) == -np.inf
        assert fad.grad(f)(2.0) == 0.0


def test_norm_tails():
    # -40: Phi underflows in float64 (1e-350), log Phi does not
    x = np.array([-40.0, -20.0, -6.0, 0.0, 6.0])
    np.testing.assert_allclose(st.norm.logcdf(x), ss.norm.logcdf(x), rtol=1e-12)
    np.testing.assert_allclose(st.norm.logsf(-x), ss.norm.logsf(-x), rtol=1e-12)
    assert abs(st.norm.logcdf(-40.0) - (-804.6084420137538)) < 1e-9
    # d/dx log Phi(x) = phi(x)/Phi(x) ~ -x - 1/x for x -> -inf; second derivative ~ -1
    g = fad.grad(st.norm.logcdf)(-40.0)
    assert np.isfinite(g) and abs(g - (40.0 + 1 / 40.0)) < 1e-4
    h = fad.grad(fad.grad(st.norm.logcdf))(-40.0)
    assert np.isfinite(h) and abs(h + 1.0) < 1e-2
    check_grads(st.norm.logcdf, (-30.0,), order=2, modes=("fwd", "rev"))
    check_grads(st.norm.logsf, (30.0,), order=2, modes=("fwd", "rev"))
    # the logistic log-density is finite far out (no exp overflow)
    assert np.isclose(st.logistic.logpdf(800.0), ss.logistic.logpdf(800.0))


def test_special_ndtr_family():
    x = np.array([-50.0, -8.0, -1.0, 0.0, 2.0, 9.0])
    import scipy.special as sp
    np.testing.assert_allclose(special.log_ndtr(x), sp.log_ndtr(x), rtol=1e-14)
    for f, v in ((special.ndtr, 0.4), (special.log_ndtr, -12.0), (special.log_ndtr, 3.0),
                 (special.ndtri, 0.03)):
        check_grads(f, (v,), order=2, modes=("fwd", "rev"))
    # scipy's ufuncs route to funcad on traced values
    assert np.isclose(fad.grad(lambda x: sp.ndtr(x))(0.0), 1 / np.sqrt(2 * np.pi))
    q = np.array([0.01, 0.5, 0.97])
    np.testing.assert_allclose(fad.vmap(fad.grad(special.ndtri))(q),
                               [fad.grad(special.ndtri)(v) for v in q], rtol=1e-14)


def _spd(d, seed):
    a = np.random.default_rng(seed).normal(size=(d, d))
    return a @ a.T + d * np.eye(d)


@pytest.mark.parametrize("cov_kind", ["matrix", "diag", "scalar"])
def test_multivariate_normal(cov_kind):
    rng = np.random.default_rng(0)
    d = 3
    x = rng.normal(size=(4, d))
    mean = rng.normal(size=d)
    cov = {"matrix": _spd(d, 1), "diag": np.array([0.5, 1.5, 2.0]), "scalar": 1.7}[cov_kind]
    np.testing.assert_allclose(st.multivariate_normal.logpdf(x, mean, cov),
                               ss.multivariate_normal.logpdf(x, mean, cov), rtol=1e-12)
    np.testing.assert_allclose(st.multivariate_normal.pdf(x[0], mean, cov),
                               ss.multivariate_normal.pdf(x[0], mean, cov), rtol=1e-12)

    def f(x, mean, cov):
        if cov_kind == "matrix":
            cov = 0.5 * (cov + cov.T)     # a symmetric direction for finite differences
        return st.multivariate_normal.logpdf(x, mean, cov)
    check_grads(f, (x, mean, cov), order=2, modes=("fwd", "rev"))
    want = np.array([fad.grad(f)(xi, mean, cov) for xi in x])
    np.testing.assert_allclose(fad.vmap(fad.grad(f), in_axes=(0, None, None))(x, mean, cov),
                               want, rtol=1e-12)


def test_multivariate_normal_singular():
    rng = np.random.default_rng(2)
    b = rng.normal(size=(3, 2))
    cov = b @ b.T                      # rank 2
    mean = rng.normal(size=3)
    x = mean + rng.normal(size=(5, 2)) @ b.T      # on the support
    np.testing.assert_allclose(
        st.multivariate_normal.logpdf(x, mean, cov, allow_singular=True),
        ss.multivariate_normal.logpdf(x, mean, cov, allow_singular=True), rtol=1e-8)
    # the gradient in the data and the mean, along the support
    g = fad.grad(lambda m: fad.numpy.sum(
        st.multivariate_normal.logpdf(x, m, cov, allow_singular=True)))(mean)
    pinv = np.linalg.pinv(cov)
    np.testing.assert_allclose(g, pinv @ (x - mean).sum(0), rtol=1e-7)
    check_grads(lambda x: st.multivariate_normal.logpdf(x, mean, cov, allow_singular=True),
                (x,), order=2, modes=("fwd", "rev"))
    # a non-singular cov with allow_singular=True: the same as without, derivative in cov too
    c = _spd(3, 4)
    np.testing.assert_allclose(st.multivariate_normal.logpdf(x, mean, c, allow_singular=True),
                               ss.multivariate_normal.logpdf(x, mean, c), rtol=1e-12)
    check_grads(lambda c: st.multivariate_normal.logpdf(x, mean, 0.5 * (c + c.T),
                                                        allow_singular=True),
                (c,), order=2, modes=("fwd", "rev"))


def test_dirichlet():
    alpha = np.array([1.5, 2.0, 3.5])
    x = np.array([[0.2, 0.3], [0.5, 0.1], [0.3, 0.6]])     # K along the first axis
    np.testing.assert_allclose(st.dirichlet.logpdf(x, alpha), ss.dirichlet.logpdf(x, alpha),
                               rtol=1e-12)
    np.testing.assert_allclose(st.dirichlet.pdf(x[:, 0], alpha),
                               ss.dirichlet.pdf(x[:, 0], alpha), rtol=1e-12)
    check_grads(lambda a: st.dirichlet.logpdf(x, a), (alpha,), order=2, modes=("fwd", "rev"))
    check_grads(lambda x: st.dirichlet.logpdf(x, alpha), (x,), order=2, modes=("fwd", "rev"))
    want = np.array([fad.grad(st.dirichlet.logpdf, 1)(x[:, j], alpha) for j in range(2)])
    np.testing.assert_allclose(fad.vmap(fad.grad(st.dirichlet.logpdf, 1), in_axes=(1, None))(
        x, alpha), want, rtol=1e-12)


def test_import_spellings():
    from funcad.scipy.stats import norm
    import funcad.scipy.stats.multivariate_normal as mvn
    assert norm is st.norm and mvn is st.multivariate_normal
    assert float(fad.grad(norm.logpdf, 2)(1.0, 0.0, 1.0)) == 0.0   # (z^2 - 1)/scale at z=1


SHAPE_CDF = [
    ("gamma", m, (np.abs(X) + 0.5, 2.5, 0.1, 1.7)) for m in ("cdf", "sf")
] + [("chi2", m, (np.abs(X) + 0.5, 3.5, 0.1, 1.7)) for m in ("cdf", "sf")] + [
    ("t", m, (X, 3.5, 0.3, 1.7)) for m in ("cdf", "sf")
]


@pytest.mark.parametrize("name,method,args", SHAPE_CDF,
                         ids=[f"{n}.{m}" for n, m, _ in SHAPE_CDF])
def test_shape_cdfs_differentiate_in_x_loc_scale_and_raise_in_the_shape(name, method, args):
    ours = getattr(getattr(st, name), method)
    np.testing.assert_allclose(ours(*args), getattr(getattr(ss, name), method)(*args),
                               rtol=1e-12)
    x, shape, loc, scale = args
    check_grads(lambda x: ours(x, shape, loc, scale), (x,), order=2, modes=("fwd", "rev"))
    check_grads(lambda loc, scale: ours(x, shape, loc, scale), (loc, scale), order=2,
                modes=("fwd", "rev"))
    np.testing.assert_allclose(fad.vmap(fad.grad(lambda x: ours(x, shape, loc, scale)))(x),
                               [fad.grad(lambda x: ours(x, shape, loc, scale))(v) for v in x],
                               rtol=1e-12)
    # the shape: an error that names the missing derivative, never a zero
    f = lambda s: fad.numpy.sum(ours(x, s, loc, scale))    # noqa: E731
    with pytest.raises(fad.errors.NoRuleError, match="shape parameter .* not implemented"):
        fad.grad(f)(shape)
    with pytest.raises(fad.errors.NoRuleError, match="incomplete"):
        fad.jvp(f, (shape,), (1.0,))


def test_multivariate_normal_reads_scalar_and_1d_x_as_scipy():
    # d from mean, else cov, else 1: a scalar is one point, a 1-D x is n points when d == 1
    # (it was read as one point of dimension n before: a silent mismatch with SciPy and JAX)
    mvn, ref = st.multivariate_normal, ss.multivariate_normal
    for args, kw in [((0.5,), {"cov": 2.0}), ((np.array([0.5, 1.0]),), {}),
                     ((np.array([0.5, 1.0]),), {"mean": 0.3, "cov": 2.0}),
                     ((np.array([0.5, 1.0]),), {"mean": np.zeros(2)}),
                     ((np.array([0.5, 1.0]),), {"mean": np.zeros(2),
                                                "cov": np.array([1.0, 2.0])})]:
        got, want = mvn.logpdf(*args, **kw), ref.logpdf(*args, **kw)
        assert np.shape(got) == np.shape(want), (args, kw)
        np.testing.assert_allclose(got, want, rtol=1e-12)
    np.testing.assert_allclose(mvn.logpdf(np.array([[0.5]]), cov=2.0),
                               [ref.logpdf(0.5, cov=2.0)], rtol=1e-12)
    with pytest.raises(ValueError, match=r"dimension d = 2: pass x as \(\.\.\., 2\)"):
        mvn.logpdf(np.ones(3), mean=np.zeros(2))


@pytest.mark.filterwarnings("error")
def test_truncnorm_tails_and_one_sided():
    for a, b in [(-np.inf, 1.0), (2.0, np.inf), (-30.0, -29.0), (29.0, 30.0), (10.0, 12.0)]:
        x = np.linspace(max(a, -40.0), min(b, 40.0), 5)[1:-1]
        np.testing.assert_allclose(st.truncnorm.logpdf(x, a, b), ss.truncnorm.logpdf(x, a, b),
                                   rtol=1e-10)
        # finite derivatives in x and in the finite bounds, no NaN from the unused tail
        g = fad.vmap(fad.grad(st.truncnorm.logpdf), in_axes=(0, None, None))(x, a, b)
        assert np.all(np.isfinite(g))
    check_grads(lambda a, b: st.truncnorm.logpdf(29.5, a, b), (29.0, 30.0), order=2,
                modes=("fwd", "rev"))
    check_grads(lambda a, b: st.truncnorm.logpdf(-29.5, a, b), (-30.0, -29.0), order=2,
                modes=("fwd", "rev"))
    assert st.truncnorm.logpdf(3.0, -1.0, 2.0) == -np.inf
