"""Specs of funcad.scipy.special (skipped when SciPy, an optional extra, is missing)."""

import importlib.util

from ._spec import BINARY_SHAPES, UNARY_SHAPES, Spec

U, B = UNARY_SHAPES[:2], BINARY_SHAPES[:3]

if importlib.util.find_spec("scipy") is None:
    SPECS = []
else:
    import numpy as np
    import scipy.special as ss

    from funcad.scipy import signal as sig
    from funcad.scipy import special as S

    SPECS = [
        Spec("erf", S.erf, U), Spec("erfc", S.erfc, U),
        Spec("erfinv", S.erfinv, U, "unit"), Spec("erfcinv", lambda x: S.erfcinv(x + 1), U, "unit"),
        Spec("gammaln", S.gammaln, U, "positive"), Spec("digamma", S.digamma, U, "positive"),
        Spec("polygamma", lambda x: S.polygamma(2, x), U, "positive"),
        Spec("gamma", S.gamma, U, "positive"),
        Spec("beta", S.beta, B, "positive"), Spec("betaln", S.betaln, B, "positive"),
        Spec("expit", S.expit, U), Spec("logit", lambda x: S.logit(0.5 + 0.5 * x), U, "unit"),
        Spec("xlogy", S.xlogy, B, ("real", "positive")),
        Spec("xlog1py", S.xlog1py, B, ("real", "positive")),
        Spec("logsumexp", lambda x: S.logsumexp(x, axis=-1), [((3,),), ((2, 3),)]),
        Spec("logsumexp_b", lambda x, b: S.logsumexp(x, b=b), [((3,), (3,))],
             ("real", "positive")),
        Spec("softmax", lambda x: S.softmax(x, axis=-1), [((3,),), ((2, 3),)]),
        Spec("log_softmax", lambda x: S.log_softmax(x, axis=0), [((3,),), ((2, 3),)]),
        Spec("i0", S.i0, U), Spec("i1", S.i1, U), Spec("i0e", S.i0e, U, "nonzero"),
        Spec("i1e", S.i1e, U, "nonzero"),
        Spec("j0", S.j0, U), Spec("j1", S.j1, U), Spec("y0", S.y0, U, "positive"),
        Spec("y1", S.y1, U, "positive"),
        Spec("jn", lambda x: S.jn(2, x), U), Spec("yn", lambda x: S.yn(1, x), U, "positive"),
        Spec("iv", lambda x: S.iv(1.5, x), U, "positive"),
        Spec("kv", lambda x: S.kv(0.5, x), U, "positive"),
        Spec("ufunc_dispatch", lambda x: ss.erf(x) * ss.gammaln(x), U, "positive"),
        Spec("np_mix", lambda x: np.sum(S.expit(x) ** 2), U),
        # the primitives funcad.scipy.stats is built on (derivatives in x; the shape's raise)
        Spec("ndtr", S.ndtr, U), Spec("log_ndtr", S.log_ndtr, U),
        Spec("ndtri", lambda x: S.ndtri(0.5 + 0.4 * x), U, "unit"),
        Spec("gammainc_x", lambda x: S.gammainc(2.5, x), U, "positive"),
        Spec("gammaincc_x", lambda x: S.gammaincc(2.5, x), U, "positive"),
        Spec("stdtr_x", lambda x: S.stdtr(3.0, x), U),
        # funcad.scipy.signal: one bilinear convolution primitive under every mode
        Spec("signal_convolve", sig.convolve, [((5,), (3,)), ((4, 3), (2, 2))]),
        Spec("signal_correlate_same", lambda a, v: sig.correlate(a, v, mode="same"),
             [((5,), (3,))]),
        Spec("signal_convolve2d_valid", lambda a, v: sig.convolve2d(a, v, mode="valid"),
             [((4, 5), (2, 3))]),
        Spec("signal_fftconvolve_axes", lambda a, v: sig.fftconvolve(a, v, axes=1),
             [((2, 5), (1, 3))]),
    ]
