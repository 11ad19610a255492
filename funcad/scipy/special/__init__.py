"""funcad.scipy.special: differentiable special functions (real arguments).

Each function is a primitive with a JVP, a VJP and a batching rule (or a
composite of such); derivatives are written with the same primitives, so they
differentiate again. SciPy's ufuncs called on traced values route here too
(``scipy.special.erf(x)`` inside ``fad.grad`` works). For the Bessel-type
functions the derivative is with respect to ``x`` only; differentiating with
respect to the order raises. One module per family: ``_gamma``, ``_error``,
``_bessel``, ``_incomplete``, ``_logexp``.

Example:
    >>> import numpy as np, funcad as fad
    >>> from funcad.scipy import special
    >>> round(float(fad.grad(special.gammaln)(3.0)), 6)   # digamma(3) = 1.5 - euler_gamma
    0.922784
"""

from __future__ import annotations

from ._bessel import i0, i0e, i1, i1e, iv, ive, j0, j1, jn, jv, kv, y0, y1, yn, yv
from ._error import erf, erfc, erfcinv, erfinv, log_ndtr, ndtr, ndtri
from ._gamma import beta, betaln, digamma, gamma, gammaln, polygamma
from ._incomplete import gammainc, gammaincc, stdtr
from ._logexp import expit, log_softmax, logit, logsumexp, softmax, xlog1py, xlogy

__all__ = ["erf", "erfc", "erfinv", "erfcinv", "gammaln", "digamma", "polygamma", "gamma",
           "beta", "betaln", "expit", "logit", "xlogy", "xlog1py", "logsumexp", "softmax",
           "log_softmax", "ndtr", "log_ndtr", "ndtri", "gammainc", "gammaincc", "stdtr",
           "i0", "i1", "i0e", "i1e", "j0", "j1", "y0", "y1", "jn", "yn", "jv", "yv", "iv",
           "ive", "kv"]
