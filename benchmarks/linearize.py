"""linearize vs jvp: cost of one f_jvp call against one jvp call.

``fad.linearize`` runs the function once and records the tangent arithmetic;
each ``f_jvp(t)`` replays only that (no primal recomputation). The workload is a
small tanh network applied to a batch; the primal pass has transcendental
functions the tangent pass does not need to recompute.

BLAS runs on one thread (set before NumPy is imported) so that the timings measure
funcad rather than thread contention on a busy machine.

Run: python benchmarks/linearize.py [--n 256] [--depth 8] [--repeat 20]
"""

from __future__ import annotations

import argparse
import os
import time

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import numpy as np  # noqa: E402

import funcad as fad  # noqa: E402


def make_net(depth: int, n: int, rng):
    ws = [rng.standard_normal((n, n)) / np.sqrt(n) for _ in range(depth)]

    def net(x):
        for w in ws:
            x = np.tanh(x @ w) + 0.1 * np.sin(x) * np.exp(-x ** 2)
        return np.sum(np.log1p(x ** 2), axis=-1)

    return net


def best_of(fn, repeat):
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=256)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--depth", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=20)
    a = ap.parse_args(argv)
    rng = np.random.default_rng(0)
    net = make_net(a.depth, a.n, rng)
    x = rng.standard_normal((a.batch, a.n))
    t = rng.standard_normal((a.batch, a.n))
    t_lin = best_of(lambda: fad.linearize(net, x), max(3, a.repeat // 4))
    _, f_jvp = fad.linearize(net, x)
    t_replay, t_jvp = np.inf, np.inf
    for _ in range(a.repeat):      # interleaved, best of: robust to a busy machine
        t_replay = min(t_replay, best_of(lambda: f_jvp(t), 1))
        t_jvp = min(t_jvp, best_of(lambda: fad.jvp(net, (x,), (t,)), 1))
    err = float(np.max(np.abs(f_jvp(t) - fad.jvp(net, (x,), (t,))[1])))
    print(f"tanh net: depth {a.depth}, width {a.n}, batch {a.batch}")
    print(f"  jvp(f, x, t)        : {t_jvp * 1e3:8.2f} ms")
    print(f"  linearize(f, x)     : {t_lin * 1e3:8.2f} ms  (once)")
    print(f"  f_jvp(t) (replay)   : {t_replay * 1e3:8.2f} ms")
    print(f"  ratio f_jvp / jvp   : {t_replay / t_jvp:.2f}")
    print(f"  max |f_jvp - jvp|   : {err:.1e}")
    return t_replay / t_jvp, err


if __name__ == "__main__":
    main()
