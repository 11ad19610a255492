"""Black-box variational inference on two 2-D targets, with an autograd-style adam driver.

`black_box_variational_inference(logprob, D)` needs only a log-density: it fits a
mean-field Gaussian q = N(mean, diag(exp(2 log_sd))) by maximising the ELBO,
E_q[logprob(z)] + entropy(q), estimated with the reparameterisation trick
(z = mean + exp(log_sd) * eps, eps from funcad.numpy.random: draws are constants, the
gradient flows through the formula). The gradient is funcad.grad of the estimate, and
the optimiser is autograd's `adam(grad, x0, callback=..., num_iters=..., step_size=...)`
from funcad.compat.autograd, which calls grad(params, i) with a fresh draw each step.

Two targets:
  * a correlated Gaussian N(m, Sigma): the mean-field optimum is known in closed form
    (mean m, sd_i = 1 / sqrt((Sigma^-1)_ii)), so the script prints what VI learned next
    to it;
  * Neal's funnel, log_sd ~ N(0, 1.35), x ~ N(0, exp(log_sd)) (funcad.scipy.stats.norm
    densities, the target of autograd's example): a shape a Gaussian cannot match.

Run: python examples/black_box_svi.py     (needs SciPy; ~5 s; saves black_box_svi.png when
matplotlib is installed)
"""

from __future__ import annotations

from _common import pyplot, save, steps  # first: sets BLAS threads

import funcad as fad
import funcad.numpy as np
import funcad.numpy.random as npr
from funcad.compat.autograd.misc.optimizers import adam
from funcad.scipy.stats import multivariate_normal, norm


def black_box_variational_inference(logprob, D, num_samples, rs):
    """(elbo_estimate, its gradient) for a mean-field Gaussian over R^D.

    ``params`` is {"mean": (D,), "log_sd": (D,)}; ``logprob`` maps (S, D) samples to (S,)
    log-densities (unnormalised is fine)."""
    def entropy(log_sd):
        return 0.5 * D * (1.0 + np.log(2 * np.pi)) + np.sum(log_sd)

    def elbo(params, eps):
        samples = params["mean"] + np.exp(params["log_sd"]) * eps
        return np.mean(logprob(samples)) + entropy(params["log_sd"])

    def gradient(params, i):
        return fad.grad(lambda p: -elbo(p, rs.randn(num_samples, D)))(params)

    return elbo, gradient


def fit(logprob, rs, n_iters, label):
    elbo, gradient = black_box_variational_inference(logprob, 2, num_samples=256, rs=rs)
    params = {"mean": np.array([1.0, -1.0]), "log_sd": np.zeros(2)}
    eval_eps = rs.randn(2000, 2)                   # fixed draws, to compare before and after
    history = []

    def callback(params, i, g):
        if i % 50 == 0:
            history.append((i, float(elbo(params, eval_eps))))

    start = float(elbo(params, eval_eps))
    params = adam(gradient, params, callback=callback, num_iters=n_iters, step_size=0.02)
    end = float(elbo(params, eval_eps))
    print(f"{label}: ELBO start {start:.3f}, end {end:.3f}")
    return params, history


def main(n_iters=None):
    rs = npr.RandomState(0)
    n_iters = n_iters or steps(1000, 10)

    m = np.array([0.5, -0.3])
    Sigma = np.array([[1.0, 0.8], [0.8, 1.0]])
    gaussian = lambda z: multivariate_normal.logpdf(z, m, Sigma)
    q_gauss, hist_gauss = fit(gaussian, rs, n_iters, "correlated Gaussian")
    optimum_sd = 1.0 / np.sqrt(np.diag(np.linalg.inv(Sigma)))
    sd = np.exp(q_gauss["log_sd"])
    print(f"  mean: learned {np.round(q_gauss['mean'], 3)}, optimum {m}")
    print(f"  sd:   learned {np.round(sd, 3)}, optimum {np.round(optimum_sd, 3)} "
          f"(the marginal sd is 1: mean-field VI is overconfident)")

    def funnel(z):
        log_sd, x = z[:, 0], z[:, 1]
        return norm.logpdf(log_sd, 0.0, 1.35) + norm.logpdf(x, 0.0, np.exp(log_sd))

    q_funnel, hist_funnel = fit(funnel, rs, n_iters, "Neal's funnel")
    print(f"  q: mean {np.round(q_funnel['mean'], 3)}, "
          f"sd {np.round(np.exp(q_funnel['log_sd']), 3)} (the marginal sd of log_sd is 1.35)")

    plt = pyplot()
    if plt is not None:
        fig, axes = plt.subplots(1, 3, figsize=(13, 4))
        for h, label in [(hist_gauss, "correlated Gaussian"), (hist_funnel, "funnel")]:
            axes[0].plot(*zip(*h), "o-", label=label)
        axes[0].set(xlabel="iteration", ylabel="ELBO", title="black-box SVI")
        axes[0].legend()
        g = np.linspace(-3, 3, 121)
        X, Y = np.meshgrid(g, g)
        grid = np.stack([X.ravel(), Y.ravel()], axis=1)
        for ax, target, q, title in [(axes[1], gaussian, q_gauss, "correlated Gaussian"),
                                     (axes[2], funnel, q_funnel, "Neal's funnel")]:
            ax.contour(X, Y, np.exp(target(grid)).reshape(X.shape), 8, colors="k")
            qd = np.sum(norm.logpdf(grid, q["mean"], np.exp(q["log_sd"])), axis=1)
            ax.contour(X, Y, np.exp(qd).reshape(X.shape), 8, colors="C1")
            ax.set(title=f"{title}: target (black), q (orange)")
        save(fig, "black_box_svi.png")
    return {"mean": q_gauss["mean"], "sd": sd, "optimum_sd": optimum_sd, "m": m}


if __name__ == "__main__":
    main()
