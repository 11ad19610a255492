"""funcad.scipy.special, the functions added for jax.scipy.special parity: values against SciPy
(plain and traced), derivatives against closed forms, and the errors for the arguments without
a derivative rule (each names the function and the argument, never a silent zero)."""

from __future__ import annotations

import numpy as np
import pytest

import funcad as fad
import funcad.numpy as fnp
from funcad.errors import NoRuleError

sp = pytest.importorskip("scipy.special")

from funcad.scipy import special as S  # noqa: E402

X = np.array([0.3, 0.9, 1.7, 3.2])
U = np.array([0.05, 0.3, 0.5, 0.95])


def _traced_value(f, *args):
    """The value of ``f`` computed on traced inputs (through the primitives, not SciPy): vmap
    over the leading axis (no tangent, so arguments without a derivative rule are fine)."""
    return fad.vmap(f)(*args)


# (name, funcad function, scipy function, args): each value plain and traced against SciPy
VALUES = [
    ("entr", S.entr, sp.entr, (np.array([0.0, 0.5, 2.0, -1.0]),)),
    ("rel_entr", S.rel_entr, sp.rel_entr, (np.array([0.0, 0.5, 2.0, 1.0]), X)),
    ("kl_div", S.kl_div, sp.kl_div, (np.array([0.0, 0.5, 2.0, 1.0]), X)),
    ("multigammaln", lambda a: S.multigammaln(a, 3), lambda a: sp.multigammaln(a, 3), (X + 1,)),
    ("betainc", S.betainc, sp.betainc, (X, X[::-1], U)),
    ("betaincc", S.betaincc, sp.betaincc, (X, X[::-1], U)),
    ("zeta", S.zeta, sp.zeta, (X + 1.5, X)),
    ("zeta_riemann", S.zeta, sp.zeta, (np.array([-1.5, 0.5, 2.0, 3.0]),)),
    ("exp1", S.exp1, sp.exp1, (X,)), ("expi", S.expi, sp.expi, (X - 1,)),
    ("expn", S.expn, sp.expn, (np.array([0, 1, 2, 5]), X)),
    ("poch", S.poch, sp.poch, (X, X[::-1])),
    ("rgamma", S.rgamma, sp.rgamma, (np.array([-1.0, -0.5, 0.5, 3.0]),)),
    ("loggamma", S.loggamma, sp.loggamma, (X,)),
    ("gammasgn", S.gammasgn, sp.gammasgn, (np.array([-2.5, -1.5, 0.5, 3.0]),)),
    ("spence", S.spence, sp.spence, (np.array([0.0, 0.5, 1.0, 3.0]),)),
    ("fresnel", S.fresnel, sp.fresnel, (X - 2,)), ("sici", S.sici, sp.sici, (X - 2,)),
    ("shichi", S.shichi, sp.shichi, (X - 2,)),
    ("hyp1f1", S.hyp1f1, sp.hyp1f1, (X, X[::-1] + 0.5, X - 2)),
    ("factorial", S.factorial, sp.factorial, (np.array([0.0, 1.0, 5.0, -2.0]),)),
]


@pytest.mark.parametrize("name,f,ref,args", VALUES, ids=[v[0] for v in VALUES])
def test_values_against_scipy(name, f, ref, args):
    with np.errstate(all="ignore"):
        want = ref(*args)
        np.testing.assert_allclose(f(*args), want, rtol=1e-12, equal_nan=True)
        got = _traced_value(f, *args)
        np.testing.assert_allclose(got, want, rtol=1e-12, equal_nan=True)


