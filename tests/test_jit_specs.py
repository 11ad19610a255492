"""Every spec row through fad.jit: the recorded program, replayed on new values, must give
what the eager transform gives (jit(f), jit(jvp), jit(vjp), jit(vmap), and on a slice of the
rows jit(jacfwd), jit(jacrev), jit(hessian), grad(jit(f)), vmap(jit(f))); transforms outside
jit on every row are in tests/test_jit_outer.py.

Each check records on one sample and replays on another of the same shapes, so the replay
(not only the recording, which computes the real values) is what is compared.
"""

from __future__ import annotations

import numpy as np
import pytest

import funcad as fad
import funcad.numpy as fnp
from funcad import tree
from funcad._jit import jit

from .test_primitives import ALL_SPECS
from .test_spec_sweeps import _close as sweep_close

PARAMS = [pytest.param(s, id=s.name) for s in ALL_SPECS]
# every 2nd row gets the Jacobian/Hessian checks too (they dominate the time)
SLOW = [pytest.param(s, id=s.name) for s in ALL_SPECS[::2]]


def _close(a, b, rtol=1e-12, atol=1e-13):
    sweep_close(a, b, rtol=rtol, atol=atol)


def _samples(spec):
    shp = spec.shapes[-1]
    return spec.sample(np.random.default_rng(7), shp), spec.sample(np.random.default_rng(8), shp)


def _replayed(make, a, b, tol=1e-12):
    """jit(make()) recorded on ``a`` then called on ``b``: equal to the eager result on both."""
    g = jit(make())
    _close(g(*a), make()(*a), rtol=tol)
    _close(g(*b), make()(*b), rtol=tol)
    info = g.cache_info()
    assert info.hits + info.traces == 2


def _loss(fn):
    def loss(*args):
        out = fn(*args)
        return sum(fnp.sum(fnp.real(o) if np.iscomplexobj(o) else o) for o in tree.leaves(out))
    return loss


@pytest.mark.parametrize("spec", PARAMS)
def test_jit_of_every_row(spec):
    a, b = _samples(spec)
    _replayed(lambda: spec.fn, a, b)
    rng = np.random.default_rng(3)
    t = tuple(rng.normal(size=np.shape(x)).astype(np.asarray(x).dtype) for x in a)
    _replayed(lambda: (lambda *x: fad.jvp(spec.fn, x, t)), a, b, 1e-10)
    if "rev" in spec.modes:
        _replayed(lambda: fad.grad(_loss(spec.fn), argnums=tuple(range(len(a)))), a, b, 1e-10)
    if spec.vmap:
        sa = tuple(np.stack([x, y]) for x, y in zip(a, b))
        sb = tuple(np.stack([y, x]) for x, y in zip(a, b))
        _replayed(lambda: fad.vmap(spec.fn), sa, sb, 1e-10)


@pytest.mark.parametrize("spec", SLOW)
def test_jit_of_jacobians_and_outer_transforms(spec):
    a, b = _samples(spec)
    real_out = all(not np.iscomplexobj(o) for o in tree.leaves(spec.fn(*a)))
    if not all(np.issubdtype(np.asarray(x).dtype, np.floating) for x in a) or not real_out:
        pytest.skip("real inputs and outputs only (jacfwd/jacrev need them)")
    first = spec.fn
    if "fwd" in spec.modes:
        _replayed(lambda: fad.jacfwd(first), a, b, 1e-10)
    if "rev" in spec.modes:
        _replayed(lambda: fad.jacrev(first), a, b, 1e-10)
        if spec.order >= 2 and "fwd" in spec.modes:
            _replayed(lambda: fad.hessian(_loss(first)), a, b, 1e-9)
        # outside jit: the program as jit_call (tests/test_jit_outer.py has every row)
        g = fad.grad(_loss(jit(first)))(*a)
        _close(g, fad.grad(_loss(first))(*a))
    if spec.vmap:
        sa = tuple(np.stack([x, y]) for x, y in zip(a, b))
        _close(fad.vmap(jit(first))(*sa), fad.vmap(first)(*sa))
