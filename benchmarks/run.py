"""Benchmark funcad against the plain NumPy primal and its peers.

Run ``python -m benchmarks.run`` from the repository root (``--quick`` for a
short run, ``--only W2,W5`` to select rows, ``--libs funcad,numpy`` to select
columns). Each derivative is timed alternately with the NumPy primal in the
same process (median of several rounds, CPU time of this process, so that a
busy machine disturbs it less) and reported as the ratio
time(derivative) / time(primal); W5 is reported in microseconds per call and
W6 as the peak extra memory (each library in a fresh subprocess, with the
garbage collector on). Every result is checked against a reference (closed
form or hand-written NumPy) first, so a fast wrong answer cannot win: a cell
reads ``WRONG`` when the check fails. Peers that are not installed read
``-``.
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
           "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_v] = "1"      # one BLAS thread, set before NumPy is imported
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false "
                                   "intra_op_parallelism_threads=1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from . import workloads as W  # noqa: E402

TARGETS = {"W1": "<= 2.4", "W2": "<= 10", "W3a": "<= 40", "W3b": "<= 60", "W4f": "<= 80",
           "W4r": "<= 80", "W5": "<= 4,000", "W6": "<= 50 MB", "W7": "<= 10",
           # issue 16's rows, targets for the funcad-jit column
           "W2s": "jit <= 1.5x numpy", "W5s": "jit <= 100", "W7s": "jit <= 2x numpy",
           "W8": "jit <= 15"}

# (key, label, derivative factory(lib), primal factory, reference, kind)
ROWS = [
    ("W1", "W1 grad of a 784-512-512-10 tanh MLP, softmax cross-entropy, batch 128",
     W.w1, W.primal_w1, W.ref_w1, "ratio"),
    ("W2", "W2 grad through 1,000 tiny elementwise ops (us per op)",
     W.w2, W.primal_w2, W.ref_w2, "ratio_per_op"),
    ("W3a", "W3 Hessian of n-dim Rosenbrock, n=100",
     lambda lib: W.w3(lib, 100), lambda: W.primal_w3(100), lambda: W.ref_w3(100), "ratio"),
    ("W3b", "W3 same, n=500",
     lambda lib: W.w3(lib, 500), lambda: W.primal_w3(500), lambda: W.ref_w3(500), "ratio"),
    ("W4f", "W4 jacfwd of tanh(W x + b) * x, 300 -> 300",
     lambda lib: W.w4(lib, "fwd"), W.primal_w4, W.ref_w4, "ratio"),
    ("W4r", "W4 jacrev of the same",
     lambda lib: W.w4(lib, "rev"), W.primal_w4, W.ref_w4, "ratio"),
    ("W5", "W5 4th derivative by grad(grad(grad(grad(f)))), us per call",
     W.w5, W.primal_w5, W.ref_w5, "us"),
    ("W6", "W6 grad of a 200,001-op chain on a length-10 vector: peak extra memory",
     W.w6, None, W.ref_w6, "memory"),
    ("W7", "W7 per-example gradients of logistic regression, batch 256 (vmap(grad))",
     W.w7, W.primal_w7, W.ref_w7, "ratio"),
    ("W2s", "W2s grad of a 200-step sin/cos chain on 3 numbers (issue 16's W2)",
     W.w2s, lambda: lambda: W.chain_s(W.W2S_X), lambda: W._chain_s_hand(W.W2S_X), "ratio"),
    ("W5s", "W5s 4th derivative of sin(x) exp(x/3) / (1 + x^2), us per call",
     W.w5s, None, W.ref_w5s, "us"),
    ("W7s", "W7s vmap(grad) of log(1 + exp(-y (x.w + b))), batch 256, 32 features",
     W.w7s, W.primal_w7s, W.ref_w7s, "ratio"),
    ("W8", "W8 jacfwd of Robertson's stiff kinetics (3 states), us per call",
     W.w8, None, lambda: W.robertson_jac(W.W8_Y), "us"),
]


# ---------------------------------------------------------------------------
# timing
# ---------------------------------------------------------------------------

def _per_call(fn, number: int) -> float:
    t0 = time.process_time()
    for _ in range(number):
        fn()
    return (time.process_time() - t0) / number


def _calibrate(fn, budget: float) -> int:
    """How many calls make one timed round last about ``budget`` seconds."""
    n = 1
    while True:
        t = _per_call(fn, n)
        if t * n >= budget / 5 or n >= 1 << 20:
            return max(1, int(budget / max(t, 1e-9)))
        n *= 4


def compare(primal, deriv, rounds: int, budget: float):
    """Median seconds per call of (primal, derivative), timed alternately."""
    deriv()   # warm up (JAX compiles here)
    deriv()
    n_p = _calibrate(primal, budget) if primal is not None else 0
    n_d = _calibrate(deriv, budget)
    tp, td = [], []
    for _ in range(rounds):
        if primal is not None:
            tp.append(_per_call(primal, n_p))
        td.append(_per_call(deriv, n_d))
    return (statistics.median(tp) if tp else None), statistics.median(td)


def check(got, ref, rtol=1e-6, atol=1e-8) -> bool:
    got, ref = W.to_numpy(got), W.to_numpy(ref)
    if isinstance(ref, list):
        return (isinstance(got, list) and len(got) == len(ref)
                and all(check(g, r, rtol, atol) for g, r in zip(got, ref)))
    got = np.asarray(got, dtype=float)
    return got.shape == np.shape(ref) and np.allclose(got, ref, rtol=rtol, atol=atol)


# ---------------------------------------------------------------------------
# W6: peak memory, one library per fresh process
# ---------------------------------------------------------------------------

def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mb() -> float:
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak() -> bool:
    """Reset the kernel's resident-set high-water mark (Linux >= 4.0); False if unavailable."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _hwm_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return _peak_mb()


