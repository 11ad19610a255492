"""Memory: no leaks across repeated transforms, tapes freed on return, clean unwinding.

* Repeated ``grad`` calls of a 100-op function leave memory flat (allocated
  Python blocks and tracemalloc bytes measured over a window after warm-up).
  10,000 calls by default (``FUNCAD_MEMORY_CALLS`` changes the count).
* The tape, its residuals and the tracers are freed by reference counting
  alone when a transform returns (checked with the cyclic collector off, so a
  reference cycle would show up as memory that stays).
* An exception inside a traced function leaves no level on the stack, and the
  next transform works.
* A tracer that escapes (stored in a global) raises EscapedTracerError naming
  its own level and the levels running when it is used.
"""

from __future__ import annotations

import gc
import os
import re
import sys
import tracemalloc

import numpy as np
import pytest

import funcad as fad
import funcad.numpy as fnp
from funcad import _core
from funcad._batching import BatchTrace, BatchTracer
from funcad._forward import JVPTrace, JVPTracer
from funcad._reverse import RevTrace, RevTracer, Tape

N_CALLS = int(os.environ.get("FUNCAD_MEMORY_CALLS", "10000"))
_ENGINE_TYPES = (RevTracer, JVPTracer, BatchTracer, RevTrace, JVPTrace, BatchTrace, Tape)


def _hundred_ops(x):
    for _ in range(25):          # 4 ops per round
        x = np.sin(x) * 0.9 + x * 0.1
    return np.sum(x)


def _count_engine_objects() -> int:
    return sum(isinstance(o, _ENGINE_TYPES) for o in gc.get_objects())


class _NoCycleCollection:
    """Turn the cyclic collector off: what stays alive now is kept by refcounts or cycles."""

    def __enter__(self):
        gc.collect()
        self.was = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc):
        if self.was:
            gc.enable()
        return False


# ---------------------------------------------------------------------------
# no leak over many calls
# ---------------------------------------------------------------------------

