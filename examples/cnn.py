"""A small convolutional network on the 8x8 digits, convolution by im2col + einsum.

A convolution is a matrix product once the input is unfolded into patches
("im2col"): for a k x k kernel, every output pixel sees a k*k*C_in vector and
the kernel is a (k*k*C_in, C_out) matrix. Written with slicing, stack and
einsum, the whole network is ordinary array code that funcad differentiates
(the gradient of a convolution with respect to its kernel is again a
correlation of input patches with the output error, which the tape builds
from the einsum and the slices automatically).

    conv 3x3, 8 filters -> relu -> conv 3x3, 16 filters -> relu -> 2x2 average pool
    -> dense 64 -> 10 logits

Run:  python examples/cnn.py      (needs scikit-learn for the digits; ~15 s; saves cnn.png)
"""

from __future__ import annotations

from _common import load_digits_or_exit, log, pyplot, save, steps  # first: sets BLAS threads

import numpy as np

import funcad
from funcad import nn, optim


BATCH = 64


def im2col(x, k):
    """(B, H, W, C) -> (B, H-k+1, W-k+1, k*k, C) patches of a 'valid' k x k window."""
    h, w = x.shape[1] - k + 1, x.shape[2] - k + 1
    return np.stack([x[:, i:i + h, j:j + w, :] for i in range(k) for j in range(k)], axis=3)


def conv2d(x, kernel, bias):
    """'valid' 2-D convolution (cross-correlation, as in every DL library) of NHWC ``x``
    with a (k, k, C_in, C_out) kernel."""
    k, _, c_in, c_out = kernel.shape
    patches = im2col(x, k)
    return np.einsum("bhwpc,pco->bhwo", patches, kernel.reshape(k * k, c_in, c_out)) + bias


def avg_pool2(x):
    b, h, w, c = x.shape
    return np.mean(x.reshape(b, h // 2, 2, w // 2, 2, c), axis=(2, 4))


def init_params(rng):
    return {"k1": nn.he_normal(rng, (3, 3, 1, 8)), "c1": np.zeros(8),
            "k2": nn.he_normal(rng, (3, 3, 8, 16)), "c2": np.zeros(16),
            "W": nn.he_normal(rng, (2 * 2 * 16, 64)), "b": np.zeros(64),
            "V": nn.glorot_uniform(rng, (64, 10)), "d": np.zeros(10)}


def forward(params, x):
    h = nn.relu(conv2d(x, params["k1"], params["c1"]))          # (B, 6, 6, 8)
    h = nn.relu(conv2d(h, params["k2"], params["c2"]))          # (B, 4, 4, 16)
    h = avg_pool2(h).reshape(x.shape[0], -1)                     # (B, 64)
    h = nn.relu(h @ params["W"] + params["b"])
    return h @ params["V"] + params["d"]


def loss_fn(params, x, y):
    return np.mean(nn.softmax_cross_entropy_with_integer_labels(forward(params, x), y))


def accuracy(params, x, y):
    return float(np.mean(np.argmax(forward(params, x), axis=1) == y))


def conv2d_loops(x, kernel, bias):
    """The definition, with loops, to check im2col against."""
    k = kernel.shape[0]
    out = np.zeros((x.shape[0], x.shape[1] - k + 1, x.shape[2] - k + 1, kernel.shape[3]))
    for i in range(out.shape[1]):
        for j in range(out.shape[2]):
            window = x[:, i:i + k, j:j + k, :]
            out[:, i, j, :] = np.einsum("bijc,ijco->bo", window, kernel)
    return out + bias


def main():
    images, labels = load_digits_or_exit("cnn.py")
    x_all = images[..., None]                                    # NHWC
    rng = np.random.default_rng(1)
    order = rng.permutation(len(x_all))
    test, train = order[:360], order[360:]
    x_tr, y_tr, x_te, y_te = x_all[train], labels[train], x_all[test], labels[test]
    params = init_params(rng)

    err = np.max(np.abs(conv2d(x_tr[:4], params["k1"], params["c1"])
                        - conv2d_loops(x_tr[:4], params["k1"], params["c1"])))
    log(f"im2col convolution vs loops: max |difference| = {err:.1e}")
    # the kernel gradient is itself a correlation: dL/dk[i,j] = sum_b,h,w x[b,h+i,w+j] g[b,h,w]
    g = np.random.default_rng(2).normal(size=(4, 6, 6, 8))
    dk = funcad.grad(lambda k: np.sum(conv2d(x_tr[:4], k, params["c1"]) * g))(params["k1"])
    dk_formula = np.einsum("bhwpc,bhwo->pco", im2col(x_tr[:4], 3), g).reshape(3, 3, 1, 8)
    log(f"kernel gradient vs correlation formula: max |difference| = "
        f"{np.max(np.abs(dk - dk_formula)):.1e}")

    n_steps = steps(400, 3)
    opt = optim.adam(optim.warmup_cosine_decay_schedule(0.0, 3e-3, n_steps // 10, n_steps))
    state = opt.init(params)
    value_and_grad = funcad.value_and_grad(loss_fn)
    for t in range(n_steps):
        idx = rng.integers(0, len(train), BATCH)
        loss, grads = value_and_grad(params, x_tr[idx], y_tr[idx])
        updates, state = opt.update(grads, state, params)
        params = optim.apply_updates(params, updates)
        if t % 100 == 0 or t == n_steps - 1:
            log(f"step {t:4d}  loss {float(loss):.4f}  test acc {accuracy(params, x_te, y_te):.4f}")
    test_acc = accuracy(params, x_te, y_te)
    print(f"test accuracy: {test_acc:.4f}")

    plt = pyplot()
    if plt is not None:
        fig, axes = plt.subplots(1, 8, figsize=(12, 2))
        for f, ax in enumerate(axes):
            ax.imshow(params["k1"][:, :, 0, f], cmap="RdBu")
            ax.set_title(f"filter {f}")
            ax.axis("off")
        save(fig, "cnn.png")
    return test_acc


if __name__ == "__main__":
    main()
