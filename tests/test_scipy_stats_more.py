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
] + [("pareto", m, (P, 2.5, 0.1, 1.7)) for m in QUANTILES]

# the shape parameter (index 1) is not differentiable: cdf-based or quantile primitives
SHAPED = [
    (d, m, (POS, s, 0.1, 1.7)) for d, s in (("gamma", 2.5), ("chi2", 3.5)) for m in TAILS
] + [("t", m, (X, 3.5, 0.3, 1.7)) for m in TAILS] + [
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
    with pytest.raises(fad.errors.NoRuleError, match="incomplete"):
        fad.jvp(f, (shape,), (1.0,))


def test_quantiles_invert_the_distribution_functions():
    q = np.array([1e-12, 0.03, 0.5, 0.97])
    for name, shape in [("expon", ()), ("laplace", ()), ("logistic", ()), ("cauchy", ()),
                        ("uniform", ()), ("norm", ()), ("pareto", (2.5,)), ("gamma", (2.5,)),
                        ("chi2", (3.5,)), ("t", (3.5,))]:
        d = getattr(st, name)
        # uniform's isf is 1.7 (1 - q) and pareto's ppf 1.7 (1 + q/2.5 + ...): x keeps only
        # the absolute digits of a tiny q
        tol = dict(rtol=1e-9, atol=1e-15 if name in ("uniform", "pareto") else 0.0,
                   err_msg=name)
        np.testing.assert_allclose(d.cdf(d.ppf(q, *shape, 0.0, 1.7), *shape, 0.0, 1.7), q,
                                   **tol)
        np.testing.assert_allclose(d.sf(d.isf(q, *shape, 0.0, 1.7), *shape, 0.0, 1.7), q,
                                   **tol)
        # the inverse-function rule: d ppf / dq = 1 / pdf(ppf(q))
        x = d.ppf(q[1:], *shape, 0.0, 1.7)
        g = fad.vmap(fad.grad(lambda q: d.ppf(q, *shape, 0.0, 1.7)))(q[1:])
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
    np.testing.assert_allclose(st.t.logcdf(60.0, 3.0), ss.t.logcdf(60.0, 3.0), rtol=1e-12)
    assert st.t.logcdf(60.0, 3.0) > -1e-5 and st.t.logcdf(60.0, 3.0) != 0.0
    np.testing.assert_allclose(st.gamma.logcdf(60.0, 2.5), ss.gamma.logcdf(60.0, 2.5),
                               rtol=1e-12)
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
