"""Researcher code written with plain ``import numpy as np`` differentiates unchanged: the
same function written against numpy and against funcad.numpy gives identical values and
derivatives (grad, jacfwd, hessian, vmap of grad)."""

from __future__ import annotations

import numpy as np
import pytest

import funcad as fad
import funcad.numpy as fnp


def smoothing_loss(xp):
    """A signal pipeline: moving average, cumulative sums, differences, clipping, padding."""
    def f(x):
        k = xp.ones(3) / 3.0
        s = xp.convolve(x, k, mode="same")
        trend = xp.cumsum(s) / xp.arange(1, s.shape[0] + 1)
        d = xp.diff(xp.pad(s, 1, mode="reflect"))
        c = xp.clip(d, -0.8, 0.8)
        return xp.sum(c ** 2) + xp.mean((trend - xp.roll(x, 1)) ** 2) + xp.trapezoid(s ** 2)
    return f


def robust_stats(xp):
    """Order statistics: median, percentiles, sort, ptp, average with weights."""
    def f(x):
        med = xp.median(x)
        mad = xp.median(xp.abs(x - med))
        q = xp.percentile(x, [25.0, 75.0])
        top = xp.sort(x)[-2:]
        w = xp.exp(-((x - med) / (mad + 1.0)) ** 2)
        return xp.average(x, weights=w) + (q[1] - q[0]) * mad + xp.sum(top) + xp.ptp(x)
    return f


def interp_integral(xp):
    """Interpolate a curve on a grid, integrate, cumulative product of a discount factor."""
    knots = np.array([-3.0, -1.0, 0.5, 2.0, 3.5])

    def f(x):
        grid = xp.linspace(-2.5, 3.0, 7)
        y = xp.interp(grid, knots, xp.tanh(x))
        disc = xp.cumprod(1.0 / (1.0 + 0.1 * xp.abs(x)))
        return xp.trapezoid(y * y, grid) + xp.sum(disc * x) + xp.polyval(x[:3], x[3])
    return f


def matrix_features(xp):
    """Structured matrices: outer, triangular parts, kron, trace, diagonal, flips, rot90."""
    def f(x):
        a = xp.outer(x[:3], x[1:4])
        m = xp.tril(a) + xp.triu(a, 1).T
        k = xp.kron(m[:2, :2], xp.eye(2))
        return (xp.trace(m) + xp.sum(xp.diagonal(k) ** 2) + xp.sum(xp.fliplr(m) * xp.rot90(m))
                + xp.sum(xp.cross(x[:3], x[2:5])))
    return f


def nan_aware(xp):
    """NaN-aware statistics on data with missing entries, and in-place style updates."""
    missing = np.array([False, True, False, False, True])

    def f(x):
        d = xp.where(missing, np.nan, x)
        m = xp.nanmean(d)
        s = xp.nanstd(d)
        z = (xp.nan_to_num(d, nan=0.5) - m) / s
        y = x * 1.0
        y[missing] = m
        y[0] = y[0] * 2.0
        return xp.sum(z ** 3) + xp.nansum(d ** 2) + xp.sum(y * x) + xp.nanmax(d)
    return f


def stacking_and_splitting(xp):
    """Joining and splitting: block, stack helpers, split, repeat, tile, insert, delete."""
    def f(x):
        a = x[:4].reshape(2, 2)
        b = xp.block([[a, a.T], [a * 2, a ** 2]])
        parts = xp.array_split(b, 2, axis=1)
        t = xp.tile(x[:2], 3) * xp.repeat(x[2:4], 3)
        ins = xp.insert(x, 2, x[0] * x[1])
        dl = xp.delete(ins, [0, 3])
        return (xp.sum(parts[0] * parts[1]) + xp.sum(t) + xp.sum(dl ** 2)
                + xp.sum(xp.column_stack([x, x ** 2])[:, 1]))
    return f


CASES = [smoothing_loss, robust_stats, interp_integral, matrix_features, nan_aware,
         stacking_and_splitting]


