"""fad.jit: guards, retraces, watched closures, side effects, safety, the fuzzer through jit
(jit(f), jit(grad(f)) and grad(jit(f)))."""

from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings

import funcad as fad
import funcad.numpy as fnp
from funcad import tree
from funcad._jit import jit
from funcad.errors import EscapedTracerError, JitRetraceError

from .fuzz_programs import programs


def _chain(x):
    for _ in range(20):
        x = fnp.sin(x) * 0.999 + 0.01 * fnp.cos(x)
    return fnp.sum(x)


# ---------------------------------------------------------------------------
# recording and replay
# ---------------------------------------------------------------------------

def test_replay_equals_eager_and_is_cached():
    g = jit(fad.grad(_chain))
    x = np.linspace(-1, 1, 3)
    for k in range(3):
        np.testing.assert_allclose(g(x + k), fad.grad(_chain)(x + k), rtol=1e-12)
    assert g.cache_info() == (1, 1, 0, 2, 0)    # entries, traces, retraces, hits, eager
    g(np.ones(4))                               # a new shape: a new key, not a retrace
    assert g.cache_info()[:3] == (2, 2, 0)


def test_source_is_one_line_per_primitive_and_cse_dce_apply():
    def f(x):
        a = fnp.sin(x) * fnp.sin(x)          # sin twice: merged
        fnp.exp(x)                           # unused: dropped
        return a
    low = jit(f).lower(np.ones(3))
    assert low.n_recorded == 4 and low.n_eqns == 2
    assert low.source.count("sin(") == 1 and "exp" not in low.source
    assert "v3 = multiply(v1, v1)" in low.source


def test_python_float_and_static_arguments():
    g = jit(lambda x, n, scale: fnp.sum(x ** n) * scale, static_argnums=1)
    x = np.arange(3.0)
    assert g(x, 2, 0.5) == 2.5 and g(x, 3, 1.0) == 9.0 and g(x, 2, 2.0) == 10.0
    assert g.cache_info().entries == 2


def test_scalar_fast_path_matches_numpy_and_falls_back():
    f = fad.grad(fad.grad(lambda x: fnp.sin(x) * fnp.exp(x / 3) / (1 + x * x)))
    g = jit(f)
    assert "_math.sin" in g.lower(0.7).source
    for x in (0.7, 0.7, 1.3, np.float64(-0.2)):
        np.testing.assert_allclose(g(x), f(x), rtol=1e-14)
    inv = jit(lambda x: 1.0 / x)
    with np.errstate(divide="ignore"):
        assert inv(2.0) == 0.5 and inv(0.0) == np.inf       # Python raises: NumPy answers


def test_scalar_fast_path_keeps_numpy_promotion():
    def f(x, y32):
        s = fnp.exp(fnp.sum(x)) * 2.0     # an np.float64 scalar: strong, float64 wins
        return s * y32, fnp.sin(s)
    g = jit(f)
    x, y = np.array([0.5, 0.25]), np.ones(2, np.float32)
    for _ in range(2):
        got, want = g(x, y), f(x, y)
        assert got[0].dtype == want[0].dtype == np.float64
        assert type(got[1]) is type(want[1])
    h = jit(lambda w, y32: fnp.sum(w * y32) * w)   # replays give what the recording gave
    first = h(0.5, y)
    assert type(h(0.5, y)) is type(first) and h(0.5, y).dtype == first.dtype


def test_programs_compile_after_a_few_replays(monkeypatch):
    from funcad import _codegen
    monkeypatch.setattr(_codegen, "TIER_MIN", 10)
    g = jit(fad.grad(_chain))
    x = np.linspace(-1, 1, 3)
    g(x)
    entry = next(iter(g._cache.values()))[0]
    first = entry.compiled.run
    for k in range(_codegen.TIER_CALLS + 1):
        np.testing.assert_allclose(g(x + k), fad.grad(_chain)(x + k), rtol=1e-12)
    assert entry.compiled.run is not first