def test_repeated_grad_memory_is_flat():
    g = fad.grad(_hundred_ops)
    x = np.linspace(-1.0, 1.0, 3)
    want = g(x)
    warm = min(500, N_CALLS // 4)
    for _ in range(warm):
        g(x)
    gc.collect()
    samples = []
    step = max((N_CALLS - warm) // 5, 1)
    for k in range(N_CALLS - warm):
        out = g(x)
        if k % step == step - 1:
            samples.append(sys.getallocatedblocks())
    np.testing.assert_array_equal(out, want)
    gc.collect()
    growth = max(samples) - samples[0]
    # one leaked object per call would add thousands of blocks
    assert growth < 300, f"allocated blocks grew by {growth} over {N_CALLS - warm} calls: " \
                         f"{samples}"


def test_repeated_grad_tracemalloc_window():
    g = fad.grad(_hundred_ops)
    x = np.linspace(-1.0, 1.0, 3)
    for _ in range(100):
        g(x)
    gc.collect()
    tracemalloc.start()
    try:
        for _ in range(30):
            g(x)
        gc.collect()
        base, _ = tracemalloc.get_traced_memory()
        for _ in range(100):
            g(x)
        gc.collect()
        now, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert now - base < 20_000, f"traced memory grew by {now - base} bytes over 100 grad calls"


# ---------------------------------------------------------------------------
# tapes and tracers are freed when the transform returns
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("transform", [
    lambda f, x: fad.grad(f)(x),
    lambda f, x: fad.value_and_grad(f)(x),
    lambda f, x: fad.vjp(f, x)[1](1.0),
    lambda f, x: fad.jvp(f, (x,), (np.ones_like(x),)),
    lambda f, x: fad.vmap(f)(x.reshape(4, -1)),
    lambda f, x: fad.hvp(f, (x,), (np.ones_like(x),)),
    lambda f, x: fad.grad(lambda y: np.sum(fad.jacfwd(f)(y[:6])))(x),
], ids=["grad", "value_and_grad", "vjp", "jvp", "vmap", "hvp", "grad_of_jacfwd"])
def test_tape_and_tracers_freed_without_gc(transform):
    def f(x):
        big = np.sin(x) * np.cos(x) + x ** 2     # residuals the tape keeps
        return np.sum(np.tanh(big) * big)

    x = np.linspace(-1.0, 1.0, 40_000)
    transform(f, x)            # warm caches and lazily imported modules
    with _NoCycleCollection():
        before = _count_engine_objects()
        tracemalloc.start()
        try:
            base, _ = tracemalloc.get_traced_memory()
            result = transform(f, x)
            del result
            after_mem, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        after = _count_engine_objects()
    assert after == before, f"{after - before} tracer/trace/tape objects outlived the transform"
    # the residuals or the gradient (320 kB arrays) were allocated and freed again
    assert peak - base > 300_000
    assert after_mem - base < 50_000, (
        f"{after_mem - base} bytes still held after the transform returned (peak "
        f"{peak - base}): the tape or its residuals were not freed")
    assert _core.active_traces() == []


def test_vjp_fn_keeps_tape_until_dropped():
    """The pullback holds the tape (it may be called many times); dropping it frees it."""
    x = np.linspace(-1.0, 1.0, 50_000)
    with _NoCycleCollection():
        tracemalloc.start()
        try:
            base, _ = tracemalloc.get_traced_memory()
            out, f_vjp = fad.vjp(lambda x: np.sin(x) * np.exp(x), x)
            held, _ = tracemalloc.get_traced_memory()
            np.testing.assert_allclose(f_vjp(np.ones_like(x))[0], f_vjp(np.ones_like(x))[0])
            del out, f_vjp
            freed, _ = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert held - base > 400_000          # residuals kept for the pullback
    assert freed - base < 50_000, f"{freed - base} bytes held after dropping vjp_fn"


# ---------------------------------------------------------------------------
# exceptions unwind every level
# ---------------------------------------------------------------------------

class _Boom(Exception):
    pass


def _raiser(x):
    y = np.sin(x) * 2.0
    if True:
        raise _Boom("raised inside a traced function")
    return y


@pytest.mark.parametrize("transform", [
    lambda f: fad.grad(lambda x: np.sum(f(x))),
    lambda f: fad.jacfwd(f),
    lambda f: fad.jacrev(f),
    lambda f: fad.hessian(lambda x: np.sum(f(x))),
    lambda f: fad.vmap(f),
    lambda f: fad.vmap(fad.grad(lambda x: np.sum(f(x)))),
    lambda f: fad.grad(lambda x: np.sum(fad.jvp(f, (x,), (x,))[1])),
    lambda f: fad.checkpoint(lambda x: fad.grad(lambda y: np.sum(f(y)))(x)),
], ids=["grad", "jacfwd", "jacrev", "hessian", "vmap", "vmap_grad", "grad_jvp",
        "checkpoint_grad"])
def test_exception_leaves_no_level(transform):
    x = np.linspace(-1.0, 1.0, 6).reshape(2, 3)
    with pytest.raises(_Boom):
        transform(_raiser)(x)
    assert _core.active_traces() == []
    # the next transform works and is correct
    np.testing.assert_allclose(fad.grad(lambda x: np.sum(np.sin(x)))(x), np.cos(x))
    assert _core.active_traces() == []


def test_exception_in_vjp_fn_and_inner_transform():
    """An exception raised in the middle of nested transforms unwinds exactly its levels."""
    def f(x):
        def inner(y):
            if np.sum(y) > -100:
                raise _Boom("inner")
            return y
        try:
            fad.jacrev(inner)(x)
        except _Boom:
            pass
        assert len(_core.active_traces()) == 1    # only grad's own level remains
        return np.sum(x ** 2)

    np.testing.assert_allclose(fad.grad(f)(np.arange(3.0)), 2 * np.arange(3.0))
    assert _core.active_traces() == []


def test_exception_in_custom_rules_and_checkpoint_rerun():
    """Errors raised by user rules (custom_vjp bwd, custom_jvp rule, a checkpoint re-run)
    propagate unchanged and leave no level behind."""
    x = np.array([1.0, 2.0])

    @fad.custom_vjp
    def g(x):
        return np.sin(x)

    def g_bwd(res, ct):
        raise _Boom("bwd")

    g.defvjp(lambda x: (np.sin(x), x), g_bwd)

    @fad.custom_jvp
    def h(x):
        return np.sin(x)

    @h.defjvp
    def h_jvp(primals, tangents):
        raise _Boom("jvp rule")

    calls = []

    def k(x):
        calls.append(1)
        if len(calls) > 1:
            raise _Boom("checkpoint re-run")
        return np.sin(x)

    for run in (lambda: fad.grad(lambda x: np.sum(g(x)))(x),
                lambda: fad.hessian(lambda x: np.sum(g(x)))(x),
                lambda: fad.jacfwd(h)(x),
                lambda: fad.vmap(fad.grad(lambda x: np.sum(h(x))))(x[None]),
                lambda: fad.grad(lambda x: np.sum(fad.checkpoint(k)(x)))(x)):
        with pytest.raises(_Boom):
            run()
        assert _core.active_traces() == []
    np.testing.assert_allclose(fad.grad(lambda x: np.sum(np.sin(x)))(x), np.cos(x))


# ---------------------------------------------------------------------------
# escaped tracers
# ---------------------------------------------------------------------------

_escaped = []


def test_escaped_tracer_names_both_levels():
    def leak(x):
        _escaped.append(x)
        return np.sum(x ** 2)

    try:
        fad.grad(leak)(np.arange(3.0))
        t = _escaped.pop()
        # used outside any transform
        with pytest.raises(fad.EscapedTracerError, match=r"vjp \(level \d+\).*running now: none"):
            np.sin(t)
        # used inside a later transform: both the dead level and the live one are named
        with pytest.raises(fad.EscapedTracerError) as info:
            fad.jvp(lambda y: y * t, (np.arange(3.0),), (np.ones(3),))
        msg = str(info.value)
        m = re.search(r"vjp \(level (\d+)\)", msg)
        assert m, msg
        live = re.search(r"running now: jvp@(\d+)", msg)
        assert live, msg
        assert int(live.group(1)) > int(m.group(1))
        assert "stop_gradient" in msg      # names the way out
        # operators and NumPy functions too, not only funcad.numpy
        for use in (lambda: t + 1.0, lambda: fnp.sum(t), lambda: np.exp(t), lambda: t[0]):
            with pytest.raises(fad.EscapedTracerError):
                use()
    finally:
        _escaped.clear()
    assert _core.active_traces() == []


def test_escaped_tracer_from_vmap_and_jvp():
    for transform in (lambda f: fad.vmap(f)(np.ones((2, 3))),
                      lambda f: fad.jvp(f, (np.ones(3),), (np.ones(3),))):
        box = []
        transform(lambda x: box.append(x) or x * 2.0)
        with pytest.raises(fad.EscapedTracerError, match=r"(vmap|jvp) \(level \d+\)"):
            np.cos(box[0])


def test_tracer_escaping_an_inner_transform_into_the_outer_one():
    box = []

    def outer(x):
        fad.jvp(lambda y: box.append(y * x) or y, (x,), (np.ones_like(x),))
        return np.sum(box[0] * x)       # the inner jvp's tracer, used by the outer grad

    with pytest.raises(fad.EscapedTracerError, match=r"jvp \(level \d+\).*running now: vjp@"):
        fad.grad(outer)(np.ones(2))
    assert _core.active_traces() == []
