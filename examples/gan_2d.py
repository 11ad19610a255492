"""A GAN on 2-D data: eight Gaussians on a ring.

Generator G: noise z ~ N(0, I_2) -> point in the plane (an MLP). Discriminator
D: point -> logit of "real". The two are trained in turns with Adam:

    D step: minimise  BCE(D(x_real), 1) + BCE(D(G(z)), 0)
    G step: minimise  BCE(D(G(z)), 1)        (the non-saturating generator loss)

Each loss is differentiated with funcad.grad with respect to one player's
parameters, with the other player's parameters held fixed (passed as plain
arguments, so they are constants for that gradient). The script reports how
many of the eight modes the generator covers.

Run:  python examples/gan_2d.py       (~30 s; saves gan_2d.png)
"""

from __future__ import annotations

from _common import log, pyplot, save, steps  # first: sets BLAS threads

import numpy as np

import funcad
from funcad import nn, optim


MODES = 8
RADIUS, SIGMA = 2.0, 0.05
HIDDEN, BATCH = 64, 128
CENTRES = RADIUS * np.stack([np.cos(2 * np.pi * np.arange(MODES) / MODES),
                             np.sin(2 * np.pi * np.arange(MODES) / MODES)], axis=1)


def real_batch(rng, n):
    return CENTRES[rng.integers(0, MODES, n)] + SIGMA * rng.normal(size=(n, 2))


def mlp_init(rng, sizes):
    return [{"W": nn.he_normal(rng, (a, b)), "b": np.zeros(b)} for a, b in zip(sizes, sizes[1:])]


def mlp(layers, x):
    for layer in layers[:-1]:
        x = nn.leaky_relu(x @ layer["W"] + layer["b"], 0.2)
    return x @ layers[-1]["W"] + layers[-1]["b"]


def d_loss(d_params, g_params, x_real, z):
    fake = mlp(g_params, z)
    real_logits, fake_logits = mlp(d_params, x_real), mlp(d_params, fake)
    return (np.mean(nn.sigmoid_binary_cross_entropy(real_logits, 1.0))
            + np.mean(nn.sigmoid_binary_cross_entropy(fake_logits, 0.0)))


def g_loss(g_params, d_params, z):
    return np.mean(nn.sigmoid_binary_cross_entropy(mlp(d_params, mlp(g_params, z)), 1.0))


def coverage(samples):
    """(modes with at least 1% of samples within 4 sigma, fraction of such 'good' samples)."""
    dist = np.linalg.norm(samples[:, None, :] - CENTRES[None], axis=-1)
    near = dist.min(1) < 4 * SIGMA
    counts = np.bincount(dist.argmin(1)[near], minlength=MODES)
    return int(np.sum(counts >= 0.01 * len(samples))), float(near.mean())


def main():
    rng = np.random.default_rng(0)
    g_params = mlp_init(rng, [2, HIDDEN, HIDDEN, 2])
    d_params = mlp_init(rng, [2, HIDDEN, HIDDEN, 1])
    g_opt, d_opt = optim.adam(1e-3, b1=0.5), optim.adam(1e-3, b1=0.5)
    g_state, d_state = g_opt.init(g_params), d_opt.init(d_params)
    d_vg, g_vg = funcad.value_and_grad(d_loss), funcad.value_and_grad(g_loss)
    n_steps = steps(2500, 3)
    z_fixed = np.random.default_rng(1).normal(size=(2000, 2))
    for t in range(n_steps):
        ld, grads = d_vg(d_params, g_params, real_batch(rng, BATCH), rng.normal(size=(BATCH, 2)))
        updates, d_state = d_opt.update(grads, d_state, d_params)
        d_params = optim.apply_updates(d_params, updates)
        lg, grads = g_vg(g_params, d_params, rng.normal(size=(BATCH, 2)))
        updates, g_state = g_opt.update(grads, g_state, g_params)
        g_params = optim.apply_updates(g_params, updates)
        if t % 250 == 0 or t == n_steps - 1:
            modes, good = coverage(mlp(g_params, z_fixed))
            log(f"step {t:5d}  D loss {float(ld):.3f}  G loss {float(lg):.3f}  "
                f"modes covered {modes}/{MODES}  samples near a mode {good:.2f}")
    samples = mlp(g_params, z_fixed)
    modes, good = coverage(samples)
    print(f"modes covered: {modes}/{MODES}, fraction of samples within 4 sigma of a mode: "
          f"{good:.2f}")

    plt = pyplot()
    if plt is not None:
        fig, ax = plt.subplots(figsize=(5, 5))
        real = real_batch(np.random.default_rng(2), 2000)
        ax.scatter(real[:, 0], real[:, 1], s=2, alpha=0.3, label="real")
        ax.scatter(samples[:, 0], samples[:, 1], s=2, alpha=0.3, label="generated")
        grid = np.linspace(-3, 3, 100)
        gx, gy = np.meshgrid(grid, grid)
        dz = nn.sigmoid(mlp(d_params, np.stack([gx.ravel(), gy.ravel()], 1))).reshape(gx.shape)
        ax.contour(gx, gy, dz, levels=[0.5], colors="k", linewidths=0.5)
        ax.set(xlim=(-3, 3), ylim=(-3, 3), aspect="equal",
               title=f"GAN: {modes}/{MODES} modes (black: D = 0.5)")
        ax.legend(loc="upper right", markerscale=5)
        save(fig, "gan_2d.png")


if __name__ == "__main__":
    main()
