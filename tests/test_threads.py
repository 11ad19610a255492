"""Thread safety: transforms running in several threads at once agree with serial runs.

The stack of trace levels is per thread (funcad/_core.py); the level counter,
the rule tables and the small caches (shared ShapeDtype objects, keep masks,
checkpoint's saved versions) are shared. These tests run many transforms
concurrently, with a tiny interpreter switch interval so threads interleave
inside transforms, and compare every result bit for bit with a serial run.
"""

from __future__ import annotations

import sys
import threading

import numpy as np
import pytest

import funcad as fad
import funcad.numpy as fnp
from funcad import _core

N_THREADS = 8
ROUNDS = 6


def _f_mlp(x):
    w = np.arange(12.0).reshape(3, 4) / 10.0
    return np.sum(np.tanh(x @ w) ** 2)


def _f_trig(x):
    return np.sin(x) * np.exp(-x ** 2) + np.cos(x[::-1])


def _f_poly(x):
    return np.sum(x[0] ** 3 * x[1] + np.log1p(x ** 2))


def _f_batch(x, y):
    return np.sum(np.maximum(x, 0.0) * y) + np.prod(np.tanh(x))


def _f_reduce(x):
    return np.max(x, axis=0) + np.mean(x ** 2, axis=1).sum() + np.var(x)


def _f_pytree(p):
    return np.sum(np.tanh(p["w"] @ p["x"] + p["b"]) ** 2)


def _f_where(x):
    return np.sum(np.where(x > 0, np.sqrt(np.abs(x) + 1.0), x ** 2))


def _f_index(x):
    return np.sum(x[np.array([0, 2, 2])] * x[1:4]) + x[-1] ** 2


X = np.linspace(-1.3, 1.7, 6)
XB = np.linspace(-1.0, 1.0, 12).reshape(3, 4) + 0.05
TREE = {"w": np.linspace(-1, 1, 6).reshape(2, 3), "x": np.array([0.5, -0.2, 0.1]),
        "b": np.array([0.3, -0.4])}

# name -> zero-argument callable computing one transform
TASKS = {
    "grad": lambda: fad.grad(_f_mlp)(XB[:, :3].T.copy()),
    "jvp": lambda: fad.jvp(_f_trig, (X,), (np.cos(X),)),
    "hessian": lambda: fad.hessian(_f_poly)(X[:4]),
    "vmap": lambda: fad.vmap(_f_batch, in_axes=(0, None))(XB, XB[0]),
    "jacrev": lambda: fad.jacrev(_f_reduce)(XB),
    "vmap_grad": lambda: fad.vmap(fad.grad(_f_where))(XB),
    "grad_pytree": lambda: fad.grad(_f_pytree)(TREE),
    "grad_grad": lambda: fad.grad(lambda x: np.sum(fad.grad(_f_index)(x) ** 2))(X),
    "jacfwd": lambda: fad.jacfwd(_f_trig)(X),
    "hvp": lambda: fad.hvp(_f_poly, (X[:4],), (np.ones(4),)),
    "value_and_grad": lambda: fad.value_and_grad(lambda x: np.sum(_f_reduce(x)))(XB),
    "checkpoint": lambda: fad.grad(lambda x: np.sum(fad.checkpoint(_f_trig)(x)))(X),
}


def _equal(a, b) -> bool:
    la, lb = fad.tree.leaves(a), fad.tree.leaves(b)
    return len(la) == len(lb) and all(np.array_equal(np.asarray(x), np.asarray(y))
                                      for x, y in zip(la, lb))


@pytest.fixture
def fast_switching():
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)   # switch threads as often as possible
    yield
    sys.setswitchinterval(old)