# (name, f, x, the derivative's closed form at x)
DERIVATIVES = [
    ("entr", S.entr, 0.5, -(np.log(0.5) + 1)),
    ("rel_entr_y", lambda y: S.rel_entr(2.0, y), 4.0, -0.5),
    ("kl_div_x", lambda x: S.kl_div(x, 4.0), 2.0, np.log(0.5)),
    ("multigammaln", lambda a: S.multigammaln(a, 2), 3.0, sp.digamma(3.0) + sp.digamma(2.5)),
    ("betainc_x", lambda x: S.betainc(2.0, 3.0, x), 0.3, 12 * 0.3 * 0.7 ** 2),
    ("zeta_q", lambda q: S.zeta(3.0, q), 2.0, -3 * sp.zeta(4.0, 2.0)),
    ("exp1", S.exp1, 2.0, -np.exp(-2.0) / 2.0), ("expi", S.expi, -2.0, np.exp(-2.0) / -2.0),
    ("expn0", lambda x: S.expn(0, x), 2.0, -np.exp(-2.0) * (1 + 0.5) / 2.0),
    ("expn3", lambda x: S.expn(3, x), 2.0, -sp.expn(2, 2.0)),
    ("poch_m", lambda m: S.poch(1.5, m), 2.0, sp.poch(1.5, 2.0) * sp.digamma(3.5)),
    ("rgamma", S.rgamma, 2.5, -sp.digamma(2.5) / sp.gamma(2.5)),
    ("spence", S.spence, 3.0, np.log(3.0) / -2.0), ("spence_at_1", S.spence, 1.0, -1.0),
    ("fresnel_s", lambda z: S.fresnel(z)[0], 0.7, np.sin(np.pi / 2 * 0.49)),
    ("sici_si_at_0", lambda x: S.sici(x)[0], 0.0, 1.0),
    ("shichi_shi_at_0", lambda x: S.shichi(x)[0], 0.0, 1.0),
    ("shichi_chi", lambda x: S.shichi(x)[1], -1.5, np.cosh(1.5) / -1.5),
    ("hyp1f1_z", lambda z: S.hyp1f1(1.0, 1.0, z), 0.7, np.exp(0.7)),
    ("logsumexp_neg_b", lambda a: S.logsumexp(fnp.stack([a, 0.0]), b=np.array([-1.0, 2.0])),
     0.3, -np.exp(0.3) / (2.0 - np.exp(0.3))),
]


@pytest.mark.parametrize("name,f,x,want", DERIVATIVES, ids=[d[0] for d in DERIVATIVES])
@pytest.mark.filterwarnings("ignore:divide by zero")   # the pair's other output at 0 (Ci, Chi)
def test_derivatives_against_closed_forms(name, f, x, want):
    assert fad.grad(f)(x) == pytest.approx(want, rel=1e-10)
    assert fad.jvp(f, (x,), (1.0,))[1] == pytest.approx(want, rel=1e-10)


def test_spence_second_derivative_at_one():
    # log(z)/(1 - z) = -1 + u/2 - u^2/3 ... at u = z - 1: the where-branch at z = 1 keeps it
    assert fad.grad(fad.grad(S.spence))(1.0) == pytest.approx(0.5, rel=1e-12)
    assert fad.grad(fad.grad(fad.grad(S.spence)))(1.0) == pytest.approx(-2 / 3, rel=1e-12)


def test_logsumexp_sign_and_weights_as_scipy():
    a = np.array([[1.0, 2.0, 3.0], [0.5, 1000.0, -1.0]])
    b = np.array([[1.0, -1.0, 0.5], [1.0, 0.0, 2.0]])     # a zero weight on a huge exponent
    for axis in (None, 0, 1, (0, 1)):
        for keepdims in (False, True):
            want = sp.logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=True)
            got = fad.jvp(lambda a: S.logsumexp(a, axis=axis, b=b, keepdims=keepdims,
                                                return_sign=True), (a,), (a,))[0]
            np.testing.assert_allclose(got[0], want[0], rtol=1e-12)
            np.testing.assert_array_equal(got[1], want[1])
    # a negative sum without return_sign is NaN, as SciPy
    with np.errstate(invalid="ignore"):
        f = lambda a: S.logsumexp(a, b=np.array([1.0, -1.0]))       # noqa: E731
        assert np.isnan(fad.jvp(f, (np.array([1.0, 2.0]),), (np.ones(2),))[0])
    # the weight-0 entry gets a zero gradient, the others b e^a / sum(b e^a) over the live ones
    g = fad.grad(lambda a: S.logsumexp(a, b=b[1]))(a[1])
    w = np.array([np.exp(0.5), 0.0, 2 * np.exp(-1.0)])
    np.testing.assert_allclose(g, w / w.sum(), rtol=1e-12)


def test_multigammaln_domain_error_names_the_bound():
    with pytest.raises(ValueError, match=r"multigammaln\(a, d=3\).*> \(d - 1\)/2 = 1.0"):
        fad.grad(lambda a: S.multigammaln(a, 3))(0.9)


def test_bernoulli_matches_scipy():
    np.testing.assert_allclose(S.bernoulli(6), sp.bernoulli(6))


# (call, the argument named in the error)
NO_RULE = [
    (lambda x: S.zeta(x, 2.0), "zeta", "parameter x"),
    (lambda x: S.zeta(x), "zeta", "parameter x"),
    (lambda a: S.hyp1f1(a, 1.5, 0.3), "hyp1f1", "parameter a"),
    (lambda b: S.hyp1f1(1.0, b, 0.3), "hyp1f1", "parameter b"),
    (lambda n: S.expn(n, 0.3), "expn", "order"),
    (S.factorial, "factorial", "n is not"),
]


