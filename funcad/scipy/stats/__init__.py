"""funcad.scipy.stats: differentiable log-densities and distribution functions.

Each distribution is a module with SciPy's call signatures (``norm.logpdf(x, loc=0,
scale=1)``), written with funcad.numpy and funcad.scipy.special, so it differentiates
in the data, in loc/scale and (for the densities) in the shape parameters, to any
order, in both modes and under vmap. Distribution functions and quantiles in a shape
parameter (the cdf/ppf of gamma, chi2, t in ``a``/``df``) raise NoRuleError: their
derivative needs the incomplete gamma/beta function's derivative in its parameter.

Example:
    >>> import funcad as fad
    >>> from funcad.scipy.stats import norm
    >>> float(fad.grad(norm.logpdf)(1.0))   # -(x - loc) / scale**2
    -1.0
"""

from __future__ import annotations

from . import (bernoulli, beta, binom, cauchy, chi2, dirichlet, expon, f, gamma,  # noqa: F401
               geom, invwishart, laplace, logistic, multinomial, multivariate_normal, nbinom,
               norm, pareto, poisson, t, truncnorm, uniform, vonmises, wishart)

__all__ = ["bernoulli", "beta", "binom", "cauchy", "chi2", "dirichlet", "expon", "f", "gamma",
           "geom", "invwishart", "laplace", "logistic", "multinomial", "multivariate_normal",
           "nbinom", "norm", "pareto", "poisson", "t", "truncnorm", "uniform", "vonmises",
           "wishart"]
