"""funcad.scipy on the CuPy stand-in (tests/strict_array.py) along paths the spec table does
not take: SciPy's spellings with a plain scalar (a Python ``n``, a scalar ``cov`` or ``x``), a
NumPy ``piv``, keyword branches of scipy.linalg (``permute_l``, ``subset_by_value``). Each
result is of the input's type and equal to NumPy's, in value, gradient and under vmap."""

from __future__ import annotations

import numpy as np
import pytest


from .strict_array import StrictArray, assert_same, run_mode

pytest.importorskip("scipy")

from funcad.scipy import linalg as L
from funcad.scipy import special as S
from funcad.scipy import stats as st

pytestmark = pytest.mark.filterwarnings("ignore::funcad.errors.ForeignArrayWarning")

_SPD = np.array([[2.0, 0.3, 0.1], [0.3, 1.5, 0.2], [0.1, 0.2, 1.0]])
_P = np.array([0.2, 0.3, 0.5])

CASES = {
    # a Python n next to p
    "multinomial_mean": (lambda p: st.multinomial.mean(4, p), [_P]),
    "multinomial_cov": (lambda p: st.multinomial.cov(4, p), [_P]),
    # a scalar covariance (times the identity) and a scalar x
    "mvn_entropy_scalar_cov": (lambda c: st.multivariate_normal.entropy(cov=c[0, 0]), [_SPD]),
    "wishart_scalar_x": (lambda x, s: st.wishart.logpdf(x[0, 0], 4.5, s[0:1, 0:1]), [_SPD, _SPD]),
    # betainc's derivative in a with plain b and x
    "betainc_plain_bx": (lambda a: S.betainc(a + 1.0, 2.5, 0.4), [_P]),
    # scipy.linalg's keyword branches
    "lu_permute_l": (lambda a: L.lu(a, permute_l=True)[0], [_SPD]),
    "eigh_subset_by_value": (lambda a: L.eigh(a, subset_by_value=(0.0, 1.8))[0], [_SPD]),
}


@pytest.mark.parametrize("mode", ["value", "grad", "vmap"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_scipy_paths_on_the_stand_in(name, mode):
    fn, args = CASES[name]
    assert_same(run_mode(fn, args, mode, StrictArray), run_mode(fn, args, mode, lambda a: a))


def test_lu_solve_with_a_numpy_piv():
    """A NumPy ``piv`` (from SciPy) with a CuPy-style ``lu``: the permutation is made of
    ``lu``'s type."""
    import scipy.linalg as sl
    lu, piv = sl.lu_factor(_SPD)
    b = np.array([1.0, 2.0, 3.0])
    got = L.lu_solve((StrictArray(lu), piv), StrictArray(b))
    assert isinstance(got, StrictArray)
    np.testing.assert_allclose(got.get(), sl.lu_solve((lu, piv), b), rtol=1e-12)
