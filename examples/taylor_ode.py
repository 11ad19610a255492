"""A Taylor-series ODE integrator built on ``fad.jet``, against SciPy's RK45.

For y' = f(y) the Taylor coefficients of the solution follow from those of f(y(t)):
y^(k+1) = [d^k/dt^k f(y(t))], so K passes of ``jet`` (of orders 1..K) give the degree-K
Taylor polynomial of the solution at the current point, and one step evaluates it at h.
The step is chosen so that the last Taylor term is about a tolerance: high order makes
long, accurate steps. The problem is the Kepler orbit with eccentricity
0.6, integrated over one period (the exact solution returns to its start).

Run:  python examples/taylor_ode.py     (~5 s; saves taylor_ode.png)
"""

from __future__ import annotations

from _common import QUICK, log, pyplot, save  # first: sets BLAS threads

import time

import numpy as np

import funcad as fad

ECC = 0.6
Y0 = np.array([1 - ECC, 0.0, 0.0, np.sqrt((1 + ECC) / (1 - ECC))])   # at perihelion
PERIOD = 2 * np.pi


def kepler(y):
    r3 = (y[0] ** 2 + y[1] ** 2) ** 1.5
    return np.stack([y[2], y[3], -y[0] / r3, -y[1] / r3])


def taylor_coefficients(f, y, order):
    """The derivatives y', y'', ..., y^(order) of the solution through y, by jet."""
    ders = [f(y)]                                   # y' = f(y)
    for k in range(1, order):
        _, series = fad.jet(f, (y,), (ders,))       # d^j/dt^j f(y(t)), j = 1..k
        ders.append(series[-1])                     # y^(k+1) = (f(y(t)))^(k)
    return ders


def taylor_solve(f, y0, t_end, order, tol):
    """Integrate to t_end with steps whose last Taylor term is about ``tol``."""
    y, t, n = y0.copy(), 0.0, 0
    facts = np.cumprod(np.arange(1, order + 1, dtype=float))
    while t < t_end:
        ders = taylor_coefficients(f, y, order)
        last = float(np.max(np.abs(ders[-1]))) / facts[-1]
        h = min(t_end - t, 0.9 * (tol / max(last, 1e-300)) ** (1.0 / order))
        y = y + sum(d * h ** (k + 1) / facts[k] for k, d in enumerate(ders))
        t += h
        n += 1
    return y, n


def main():
    rows = []
    settings = [(12, 1e-10), (20, 1e-14)] if not QUICK else [(8, 1e-6)]
    for order, tol in settings:
        t0 = time.perf_counter()
        y, n = taylor_solve(kepler, Y0, PERIOD, order, tol)
        dt = time.perf_counter() - t0
        err = float(np.max(np.abs(y - Y0)))
        rows.append((f"Taylor order {order}, {n} steps", err, dt))
        log(f"Taylor order {order:2d} (step tolerance {tol:g}): {n} steps, error {err:.1e} "
            f"in {dt * 1e3:.0f} ms")
    try:
        from scipy.integrate import solve_ivp
    except ImportError:
        log("SciPy is not installed: skipping the RK45 comparison (pip install scipy)")
    else:
        for rtol in ([1e-6, 1e-9, 1e-12] if not QUICK else [1e-6]):
            t0 = time.perf_counter()
            sol = solve_ivp(lambda t, y: kepler(y), (0, PERIOD), Y0, method="RK45",
                            rtol=rtol, atol=rtol * 1e-2)
            dt = time.perf_counter() - t0
            err = float(np.max(np.abs(sol.y[:, -1] - Y0)))
            rows.append((f"RK45 rtol={rtol:g} ({sol.nfev} f evaluations)", err, dt))
            log(f"RK45 rtol={rtol:g}: {sol.nfev} f evaluations, error {err:.1e} in "
                f"{dt * 1e3:.0f} ms")
    plt = pyplot()
    if plt is not None:
        fig, ax = plt.subplots(figsize=(6, 4))
        for name, err, dt in rows:
            ax.loglog(dt, max(err, 1e-16), "o" if name.startswith("Taylor") else "s",
                      label=name)
        ax.set_xlabel("wall time (s)")
        ax.set_ylabel("error after one period")
        ax.legend(fontsize=7)
        save(fig, "taylor_ode.png")


if __name__ == "__main__":
    main()