@pytest.mark.parametrize("f,name,arg", NO_RULE, ids=[f"{n[1]}-{n[2]}" for n in NO_RULE])
@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_missing_derivatives_raise_naming_function_and_argument(f, name, arg, mode):
    with pytest.raises(NoRuleError, match=rf"scipy\.special\.{name}: the derivative with "
                                          rf"respect to .*{arg}"):
        if mode == "rev":
            fad.grad(f)(2.0)
        else:
            fad.jvp(f, (2.0,), (1.0,))


# (a, b, x): small and large shapes, both sides of the switch x = (a + 1)/(a + b + 2), the
# long series of x close to 1 with a >> b, and the edges x = 0 and 1
BETAINC_AB = [(2.0, 3.0, 0.3), (2.0, 3.0, 0.8), (0.5, 0.5, 0.5), (50.0, 51.0, 0.5),
              (1000.0, 0.5, 0.99), (0.3, 5.0, 0.01), (5.5, 1.0, 0.7), (3.0, 2.0, 0.0),
              (3.0, 2.0, 1.0)]


@pytest.mark.parametrize("a,b,x", BETAINC_AB)
def test_betainc_derivatives_in_a_and_b_against_scipy_differences(a, b, x):
    ha, hb = 1e-5 * max(1.0, a), 1e-5 * max(1.0, b)
    da = (sp.betainc(a + ha, b, x) - sp.betainc(a - ha, b, x)) / (2 * ha)
    db = (sp.betainc(a, b + hb, x) - sp.betainc(a, b - hb, x)) / (2 * hb)
    ga, gb, _ = fad.grad(S.betainc, argnums=(0, 1, 2))(a, b, x)
    assert ga == pytest.approx(da, rel=1e-6, abs=1e-12)
    assert gb == pytest.approx(db, rel=1e-6, abs=1e-12)
    # the complement's are their negatives, in forward mode too
    assert fad.jvp(lambda a: S.betaincc(a, b, x), (a,), (1.0,))[1] == pytest.approx(-ga, rel=1e-12,
                                                                                  abs=1e-300)


def test_betainc_shape_derivatives_under_vmap_match_a_loop():
    # the elementwise choices (the symmetry x > (a+1)/(a+b+2), the edges) pair up under vmap:
    # they were read from the batched values once, and vmap(grad) summed the examples
    a, b, x = np.array([2.0, 3.0, 0.5, 4.0]), np.array([3.0, 2.0, 0.5, 1.5]), U
    g = fad.grad(S.betainc, argnums=(0, 1))
    for in_axes in [(0, 0, 0), (0, None, None), (None, 0, 0)]:
        args = [v if ax == 0 else v[1] for v, ax in zip((a, b, x), in_axes)]
        got = fad.vmap(g, in_axes=in_axes)(*args)
        want = [g(*[v[i] if ax == 0 else v for v, ax in zip(args, in_axes)]) for i in range(4)]
        np.testing.assert_allclose(got, np.array(want).T, rtol=1e-12)
    h = fad.hessian(lambda a, b: S.betainc(a, b, 0.6), argnums=(0, 1))
    np.testing.assert_allclose(np.array(fad.vmap(h)(a, b)).transpose(2, 0, 1),
                               [np.array(h(p, q)) for p, q in zip(a, b)], rtol=1e-12)


def test_betainc_shape_derivative_of_invalid_shapes_is_nan():
    with np.errstate(all="ignore"):
        assert np.isnan(fad.grad(S.betainc)(-1.0, 2.0, 0.3))


def test_betainc_series_too_long_raises_naming_the_point():
    with pytest.raises(NoRuleError, match=r"betainc: the derivative in a or b needs more than "
                                          r"20000 series terms at a=1000000.0"):
        fad.grad(S.betainc)(1e6, 0.5, 0.99999)


def test_gammasgn_has_derivative_zero_and_factorial_batches():
    assert fad.grad(lambda x: S.gammasgn(x) * x)(-0.5) == -1.0
    np.testing.assert_array_equal(fad.vmap(S.factorial)(np.array([0.0, 4.0, -1.0])),
                                  [1.0, 24.0, 0.0])


def test_scipy_ufuncs_on_traced_values_route_here():
    # scipy.special.<name> called inside a transform reaches funcad's rules
    assert fad.grad(sp.exp1)(2.0) == pytest.approx(-np.exp(-2.0) / 2.0, rel=1e-12)
    s_c = fad.jacfwd(sp.fresnel)(0.7)
    assert s_c[1] == pytest.approx(np.cos(np.pi / 2 * 0.49), rel=1e-12)
    assert fad.grad(sp.betainc, 2)(2.0, 3.0, 0.3) == pytest.approx(12 * 0.3 * 0.49, rel=1e-12)
