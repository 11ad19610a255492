"""Specs of funcad.scipy.stats: the quantile primitives (gamma, chi2, t) in q, and the
tail/quantile closed forms (skipped when SciPy, an optional extra, is missing)."""

import importlib.util

from ._spec import BINARY_SHAPES, UNARY_SHAPES, Spec

U, B = UNARY_SHAPES[:2], BINARY_SHAPES[:3]

if importlib.util.find_spec("scipy") is None:
    SPECS = []
else:
    import numpy as np

    import funcad.numpy as fnp
    from funcad.scipy import stats as st

    def _q(x):
        return 0.5 + 0.5 * x         # "unit" (-0.8, 0.8) -> q in (0.1, 0.9)

    def _spd(a):
        return a @ fnp.swapaxes(a, -1, -2) + 3.0 * np.eye(a.shape[-1], dtype=a.dtype)

    M = [((3, 3), (3, 3))]

    SPECS = [
        Spec("stats_gamma_ppf", lambda x: st.gamma.ppf(_q(x), 2.5), U, "unit"),
        Spec("stats_gamma_isf", lambda x: st.gamma.isf(_q(x), 0.7, 0.1, 1.7), U, "unit"),
        Spec("stats_chi2_ppf", lambda x: st.chi2.ppf(_q(x), 3.5), U, "unit"),
        Spec("stats_t_ppf", lambda x: st.t.ppf(_q(x), 3.5), U, "unit"),
        Spec("stats_t_isf_loc_scale", lambda x, s: st.t.isf(_q(x), 2.5, x, s), B,
             ("unit", "positive")),
        Spec("stats_gamma_logcdf", lambda x: st.gamma.logcdf(x, 2.5), U, "positive"),
        Spec("stats_gamma_logsf", lambda x: st.gamma.logsf(x, 2.5), U, "positive"),
        Spec("stats_t_logcdf", lambda x: st.t.logcdf(x, 3.5), U),
        Spec("stats_expon_logcdf", lambda x: st.expon.logcdf(x), U, "positive"),
        Spec("stats_laplace_logcdf", lambda x: st.laplace.logcdf(x, 0.3), U, "nonzero"),
        Spec("stats_logistic_logsf", lambda x, s: st.logistic.logsf(x, 0.1, s), B,
             ("real", "positive")),
        Spec("stats_cauchy_logcdf", lambda x: st.cauchy.logcdf(x), U, "nonzero"),
        Spec("stats_cauchy_ppf", lambda x: st.cauchy.ppf(_q(x)), U, "unit"),
        Spec("stats_pareto_logcdf", lambda x, b: st.pareto.logcdf(x, b), B,
             ("above_one", "positive")),
        Spec("stats_pareto_isf", lambda x, b: st.pareto.isf(_q(x), b), B, ("unit", "positive")),
        Spec("stats_vonmises_cdf", lambda x: st.vonmises.cdf(x, 1.5), U),
        Spec("stats_vonmises_ppf", lambda x: st.vonmises.ppf(_q(x), 1.5), U, "unit"),
        Spec("stats_truncnorm_logcdf", lambda x, a: st.truncnorm.logcdf(x, a - 3.0, 2.5), B,
             ("unit", "positive")),
        # the multivariate ones: SPD matrices built from the sampled ones
        Spec("stats_wishart_logpdf", lambda x, s: st.wishart.logpdf(_spd(x), 4.5, _spd(s)), M),
        Spec("stats_invwishart_logpdf", lambda x, s: st.invwishart.logpdf(_spd(x), 4.5,
                                                                          _spd(s)), M),
        Spec("stats_wishart_df", lambda df: st.wishart.logpdf(np.eye(2), df + 2.0, np.eye(2)),
             U, "positive"),
        Spec("stats_invwishart_entropy", lambda s: st.invwishart.entropy(5.5, _spd(s)),
             [((3, 3),)]),
        Spec("stats_mvn_entropy", lambda s: st.multivariate_normal.entropy(cov=_spd(s)),
             [((3, 3),)]),
        Spec("stats_multinomial_p", lambda p: st.multinomial.logpmf(np.array([1.0, 2.0, 0.0]),
                                                                    3, p), [((3,),)],
             "positive"),
        Spec("stats_dirichlet_entropy", st.dirichlet.entropy, [((3,),)], "positive"),
    ]
