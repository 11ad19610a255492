"""Specs of the funcad.scipy.special functions added with issue 15's second part (skipped when
SciPy, an optional extra, is missing): every differentiable argument, to order 2."""

import importlib.util

from ._spec import BINARY_SHAPES, UNARY_SHAPES, Spec

U, B = UNARY_SHAPES[:2], BINARY_SHAPES[:3]

if importlib.util.find_spec("scipy") is None:
    SPECS = []
else:
    import numpy as np
    import scipy.special as ss

    from funcad.scipy import special as S

    def _u(x):          # "unit" (-0.8, 0.8) -> (0.1, 0.9): inside (0, 1) with margin
        return 0.5 + 0.5 * x

    SPECS = [
        Spec("entr", S.entr, U, "positive"),
        Spec("rel_entr", S.rel_entr, B, "positive"), Spec("kl_div", S.kl_div, B, "positive"),
        Spec("multigammaln", lambda a: S.multigammaln(a + 1.0, 3), U, "positive"),
        Spec("betainc_x", lambda x: S.betainc(2.5, 1.5, _u(x)), U, "unit"),
        Spec("betainc_bcast", lambda a, x: S.betainc(a, 2.0, _u(x)),
             [((), (3,)), ((2, 1), (3,))], ("positive", "unit")),
        Spec("betainc_abx", lambda a, b, x: S.betainc(a, b, _u(x)),
             [((), (), ()), ((3,), (3,), (3,))], ("positive", "positive", "unit")),
        Spec("betaincc_ab_bcast", lambda a, b: S.betaincc(a, b, np.array([0.2, 0.5, 0.9])),
             [((3,), ()), ((2, 1), (3,))], "positive"),
        Spec("betaincc_x", lambda x: S.betaincc(0.5, 3.0, _u(x)), U, "unit"),
        Spec("zeta_q", lambda q: S.zeta(2.5, q), U, "positive"),
        Spec("exp1", S.exp1, U, "positive"), Spec("expi", S.expi, U, "nonzero"),
        Spec("expn", lambda x: S.expn(2, x), U, "positive"),
        Spec("expn0", lambda x: S.expn(0, x), U, "positive"),
        Spec("poch", S.poch, B, "positive"),
        Spec("rgamma", S.rgamma, U, "real"), Spec("loggamma", S.loggamma, U, "positive"),
        Spec("spence", S.spence, U, "positive"),
        Spec("fresnel", S.fresnel, U), Spec("sici", S.sici, U, "nonzero"),
        Spec("shichi", S.shichi, U, "nonzero"),
        Spec("hyp1f1_z", lambda z: S.hyp1f1(0.7, 1.3, z), U),
        Spec("logsumexp_b_sign", lambda a, b: S.logsumexp(a, axis=-1, b=b, return_sign=True)[0],
             [((3,), (3,)), ((2, 3), (3,))], ("real", "nonzero")),
        Spec("scipy_ufuncs", lambda x: ss.exp1(x) * ss.entr(x) + ss.spence(x), U, "positive"),
        Spec("np_gammasgn", lambda x: S.gammasgn(x) * np.sin(x), U),
    ]
