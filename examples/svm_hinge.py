"""A linear support vector machine trained with the hinge loss.

The soft-margin SVM minimises

    J(w, b) = lam/2 |w|^2 + mean_i max(0, 1 - y_i (w . x_i + b)),     y_i in {-1, +1}

a convex but non-smooth objective. funcad.grad returns a *subgradient*:
at the kink (margin exactly 1) ``nn.hinge_loss`` uses 0, and elsewhere the
gradient of a point's loss is ``-y_i x_i`` if it violates the margin and 0
otherwise, so only margin violators push on the boundary. The script checks
this formula against funcad, trains with subgradient descent (SGD with a
1/sqrt(t)-style decaying step), and reports the margin and support vectors.

Run:  python examples/svm_hinge.py       (a few seconds; saves svm_hinge.png)
"""

from __future__ import annotations

from _common import log, pyplot, save, steps  # first: sets BLAS threads

import numpy as np

import funcad
from funcad import nn, optim

LAM = 1e-2


def make_data(rng, n=200):
    """Two overlapping Gaussian blobs in 2-D, labels -1 / +1."""
    y = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    x = rng.normal(size=(n, 2)) * 0.8 + y[:, None] * np.array([1.2, 0.8])
    return x, y


def objective(params, x, y):
    scores = x @ params["w"] + params["b"]
    return 0.5 * LAM * np.sum(params["w"] ** 2) + np.mean(nn.hinge_loss(scores, y))


def subgradient_by_hand(params, x, y):
    violators = (y * (x @ params["w"] + params["b"])) < 1
    gw = LAM * params["w"] - np.mean((violators * y)[:, None] * x, axis=0)
    gb = -np.mean(violators * y)
    return {"w": gw, "b": gb}


def main():
    rng = np.random.default_rng(0)
    x, y = make_data(rng)
    x_test, y_test = make_data(np.random.default_rng(1), 1000)
    params = {"w": np.zeros(2), "b": np.zeros(())}

    probe = {"w": np.array([0.3, -0.2]), "b": np.array(0.1)}
    auto, hand = funcad.grad(objective)(probe, x, y), subgradient_by_hand(probe, x, y)
    log(f"hinge subgradient, funcad vs by hand: max |difference| = "
        f"{max(np.max(np.abs(auto[k] - hand[k])) for k in auto):.1e}")

    n_steps = steps(2000, 5)
    # decaying step sizes are what make subgradient descent converge on a non-smooth objective
    schedule = optim.polynomial_schedule(0.5, 0.005, power=0.5, transition_steps=n_steps)
    opt = optim.sgd(schedule)
    state = opt.init(params)
    value_and_grad = funcad.value_and_grad(objective)
    best = (np.inf, params)
    for t in range(n_steps):
        value, grads = value_and_grad(params, x, y)
        if value < best[0]:
            best = (float(value), params)           # subgradient steps are not monotone
        updates, state = opt.update(grads, state, params)
        params = optim.apply_updates(params, updates)
        if t % 400 == 0 or t == n_steps - 1:
            log(f"step {t:5d}  objective {float(value):.5f}")
    value, params = best
    w, b = params["w"], float(params["b"])
    margins = y * (x @ w + b)
    n_sv = int(np.sum(margins <= 1 + 1e-6))
    acc = float(np.mean(np.sign(x_test @ w + b) == y_test))
    print(f"objective {value:.5f}  w = {np.round(w, 3)}  b = {b:.3f}  margin width "
          f"2/|w| = {2 / np.linalg.norm(w):.3f}  support vectors {n_sv}/{len(y)}  "
          f"test accuracy {acc:.3f}")
    try:                          # the same problem solved by libsvm: C = 1 / (lam n)
        from sklearn.svm import SVC
        ref = SVC(kernel="linear", C=1 / (LAM * len(y))).fit(x, y)
        log(f"scikit-learn SVC: w = {np.round(ref.coef_[0], 3)}  b = {ref.intercept_[0]:.3f}")
    except ImportError:
        pass

    plt = pyplot()
    if plt is not None:
        fig, ax = plt.subplots(figsize=(5.5, 5))
        ax.scatter(x[:, 0], x[:, 1], c=y, cmap="coolwarm", s=12)
        sv = margins <= 1 + 1e-6
        ax.scatter(x[sv, 0], x[sv, 1], s=60, facecolors="none", edgecolors="k", lw=0.6,
                   label="support vectors (margin <= 1)")
        xs = np.linspace(x[:, 0].min(), x[:, 0].max(), 50)
        for level, style in ((0, "k-"), (1, "k--"), (-1, "k--")):
            ax.plot(xs, (level - b - w[0] * xs) / w[1], style, lw=1)
        ax.set(ylim=(x[:, 1].min() - 0.5, x[:, 1].max() + 0.5),
               title="linear SVM (hinge loss, subgradient descent)")
        ax.legend(loc="lower right", fontsize=8)
        save(fig, "svm_hinge.png")
    return acc


if __name__ == "__main__":
    main()
