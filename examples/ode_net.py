"""An ODE net: a small MLP as the vector field of dy/dt = f(y; θ), fitted to a spiral
with odeint's adjoint gradient.

The data is a trajectory of the cubic spiral dy/dt = (y**3) @ A (the neural-ODE papers'
demo), observed at 100 times on [0, 10]. Each training step takes a batch of 16 short
windows of the data (10 observations each), integrates the MLP's field from each
window's first point with funcad.scipy.integrate.odeint under fad.vmap (one solve for the
batch), and scores the mean squared distance to the window. The gradient in the MLP's
weights comes from the continuous adjoint (a backward solve: the tape keeps the
trajectories, not the solver's steps). Adam (funcad.optim) fits it. The script prints
the loss as it falls, compares the learned field with the true one at a few points and
checks the adjoint gradient against finite differences once. Saves ode_net.png (the
trajectories and the learned field) when matplotlib is installed.

Run: python examples/ode_net.py   (under 30 s; FUNCAD_EXAMPLE_QUICK=1 for a smoke test)
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import log, pyplot, save, steps  # noqa: E402  (first: sets BLAS threads)

import numpy as np  # noqa: E402

import funcad as fad  # noqa: E402
from funcad import optim  # noqa: E402

try:
    from funcad.scipy.integrate import odeint  # noqa: E402
except ImportError:
    print("ode_net.py uses funcad.scipy, which needs SciPy: pip install scipy", file=sys.stderr)
    raise SystemExit(2) from None

A_TRUE = np.array([[-0.1, 2.0], [-2.0, -0.1]])
Y0 = np.array([2.0, 0.0])
T = np.linspace(0.0, 10.0, 100)
WINDOW, BATCH = 10, 16
TOL = dict(rtol=1e-5, atol=1e-6)          # training tolerance: the data is smooth


def true_field(y, t):
    return (y ** 3) @ A_TRUE


def mlp_field(y, t, p):
    """The model's dy/dt: a 2-50-2 tanh network applied to y**3 (as in the demo)."""
    h = np.tanh(p["W1"] @ y ** 3 + p["b1"])
    return p["W2"] @ h + p["b2"]


def init(rng, hidden=50):
    return {"W1": rng.standard_normal((hidden, 2)) * 0.1, "b1": np.zeros(hidden),
            "W2": rng.standard_normal((2, hidden)) * 0.1, "b2": np.zeros(2)}


def loss(p, starts, windows):
    """Mean squared error of the model's trajectories from each start over a window."""
    t = T[:WINDOW]
    pred = fad.vmap(lambda y0: odeint(mlp_field, y0, t, p, **TOL))(starts)
    return np.mean((pred - windows) ** 2)


def batch(rng, y_data, size=BATCH):
    idx = rng.choice(len(T) - WINDOW, size, replace=False)
    windows = np.stack([y_data[i:i + WINDOW] for i in idx])
    return windows[:, 0], windows


def main():
    rng = np.random.default_rng(0)
    y_data = odeint(true_field, Y0, T, rtol=1e-10, atol=1e-10)
    params = init(rng)
    value_and_grad = fad.value_and_grad(loss)

    # the adjoint gradient against central differences of the solve, in a few weights
    starts, windows = batch(rng, y_data)
    _, g = value_and_grad(params, starts, windows)
    for k, idx in (("W1", (3, 1)), ("W2", (1, 7))):
        e = np.zeros_like(params[k])
        e[idx] = 1e-5
        hi = loss({**params, k: params[k] + e}, starts, windows)
        lo = loss({**params, k: params[k] - e}, starts, windows)
        log(f"d loss / d {k}{list(idx)}: adjoint {g[k][idx]: .6e}, "
            f"finite differences {(hi - lo) / 2e-5: .6e}")

    opt = optim.adam(0.01)
    state = opt.init(params)
    n_iter = steps(150, 3)
    first = None
    for it in range(n_iter):
        val, g = value_and_grad(params, *batch(rng, y_data))
        first = val if first is None else first
        updates, state = opt.update(g, state, params)
        params = optim.apply_updates(params, updates)
        if it % 25 == 0 or it == n_iter - 1:
            log(f"iteration {it:4d}: trajectory mean squared error {val:.5f}")
    whole = odeint(mlp_field, Y0, T, params, **TOL)
    log(f"window loss {first:.4f} at the start; after {n_iter} Adam steps the whole "
        f"trajectory from y0 is off by {np.sqrt(np.mean((whole - y_data) ** 2)):.4f} (RMS)")

    print("learned field against the true one:")
    for y in (np.array([1.0, 0.5]), np.array([-0.5, 1.0]), np.array([0.8, -0.8])):
        print(f"  at y = {y}: learned {np.round(mlp_field(y, 0.0, params), 3)}, "
              f"true {np.round(true_field(y, 0.0), 3)}")
    plot(params, y_data)


def plot(params, y_data):
    plt = pyplot()
    if plt is None:
        return
    fitted = odeint(mlp_field, Y0, np.linspace(0, 10, 300), params, **TOL)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 4))
    ax1.plot(y_data[:, 0], y_data[:, 1], "k.", label="data (true spiral)")
    ax1.plot(fitted[:, 0], fitted[:, 1], "C1-", label="ODE net")
    ax1.set(xlabel="y1", ylabel="y2", title="trajectories")
    ax1.legend()
    g = np.linspace(-2, 2, 15)
    Y1, Y2 = np.meshgrid(g, g)
    pts = np.stack([Y1.ravel(), Y2.ravel()], 1)
    F = np.stack([mlp_field(p, 0.0, params) for p in pts])
    ax2.quiver(pts[:, 0], pts[:, 1], F[:, 0], F[:, 1], color="C1")
    ax2.set(xlabel="y1", ylabel="y2", title="learned vector field")
    save(fig, "ode_net.png")


if __name__ == "__main__":
    main()
