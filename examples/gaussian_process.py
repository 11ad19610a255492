"""Gaussian-process regression: kernel hyperparameters by maximising the marginal likelihood.

The data are noisy observations of independent draws of a GP with a squared-exponential
kernel

    k(x, x') = s^2 exp(-(x - x')^2 / (2 l^2)),   y = f(x) + N(0, sigma^2) noise,

with known (s, l, sigma) and a constant mean c. Integrating f out, y is a multivariate
normal with covariance K + sigma^2 I, so the log marginal likelihood is one call to
funcad.scipy.stats.multivariate_normal.logpdf. funcad.grad differentiates it in
(c, log s, log l, log sigma) (through the Cholesky factorisation inside the density), and
scipy.optimize.minimize (L-BFGS-B, jac= the funcad gradient) maximises it. Before
fitting, the script checks the gradient against finite differences (fad.check_grads).

It prints the marginal likelihood before and after, the learned hyperparameters next to
the true ones (the mean c is the least determined: with 8 draws of a process whose
values correlate over ~l, its standard error is about 0.2), and the error of the
posterior mean of the first draw against the noiseless function.

Run: python examples/gaussian_process.py    (needs SciPy; ~2 s; saves gaussian_process.png
when matplotlib is installed)
"""

from __future__ import annotations

from _common import log, pyplot, save  # first: sets BLAS threads

import scipy.optimize

import funcad as fad
import funcad.numpy as np
import funcad.numpy.random as npr
from funcad.scipy.stats import multivariate_normal

NAMES = ["mean c", "output scale s", "length scale l", "noise sd sigma"]
TRUE = np.array([0.5, 1.3, 0.6, 0.1])   # c, s, l, sigma
REPLICATES = 8                           # independent draws observed at the same inputs


def unpack(theta):
    """(c, s, l, sigma) from the unconstrained vector (c, log s, log l, log sigma)."""
    return theta[0], np.exp(theta[1]), np.exp(theta[2]), np.exp(theta[3])


def rbf(xa, xb, s, l):
    return s ** 2 * np.exp(-0.5 * ((xa[:, None] - xb[None, :]) / l) ** 2)


def log_marginal_likelihood(theta, x, y):
    c, s, l, sigma = unpack(theta)
    cov = rbf(x, x, s, l) + (sigma ** 2 + 1e-8) * np.eye(len(x))
    # y is (REPLICATES, n): logpdf evaluates each row, as SciPy's does
    return np.sum(multivariate_normal.logpdf(y, np.full(len(x), c), cov))


def posterior(theta, x, y, x_new):
    """Mean and standard deviation of f(x_new) given the data."""
    c, s, l, sigma = unpack(theta)
    K = rbf(x, x, s, l) + (sigma ** 2 + 1e-8) * np.eye(len(x))
    K_star = rbf(x_new, x, s, l)
    L = np.linalg.cholesky(K)
    alpha = np.linalg.solve(L.T, np.linalg.solve(L, y - c))
    v = np.linalg.solve(L, K_star.T)
    var = s ** 2 - np.sum(v ** 2, axis=0)
    return c + K_star @ alpha, np.sqrt(np.maximum(var, 0.0))


def sample_data(rs, n=50, n_draws=REPLICATES):
    """n noisy observations of each of n_draws GP draws (true hyperparameters) at the same
    inputs, as an (n_draws, n) array, and the first draw on a grid."""
    x = np.sort(rs.uniform(-4, 4, n))
    grid = np.linspace(-4.5, 4.5, 200)
    both = np.concatenate([x, grid])
    c, s, l, sigma = TRUE
    K = rbf(both, both, s, l) + 1e-8 * np.eye(len(both))
    f = c + rs.randn(n_draws, len(both)) @ np.linalg.cholesky(K).T
    y = f[:, :n] + sigma * rs.randn(n_draws, n)
    return x, y, grid, f[0, n:]


def main():
    rs = npr.RandomState(1)
    x, y, grid, f_grid = sample_data(rs)
    log(f"data: {y.shape[0]} independent draws from a GP, each observed at the same "
        f"{len(x)} inputs with noise")

    theta0 = np.array([0.0, 0.0, 0.0, np.log(0.5)])   # c=0, s=1, l=1, sigma=0.5
    objective = lambda theta: -log_marginal_likelihood(theta, x, y)
    fad.check_grads(objective, (theta0,), order=1, modes=("rev",))
    log("the gradient of the log marginal likelihood agrees with finite differences")

    trace = [-float(objective(theta0))]
    res = scipy.optimize.minimize(objective, theta0, jac=fad.grad(objective),
                                  method="L-BFGS-B",
                                  callback=lambda t: trace.append(-float(objective(t))))
    theta = res.x
    print(f"log marginal likelihood: start {-float(objective(theta0)):.2f}, "
          f"end {-res.fun:.2f} ({res.nit} L-BFGS-B iterations)")
    learned = np.array(unpack(theta))
    for name, got, true in zip(NAMES, learned, TRUE):
        print(f"  {name:15s} learned {float(got):7.3f}   true {float(true):7.3f}")

    mean, sd = posterior(theta, x, y[0], grid)
    inside = np.abs(grid) <= 4.0
    rmse = float(np.sqrt(np.mean((mean[inside] - f_grid[inside]) ** 2)))
    print(f"posterior mean vs the first noiseless draw on [-4, 4]: RMSE {rmse:.3f} "
          f"(noise sd {float(TRUE[3])})")

    plt = pyplot()
    if plt is not None:
        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
        axes[0].plot(trace, "o-")
        axes[0].set(xlabel="L-BFGS-B iteration", ylabel="log marginal likelihood",
                    title="fitting the hyperparameters")
        axes[1].fill_between(grid, mean - 2 * sd, mean + 2 * sd, alpha=0.25, label="mean +- 2 sd")
        axes[1].plot(grid, mean, label="posterior mean")
        axes[1].plot(grid, f_grid, "k--", label="truth")
        axes[1].plot(x, y[0], "rx", label="data (draw 1)")
        axes[1].set(xlabel="x", title="GP posterior with the learned kernel")
        axes[1].legend(fontsize=8)
        save(fig, "gaussian_process.png")
    return {"learned": learned, "true": TRUE, "rmse": rmse, "lml_end": -res.fun}


if __name__ == "__main__":
    main()
