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
