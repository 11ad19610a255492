"""A physics-informed network for the 2-D Poisson problem, with the Laplacian by Taylor mode.

    -Δu = f  on the unit square,   u = 0 on its boundary,   f = 2 π² sin(πx) sin(πy)

whose solution is u = sin(πx) sin(πy). The network is u(x) = x(1-x) y(1-y) N(x) with a
small tanh MLP N, so the boundary condition holds exactly and the loss is the mean
squared PDE residual at random collocation points. The Laplacian of the network inside
the loss is ``fad.laplacian`` (collapsed Taylor mode: one forward pass, no Hessian),
vectorised over the points with ``fad.vmap``, and the whole loss is differentiated with
respect to the weights with ``fad.grad``; the optimiser is ``funcad.optim.adam``.

Run:  python examples/pinn_poisson.py     (~20 s; saves pinn_poisson.png)
"""

from __future__ import annotations

from _common import log, pyplot, save, steps  # first: sets BLAS threads

import numpy as np

import funcad as fad
from funcad import optim

rng = np.random.default_rng(0)
WIDTH = 16


def init(sizes):
    return [(rng.normal(size=(m, n)) / np.sqrt(m), np.zeros(n))
            for m, n in zip(sizes[:-1], sizes[1:])]


def net(params, x):
    h = x
    for W, b in params[:-1]:
        h = np.tanh(h @ W + b)
    W, b = params[-1]
    return (h @ W + b)[0]


def u(params, x):
    return x[0] * (1 - x[0]) * x[1] * (1 - x[1]) * net(params, x)


def source(x):
    return 2 * np.pi ** 2 * np.sin(np.pi * x[..., 0]) * np.sin(np.pi * x[..., 1])


def exact(x):
    return np.sin(np.pi * x[..., 0]) * np.sin(np.pi * x[..., 1])


def loss(params, pts):
    lap = fad.vmap(lambda p: fad.laplacian(lambda x: u(params, x))(p))(pts)
    return np.mean((lap + source(pts)) ** 2)


def main():
    params = init([2, WIDTH, WIDTH, 1])
    opt = optim.adam(1e-2)
    state = opt.init(params)
    step = fad.value_and_grad(loss)
    n_steps = steps(600, 5)
    grid = np.stack(np.meshgrid(np.linspace(0, 1, 41), np.linspace(0, 1, 41)), -1)
    flat = grid.reshape(-1, 2)

    def error(params):
        pred = np.array([u(params, p) for p in flat])
        return float(np.max(np.abs(pred - exact(flat))))

    log(f"start: max |u - exact| on a 41 x 41 grid = {error(params):.3f}")
    for i in range(n_steps):
        pts = rng.uniform(0, 1, size=(64, 2))
        value, g = step(params, pts)
        updates, state = opt.update(g, state, params)
        params = optim.apply_updates(params, updates)
        if i % 100 == 0 or i == n_steps - 1:
            log(f"step {i:4d}: mean squared residual {float(value):.4f}")
    err = error(params)
    log(f"end:   max |u - exact| on a 41 x 41 grid = {err:.3f} (u's maximum is 1)")

    plt = pyplot()
    if plt is not None:
        pred = np.array([u(params, p) for p in flat]).reshape(grid.shape[:2])
        fig, axes = plt.subplots(1, 2, figsize=(9, 4))
        for ax, img, title in [(axes[0], pred, "PINN u(x, y)"),
                               (axes[1], pred - exact(grid), "u - exact")]:
            im = ax.imshow(img, origin="lower", extent=(0, 1, 0, 1))
            ax.set_title(title)
            fig.colorbar(im, ax=ax)
        save(fig, "pinn_poisson.png")


if __name__ == "__main__":
    main()
