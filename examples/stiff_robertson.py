"""A stiff ODE solve with a funcad Jacobian: Robertson's chemical kinetics.

SciPy's implicit solvers (Radau, BDF, LSODA) call the Jacobian of the right-hand side many
times. This compares three Jacobians on the same solve: the hand-written one, eager
``fad.jacfwd(rhs)``, and ``jit(fad.jacfwd(rhs))`` (recorded once, replayed as generated
NumPy code), printing nfev/njev and the wall time of each. Saves stiff_robertson.png (the
three concentrations over 10^5 seconds, log time) when matplotlib is installed.

Run: python examples/stiff_robertson.py   (needs scipy)
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import QUICK, log, pyplot, save  # noqa: E402  (first: sets BLAS threads)

import numpy as np  # noqa: E402

import funcad as fad  # noqa: E402
import funcad.numpy as fnp  # noqa: E402
from funcad._jit import jit  # noqa: E402


def rhs(t, y):
    y1, y2, y3 = y[0], y[1], y[2]
    return fnp.stack([-0.04 * y1 + 1e4 * y2 * y3,
                      0.04 * y1 - 1e4 * y2 * y3 - 3e7 * y2 * y2,
                      3e7 * y2 * y2])


def jac_hand(t, y):
    _, y2, y3 = y
    return np.array([[-0.04, 1e4 * y3, 1e4 * y2],
                     [0.04, -1e4 * y3 - 6e7 * y2, -1e4 * y2],
                     [0.0, 6e7 * y2, 0.0]])


def main():
    try:
        from scipy.integrate import solve_ivp
    except ImportError:
        print("stiff_robertson.py needs SciPy: pip install scipy", file=sys.stderr)
        raise SystemExit(2)
    eager = fad.jacfwd(rhs, argnums=1)
    jitted = jit(eager)
    plain_rhs = jit(rhs)
    y0 = np.array([1.0, 0.0, 0.0])
    t_end = 1e3 if QUICK else 1e5
    jacs = {"hand-written": jac_hand, "jacfwd": eager, "jit(jacfwd)": jitted}
    y, J = np.array([0.7, 3e-5, 0.3]), jitted(0.0, np.array([0.7, 3e-5, 0.3]))
    log(f"jit(jacfwd) vs hand-written: max |difference| = {np.abs(J - jac_hand(0, y)).max():.1e}")
    sol = None
    for method in ("Radau", "BDF", "LSODA"):
        times = {}
        for name, jac in jacs.items():
            best = np.inf
            for _ in range(1 if QUICK else 3):
                t0 = time.perf_counter()
                # (a plain two-argument function: SciPy < 1.15's LSODA asks the callable's
                # own signature how many arguments to pass, and a transform's is (*args))
                sol = solve_ivp(plain_rhs, (0.0, t_end), y0, method=method,
                                jac=lambda t, y, jac=jac: jac(t, y), rtol=1e-6, atol=1e-10)
                best = min(best, time.perf_counter() - t0)
            assert sol.success, sol.message
            times[name] = best
            log(f"{method:6s} {name:13s} nfev {sol.nfev:5d} njev {sol.njev:4d} "
                f"time {best * 1e3:7.1f} ms")
        log(f"{method:6s} jit(jacfwd) / hand-written time: "
            f"{times['jit(jacfwd)'] / times['hand-written']:.2f}x")
    plt = pyplot()
    if plt is not None:
        fig, ax = plt.subplots(figsize=(6, 3.5))
        for k, (lab, sc) in enumerate((("y1", 1.0), ("y2 x 1e4", 1e4), ("y3", 1.0))):
            ax.semilogx(sol.t[1:], sol.y[k, 1:] * sc, label=lab)
        ax.set_xlabel("t")
        ax.legend()
        ax.set_title("Robertson kinetics (LSODA, jac = jit(jacfwd(rhs)))")
        save(fig, "stiff_robertson.png")


if __name__ == "__main__":
    main()
