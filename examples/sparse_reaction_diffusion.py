"""A stiff reaction-diffusion system solved by BDF with a sparse funcad Jacobian.

The 1-D Brusselator (Hairer & Wanner, Solving ODEs II, IV.1) on N grid points, with
u = 1, v = 3 at both ends:

    u_i' = 1 + u_i^2 v_i - 4 u_i + a (u_{i-1} - 2 u_i + u_{i+1}) / h^2
    v_i' = 3 u_i - u_i^2 v_i     + a (v_{i-1} - 2 v_i + v_{i+1}) / h^2

N = 5,000 gives 10,000 states, interleaved (u_0, v_0, u_1, v_1, ...), so the Jacobian is
banded. Diffusion makes it stiff, and ``solve_ivp(method="BDF")`` needs the Jacobian.
``fad.sparse_jacobian`` detects its pattern once, colours it, and each Jacobian is one
``vmap`` of ``jvp`` over the colours. The script prints the colour count; the time per
Jacobian against SciPy's finite differences with the same sparsity and against the dense
``fad.jacobian`` (on N = 200: the dense 10^4 x 10^4 Jacobian would be 800 MB); and two BDF
solves: ``jac=`` the funcad Jacobian, and ``jac_sparsity=`` the same pattern (SciPy's own
grouped finite differences). Saves sparse_reaction_diffusion.png (u over x and t) when
matplotlib is installed.

Run: python examples/sparse_reaction_diffusion.py   (needs scipy)
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
    from scipy.integrate import solve_ivp
    from scipy.optimize._numdiff import approx_derivative
except ImportError:
    print("sparse_reaction_diffusion.py solves with scipy.integrate.solve_ivp, and SciPy is "
          "not installed: pip install scipy", file=sys.stderr)
    raise SystemExit(2) from None


def brusselator(n, a=0.02):
    """The right-hand side f(t, y) for n grid points (2n states)."""
    c = a * (n + 1) ** 2

    def rhs(t, y):
        g = y.reshape(n, 2)
        u, v = g[:, 0], g[:, 1]
        up = np.pad(u, 1, constant_values=1.0)          # boundary values u = 1, v = 3
        vp = np.pad(v, 1, constant_values=3.0)
        uuv = u * u * v
        du = 1.0 + uuv - 4.0 * u + c * (up[:-2] - 2.0 * u + up[2:])
        dv = 3.0 * u - uuv + c * (vp[:-2] - 2.0 * v + vp[2:])
        return np.stack([du, dv], axis=1).ravel()
    return rhs


def initial(n):
    x = np.arange(1, n + 1) / (n + 1)
    return np.stack([1.0 + np.sin(2 * np.pi * x), np.full(n, 3.0)], axis=1).ravel()


def main():
    n = 500 if QUICK else 5000
    t_end = 2.0 if QUICK else 10.0
    rhs = brusselator(n)
    y0 = initial(n)
    jac = fad.sparse_jacobian(lambda y: rhs(0.0, y))
    t = time.perf_counter()
    jac.prepare(y0)
    pat = jac.pattern(y0)
    log(f"{n} grid points, {2 * n} states: Jacobian pattern with {pat.nnz} entries, "
        f"{jac.coloring(y0).ncolors} colours, detected and coloured in "
        f"{time.perf_counter() - t:.2f} s")

    # -- one Jacobian: funcad sparse, SciPy finite differences, dense funcad ---------------
    f0 = lambda y: rhs(0.0, y)                             # noqa: E731
    sp_pat = pat.to_scipy()
    J = jac(y0)
    J_fd = approx_derivative(f0, y0, sparsity=sp_pat)
    log(f"largest |funcad - finite differences| = {abs(J - J_fd).max():.1e} (largest entry "
        f"{abs(J).max():.1e}: the finite differences' error)")
    t_sparse = best_of(lambda: jac(y0))
    t_fd = best_of(lambda: approx_derivative(f0, y0, sparsity=sp_pat))
    t_primal = best_of(lambda: f0(y0), 20)
    log(f"one Jacobian: sparse funcad {t_sparse * 1e3:.1f} ms ({t_sparse / t_primal:.0f}x the "
        f"right-hand side), SciPy finite differences (same sparsity) {t_fd * 1e3:.1f} ms")
    m = 200                                                 # the dense Jacobian, where it fits
    small = brusselator(m)
    ys = initial(m)
    jac_small = fad.sparse_jacobian(lambda y: small(0.0, y))
    jac_small.prepare(ys)
    t_dense = best_of(lambda: fad.jacobian(lambda y: small(0.0, y))(ys))
    t_small = best_of(lambda: jac_small(ys))
    log(f"{m} grid points ({2 * m} states): dense fad.jacobian {t_dense * 1e3:.1f} ms, sparse "
        f"{t_small * 1e3:.1f} ms")

    # -- BDF solves ------------------------------------------------------------------------
    t_eval = np.linspace(0.0, t_end, 41)
    sols = {}
    for name, kw in [("jac=sparse funcad", {"jac": lambda t, y: jac(y)}),
                     ("jac_sparsity=pattern (SciPy FD)", {"jac_sparsity": sp_pat})]:
        t = time.perf_counter()
        sol = solve_ivp(rhs, (0.0, t_end), y0, method="BDF", t_eval=t_eval, rtol=1e-6,
                        atol=1e-8, **kw)
        dt = time.perf_counter() - t
        assert sol.success, sol.message
        sols[name] = sol
        log(f"BDF, {name}: {dt:.2f} s, nfev={sol.nfev}, njev={sol.njev}, nlu={sol.nlu}")
    a, b = (s.y[:, -1] for s in sols.values())
    log(f"the two solutions at t = {t_end:g} differ by at most {np.abs(a - b).max():.1e}")

    plt = pyplot()
    if plt is not None:
        sol = sols["jac=sparse funcad"]
        fig, ax = plt.subplots(1, 2, figsize=(10, 4))
        im = ax[0].imshow(sol.y[0::2], aspect="auto", origin="lower",
                          extent=(0, t_end, 0, 1))
        fig.colorbar(im, ax=ax[0])
        ax[0].set_xlabel("t")
        ax[0].set_ylabel("x")
        ax[0].set_title(f"u(x, t), {n} grid points")
        ax[1].spy(fad.sparse_jacobian(lambda y: brusselator(8)(0.0, y)).pattern(initial(8))
                  .toarray(), markersize=3)
        ax[1].set_title("Jacobian pattern (8 grid points)")
        save(fig, "sparse_reaction_diffusion.png")


if __name__ == "__main__":
    main()
