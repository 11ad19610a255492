"""The 2-D Bratu problem solved by Newton's method with a sparse Jacobian.

    laplacian(u) + lam * exp(u) = 0  on the unit square,  u = 0 on the boundary,

discretised with the 5-point stencil on an n x n grid (n = 200: 40,000 unknowns). The
Jacobian of the residual is detected, coloured (7 colours: 7 JVPs per Jacobian instead of
40,000) and solved with ``scipy.sparse.linalg.spsolve`` at each Newton step. The script
prints the colour count, the time per Jacobian against the dense funcad Jacobian (on a
smaller grid: the dense one does not fit at n = 200) and against SciPy's finite differences
with the same sparsity, and saves sparse_bratu.png (the solution and the spy plot of the
Jacobian) when matplotlib is installed.

Run: python examples/sparse_bratu.py
"""

from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import QUICK, best_of, log, pyplot, save  # noqa: E402  (first: sets BLAS threads)

import numpy as np  # noqa: E402

import funcad as fad  # noqa: E402

try:
    import scipy.sparse.linalg as spla
    from scipy.optimize._numdiff import approx_derivative
except ImportError:
    print("sparse_bratu.py solves with scipy.sparse.linalg.spsolve, and SciPy is not "
          "installed: pip install scipy", file=sys.stderr)
    raise SystemExit(2) from None


def bratu(n, lam=6.0):
    h2 = 1.0 / (n + 1) ** 2

    def residual(u):
        g = u.reshape(n, n)
        p = np.pad(g, 1)                # zero boundary values
        lap = (p[:-2, 1:-1] + p[2:, 1:-1] + p[1:-1, :-2] + p[1:-1, 2:] - 4.0 * g) / h2
        return (lap + lam * np.exp(g)).ravel()
    return residual


def main():
    n = 40 if QUICK else 200
    f = bratu(n)
    jac = fad.sparse_jacobian(f)
    u = np.zeros(n * n)
    t = time.perf_counter()
    jac.prepare(u)
    log(f"{n}x{n} grid, {n * n} unknowns: pattern with {jac.pattern(u).nnz} entries, "
        f"{jac.coloring(u).ncolors} colours, detected and coloured in "
        f"{time.perf_counter() - t:.2f} s")
    residuals = []
    for it in range(20):
        r = f(u)
        residuals.append(np.abs(r).max())
        log(f"Newton step {it}: max |residual| = {residuals[-1]:.3e}")
        if residuals[-1] < 1e-9:
            break
        u = u + spla.spsolve(jac(u).tocsc(), -r)
    pat = jac.pattern(u).to_scipy()
    t_sparse = best_of(lambda: jac(u))
    t_fd = best_of(lambda: approx_derivative(f, u, sparsity=pat))
    t_primal = best_of(lambda: f(u), 20)
    log(f"sparse Jacobian: {t_sparse * 1e3:.1f} ms ({t_sparse / t_primal:.0f}x the residual); "
        f"SciPy finite differences with the same sparsity: {t_fd * 1e3:.1f} ms")
    m = 30                                      # the dense Jacobian, where it fits
    small, v = bratu(m), np.zeros(m * m)
    t_dense = best_of(lambda: fad.jacobian(small)(v))
    t_small = best_of(lambda: fad.sparse_jacobian(small)(v))
    log(f"{m}x{m} grid: dense fad.jacobian {t_dense * 1e3:.1f} ms, sparse "
        f"{t_small * 1e3:.1f} ms (including detection)")
    plt = pyplot()
    if plt is not None:
        fig, ax = plt.subplots(1, 2, figsize=(9, 4))
        im = ax[0].imshow(u.reshape(n, n), origin="lower", extent=(0, 1, 0, 1))
        fig.colorbar(im, ax=ax[0])
        ax[0].set_title(f"Bratu solution, {n}x{n} grid")
        ax[1].spy(fad.sparse_jacobian(bratu(8)).pattern(np.zeros(64)).toarray(),
                  markersize=3)
        ax[1].set_title("Jacobian pattern (8x8 grid)")
        save(fig, "sparse_bratu.png")


if __name__ == "__main__":
    main()