def _run_threads(target, n):
    errors = []
    barrier = threading.Barrier(n)

    def wrap(k):
        try:
            barrier.wait()
            target(k)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append((k, e))

    threads = [threading.Thread(target=wrap, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    if errors:
        k, e = errors[0]
        raise AssertionError(f"{len(errors)} thread(s) failed; thread {k}: "
                             f"{type(e).__name__}: {e}") from e


def test_concurrent_transforms_match_serial(fast_switching):
    serial = {name: fn() for name, fn in TASKS.items()}
    names = sorted(TASKS)
    mismatches = []
    leftover = []

    def worker(k):
        # each thread cycles through every task from a different start, so at any
        # moment different transforms run side by side
        for r in range(ROUNDS):
            name = names[(k + r * 3) % len(names)]
            got = TASKS[name]()
            if not _equal(got, serial[name]):
                mismatches.append((k, name))
        if _core.active_traces():
            leftover.append((k, _core.active_traces()))

    _run_threads(worker, N_THREADS)
    assert not mismatches, f"results differ from the serial run: {mismatches}"
    assert not leftover, f"levels left on a thread's stack: {leftover}"


def test_interleaved_inside_a_transform():
    """Thread A pauses inside grad while thread B runs a whole grad; both stay correct."""
    inside = threading.Event()
    b_done = threading.Event()
    results = {}

    def f_a(x):
        y = np.sin(x) * x
        inside.set()
        assert b_done.wait(30), "thread B did not finish"
        # B pushed and popped its own levels meanwhile; A's trace is still the only one here
        assert len(_core.active_traces()) == 1
        return np.sum(y ** 2)

    def a():
        results["a"] = fad.grad(f_a)(X)

    def b():
        assert inside.wait(30)
        results["b"] = fad.hessian(_f_poly)(X[:4])
        results["b_stack"] = _core.active_traces()
        b_done.set()

    ta, tb = threading.Thread(target=a), threading.Thread(target=b)
    ta.start()
    tb.start()
    ta.join(60)
    tb.join(60)
    assert "a" in results and "b" in results, results
    want_a = fad.grad(lambda x: np.sum((np.sin(x) * x) ** 2))(X)
    np.testing.assert_array_equal(results["a"], want_a)
    np.testing.assert_array_equal(results["b"], fad.hessian(_f_poly)(X[:4]))
    assert results["b_stack"] == []


def test_tracer_from_another_thread_is_an_error_or_constant():
    """A tracer handed to another thread belongs to a level that thread never entered.

    While its transform is running, the other thread may compute with it (the
    owning trace processes it; no silent mixing of levels), and once the
    transform has returned it raises EscapedTracerError.
    """
    box = {}

    def f(x):
        box["tracer"] = x
        return np.sum(x ** 2)

    fad.grad(f)(X)
    errors = []

    def other():
        try:
            fnp.sin(box["tracer"])
        except fad.EscapedTracerError as e:
            errors.append(e)

    t = threading.Thread(target=other)
    t.start()
    t.join(30)
    assert len(errors) == 1 and "vjp" in str(errors[0])


def test_rule_registration_while_transforms_run(fast_switching):
    """Registering new primitives (as importing a module does) while others differentiate."""
    from funcad import extend as ex
    serial = fad.grad(_f_mlp)(XB[:, :3].T.copy())
    bad = []

    def worker(k):
        for r in range(20):
            if k % 2:
                p = ex.Primitive(f"thread_test_cube_{k}_{r}", lambda x: x ** 3)
                ex.defjvp(p, lambda t, ans, x: 3 * x ** 2 * t)
                ex.defvjp(p, lambda g, ans, x: 3 * x ** 2 * g)
                ex.batch_elementwise(p)
                if float(fad.grad(p)(2.0)) != 12.0:
                    bad.append((k, r, "cube"))
            elif not _equal(fad.grad(_f_mlp)(XB[:, :3].T.copy()), serial):
                bad.append((k, r, "mlp"))

    _run_threads(worker, 4)
    assert not bad


def test_many_distinct_shapes_concurrently(fast_switching):
    """Thousands of distinct shapes from several threads: shared per-shape caches may fill,
    be cleared and refill while other threads are mid-transform."""
    bad = []

    def worker(k):
        for n in range(1 + k, 4400, 8):
            x = np.linspace(0.0, 1.0, n)
            g = fad.grad(lambda x: np.sum(x * x))(x)
            if g.shape != (n,) or not np.array_equal(g, 2 * x):
                bad.append((k, n))

    _run_threads(worker, N_THREADS)
    assert not bad, bad[:5]
