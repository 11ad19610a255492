"""Sparse Jacobians and Hessians: detection, colouring and compressed evaluation (one process).

    python -m benchmarks.sparse            # the table in docs/performance.md
    python -m benchmarks.sparse --quick    # smaller sizes, fewer rounds
    python -m benchmarks.sparse --default-malloc   # keep glibc's mmap/trim thresholds

Two workloads from issue 17: the Hessian of the n = 10^5 Rosenbrock function, and the
Jacobian of a 2-D 5-point-stencil residual (Bratu: laplacian(u) + lambda exp(u)) on a 200 x
200 grid (n = 40,000). For each: the colour count, the time to detect and colour the pattern
(once per input structure), the time per evaluation and its ratio to the NumPy primal, the
same under ``funcad.jit`` (of the values), and for the stencil SciPy's finite differences
with the same sparsity (``scipy.optimize._numdiff.approx_derivative``, when SciPy is
installed) and the largest difference between the two. Times are the median over rounds of the best call in a round.

Like ``benchmarks.run``, the timing process raises glibc's mmap and trim thresholds first
(``pin_malloc``): an evaluation allocates tens of MB of ``(colours, n)`` temporaries, which
with glibc's defaults go back to the kernel after every call and page-fault again on the
next (the Rosenbrock Hessian: ~5,500 minor faults per call, two thirds of its time here).
The primal allocates little and is not affected. ``--default-malloc`` keeps the defaults.
"""

from __future__ import annotations

from .run import pin_malloc  # noqa: I001 - first: it sets one BLAS thread before NumPy loads

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from funcad._jit import jit  # noqa: E402
from funcad._sparse_api import (hessian_sparsity, jacobian_sparsity,  # noqa: E402
                                sparse_hessian, sparse_jacobian)


def rosen(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def bratu(n, lam=1.0):
    h2 = 1.0 / (n + 1) ** 2

    def residual(u):
        g = u.reshape(n, n)
        p = np.pad(g, 1)
        lap = (p[:-2, 1:-1] + p[2:, 1:-1] + p[1:-1, :-2] + p[1:-1, 2:] - 4.0 * g) / h2
        return (lap + lam * np.exp(g)).ravel()
    return residual


def best_time(fn, rounds: int, inner: int) -> float:
    per_round = []
    for _ in range(rounds):
        best = float("inf")
        for _ in range(inner):
            t = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - t)
        per_round.append(best)
    return statistics.median(per_round)


def once(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def run(quick: bool = False) -> list:
    rows = []
    rounds, inner = (3, 3) if quick else (5, 5)
    # -- Rosenbrock Hessian -------------------------------------------------------
    n = 10 ** 4 if quick else 10 ** 5
    x = np.random.default_rng(0).standard_normal(n)
    detect = once(lambda: hessian_sparsity(rosen)(x))
    hess = sparse_hessian(rosen, format="coo")
    prep = once(lambda: hess.prepare(x))
    prim = best_time(lambda: rosen(x), rounds, inner * 10)
    ev = best_time(lambda: hess(x), rounds, inner)
    ev_jit = _jitted(hess, x, rounds, inner)
    rows.append(("Rosenbrock Hessian", n, hess.coloring(x).ncolors, detect, prep, ev, ev_jit,
                 prim, None, None))
    # -- 5-point stencil Jacobian ------------------------------------------------
    m = 50 if quick else 200
    f = bratu(m)
    u = np.random.default_rng(1).uniform(0, 0.1, m * m)
    detect = once(lambda: jacobian_sparsity(f)(u))
    jac = sparse_jacobian(f, format="scipy" if _scipy() else "coo")
    prep = once(lambda: jac.prepare(u))
    prim = best_time(lambda: f(u), rounds, inner * 10)
    ev = best_time(lambda: jac(u), rounds, inner)
    ev_jit = _jitted(sparse_jacobian(f, format="coo"), u, rounds, inner)
    fd = err = None
    if _scipy():
        from scipy.optimize._numdiff import approx_derivative
        pat = jac.pattern(u).to_scipy()
        fd = best_time(lambda: approx_derivative(f, u, sparsity=pat), rounds, 1)
        ref = jac(u)
        err = abs(approx_derivative(f, u, sparsity=pat) - ref).max() / abs(ref).max()
    rows.append((f"5-point stencil Jacobian {m}x{m}", m * m, jac.coloring(u).ncolors, detect,
                 prep, ev, ev_jit, prim, fd, err))
    return rows


def _jitted(sparse_fn, x, rounds, inner) -> float:
    """Time per call of ``jit`` of the values (recorded once, checked against eager)."""
    fn = jit(lambda v: sparse_fn(v)[2])
    assert np.array_equal(fn(x), sparse_fn(x)[2])
    return best_time(lambda: fn(x), rounds, inner)


def _scipy() -> bool:
    try:
        import scipy  # noqa: F401
    except ImportError:
        return False
    return True


def table(rows) -> str:
    out = ["| workload | n | colours | detect | detect + colour | evaluation | primal | "
           "ratio | under jit | SciPy FD (same sparsity) | FD rel. error |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, n, k, det, prep, ev, ev_jit, prim, fd, err in rows:
        out.append(f"| {name} | {n:,} | {k} | {det * 1e3:.0f} ms | {prep * 1e3:.0f} ms | "
                   f"{ev * 1e3:.2f} ms | {prim * 1e3:.3f} ms | {ev / prim:.0f}x | "
                   f"{ev_jit * 1e3:.2f} ms ({ev_jit / prim:.0f}x) | "
                   + (f"{fd * 1e3:.1f} ms" if fd is not None else "-") + " | "
                   + (f"{err:.1e}" if err is not None else "-") + " |")
    return "\n".join(out)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--default-malloc", action="store_true",
                    help="keep glibc's default mmap/trim thresholds (see pin_malloc)")
    args = ap.parse_args(argv)
    print("malloc defaults" if args.default_malloc else pin_malloc())
    print(table(run(args.quick)))


if __name__ == "__main__":
    main()
