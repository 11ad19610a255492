"""funcad.scipy.stats, second part: logcdf/logsf/ppf/isf of the non-normal distributions,
the quantile primitives (gamma, chi2, t), multinomial, wishart/invwishart, the rest of
dirichlet and multivariate_normal. Values against scipy.stats, derivatives in both modes to
order 2, vmap against a loop, the tails."""

from __future__ import annotations

import numpy as np
import pytest

import funcad as fad

pytest.importorskip("scipy")
import scipy.stats as ss  # noqa: E402

import funcad.scipy.stats as st  # noqa: E402
from funcad.test_util import check_grads  # noqa: E402

X = np.array([-1.3, 0.2, 0.7, 2.1])
P = np.array([0.1, 0.35, 0.6, 0.9])
POS = np.abs(X) + 0.5
TAILS = ("logcdf", "logsf")
QUANTILES = ("ppf", "isf")

# (name, method, args): every argument differentiable, the first summed
CLOSED_FORM = [
    (d, m, (X, 0.3, 1.7)) for d in ("laplace", "logistic", "cauchy") for m in TAILS
] + [
    (d, m, (P, 0.3, 1.7)) for d in ("laplace", "logistic", "cauchy", "expon", "norm",
                                    "uniform") for m in QUANTILES if (d, m) != ("expon", "ppf")
] + [("expon", m, (POS + 1.0, 0.3, 1.7)) for m in TAILS] + [
    ("uniform", m, (X, -2.0, 5.0)) for m in ("sf", "logcdf", "logsf")
] + [
    ("pareto", m, (POS + 2.0, 2.5, 0.1, 1.7)) for m in ("cdf", "sf") + TAILS
] + [("pareto", m, (P, 2.5, 0.1, 1.7)) for m in QUANTILES] + [
    ("truncnorm", m, args) for m in ("cdf", "sf") + TAILS
    for args in ((X, -1.5, 2.5, 0.3, 1.7), (X + 2.0, 0.5, 3.5, -1.0, 1.7))
]

# the shape parameter (index 1) is not differentiable: cdf-based or quantile primitives
SHAPED = [
    (d, m, (POS, s, 0.1, 1.7)) for d, s in (("gamma", 2.5), ("chi2", 3.5)) for m in TAILS
] + [("t", m, (X, 3.5, 0.3, 1.7)) for m in TAILS] + [
    ("vonmises", m, (X, 1.5, 0.3, 1.7)) for m in ("cdf", "sf") + TAILS
] + [("vonmises", m, (P, 1.5, 0.3, 1.7)) for m in QUANTILES] + [
    (d, m, (P, s, 0.1, 1.7)) for d, s in (("gamma", 2.5), ("chi2", 3.5), ("t", 3.5))
    for m in QUANTILES
]


def _ids(rows):
    return [f"{n}.{m}" for n, m, _ in rows]


def _check_value_grads_vmap(name, method, args, diff):
    ours = getattr(getattr(st, name), method)
    np.testing.assert_allclose(ours(*args), getattr(getattr(ss, name), method)(*args),
                               rtol=1e-12, atol=1e-300)
    for i in diff:
        def f(v, i=i):
            a = list(args)
            a[i] = v
            return fad.numpy.sum(ours(*a)) if i == 0 else ours(*a)
        check_grads(f, (args[i] if i == 0 else float(args[i]),), order=2,
                    modes=("fwd", "rev"))
    rest = args[1:]

    def g(x):
        return fad.grad(lambda x: ours(x, *rest))(x)
    np.testing.assert_allclose(fad.vmap(g)(args[0]), [g(float(x)) for x in args[0]],
                               rtol=1e-12)
    np.testing.assert_allclose(fad.vmap(lambda x: ours(x, *rest))(args[0]), ours(*args),
                               rtol=1e-12)


@pytest.mark.parametrize("name,method,args", CLOSED_FORM, ids=_ids(CLOSED_FORM))
def test_closed_form_tails_and_quantiles(name, method, args):
    _check_value_grads_vmap(name, method, args, range(len(args)))


