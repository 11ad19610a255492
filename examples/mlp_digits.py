"""An MLP on scikit-learn's 8x8 handwritten digits, trained with funcad.grad + Adam.

The whole training step (gradient, Adam update with a cosine schedule, parameter update) is
wrapped in ``funcad.jit``: recorded once, then replayed as generated NumPy code at every
step (the optimizer's step count is a traced array, so no step records again). The script
prints the speed-up of the jitted step over the eager one.

Forward propagation is ordinary NumPy code; funcad.grad gives backpropagation.
Before training, the script derives backpropagation by hand for the same
network and checks that the two gradients agree:

    z1 = x W1 + b1,  a1 = tanh(z1),  z2 = a1 W2 + b2,  L = mean CE(softmax(z2), y)
    delta2 = dL/dz2 = (softmax(z2) - onehot(y)) / B          (softmax + cross-entropy)
    delta1 = dL/dz1 = (delta2 W2^T) * tanh'(z1)              (delta = dL/da * f'(z))
    dL/dW2 = a1^T delta2,  dL/db2 = sum_batch delta2         (dL/dW = delta x^T,
    dL/dW1 = x^T  delta1,  dL/db1 = sum_batch delta1          rows are examples here)

Run:  pip install -e ".[examples]" && python examples/mlp_digits.py
(about 10 s on 2 cores; reaches ~97-98% test accuracy; saves mlp_digits.png).
"""

from __future__ import annotations

from _common import QUICK, load_digits_or_exit, log, pyplot, save, steps  # first: sets BLAS threads

import time

import numpy as np

import funcad
from funcad import nn, optim


HIDDEN = 64
BATCH = 64


def init_params(rng):
    return {"W1": nn.glorot_uniform(rng, (64, HIDDEN)), "b1": np.zeros(HIDDEN),
            "W2": nn.glorot_uniform(rng, (HIDDEN, 10)), "b2": np.zeros(10)}


def forward(params, x):
    """Logits for a batch of flattened images ``x`` (B, 64)."""
    a1 = np.tanh(x @ params["W1"] + params["b1"])
    return a1 @ params["W2"] + params["b2"]


def loss_fn(params, x, y):
    return np.mean(nn.softmax_cross_entropy_with_integer_labels(forward(params, x), y))


