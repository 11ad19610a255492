"""Issue 13 gaps: ufunc reduce decided statically, std/var at a single sample, np.gradient's
container, scipy.special on traced values after ``import funcad`` alone."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import funcad as fad
import funcad.numpy as fnp


def _run(code: str, env: dict | None = None) -> str:
    """Run ``code`` in a fresh interpreter (the worktree first on sys.path); its stdout."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    full_env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    full_env.update(env or {})
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                         text=True, env=full_env, cwd=root, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout


# ---------------------------------------------------------------------------
# ufunc.reduce: which non-associative ufuncs are supported is a static rule
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("u", [np.subtract, np.divide, np.float_power, np.copysign])
def test_left_fold_reduce_matches_numpy(u):
    x = np.array([2.0, 3.0, 0.5, 1.5, 1.2])
    np.testing.assert_allclose(fad.jvp(lambda x: u.reduce(x), (x,), (np.ones(5),))[0],
                               u.reduce(x))
    fad.check_grads(lambda x: u.reduce(x), (x,), order=1)


_REDUCE_RULE = """
    import numpy as np, funcad as fad
    x = np.array([2.0, 3.0, 0.5, 1.5, 1.2])
    for u in (np.power, np.arctan2):
        try:
            fad.grad(lambda x: u.reduce(x))(x)
            print(u.__name__, "allowed")
        except NotImplementedError as e:
            assert "functools.reduce" in str(e), e
            print(u.__name__, "refused")
"""


@pytest.mark.parametrize("env", [{}, {"NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR"}],
                         ids=["this_cpu", "no_avx512"])
def test_power_reduce_refused_whatever_the_cpu(env):
    # NumPy's own np.power.reduce is the left fold without AVX-512 and something else with it:
    # funcad's answer must not depend on which (it used to run NumPy to decide)
    assert _run(_REDUCE_RULE, env).split() == ["power", "refused", "arctan2", "refused"]


# ---------------------------------------------------------------------------
# std / var with one sample per slice: a constant, so derivative 0 at every order
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("fn,x", [
    (fnp.std, np.array([2.0])),
    (lambda x: fnp.std(x, axis=1), np.array([[2.0], [3.0]])),
    (lambda x: fnp.std(x, axis=(0, 1), keepdims=True), np.arange(3.0).reshape(1, 1, 3)),
    (fnp.var, np.array([2.0])),
    (lambda x: fnp.var(x, axis=0), np.array([[2.0, 5.0]])),
], ids=["std", "std_axis", "std_axes_keepdims", "var", "var_axis"])
def test_one_sample_spread_has_zero_derivative(fn, x):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")      # and no divide-by-zero warning from sqrt's rule
        for jac in (fad.jacfwd, fad.jacrev):
            j = jac(fn)(x)
            assert np.array_equal(j, np.zeros_like(j)), j
        h = fad.hessian(lambda x: fnp.sum(fn(x)))(x)
        assert np.array_equal(h, np.zeros_like(h)), h
        h = fad.jacrev(fad.jacfwd(lambda x: fnp.sum(fn(x))))(x)
        assert np.array_equal(h, np.zeros_like(h)), h
    np.testing.assert_array_equal(fad.jvp(fn, (x,), (np.ones_like(x),))[0], fn(x))  # NumPy's
    np.testing.assert_array_equal(fad.vmap(fn)(x[None]), fn(x)[None])


@pytest.mark.parametrize("name", ["std", "var"])
@pytest.mark.parametrize("x,ddof", [(np.array([2.0, 3.0]), 2), (np.array([2.0, 2.0]), 3),
                                    (np.array([2.0]), 1)])
