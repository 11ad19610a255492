"""CuPy arrays through the transforms: the audited spec rows (as in tests/test_dask.py) give
CuPy results equal to NumPy's. Runs only where CuPy and a GPU are present."""

from __future__ import annotations

import numpy as np
import pytest

import funcad as fad
import funcad.numpy as fnp
from funcad import tree

from .specs.core import SPECS as CORE_SPECS

cp = pytest.importorskip("cupy")
try:
    _GPUS = cp.cuda.runtime.getDeviceCount()
except Exception:  # noqa: BLE001 - no driver, no device
    _GPUS = 0
pytestmark = [pytest.mark.skipif(not _GPUS, reason="no GPU"),
              pytest.mark.filterwarnings("ignore::funcad.errors.ForeignArrayWarning")]


def _loss(fn):
    return lambda *a: fnp.sum(fnp.real(fn(*a)) ** 2)


def _run(spec, mode, convert):
    args = spec.sample(np.random.default_rng(0), spec.shapes[-1])
    n = len(args)
    if mode == "vmap":
        args = tuple(np.stack([a, 0.9 * a]) for a in args)
    ins = [convert(a) for a in args]
    if mode == "value":
        return spec.fn(*ins)
    if mode == "grad":
        return fad.grad(_loss(spec.fn), argnums=tuple(range(n)))(*ins)
    if mode == "jvp":
        return fad.jvp(spec.fn, tuple(ins), tuple(convert(np.ones_like(a)) for a in args))
    return fad.vmap(spec.fn)(*ins)


@pytest.mark.parametrize("mode", ["value", "grad", "jvp", "vmap"])
@pytest.mark.parametrize("spec", [pytest.param(s, id=s.name) for s in CORE_SPECS])
def test_audited_rows_on_the_gpu(spec, mode):
    ref = _run(spec, mode, lambda a: a)
    got = _run(spec, mode, cp.asarray)
    for r, g in zip(tree.leaves(ref), tree.leaves(got)):
        assert isinstance(g, cp.ndarray), type(g)
        np.testing.assert_allclose(g.get(), r, rtol=1e-12, atol=1e-12)


def test_cupy_mixed_with_numpy_raises_as_cupy_does():
    w = np.ones(3)
    x = cp.ones((2, 3))
    with pytest.raises(TypeError):
        fad.grad(lambda w, x: fnp.sum(x @ w))(w, x)
