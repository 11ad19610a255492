"""Bayesian optimisation: a GP surrogate and expected improvement, maximised by its gradient.

To minimise an expensive 1-D function with few evaluations, fit a Gaussian process to the
points seen so far and evaluate next where the expected improvement over the best value
y* is largest:

    EI(x) = (y* - mu(x)) Phi(z) + sd(x) phi(z),    z = (y* - mu(x)) / sd(x),

with mu, sd the GP posterior and Phi, phi = funcad.scipy.stats.norm.cdf, .pdf. EI is
maximised by L-BFGS-B from several starting points, with its gradient from fad.grad
(through the GP posterior's linear solves and the normal cdf). The kernel's
hyperparameters are refitted at every step by maximising the marginal likelihood
(funcad.scipy.stats.multivariate_normal.logpdf), also with a funcad gradient.

It prints each evaluation and compares the best point found after 3 random and 12
chosen evaluations with the global minimum (found by brute force on a fine grid: 2000
evaluations).

Run: python examples/bayesian_optimization.py     (needs SciPy; ~5 s; saves
bayesian_optimization.png when matplotlib is installed)
"""

from __future__ import annotations

from _common import log, pyplot, save, steps  # first: sets BLAS threads

import scipy.optimize

import funcad as fad
import funcad.numpy as np
import funcad.numpy.random as npr
from funcad.scipy.stats import multivariate_normal, norm

LO, HI = -2.0, 2.0


def objective(x):
    """The 'expensive' function: several local minima on [-2, 2]."""
    return np.sin(3 * x) + 0.3 * x ** 2 - 0.5 * np.cos(7 * x)


def rbf(xa, xb, log_s, log_l):
    return np.exp(2 * log_s) * np.exp(-0.5 * ((xa[:, None] - xb[None, :]) / np.exp(log_l)) ** 2)


def fit_kernel(x, y):
    """(log s, log l) maximising the marginal likelihood of y (constant mean: y's mean)."""
    def nll(h):
        cov = rbf(x, x, h[0], h[1]) + 1e-6 * np.eye(len(x))
        return -multivariate_normal.logpdf(y, np.full(len(x), np.mean(y)), cov)
    res = scipy.optimize.minimize(nll, np.array([0.0, -1.0]), jac=fad.grad(nll),
                                  method="L-BFGS-B", bounds=[(-3, 3), (-3, 1)])
    return res.x


def posterior(x_new, x, y, h):
    K = rbf(x, x, h[0], h[1]) + 1e-6 * np.eye(len(x))
    k = rbf(x_new, x, h[0], h[1])
    m = np.mean(y)
    mean = m + k @ np.linalg.solve(K, y - m)
    var = np.exp(2 * h[0]) - np.sum(k * np.linalg.solve(K, k.T).T, axis=1)
    return mean, np.sqrt(np.maximum(var, 1e-12))


def expected_improvement(x_new, x, y, h):
    mean, sd = posterior(x_new, x, y, h)
    z = (np.min(y) - mean) / sd
    return (np.min(y) - mean) * norm.cdf(z) + sd * norm.pdf(z)


def next_point(x, y, h, rs):
    """argmax EI by L-BFGS-B from 10 random starts, the gradient by fad.grad."""
    neg_ei = lambda u: -expected_improvement(u, x, y, h)[0]
    best = None
    for u0 in rs.uniform(LO, HI, 10):
        res = scipy.optimize.minimize(neg_ei, np.array([u0]), jac=fad.grad(neg_ei),
                                      method="L-BFGS-B", bounds=[(LO, HI)])
        if best is None or res.fun < best.fun:
            best = res
    return float(best.x[0])


def main(n_evals=None):
    rs = npr.RandomState(0)
    x = rs.uniform(LO, HI, 3)
    y = objective(x)
    n_evals = n_evals or steps(12, 2)
    for i in range(n_evals):
        h = fit_kernel(x, y)
        u = next_point(x, y, h, rs)
        x, y = np.append(x, u), np.append(y, objective(u))
        log(f"evaluation {i + 1:2d}: x = {u:+.4f}, f(x) = {float(y[-1]):+.4f}, "
            f"best so far {float(np.min(y)):+.4f}")

    grid = np.linspace(LO, HI, 2000)
    true_min = float(np.min(objective(grid)))
    x_best = float(x[np.argmin(y)])
    print(f"best after {len(x)} evaluations: f({x_best:+.4f}) = {float(np.min(y)):+.4f}; "
          f"global minimum on a 2000-point grid: f({float(grid[np.argmin(objective(grid))]):+.4f})"
          f" = {true_min:+.4f}")

    plt = pyplot()
    if plt is not None:
        h = fit_kernel(x, y)
        mean, sd = posterior(grid, x, y, h)
        fig, axes = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
        axes[0].plot(grid, objective(grid), "k--", label="objective")
        axes[0].plot(grid, mean, label="GP mean")
        axes[0].fill_between(grid, mean - 2 * sd, mean + 2 * sd, alpha=0.2)
        axes[0].plot(x, y, "rx", label="evaluations")
        axes[0].legend(fontsize=8)
        axes[1].plot(grid, expected_improvement(grid, x, y, h))
        axes[1].set(xlabel="x", ylabel="expected improvement")
        save(fig, "bayesian_optimization.png")
    return {"best": float(np.min(y)), "true_min": true_min}


if __name__ == "__main__":
    main()
