"""Dask arrays through every transform: values and derivatives equal NumPy's, results are
Dask arrays, and nothing is computed until the user calls ``.compute()``.

The audited primitives (``extend.deflazy``: elementwise ufuncs, reductions, matmul/einsum,
reshaping, indexing) run on the spec table's core rows with inputs whose graph raises when
computed: grad, jvp and vmap must build a graph without computing it. Every other row of
the table runs with plain Dask inputs: the result must equal NumPy's (a primitive not
audited computes its operands, with a ForeignArrayWarning, and never answers wrongly).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import funcad as fad
import funcad.numpy as fnp
from funcad import tree
from funcad.errors import ForeignArrayWarning

from .specs.core import SPECS as CORE_SPECS
from .test_primitives import ALL_SPECS

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")

pytestmark = pytest.mark.filterwarnings("ignore::funcad.errors.ForeignArrayWarning")


@pytest.fixture(autouse=True)
def _synchronous():
    with dask.config.set(scheduler="synchronous"):
        yield


class Computed(Exception):
    """Raised by a poisoned Dask array's chunks when something computes them."""


def _boom(block):
    raise Computed("the graph was computed")


def to_dask(a, poisoned=False):
    """``a`` as a Dask array of about two chunks per axis; ``poisoned``: computing it
    raises :class:`Computed`."""
    x = da.from_array(a, chunks=tuple(max(1, s // 2) for s in a.shape))
    return x.map_blocks(_boom, dtype=x.dtype) if poisoned else x


def _ids(specs):
    return [pytest.param(s, id=s.name) for s in specs]


# np.einsum(a, [27, 1], b, [1, 0]) called directly on Dask arrays (no tracer): Dask's own
# einsum orders the implicit output of the sublist form differently from NumPy
_DASK_DIFFERS = {"einsum_sublist_implicit"}


def _loss(fn):
    return lambda *a: fnp.sum(fnp.real(fn(*a)) ** 2)


def _transforms(spec, args):
    """name -> (function of the inputs, extra arrays to pass as Dask too)."""
    n = len(args)
    nums = tuple(range(n))
    ts = tuple(np.linspace(0.5, 1.5, a.size).reshape(a.shape).astype(a.dtype) for a in args)
    return {
        "value": (lambda *a: spec.fn(*a), ()),
        "grad": (lambda *a: fad.grad(_loss(spec.fn), argnums=nums)(*a), ()),
        "jvp": (lambda *a: fad.jvp(spec.fn, a[:n], a[n:]), ts),
        "vmap": (lambda *a: fad.vmap(spec.fn)(*a), None),
    }


def _run(spec, mode, poisoned):
    args = spec.sample(np.random.default_rng(0), spec.shapes[-1])
    fn, extra = _transforms(spec, args)[mode]
    if extra is None:            # vmap: a batch of two examples
        args, extra = tuple(np.stack([a, 0.9 * a]) for a in args), ()
    ins = args + tuple(extra)
    return fn(*ins), fn(*[to_dask(a, poisoned) for a in ins])


AUDITED = [pytest.param(s, m, id=f"{s.name}-{m}") for s in CORE_SPECS
           for m in ("value", "grad", "jvp", "vmap")
           if not (s.name in _DASK_DIFFERS and m == "value")]


@pytest.mark.parametrize("spec, mode", AUDITED)
def test_audited_rows_stay_lazy_and_agree(spec, mode):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ForeignArrayWarning)       # nothing computed eagerly
        _, lazy = _run(spec, mode, poisoned=True)                 # raises Computed if it ran
        for leaf in tree.leaves(lazy):
            assert isinstance(leaf, da.Array), type(leaf)
        ref, got = _run(spec, mode, poisoned=False)
    got = dask.compute(*tree.leaves(got))
    for r, g in zip(tree.leaves(ref), got):
        np.testing.assert_allclose(g, r, rtol=1e-12, atol=1e-12)


def _other_rows():
    core = {s.name for s in CORE_SPECS}
    return [s for s in ALL_SPECS if s.name not in core]


@pytest.mark.parametrize("mode", ["grad", "jvp", "vmap"])
@pytest.mark.parametrize("spec", _ids(_other_rows()))
def test_every_other_row_agrees_or_raises(spec, mode):
    """Primitives that are not audited: the derivative equals NumPy's (computed eagerly where
    needed, with a warning), or the call raises; never a different number."""
    try:
        ref, got = _run(spec, mode, poisoned=False)
    except (NotImplementedError, ValueError, TypeError) as e:
        # an error, not an answer (histogram's data-dependent bins under vmap read the
        # values: funcad's BatchingError)
        assert str(e)
        return
    for r, g in zip(tree.leaves(ref), tree.leaves(got)):
        assert isinstance(g, da.Array), type(g)
        np.testing.assert_allclose(np.asarray(g), r, rtol=1e-9, atol=1e-11)


def test_grad_builds_a_graph_and_computes_nothing():
    x = np.linspace(-1.0, 1.0, 24).reshape(6, 4)
    y = np.sign(x[:, 0]) * 1.0
    w = np.array([0.3, -0.2, 0.5, 0.1])

    def loss(w, x, y):
        return fnp.mean(fnp.logaddexp(0.0, -y * (x @ w)))

    g = fad.grad(loss)(w, to_dask(x, poisoned=True), to_dask(y, poisoned=True))
    assert isinstance(g, da.Array)           # NumPy weights, Dask data: a Dask gradient
    with pytest.raises(Computed):
        g.compute()
    np.testing.assert_allclose(fad.grad(loss)(w, to_dask(x), to_dask(y)).compute(),
                               fad.grad(loss)(w, x, y), rtol=1e-13)


def test_numpy_mixed_with_dask_promotes_like_dask():
    w, x = np.ones(3), to_dask(np.arange(6.0).reshape(2, 3))
    gw, gx = fad.grad(lambda w, x: fnp.sum(fnp.sin(x @ w)), argnums=(0, 1))(w, x)
    assert isinstance(gw, da.Array) and isinstance(gx, da.Array)
    # a Dask input that the output does not depend on gets a Dask zero
    gz = fad.grad(lambda w, x: fnp.sum(w ** 2), argnums=1)(w, x)
    assert isinstance(gz, da.Array) and not gz.compute().any()


def test_jacobians_and_hessians_of_dask_inputs_stay_lazy():
    a = np.arange(12.0).reshape(3, 4) / 10
    w = np.linspace(-1, 1, 4)

    def f(w, x):
        return fnp.sum(fnp.tanh(x @ w) ** 2)

    for transform in (fad.jacfwd, fad.jacrev, fad.hessian):
        for argnum in (0, 1):
            with warnings.catch_warnings():
                warnings.simplefilter("error", ForeignArrayWarning)
                lazy = transform(f, argnums=argnum)(w, to_dask(a, poisoned=True))
            assert isinstance(lazy, da.Array)
            got = transform(f, argnums=argnum)(w, to_dask(a)).compute()
            np.testing.assert_allclose(got, transform(f, argnums=argnum)(w, a), rtol=1e-12)


def test_inputs_are_not_mutated():
    """Dask's astype to the same dtype returns the array itself and its __setitem__
    rewrites that object's graph: index_set must write into a copy."""
    x, y = to_dask(np.array([1.0, 2.0, 3.0])), to_dask(np.array([5.0, 6.0]))
    name = x.name
    g = fad.grad(lambda x, y: fnp.sum(fnp.at(x)[1].set(y[0] * 2) ** 2), argnums=(0, 1))(x, y)
    assert x.name == name
    np.testing.assert_allclose(x.compute(), [1.0, 2.0, 3.0])
    np.testing.assert_allclose(g[0].compute(), [2.0, 0.0, 6.0])
    np.testing.assert_allclose(g[1].compute(), [40.0, 0.0])


def test_unaudited_primitive_warns_and_is_right():
    """Dask's own cholesky returns the upper factor: funcad's computes with NumPy."""
    a = np.array([[4.0, 1.0], [1.0, 3.0]])
    with pytest.warns(ForeignArrayWarning, match="cholesky"):
        import funcad._arrays as arrays
        arrays._warned.clear()
        got = fnp.linalg.cholesky(to_dask(a))
    assert isinstance(got, da.Array)
    np.testing.assert_allclose(got.compute(), np.linalg.cholesky(a))
    g = fad.grad(lambda a: fnp.sum(fnp.linalg.cholesky(a)))(to_dask(a))
    np.testing.assert_allclose(g.compute(), fad.grad(lambda a: fnp.sum(fnp.linalg.cholesky(a)))(a))


def test_fancy_index_gradient_sums_repeats_lazily():
    x = np.arange(5.0)
    idx = np.array([0, 3, 3, 1, 3])
    f = lambda x: fnp.sum(x[idx] ** 2)   # noqa: E731
    with warnings.catch_warnings():
        warnings.simplefilter("error", ForeignArrayWarning)
        lazy = fad.grad(f)(to_dask(x, poisoned=True))
    assert isinstance(lazy, da.Array)
    np.testing.assert_allclose(fad.grad(f)(to_dask(x)).compute(), fad.grad(f)(x))


def test_jit_with_dask_arguments_runs_the_function_lazily():
    """A recording would compute the values to check its guards: jit(f) of Dask arguments
    runs f itself, and the result stays a lazy graph (docs/scaling.md)."""
    f = lambda w, x: fnp.sum(fnp.tanh(x @ w))     # noqa: E731
    a, w = np.arange(6.0).reshape(2, 3) / 5, np.ones(3)
    for transform in (fad.jit(f), fad.jit(fad.grad(f, argnums=1)), fad.grad(fad.jit(f)),
                      fad.vmap(fad.jit(f), in_axes=(None, 0))):
        lazy = transform(w, to_dask(a, poisoned=True))
        assert isinstance(lazy, da.Array)
        np.testing.assert_allclose(transform(w, to_dask(a)).compute(), transform(w, a),
                                   rtol=1e-13)


def test_scipy_special_functions_stay_lazy_on_dask():
    """SciPy's ufuncs run on Dask arrays: declared lazy for Dask (not CuPy)."""
    special = pytest.importorskip("funcad.scipy.special")
    stats = pytest.importorskip("funcad.scipy.stats")
    a = np.linspace(-2.0, 2.0, 6)
    for f in (lambda x: fnp.sum(special.expit(x)), lambda x: fnp.sum(stats.norm.logcdf(x)),
              lambda x: fnp.sum(special.gammaln(x + 3.0))):
        with warnings.catch_warnings():
            warnings.simplefilter("error", ForeignArrayWarning)
            lazy = fad.grad(f)(to_dask(a, poisoned=True))
        assert isinstance(lazy, da.Array)
        np.testing.assert_allclose(fad.grad(f)(to_dask(a)).compute(), fad.grad(f)(a),
                                   rtol=1e-13)


def test_jet_and_laplacian_through_powers_stay_lazy():
    """The Taylor rule of ``x ** p`` looks for zeros in ``x`` on NumPy (to take its faster
    recurrence); on Dask it takes the generic rule instead of computing the graph."""
    a = np.linspace(0.5, 1.5, 6)

    def f(x):
        return fnp.sum(x ** 3 + fnp.sqrt(x) ** 2.5)

    with warnings.catch_warnings():
        warnings.simplefilter("error", ForeignArrayWarning)
        lap = fad.laplacian(f)(to_dask(a, poisoned=True))
        prim, series = fad.jet(lambda x: x ** 3, (to_dask(a, poisoned=True),),
                               ((to_dask(np.ones(6), poisoned=True), to_dask(np.zeros(6))),))
    assert isinstance(lap, da.Array) and isinstance(series[1], da.Array)
    np.testing.assert_allclose(fad.laplacian(f)(to_dask(a)).compute(), fad.laplacian(f)(a),
                               rtol=1e-12)
    ref = fad.jet(lambda x: x ** 3, (a,), ((np.ones(6), np.zeros(6)),))
    got = fad.jet(lambda x: x ** 3, (to_dask(a),), ((to_dask(np.ones(6)), to_dask(np.zeros(6))),))
    for r, g in zip(tree.leaves(ref), tree.leaves(got)):
        np.testing.assert_allclose(g.compute(), r, rtol=1e-12)


def test_einsum_diagonal_of_unevenly_chunked_axes():
    """Dask pairs the blocks of a repeated index (``ii``) by position: axes chunked
    differently failed at ``.compute()`` (found by the fuzzer); funcad rechunks them."""
    a = np.arange(18.0).reshape(2, 3, 3) / 7
    x = da.from_array(a, chunks=((1, 1), (1, 2), (3,)))

    def f(x):
        return fnp.sum(fnp.einsum("...ii->...i", x) ** 2)

    np.testing.assert_allclose(fnp.einsum("...ii->...i", x).compute(),
                               np.einsum("...ii->...i", a))
    np.testing.assert_allclose(fad.grad(f)(x).compute(), fad.grad(f)(a), rtol=1e-12)
    np.testing.assert_allclose(fad.jacfwd(lambda x: fnp.einsum("ii->i", x))(x[0]).compute(),
                               fad.jacfwd(lambda x: fnp.einsum("ii->i", x))(a[0]), rtol=1e-12)
