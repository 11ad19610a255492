"""The gamma family: polygamma, digamma, gammaln, gamma, beta, betaln and relatives (rgamma,
loggamma, gammasgn, poch, multigammaln, factorial)."""

from __future__ import annotations

import numpy as np
import scipy.special as sp

from ...extend import Primitive, batch_elementwise, defjvp, defvjp, dtype_of, primal_values
from ...numpy._base import is_traced
from ._base import Raises, binary, doc, elementwise, public, unary

# the order-taking polygamma first: the derivatives of the others are written with it
_polygamma_p, polygamma = binary(
    "polygamma", None, lambda ans, n, x: _polygamma_p(n + 1, x),
    doc("polygamma", "round(float(fad.grad(lambda x: special.polygamma(1, x))(1.0)), 6)\n"
        "        -2.404114"), order_arg=True)
# the order 1 in x's dtype: SciPy's polygamma with an integer order returns float64
_digamma_p, digamma = unary("digamma", lambda ans, x: _polygamma_p(dtype_of(x).type(1), x),
                            doc("digamma", "round(float(fad.grad(special.digamma)(1.0)), 6)\n"
                                "        1.644934"))
_gammaln_p, gammaln = unary("gammaln", lambda ans, x: _digamma_p(x),
                            doc("gammaln", "round(float(fad.grad(special.gammaln)(1.0)), 6)\n"
                                "        -0.577216"))
_gamma_p, gamma = unary("gamma", lambda ans, x: ans * _digamma_p(x),
                        doc("gamma", "round(float(fad.grad(special.gamma)(2.0)), 6)\n"
                            "        0.422784"), keep_ans=True)
_betaln_p, betaln = binary(
    "betaln", lambda ans, a, b: _digamma_p(a) - _digamma_p(a + b),
    lambda ans, a, b: _digamma_p(b) - _digamma_p(a + b),
    doc("betaln", "round(float(fad.grad(special.betaln)(1.0, 2.0)), 6)\n        -1.5"))
_beta_p, beta = binary(
    "beta", lambda ans, a, b: ans * (_digamma_p(a) - _digamma_p(a + b)),
    lambda ans, a, b: ans * (_digamma_p(b) - _digamma_p(a + b)),
    doc("beta", "round(float(fad.grad(special.beta)(1.0, 2.0)), 6)\n        -0.75"),
    keep_ans=True)

# 1/gamma: entire; at the poles of gamma (0, -1, ...) the value is 0 and this derivative NaN
_rgamma_p, rgamma = unary("rgamma", lambda ans, x: -ans * _digamma_p(x),
                          doc("rgamma", "round(float(fad.grad(special.rgamma)(1.0)), 6)   "
                              "# euler_gamma\n        0.577216"), keep_ans=True)
# the principal branch of log gamma on the reals: gammaln for x > 0 (NaN for x < 0, as SciPy)
_loggamma_p, loggamma = unary("loggamma", lambda ans, x: _digamma_p(x),
                              doc("loggamma", "round(float(fad.grad(special.loggamma)(1.0)), 6)"
                                  "\n        -0.577216"))
# the sign of gamma: piecewise constant, so its derivative is 0 (not a missing rule)
_gammasgn_p = Primitive("special.gammasgn", sp.gammasgn, nondiff=True)
batch_elementwise(_gammasgn_p)
gammasgn = public(_gammasgn_p, sp.gammasgn, "gammasgn",
                  doc("gammasgn", "float(special.gammasgn(-0.5)), float(fad.grad("
                      "special.gammasgn)(-0.5))\n        (-1.0, 0.0)"))
# the rising factorial gamma(z + m) / gamma(z)
_poch_p, poch = elementwise(
    "poch", (lambda ans, z, m: ans * (_digamma_p(z + m) - _digamma_p(z)),
             lambda ans, z, m: ans * _digamma_p(z + m)),
    doc("poch", "round(float(fad.grad(special.poch, 1)(1.0, 2.0)), 6)   # 2 * digamma(3)\n"
        "        1.845569"), keep_ans=True)


def multigammaln(a, d):
    """Differentiable ``scipy.special.multigammaln``: the log of the multivariate gamma function.

    ``d (d - 1)/4 log(pi) + sum_{j=0}^{d-1} gammaln(a - j/2)``, differentiable in ``a``.

    Args:
        a: the argument, every element > (d - 1)/2. d: the dimension (a positive int).

    Returns:
        ``log Gamma_d(a)``, shaped like ``a``.

    Raises:
        ValueError: an element of ``a`` is <= (d - 1)/2 (as SciPy).

    Example:
        >>> import funcad as fad
        >>> from funcad.scipy import special
        >>> round(float(fad.grad(lambda a: special.multigammaln(a, 2))(3.0)), 6)
        1.625941
    """
    if not is_traced(a):
        return sp.multigammaln(a, d)
    if int(d) != d or d < 1:
        raise ValueError(f"special.multigammaln: d must be a positive integer, got {d!r}")
    low = np.min(primal_values(a))
    if low <= 0.5 * (d - 1):
        raise ValueError(f"special.multigammaln(a, d={d}): every a must be > (d - 1)/2 = "
                         f"{0.5 * (d - 1)}, got a value {low!r}")
    out = 0.25 * d * (d - 1) * np.log(np.pi)     # a NumPy float64, as SciPy: float32 promotes
    for j in range(int(d)):
        out = out + _gammaln_p(a - 0.5 * j)
    return out


# factorial on integers (n! = gamma(n + 1) for n >= 0, 0 for n < 0, as SciPy with exact=False)
_factorial_p = Primitive("special.factorial", lambda n: sp.factorial(n, exact=False))
_no_factorial = Raises("factorial", "n", "it is a function of integers",
                       "For a smooth extension to real n >= 0 use special.gamma(n + 1.0) "
                       "(or special.gammaln(n + 1.0) for its log)")
defjvp(_factorial_p, _no_factorial)
defvjp(_factorial_p, _no_factorial)
batch_elementwise(_factorial_p)


def factorial(n, exact=False):
    """``scipy.special.factorial`` on plain and traced values; it has no derivative.

    Args:
        n: integers (or integer-valued floats); ``n < 0`` gives 0. exact: as SciPy (plain
            values only: exact integers need a concrete ``n``).

    Returns:
        ``n!`` as floats (``gamma(n + 1)``).

    Raises:
        NoRuleError: when differentiated (use ``special.gamma(n + 1.0)`` for a smooth
        extension to real ``n``).

    Example:
        >>> import numpy as np, funcad as fad
        >>> from funcad.scipy import special
        >>> fad.vmap(special.factorial)(np.array([0.0, 3.0, 5.0]))
        array([  1.,   6., 120.])
    """
    if not is_traced(n):
        return sp.factorial(n, exact=exact)
    if exact:
        raise ValueError("special.factorial(n, exact=True) needs a concrete n, got a traced "
                         "value; use exact=False")
    return _factorial_p(n)