@np.errstate(all="ignore")      # NumPy's own divide-by-zero warnings are not the point here
def test_ddof_at_least_n_is_numpys_value_with_a_nan_derivative(name, x, ddof):
    f = getattr(fnp, name)
    with pytest.warns(RuntimeWarning, match="Degrees of freedom"):
        want = getattr(np, name)(x, ddof=ddof)
    with pytest.warns(RuntimeWarning, match="Degrees of freedom"):
        v, g = fad.value_and_grad(lambda x: f(x, ddof=ddof))(x)
    np.testing.assert_array_equal(v, want)            # inf, or NaN for constant data
    assert np.all(np.isnan(g))
    with pytest.warns(RuntimeWarning, match="Degrees of freedom"):
        _, t = fad.jvp(lambda x: f(x, ddof=ddof), (x,), (np.ones_like(x),))
    assert np.isnan(t)


# ---------------------------------------------------------------------------
# np.gradient returns NumPy's container
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs", [{}, {"axis": (0, 1)}, {"axis": 1}, {"edge_order": 2}])
def test_gradient_container_is_numpys(kwargs):
    x = np.arange(12.0).reshape(3, 4) ** 2
    want = np.gradient(x, 0.5, **kwargs)
    for spelling in (np.gradient, fnp.gradient):
        got, vjp = fad.vjp(lambda x: spelling(x, 0.5, **kwargs), x)
        assert type(got) is type(want)
        for g, w in zip(got if isinstance(want, (tuple, list)) else [got],
                        want if isinstance(want, (tuple, list)) else [want]):
            np.testing.assert_allclose(g, w)
        vjp(want)          # the cotangent has NumPy's structure too
        _, t = fad.jvp(lambda x: spelling(x, 0.5, **kwargs), (x,), (x,))
        assert type(t) is type(want)
    fad.check_grads(lambda x: fnp.gradient(x ** 2, 0.5, **kwargs), (x,), order=2)


# ---------------------------------------------------------------------------
# scipy.special ufuncs on traced values after `import funcad` alone
# ---------------------------------------------------------------------------

def test_import_funcad_does_not_import_scipy():
    assert _run("""
        import sys, funcad, funcad.numpy
        print(sorted(m for m in sys.modules if m == "scipy" or m.startswith("scipy.")))
    """).strip() == "[]"


def test_scipy_special_ufuncs_work_after_import_funcad_alone():
    pytest.importorskip("scipy")
    out = _run("""
        import sys
        import numpy as np, scipy.special as sp
        import funcad as fad
        assert "funcad.scipy" not in sys.modules
        print(repr(float(fad.grad(sp.erf)(0.5))))
        print(repr(float(fad.grad(fad.grad(lambda x: sp.gammaln(x)))(3.0))))
        print(fad.vmap(fad.grad(sp.expit))(np.zeros(2)).tolist())

        def into_buffer(x):            # out= survives the retry that loads the rules
            buf = np.zeros_like(x)
            sp.erfc(x, out=buf)
            return buf.sum()
        print(fad.grad(into_buffer)(np.zeros(2)).tolist())
        try:                          # a SciPy ufunc without a rule is named as SciPy's
            fad.grad(sp.kolmogorov)(2.0)
        except Exception as e:
            print(type(e).__name__, str(e).split(":")[0])
    """).splitlines()
    assert float(out[0]) == pytest.approx(2 / np.sqrt(np.pi) * np.exp(-0.25), rel=1e-12)
    assert float(out[1]) == pytest.approx(np.pi ** 2 / 6 - 1.25, rel=1e-9)     # trigamma(3)
    assert out[2] == "[0.25, 0.25]"
    np.testing.assert_allclose(eval(out[3]), [-2 / np.sqrt(np.pi)] * 2, rtol=1e-12)
    assert out[4] == "UnsupportedFunctionError scipy.special.kolmogorov is not supported on traced values"


def test_division_by_a_python_zero_has_numpy_semantics():
    # the rule used Python's 1 / y: ZeroDivisionError instead of NumPy's inf
    with np.errstate(divide="ignore"):
        assert fad.grad(lambda x: x / 0.0)(1.0) == np.inf
        assert fad.jvp(lambda x: x / 0, (1.0,), (1.0,))[1] == np.inf
        assert fad.grad(lambda x: x / 2)(1.0) == 0.5
