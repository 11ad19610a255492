"""The distribution functions built on special.betainc (beta, binom, nbinom, f): values against
scipy.stats, derivatives in both modes to order 2 (the shape parameters through betainc's
series), vmap against a loop, and binom's n, which has no derivative (named, never a zero)."""

from __future__ import annotations

import numpy as np
import pytest

import funcad as fad
from funcad.errors import NoRuleError

pytest.importorskip("scipy")
import scipy.stats as ss  # noqa: E402

from funcad.scipy.stats import beta, binom, f, nbinom  # noqa: E402
from funcad.test_util import check_grads  # noqa: E402

Z = np.array([-0.2, 0.0, 0.15, 0.5, 0.8, 1.0, 1.3])       # beta: off, on the edges, inside
K = np.array([-1.0, 0.0, 1.0, 2.5, 4.0, 5.0, 7.0])        # binom/nbinom: floored like SciPy
XF = np.array([-1.0, 0.0, 0.2, 1.0, 3.5])
METHODS = ("cdf", "sf", "logcdf", "logsf")

# (label, our module, scipy's, method, args): the first arg is the one vmapped
CASES = [("beta", beta, ss.beta, m, (Z, 2.5, 1.5, -0.05, 1.1)) for m in METHODS] + [
    ("binom", binom, ss.binom, m, (K, 5, 0.3)) for m in METHODS] + [
    ("nbinom", nbinom, ss.nbinom, m, (K, 3.5, 0.4)) for m in METHODS] + [
    ("f", f, ss.f, m, (XF, 3.0, 4.5, 0.1, 1.3)) for m in ("logpdf", "pdf") + METHODS]


@pytest.mark.parametrize("name,mod,ref,method,args", CASES,
                         ids=[f"{c[0]}.{c[3]}" for c in CASES])
def test_values_plain_traced_and_vmapped(name, mod, ref, method, args):
    want = getattr(ref, method)(*args)
    fn = getattr(mod, method)
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(fn(*args), want, rtol=1e-10, atol=1e-14)
        got = fad.vmap(lambda first: fn(first, *args[1:]))(args[0])     # traced
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-14)


# (label, function of the differentiable arguments, their values)
GRADS = [
    ("beta.cdf(x, loc, scale)", lambda x, lo, s: beta.cdf(x, 2.5, 1.5, lo, s),
     (np.array([0.2, 0.6]), 0.05, 1.1)),
    ("beta.logsf(x)", lambda x: beta.logsf(x, 0.7, 2.0), (np.array([0.2, 0.6]),)),
    ("binom.cdf(p)", lambda p: binom.cdf(K, 5, p), (0.3,)),
    ("binom.logsf(p)", lambda p: binom.logsf(np.array([0.0, 2.0, 4.0]), 5, p), (0.3,)),
    ("nbinom.cdf(p)", lambda p: nbinom.cdf(K, 3.5, p), (0.4,)),
    ("nbinom.logsf(p)", lambda p: nbinom.logsf(K, 3.5, p), (0.4,)),
    ("f.logcdf(x, loc, scale)", lambda x, lo, s: f.logcdf(x, 3.0, 4.5, lo, s),
     (np.array([0.5, 2.0]), 0.1, 1.3)),
    ("f.sf far out", lambda x: f.logsf(x, 3.0, 4.5), (np.array([1e3, 1e8]),)),
    ("f.logpdf(x, dfn, dfd)", lambda x, a, b: f.logpdf(x, a, b), (np.array([0.5, 2.0]), 3.0, 4.5)),
]


@pytest.mark.parametrize("name,fn,args", GRADS, ids=[g[0] for g in GRADS])
def test_check_grads_both_modes_order_2(name, fn, args):
    check_grads(fn, args, order=2)


