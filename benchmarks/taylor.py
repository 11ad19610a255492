"""Taylor mode against nested derivatives, one process, one BLAS thread.

    python -m benchmarks.taylor            # the table in docs/performance.md
    python -m benchmarks.taylor --quick    # shorter rounds

Rows (ratios to the NumPy primal of the same run; machines are noisy, so compare only
within one run):
  T1  f(x) = sin(x) exp(x/3) / (1 + x^2) at x = 0.7: derivatives(f, 4) and (f, 10) against
      grad(grad(grad(grad(f)))); jax.experimental.jet beside it where JAX is installed
  T2  the Laplacian of the MLP tanh(tanh(x W0) W1) W2, R^100 -> R, width 128, at one point:
      laplacian (collapsed Taylor mode) against trace(hessian)
  T3  the same over a batch of 256 points: vmap(laplacian) against the batched primal
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import funcad as fad  # noqa: E402


def _per_call(fn, budget: float) -> float:
    """The best time per call over a few rounds of about ``budget`` seconds."""
    fn()
    n, t = 1, 0.0
    while t < budget / 5:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        t = time.perf_counter() - t0
        n *= 2
    n //= 2
    best = t / n
    for _ in range(4):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter() - t0) / n)
    return best


def scalar_f(x):
    return np.sin(x) * np.exp(x / 3) / (1 + x ** 2)


def mlp(seed=0):
    rng = np.random.default_rng(seed)
    W0 = rng.normal(size=(100, 128)) / 10
    W1 = rng.normal(size=(128, 128)) / np.sqrt(128)
    W2 = rng.normal(size=128) / np.sqrt(128)
    return (lambda x: np.tanh(np.tanh(x @ W0) @ W1) @ W2), rng.normal(size=100), rng


def rows(budget: float) -> list:
    out = []
    g4 = scalar_f
    for _ in range(4):
        g4 = fad.grad(g4)
    d4, d10 = fad.derivatives(scalar_f, 4), fad.derivatives(scalar_f, 10)
    tp = _per_call(lambda: scalar_f(0.7), budget)
    out.append(("T1 primal", tp, 1.0))
    for name, fn in [("T1 grad^4 (nested)", lambda: g4(0.7)),
                     ("T1 derivatives(f, 4)", lambda: d4(0.7)),
                     ("T1 derivatives(f, 10)", lambda: d10(0.7))]:
        t = _per_call(fn, budget)
        out.append((name, t, t / tp))
    try:
        import jax
        from jax.experimental import jet as jjet
        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp
        jf = lambda x: jnp.sin(x) * jnp.exp(x / 3) / (1 + x ** 2)
        series = [(1.0,) + (0.0,) * 9]
        jet10 = lambda: jjet.jet(jf, (0.7,), series)
        t = _per_call(jet10, budget)
        out.append(("T1 jax jet order 10 (eager)", t, t / tp))
    except Exception as e:  # pragma: no cover - optional
        out.append((f"T1 jax: {type(e).__name__}", float("nan"), float("nan")))

    f, x, rng = mlp()
    lap, hess = fad.laplacian(f), fad.hessian(f)
    tp = _per_call(lambda: f(x), budget)
    out.append(("T2 primal", tp, 1.0))
    for name, fn in [("T2 laplacian (collapsed)", lambda: lap(x)),
                     ("T2 trace(hessian)", lambda: np.trace(hess(x)))]:
        t = _per_call(fn, budget)
        out.append((name, t, t / tp))
    xs = rng.normal(size=(256, 100))
    batched = fad.vmap(lap)
    tp = _per_call(lambda: f(xs), budget)
    out.append(("T3 batched primal (256)", tp, 1.0))
    t = _per_call(lambda: batched(xs), budget)
    out.append(("T3 vmap(laplacian)", t, t / tp))
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    print(f"{'row':34s} {'time per call':>14s} {'x primal':>9s}")
    for name, t, r in rows(0.2 if args.quick else 1.0):
        print(f"{name:34s} {t * 1e6:11.1f} us {r:9.1f}")


if __name__ == "__main__":
    main()