def test_long_programs_replay_from_the_flat_list(monkeypatch):
    from funcad import _codegen
    monkeypatch.setattr(_codegen, "SOURCE_LIMIT", 10)
    g = jit(fad.grad(_chain))
    x = np.linspace(-1, 1, 3)
    assert "flat list" in g.lower(x).source
    g(x)
    np.testing.assert_allclose(g(x + 1), fad.grad(_chain)(x + 1), rtol=1e-12)


# ---------------------------------------------------------------------------
# guards
# ---------------------------------------------------------------------------

def test_branch_on_a_value_is_a_guard():
    def f(x):
        if fnp.sum(x) > 0:
            return x * 2.0
        return x - 1.0
    g = jit(f)
    x = np.array([1.0, 2.0])
    for v in (x, -x, x, -x, 2 * x):
        np.testing.assert_array_equal(g(v), f(v))
    assert g.cache_info() == (2, 2, 1, 3, 0)
    assert "guard bool" in g.lower(x).text


def test_data_dependent_shapes_are_guarded():
    g = jit(lambda x: fnp.sum(x[x > 0] ** 2))
    for v in ([1.0, -2.0, 3.0], [-1.0, 2.0, 3.0], [1.0, -2.0, 3.0]):
        v = np.array(v)
        assert g(v) == np.sum(v[v > 0] ** 2)
    assert g.cache_info().retraces == 1       # the mask changed once


def test_float_guard_warns_after_max_retraces_and_says_why():
    g = jit(lambda x: x * float(x[0]), max_retraces=2)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        for k in range(4):
            assert g(np.array([k + 1.0]))[0] == (k + 1.0) ** 2
    msgs = [str(m.message) for m in w]
    assert len(msgs) == 1 and "exact float value" in msgs[0] and "static_argnums" in msgs[0]


def test_on_retrace_error():
    g = jit(lambda x: x if fnp.all(x > 0) else -x, on_retrace="error")
    g(np.ones(2))
    with pytest.raises(JitRetraceError, match="bool"):
        g(-np.ones(2))


def test_side_effects_happen_while_recording_only():
    seen = []

    def f(x):
        seen.append(f"{fnp.sum(x):.1f}")        # formatting reads the value: no guard
        print(x)
        return x * 2
    g = jit(f)
    g(np.ones(2))
    g(np.zeros(2))
    assert seen == ["2.0"] and g.cache_info().retraces == 0


# ---------------------------------------------------------------------------
# no stale constants
# ---------------------------------------------------------------------------

W = np.array([1.0, 2.0, 3.0])


def test_closed_over_and_global_arrays_are_read_at_call_time():
    global W
    c = np.array([1.0, 1.0, 1.0])
    g = jit(lambda x: fnp.sum(fnp.exp(c) * x * W))
    x = np.ones(3)
    assert np.isclose(g(x), np.sum(np.exp(c) * W))
    c[0] = 0.0                                    # in place
    assert np.isclose(g(x), np.sum(np.exp(c) * W))
    W = W * 2                                     # rebinding a global
    assert np.isclose(g(x), np.sum(np.exp(c) * W))
    assert g.cache_info().retraces == 2
    W = np.array([1.0, 2.0, 3.0])


# ---------------------------------------------------------------------------
# safety
# ---------------------------------------------------------------------------

def test_inputs_never_mutated_and_results_fresh():
    x = np.array([1.0, 2.0])
    keep = x.copy()
    g = jit(lambda x: (x, fnp.ones(2), fnp.sin(x)))
    for _ in range(2):
        a, b, _ = g(x)
        assert a is not x and not np.shares_memory(a, x)
        b[0] = 99.0                                # must not poison the cache
    np.testing.assert_array_equal(g(x)[1], np.ones(2))
    np.testing.assert_array_equal(x, keep)


def test_in_place_writes_inside_stay_inside():
    def f(x):
        y = fnp.zeros(3)
        y[1] = x[0]
        y += x
        return y
    g = jit(f)
    x = np.array([1.0, 2.0, 3.0])
    for v in (x, x + 1):
        np.testing.assert_array_equal(g(v), f(v))
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])