def test_derivative_in_p_is_the_closed_form():
    # d/dp P(X <= k) = -n C(n-1, k) p^k (1-p)^(n-1-k) for the binomial
    n, k, p = 6, 2, 0.35
    want = -n * ss.binom.pmf(k, n - 1, p)
    assert fad.grad(binom.cdf, 2)(k, n, p) == pytest.approx(want, rel=1e-10)
    assert fad.grad(binom.sf, 2)(k, n, p) == pytest.approx(-want, rel=1e-10)
    # d/dp P(X <= k) = n/p P(X = k ; n, p) ... for the negative binomial: (n + k) C(..) form
    r = 2.5
    h = 1e-6
    fd = (ss.nbinom.cdf(k, r, p + h) - ss.nbinom.cdf(k, r, p - h)) / (2 * h)
    assert fad.grad(nbinom.cdf, 2)(k, r, p) == pytest.approx(fd, rel=1e-6)


def test_beta_cdf_gradient_is_the_density_and_zero_off_support():
    x = np.array([-0.5, 0.3, 0.7, 1.5])
    g = fad.vmap(fad.grad(lambda x: beta.cdf(x, 2.5, 1.5)))(x)
    np.testing.assert_allclose(g, [0.0, ss.beta.pdf(0.3, 2.5, 1.5),
                                   ss.beta.pdf(0.7, 2.5, 1.5), 0.0], rtol=1e-12)


# the shape parameters through betainc's series: against central differences of SciPy
SHAPES = [
    ("beta.cdf(a)", lambda a: beta.cdf(0.3, a, 2.0), lambda a: ss.beta.cdf(0.3, a, 2.0), 2.5),
    ("beta.sf(b)", lambda b: beta.sf(0.3, 2.0, b), lambda b: ss.beta.sf(0.3, 2.0, b), 1.5),
    ("beta.logcdf(b)", lambda b: beta.logcdf(0.8, 2.0, b), lambda b: ss.beta.logcdf(0.8, 2.0, b),
     0.7),
    ("nbinom.cdf(n)", lambda n: nbinom.cdf(3.0, n, 0.4), lambda n: ss.nbinom.cdf(3.0, n, 0.4),
     2.5),
    ("nbinom.logsf(n)", lambda n: nbinom.logsf(3.0, n, 0.4),
     lambda n: ss.nbinom.logsf(3.0, n, 0.4), 2.5),
    ("f.cdf(dfn)", lambda d: f.cdf(1.2, d, 4.0), lambda d: ss.f.cdf(1.2, d, 4.0), 3.0),
    ("f.sf(dfd)", lambda d: f.sf(1.2, 3.0, d), lambda d: ss.f.sf(1.2, 3.0, d), 4.0),
]


@pytest.mark.parametrize("name,fn,ref,v", SHAPES, ids=[s[0] for s in SHAPES])
def test_shape_derivatives_against_scipy_differences(name, fn, ref, v):
    h = 1e-5
    want = (ref(v + h) - ref(v - h)) / (2 * h)
    assert fad.grad(fn)(v) == pytest.approx(want, rel=1e-6)
    assert fad.jvp(fn, (v,), (1.0,))[1] == pytest.approx(want, rel=1e-6)
    check_grads(fn, (v,), order=2)


@pytest.mark.parametrize("mode", ["rev", "fwd"])
@pytest.mark.parametrize("method", ["cdf", "sf", "logcdf", "logsf"])
def test_binom_n_raises_it_is_a_count(method, mode):
    fn = lambda n: getattr(binom, method)(2.0, n, 0.3)        # noqa: E731
    with pytest.raises(NoRuleError, match=r"binom\.cdf/sf/logcdf/logsf: no derivative with "
                                          r"respect to n \(a count"):
        if mode == "rev":
            fad.grad(fn)(6.0)
        else:
            fad.jvp(fn, (6.0,), (1.0,))
    # a plain n under vmap needs no derivative
    np.testing.assert_allclose(fad.vmap(lambda n: getattr(binom, method)(2.0, n, 0.3))(
        np.array([5.0, 6.0])), getattr(ss.binom, method)(2.0, np.array([5, 6]), 0.3), rtol=1e-12)
