"""Implicit differentiation of a fixed point x* = f(params, x*) with fad.custom_vjp.

Differentiating the solver by unrolling it keeps every iteration on the tape. The
implicit function theorem needs the fixed point only: from x* = f(p, x*),

    dx*/dp = (I - df/dx)^-1 df/dp,

so a cotangent g of x* pulls back as  w = g + (df/dx)^T w  (solved by the same kind of
fixed-point iteration, with VJPs of f), then  g_p = (df/dp)^T w.

The script checks the implicit gradient against unrolling (grad, jvp and hessian),
and prints how much the tape keeps in each case. Saves implicit_fixed_point.png (the
solver's convergence, and the implicit gradient against the unrolled one) when
matplotlib is installed.

Run: python examples/implicit_fixed_point.py
"""

from __future__ import annotations

import functools
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import pyplot, save  # noqa: E402  (first: sets BLAS threads)

import numpy as np  # noqa: E402

import funcad as fad  # noqa: E402


def _iterate(step, x, tol=1e-13, max_iter=500):
    """x <- step(x) until the update is below tol (the test runs on plain values)."""
    for _ in range(max_iter):
        x_new = step(x)
        if np.max(np.abs(fad.stop_gradient(x_new - x))) < tol:
            return x_new
        x = x_new
    raise RuntimeError("fixed-point iteration did not converge")


@functools.partial(fad.custom_vjp, nondiff_argnums=(0,))
def fixed_point(f, params, x0):
    """The x with x = f(params, x), found by iterating from x0."""
    return _iterate(lambda x: f(params, x), x0)


def _fixed_point_fwd(f, params, x0):
    x = fixed_point(f, params, x0)
    return x, (params, x)


def _fixed_point_bwd(f, res, g):
    params, x = res
    _, vjp_x = fad.vjp(lambda x: f(params, x), x)            # w -> (df/dx)^T w
    w = _iterate(lambda w: g + vjp_x(w)[0], g)
    _, vjp_p = fad.vjp(lambda p: f(p, x), params)            # w -> (df/dp)^T w
    return vjp_p(w)[0], np.zeros_like(x)                     # x0 does not matter


fixed_point.defvjp(_fixed_point_fwd, _fixed_point_bwd)


def layer(params, x):
    """A contraction in x: x -> tanh(W x + a), with ||W|| < 1."""
    return np.tanh(params["W"] @ x + params["a"])


def unrolled(params, x0, n=120):
    x = x0
    for _ in range(n):
        x = layer(params, x)
    return x


def main():
    rng = np.random.default_rng(0)
    n = 6
    W = rng.standard_normal((n, n))
    params = {"W": 0.5 * W / np.linalg.norm(W, 2), "a": rng.standard_normal(n)}
    x0 = np.zeros(n)

    def loss_implicit(p):
        return np.sum(fixed_point(layer, p, x0) ** 2)

    def loss_unrolled(p):
        return np.sum(unrolled(p, x0) ** 2)

    x_star = fixed_point(layer, params, x0)
    print(f"residual |x* - f(x*)|         : {np.max(np.abs(x_star - layer(params, x_star))):.1e}")

    g_imp = fad.grad(loss_implicit)(params)
    g_unr = fad.grad(loss_unrolled)(params)
    err = max(np.max(np.abs(g_imp[k] - g_unr[k])) for k in params)
    print(f"grad: implicit vs unrolled    : max difference {err:.1e}")
    assert err < 1e-10

    ta = rng.standard_normal(n)
    t_imp = fad.jvp(lambda a: fixed_point(layer, {**params, "a": a}, x0), (params["a"],), (ta,))[1]
    t_unr = fad.jvp(lambda a: unrolled({**params, "a": a}, x0), (params["a"],), (ta,))[1]
    print(f"jvp (transpose of bwd)        : difference {np.max(np.abs(t_imp - t_unr)):.1e}")
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
        x = layer(params, x)
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