@pytest.mark.parametrize("name,method,args", SHAPED, ids=_ids(SHAPED))
def test_shaped_tails_and_quantiles(name, method, args):
    _check_value_grads_vmap(name, method, args, (0, 2, 3))
    ours = getattr(getattr(st, name), method)
    x, shape, loc, scale = args
    f = lambda s: fad.numpy.sum(ours(x, s, loc, scale))    # noqa: E731
    with pytest.raises(fad.errors.NoRuleError, match="shape parameter .* not implemented"):
        fad.grad(f)(shape)
    with pytest.raises(fad.errors.NoRuleError, match="needs the derivative of the"):
        fad.jvp(f, (shape,), (1.0,))


def test_quantiles_invert_the_distribution_functions():
    q = np.array([1e-12, 0.03, 0.5, 0.97])
    for name, shape in [("expon", ()), ("laplace", ()), ("logistic", ()), ("cauchy", ()),
                        ("uniform", ()), ("norm", ()), ("pareto", (2.5,)), ("gamma", (2.5,)),
                        ("chi2", (3.5,)), ("t", (3.5,)), ("vonmises", (1.5,))]:
        d = getattr(st, name)
        # uniform's isf is 1.7 (1 - q), pareto's ppf 1.7 (1 + q/2.5 + ...), vonmises' ppf
        # next to -pi: x keeps only the absolute digits of a tiny q
        bounded = name in ("uniform", "pareto", "vonmises")
        tol = {"rtol": 1e-9, "atol": 1e-15 if bounded else 0.0, "err_msg": name}
        np.testing.assert_allclose(d.cdf(d.ppf(q, *shape, 0.0, 1.7), *shape, 0.0, 1.7), q,
                                   **tol)
        np.testing.assert_allclose(d.sf(d.isf(q, *shape, 0.0, 1.7), *shape, 0.0, 1.7), q,
                                   **tol)
        # the inverse-function rule: d ppf / dq = 1 / pdf(ppf(q))
        x = d.ppf(q[1:], *shape, 0.0, 1.7)
        g = fad.vmap(fad.grad(lambda q, d=d, shape=shape: d.ppf(q, *shape, 0.0, 1.7)))(q[1:])
        np.testing.assert_allclose(g, 1 / d.pdf(x, *shape, 0.0, 1.7), rtol=1e-9, err_msg=name)


