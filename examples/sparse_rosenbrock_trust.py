"""Minimising the n = 10^5 Rosenbrock function with trust-constr and a sparse funcad Hessian.

    f(x) = sum_i 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2

Its Hessian is tridiagonal: ``fad.sparse_hessian`` detects the pattern, star-colours it
with 3 colours and computes each Hessian as 3 Hessian-vector products (forward over
reverse) in one ``vmap``. ``scipy.optimize.minimize(method="trust-constr", hess=...)``
takes the ``scipy.sparse`` matrix directly. The script prints the colour count, the time
per Hessian against SciPy's finite differences of the gradient with the same sparsity and
against the dense ``fad.hessian`` (on n = 1,000: the dense n = 10^5 Hessian is 80 GB), and
two solves: with the funcad Hessian and with the finite-difference one.

The start is x0 = 1 + uniform(-0.5, 0.5) per coordinate. From the textbook start
(-1.2, 1, -1.2, ...) or from zeros, this chained Rosenbrock needs a number of Newton
iterations that grows with n (information about the minimum travels about one coordinate
per few iterations: 4,267 trust-constr iterations at n = 1,000 from zeros), whatever the
Hessian; near the valley, Newton converges in a few dozen iterations at any n.

Run: python examples/sparse_rosenbrock_trust.py   (needs scipy)
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
    from scipy.optimize import minimize
    from scipy.optimize._numdiff import approx_derivative
except ImportError:
    print("sparse_rosenbrock_trust.py uses scipy.optimize.minimize, and SciPy is not "
          "installed: pip install scipy", file=sys.stderr)
    raise SystemExit(2) from None


def rosen(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def main():
    n = 10_000 if QUICK else 100_000
    x0 = 1.0 + np.random.default_rng(0).uniform(-0.5, 0.5, n)
    grad = fad.grad(rosen)
    hess = fad.sparse_hessian(rosen)
    t = time.perf_counter()
    hess.prepare(x0)
    pat = hess.pattern(x0)
    log(f"n = {n}: Hessian pattern with {pat.nnz} entries, {hess.coloring(x0).ncolors} "
        f"colours, detected and coloured in {time.perf_counter() - t:.2f} s")

    # -- one Hessian: funcad sparse, SciPy finite differences of the gradient, dense ------
    sp_pat = pat.to_scipy()

    def hess_fd(x):
        return approx_derivative(grad, x, sparsity=sp_pat)

    H, H_fd = hess(x0), hess_fd(x0)
    log(f"largest |funcad - finite differences| = {abs(H - H_fd).max():.1e} (largest entry "
        f"{abs(H).max():.1e}: the finite differences' error)")
    t_sparse = best_of(lambda: hess(x0))
    t_fd = best_of(lambda: hess_fd(x0))
    t_primal = best_of(lambda: rosen(x0), 20)
    log(f"one Hessian: sparse funcad {t_sparse * 1e3:.1f} ms ({t_sparse / t_primal:.0f}x the "
        f"function), SciPy finite differences of fad.grad (same sparsity) {t_fd * 1e3:.1f} ms")
    m = 1000                                               # the dense Hessian, where it fits
    xs = x0[:m]
    small = fad.sparse_hessian(rosen)
    small.prepare(xs)
    t_dense = best_of(lambda: fad.hessian(rosen)(xs))
    t_small = best_of(lambda: small(xs))
    log(f"n = {m}: dense fad.hessian {t_dense * 1e3:.1f} ms, sparse {t_small * 1e3:.1f} ms")

    # -- trust-constr solves -----------------------------------------------------------------
    history = {}
    for name, h in [("hess=sparse funcad", hess), ("hess=SciPy FD (same sparsity)", hess_fd)]:
        errs = history[name] = []
        t = time.perf_counter()
        res = minimize(rosen, x0, method="trust-constr", jac=grad, hess=h,
                       options={"gtol": 1e-8, "maxiter": 200},
                       callback=lambda x, state, errs=errs: errs.append(np.abs(x - 1).max()))
        dt = time.perf_counter() - t
        log(f"trust-constr, {name}: {dt:.2f} s, {res.nit} iterations, {res.nhev} Hessians, "
            f"f = {res.fun:.2e}, max |x - 1| = {np.abs(res.x - 1).max():.1e} ({res.message})")

    plt = pyplot()
    if plt is not None:
        fig, ax = plt.subplots(1, 2, figsize=(10, 4))
        for name, errs in history.items():
            ax[0].semilogy(errs, label=name)
        ax[0].set_xlabel("trust-constr iteration")
        ax[0].set_ylabel("max |x - 1|")
        ax[0].legend()
        ax[0].set_title(f"Rosenbrock, n = {n}")
        ax[1].spy(fad.sparse_hessian(rosen).pattern(np.ones(12)).toarray(), markersize=5)
        ax[1].set_title("Hessian pattern (n = 12)")
        save(fig, "sparse_rosenbrock_trust.png")


if __name__ == "__main__":
    main()
