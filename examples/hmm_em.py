"""EM for a hidden Markov model, with the E-step as the gradient of the log-likelihood.

For an HMM with initial distribution pi, transition matrix A and emission matrix B, the
forward algorithm computes log Z = log p(x_1..T) as a log-sum-exp recursion. Read as a
function of *unnormalised* log-parameters (log pi, log A, log B), log Z is the
log-partition function of an exponential family whose sufficient statistics are the
counts of initial states, transitions and emissions, so its gradient is their
expectation under the posterior over hidden paths:

    d log Z / d log A[i, j] = E[#transitions i -> j | x],   likewise for pi and B.

So the whole E-step (what forward-backward computes) is one funcad.grad of the forward
recursion, and the M-step normalises the expected counts. The script checks the
gradient against the textbook forward-backward algorithm first. The recursion runs on all
sequences at once, with funcad.scipy.special.logsumexp.

The data are sequences sampled from a known 2-state HMM with 3 symbols. The script prints
the log-likelihood at each EM iteration (it never decreases) and the learned A and B next
to the true ones (states matched by their emissions).

Run: python examples/hmm_em.py     (needs SciPy; ~3 s; saves hmm_em.png when matplotlib
is installed)
"""

from __future__ import annotations

from _common import log, pyplot, save, steps  # first: sets BLAS threads

import funcad as fad
import funcad.numpy as np
import funcad.numpy.random as npr
from funcad.scipy.special import logsumexp

TRUE_PI = np.array([0.6, 0.4])
TRUE_A = np.array([[0.9, 0.1], [0.2, 0.8]])
TRUE_B = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])


def log_partition(log_params, x):
    """sum over sequences of log p(x) by the forward recursion; x is (S, T) ints.

    The log-parameters need not be normalised: the gradient then counts expectations."""
    log_pi, log_A, log_B = log_params
    emit = np.moveaxis(log_B[:, x], 0, -1)                  # (S, T, K): log B[k, x[s, t]]
    log_alpha = log_pi + emit[:, 0]
    for t in range(1, x.shape[1]):
        log_alpha = logsumexp(log_alpha[:, :, None] + log_A, axis=1) + emit[:, t]
    return np.sum(logsumexp(log_alpha, axis=1))


def em_step(params, x):
    """One EM iteration: expected counts by fad.grad, then normalise them."""
    log_params = tuple(np.log(p) for p in params)
    log_z, counts = fad.value_and_grad(log_partition)(log_params, x)
    return tuple(c / c.sum(axis=-1, keepdims=True) for c in counts), float(log_z)


def forward_backward_counts(params, x):
    """The same expected counts by the textbook (scaled) forward-backward algorithm."""
    pi, A, B = params
    c_pi, c_A, c_B = np.zeros_like(pi), np.zeros_like(A), np.zeros_like(B)
    for seq in x:
        T = len(seq)
        alpha, beta = np.zeros((T, 2)), np.ones((T, 2))
        alpha[0] = pi * B[:, seq[0]]
        alpha[0] /= alpha[0].sum()
        for t in range(1, T):
            alpha[t] = (alpha[t - 1] @ A) * B[:, seq[t]]
            alpha[t] /= alpha[t].sum()
        for t in range(T - 2, -1, -1):
            beta[t] = A @ (B[:, seq[t + 1]] * beta[t + 1])
            beta[t] /= beta[t].sum()
        gamma = alpha * beta
        gamma /= gamma.sum(axis=1, keepdims=True)
        c_pi += gamma[0]
        for t in range(T - 1):
            xi = alpha[t][:, None] * A * (B[:, seq[t + 1]] * beta[t + 1])[None, :]
            c_A += xi / xi.sum()
        for t in range(T):
            c_B[:, seq[t]] += gamma[t]
    return c_pi, c_A, c_B


def sample(rs, n_seq, length):
    x = np.zeros((n_seq, length), dtype=int)
    for s in range(n_seq):
        z = rs.choice(2, p=TRUE_PI)
        for t in range(length):
            x[s, t] = rs.choice(3, p=TRUE_B[z])
            z = rs.choice(2, p=TRUE_A[z])
    return x


def main(n_iters=None):
    rs = npr.RandomState(0)
    x = sample(rs, 20, 100)
    log(f"data: {x.shape[0]} sequences of {x.shape[1]} symbols from a 2-state HMM")

    params = (np.full(2, 0.5), np.array([[0.6, 0.4], [0.4, 0.6]]),
              np.array([[0.4, 0.3, 0.3], [0.3, 0.3, 0.4]]))
    # the E-step by fad.grad against forward-backward, on the initial parameters
    counts = fad.grad(log_partition)(tuple(np.log(p) for p in params), x)
    by_hand = forward_backward_counts(params, x)
    diff = max(float(np.max(np.abs(a - b) / np.maximum(1.0, np.abs(b))))
               for a, b in zip(counts, by_hand))
    log(f"expected counts, fad.grad vs forward-backward: max |difference| = {diff:.1e} "
        "(relative)")
    if diff > 1e-12:
        raise SystemExit(f"the gradient of log Z is not the expected counts ({diff:.1e})")

    history = []
    for i in range(n_iters or steps(60, 3)):
        params, log_z = em_step(params, x)
        history.append(log_z)
        if i % 10 == 0:
            log(f"EM iteration {i:3d}  log-likelihood {log_z:.4f}")
    final = float(log_partition(tuple(np.log(p) for p in params), x))
    print(f"log-likelihood: start {history[0]:.3f}, end {final:.3f} after {len(history)} "
          f"EM iterations; never decreased: {bool(np.all(np.diff(history) > -1e-8))}")

    _, A, B = params
    order = np.argsort(-B[:, 0])                # state 0 is the one that emits symbol 0 most
    A, B = A[np.ix_(order, order)], B[order]
    print(f"transition matrix: learned {np.round(A, 3).tolist()}, true {TRUE_A.tolist()}")
    print(f"emission matrix:   learned {np.round(B, 3).tolist()}, true {TRUE_B.tolist()}")
    err = float(max(np.max(np.abs(A - TRUE_A)), np.max(np.abs(B - TRUE_B))))
    print(f"largest error in A and B: {err:.3f}")

    plt = pyplot()
    if plt is not None:
        fig, axes = plt.subplots(1, 3, figsize=(12, 3.5))
        axes[0].plot(history, "o-", ms=3)
        axes[0].set(xlabel="EM iteration", ylabel="log-likelihood", title="EM")
        for ax, learned, true, title in [(axes[1], A, TRUE_A, "A"), (axes[2], B, TRUE_B, "B")]:
            ax.imshow(np.concatenate([true, learned], axis=0), cmap="viridis", vmin=0, vmax=1)
            ax.set(title=f"{title}: true (top), learned (bottom)", xticks=[], yticks=[])
        save(fig, "hmm_em.png")
    return {"A": A, "B": B, "err": err, "history": history}


if __name__ == "__main__":
    main()