@pytest.mark.filterwarnings("error")
def test_tails_keep_their_digits():
    # lower tails far out: the closed forms, where log(cdf) would give -inf or lose digits
    assert st.expon.logcdf(1e-300) == np.log(1e-300)
    assert st.expon.logcdf(40.0) == -np.exp(-40.0)          # log(1 - tiny), not 0
    assert st.expon.logsf(1e4) == -1e4
    assert st.laplace.logcdf(-1e4) == -1e4 - np.log(2.0)
    assert st.logistic.logcdf(-1e4) == -1e4 and st.logistic.logsf(1e4) == -1e4
    np.testing.assert_allclose(st.cauchy.cdf(-1e20), 1 / (np.pi * 1e20), rtol=1e-14)
    np.testing.assert_allclose(st.cauchy.sf(1e20), 1 / (np.pi * 1e20), rtol=1e-14)
    np.testing.assert_allclose(st.cauchy.logcdf(-1e20), -np.log(np.pi * 1e20), rtol=1e-14)
    np.testing.assert_allclose(st.pareto.logcdf(1e20, 2.0), -1e-40, rtol=1e-14)
    # t and gamma: the smaller tail through log1p of the other one
    # (SciPy 1.13's own t.logcdf(60, 3) differs from later SciPy's by 1.1e-11 relative)
    np.testing.assert_allclose(st.t.logcdf(60.0, 3.0), ss.t.logcdf(60.0, 3.0), rtol=1e-10)
    assert st.t.logcdf(60.0, 3.0) > -1e-5 and st.t.logcdf(60.0, 3.0) != 0.0
    # (against log1p(-Q): SciPy 1.13's own gamma.logcdf(60, 2.5) is 0)
    np.testing.assert_allclose(st.gamma.logcdf(60.0, 2.5),
                               np.log1p(-__import__("scipy.special").special.gammaincc(2.5, 60.0)),
                               rtol=1e-12)
    # truncnorm far in a tail, and next to 1 (log1p of the other tail)
    for a, b, x in [(10.0, 12.0, [10.5, 11.9]), (-30.0, -29.0, [-29.9, -29.1]),
                    (2.0, np.inf, [2.5, 10.0, 30.0]), (-np.inf, 1.0, [-30.0, 0.5])]:
        for m in TAILS:
            np.testing.assert_allclose(getattr(st.truncnorm, m)(np.array(x), a, b),
                                       getattr(ss.truncnorm, m)(np.array(x), a, b),
                                       rtol=1e-12, err_msg=f"{m} {a} {b}")
    # quantiles of tiny probabilities: q itself, not q - 1/2, carries the digits
    np.testing.assert_allclose(st.laplace.isf(1e-300), -np.log(2e-300), rtol=1e-14)
    np.testing.assert_allclose(st.cauchy.ppf(1e-300), -1 / (np.pi * 1e-300), rtol=1e-14)
    np.testing.assert_allclose(st.cauchy.isf(1e-300), 1 / (np.pi * 1e-300), rtol=1e-14)
    np.testing.assert_allclose(st.logistic.isf(1e-300), -np.log(1e-300), rtol=1e-14)
    np.testing.assert_allclose(st.expon.isf(1e-300), -np.log(1e-300), rtol=1e-14)
    # and the derivatives there are finite
    for f, v in [(st.expon.logcdf, 40.0), (st.laplace.logcdf, -1e4), (st.cauchy.logcdf, -1e10),
                 (st.logistic.logsf, 1e4), (lambda q: st.cauchy.ppf(q), 1e-12),
                 (lambda x: st.t.logcdf(x, 3.0), 60.0), (lambda x: st.t.logsf(x, 3.0), -60.0)]:
        assert np.isfinite(fad.grad(f)(v)) and np.isfinite(fad.grad(fad.grad(f))(v))


def test_t_quantile_far_in_the_lower_tail():
    # SciPy's stdtrit is wrong there (0.55 times the answer at df=3.5, q=1e-200; +inf at
    # 1e-250); the quantile is checked through the incomplete beta function instead:
    # P(T <= t) = betainc(df/2, 1/2, df/(df + t^2)) / 2 for t < 0
    import scipy.special as sp
    for df in (0.5, 3.5, 10.0, 30.0):
        q = 10.0 ** -np.arange(1.0, 301.0, 23.0)
        x = st.t.ppf(q, df)
        ok = np.abs(x) < 1e150                   # beyond, df / (df + t^2) underflows
        assert np.all(x < 0) and ok.sum() >= 4
        # (where SciPy's own stdtrit answers, SciPy 1.13's is 1.4e-10 off at df=30, q=1e-24;
        # beyond, the series solve holds to ~1e-12 with either SciPy)
        np.testing.assert_allclose(0.5 * sp.betainc(df / 2, 0.5, df / (df + x[ok] ** 2)),
                                   q[ok], rtol=1e-9, err_msg=f"df={df}")
        np.testing.assert_allclose(st.t.isf(q, df), -x, rtol=1e-15)
    assert st.t.ppf(0.0, 3.5) == -np.inf and st.t.ppf(0.5, 3.5) == 0.0


def test_outside_the_support():
    assert st.expon.logcdf(-1.0) == -np.inf and st.expon.logsf(-1.0) == 0.0
    assert st.pareto.logcdf(0.5, 2.0) == -np.inf and st.pareto.sf(0.5, 2.0) == 1.0
    assert st.gamma.logcdf(-1.0, 2.0) == -np.inf and st.gamma.logsf(-1.0, 2.0) == 0.0
    assert st.uniform.logcdf(-1.0) == -np.inf and st.uniform.logsf(2.0) == -np.inf
    assert np.isnan(st.uniform.ppf(1.5)) and np.isnan(st.uniform.isf(-0.5))
    # and the derivatives there are zero, not NaN
    for f in (lambda s: st.expon.logcdf(-1.0, scale=s), lambda s: st.gamma.logcdf(-1.0, 2.0,
                                                                                  scale=s),
              lambda s: st.uniform.logsf(-1.0, scale=s), lambda b: st.pareto.logcdf(0.5, b)):
        assert fad.grad(f)(2.0) == 0.0


