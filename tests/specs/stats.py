"""Specs of funcad.scipy.stats: the quantile primitives (gamma, chi2, t) in q, and the
tail/quantile closed forms (skipped when SciPy, an optional extra, is missing)."""

import importlib.util

from ._spec import BINARY_SHAPES, UNARY_SHAPES, Spec

U, B = UNARY_SHAPES[:2], BINARY_SHAPES[:3]

if importlib.util.find_spec("scipy") is None:
    SPECS = []
else:
    from funcad.scipy import stats as st

    def _q(x):
        return 0.5 + 0.5 * x         # "unit" (-0.8, 0.8) -> q in (0.1, 0.9)

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
    ]