def _memory_child(lib: str) -> None:
    fn = W.w6(lib)
    import gc
    gc.collect()
    before = _rss_mb()
    if not _reset_peak():       # no reset: the import-time peak may hide the run's peak
        before = max(before, _peak_mb())
    try:
        out = fn()
        ok, err = check(out, W.ref_w6(), rtol=1e-6), ""
    except RecursionError as e:
        ok, err = False, f"RecursionError: {e}"
    print(json.dumps({"extra_mb": _hwm_mb() - before, "ok": ok, "err": err}))


def memory(lib: str, timeout: float = 240):
    try:
        env = dict(os.environ, FUNCAD_BENCH_ONLY=lib)   # import only this library
        p = subprocess.run([sys.executable, "-m", "benchmarks.run", "--memory-child", lib],
                           capture_output=True, text=True, timeout=timeout, env=env)
        lines = p.stdout.strip().splitlines()
        if not lines:
            last = (p.stderr.strip().splitlines() or [""])[-1]
            return {"extra_mb": None, "ok": False,
                    "err": f"crashed (exit {p.returncode}): {last[:60]}"}
        return json.loads(lines[-1])
    except subprocess.TimeoutExpired:
        return {"extra_mb": None, "ok": False, "err": f"> {timeout:.0f} s"}
    except Exception as e:  # noqa: BLE001 - report, do not crash the table
        return {"extra_mb": None, "ok": False, "err": repr(e)[:80]}


# ---------------------------------------------------------------------------
# the table
# ---------------------------------------------------------------------------

def _fmt_ratio(r: float) -> str:
    return f"{r:,.0f}" if r >= 100 else f"{r:.1f}" if r >= 1 else f"{r:.2f}"


def cell(key, make, primal_f, ref_f, kind, lib, rounds, budget) -> str:
    if not W.available(lib):
        return "-"
    if kind == "memory":
        m = memory(lib)
        if m["extra_mb"] is None or not m["ok"]:
            return "WRONG" if not m["err"] else m["err"]
        return f"{max(m['extra_mb'], 0):.0f} MB"
    deriv = make(lib)
    if deriv is None:
        return "n/a"
    if not check(deriv(), ref_f()):
        return "WRONG"
    tp, td = compare(primal_f() if kind != "us" else None, deriv, rounds, budget)
    if kind == "us":
        return f"{td * 1e6:,.0f}"
    s = _fmt_ratio(td / tp)
    if kind == "ratio_per_op":
        s += f" ({td * 1e6 / W.W2_OPS:.1f} us/op)"
    return s


