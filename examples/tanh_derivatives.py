"""Higher-order derivatives of tanh by nesting funcad.grad, checked against a closed form.

d/dx tanh = 1 - tanh^2, so every derivative of tanh is a polynomial in y = tanh(x):
if d^k tanh / dx^k = P_k(y), then P_{k+1}(y) = P_k'(y) (1 - y^2). The script nests
fad.grad six times (vmapped over a grid of x: elementwise derivatives with no Python
loop over points), and compares each order with the polynomial, as autograd's tanh
example plots them. Nesting forward mode (fad.jvp) gives the same numbers.

Run: python examples/tanh_derivatives.py     (~1 s; saves tanh_derivatives.png when
matplotlib is installed)
"""

from __future__ import annotations

from _common import log, pyplot, save  # first: sets BLAS threads

import numpy.polynomial.polynomial as P

import funcad as fad
import funcad.numpy as np

ORDERS = 6


def closed_form(order, x):
    """d^order tanh / dx^order at x, from the polynomial recursion in y = tanh(x)."""
    coeffs = np.array([0.0, 1.0])                  # P_0(y) = y
    one_minus_y2 = np.array([1.0, 0.0, -1.0])
    for _ in range(order):
        coeffs = P.polymul(P.polyder(coeffs), one_minus_y2)
    return P.polyval(np.tanh(x), coeffs)


def forward_derivative(f):
    """x -> f'(x) by forward mode."""
    return lambda x: fad.jvp(f, (x,), (np.ones_like(x),))[1]


def main():
    x = np.linspace(-3.5, 3.5, 141)
    f, g = np.tanh, np.tanh
    curves, worst = [np.tanh(x)], 0.0
    for order in range(1, ORDERS + 1):
        f = fad.grad(f)                             # scalar -> scalar, nested
        g = forward_derivative(g)
        rev = fad.vmap(f)(x)
        fwd = g(x)
        exact = closed_form(order, x)
        err = float(max(np.max(np.abs(rev - exact)), np.max(np.abs(fwd - exact))))
        scale = float(np.max(np.abs(exact)))
        worst = max(worst, err / scale)
        log(f"order {order}: largest |derivative| {scale:8.3f}, max error (rev, fwd) {err:.1e}")
        curves.append(rev)
    print(f"derivatives of orders 1-{ORDERS} of tanh by nested grad and nested jvp match the "
          f"closed form: largest relative error {worst:.1e}")

    plt = pyplot()
    if plt is not None:
        fig, ax = plt.subplots(figsize=(7, 4.5))
        for k, c in enumerate(curves):
            ax.plot(x, c, label=f"order {k}")
        ax.set(xlabel="x", title="tanh and its first six derivatives (nested fad.grad)",
               ylim=(-6, 6))
        ax.legend(fontsize=8, ncol=2)
        save(fig, "tanh_derivatives.png")
    return worst


if __name__ == "__main__":
    main()