def test_exception_while_recording_leaves_no_entry():
    def f(x):
        if fnp.sum(x) < 0:
            raise ValueError("negative")
        return x + 1
    g = jit(f)
    with pytest.raises(ValueError):
        g(-np.ones(2))
    assert g.cache_info().entries == 0
    np.testing.assert_array_equal(g(np.ones(2)), [2.0, 2.0])


def test_escaped_staged_value_is_detected():
    box = []
    g = jit(lambda x: box.append(x * 2) or x)
    g(np.ones(2))
    with pytest.raises(EscapedTracerError):
        fnp.sin(box[0])


def test_threads_share_the_cache_safely():
    g = jit(fad.grad(_chain))
    xs = [np.linspace(-1, 1, 3) + k for k in range(8)]
    want = [fad.grad(_chain)(x) for x in xs]
    errors = []

    def work(k):
        for _ in range(20):
            if not np.allclose(g(xs[k]), want[k], rtol=1e-12):
                errors.append(k)
    ts = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors and g.cache_info().retraces == 0


def test_transforms_outside_and_nested_jit():
    f = jit(_chain)
    x = np.linspace(-1, 1, 3)
    np.testing.assert_array_equal(fad.grad(f)(x), fad.grad(_chain)(x))
    h = jit(fad.hessian(jit(_chain)))
    assert h.lower(x).n_eqns > 50                # the inner jit is staged as part of it
    np.testing.assert_allclose(h(x), fad.hessian(_chain)(x), rtol=1e-12)
    np.testing.assert_allclose(h(x + 1), fad.hessian(_chain)(x + 1), rtol=1e-12)


def test_custom_rules_and_checkpoint_inside():
    @fad.custom_vjp
    def sq(x):
        return x ** 2
    sq.defvjp(lambda x: (x ** 2, x), lambda x, g: (3.0 * g * x,))      # a deliberate rule
    f = lambda x: fnp.sum(fad.checkpoint(lambda y: fnp.sin(sq(y)))(x))
    g = jit(fad.grad(f))
    x = np.array([0.3, 0.7])
    for v in (x, x + 1):
        np.testing.assert_allclose(g(v), fad.grad(f)(v), rtol=1e-12)


def test_optimizer_update_inside():
    from funcad import optim
    step = jit(lambda p, u: optim.apply_updates(p, u))
    p = {"w": np.ones(2, np.float32), "b": np.zeros(3)}
    u = {"w": np.array([0.5, -1.0]), "b": np.ones(3)}
    for _ in range(2):
        got, want = step(p, u), optim.apply_updates(p, u)
        assert got["w"].dtype == np.float32
        np.testing.assert_array_equal(got["w"], want["w"])
        np.testing.assert_array_equal(got["b"], want["b"])


# ---------------------------------------------------------------------------
# the random-program fuzzer through jit
# ---------------------------------------------------------------------------

@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck),
          phases=[Phase.explicit, Phase.generate])
@given(programs())
def test_random_programs_through_jit(prog):
    f = prog.function(fnp)
    args = prog.make_args()
    other = prog.make_args([x * 0.9 + 0.05 for x in prog.leaves])
    before = [np.copy(x) for x in tree.leaves(args)]
    every = tuple(range(len(args)))     # all traced: a program may write one into another
    jf = jit(f)         # grad(jit(f)): the program as jit_call, its VJP a derived program
    for make, g in ((lambda: f, None),
                    (lambda: fad.grad(lambda *xs: fnp.sum(f(*xs)), argnums=every), None),
                    (lambda: fad.grad(lambda *xs: fnp.sum(f(*xs)), argnums=every),
                     fad.grad(lambda *xs: fnp.sum(jf(*xs)), argnums=every))):
        g = jit(make()) if g is None else g
        for a in (args, other):
            want = make()(*a)
            got = g(*a)
            for u, v in zip(tree.leaves(got), tree.leaves(want)):
                np.testing.assert_allclose(u, v, rtol=1e-10, atol=1e-12, equal_nan=True)
    for x, y in zip(tree.leaves(args), before):        # inputs never mutated
        np.testing.assert_array_equal(x, y)