# ---------------------------------------------------------------------------
# multinomial
# ---------------------------------------------------------------------------

def test_multinomial():
    x = np.array([[1.0, 2.0, 0.0], [0.0, 0.0, 3.0], [1.0, 1.0, 1.0]])
    p = np.array([0.2, 0.3, 0.5])
    for f in ("logpmf", "pmf"):
        np.testing.assert_allclose(getattr(st.multinomial, f)(x, 3, p),
                                   getattr(ss.multinomial, f)(x, 3, p), rtol=1e-12)
    # off the support: wrong total, negative or fractional counts
    off = np.array([[1.0, 1.0, 0.0], [4.0, -1.0, 0.0], [1.5, 1.5, 0.0]])
    np.testing.assert_array_equal(st.multinomial.logpmf(off, 3, p), -np.inf)
    assert fad.grad(lambda p: st.multinomial.logpmf(off[0], 3, p))(p).tolist() == [0, 0, 0]
    # batched n and p, as SciPy broadcasts them
    pb = np.array([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]])
    n = np.array([3, 4])
    xb = np.array([[1.0, 2.0, 0.0], [1.0, 1.0, 2.0]])
    np.testing.assert_allclose(st.multinomial.logpmf(xb, n, pb),
                               ss.multinomial.logpmf(xb, n, pb), rtol=1e-12)
    np.testing.assert_allclose(st.multinomial.mean(n, pb), ss.multinomial.mean(n, pb))
    np.testing.assert_allclose(st.multinomial.cov(n, pb), ss.multinomial.cov(n, pb),
                               atol=1e-15)
    # d/dp_i = x_i / p_i (p used as given, as JAX)
    np.testing.assert_allclose(fad.grad(lambda p: fad.numpy.sum(
        st.multinomial.logpmf(x, 3, p)))(p), x.sum(0) / p, rtol=1e-14)
    check_grads(lambda p: st.multinomial.logpmf(x, 3, p), (p,), order=2, modes=("fwd", "rev"))
    g = fad.grad(lambda p, x: st.multinomial.logpmf(x, 3, p))
    np.testing.assert_allclose(fad.vmap(g, in_axes=(None, 0))(p, x), [g(p, xi) for xi in x],
                               rtol=1e-14)


# ---------------------------------------------------------------------------
# wishart and invwishart
# ---------------------------------------------------------------------------

def _spd(d, seed):
    a = np.random.default_rng(seed).normal(size=(d, d))
    return a @ a.T + d * np.eye(d)


def _sym(m):
    return 0.5 * (m + np.swapaxes(m, -1, -2))


@pytest.mark.parametrize("name", ["wishart", "invwishart"])
def test_wishart_values(name):
    ours, ref = getattr(st, name), getattr(ss, name)
    s = _spd(3, 1)
    xs = np.stack([_spd(3, k) for k in (2, 3, 4)], axis=-1)     # SciPy's (p, p, N)
    cases = [(xs, 4.5, s), (xs[..., 0], 4.5, s), (xs[..., 0], 3.2, np.array([1.0, 2.0, 0.5])),
             (2.0, 3.5, 1.5), (np.array([2.0, 3.0]), 3.5, 1.5),
             (np.array([2.0, 3.0, 1.0]), 4.5, s)]
    for x, df, sc in cases:
        for f in ("logpdf", "pdf"):
            got, want = getattr(ours, f)(x, df, sc), getattr(ref, f)(x, df, sc)
            assert np.shape(got) == np.shape(want)
            np.testing.assert_allclose(got, want, rtol=1e-12)
    with pytest.raises(ValueError, match="df = 1.5 must be greater than p - 1 = 2"):
        ours.logpdf(xs, 1.5, s)
    with pytest.raises(ValueError, match=r"pass x as \(3, 3\) or \(3, 3, N\)"):
        ours.logpdf(np.eye(2), 4.0, s)


