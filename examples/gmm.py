"""A Gaussian mixture model fitted by gradient-based maximum likelihood.

The log-likelihood of a K-component mixture in 2-D,

    log p(x) = logsumexp_k [ log pi_k + log N(x; mu_k, Sigma_k) ],

is written with funcad.scipy.stats.multivariate_normal.logpdf and
funcad.scipy.special.logsumexp. The parameters are unconstrained: mixture logits, means,
and a Cholesky factor per component with a log-diagonal (Sigma = L L^T is then positive
definite). fad.tree.ravel_pytree turns the parameter dict into one vector for
scipy.optimize.minimize (L-BFGS-B, jac= the funcad gradient), as autograd's `flatten`
does in its example.

The data come from a known 3-component mixture: the script prints the log-likelihood
before and after, and the learned weights and means next to the true ones.

Run: python examples/gmm.py      (needs SciPy; ~3 s; saves gmm.png when matplotlib is
installed)
"""

from __future__ import annotations

from _common import QUICK, log, pyplot, save  # first: sets BLAS threads

import scipy.optimize

import funcad as fad
import funcad.numpy as np
import funcad.numpy.random as npr
from funcad.scipy.special import logsumexp
from funcad.scipy.stats import multivariate_normal

TRUE_WEIGHTS = np.array([0.5, 0.3, 0.2])
TRUE_MEANS = np.array([[-2.0, 0.0], [2.0, 1.0], [0.5, -2.5]])
TRUE_COVS = np.array([[[0.6, 0.3], [0.3, 0.5]], [[0.4, -0.2], [-0.2, 0.8]],
                      [[0.3, 0.0], [0.0, 0.3]]])


def covariances(params):
    """Sigma_k = L_k L_k^T with L_k lower triangular, positive diagonal exp(log_diag)."""
    L = np.tril(params["chol"], -1) + np.exp(params["log_diag"])[:, :, None] * np.eye(2)
    return L @ np.swapaxes(L, 1, 2)


def log_likelihood(params, x):
    log_weights = params["logits"] - logsumexp(params["logits"])
    covs = covariances(params)
    per_component = np.stack([multivariate_normal.logpdf(x, params["means"][k], covs[k])
                              for k in range(len(log_weights))], axis=1)      # (N, K)
    return np.sum(logsumexp(log_weights + per_component, axis=1))


def sample(rs, n):
    labels = rs.choice(len(TRUE_WEIGHTS), size=n, p=TRUE_WEIGHTS)
    chols = np.linalg.cholesky(TRUE_COVS)
    noise = np.einsum("nij,nj->ni", chols[labels], rs.randn(n, 2))
    return TRUE_MEANS[labels] + noise


def main():
    rs = npr.RandomState(0)
    x = sample(rs, 100 if QUICK else 600)
    log(f"data: {len(x)} points from a {len(TRUE_WEIGHTS)}-component mixture in 2-D")

    init = {"logits": np.zeros(3), "means": rs.randn(3, 2),
            "log_diag": np.zeros((3, 2)), "chol": np.zeros((3, 2, 2))}
    flat0, unravel = fad.tree.ravel_pytree(init)
    objective = lambda flat: -log_likelihood(unravel(flat), x) / len(x)
    res = scipy.optimize.minimize(objective, flat0, jac=fad.grad(objective), method="L-BFGS-B",
                                  options={"maxiter": 20 if QUICK else 500})
    params = unravel(res.x)
    print(f"mean log-likelihood per point: start {-float(objective(flat0)):.3f}, "
          f"end {-res.fun:.3f} ({res.nit} L-BFGS-B iterations)")

    # match each true component with the nearest learned mean (the labels are arbitrary)
    order = [int(np.argmin(np.sum((params["means"] - mu) ** 2, axis=1))) for mu in TRUE_MEANS]
    weights = np.exp(params["logits"] - logsumexp(params["logits"]))[order]
    means = params["means"][order]
    covs = covariances(params)[order]
    for k in range(3):
        print(f"  component {k}: weight {float(weights[k]):.3f} (true {float(TRUE_WEIGHTS[k]):.1f})"
              f"  mean {np.round(means[k], 2)} (true {TRUE_MEANS[k]})")
    err = float(np.max(np.abs(means - TRUE_MEANS)))
    print(f"largest error of a learned mean: {err:.3f}")

    plt = pyplot()
    if plt is not None:
        fig, ax = plt.subplots(figsize=(6, 5))
        ax.plot(x[:, 0], x[:, 1], ".", color="0.6", ms=3)
        t = np.linspace(0, 2 * np.pi, 100)
        circle = np.stack([np.cos(t), np.sin(t)])
        for k in range(3):
            for mu, cov, style in [(TRUE_MEANS[k], TRUE_COVS[k], "k--"), (means[k], covs[k], "C1")]:
                ellipse = mu[:, None] + 2 * np.linalg.cholesky(cov) @ circle
                ax.plot(ellipse[0], ellipse[1], style)
        ax.set(title="2-sd ellipses: true (dashed), learned (orange)")
        save(fig, "gmm.png")
    return {"weights": weights, "means": means, "err": err}


if __name__ == "__main__":
    main()
