"""The gamma family: polygamma, digamma, gammaln, gamma, beta, betaln and relatives."""

from __future__ import annotations

from ...extend import dtype_of
from ._base import binary, doc, unary

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
