"""Error functions and the normal distribution function (ndtr, log_ndtr, ndtri)."""

from __future__ import annotations

import numpy as np

from ...extend import ops
from ._base import SQRT_PI, doc, unary

_erf_p, erf = unary("erf", lambda ans, x: (2 / SQRT_PI) * ops.exp(-x * x),
                    doc("erf", "round(float(fad.grad(special.erf)(0.0)), 6)\n        1.128379"))
_erfc_p, erfc = unary("erfc", lambda ans, x: (-2 / SQRT_PI) * ops.exp(-x * x),
                      doc("erfc", "round(float(fad.grad(special.erfc)(0.0)), 6)\n"
                          "        -1.128379"))
_erfinv_p, erfinv = unary("erfinv", lambda ans, x: (SQRT_PI / 2) * ops.exp(ans * ans),
                          doc("erfinv", "round(float(fad.grad(special.erfinv)(0.0)), 6)\n"
                              "        0.886227"), keep_x=False, keep_ans=True)
_erfcinv_p, erfcinv = unary("erfcinv", lambda ans, x: (-SQRT_PI / 2) * ops.exp(ans * ans),
                            doc("erfcinv", "round(float(fad.grad(special.erfcinv)(1.0)), 6)\n"
                                "        -0.886227"), keep_x=False, keep_ans=True)

# the normal distribution function, its log (stable far into the lower tail: SciPy's
# log_ndtr uses an asymptotic series there) and its inverse
_SQRT_2PI = float(np.sqrt(2 * np.pi))
_LOG_SQRT_2PI = float(np.log(np.sqrt(2 * np.pi)))
_ndtr_p, ndtr = unary("ndtr", lambda ans, x: ops.exp(-0.5 * x * x) / _SQRT_2PI,
                      doc("ndtr", "round(float(fad.grad(special.ndtr)(0.0)), 6)\n"
                          "        0.398942"))
# d log Phi(x) = phi(x) / Phi(x) = exp(log phi(x) - log Phi(x)): finite for x = -40
_log_ndtr_p, log_ndtr = unary(
    "log_ndtr", lambda ans, x: ops.exp(-0.5 * x * x - _LOG_SQRT_2PI - ans),
    doc("log_ndtr", "round(float(fad.grad(special.log_ndtr)(-40.0)), 4)   # ~ -x\n"
        "        40.0249"), keep_ans=True)
_ndtri_p, ndtri = unary("ndtri", lambda ans, x: _SQRT_2PI * ops.exp(0.5 * ans * ans),
                        doc("ndtri", "round(float(fad.grad(special.ndtri)(0.5)), 6)\n"
                            "        2.506628"), keep_x=False, keep_ans=True)
