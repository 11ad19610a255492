"""funcad.scipy.stats against jax.scipy.stats: values, first and second derivatives.

Every method the two modules share (``logpdf``, ``cdf``, ``logsf``, ``ppf`` ...) runs on the
same arguments in both; values and the gradients in each differentiable argument (the data
and every parameter funcad differentiates) must agree, and so must the second derivative
in each scalar parameter. Skipped when JAX is not installed; CI's `parity` leg installs it
and fails if they skip (tests/conftest.py, FUNCAD_REQUIRE).
"""

from __future__ import annotations

import numpy as np
import pytest

import funcad as fad

pytest.importorskip("scipy")
jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import jax.scipy.stats as js  # noqa: E402

import funcad.scipy.stats as st  # noqa: E402

X = np.array([-1.3, 0.2, 0.7, 2.1])
P = np.array([0.1, 0.35, 0.6, 0.9])
POS = np.abs(X) + 0.5
K = np.array([0.0, 1.0, 3.0, 4.0])

# name -> (args at x, args at q, indices funcad differentiates in x-methods; in the
# distribution functions and quantiles the shape parameters of SHAPED are left out)
DISTS = {
    "norm": ((X, 0.3, 1.7), (P, 0.3, 1.7), (0, 1, 2)),
    "laplace": ((X, 0.3, 1.7), (P, 0.3, 1.7), (0, 1, 2)),
    "logistic": ((X, 0.3, 1.7), (P, 0.3, 1.7), (0, 1, 2)),
    "cauchy": ((X, 0.3, 1.7), (P, 0.3, 1.7), (0, 1, 2)),
    "expon": ((POS + 1.0, 0.3, 1.7), (P, 0.3, 1.7), (0, 1, 2)),
    "uniform": ((X, -2.0, 5.0), (P, -2.0, 5.0), (0, 1, 2)),
    "t": ((X, 3.5, 0.3, 1.7), (P, 3.5, 0.3, 1.7), (0, 1, 2, 3)),
    "gamma": ((POS, 2.5, 0.1, 1.7), (P, 2.5, 0.1, 1.7), (0, 1, 2, 3)),
    "chi2": ((POS, 3.5, 0.1, 1.7), (P, 3.5, 0.1, 1.7), (0, 1, 2, 3)),
    "beta": ((P, 2.5, 1.5, -0.05, 1.1), (P, 2.5, 1.5, -0.05, 1.1), (0, 1, 2, 3, 4)),
    "pareto": ((POS + 2.0, 2.5, 0.1, 1.7), (P, 2.5, 0.1, 1.7), (0, 1, 2, 3)),
    "vonmises": ((X, 1.5), (P, 1.5), (0, 1)),
    "truncnorm": ((X, -1.5, 2.5, 0.3, 1.7), (P, -1.5, 2.5, 0.3, 1.7), (0, 1, 2, 3, 4)),
    "poisson": ((K, 2.3), None, (1,)),
    "bernoulli": ((np.array([0.0, 1.0]), 0.3), None, (1,)),
    "binom": ((K, 5, 0.3), None, (2,)),
    "geom": ((K + 1, 0.3), None, (1,)),
    "nbinom": ((K, 2.5, 0.3), None, (1, 2)),
}
# the distribution functions and quantiles are not differentiated in these shape parameters
# (funcad raises NoRuleError there: the incomplete gamma/beta function's parameter)
SHAPE_FREE = {"cdf", "sf", "logcdf", "logsf", "ppf", "isf"}
SHAPES = {"t": (1,), "gamma": (1,), "chi2": (1,), "beta": (1, 2), "binom": (1,),
          "nbinom": (1,)}
METHODS = ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf", "logpmf", "pmf")

CASES = [(d, m) for d in DISTS for m in METHODS
         if m in getattr(getattr(st, d), "__all__", ()) and hasattr(getattr(js, d), m)]


def _sum_at(fn, args, i, lib):
    def f(v):
        a = list(args)
        a[i] = v
        return lib.sum(fn(*a))
    return f


@pytest.mark.parametrize("name,method", CASES, ids=[f"{d}.{m}" for d, m in CASES])
def test_stats_matches_jax(name, method):
    at_x, at_q, diff = DISTS[name]
    args = at_q if method in ("ppf", "isf") else at_x
    ours, theirs = getattr(getattr(st, name), method), getattr(getattr(js, name), method)
    np.testing.assert_allclose(ours(*args), theirs(*args), rtol=1e-10, atol=1e-300)
    if method in SHAPE_FREE:
        diff = tuple(i for i in diff if i not in SHAPES.get(name, ()))
    for i in diff:
        f, g = _sum_at(ours, args, i, fad.numpy), _sum_at(theirs, args, i, jnp)
        v = args[i] if i == 0 else float(args[i])
        np.testing.assert_allclose(fad.grad(f)(v), jax.grad(g)(v), rtol=1e-9, atol=1e-12,
                                   err_msg=f"d/d arg {i}")
        if i > 0:
            np.testing.assert_allclose(fad.grad(fad.grad(f))(v), jax.grad(jax.grad(g))(v),
                                       rtol=1e-8, atol=1e-10, err_msg=f"d2/d arg {i}")


def _spd(d, seed):
    a = np.random.default_rng(seed).normal(size=(d, d))
    return a @ a.T + d * np.eye(d)


def test_stats_multivariate_match_jax():
    rng = np.random.default_rng(0)
    x, mean, cov = rng.normal(size=(4, 3)), rng.normal(size=3), _spd(3, 1)
    alpha = np.array([1.5, 2.0, 3.5])
    xd = np.array([[0.2, 0.3], [0.5, 0.1], [0.3, 0.6]])
    counts, p = np.array([[1.0, 2.0, 0.0], [0.0, 0.0, 3.0]]), np.array([0.2, 0.3, 0.5])
    cases = [
        ("multivariate_normal", "logpdf", (x, mean, cov), (0, 1, 2)),
        ("multivariate_normal", "pdf", (x[0], mean, cov), (0, 1, 2)),
        ("dirichlet", "logpdf", (xd, alpha), (0, 1)),
        ("dirichlet", "pdf", (xd[:, 0], alpha), (0, 1)),
        # one x at a time: JAX's support check sums x over all axes
        ("multinomial", "logpmf", (counts[1], 3, p), (2,)),
        ("multinomial", "pmf", (counts[0], 3, p), (2,)),
    ]
    for name, method, args, diff in cases:
        ours, theirs = getattr(getattr(st, name), method), getattr(getattr(js, name), method)
        jargs = tuple(a.astype(np.int64) if name == "multinomial" and i < 2 else a
                      for i, a in enumerate((np.asarray(args[0]), np.asarray(args[1])))) \
            + args[2:]
        np.testing.assert_allclose(ours(*args), theirs(*jargs), rtol=1e-10, err_msg=name)
        for i in diff:
            f, g = _sum_at(ours, args, i, fad.numpy), _sum_at(theirs, jargs, i, jnp)
            # (in cov both give the symmetric gradient)
            np.testing.assert_allclose(fad.grad(f)(args[i]), jax.grad(g)(jargs[i]), rtol=1e-9,
                                       err_msg=f"{name} d/d arg {i}")
