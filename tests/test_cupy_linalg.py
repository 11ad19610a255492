"""numpy.linalg paths on the CuPy stand-in that the spec table (tests/test_cupy.py) does not
reach: the keyword branches and the special points whose rules build their own constants
(identity, masks, NaN blocks, zero rows, empty residuals). Each case runs on NumPy and on
``StrictArray`` and must give results of the input's type, equal to NumPy's (NaN where NumPy's
derivative is NaN)."""

from __future__ import annotations

import numpy as np
import pytest

import funcad.numpy as fnp

from .strict_array import StrictArray, assert_same, run_mode

L = fnp.linalg
_RNG = np.random.default_rng(3)
_TALL = _RNG.standard_normal((4, 3))
_SQ = _RNG.standard_normal((3, 3))
_RANK1 = np.outer([1.0, 2.0, 3.0, 4.0], [1.0, 0.0, 2.0])
_REPEATED = np.diag([2.0, 2.0, 5.0])

# name: (function, arguments); each runs in the modes below
CASES = {
    "svd_full_tall": (lambda a: L.svd(a)[0], _TALL),                 # U's extra column: NaN
    "svd_full_wide": (lambda a: L.svd(a)[2], _TALL.T),               # Vh's extra row: NaN
    "svd_full_first_cols": (lambda a: L.svd(a)[0][:, :3], _TALL),
    "qr_complete": (lambda a: fnp.concatenate([L.qr(a, mode="complete")[0][:, :3],
                                               L.qr(a, mode="complete")[1][:3]]), _TALL),
    "qr_complete_extra": (lambda a: L.qr(a, mode="complete")[0], _TALL),
    "qr_complete_r": (lambda a: L.qr(a, mode="complete")[1], _TALL),
    "qr_rank_deficient": (lambda a: L.qr(a)[1], _RANK1),
    "svd_zero_singular_value": (lambda a: L.svd(a, full_matrices=False)[0], _RANK1),
    "eigh_repeated": (lambda a: L.eigh(a)[0], _REPEATED),
    "eigh_repeated_vectors": (lambda a: L.eigh(a)[1], _REPEATED),
    "eigvals_repeated": (lambda a: fnp.real(L.eigvals(a)), _REPEATED),
    "svdvals_repeated": (lambda a: L.svdvals(a), 2.0 * np.eye(3)),
    "matrix_power_0": (lambda a: L.matrix_power(a, 0) + a, _SQ),
    "lstsq_residuals": (lambda a, b: L.lstsq(a, b)[1], _TALL, _RNG.standard_normal(4)),
    "lstsq_wide": (lambda a, b: L.lstsq(a, b)[:2], _TALL.T, _RNG.standard_normal(3)),
    "solve_int_matrix": (lambda a, b: L.solve(a, b), np.array([[2, 1], [0, 4]]), np.ones(2)),
}


def _run(fn, args, mode, convert):
    return run_mode(fn, args, mode, convert, leaf=-1, argnums=len(args) - 1, scale=0.5)


@pytest.mark.filterwarnings("ignore::funcad.errors.ForeignArrayWarning")
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("mode", ["value", "grad", "jvp", "vmap"])
@pytest.mark.parametrize("name", list(CASES))
def test_linalg_branch_on_the_stand_in(name, mode):
    fn, *args = CASES[name]
    if mode in ("grad", "jvp") and not np.issubdtype(np.asarray(args[-1]).dtype, np.floating):
        pytest.skip("integer input")
    try:
        ref = _run(fn, args, mode, lambda a: a)
    except Exception as e:  # noqa: BLE001 - the same error on the stand-in
        with pytest.raises(type(e)):
            _run(fn, args, mode, StrictArray)
        return
    assert_same(_run(fn, args, mode, StrictArray), ref)
