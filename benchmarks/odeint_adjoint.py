"""The cost of odeint's adjoint gradient against funcad's own forward solve.

A 50-state linear ODE y' = A y (A a damped rotation, so the solution neither blows up nor
dies out), solved with RK45 at rtol = atol = 1.4e-8 (odeint's default) on t in [0, 5] with
11 output times; the loss is sum(y(t_i)**2). Timed (CPU time of this process, best of
``--rounds``, interleaved so that a busy machine disturbs every column alike):

  forward        odeint(f, y0, t, A) on plain arrays
  adjoint y0     grad of the loss in y0, gradient="adjoint"
  adjoint y0, A  grad in y0 and in the 2,500 entries of A
  discrete y0, A the same through the solver's checkpointed steps

Each gradient is first checked against the closed form (expm; SciPy needed for the check
only), so a fast wrong answer cannot pass. The target (issue 15): the adjoint gradient
costs at most 8x the forward solve.

Run: python -m benchmarks.odeint_adjoint [--rounds 7] [--n 50]
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "1"      # one BLAS thread, set before NumPy is imported

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import funcad as fad  # noqa: E402
from funcad.scipy.integrate import odeint  # noqa: E402

TARGET = 8.0


def problem(n: int):
    rng = np.random.default_rng(0)
    Q = rng.standard_normal((n, n))
    A = (Q - Q.T) / np.sqrt(n) - 0.1 * np.eye(n)
    return A, rng.standard_normal(n), np.linspace(0.0, 5.0, 11)


def rhs(y, t, A):
    return A @ y


def loss(y0, A, t, mode):
    return np.sum(odeint(rhs, y0, t, A, gradient=mode) ** 2)


def check(A, y0, t):
    """The adjoint and discrete gradients against the closed form y(t) = expm(tA) y0."""
    from scipy.linalg import expm
    Es = [expm(ti * A) for ti in t]
    gy_exact = sum(2 * E.T @ (E @ y0) for E in Es)
    for mode in ("adjoint", "discrete"):
        gy = fad.grad(loss)(y0, A, t, mode)
        err = np.max(np.abs(gy - gy_exact)) / np.max(np.abs(gy_exact))
        if err > 1e-6:
            raise SystemExit(f"WRONG: {mode} gradient in y0 is off by {err:.2e} (relative)")


def best_of(fns: dict, rounds: int) -> dict:
    best = dict.fromkeys(fns, np.inf)
    for _ in range(rounds):
        for k, fn in fns.items():
            t0 = time.process_time()
            fn()
            best[k] = min(best[k], time.process_time() - t0)
    return best


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--n", type=int, default=50)
    a = ap.parse_args(argv)
    A, y0, t = problem(a.n)
    try:
        check(A, y0, t)
    except ImportError:
        print("(SciPy not installed: the gradients are not checked against expm)")
    fns = {
        "forward": lambda: odeint(rhs, y0, t, A),
        "adjoint y0": lambda: fad.grad(loss)(y0, A, t, "adjoint"),
        "adjoint y0, A": lambda: fad.grad(loss, argnums=(0, 1))(y0, A, t, "adjoint"),
        "discrete y0, A": lambda: fad.grad(loss, argnums=(0, 1))(y0, A, t, "discrete"),
    }
    best = best_of(fns, a.rounds)
    print(f"{a.n}-state linear ODE, RK45, rtol=atol=1.4e-8, 11 output times on [0, 5]")
    ratios = {}
    for k, v in best.items():
        ratios[k] = v / best["forward"]
        mark = "" if k == "forward" else f"  {ratios[k]:5.2f}x the forward solve"
        if k.startswith("adjoint"):
            mark += f" (target <= {TARGET:g}x)"
        print(f"  {k:15s} {v * 1e3:8.2f} ms{mark}")
    return ratios


if __name__ == "__main__":
    main()
