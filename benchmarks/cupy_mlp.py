"""The GPU target of issue 19: the gradient of benchmark W1's MLP (784-512-512-10, tanh,
softmax cross-entropy) at batch 4096 on CuPy arrays against NumPy using every CPU core.

    python -m benchmarks.cupy_mlp            # needs CuPy and a GPU
    python -m benchmarks.cupy_mlp --strict   # no GPU: tests/strict_array.py in CuPy's place
                                             # (checks the code path, times nothing useful)

Prints the median time of each, the ratio, and the largest difference between the two
gradients (they must agree to round-off). One run; machines are noisy.
"""

from __future__ import annotations

import statistics
import sys
import time

import numpy as np

import funcad as fad
import funcad.numpy as fnp

from .workloads import mlp_loss


def _data(batch):
    rng = np.random.default_rng(0)
    sizes = [784, 512, 512, 10]
    params = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        params += [rng.normal(0, 1 / np.sqrt(a), (a, b)), rng.normal(0, 0.1, b)]
    x = rng.normal(size=(batch, 784))
    y = np.eye(10)[rng.integers(0, 10, batch)]
    return tuple(params), x, y


def _median_time(fn, sync, k=7):
    fn()
    sync()
    ts = []
    for _ in range(k):
        t = time.perf_counter()
        fn()
        sync()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    batch = 4096
    params, x, y = _data(batch)
    grad = fad.grad(lambda p, x, y: mlp_loss(p, x, y, fnp))
    if "--strict" in argv:
        sys.path.insert(0, ".")
        from tests.strict_array import StrictArray as to_device
        sync, to_host, name = (lambda: None), (lambda a: a.get()), "StrictArray (CPU)"
    else:
        import cupy
        to_device, to_host, name = cupy.asarray, cupy.asnumpy, "CuPy"

        def sync():
            cupy.cuda.Device().synchronize()
    dparams = tuple(to_device(p) for p in params)
    dx, dy = to_device(x), to_device(y)
    t_np = _median_time(lambda: grad(params, x, y), lambda: None)
    t_dev = _median_time(lambda: grad(dparams, dx, dy), sync)
    g_np, g_dev = grad(params, x, y), grad(dparams, dx, dy)
    diff = max(float(np.max(np.abs(to_host(b) - a))) for a, b in zip(g_np, g_dev))
    print(f"MLP gradient, batch {batch}: NumPy {t_np * 1e3:.1f} ms, {name} "
          f"{t_dev * 1e3:.1f} ms, speed-up {t_np / t_dev:.1f}x (target >= 20x on a GPU); "
          f"max |difference| = {diff:.1e}")
    assert diff < 1e-10, diff


if __name__ == "__main__":
    main()
