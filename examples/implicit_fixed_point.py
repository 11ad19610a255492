"""Implicit differentiation of a fixed point x* = f(x*, params) with funcad.scipy.optimize.

Differentiating the solver by unrolling it keeps every iteration on the tape. The
implicit function theorem needs the fixed point only: from x* = f(x*, p),

    dx*/dp = (I - df/dx)^-1 df/dp,

which funcad.scipy.optimize.fixed_point attaches to SciPy's fixed point (a custom_jvp
rule: forward mode solves with (I - df/dx), reverse mode with its transpose, and the
second order differentiates the rule again). See docs/scipy-optimize.md.

The script checks the implicit derivatives against unrolling (grad, jvp and hessian),
and prints how much the tape keeps in each case. Saves implicit_fixed_point.png (the
solver's convergence, and the implicit gradient against the unrolled one) when
matplotlib is installed.

Run: python examples/implicit_fixed_point.py   (needs SciPy)
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import pyplot, save  # noqa: E402  (first: sets BLAS threads)

import numpy as np  # noqa: E402

import funcad as fad  # noqa: E402
from funcad.scipy.optimize import fixed_point  # noqa: E402


def layer(x, params):
    """A contraction in x: x -> tanh(W x + a), with ||W|| < 1."""
    return np.tanh(params["W"] @ x + params["a"])


def unrolled(params, x0, n=120):
    x = x0
    for _ in range(n):
        x = layer(x, params)
    return x


def main():
    rng = np.random.default_rng(0)
    n = 6
    W = rng.standard_normal((n, n))
    params = {"W": 0.5 * W / np.linalg.norm(W, 2), "a": rng.standard_normal(n)}
    x0 = np.zeros(n)

    def solve(p):
        return fixed_point(layer, x0, args=(p,), xtol=1e-14)

    def loss_implicit(p):
        return np.sum(solve(p) ** 2)

    def loss_unrolled(p):
        return np.sum(unrolled(p, x0) ** 2)

    x_star = solve(params)
    print(f"residual |x* - f(x*)|         : {np.max(np.abs(x_star - layer(x_star, params))):.1e}")

    g_imp = fad.grad(loss_implicit)(params)
    g_unr = fad.grad(loss_unrolled)(params)
    err = max(np.max(np.abs(g_imp[k] - g_unr[k])) for k in params)
    print(f"grad: implicit vs unrolled    : max difference {err:.1e}")
    assert err < 1e-10

    ta = rng.standard_normal(n)
    t_imp = fad.jvp(lambda a: solve({**params, "a": a}), (params["a"],), (ta,))[1]
    t_unr = fad.jvp(lambda a: unrolled({**params, "a": a}, x0), (params["a"],), (ta,))[1]
    print(f"jvp: implicit vs unrolled     : difference {np.max(np.abs(t_imp - t_unr)):.1e}")
    assert np.allclose(t_imp, t_unr, atol=1e-10)

    def on_a(loss):
        return lambda a: loss({**params, "a": a})

    h_imp = fad.hessian(on_a(loss_implicit))(params["a"])
    h_unr = fad.hessian(on_a(loss_unrolled))(params["a"])
    print(f"hessian wrt a: implicit vs unrolled: difference {np.max(np.abs(h_imp - h_unr)):.1e}")
    assert np.allclose(h_imp, h_unr, atol=1e-8)

    kept = {name: sum(r["bytes"] for r in fad.saved_residuals(loss, params))
            for name, loss in [("implicit", loss_implicit), ("unrolled", loss_unrolled)]}
    print(f"tape keeps: implicit {kept['implicit']} B, unrolled {kept['unrolled']} B")
    plot(params, x0, x_star, g_imp, g_unr, kept)


def plot(params, x0, x_star, g_imp, g_unr, kept):
    """The fixed-point iteration's error per step, and implicit against unrolled gradients."""
    plt = pyplot()
    if plt is None:
        return
    errs, x = [], x0
    for _ in range(25):
        errs.append(np.max(np.abs(x - x_star)))
        x = layer(x, params)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.6))
    ax1.semilogy(np.maximum(errs, 1e-17))
    ax1.set(xlabel="iteration k", ylabel="max |x_k - x*|", title="x <- tanh(W x + a) converges")
    gi = np.concatenate([np.ravel(g_imp[k]) for k in sorted(params)])
    gu = np.concatenate([np.ravel(g_unr[k]) for k in sorted(params)])
    lim = [min(gi.min(), gu.min()), max(gi.max(), gu.max())]
    ax2.plot(lim, lim, "k--", lw=1)
    ax2.scatter(gu, gi, s=12)
    ax2.set(xlabel="gradient by unrolling 120 steps", ylabel="implicit gradient",
            title=f"tape: {kept['implicit']} B implicit vs {kept['unrolled']} B unrolled")
    save(fig, "implicit_fixed_point.png")


if __name__ == "__main__":
    main()
