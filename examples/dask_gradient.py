"""A gradient over data larger than one process's memory: funcad on Dask arrays.

The logistic loss of a linear model over a 10^8-element design matrix (10^6 rows of 100
features, 800 MB of float64), generated in chunks of 50,000 rows by a dask.distributed
LocalCluster of two worker processes. ``fad.grad`` of the plain loss function returns a
Dask array: the derivative is part of the task graph, nothing is computed until
``.compute()``, and each worker holds a few chunks at a time, never the matrix. The example
prints each worker's peak memory in chunks, the gradient's time against Dask computing the
loss alone, and checks the gradient against NumPy on the first rows (a size that fits).
Saves dask_gradient.png (the gradient against the NumPy one) when matplotlib is installed.

Run: python examples/dask_gradient.py   (needs dask[array] and distributed:
pip install -e ".[dask]")
"""

import os
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import QUICK, log, pyplot, save  # noqa: E402  (first: sets BLAS threads)

import numpy as np  # noqa: E402

import funcad as fad  # noqa: E402
import funcad.numpy as fnp  # noqa: E402


def loss(w, X, y):
    """Mean logistic loss log(1 + exp(-y x.w)): plain NumPy code, any array type."""
    return fnp.mean(fnp.logaddexp(0.0, -y * (X @ w)))


def rss_mb():
    """This process's resident memory now, in MB (Linux; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
    except OSError:
        return 0.0


def peak_mb():
    """This process's peak resident memory so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


def main():
    try:
        import dask.array as da
        from dask.distributed import Client, LocalCluster
    except ImportError:
        print("dask_gradient.py needs Dask: pip install -e \".[dask]\"   "
              "(or: pip install \"dask[array]\" distributed)", file=sys.stderr)
        raise SystemExit(2)
    rows, d, chunk_rows = (40_000, 50, 4_000) if QUICK else (1_000_000, 100, 50_000)
    chunk_mb = chunk_rows * d * 8 / 1e6
    rng = np.random.default_rng(0)
    w_true = rng.normal(size=d) / np.sqrt(d)
    w = 0.5 * w_true + 0.1 * rng.normal(size=d) / np.sqrt(d)     # NumPy weights

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        X = da.random.default_rng(1).standard_normal((rows, d), chunks=(chunk_rows, d))
        y = da.where(X @ w_true > 0, 1.0, -1.0)                    # lazy labels
        log(f"X: {rows:,} x {d} = {rows * d:.1e} elements ({rows * d * 8 / 1e6:,.0f} MB) in "
            f"{X.numblocks[0]} chunks of {chunk_mb:.0f} MB on 2 workers")

        g = fad.grad(loss)(w, X, y)          # NumPy weights, Dask data: a Dask gradient
        log(f"grad returned a {type(g).__module__}.{type(g).__name__} of "
            f"{len(g.__dask_graph__()):,} tasks (nothing computed yet)")

        before = client.run(rss_mb)
        t = time.perf_counter()
        g_val = g.compute()
        t_grad = time.perf_counter() - t
        peaks = client.run(peak_mb)
        growth = [max(peaks[k] - before[k], 0.0) for k in peaks]
        log(f"gradient computed in {t_grad:.2f} s; peak memory per worker above its idle "
            f"size: {', '.join(f'{m:.0f} MB' for m in growth)} = "
            f"{', '.join(f'{m / chunk_mb:.1f}' for m in growth)} chunks "
            f"(the matrix would be {rows * d * 8 / 1e6 / len(growth):,.0f} MB per worker)")

        t = time.perf_counter()
        loss(w, X, y).compute()
        t_loss = time.perf_counter() - t
        t = time.perf_counter()
        z = y * (X @ w)                   # the gradient written by hand, in Dask
        (X.T @ (-y / (1.0 + np.exp(z)))).compute() / rows
        t_hand = time.perf_counter() - t
        log(f"Dask computing the loss alone: {t_loss:.2f} s; gradient / loss = "
            f"{t_grad / t_loss:.2f}x; the hand-written Dask gradient: {t_hand:.2f} s "
            f"(funcad / hand = {t_grad / t_hand:.2f}x)")

        # the same computation in NumPy on the first rows, a size that fits in memory
        m = min(rows, 200_000)
        Xs, ys = X[:m].compute(), y[:m].compute()
        g_np = fad.grad(loss)(w, Xs, ys)
        g_dk = fad.grad(loss)(w, X[:m], y[:m]).compute()
        err = np.max(np.abs(g_np - g_dk)) / np.max(np.abs(g_np))
        log(f"first {m:,} rows: Dask gradient vs NumPy gradient, max relative "
            f"difference {err:.1e}")
        assert err < 1e-12, err

    plt = pyplot()
    if plt is not None:
        fig, ax = plt.subplots(figsize=(5, 4))
        ax.plot(g_np, g_dk, "o", ms=3)
        ax.set_xlabel("NumPy gradient (first rows)")
        ax.set_ylabel("Dask gradient (first rows)")
        ax.set_title(f"full gradient: {t_grad:.1f} s on 2 workers")
        save(fig, "dask_gradient.png")


if __name__ == "__main__":
    main()
