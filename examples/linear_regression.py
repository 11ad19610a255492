"""Fit y = 2x + 1 + noise by gradient descent with funcad.grad.

Run: python examples/linear_regression.py
"""

import numpy as np

import funcad as fad


def loss(params, x, y):
    w, b = params
    return np.mean((w * x + b - y) ** 2)      # plain NumPy: funcad traces it unchanged


def main(steps: int = 500, lr: float = 0.1, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, 200)
    y = 2.0 * x + 1.0 + 0.1 * rng.standard_normal(200)
    params = (np.array(0.0), np.array(0.0))
    grad_loss = fad.value_and_grad(loss)
    for step in range(steps + 1):
        value, (gw, gb) = grad_loss(params, x, y)
        params = (params[0] - lr * gw, params[1] - lr * gb)
        if step % 100 == 0:
            print(f"step {step:4d}  loss {float(value):.5f}  w {float(params[0]):.4f}  "
                  f"b {float(params[1]):.4f}")
    w, b = params
    print(f"recovered slope {float(w):.3f} (true 2.0), intercept {float(b):.3f} (true 1.0)")
    return float(w), float(b)


if __name__ == "__main__":
    main()
