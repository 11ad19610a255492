"""A one-block transformer that learns to reverse sequences.

Input: ``L`` random tokens; target: the same tokens in reverse order. Output
position ``i`` must copy input position ``L-1-i``, which self-attention can
do by matching learned positional embeddings: the trained attention map is
an anti-diagonal. The block is the standard pre-norm one,

    h = x + MultiHeadAttention(standardize(x));  h = h + MLP(standardize(h))

with scaled dot-product attention ``softmax(Q K^T / sqrt(d)) V`` written
with einsum; funcad.grad differentiates all of it (softmax included).

Run:  python examples/attention.py       (~10 s; saves attention.png)
"""

from __future__ import annotations

from _common import log, pyplot, save, steps  # first: sets BLAS threads

import numpy as np

import funcad
from funcad import nn, optim


VOCAB, L, D, HEADS, BATCH = 10, 8, 32, 2, 64
DH = D // HEADS


def init_params(rng):
    g = nn.glorot_uniform
    return {"tok": rng.normal(0, 1, (VOCAB, D)), "pos": rng.normal(0, 1, (L, D)),
            "Wq": g(rng, (D, D)), "Wk": g(rng, (D, D)), "Wv": g(rng, (D, D)),
            "Wo": g(rng, (D, D)), "W1": nn.he_normal(rng, (D, 2 * D)), "b1": np.zeros(2 * D),
            "W2": g(rng, (2 * D, D)), "b2": np.zeros(D), "Wout": g(rng, (D, VOCAB))}


def attention(params, x):
    """Multi-head self-attention on (B, L, D); returns the output and the weights."""
    b = x.shape[0]

    def heads(w):                                     # (B, L, D) -> (B, H, L, DH)
        return np.transpose((x @ w).reshape(b, L, HEADS, DH), (0, 2, 1, 3))
    q, k, v = heads(params["Wq"]), heads(params["Wk"]), heads(params["Wv"])
    scores = np.einsum("bhid,bhjd->bhij", q, k) / np.sqrt(DH)
    weights = nn.softmax(scores, axis=-1)             # each query's distribution over keys
    out = np.einsum("bhij,bhjd->bhid", weights, v)
    out = np.transpose(out, (0, 2, 1, 3)).reshape(b, L, D)
    return out @ params["Wo"], weights


def forward(params, tokens):
    x = params["tok"][tokens] + params["pos"]                  # embeddings (B, L, D)
    a, weights = attention(params, nn.standardize(x))
    h = x + a
    m = nn.gelu(nn.standardize(h) @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"]
    h = h + m
    return nn.standardize(h) @ params["Wout"], weights


def loss_fn(params, tokens):
    logits, _ = forward(params, tokens)
    return np.mean(nn.softmax_cross_entropy_with_integer_labels(logits, tokens[:, ::-1]))


def accuracy(params, tokens):
    logits, _ = forward(params, tokens)
    return float(np.mean(np.argmax(logits, -1) == tokens[:, ::-1]))


def main():
    rng = np.random.default_rng(0)
    params = init_params(rng)
    n_steps = steps(300, 3)
    opt = optim.adamw(optim.warmup_cosine_decay_schedule(0.0, 5e-3, n_steps // 6, n_steps),
                      weight_decay=1e-4)
    state = opt.init(params)
    value_and_grad = funcad.value_and_grad(loss_fn)
    test = np.random.default_rng(99).integers(0, VOCAB, (512, L))
    for t in range(n_steps):
        loss, grads = value_and_grad(params, rng.integers(0, VOCAB, (BATCH, L)))
        updates, state = opt.update(grads, state, params)
        params = optim.apply_updates(params, updates)
        if t % 100 == 0 or t == n_steps - 1:
            log(f"step {t:4d}  loss {float(loss):.4f}  test token accuracy "
                f"{accuracy(params, test):.4f}")
    acc = accuracy(params, test)
    seq_acc = float(np.mean(np.all(np.argmax(forward(params, test)[0], -1) == test[:, ::-1],
                                   axis=1)))
    print(f"test token accuracy: {acc:.4f}   whole sequences reversed: {seq_acc:.4f}")
    example = test[:1]
    log(f"input {example[0].tolist()} -> output "
        f"{np.argmax(forward(params, example)[0], -1)[0].tolist()}")

    plt = pyplot()
    if plt is not None:
        _, weights = forward(params, example)
        fig, axes = plt.subplots(1, HEADS, figsize=(4 * HEADS, 3.6))
        for hd, ax in enumerate(np.atleast_1d(axes)):
            ax.imshow(weights[0, hd], cmap="viridis", vmin=0, vmax=1)
            ax.set(xlabel="key position", ylabel="query position", title=f"head {hd}")
        save(fig, "attention.png")
    return acc


if __name__ == "__main__":
    main()
