"""Independent component analysis by maximum likelihood, with Student-t source densities.

Three heavy-tailed sources s (Student t with 3 degrees of freedom) are mixed by an unknown
square matrix A into observations x = A s. ICA looks for an unmixing matrix W such that
the rows of W x are independent; its log-likelihood is

    log p(x) = sum_i log p_t((W x)_i) + log |det W|

with p_t = funcad.scipy.stats.t.pdf. funcad.grad differentiates it in W (through t.logpdf
and np.linalg.slogdet), and scipy.optimize.minimize (L-BFGS-B, jac= the funcad gradient)
maximises it. Sources are recovered up to order and scale, so W A should be a scaled
permutation matrix.

It prints the log-likelihood before and after, the normalised |W A|, and the correlation
of each recovered source with the true source it matches.

Run: python examples/ica.py      (needs SciPy; ~2 s; saves ica.png when matplotlib is
installed)
"""

from __future__ import annotations

from _common import QUICK, log, pyplot, save  # first: sets BLAS threads

import scipy.optimize

import funcad as fad
import funcad.numpy as np
import funcad.numpy.random as npr
from funcad.scipy.stats import t

SOURCES = 3
DF = 3.0


def mean_log_likelihood(W, x):
    """log p(x) per observation for the unmixing matrix W; x is (N, SOURCES)."""
    s = x @ W.T
    _, logdet = np.linalg.slogdet(W)
    return np.mean(np.sum(t.logpdf(s, DF), axis=1)) + logdet


def main():
    rs = npr.RandomState(0)
    n = 300 if QUICK else 2000
    sources = rs.standard_t(DF, size=(n, SOURCES))
    A = rs.randn(SOURCES, SOURCES)
    x = sources @ A.T
    log(f"data: {n} observations of {SOURCES} t({DF:g}) sources mixed by a random matrix")

    objective = lambda w: -mean_log_likelihood(w.reshape(SOURCES, SOURCES), x)
    w0 = np.eye(SOURCES).ravel()
    res = scipy.optimize.minimize(objective, w0, jac=fad.grad(objective), method="L-BFGS-B")
    W = res.x.reshape(SOURCES, SOURCES)
    print(f"mean log-likelihood: start {-float(objective(w0)):.4f}, end {-res.fun:.4f} "
          f"({res.nit} L-BFGS-B iterations)")

    P = np.abs(W @ A)
    P = P / P.max(axis=1, keepdims=True)
    print("|W A| with each row scaled to a largest entry of 1 (a permutation when solved):")
    for row in P:
        print("  " + "  ".join(f"{float(v):.3f}" for v in row))
    recovered = x @ W.T
    match = np.argmax(P, axis=1)
    corr = [abs(float(np.corrcoef(recovered[:, i], sources[:, match[i]])[0, 1]))
            for i in range(SOURCES)]
    print("|correlation| of each recovered source with its true source: "
          + ", ".join(f"{c:.4f}" for c in corr))

    plt = pyplot()
    if plt is not None:
        fig, axes = plt.subplots(SOURCES, 3, figsize=(12, 5), sharex=True)
        m = 200
        for i in range(SOURCES):
            axes[i, 0].plot(sources[:m, i], lw=0.8)
            axes[i, 1].plot(x[:m, i], lw=0.8, color="C2")
            axes[i, 2].plot(recovered[:m, np.argmax(P[:, i])], lw=0.8, color="C1")
        for ax, title in zip(axes[0], ["true sources", "observed mixtures", "recovered"]):
            ax.set_title(title)
        save(fig, "ica.png")
    return {"P": P, "corr": corr}


if __name__ == "__main__":
    main()