def _version(name, mod) -> str:
    try:
        from importlib.metadata import version
        return version({"JAX": "jax", "PyTorch": "torch"}.get(name, name))
    except Exception:  # noqa: BLE001
        return getattr(mod, "__version__", "?")


def versions() -> str:
    parts = [f"Python {platform.python_version()}", f"NumPy {np.__version__}"]
    for name, mod in (("autograd", W.ag), ("JAX", W.jax), ("PyTorch", W.torch)):
        if mod is not None:
            parts.append(f"{name} {_version(name, mod)}")
    cfg = np.show_config(mode="dicts") if hasattr(np, "show_config") else {}
    blas = cfg.get("Build Dependencies", {}).get("blas", {}).get("name", "?") if cfg else "?"
    return (", ".join(parts) + f"; BLAS {blas}; {platform.processor() or platform.machine()}, "
            f"{os.cpu_count()} cores; OMP/OPENBLAS/MKL_NUM_THREADS=1")


def pin_malloc() -> str:
    """Keep freed NumPy buffers in the process (glibc only), so that timings measure the
    computation rather than the kernel handing out fresh zeroed pages.

    glibc returns large freed blocks to the kernel (mmap threshold, heap trimming), so a
    call that allocates a few MB of temporaries page-faults on every repetition, and
    whether a given process trips this depends on its heap layout: single cells of W1 and
    W3 moved by 30-50% between runs. Raising both thresholds (as MALLOC_MMAP_THRESHOLD_ and
    MALLOC_TRIM_THRESHOLD_ would) applies to every column alike; ``--default-malloc`` keeps
    glibc's defaults. Both must be set: the mmap threshold alone makes every array of
    128 kB or more fault on every call.
    """
    try:
        import ctypes
        libc = ctypes.CDLL("libc.so.6")
        ok = libc.mallopt(-3, 32 << 20) and libc.mallopt(-1, 256 << 20)   # MMAP, TRIM
        return "malloc pinned (mmap threshold 32 MB, trim threshold 256 MB)" if ok else \
            "malloc defaults (mallopt refused)"
    except (OSError, AttributeError):
        return "malloc defaults (not glibc)"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer, shorter rounds")
    ap.add_argument("--only", default="", help="comma-separated row keys, e.g. W1,W3a")
    ap.add_argument("--libs", default="", help="comma-separated columns, e.g. numpy,funcad")
    ap.add_argument("--default-malloc", action="store_true",
                    help="keep glibc's default mmap/trim thresholds (see pin_malloc)")
    ap.add_argument("--dense-bases", action="store_true",
                    help="turn off funcad's sparse Jacobian bases (for comparison)")
    ap.add_argument("--memory-child", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.dense_bases:
        from funcad import _onehot
        _onehot.ENABLED = False
    if a.memory_child:
        _memory_child(a.memory_child)
        return
    rounds, budget = (3, 0.05) if a.quick else (7, 0.2)
    only = set(filter(None, a.only.split(",")))
    libs = [x for x in W.LIBS if not a.libs or x in a.libs.split(",")]
    malloc = "malloc defaults" if a.default_malloc else pin_malloc()
    print(versions() + f"; {malloc}")
    print()
    print("| workload | " + " | ".join(
        "hand-written numpy" if x == "numpy" else x for x in libs) + " | funcad target |")
    print("|---" * (len(libs) + 2) + "|")
    for key, label, make, primal_f, ref_f, kind in ROWS:
        if only and key not in only:
            continue
        cells = [cell(key, make, primal_f, ref_f, kind, lib, rounds, budget) for lib in libs]
        print(f"| {label} | " + " | ".join(cells) + f" | {TARGETS[key]} |", flush=True)


if __name__ == "__main__":
    main()
