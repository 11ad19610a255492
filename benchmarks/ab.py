"""Old code against new code, in one process: how much did a change speed funcad up?

Separate runs of ``benchmarks.run`` move single cells by 10-25 % on a shared machine, so a
change worth a few per cent cannot be seen by comparing two of them. This script exports
funcad from a git revision into a temporary directory, imports it next to the working tree's
funcad as the package ``funcad_old``, and times both on the same workloads, alternating
old/new calls many times within each round; the minimum of each side is reported, with the
ratio new / old (below 1: the change is faster).

    python -m benchmarks.ab HEAD~3                    # all rows, 9 rounds
    python -m benchmarks.ab main --rows W3a,W7 --rounds 5

Every result is checked against the other side's first (a fast wrong answer shows as an
error, not a ratio).
"""

from __future__ import annotations

from .run import pin_malloc  # noqa: I001 - first: it sets one BLAS thread before NumPy loads

import argparse
import importlib
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import time

import numpy as np

from . import workloads as W


def export_old(rev: str, root: str) -> str:
    """Write ``rev``'s funcad/ as ``funcad_old`` under a fresh temporary directory."""
    data = subprocess.run(["git", "archive", rev, "funcad"], cwd=root, check=True,
                          capture_output=True).stdout
    tmp = tempfile.mkdtemp(prefix="funcad_ab_")
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(tmp, filter="data")
    os.rename(os.path.join(tmp, "funcad"), os.path.join(tmp, "funcad_old"))
    return tmp


def rows(fad) -> dict:
    """Row key -> (zero-argument callable, calls per timing) for one funcad package."""
    params, x1, y1 = W._mlp_data()
    g1 = fad.grad(W.mlp_loss)
    g2 = fad.grad(W.chain)
    h = fad.hessian(W.rosen)
    x3a, x3b = W._rosen_x(100), W._rosen_x(500)
    w4, b4, x4 = W._w4_data()
    jf, jr = fad.jacfwd(W.layer), fad.jacrev(W.layer)
    g5 = fad.grad(fad.grad(fad.grad(fad.grad(W.f5))))
    w7, x7, y7 = W._w7_data()
    g7 = fad.vmap(fad.grad(W.logistic), in_axes=(None, 0, 0))
    v3 = np.ones(100)
    return {
        "W1": (lambda: g1(params, x1, y1), 6),
        "W2": (lambda: g2(W._W2_X), 12),
        "W3a": (lambda: h(x3a), 60),
        "W3b": (lambda: h(x3b), 30),
        "W4f": (lambda: jf(x4, w4, b4), 24),
        "W4r": (lambda: jr(x4, w4, b4), 24),
        "W5": (lambda: g5(W.W5_X), 60),
        "W7": (lambda: g7(w7, x7, y7), 300),
        "hvp": (lambda: fad.hvp(W.rosen, (x3a,), (v3,)), 120),
    }


def _same(a, b) -> bool:
    a, b = W.to_numpy(a), W.to_numpy(b)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(p, q) for p, q in zip(a, b))
    return np.allclose(np.asarray(a), np.asarray(b), rtol=1e-9, atol=1e-12)


def compare(old, new, keys, rounds: int) -> dict:
    """Per row: the minimum microseconds per call of each side."""
    sides = {"old": rows(old), "new": rows(new)}
    best = {}
    for k in keys:
        if not _same(sides["old"][k][0](), sides["new"][k][0]()):
            raise AssertionError(f"{k}: old and new code give different results")
        best[k] = {"old": float("inf"), "new": float("inf")}
    for r in range(rounds):
        for k in keys:
            for rep in range(6):
                order = ("old", "new") if (r + rep) % 2 == 0 else ("new", "old")
                for tag in order:
                    fn, n = sides[tag][k]
                    m = max(1, n // 6)
                    t0 = time.perf_counter()
                    for _ in range(m):
                        fn()
                    best[k][tag] = min(best[k][tag], (time.perf_counter() - t0) / m * 1e6)
    return best


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("rev", help="the git revision whose funcad is 'old'")
    ap.add_argument("--rows", default="", help="comma-separated row keys (default: all)")
    ap.add_argument("--rounds", type=int, default=9)
    args = ap.parse_args(argv)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    print(pin_malloc())
    sys.path.insert(0, export_old(args.rev, root))
    old = importlib.import_module("funcad_old")
    import funcad as new
    keys = [k for k in (args.rows.split(",") if args.rows else rows(new)) if k]
    best = compare(old, new, keys, args.rounds)
    print(f"\n| row | old {args.rev} (us) | new (us) | new / old |\n|---|---|---|---|")
    for k, d in best.items():
        print(f"| {k} | {d['old']:,.1f} | {d['new']:,.1f} | {d['new'] / d['old']:.3f} |")


if __name__ == "__main__":
    main()
