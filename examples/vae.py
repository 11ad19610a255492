"""A variational autoencoder on scikit-learn's 8x8 digits (binarised), latent space in 2-D.

The encoder, an MLP, maps an image x to a Gaussian q(z | x) = N(mean(x), exp(log_sd(x))^2)
over a 2-D code z; the decoder, another MLP, maps z to the logits of 64 independent
Bernoulli pixels. Training maximises the ELBO

    log p(x | z) + log p(z) - log q(z | x),    z = mean(x) + exp(log_sd(x)) * eps,

one reparameterised draw per image (eps from funcad.numpy.random, a constant), with the
densities from funcad.scipy.stats (norm.logpdf for p(z) and q(z | x)) and the Bernoulli
log-likelihood from funcad.nn.sigmoid_binary_cross_entropy. funcad.value_and_grad
gives the gradient in both networks at once, funcad.optim.adam follows it.

It prints the test ELBO per image before and after training next to the log-likelihood
of the best model with independent pixels (each pixel's own frequency): the VAE beats
it by about 4 nats per image, and its ELBO is only a lower bound of its log-likelihood. The figure shows the test
codes coloured by digit, and images decoded from a grid of codes.

Run: pip install -e ".[examples]" && python examples/vae.py   (needs scikit-learn and
SciPy; ~10 s; saves vae.png when matplotlib is installed)
"""

from __future__ import annotations

import itertools

from _common import QUICK, load_digits_or_exit, log, pyplot, save, steps  # first: BLAS threads

import funcad as fad
import funcad.numpy as np
import funcad.numpy.random as npr
from funcad import nn, optim
from funcad.scipy.stats import norm

LATENT = 2
HIDDEN = 128
BATCH = 100


def init_mlp(rs, sizes):
    return [{"W": rs.randn(m, n) * np.sqrt(1.0 / m), "b": np.zeros(n)}
            for m, n in itertools.pairwise(sizes)]


def mlp(layers, x):
    for layer in layers[:-1]:
        x = np.tanh(x @ layer["W"] + layer["b"])
    return x @ layers[-1]["W"] + layers[-1]["b"]


def elbo(params, x, eps):
    """The ELBO of each image in ``x`` (B, 64) for the standard normal draws ``eps`` (B, 2)."""
    out = mlp(params["encoder"], x)
    mean, log_sd = out[:, :LATENT], out[:, LATENT:]
    z = mean + np.exp(log_sd) * eps
    logits = mlp(params["decoder"], z)
    log_lik = -np.sum(nn.sigmoid_binary_cross_entropy(logits, x), axis=1)
    log_prior = np.sum(norm.logpdf(z), axis=1)
    log_q = np.sum(norm.logpdf(z, mean, np.exp(log_sd)), axis=1)
    return log_lik + log_prior - log_q


def main(n_epochs=None):
    images, labels = load_digits_or_exit("vae.py")
    x_all = (images.reshape(len(images), -1) > 0.5).astype(float)
    rs = npr.RandomState(0)
    order = rs.permutation(len(x_all))
    test, train = order[:300], order[300:]
    x_tr, x_te, y_te = x_all[train], x_all[test], labels[test]
    log(f"digits: {len(train)} train / {len(test)} test images, binarised; "
        f"latent dimension {LATENT}")

    params = {"encoder": init_mlp(rs, [64, HIDDEN, 2 * LATENT]),
              "decoder": init_mlp(rs, [LATENT, HIDDEN, 64])}
    test_eps = rs.randn(len(x_te), LATENT)
    test_elbo = lambda p: float(np.mean(elbo(p, x_te, test_eps)))
    start = test_elbo(params)

    objective = lambda p, x, eps: -np.mean(elbo(p, x, eps))
    step = fad.value_and_grad(objective)
    n_epochs = n_epochs or steps(100, 1)
    opt = optim.adam(3e-3)
    state = opt.init(params)
    history = []
    for epoch in range(n_epochs):
        perm = rs.permutation(len(x_tr))
        for i in range(0, len(x_tr) - BATCH + 1, BATCH):
            xb = x_tr[perm[i:i + BATCH]]
            _, g = step(params, xb, rs.randn(len(xb), LATENT))
            updates, state = opt.update(g, state, params)
            params = optim.apply_updates(params, updates)
        history.append(test_elbo(params))
        if epoch % 10 == 9 or epoch == n_epochs - 1 or QUICK:
            log(f"epoch {epoch + 1:3d}  test ELBO {history[-1]:8.2f} nats per image")
    end = test_elbo(params)

    p = np.clip(x_tr.mean(0), 1e-3, 1 - 1e-3)     # the best independent-pixel model
    baseline = float(np.mean(np.sum(x_te * np.log(p) + (1 - x_te) * np.log(1 - p), axis=1)))
    print(f"test ELBO per image: start {start:.2f}, end {end:.2f} nats")
    print(f"independent-pixel model (each pixel's frequency): {baseline:.2f} nats per image")

    plt = pyplot()
    if plt is not None:
        fig, axes = plt.subplots(1, 3, figsize=(14, 4.3))
        axes[0].plot(np.arange(1, len(history) + 1), history, label="VAE (test ELBO)")
        axes[0].axhline(baseline, color="k", ls="--", label="independent pixels")
        axes[0].set(xlabel="epoch", ylabel="nats per image", title="training")
        axes[0].legend()
        codes = mlp(params["encoder"], x_te)[:, :LATENT]
        sc = axes[1].scatter(codes[:, 0], codes[:, 1], c=y_te, cmap="tab10", s=10)
        fig.colorbar(sc, ax=axes[1])
        axes[1].set(title="test codes (mean of q), coloured by digit")
        g = np.linspace(-2, 2, 10)
        zs = np.stack(np.meshgrid(g, -g), axis=-1).reshape(-1, 2)
        pics = nn.sigmoid(mlp(params["decoder"], zs)).reshape(10, 10, 8, 8)
        axes[2].imshow(pics.transpose(0, 2, 1, 3).reshape(80, 80), cmap="gray_r")
        axes[2].set(title="decoded from a grid of codes")
        axes[2].axis("off")
        save(fig, "vae.png")
    return {"start": start, "end": end, "baseline": baseline}


if __name__ == "__main__":
    main()
