"""Which mode is faster for a small Jacobian: jacfwd or jacrev, by size n (one process).

    python -m benchmarks.jacobian_mode            # the table in docs/performance.md
    python -m benchmarks.jacobian_mode --quick    # fewer sizes, shorter rounds

Each cell is the median over rounds of the best time per call within a round; jacfwd,
jacrev, jacobian and the primal are timed in turn (in a rotating order) in the same
process, on one BLAS thread. The functions are the
Jacobians a stiff ODE solver asks for (``solve_ivp(..., jac=...)``): Robertson's 3-state
chemistry, Lorenz-96 (n states), a 1-d reaction-diffusion right-hand side, a dense tanh
layer, and, for contrast, a scalar function of n inputs.
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import gc  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import funcad as fad  # noqa: E402
import funcad.numpy as fnp  # noqa: E402


def robertson(y):
    y1, y2, y3 = y[0], y[1], y[2]
    return fnp.stack([-0.04 * y1 + 1e4 * y2 * y3,
                      0.04 * y1 - 1e4 * y2 * y3 - 3e7 * y2 ** 2,
                      3e7 * y2 ** 2])


def lorenz96(x, forcing=8.0):
    return (np.roll(x, -1) - np.roll(x, 2)) * np.roll(x, 1) - x + forcing


def reaction_diffusion(u):
    lap = fnp.concatenate([u[1:2] - 2 * u[:1], u[:-2] - 2 * u[1:-1] + u[2:],
                           u[-2:-1] - 2 * u[-1:]])
    return 0.1 * lap + u * (1.0 - u) * (u - 0.3)


def make_layer(n, rng):
    W, b = rng.standard_normal((n, n)) / np.sqrt(n), rng.standard_normal(n)
    return lambda x: np.tanh(W @ x + b)


def make_scalar(n, rng):
    W = rng.standard_normal((n, n)) / np.sqrt(n)
    return lambda x: np.sum(np.tanh(W @ x) ** 2)


def _best_per_call(fn, x, budget):
    """The best time per call over a few repetitions of about ``budget`` seconds."""
    t0 = time.perf_counter()
    fn(x)
    one = max(time.perf_counter() - t0, 1e-6)
    reps = max(1, int(budget / one / 5))
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(reps):
            fn(x)
        best = min(best, (time.perf_counter() - t0) / reps)
    return best


def time_modes(f, x, rounds, budget):
    """Median times of jacfwd, jacrev, jacobian (its automatic choice) and the primal."""
    fns = [fad.jacfwd(f), fad.jacrev(f), fad.jacobian(f), f]
    for j in fns[1:3]:
        np.testing.assert_allclose(j(x), fns[0](x), rtol=1e-10, atol=1e-12)
    times = [[] for _ in fns]
    for r in range(rounds):               # a different order each round; a clean heap each time
        for k in range(len(fns)):
            i = (k + r) % len(fns)
            gc.collect()
            times[i].append(_best_per_call(fns[i], x, budget))
    return [statistics.median(t) for t in times]


def rows(quick):
    rng = np.random.default_rng(0)
    sizes = ([2, 4, 8, 16, 32, 64, 128] if quick else
             [2, 3, 4, 6, 8, 10, 12, 16, 24, 32, 48, 64, 96, 128, 256])
    yield "robertson", 3, robertson, np.array([1.0, 2e-5, 1e-2])
    for n in sizes:
        x = rng.uniform(0.1, 0.9, n)
        if n >= 4:
            yield "lorenz96", n, lorenz96, x
        if n >= 3:
            yield "reaction-diffusion", n, reaction_diffusion, x
        yield "tanh layer", n, make_layer(n, rng), x
        yield "scalar (n -> 1)", n, make_scalar(n, rng), x


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    rounds, budget = (3, 0.02) if args.quick else (5, 0.05)
    print(f"numpy {np.__version__}, python {sys.version.split()[0]}, median of {rounds} "
          "rounds (microseconds per call); jacobian = fad.jacobian's own choice")
    print("| function | n | jacfwd (us) | jacrev (us) | rev / fwd | jacobian (us) | primal (us) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, n, f, x in rows(args.quick):
        tf, tr, tj, tp = time_modes(f, x, rounds, budget)
        print(f"| {name} | {n} | {tf * 1e6:.0f} | {tr * 1e6:.0f} | {tr / tf:.2f} | "
              f"{tj * 1e6:.0f} | {tp * 1e6:.1f} |", flush=True)


if __name__ == "__main__":
    main()
