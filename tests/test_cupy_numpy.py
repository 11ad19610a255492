"""funcad.numpy composites on the CuPy stand-in where the spec table does not reach: a
NumPy or list constant operand next to a CuPy one (the selector of choose, interp's knots,
polynomial coefficients, explicit histogram bins and ranges), CuPy index arrays, and the
keyword branches. Each result is of the input's array type and equal to NumPy's."""

from __future__ import annotations

import numpy as np
import pytest

import funcad as fad
import funcad.numpy as fnp

from .strict_array import StrictArray, assert_same, run_mode

X3 = np.array([0.3, -1.2, 2.0])
X4 = np.array([0.5, -0.4, 1.3, 2.2])

ROWS = {
    "choose_list_selector": (lambda a, b: fnp.choose([0, 1, 0], [a, b]), (X3, 2 * X3)),
    "choose_wrap": (lambda a, b: fnp.choose(np.array([0, 3, 1]), [a, b], mode="wrap"),
                    (X3, 2 * X3)),
    "choose_clip": (lambda a, b: fnp.choose([0, 5, 1], [a, b], mode="clip"), (X3, 2 * X3)),
    "interp_list_knots": (lambda x: fnp.interp(x, [-2.0, 0.0, 2.5], [1.0, 3.0, 2.0],
                                               left=np.float64(-1.0), right=np.array(5.0)),
                          (X3 * 2,)),
    "histogram_array_bins": (lambda x: fnp.histogram(x, np.array([-2.0, 0.0, 1.0, 3.0]),
                                                     density=True)[0], (X4,)),
    "histogram_range_weights": (lambda x: fnp.histogram(x, 3, range=(-1.0, 3.0),
                                                        weights=x)[0], (X4,)),
    "histogram_range_edges": (lambda x: fnp.histogram(x, 3, range=(-1.0, 3.0))[1] * x[0],
                              (X4,)),
    "histogram_bin_edges_range": (lambda x: fnp.histogram_bin_edges(
        x, 3, range=(-1.0, 3.0)) * x[0], (X4,)),
    "histogramdd": (lambda x: fnp.histogramdd(fnp.stack([x, x ** 2], axis=1), 2)[0], (X4,)),
    "bincount_no_weights": (lambda w: fnp.bincount(fnp.astype(w > 0, int)) * w[0], (X4,)),
    "polyadd_list": (lambda p: fnp.polyadd([1.0, 2.0, 3.0, 4.0], p), (X3,)),
    "polysub_list": (lambda p: fnp.polysub(p, [1.0]), (X3,)),
    "polymul_list": (lambda p: fnp.polymul([1.0, 2.0], p), (X3,)),
    "polyval_list": (lambda x: fnp.polyval([1.0, 0.0, -2.0], x), (X3,)),
    "polyint_k": (lambda p: fnp.polyint(p, m=2, k=1.5), (X3,)),
    "polyder_past_degree": (lambda p: fnp.polyder(p, 3), (X3,)),
    "polydiv_list": (lambda u: fnp.polydiv(u, [1.0, -1.0]), (X4,)),
    "convolve_list_same": (lambda a: fnp.convolve(a, [1.0, -1.0], "same"), (X4,)),
    "correlate_list": (lambda a: fnp.correlate([1.0, 0.5], a, "full"), (X4,)),
    "cross_2_3": (lambda a, b: fnp.cross(a[:2], b), (X3, 2 * X3)),
    "polyval2d_scalars": (lambda c: fnp.polyval2d(2.0, 3.0, fnp.reshape(c, (2, 2))), (X4,)),
    "polygrid2d_list": (lambda c: fnp.polygrid2d([1.0, 2.0], 3.0, fnp.reshape(c, (2, 2))),
                        (X4,)),
    "full_dtype": (lambda v: fnp.full((2, 3), v[0], dtype=np.float32) * 1.0, (X3,)),
    "full_row": (lambda v: fnp.full((2, 3), v) * 2.0, (X3,)),
    "linspace_one_endpoint": (lambda v: fnp.linspace(v[0], 2.0, 4), (X3,)),
    "quantile_list_midpoint": (lambda x: fnp.quantile(x, [0.2, 0.9], method="midpoint"), (X4,)),
    "nanquantile_array_q": (lambda x: fnp.nanquantile(x, np.array([0.2, 0.9])), (X4,)),
    "median_keepdims": (lambda x: fnp.median(fnp.reshape(x, (2, 2)), axis=0, keepdims=True),
                        (X4,)),
    "getitem_index_array": (lambda x: x[StrictArray(np.array([2, 0]))] ** 2, (X3,)),
    "getitem_mask": (lambda x: x[StrictArray(np.array([True, False, True]))] ** 2, (X3,)),
}
# data-dependent decisions per example (bins, counts, a mask): vmap refuses, on NumPy too
_NO_VMAP = {"histogram_array_bins", "histogram_range_weights", "histogram_range_edges",
            "histogram_bin_edges_range", "histogramdd", "bincount_no_weights", "getitem_mask"}