@pytest.mark.parametrize("name", ["wishart", "invwishart"])
def test_wishart_derivatives(name):
    ours = getattr(st, name)
    s = _spd(3, 1)
    xs = np.stack([_spd(3, k) for k in (2, 3, 4)], axis=-1)
    x = xs[..., 0]
    # in x and scale along symmetric directions, in df, all at once and to order 2
    check_grads(lambda x, df, sc: ours.logpdf(_sym_f(x), df, _sym_f(sc)), (x, 4.5, s),
                order=2, modes=("fwd", "rev"))
    # the closed forms of the gradients (symmetric x and scale)
    xi, si = np.linalg.inv(x), np.linalg.inv(s)
    gx = fad.grad(ours.logpdf)(x, 4.5, s)
    if name == "wishart":
        want = 0.5 * (4.5 - 4) * xi - 0.5 * si
    else:
        want = -0.5 * (4.5 + 4) * xi + 0.5 * xi @ s @ xi
    np.testing.assert_allclose(gx, want, rtol=1e-10)     # symmetric: x read symmetrized
    np.testing.assert_allclose(fad.grad(ours.logpdf, 2)(x, 4.5, s),
                               fad.grad(ours.logpdf, 2)(x, 4.5, s).T, rtol=1e-14)
    import scipy.special as sp
    dfd = fad.grad(ours.logpdf, 1)(x, 4.5, s)
    sign = 1 if name == "wishart" else -1
    want = (sign * 0.5 * (np.linalg.slogdet(x)[1] - np.linalg.slogdet(s)[1]) - 1.5 * np.log(2)
            - 0.5 * sum(sp.digamma(2.25 - 0.5 * j) for j in range(3)))
    np.testing.assert_allclose(dfd, want, rtol=1e-12)
    # the stack: vmap over SciPy's last axis against a loop
    g = fad.grad(lambda x: ours.logpdf(x, 4.5, s))
    np.testing.assert_allclose(fad.vmap(g, in_axes=2)(xs), [g(xs[..., k]) for k in range(3)],
                               rtol=1e-12)
    np.testing.assert_allclose(fad.vmap(lambda x: ours.logpdf(x, 4.5, s), in_axes=2)(xs),
                               ours.logpdf(xs, 4.5, s), rtol=1e-12)


@pytest.mark.parametrize("name", ["wishart", "invwishart"])
def test_wishart_moments_and_entropy(name):
    ours, ref = getattr(st, name), getattr(ss, name)
    s = _spd(3, 1)
    for df in (2.5, 3.0, 4.5, 7.5):
        for f in ("mean", "mode", "var") + (("entropy",) if name == "wishart" else ()):
            got, want = getattr(ours, f)(df, s), getattr(ref, f)(df, s)
            assert (got is None) == (want is None), (f, df)
            if want is not None:
                np.testing.assert_allclose(got, want, rtol=1e-12, err_msg=f"{f} df={df}")
    # p = 1: the (inverse) gamma distribution's entropy, an independent reference
    sc, df = 1.7, 4.5
    want = (ss.gamma.entropy(df / 2, scale=2 * sc) if name == "wishart"
            else ss.invgamma.entropy(df / 2, scale=sc / 2))
    np.testing.assert_allclose(ours.entropy(df, sc), want, rtol=1e-12)
    # p = 3: -E[log pdf] by Monte Carlo (SciPy 1.17's invwishart.entropy is off by
    # (p^2 - 1)/2 log 2 = 2.77 there); 50000 seeded draws, standard error about 0.02
    draws = np.moveaxis(ref.rvs(5.5, s, size=50000, random_state=1), 0, -1)
    mc = -np.mean(ref.logpdf(draws, 5.5, s))
    assert abs(ours.entropy(5.5, s) - mc) < 0.1
    # derivatives in df and scale
    check_grads(lambda df, sc: ours.entropy(df, _sym_f(sc)), (5.5, s), order=2,
                modes=("fwd", "rev"))
    check_grads(lambda df, sc: ours.var(df, sc), (8.5, s), order=2, modes=("fwd", "rev"))


