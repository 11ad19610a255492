"""A tiny convnet built on funcad.scipy.signal.convolve2d, on synthetic images of strokes.

Each 12x12 image holds one short stroke (horizontal, vertical, or one of the two
diagonals) at a random place, plus pixel noise; the class is the stroke's direction. The
network is

    convolve2d with 8 learned 3x3 kernels -> relu -> global max-pool -> dense -> 4 logits

where the convolution layer is SciPy's call spelled with funcad's module,
`signal.convolve2d(image, kernel, mode="valid")` from funcad.scipy, mapped over the batch
and the kernels with two nested funcad.vmap's. funcad differentiates it in the kernels
(its transpose is again a convolution) and funcad.optim.adam trains the network. Before
training, the script checks the gradient against finite differences (fad.check_grads,
both modes).

It prints the loss and the test accuracy before and after training (about 94%: the
noise hides some strokes), and how strongly each learned kernel responds to each stroke
direction (orientation-selective kernels appear without being asked for). No optional
dependency beyond SciPy: the data are generated here.

Run: python examples/convnet_signal.py     (needs SciPy; ~6 s; saves convnet_signal.png
when matplotlib is installed)
"""

from __future__ import annotations

from _common import QUICK, log, pyplot, save, steps  # first: sets BLAS threads

import funcad as fad
import funcad.numpy as np
import funcad.numpy.random as npr
from funcad import nn, optim
from funcad.scipy import signal

SIZE = 12            # image side
KERNELS = 8
CLASSES = ["horizontal", "vertical", "diagonal \\", "diagonal /"]
STROKES = [(0, 1), (1, 0), (1, 1), (1, -1)]   # (row step, column step) of each class


def make_images(rs, n, noise=0.3):
    """n images (n, SIZE, SIZE) of one random stroke of length 5 each, and the labels."""
    labels = rs.randint(0, len(CLASSES), n)
    images = noise * rs.randn(n, SIZE, SIZE)
    for img, label in zip(images, labels):
        dr, dc = STROKES[label]
        r0 = rs.randint(0, SIZE - 4 * dr) if dr else rs.randint(0, SIZE)
        c0 = rs.randint(4, SIZE - 4) if dc < 0 else rs.randint(0, SIZE - 4 * dc)
        for t in range(5):
            img[r0 + t * dr, c0 + t * dc] += 1.0
    return images, labels


# convolve2d of one image with one kernel, mapped over the kernels, then over the images
conv_layer = fad.vmap(fad.vmap(lambda image, kernel: signal.convolve2d(image, kernel,
                                                                       mode="valid"),
                               in_axes=(None, 0)), in_axes=(0, None))


def forward(params, images):
    """Logits (B, 4) for images (B, SIZE, SIZE)."""
    h = nn.relu(conv_layer(images, params["kernels"]) + params["bias"][:, None, None])
    h = np.max(h, axis=(2, 3))           # global max-pool: where the stroke is does not matter
    return h @ params["W"] + params["c"]


def loss_fn(params, images, labels):
    return np.mean(nn.softmax_cross_entropy_with_integer_labels(forward(params, images), labels))


def accuracy(params, images, labels):
    return float(np.mean(np.argmax(forward(params, images), axis=1) == labels))


def init_params(rs):
    n_features = KERNELS
    return {"kernels": 0.5 * rs.randn(KERNELS, 3, 3), "bias": np.zeros(KERNELS),
            "W": rs.randn(n_features, len(CLASSES)) / np.sqrt(n_features),
            "c": np.zeros(len(CLASSES))}


def main(n_iters=None):
    rs = npr.RandomState(0)
    x_tr, y_tr = make_images(rs, 2000)
    x_te, y_te = make_images(rs, 500)
    log(f"data: {len(x_tr)} training and {len(x_te)} test images of {SIZE}x{SIZE} pixels, "
        f"{len(CLASSES)} stroke directions")
    params = init_params(rs)

    # the kernel gradient through vmap(vmap(convolve2d)) against finite differences
    fad.check_grads(lambda kernels: loss_fn(dict(params, kernels=kernels), x_tr[:8], y_tr[:8]),
                    (params["kernels"],), order=1, modes=("fwd", "rev"))
    log("the gradient in the kernels agrees with finite differences (forward and reverse)")

    start_loss, start_acc = float(loss_fn(params, x_te, y_te)), accuracy(params, x_te, y_te)
    n_iters = n_iters or steps(400, 5)
    opt = optim.adam(optim.cosine_decay_schedule(0.02, n_iters))
    state = opt.init(params)
    step = fad.value_and_grad(loss_fn)
    history = []
    for i in range(n_iters):
        idx = rs.randint(0, len(x_tr), 64)
        loss, g = step(params, x_tr[idx], y_tr[idx])
        updates, state = opt.update(g, state, params)
        params = optim.apply_updates(params, updates)
        history.append(float(loss))
        if i % 100 == 0 or i == n_iters - 1:
            log(f"step {i:4d}  minibatch loss {float(loss):.4f}")
    end_loss, end_acc = float(loss_fn(params, x_te, y_te)), accuracy(params, x_te, y_te)
    print(f"test loss: start {start_loss:.3f}, end {end_loss:.3f}")
    print(f"test accuracy: start {start_acc:.3f}, end {end_acc:.3f}")

    # what each kernel learned: its largest response (after relu) to a clean stroke of each class
    clean = np.zeros((len(CLASSES), SIZE, SIZE))
    for label, (dr, dc) in enumerate(STROKES):
        for t in range(5):
            clean[label, 4 + t * dr, 6 + t * dc if dc >= 0 else 8 - t] = 1.0
    response = np.max(nn.relu(conv_layer(clean, params["kernels"])
                               + params["bias"][:, None, None]), axis=(2, 3))   # (4, KERNELS)
    print("largest response of each kernel to a clean stroke (rows: " + ", ".join(CLASSES) + ")")
    for name, row in zip(CLASSES, response):
        print(f"  {name:11s} " + " ".join(f"{float(v):5.2f}" for v in row))

    plt = pyplot()
    if plt is not None:
        fig, axes = plt.subplots(2, KERNELS + 1, figsize=(13, 3.6),
                                 gridspec_kw={"width_ratios": [4] + [1] * KERNELS})
        gs = axes[0, 0].get_gridspec()
        for ax in axes[:, 0]:
            ax.remove()
        ax = fig.add_subplot(gs[:, 0])
        ax.plot(history)
        ax.set(xlabel="step", ylabel="minibatch loss", yscale="log", title="training")
        for k in range(KERNELS):
            axes[0, k + 1].imshow(params["kernels"][k], cmap="RdBu_r")
            axes[0, k + 1].set_title(f"kernel {k}", fontsize=8)
            axes[0, k + 1].axis("off")
            axes[1, k + 1].bar(range(len(CLASSES)), response[:, k])
            axes[1, k + 1].set_xticks(range(len(CLASSES)), ["-", "|", "\\", "/"])
            axes[1, k + 1].set_yticks([])
        save(fig, "convnet_signal.png")
    return {"start_acc": start_acc, "end_acc": end_acc, "start_loss": start_loss,
            "end_loss": end_loss, "quick": QUICK}


if __name__ == "__main__":
    main()
