"""jit's memory on long programs: a recording holds a few hundred bytes a step (several
times an eager tape), so one longer than ``max_steps`` is given up and that call signature
runs eagerly; the first call then peaks no higher than an eager call (tracemalloc: Python's
own allocations, independent of the CPU and the BLAS)."""

import gc
import tracemalloc

import numpy as np

import funcad as fad
from funcad import _core
from funcad._jit import MAX_STEPS, jit

N_OPS = 20_000


def _chain(x):
    for _ in range(N_OPS // 2):
        x = np.sin(x)
        x = x * 1.0001
    return np.sum(x)


def _peak(fn):
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        out = fn()
        return out, tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def test_a_recording_past_max_steps_runs_eagerly_within_eager_memory():
    x = np.linspace(-1.0, 1.0, 10)
    want, eager = _peak(lambda: fad.grad(_chain)(x))
    g = jit(fad.grad(_chain), max_steps=5_000)
    got, jitted = _peak(lambda: g(x))
    np.testing.assert_array_equal(got, want)
    assert not _core._stack()                     # the abandoned recording left no level
    assert jitted <= 1.25 * eager, (jitted, eager)
    info = g.cache_info()
    assert (info.entries, info.traces, info.eager) == (0, 1, 1)
    np.testing.assert_array_equal(g(x), want)     # later calls: eager, no recording
    assert g.cache_info().traces == 1 and g.cache_info().hits == 0


def test_without_a_limit_the_long_program_replays():
    x = np.linspace(-1.0, 1.0, 10)
    g = jit(fad.grad(_chain), max_steps=None)
    want = fad.grad(_chain)(x)
    np.testing.assert_allclose(g(x), want, rtol=1e-12)
    np.testing.assert_allclose(g(x), want, rtol=1e-12)
    assert g.cache_info()[:5] == (1, 1, 0, 1, 0)
    assert MAX_STEPS >= 10 * 2_600      # a 1,000-op grad chain (W2) records ~2,600 steps
