"""funcad.scipy.special: differentiable special functions (real arguments).

Each function is a primitive with a JVP, a VJP and a batching rule (or a
composite of such); derivatives are written with the same primitives, so they
differentiate again. SciPy's ufuncs called on traced values route here too
(``scipy.special.erf(x)`` inside ``fad.grad`` works). For the Bessel-type
functions the derivative is with respect to ``x`` only; differentiating with
respect to the order raises; an argument without a derivative rule raises NoRuleError naming
the function and the argument, never a silent zero. One module per family: ``_gamma``,
``_error``, ``_bessel``, ``_incomplete``, ``_logexp``, ``_integrals``, ``_hyper``.

Example:
    >>> import numpy as np, funcad as fad
    >>> from funcad.scipy import special
    >>> round(float(fad.grad(special.gammaln)(3.0)), 6)   # digamma(3) = 1.5 - euler_gamma
    0.922784
"""

from __future__ import annotations

from ._bessel import i0, i0e, i1, i1e, iv, ive, j0, j1, jn, jv, kv, y0, y1, yn, yv
from ._error import erf, erfc, erfcinv, erfinv, log_ndtr, ndtr, ndtri
from ._gamma import (beta, betaln, digamma, factorial, gamma, gammaln, gammasgn, loggamma,
                     multigammaln, poch, polygamma, rgamma)
from ._hyper import bernoulli, hyp1f1, zeta
from ._incomplete import betainc, betaincc, gammainc, gammaincc, stdtr
from ._integrals import exp1, expi, expn, fresnel, shichi, sici, spence
from ._logexp import (entr, expit, kl_div, log_softmax, logit, logsumexp, rel_entr, softmax,
                      xlog1py, xlogy)

__all__ = ["bernoulli", "beta", "betainc", "betaincc",
           "betaln", "digamma", "entr", "erf", "erfc", "erfcinv",
           "erfinv", "exp1", "expi", "expit", "expn", "factorial", "fresnel", "gamma", "gammainc",
           "gammaincc", "gammaln", "gammasgn", "hyp1f1", "i0", "i0e", "i1", "i1e", "iv", "ive",
           "j0", "j1", "jn", "jv", "kl_div", "kv", "log_ndtr", "log_softmax", "loggamma", "logit",
           "logsumexp", "multigammaln", "ndtr", "ndtri", "poch", "polygamma", "rel_entr",
           "rgamma", "shichi", "sici", "softmax", "spence", "stdtr", "xlog1py", "xlogy", "y0",
           "y1", "yn", "yv", "zeta"]