def _sym_f(m):
    return 0.5 * (m + fad.numpy.swapaxes(m, -1, -2))


# ---------------------------------------------------------------------------
# dirichlet and multivariate_normal: the rest of SciPy's methods and spellings
# ---------------------------------------------------------------------------

def test_dirichlet_k_minus_one_and_moments():
    alpha = np.array([1.5, 2.0, 3.5])
    x = np.array([[0.2, 0.3], [0.5, 0.1], [0.3, 0.6]])
    for xx in (x[:2], x[:2, 0]):            # K - 1 components: the last is 1 - their sum
        np.testing.assert_allclose(st.dirichlet.logpdf(xx, alpha),
                                   ss.dirichlet.logpdf(xx, alpha), rtol=1e-12)
    np.testing.assert_allclose(st.dirichlet.logpdf(x[:2], alpha),
                               st.dirichlet.logpdf(x, alpha), rtol=1e-14)
    check_grads(lambda x: st.dirichlet.logpdf(x, alpha), (x[:2],), order=2,
                modes=("fwd", "rev"))
    with pytest.raises(ValueError, match="pass K or K - 1 components"):
        st.dirichlet.logpdf(x[:1], alpha)
    for f in ("mean", "var", "cov", "entropy"):
        np.testing.assert_allclose(getattr(st.dirichlet, f)(alpha),
                                   getattr(ss.dirichlet, f)(alpha), rtol=1e-12, atol=1e-15)
        check_grads(getattr(st.dirichlet, f), (alpha,), order=2, modes=("fwd", "rev"))
    a2 = np.stack([alpha, alpha[::-1] + 0.5])
    np.testing.assert_allclose(fad.vmap(fad.grad(st.dirichlet.entropy))(a2),
                               [fad.grad(st.dirichlet.entropy)(a) for a in a2], rtol=1e-12)


def test_multivariate_normal_entropy():
    mvn, ref = st.multivariate_normal, ss.multivariate_normal
    c = _spd(3, 5)
    for mean, cov in [(None, 2.0), (np.zeros(3), 2.0), (None, np.array([1.0, 2.0, 0.5])),
                      (None, c)]:
        full = cov if np.ndim(cov) == 2 else (np.diag(cov) if np.ndim(cov) == 1 else cov)
        np.testing.assert_allclose(mvn.entropy(mean, cov),
                                   ref.entropy(mean, full if mean is None else cov),
                                   rtol=1e-12)
    check_grads(lambda c: mvn.entropy(cov=_sym_f(c)), (c,), order=2, modes=("fwd", "rev"))
    np.testing.assert_allclose(_sym(fad.grad(lambda c: mvn.entropy(cov=c))(c)),
                               0.5 * np.linalg.inv(c), rtol=1e-12)


@pytest.mark.parametrize("allow_singular", [False, True])
def test_multivariate_normal_gradient_in_cov_is_symmetric(allow_singular):
    # the density reads cov's symmetric part: its gradient is the symmetric matrix
    # (C^-1 r r^T C^-1 - C^-1) / 2, as JAX's (it was the lower triangle of twice that)
    rng = np.random.default_rng(3)
    c, x, m = _spd(3, 6), rng.normal(size=(4, 3)), rng.normal(size=3)
    ci = np.linalg.inv(c)
    r = x - m
    want = 0.5 * (ci @ r.T @ r @ ci - 4 * ci)
    g = fad.grad(lambda c: fad.numpy.sum(st.multivariate_normal.logpdf(
        x, m, c, allow_singular=allow_singular)))(c)
    np.testing.assert_allclose(g, want, rtol=1e-10)
    np.testing.assert_allclose(fad.grad(lambda c: st.multivariate_normal.entropy(cov=c))(c),
                               0.5 * ci, rtol=1e-12)
