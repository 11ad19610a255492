"""nan-reductions: a slice with one non-NaN value (regression)."""

import numpy as np

import funcad as fad
import funcad.numpy as fnp


# nanstd of a slice with a single non-NaN value is 0 for every input: derivative 0 (it was NaN,
# sqrt's derivative at 0), at first and second order, and under vmap
def test_nanstd_single_value_slice_has_zero_derivative():
    x = np.array([[1.0, np.nan], [2.0, 3.0]])
    g = fad.grad(lambda x: fnp.sum(fnp.nanstd(x, axis=1)))(x)
    np.testing.assert_allclose(g, [[0.0, 0.0], [-0.5, 0.5]])
    np.testing.assert_allclose(fad.vmap(fad.grad(fnp.nanstd))(x), [[0.0, 0.0], [-0.5, 0.5]])
    h = fad.hessian(lambda r: fnp.nanstd(r))(np.array([4.0, np.nan]))
    np.testing.assert_array_equal(h, [[0.0, 0.0], [0.0, 0.0]])
    np.testing.assert_allclose(fnp.nanstd(x, axis=1), np.nanstd(x, axis=1))
