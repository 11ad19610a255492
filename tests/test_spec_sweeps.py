"""Every spec row of the table-driven test through the transforms the table itself does not
exercise: linearize, linear_transpose, checkpoint, make_tape, and inputs that are strided,
read-only views. One parametrized test each, over the rows' largest shapes.

The linear_transpose sweep found the decompositions (eigh, svd, eig and everything built on
them) reading their tangent through a NaN marker for repeated eigenvalues even when there
were none, which made linearize's tangent program untransposable.
"""

from __future__ import annotations

import numpy as np
import pytest

import funcad as fad
from funcad import tree

from .test_primitives import ALL_SPECS

PARAMS = [pytest.param(s, id=s.name) for s in ALL_SPECS]


def _args(spec, seed=7):
    return spec.sample(np.random.default_rng(seed), spec.shapes[-1])


def _like(a, rng):
    a = np.asarray(a)
    t = rng.normal(size=a.shape)
    if a.dtype.kind == "c":
        t = t + 1j * rng.normal(size=a.shape)
    return t.astype(a.dtype)


def _close(a, b, rtol=1e-8, atol=1e-10):
    la, lb = tree.leaves(a), tree.leaves(b)
    assert len(la) == len(lb)
    for x, y in zip(la, lb):
        np.testing.assert_allclose(x, y, rtol=rtol, atol=atol, equal_nan=True)


def _ones_ct(y):
    return tree.map(lambda o: np.ones_like(o), y)


def _pair(a, b) -> float:
    """The real bilinear pairing sum(re(a * b)) over matching leaves."""
    return sum(float(np.sum(np.real(np.asarray(x) * np.asarray(y))))
               for x, y in zip(tree.leaves(a), tree.leaves(b)))


@pytest.mark.filterwarnings("error::numpy.exceptions.ComplexWarning")
@pytest.mark.parametrize("spec", PARAMS)
def test_linearize_transpose_and_checkpoint(spec):
    args = _args(spec)
    rng = np.random.default_rng(1)
    t = tuple(_like(a, rng) for a in args)
    y, ty = fad.jvp(spec.fn, args, t)
    y2, f_jvp = fad.linearize(spec.fn, *args)
    _close(y, y2)
    _close(ty, f_jvp(*t))
    # the transpose of the linearized map passes the dot-product test <c, J t> = <J^T c, t>
    ct = _ones_ct(y)
    back = fad.linear_transpose(f_jvp, *args)(ct)
    np.testing.assert_allclose(_pair(ct, ty), _pair(back, t), rtol=1e-7, atol=1e-9)
    # rematerialization changes nothing
    _, pullback = fad.vjp(spec.fn, *args)
    _, pullback_c = fad.vjp(fad.checkpoint(spec.fn), *args)
    _close(pullback(ct), pullback_c(ct))
    assert "output" in str(fad.make_tape(spec.fn)(*args))


def _strided_readonly(a):
    a = np.asarray(a)
    if a.ndim == 0:
        b = a.copy()
    else:
        big = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), a.dtype)
        big[..., ::2] = a
        b = big[..., ::2]
    b.flags.writeable = False
    return b


@pytest.mark.parametrize("spec", PARAMS)
def test_strided_readonly_inputs(spec):
    """Views with strides and no write permission give the same values and derivatives,
    and are left unchanged."""
    args = _args(spec, seed=3)
    views = tuple(_strided_readonly(a) for a in args)
    before = [v.copy() for v in views]
    rng = np.random.default_rng(2)
    t = tuple(_like(a, rng) for a in args)
    y, ty = fad.jvp(spec.fn, args, t)
    yv, tyv = fad.jvp(spec.fn, views, t)
    _close(y, yv, rtol=1e-12, atol=0)
    _close(ty, tyv, rtol=1e-12, atol=0)
    ct = _ones_ct(y)
    _close(fad.vjp(spec.fn, *args)[1](ct), fad.vjp(spec.fn, *views)[1](ct), rtol=1e-12, atol=0)
    for v, b in zip(views, before):
        np.testing.assert_array_equal(v, b)
