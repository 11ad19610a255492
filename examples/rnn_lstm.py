"""An LSTM trained by backpropagation through time to continue sine waves.

Each training sequence is ``sin(w t + phase)`` with a random frequency and
phase. The LSTM reads one value per step and predicts the next; the loss is the
mean squared error over all steps. The forward pass is a Python loop over
time, and funcad.grad differentiates straight through it: that *is*
backpropagation through time (the tape records every step; the backward sweep
runs them in reverse, carrying dL/dh and dL/dc from step t+1 to step t).

After training, the network runs free (its own predictions fed back) and the
script prints how the gradient of the last prediction with respect to each
input decays with distance, the memory the LSTM has learned.

Run:  python examples/rnn_lstm.py       (~20 s; saves rnn_lstm.png)
"""

from __future__ import annotations

from _common import log, pyplot, save, steps  # first: sets BLAS threads

import numpy as np

import funcad
from funcad import nn, optim


HIDDEN = 24
T = 30
BATCH = 32


def init_params(rng):
    # the four gates (input, forget, cell, output) stacked along the last axis
    return {"Wx": nn.glorot_uniform(rng, (1, 4 * HIDDEN)),
            "Wh": np.concatenate([nn.orthogonal(rng, (HIDDEN, HIDDEN)) for _ in range(4)], 1),
            "b": np.concatenate([np.zeros(HIDDEN), np.ones(HIDDEN),      # forget bias 1
                                 np.zeros(2 * HIDDEN)]),
            "Wy": nn.glorot_uniform(rng, (HIDDEN, 1)), "by": np.zeros(1)}


def lstm_step(params, h, c, x):
    z = x @ params["Wx"] + h @ params["Wh"] + params["b"]
    i, f, g, o = (z[:, k * HIDDEN:(k + 1) * HIDDEN] for k in range(4))
    c = nn.sigmoid(f) * c + nn.sigmoid(i) * np.tanh(g)
    h = nn.sigmoid(o) * np.tanh(c)
    return h, c


def run(params, xs):
    """Predictions for every step of ``xs`` (B, T): a Python loop over time."""
    b = xs.shape[0]
    h = c = np.zeros((b, HIDDEN))
    preds = []
    for t in range(xs.shape[1]):
        h, c = lstm_step(params, h, c, xs[:, t:t + 1])
        preds.append(h @ params["Wy"] + params["by"])
    return np.concatenate(preds, axis=1), (h, c)


def loss_fn(params, seqs):
    preds, _ = run(params, seqs[:, :-1])
    return np.mean(nn.squared_error(preds, seqs[:, 1:]))


def sample_batch(rng, n, length):
    w = rng.uniform(0.25, 0.6, size=(n, 1))
    phase = rng.uniform(0, 2 * np.pi, size=(n, 1))
    return np.sin(w * np.arange(length) + phase)


def generate(params, prompt, n_future):
    """Warm up on ``prompt`` (1, T0), then feed predictions back for ``n_future`` steps."""
    preds, (h, c) = run(params, prompt)
    x = preds[:, -1:]
    out = []
    for _ in range(n_future):
        out.append(x[0, 0])
        h, c = lstm_step(params, h, c, x)
        x = h @ params["Wy"] + params["by"]
    return np.array(out)


def main():
    rng = np.random.default_rng(0)
    params = init_params(rng)
    n_steps = steps(500, 3)
    opt = optim.chain(optim.clip_by_global_norm(1.0), optim.adam(1e-2))
    state = opt.init(params)
    value_and_grad = funcad.value_and_grad(loss_fn)
    for t in range(n_steps):
        loss, grads = value_and_grad(params, sample_batch(rng, BATCH, T + 1))
        updates, state = opt.update(grads, state, params)
        params = optim.apply_updates(params, updates)
        if t % 50 == 0 or t == n_steps - 1:
            log(f"step {t:4d}  mse {float(loss):.5f}")

    test = sample_batch(np.random.default_rng(123), 256, T + 1)
    print(f"test mse (one step ahead): {float(loss_fn(params, test)):.5f}")

    # BPTT made visible: d(last prediction)/d(input at step t)
    seq = test[:1, :-1]
    sens = funcad.grad(lambda xs: run(params, xs)[0][0, -1])(seq)[0]
    shown = ", ".join(f"t-{T - 1 - t}: {abs(sens[t]):.1e}" for t in range(T - 1, -1, -6))
    log(f"|d prediction / d input| by lag: {shown}")

    plt = pyplot()
    if plt is not None:
        true = sample_batch(np.random.default_rng(7), 1, 3 * T)
        future = generate(params, true[:, :T], 2 * T)
        fig, axes = plt.subplots(1, 2, figsize=(12, 3.5))
        axes[0].plot(np.arange(3 * T), true[0], "k-", label="true")
        axes[0].plot(np.arange(T, 3 * T), future, "r--", label="LSTM, free-running")
        axes[0].axvline(T - 0.5, color="gray", lw=0.5)
        axes[0].legend()
        axes[0].set_title("continuation of a sine wave")
        axes[1].semilogy(np.arange(T)[::-1], np.abs(sens) + 1e-16)
        axes[1].set(xlabel="lag (steps back)", ylabel="|d pred / d input|",
                    title="gradient through time")
        save(fig, "rnn_lstm.png")


if __name__ == "__main__":
    main()
