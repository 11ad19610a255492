"""SGD, momentum, AdaGrad, RMSProp and Adam on the Rosenbrock function.

    f(x, y) = (1 - x)^2 + 100 (y - x^2)^2,     minimum f(1, 1) = 0

The minimum lies at the end of a long, curved, nearly flat valley: the
curvature across the valley is ~1000 times the curvature along it. Plain
gradient descent must use a step small enough for the steep direction and
then crawls along the valley; momentum accumulates speed along it; AdaGrad,
RMSProp and Adam rescale each coordinate by its gradient history. Every
optimizer gets the same gradient (funcad.grad) and the same number of steps;
each learning rate is the best of 3-4 tried (SGD's must stay below 2 / 1000,
the stability limit set by the largest Hessian eigenvalue at the minimum).

Run:  python examples/optimizers_rosenbrock.py     (~10 s; saves optimizers_rosenbrock.png)
"""

from __future__ import annotations

from _common import log, pyplot, save, steps  # first: sets BLAS threads

import numpy as np

import funcad
from funcad import optim

START = np.array([-1.5, 2.0])


def rosenbrock(p):
    x, y = p[0], p[1]
    return (1 - x) ** 2 + 100 * (y - x ** 2) ** 2


OPTIMIZERS = {
    "SGD (lr 1.5e-3)": optim.sgd(1.5e-3),
    "momentum (lr 5e-4, 0.9)": optim.sgd(5e-4, momentum=0.9),
    "AdaGrad (lr 1.0)": optim.adagrad(1.0),
    "RMSProp (lr 3e-3)": optim.rmsprop(3e-3),
    "Adam (lr 3e-2)": optim.adam(3e-2),
}


def optimize(opt, n_steps):
    params = START.copy()
    state = opt.init(params)
    grad = funcad.grad(rosenbrock)
    path = [params]
    for _ in range(n_steps):
        updates, state = opt.update(grad(params), state, params)
        params = optim.apply_updates(params, updates)
        path.append(params)
    return np.array(path)


def main():
    n_steps = steps(3000, 10)
    paths = {}
    for name, opt in OPTIMIZERS.items():
        path = optimize(opt, n_steps)
        paths[name] = path
        end = path[-1]
        log(f"{name:26s} after {n_steps} steps: f = {float(rosenbrock(end)):.2e}  "
            f"distance to (1, 1) = {np.linalg.norm(end - 1):.2e}")
    # the Hessian explains the valley: condition number at the minimum
    eig = np.linalg.eigvalsh(funcad.hessian(rosenbrock)(np.ones(2)))
    print(f"Hessian eigenvalues at (1, 1): {eig.round(2)}; condition number "
          f"{eig[-1] / eig[0]:.0f}")

    plt = pyplot()
    if plt is not None:
        fig, ax = plt.subplots(figsize=(7, 5.5))
        gx, gy = np.meshgrid(np.linspace(-2, 2, 300), np.linspace(-1, 3, 300))
        fz = (1 - gx) ** 2 + 100 * (gy - gx ** 2) ** 2
        ax.contour(gx, gy, np.log10(fz + 1e-3), levels=25, cmap="Greys", linewidths=0.5)
        for name, path in paths.items():
            ax.plot(path[:, 0], path[:, 1], lw=1.2, label=name)
        ax.plot(*START, "ko")
        ax.plot(1, 1, "r*", ms=12)
        ax.set(xlim=(-2, 2), ylim=(-1, 3), title=f"Rosenbrock, {n_steps} steps each")
        ax.legend(fontsize=8, loc="lower right")
        save(fig, "optimizers_rosenbrock.png")


if __name__ == "__main__":
    main()
