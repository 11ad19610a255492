"""Learning-rate schedules and gradient clipping with funcad.optim.

1. Schedules are functions ``step -> learning rate``; the script prints and
   plots six of them.
2. Why decay? Minibatch SGD on a noisy least-squares problem. With a constant
   step the iterate keeps bouncing in a noise ball whose size is proportional
   to the step; decaying the step (cosine, or warmup + cosine) shrinks the
   ball and ends much closer to the least-squares solution.
3. Why clip? On a steep quartic ``f(p) = 25 (|p|^2 - 1)^2 + p_1^2``
   started far out, the first gradient is in the thousands, and plain SGD
   overshoots and diverges. ``clip_by_global_norm(1)`` caps every step at
   ``lr * 1`` and the same SGD converges to the minimum at (1, 0).

Run:  python examples/schedules_clipping.py      (~10 s; saves schedules_clipping.png)
"""

from __future__ import annotations

from _common import log, pyplot, save, steps  # first: sets BLAS threads

import numpy as np

import funcad
from funcad import optim


def show_schedules(n):
    scheds = {
        "constant 0.1": optim.constant_schedule(0.1),
        "exponential_decay": optim.exponential_decay(0.1, transition_steps=n // 10,
                                                     decay_rate=0.7),
        "cosine_decay": optim.cosine_decay_schedule(0.1, decay_steps=n),
        "warmup_cosine_decay": optim.warmup_cosine_decay_schedule(0.0, 0.1, n // 10, n),
        "piecewise_constant": optim.piecewise_constant_schedule(0.1, {n // 2: 0.1,
                                                                      3 * n // 4: 0.1}),
        "cosine_onecycle": optim.cosine_onecycle_schedule(n, 0.1),
    }
    marks = [0, n // 10, n // 4, n // 2, 3 * n // 4, n - 1]
    print(f"{'schedule':22s}" + "".join(f"{'step ' + str(m):>12s}" for m in marks))
    for name, s in scheds.items():
        print(f"{name:22s}" + "".join(f"{s(m):12.5f}" for m in marks))
    return scheds


def least_squares_run(schedule, n_steps, data, seed):
    x, y = data
    rng = np.random.default_rng(seed)
    loss = lambda w, xb, yb: np.mean((xb @ w - yb) ** 2)      # noqa: E731
    grad = funcad.grad(loss)
    opt = optim.sgd(schedule)
    w = np.zeros(x.shape[1])
    state = opt.init(w)
    for _ in range(n_steps):
        idx = rng.integers(0, len(x), 8)                         # small, noisy minibatches
        updates, state = opt.update(grad(w, x[idx], y[idx]), state, w)
        w = optim.apply_updates(w, updates)
    return w


def quartic(p):
    return 25 * (np.sum(p ** 2) - 1) ** 2 + p[1] ** 2


def descend(opt, n_steps):
    p = np.array([3.0, 2.0])
    state = opt.init(p)
    grad = funcad.grad(quartic)
    values = []
    with np.errstate(over="ignore", invalid="ignore"):         # the unclipped run blows up
        for t in range(n_steps):
            value = float(quartic(p))
            values.append(value)
            if not np.isfinite(value) or value > 1e12:
                return p, values, t
            updates, state = opt.update(grad(p), state, p)
            p = optim.apply_updates(p, updates)
    return p, values, None


def main():
    n = steps(2000, 20)
    scheds = show_schedules(n)

    # -- 2. constant vs decaying step on noisy least squares -----------------------------
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 10))
    y = x @ rng.normal(size=10) + 0.5 * rng.normal(size=500)
    w_star = np.linalg.lstsq(x, y, rcond=None)[0]
    for name in ("constant 0.1", "cosine_decay", "warmup_cosine_decay"):
        errs = [np.linalg.norm(least_squares_run(scheds[name], n, (x, y), seed) - w_star)
                for seed in range(3)]
        log(f"least squares, SGD with {name:20s}: |w - w*| = {np.mean(errs):.2e} "
            f"(mean of 3 runs)")

    # -- 3. clipping ----------------------------------------------------------------------
    lr, m = 0.008, steps(1000, 20)
    _, plain, blew_up = descend(optim.sgd(lr), m)
    p, clipped, _ = descend(optim.chain(optim.clip_by_global_norm(1.0), optim.sgd(lr)), m)
    g0 = np.linalg.norm(funcad.grad(quartic)(np.array([3.0, 2.0])))
    log(f"quartic: |gradient| at the start = {g0:.0f}")
    log("plain SGD:   " + (f"diverged at step {blew_up} (f = {plain[-1]:.1e})" if blew_up
                           is not None else f"f = {plain[-1]:.2e} after {m} steps"))
    log(f"clipped SGD: f = {clipped[-1]:.2e} after {m} steps, at p = {np.round(p, 4)}")

    plt = pyplot()
    if plt is not None:
        fig, axes = plt.subplots(1, 2, figsize=(12, 4))
        t = np.arange(n)
        for name, s in scheds.items():
            axes[0].plot(t, [s(i) for i in t], label=name)
        axes[0].set(xlabel="step", ylabel="learning rate", title="schedules")
        axes[0].legend(fontsize=8)
        axes[1].semilogy(plain, "r-", label="SGD")
        axes[1].semilogy(clipped, "b-", label="clip_by_global_norm(1) + SGD")
        axes[1].set(xlabel="step", ylabel="f", title="gradient clipping on a steep quartic")
        axes[1].legend()
        save(fig, "schedules_clipping.png")


if __name__ == "__main__":
    main()
