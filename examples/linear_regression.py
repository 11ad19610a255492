"""Fit y = 2x + 1 + noise by gradient descent with funcad.grad.

Saves linear_regression.png (the data, the fitted line and the loss curve) when
matplotlib is installed.

Run: python examples/linear_regression.py
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import pyplot, save  # noqa: E402  (first: sets BLAS threads)

import numpy as np  # noqa: E402

import funcad as fad  # noqa: E402


def loss(params, x, y):
    w, b = params
    return np.mean((w * x + b - y) ** 2)      # plain NumPy: funcad traces it unchanged


def main(steps: int = 500, lr: float = 0.1, seed: int = 0, figure: bool = False):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, 200)
    y = 2.0 * x + 1.0 + 0.1 * rng.standard_normal(200)
    params = (np.array(0.0), np.array(0.0))
    grad_loss = fad.value_and_grad(loss)
    history = []
    for step in range(steps + 1):
        value, (gw, gb) = grad_loss(params, x, y)
        history.append(float(value))
        params = (params[0] - lr * gw, params[1] - lr * gb)
        if step % 100 == 0:
            print(f"step {step:4d}  loss {float(value):.5f}  w {float(params[0]):.4f}  "
                  f"b {float(params[1]):.4f}")
    w, b = params
    print(f"recovered slope {float(w):.3f} (true 2.0), intercept {float(b):.3f} (true 1.0)")
    if figure:
        plot(x, y, float(w), float(b), history)
    return float(w), float(b)


def plot(x, y, w, b, history):
    """The data with the fitted and the true line, and the loss per step."""
    plt = pyplot()
    if plt is None:
        return
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.6))
    ax1.scatter(x, y, s=8, alpha=0.5, label="data")
    grid = np.linspace(-1, 1, 2)
    ax1.plot(grid, w * grid + b, "C3", label=f"fit: {w:.2f} x + {b:.2f}")
    ax1.plot(grid, 2 * grid + 1, "k--", lw=1, label="truth: 2 x + 1")
    ax1.set(xlabel="x", ylabel="y", title="y = 2x + 1 + noise")
    ax1.legend()
    ax2.semilogy(history)
    ax2.set(xlabel="step", ylabel="mean squared error", title="gradient descent")
    save(fig, "linear_regression.png")


if __name__ == "__main__":
    main(figure=True)