@pytest.mark.parametrize("make", CASES, ids=lambda m: m.__name__)
def test_plain_numpy_and_funcad_numpy_agree(make):
    f_np, f_fnp = make(np), make(fnp)
    rng = np.random.default_rng(7)
    x = rng.permutation(6)[:5] * 0.4 - 0.9 + rng.uniform(-0.05, 0.05, 5)   # no ties
    np.testing.assert_allclose(f_np(x), f_fnp(x), rtol=1e-12)
    g_np, g_fnp = fad.grad(f_np)(x), fad.grad(f_fnp)(x)
    np.testing.assert_allclose(g_np, g_fnp, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(fad.jacfwd(f_np)(x), g_fnp, rtol=1e-10, atol=1e-12)
    h_np, h_fnp = fad.hessian(f_np)(x), fad.hessian(f_fnp)(x)
    np.testing.assert_allclose(h_np, h_fnp, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h_np, h_np.T, rtol=1e-8, atol=1e-10)
    xs = np.stack([x, x[::-1], x * 0.9])
    vg = fad.vmap(fad.grad(f_np))(xs)
    np.testing.assert_allclose(vg, np.stack([fad.grad(f_fnp)(v) for v in xs]), rtol=1e-10,
                               atol=1e-12)
    fad.check_grads(f_np, (x,), order=1)


# ---------------------------------------------------------------------------
# traced values equal NumPy's values, option by option
# ---------------------------------------------------------------------------

X = np.array([[0.3, -1.2, 2.5, 0.9], [1.7, -0.4, 0.05, -2.2], [0.6, 1.1, -0.8, 1.4]])
VALUE_CASES = {
    "cumsum": lambda x: np.cumsum(x, axis=1), "cumprod": lambda x: np.cumprod(x),
    "cumprod_axis0": lambda x: np.cumprod(x, axis=0),
    "diff": lambda x: np.diff(x, 2, axis=0, append=x[:1]),
    "ediff1d": lambda x: np.ediff1d(x, to_begin=[1.0, 2.0]),
    "gradient": lambda x: np.gradient(x, 0.3, axis=1, edge_order=2),
    "gradient_all": lambda x: np.stack(np.gradient(x)),
    "trapezoid": lambda x: np.trapezoid(x, x[0], axis=1),
    "unwrap": lambda x: np.unwrap(x * 4.0, axis=0),
    "sort": lambda x: np.sort(x, axis=0), "sort_none": lambda x: np.sort(x, axis=None),
    "partition": lambda x: np.partition(x, (0, 2), axis=1)[:, [0, 2]],
    "median": lambda x: np.median(x, axis=(0, 1)), "median0": lambda x: np.median(x, axis=0),
    "percentile": lambda x: np.percentile(x, [0.0, 33.0, 100.0], axis=1, keepdims=True),
    **{f"quantile_{m}": (lambda x, m=m: np.quantile(x, [0.2, 0.5, 0.9], axis=0, method=m))
       for m in ["linear", "lower", "higher", "midpoint", "nearest"]},
    "nanquantile": lambda x: np.nanquantile(np.where(x > 1.5, np.nan, x), 0.4, axis=1),
    "nanmedian": lambda x: np.nanmedian(np.where(x > 1.5, np.nan, x), axis=0),
    "nan_reductions": lambda x: np.stack([f(np.where(x > 1.5, np.nan, x), axis=1) for f in (
        np.nansum, np.nanmean, np.nanprod, np.nanvar, np.nanstd, np.nanmax, np.nanmin)]),
    "nanarg": lambda x: np.stack([np.nanargmax(np.where(x > 1.5, np.nan, x), axis=1),
                                  np.nanargmin(np.where(x > 1.5, np.nan, x), axis=1)]) * x[0, 0],
    "average": lambda x: np.average(x, axis=0, weights=np.abs(x[:, 0]) + 0.1),
    "cov": lambda x: np.cov(x, x[::-1] * 2, ddof=0),
    "cov_weights": lambda x: np.cov(x.T, rowvar=False, aweights=np.abs(x[0]) + 0.1),
    "corrcoef": lambda x: np.corrcoef(x, rowvar=False),
    "clip": lambda x: np.clip(x, -0.5, x[0]), "clip_method": lambda x: x.clip(0.0),
    "interp": lambda x: np.interp(x, [-1.0, 0.0, 1.5, 2.0], [2.0, -1.0, 0.5, 3.0],
                                  left=-5.0),
    "interp_period": lambda x: np.interp(x, [0.0, 1.0, 2.5], [1.0, 2.0, -1.0], period=3.0),
    "pad": lambda x: np.pad(x, ((1, 2), (3, 1)), constant_values=((1.0, 2.0), (3.0, 4.0))),
    **{f"pad_{m}": (lambda x, m=m: np.pad(x, ((2, 1), (1, 3)), mode=m))
       for m in ["edge", "reflect", "symmetric", "wrap", "constant"]},
    "roll": lambda x: np.roll(x, (1, -2), axis=(0, 1)), "rot90": lambda x: np.rot90(x, 3),
    "tile_repeat": lambda x: np.tile(x, (2, 1, 2))[0, :, ::2] * np.repeat(x, [2, 0, 1], axis=0),
    "take": lambda x: np.take(x, [[0, 2], [3, 3]], axis=1, mode="clip"),
    "take_along_axis": lambda x: np.take_along_axis(x, np.argsort(x, axis=0), axis=0),
    "choose_select": lambda x: np.choose(x > 0, [x, -x]) + np.select([x < 0, x > 1], [x, 2 * x],
                                                                     default=x ** 2),
    "compress_extract": lambda x: np.compress([1, 0, 1], x, axis=0).sum() + np.extract(x > 0, x),
    "piecewise": lambda x: np.piecewise(x, [x < 0, x > 1], [np.sin, np.cos, lambda v: v * 3]),
    "tri_diag": lambda x: np.tril(x, -1) + np.triu(x, 2) + np.diag(np.diag(x, 1), -1)[:3, :4],
    "diagonal_trace": lambda x: np.diagonal(x, -1) * np.trace(x, 1),
    "diagflat": lambda x: np.diagflat(x[0], -1),
    "kron_cross": lambda x: np.kron(x[:2, :2], x[1:, 2:]).sum() + np.cross(x[:, :3], x[0, 1:]),
    "convolve": lambda x: np.concatenate(
        [np.convolve(x[0], x[1, :k], m) for m in ("full", "same", "valid") for k in (1, 2, 3)]
        + [np.correlate(x[0, :k], x[1], m) for m in ("full", "same", "valid")
           for k in (1, 2, 4)]),
    "polynomials": lambda x: np.concatenate([
        np.polyval(x[0], x[1]), np.polyadd(x[0], x[1, :2]), np.polysub(x[0, :2], x[1]),
        np.polymul(x[0], x[2, :2]), np.polyder(x[0], 2), np.polyint(x[0], 2, k=[1.0, 2.0]),
        np.polydiv(x[0], x[1, :2])[0], np.polydiv(x[0], x[1, :2])[1], np.poly(x[2, :3]),
        np.vander(x[0], 3).ravel()]),
    "block_meshgrid": lambda x: np.block([[x[:2, :2], x[:2, 2:]], [x[2:]]]).sum()
    + np.meshgrid(x[0], x[1, :2], indexing="ij")[1],
    "insert_delete_append": lambda x: np.concatenate([
        np.insert(x, [1, 3], x[0, :2], axis=1).ravel(), np.delete(x, 1, axis=1).ravel(),
        np.append(x[0], x[1:]), np.insert(x[0], 2, 5.0), np.resize(x[0], 7)]),
    "splits": lambda x: np.concatenate([p.ravel() for p in np.array_split(x, 3, axis=1)
                                        + np.hsplit(x, 2) + np.vsplit(x, [1])]),
    "sliding_window": lambda x: np.lib.stride_tricks.sliding_window_view(x, (2, 3)),
    "ufuncs": lambda x: np.stack([np.deg2rad(x), np.rad2deg(x), np.sinc(x), np.i0(x),
                                  np.copysign(x, x[::-1]), np.ldexp(x, 2), np.fabs(x),
                                  np.frexp(x)[0], np.modf(x)[0], np.divmod(x, 0.7)[1],
                                  np.heaviside(x, 0.5), np.nextafter(x, 0.0), np.positive(x),
                                  np.round(x, 1), np.fix(x), np.spacing(x)]),
    "vec_ufuncs": lambda x: np.concatenate([np.vecdot(x, x[0]), np.matvec(x, x[0]),
                                            np.vecmat(x[:, 0], x)]),
    "nan_to_num": lambda x: np.nan_to_num(np.where(x > 2, np.inf, np.where(x < -2, np.nan, x)),
                                          posinf=9.0),
    "unique": lambda x: np.unique(np.round(x)) * x[0, 0],
    "sets": lambda x: np.concatenate([np.union1d(x[0], x[1]), np.setdiff1d(x[0], x[1, :2]),
                                      np.intersect1d(x[0], x[0, ::-1]),
                                      np.setxor1d(x[0], x[0, :2])]),
    "ufunc_methods": lambda x: np.concatenate([np.add.reduce(x, axis=None, keepdims=True)[0],
                                               np.maximum.accumulate(x, axis=1).ravel(),
                                               np.hypot.reduce(x, axis=1),
                                               np.subtract.outer(x[0], x[1]).ravel()]),
    "linspace": lambda x: np.linspace(x[0], x[1], 5, axis=1).ravel(),
    "cumulative": lambda x: np.cumulative_sum(x, axis=1, include_initial=True)
    * np.cumulative_prod(x, axis=1, include_initial=True),
    "histogram": lambda x: np.concatenate(np.histogram(x, 4, density=True)),
    "apply_along_axis": lambda x: np.apply_along_axis(lambda r: r[::-1] * r[0], 1, x),
    "integer_results": lambda x: np.concatenate([
        np.digitize(x[0], [-1.0, 0.0, 1.0]), np.digitize(x[1], [1.0, 0.0, -1.0], right=True),
        np.isclose(x[0], x[0] + 1e-9), np.isclose(x[1], x[2], atol=0.5),
        np.count_nonzero(x > 0, axis=0), np.argsort(x[2]), np.searchsorted([0.0, 1.0], x[0]),
        np.argmax(x, axis=1), np.argpartition(x[0], 1)[:1]]) * x[0, 0],
}


@pytest.mark.parametrize("name", VALUE_CASES)
def test_traced_values_equal_numpy(name):
    f = VALUE_CASES[name]
    with np.errstate(all="ignore"):
        want = f(X)
        got, _ = fad.jvp(f, (X,), (np.ones_like(X),))
        got_rev, _ = fad.vjp(f, X)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(got_rev, want, rtol=1e-12, atol=1e-14)
    assert np.asarray(got).shape == np.asarray(want).shape


# data-dependent output shapes cannot be batched: these raise a clear error under vmap
_NO_VMAP = {"unique", "sets", "compress_extract", "histogram"}


@pytest.mark.parametrize("name", sorted(set(VALUE_CASES) - _NO_VMAP))
def test_vmap_of_numpy_code_equals_loop(name):
    f = VALUE_CASES[name]
    xs = np.stack([X, X[::-1], X * -0.7])
    with np.errstate(all="ignore"):
        got = fad.vmap(f)(xs)
        want = np.stack([f(x) for x in xs])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


# ---------------------------------------------------------------------------
# what is not supported says so, names the function and the way out
# ---------------------------------------------------------------------------

ERROR_CASES = [
    (lambda x: np.pad(x, 1, mode="linear_ramp"), NotImplementedError, "linear_ramp.*'edge'"),
    (lambda x: np.quantile(x, 0.5, method="weibull"), NotImplementedError, "weibull"),
    (lambda x: np.gradient(x, np.arange(3.0) ** 2), NotImplementedError, "scalar spacings"),
    (lambda x: np.polyfit(x, x, 1), fad.UnsupportedFunctionError, "polyfit.*lstsq"),
    (lambda x: np.roots(x), fad.UnsupportedFunctionError, "roots.*eigvals"),
    (lambda x: np.emath.sqrt(x), fad.UnsupportedFunctionError, "sqrt.*complex"),
    (lambda x: np.copyto(np.zeros(3), x), fad.UnsupportedFunctionError, "copyto.*where"),
    (lambda x: np.add.at(np.zeros(3), [0], x), fad.UnsupportedFunctionError, "fnp.at"),
]


@pytest.mark.parametrize("k", range(len(ERROR_CASES)))
def test_unsupported_uses_raise_clear_errors(k):
    f, exc, pattern = ERROR_CASES[k]
    with pytest.raises(exc, match=pattern):
        fad.grad(lambda x: np.sum(f(x)))(np.array([1.0, 2.0, 3.0]))
