"""Transforms outside jit: grad(jit(f)), jvp(jit(f)), vmap(jit(f)) and their compositions
bind the recorded program as the ``jit_call`` primitive; its rules replay derived programs.
Every spec row is checked against the eager transform, on the sample it was recorded on and
on another one (so the replays are compared, not only the recordings)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import funcad as fad
import funcad.numpy as fnp
from funcad import tree
from funcad._jit import jit
from funcad._jit_call import JitCall

from .test_jit_specs import _close, _loss, _samples
from .test_primitives import ALL_SPECS

PARAMS = [pytest.param(s, id=s.name) for s in ALL_SPECS]
SECOND = [pytest.param(s, id=s.name) for s in ALL_SPECS[::10]]


def _calls(j) -> list:
    """The JitCalls of every program ``j`` holds."""
    return [e.call for v in j._cache.values() if v != "eager" for e in v]


def _derived_hits(call: JitCall) -> int:
    fns = list(call._jvp.values()) + list(call._vjp.values()) + list(call._batch.values())
    return sum(f.cache_info().hits for f in fns)


@pytest.mark.parametrize("spec", PARAMS)
def test_outer_transforms_of_every_row(spec):
    a, b = _samples(spec)
    jf = jit(spec.fn)
    rng = np.random.default_rng(3)
    t = tuple(rng.normal(size=np.shape(x)).astype(np.asarray(x).dtype) for x in a)
    for x in (a, b):
        _close(fad.jvp(jf, x, t), fad.jvp(spec.fn, x, t))
        if "rev" in spec.modes:
            every = tuple(range(len(x)))
            _close(fad.grad(_loss(jf), argnums=every)(*x),
                   fad.grad(_loss(spec.fn), argnums=every)(*x))
    if spec.vmap:
        for sa in (tuple(np.stack([x, y]) for x, y in zip(a, b)),
                   tuple(np.stack([y, x]) for x, y in zip(a, b))):
            _close(fad.vmap(jf)(*sa), fad.vmap(spec.fn)(*sa))
    # the transforms went through jit_call (a program with guards still does under jvp/grad)
    assert jf.cache_info().hits >= 2


@pytest.mark.parametrize("spec", SECOND)
def test_second_order_outside_jit(spec):
    a, _ = _samples(spec)
    if spec.order < 2 or "rev" not in spec.modes or "fwd" not in spec.modes or not all(
            np.issubdtype(np.asarray(x).dtype, np.floating) for x in a):
        pytest.skip("twice differentiable rows with real inputs")
    if any(np.iscomplexobj(o) for o in tree.leaves(spec.fn(*a))):
        pytest.skip("real outputs")
    jf = jit(spec.fn)
    _close(fad.hessian(_loss(jf))(*a), fad.hessian(_loss(spec.fn))(*a), rtol=1e-9, atol=1e-10)
    _close(fad.jacfwd(fad.grad(_loss(jf)))(*a), fad.jacfwd(fad.grad(_loss(spec.fn)))(*a),
           rtol=1e-9, atol=1e-10)


def _chain(x):
    for _ in range(30):
        x = fnp.sin(x) * 0.999 + 0.01 * fnp.cos(x)
    return fnp.sum(x)


def test_repeated_grad_replays_without_running_f():
    runs = []

    def f(x):
        runs.append(1)             # a side effect: happens only while recording
        return _chain(x)

    jf = jit(f)
    g = fad.grad(jf)
    for k in range(5):
        x = np.array([0.3, -0.5, 0.9]) + k
        np.testing.assert_allclose(g(x), fad.grad(_chain)(x), rtol=1e-12)
    assert len(runs) == 1          # eager (and the old jit under grad) ran f on every call
    (call,) = _calls(jf)
    assert _derived_hits(call) >= 3     # the backward pass replayed a derived program


def test_every_order_and_composition():
    f = lambda x: fnp.sin(x) * fnp.exp(x / 3) / (1 + x ** 2)
    jf = jit(f)
    g4, e4 = jf, f
    for _ in range(4):
        g4, e4 = fad.grad(g4), fad.grad(e4)
    for x in (0.7, 1.3, 0.7):
        np.testing.assert_allclose(g4(x), e4(x), rtol=1e-10)
    assert jf.cache_info().hits == 3 and jf.cache_info().traces == 1
    x = np.array([0.2, -0.4, 1.1])
    vf = lambda v: fnp.sum(f(v))
    jv = jit(vf)
    for tr in (fad.jacfwd, fad.jacrev, fad.hessian):
        _close(tr(jv)(x), tr(vf)(x), rtol=1e-11)
    _close(fad.vmap(fad.grad(jv))(np.stack([x, 2 * x])),
           fad.vmap(fad.grad(vf))(np.stack([x, 2 * x])))
    _close(fad.grad(lambda v: fnp.sum(fad.vmap(jf)(v)))(x), fad.grad(lambda v: fnp.sum(
        fad.vmap(f)(v)))(x))
    # jit(grad(jit(f))) records the whole computation again (the inner jit is inlined)
    assert jv.cache_info().hits == 4
    jj = jit(fad.grad(jv))
    _close(jj(x), fad.grad(vf)(x))
    _close(jj(x + 1), fad.grad(vf)(x + 1))
    assert jj.cache_info().hits == 1


def test_symbolic_zero_tangents_and_integer_operands():
    def f(x, n, y):
        return fnp.sum(x * y) ** 2 + fnp.sum(n), x * n

    jf = jit(f)
    x, y, n = np.array([1.0, 2.0]), np.array([0.5, -1.0]), np.array([3, 4])
    want = fad.jvp(lambda x: f(x, n, y), (x,), (np.ones(2),))
    _close(fad.jvp(lambda x: jf(x, n, y), (x,), (np.ones(2),)), want)
    _close(fad.grad(lambda x, y: jf(x, n, y)[0], argnums=(0, 1))(x, y),
           fad.grad(lambda x, y: f(x, n, y)[0], argnums=(0, 1))(x, y))
    assert jf.cache_info().hits == 2


def test_guards_are_checked_on_the_primal_values_under_grad():
    def step(x):
        if fnp.sum(x) > 0:
            return fnp.sum(fnp.sin(x) * 2.0)
        return fnp.sum(x ** 3)

    js = jit(step)
    g = fad.grad(js)
    pos, neg = np.array([0.5, 1.0]), np.array([-0.5, -1.0])
    for x in (pos, neg, pos, neg, pos):
        np.testing.assert_allclose(g(x), fad.grad(step)(x), rtol=1e-12)
    info = js.cache_info()
    assert (info.entries, info.traces, info.retraces) == (2, 2, 1)
    # second order takes the branch of the primal too
    for x in (pos, neg):
        _close(fad.hessian(js)(x), fad.hessian(step)(x))


def test_a_guard_under_vmap_runs_f():
    def f(x, s):
        return x * 2.0 if fnp.sum(s) > 0 else x - 1.0    # the guard reads an unbatched value

    jf = jit(f)
    xs = np.arange(6.0).reshape(3, 2)
    for s in (np.ones(2), -np.ones(2)):
        _close(fad.vmap(jf, in_axes=(0, None))(xs, s), fad.vmap(f, in_axes=(0, None))(xs, s))
    with pytest.raises(fad.errors.BatchingError):       # a per-example branch, as eager
        fad.vmap(jit(lambda x: x * 2.0 if fnp.sum(x) > 0 else x))(xs)


def test_closed_over_arrays_are_watched_under_grad():
    w = np.array([1.0, 2.0])
    jf = jit(lambda x: fnp.sum(fnp.sin(x) * w))
    x = np.array([0.1, 0.2])
    _close(fad.grad(jf)(x), np.cos(x) * w)
    w[0] = 10.0
    _close(fad.grad(jf)(x), np.cos(x) * w)
    assert jf.cache_info().retraces == 1


def test_a_closure_over_a_traced_value_runs_f():
    x0 = np.array([0.3, 0.4])

    def outer(w):
        inner = jit(lambda x: fnp.sum(fnp.sin(x) * w))
        return inner(x0 * w)

    _close(fad.grad(outer)(np.array([1.0, 2.0])),
           fad.grad(lambda w: fnp.sum(fnp.sin(x0 * w) * w))(np.array([1.0, 2.0])))


def test_sparse_jacobian_bases_stay_exact():
    def f(x):
        return fnp.tanh(x[::-1] * x) * x

    jf = jit(f)
    x = np.linspace(-1.0, 1.0, 64)
    for tr in (fad.jacfwd, fad.jacrev):
        _close(tr(jf)(x), tr(f)(x))
    _close(fad.hessian(lambda v: fnp.sum(jf(v)))(x), fad.hessian(lambda v: fnp.sum(f(v)))(x))
    # the primal replays; the derived programs met a sparse basis and ran it eagerly
    assert jf.cache_info().hits == 3


def test_threads_share_the_program():
    jf = jit(lambda x: fnp.sum(fnp.tanh(x) ** 2))
    g = fad.grad(jf)
    xs = [np.linspace(-1, 1, 5) * k for k in range(8)]
    want = [fad.grad(lambda x: fnp.sum(fnp.tanh(x) ** 2))(x) for x in xs]
    got = [None] * 8

    def work(k):
        for _ in range(20):
            got[k] = g(xs[k])

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for u, v in zip(got, want):
        np.testing.assert_allclose(u, v, rtol=1e-12)
    assert jf.cache_info().hits > 0        # (the counters are not atomic: no exact count)