def backprop_by_hand(params, x, y):
    """The same gradient with the textbook backpropagation formulas, in plain NumPy."""
    z1 = x @ params["W1"] + params["b1"]
    a1 = np.tanh(z1)
    z2 = a1 @ params["W2"] + params["b2"]
    p = np.exp(z2 - z2.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    delta2 = (p - np.eye(10)[y]) / len(y)                    # dL/dz2
    delta1 = (delta2 @ params["W2"].T) * (1 - a1 ** 2)       # dL/da1 * tanh'(z1)
    return {"W1": x.T @ delta1, "b1": delta1.sum(0), "W2": a1.T @ delta2, "b2": delta2.sum(0)}


def accuracy(params, x, y):
    return float(np.mean(np.argmax(forward(params, x), axis=1) == y))


def _time_step(step, params, state, x, y, repeat=5, number=20):
    """Best-of-``repeat`` seconds per call of ``step`` (a steady state: no recording)."""
    step(params, state, x, y)
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            step(params, state, x, y)
        best = min(best, (time.perf_counter() - t0) / number)
    return best


def main():
    images, labels = load_digits_or_exit("mlp_digits.py")
    x_all = images.reshape(len(images), -1)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(x_all))
    n_test = 360
    test, train = order[:n_test], order[n_test:]
    x_tr, y_tr, x_te, y_te = x_all[train], labels[train], x_all[test], labels[test]
    log(f"digits: {len(train)} train / {len(test)} test images of 8x8 pixels")

    params = init_params(rng)

    # -- backpropagation by hand == funcad.grad -------------------------------
    xb, yb = x_tr[:BATCH], y_tr[:BATCH]
    auto = funcad.grad(loss_fn)(params, xb, yb)
    hand = backprop_by_hand(params, xb, yb)
    diff = max(float(np.max(np.abs(auto[k] - hand[k]))) for k in params)
    log(f"backprop by hand vs funcad.grad: max |difference| = {diff:.2e}")
    if diff > 1e-10:
        raise SystemExit(f"backpropagation formulas disagree with funcad.grad ({diff:.2e})")

    # -- one training step: grad + Adam update, eager and under funcad.jit ------
    epochs = steps(30, 1)
    opt = optim.adam(optim.cosine_decay_schedule(3e-3, epochs * (len(train) // BATCH)))
    state = opt.init(params)

    def train_step(params, state, x, y):
        loss, grads = funcad.value_and_grad(loss_fn)(params, x, y)
        updates, state = opt.update(grads, state, params)
        return optim.apply_updates(params, updates), state, loss

    jit_step = funcad.jit(train_step)
    eager_out, jit_out = train_step(params, state, xb, yb), jit_step(params, state, xb, yb)
    diff = max(float(np.max(np.abs(eager_out[0][k] - jit_out[0][k]))) for k in params)
    log(f"jit step vs eager step: max |difference| = {diff:.2e}")
    t_eager, t_jit = _time_step(train_step, params, state, xb, yb), \
        _time_step(jit_step, params, state, xb, yb)
    log(f"training step: eager {1e3 * t_eager:.2f} ms, jit {1e3 * t_jit:.2f} ms "
        f"(speed-up {t_eager / t_jit:.1f}x)")

    # -- training ---------------------------------------------------------------
    history = []
    for epoch in range(epochs):
        perm = rng.permutation(len(train))
        losses = []
        for i in range(0, len(train) - BATCH + 1, BATCH):
            idx = perm[i:i + BATCH]
            params, state, loss = jit_step(params, state, x_tr[idx], y_tr[idx])
            losses.append(float(loss))
        history.append((np.mean(losses), accuracy(params, x_tr, y_tr),
                        accuracy(params, x_te, y_te)))
        if epoch % 5 == 4 or epoch == epochs - 1 or QUICK:
            log(f"epoch {epoch + 1:3d}  loss {history[-1][0]:.4f}  train acc "
                f"{history[-1][1]:.4f}  test acc {history[-1][2]:.4f}")

    info = jit_step.cache_info()
    log(f"jit step: recorded {info.traces} time(s), replayed {info.hits} times")
    test_acc = accuracy(params, x_te, y_te)
    print(f"test accuracy: {test_acc:.4f}")

    plt = pyplot()
    if plt is not None:
        fig, axes = plt.subplots(1, 3, figsize=(13, 4))
        h = np.array(history)
        axes[0].plot(np.arange(1, len(h) + 1), h[:, 0])
        axes[0].set(xlabel="epoch", ylabel="training loss", yscale="log", title="loss")
        axes[1].plot(np.arange(1, len(h) + 1), h[:, 1], label="train")
        axes[1].plot(np.arange(1, len(h) + 1), h[:, 2], label="test")
        axes[1].set(xlabel="epoch", ylabel="accuracy", title="accuracy")
        axes[1].legend()
        pred = np.argmax(forward(params, x_te[:16]), axis=1)
        tiles = x_te[:16].reshape(4, 4, 8, 8).transpose(0, 2, 1, 3).reshape(32, 32)
        axes[2].imshow(tiles, cmap="gray_r")
        for k in range(16):
            axes[2].text(8 * (k % 4) + 7, 8 * (k // 4) + 1, str(pred[k]), color="red",
                         fontsize=9, ha="right", va="top")
        axes[2].set_title("test digits, predictions in red")
        axes[2].axis("off")
        save(fig, "mlp_digits.png")
    return test_acc


if __name__ == "__main__":
    main()
