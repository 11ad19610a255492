"""Specs of funcad.scipy.linalg (skipped when SciPy, an optional extra, is missing).

Inputs are mapped to well-conditioned matrices as in tests/specs/linalg.py: ``unit``
entries plus a dominant diagonal (invertible, eigenvalues near 3), ``A A^T + n I`` for
positive definite ones, separated diagonals where eigenvalues must be distinct. Eigenvectors
and Schur vectors get their sign fixed (largest entry positive) so that finite differences
never straddle LAPACK's choice of sign.
"""

import importlib.util

from ._spec import Spec

SQ, SQ1 = [((3, 3),), ((2, 3, 3),)], [((3, 3),)]

if importlib.util.find_spec("scipy") is None:
    SPECS = []
else:
    import numpy as np

    import funcad.numpy as fnp
    from funcad.scipy import linalg as L

    from .linalg import _cat, _dom, _herm, _sep, _signfix, _spd

    def _schur_fixed(t, z):
        top = fnp.abs(z) == fnp.max(fnp.abs(z), axis=-2, keepdims=True)
        s = fnp.sign(fnp.sum(z * top, axis=-2))
        return _cat(t * s[..., :, None] * s[..., None, :], z * s[..., None, :])

    _ROT = np.array([[0.0, -2.0, 0.0], [2.0, 0.0, 0.0], [0.0, 0.0, 1.0]])

    SPECS = [
        Spec("sl_expm", L.expm, SQ, "unit"),
        Spec("sl_expm_complex", lambda z: L.expm(0.5 * z), SQ1, "complex"),
        Spec("sl_expm_frechet", lambda a, e: _cat(*L.expm_frechet(a, e)), [((3, 3), (3, 3))],
             ("unit", "real")),
        Spec("sl_sqrtm", lambda a: L.sqrtm(_dom(a)), SQ, "unit"),
        Spec("sl_sqrtm_complex_eigs",        # np.array(_ROT): a constant of the input's type
             lambda a: L.sqrtm(0.3 * a + np.array(_ROT) + 2 * np.eye(3)), SQ1, "unit"),
        Spec("sl_logm", lambda a: L.logm(_dom(a)), SQ, "unit"),
        Spec("sl_solve_sylvester", lambda a, b, q: L.solve_sylvester(_dom(a), _dom(b), q),
             [((3, 3), (2, 2), (3, 2))], ("unit", "unit", "real")),
        Spec("sl_solve_triangular", lambda a, b: L.solve_triangular(_dom(a), b),
             [((3, 3), (3, 2)), ((2, 3, 3), (3,))], ("unit", "real")),
        Spec("sl_solve_triangular_lower_T_unit",
             lambda a, b: L.solve_triangular(a, b, lower=True, trans="T", unit_diagonal=True),
             [((3, 3), (3, 2))], ("unit", "real")),
        Spec("sl_cholesky_upper", lambda a: L.cholesky(_spd(a)), SQ1, "unit"),
        Spec("sl_cho_solve", lambda a, b: L.cho_solve(L.cho_factor(_spd(a)), b),
             [((3, 3), (3,)), ((2, 3, 3), (3, 2))], ("unit", "real")),
        Spec("sl_cho_solve_lower", lambda a, b: L.cho_solve(L.cho_factor(_spd(a), lower=True), b),
             [((3, 3), (3, 2))], ("unit", "real")),
        Spec("sl_lu_factor", lambda a: L.lu_factor(a + np.diag([1.0, 2.0, 3.0]))[0], SQ, "unit"),
        Spec("sl_lu_solve", lambda a, b: L.lu_solve(L.lu_factor(_dom(a)), b),
             [((3, 3), (3,)), ((2, 3, 3), (3, 2))], ("unit", "real")),
        Spec("sl_lu_solve_T", lambda a, b: L.lu_solve(L.lu_factor(_dom(a)), b, trans=1),
             [((3, 3), (3, 2))], ("unit", "real")),
        Spec("sl_lu", lambda a: _cat(*L.lu(a + np.diag([1.0, 2.0, 3.0]))), SQ1, "unit"),
        Spec("sl_solve_sym", lambda a, b: L.solve(_dom(a), b, assume_a="sym"),
             [((3, 3), (3,))], ("unit", "real")),
        Spec("sl_solve_pos_T", lambda a, b: L.solve(_spd(a), b, assume_a="pos", transposed=True),
             [((3, 3), (3, 2))], ("unit", "real")),
        Spec("sl_solve_diag_tridiag", lambda a, b: _cat(
            L.solve(_dom(a), b, assume_a="diagonal"), L.solve(_dom(a), b, assume_a="tridiagonal")),
             [((3, 3), (3, 2))], ("unit", "real")),
        Spec("sl_inv_det", lambda a: _cat(L.inv(_dom(a)), L.det(_dom(a))), SQ, "unit"),
        Spec("sl_block_diag", lambda a, b: L.block_diag(a, b, a[0]), [((2, 2), (1, 3))]),
        Spec("sl_polar", lambda a: _cat(*L.polar(_dom(a))), SQ1, "unit"),
        Spec("sl_polar_left_wide", lambda a: _cat(*L.polar(_sep(a), "left")), [((2, 3),)],
             "unit"),
        Spec("sl_eigh_subset", lambda a: _cat(*_signfix(*L.eigh(_sep(_herm(a)),
                                                               subset_by_index=[1, 2]))),
             SQ1, "unit"),
        Spec("sl_eigh_generalized", lambda a, b: _cat(*_signfix(*L.eigh(
            _sep(_herm(a)), _spd(_herm(b))))), [((3, 3), (3, 3))], "unit"),
        Spec("sl_schur", lambda a: _schur_fixed(*L.schur(_sep(a))), SQ, "unit"),
    ]