_NO_VALUE = {"getitem_index_array", "getitem_mask"}     # a NumPy x indexed by the stand-in


CASES = [pytest.param(name, mode, id=f"{name}-{mode}") for name in ROWS
         for mode in ("value", "grad", "jvp", "vmap")
         if not (mode == "vmap" and name in _NO_VMAP or mode == "value" and name in _NO_VALUE)]


@pytest.mark.filterwarnings("ignore::funcad.errors.ForeignArrayWarning")
@pytest.mark.filterwarnings("ignore:Arrays of 2-dimensional vectors:DeprecationWarning")
@pytest.mark.parametrize("name, mode", CASES)
def test_constant_operands_take_the_stand_ins_type(name, mode):
    fn, args = ROWS[name]
    assert_same(run_mode(fn, args, mode, StrictArray), run_mode(fn, args, mode, lambda a: a))


def test_full_with_a_fill_that_does_not_broadcast_names_the_shapes():
    with pytest.raises(ValueError, match=r"full: a fill value of shape \(3,\)"):
        fnp.full((2, 4), StrictArray(X3))


def test_polyder_past_the_degree_has_no_coefficients_as_in_numpy():
    """NumPy: the derivative of a constant polynomial is an empty coefficient array (the traced
    version gave [0.])."""
    out = fad.jvp(lambda p: fnp.polyder(p, 3), (X3,), (np.ones(3),))
    assert out[0].shape == out[1].shape == np.polyder(X3, 3).shape == (0,)


def test_polydiv_of_traced_and_list_coefficients():
    """A list divisor: its dtype is taken after it is made an array (a list is no dtype)."""
    g = fad.grad(lambda u: fnp.sum(fnp.polydiv(u, [1.0, -1.0])[0]))(X4)
    np.testing.assert_allclose(g, [3.0, 2.0, 1.0, 0.0])


@pytest.mark.filterwarnings("ignore::funcad.errors.ForeignArrayWarning")
def test_quantile_q_out_of_range_on_the_stand_in_is_checked_on_the_host():
    with pytest.raises(ValueError, match=r"quantile: q must be in \[0, 1\]"):
        fnp.quantile(StrictArray(X4), StrictArray(np.array([0.5, 1.5])))


@pytest.mark.filterwarnings("ignore::funcad.errors.ForeignArrayWarning")
def test_choose_index_out_of_range_on_the_stand_in():
    with pytest.raises(ValueError, match="choose: index out of range for 2 choices"):
        fnp.choose(StrictArray(np.array([0, 2, 1])), [StrictArray(X3), StrictArray(X3)])


# rows whose composites made a NumPy constant (a zero pad, a mask, a fill) that a lazy
# primitive met: the stand-in refused, and funcad copied every operand to the host
_WERE_COPIED = ["cumprod", "cumulative_sum", "nancumprod", "unwrap", "diag", "diagflat",
                "tril_triu", "insert", "pad_constant", "piecewise", "rfft_n", "irfft_odd",
                "hfft", "irfftn_s"]


@pytest.mark.parametrize("mode", ["value", "grad", "jvp", "vmap"])
@pytest.mark.parametrize("name", _WERE_COPIED)
def test_constants_stay_on_the_device_without_a_host_copy(name, mode):
    import warnings

    import funcad._arrays as arrays

    from .strict_array import constants_like
    from .test_cupy import _run as run_row
    from .test_cupy import _spec_modules
    from .test_primitives import ALL_SPECS
    spec = next(s for s in ALL_SPECS if s.name == name)
    arrays._warned.clear()
    with warnings.catch_warnings(record=True) as caught, constants_like(_spec_modules()):
        warnings.simplefilter("always", fad.errors.ForeignArrayWarning)
        run_row(spec, mode, StrictArray)
    refused = [str(w.message) for w in caught if "refused this case" in str(w.message)]
    assert not refused, refused
