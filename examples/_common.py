"""Shared helpers for the examples: quick mode, seeds, saving figures.

``FUNCAD_EXAMPLE_QUICK=1`` (or ``--quick`` on the command line) shrinks every
example to a few steps, for the smoke tests; ``FUNCAD_EXAMPLE_OUTDIR`` sets
where PNGs go (default: the current directory). Figures are drawn only when
matplotlib is installed; nothing else here needs more than NumPy.
"""

from __future__ import annotations

import os
import sys
import time

# The examples multiply small matrices, for which a multi-threaded BLAS is slower (much
# slower on a busy machine) than one thread. This must run before NumPy is imported,
# which is why every example imports _common first.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

QUICK = "--quick" in sys.argv[1:] or os.environ.get("FUNCAD_EXAMPLE_QUICK", "") not in ("", "0")
_T0 = time.perf_counter()


def steps(full: int, quick: int) -> int:
    """The number of steps/epochs to run: ``quick`` in quick mode, ``full`` otherwise."""
    return quick if QUICK else full


def log(msg: str) -> None:
    """Print ``msg`` with the seconds elapsed since the example started."""
    print(f"[{time.perf_counter() - _T0:6.1f}s] {msg}", flush=True)


def best_of(fn, k: int = 3) -> float:
    """The shortest of ``k`` timed calls of ``fn()``, in seconds."""
    best = float("inf")
    for _ in range(k):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def pyplot():
    """matplotlib.pyplot with the non-interactive Agg backend, or None if not installed."""
    try:
        import matplotlib
    except ImportError:
        log("matplotlib is not installed: skipping the figure (pip install matplotlib)")
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def save(fig, name: str) -> str:
    """Save ``fig`` as ``name`` in FUNCAD_EXAMPLE_OUTDIR (default '.'), close it, say where."""
    outdir = os.environ.get("FUNCAD_EXAMPLE_OUTDIR", ".")
    os.makedirs(outdir, exist_ok=True)
    path = os.path.join(outdir, name)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    import matplotlib.pyplot as plt
    plt.close(fig)
    log(f"saved {path}")
    return path


def load_digits_or_exit(example: str):
    """sklearn's bundled 8x8 digits as (images in [0, 1], labels), or a clear exit."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        print(f"{example} trains on scikit-learn's bundled handwritten digits, and "
              "scikit-learn is not installed.\nInstall the examples extra: "
              "pip install -e \".[examples]\"   (or: pip install scikit-learn matplotlib)",
              file=sys.stderr)
        raise SystemExit(2)
    d = load_digits()
    return d.images / 16.0, d.target
