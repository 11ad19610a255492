"""jit of jacfwd/jacrev/hessian whose eager basis is sparse (one-hot rows): a recording keeps
the basis sparse where the sparse rules take recorded operands (tests/test_jit_sparse.py);
where one cannot (here a linear solve with a recorded matrix, which has no sparse rule) the
basis goes dense with a recorded operand, which can replay slower than an eager call. Such a
recording is timed against eager calls and the faster one is kept; the decision is forced
here by setting the measured replay times (no timing in the asserts)."""

import numpy as np
import pytest

import funcad as fad
import funcad.numpy as fnp
from funcad import _jit
from funcad._jit import jit


def _rosen(x):
    return fnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def _lossy(x):
    return fnp.linalg.solve(fnp.outer(x, x) + 3.0 * fnp.eye(x.shape[0]), fnp.tanh(x))


def _entry(j):
    (entries,) = j._cache.values()
    return entries[0]


@pytest.mark.parametrize("transform", [fad.hessian, fad.jacfwd, fad.jacrev])
@pytest.mark.parametrize("replay_seconds,eager", [(1e9, 1), (0.0, 0)])
def test_a_lost_sparse_basis_races_eager_calls(transform, replay_seconds, eager):
    fn = (lambda x: fnp.sum(_lossy(x) ** 2)) if transform is fad.hessian else _lossy
    j = jit(transform(fn))
    x = np.linspace(-1.0, 1.0, 64)
    want = transform(fn)(x)
    np.testing.assert_allclose(j(x), want, rtol=1e-12)            # recorded
    assert _entry(j).race is not None       # the eager basis was sparse: the replay is timed
    for _ in range(_jit._RACE_REPLAYS):
        np.testing.assert_allclose(j(x), want, rtol=1e-12)        # timed replays
    _entry(j).race[0][:] = [replay_seconds] * _jit._RACE_REPLAYS
    for _ in range(_jit._RACE_EAGER + 2):
        np.testing.assert_allclose(j(x), want, rtol=1e-12)        # eager calls, then the winner
    info = j.cache_info()
    assert info.eager == eager and info.entries == 1 - eager and info.traces == 1
    if not eager:
        assert _entry(j).race is None         # decided: plain replays from now on


def test_small_or_dense_jacobians_are_not_raced():
    j = jit(fad.hessian(_rosen))
    x = np.linspace(-1.0, 1.0, 8)           # below the sparse basis' minimum size
    for _ in range(10):
        j(x)
    assert _entry(j).race is None and j.cache_info().eager == 0
    g = jit(fad.grad(_rosen))
    g(np.ones(100))
    assert _entry(g).race is None
