"""The table-driven primitive test: every spec x shapes x {fwd, rev} x order 2, plus vmap.

Specs live in tests/specs/*.py (one module per family), each defining ``SPECS``.
Hypothesis draws the input values (through a seed) for each (spec, shapes) case.
"""

from __future__ import annotations

import importlib
import pkgutil

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import funcad as fad
from funcad import tree
from funcad._batching import fallback_used

from . import specs as _specs_pkg

ALL_SPECS = []
for _m in pkgutil.iter_modules(_specs_pkg.__path__):
    if not _m.name.startswith("_"):
        ALL_SPECS += importlib.import_module(f"{_specs_pkg.__name__}.{_m.name}").SPECS

CASES = [(s, shp) for s in ALL_SPECS for shp in s.shapes]
IDS = [f"{s.name}-{'x'.join(str(x) for x in shp)}" for s, shp in CASES]

_SETTINGS = settings(max_examples=3, deadline=None, derandomize=True, database=None,
                     suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("spec,shapes", CASES, ids=IDS)
@_SETTINGS
@given(seed=st.integers(0, 2**31 - 1))
def test_check_grads(spec, shapes, seed):
    args = spec.sample(np.random.default_rng(seed), shapes)
    with np.errstate(all="ignore"):
        fad.check_grads(spec.fn, args, order=spec.order, modes=spec.modes, atol=spec.atol,
                        rtol=spec.rtol, eps=spec.eps)


VMAP_CASES = [(s, shp) for s, shp in CASES if s.vmap]
VMAP_IDS = [f"{s.name}-{'x'.join(str(x) for x in shp)}" for s, shp in VMAP_CASES]


@pytest.mark.parametrize("spec,shapes", VMAP_CASES, ids=VMAP_IDS)
@pytest.mark.parametrize("batched", ["all", "first", "last"])
@pytest.mark.parametrize("axis", [0, -1])
def test_vmap_matches_loop(spec, shapes, batched, axis):
    rng = np.random.default_rng(0)
    n = len(shapes)
    which = {"all": range(n), "first": [0], "last": [n - 1]}[batched]
    per = [spec.sample(rng, shapes) for _ in range(3)]
    in_axes = tuple(axis if i in which else None for i in range(n))
    args = tuple(np.stack([p[i] for p in per], axis=axis) if i in which else per[0][i]
                 for i in range(n))
    with np.errstate(all="ignore"):
        want = [spec.fn(*[p[i] if i in which else per[0][i] for i in range(n)]) for p in per]
    want = tree.map(lambda *xs: np.stack(xs), *want)
    # every out_axes choice the outputs allow: first, last, and a middle axis
    nd = min(np.ndim(w) for w in tree.leaves(want))
    seen = set(fallback_used)
    fallback_used.clear()
    try:
        for out_axis in [0, -1] + ([1] if nd >= 3 else []):
            with np.errstate(all="ignore"):
                got = fad.vmap(spec.fn, in_axes=in_axes, out_axes=out_axis)(*args)
            tree.map(lambda g, w: np.testing.assert_allclose(g, np.moveaxis(w, 0, out_axis),
                                                             rtol=1e-10, atol=1e-12), got, want)
        # the core primitives batch with rules: the per-example loop is never used
        assert not fallback_used, f"batched by the per-example loop: {sorted(fallback_used)}"
    finally:
        fallback_used.update(seen)


@pytest.mark.parametrize("spec,shapes", VMAP_CASES[:: max(1, len(VMAP_CASES) // 40)],
                         ids=VMAP_IDS[:: max(1, len(VMAP_CASES) // 40)])
def test_vmap_of_grad_matches_loop(spec, shapes):
    rng = np.random.default_rng(1)
    per = [spec.sample(rng, shapes) for _ in range(3)]

    def scalar(*a):
        return fad.numpy.sum(fad.numpy.real(spec.fn(*a)))

    g = fad.grad(scalar)
    with np.errstate(all="ignore"):
        got = fad.vmap(g)(*[np.stack([p[i] for p in per]) for i in range(len(shapes))])
        want = np.stack([g(*p) for p in per])
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)

