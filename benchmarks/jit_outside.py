"""Transforms outside jit: ``grad(jit(f))`` against eager ``grad(f)`` and ``jit(grad(f))``.

Run ``python -m benchmarks.jit_outside`` from the repository root (``--quick`` for a short
run). Under grad, vmap and jvp the recorded program is the ``jit_call`` primitive: its
impl replays the program and its rules replay derived programs (docs/jit.md), so the
transform outside ``jit`` pays its own interpreter cost once per ``jit`` call instead of
once per primitive. Ratios to the NumPy primal (W5 rows: microseconds per call), one BLAS
thread, timed as ``benchmarks.run`` times (median of rounds, CPU time, alternating with the
primal); every result is checked against the row's reference first.
"""

from __future__ import annotations

import argparse

from . import run as R  # first: one BLAS thread before NumPy is imported
from . import workloads as W

fad = W.fad


def jit(f):
    return W._fad("funcad-jit", f)


def _g4(f):
    return fad.grad(fad.grad(fad.grad(fad.grad(f))))


def _vg(in_axes, argnums=0):
    return lambda f: fad.vmap(fad.grad(f, argnums=argnums), in_axes=in_axes)


# (key, label, function, transform, arguments, primal, reference, kind)
ROWS = [
    ("W2", "grad, 1,000-op chain on 10 numbers", W.chain, fad.grad, (W._W2_X,),
     W.primal_w2, W.ref_w2, "ratio"),
    ("W2s", "grad, 200-step chain on 3 numbers", W.chain_s, fad.grad, (W.W2S_X,),
     lambda: (lambda: W.chain_s(W.W2S_X)), lambda: W._chain_s_hand(W.W2S_X), "ratio"),
    ("W5", "grad^4 of sin(x) exp(x/2), us", W.f5, _g4, (W.W5_X,), None, W.ref_w5, "us"),
    ("W5s", "grad^4 of sin(x) exp(x/3)/(1+x^2), us", W.f5s, _g4, (W.W5S_X,), None,
     W.ref_w5s, "us"),
    ("W7", "vmap(grad) logistic, 100 features", W.logistic, _vg((None, 0, 0)),
     W._w7_data(), W.primal_w7, W.ref_w7, "ratio"),
    ("W7s", "vmap(grad) logistic + b, 32 features", W.logistic_b,
     _vg((None, None, 0, 0), (0, 1)), W._w7s_data(), W.primal_w7s, W.ref_w7s, "ratio"),
]

WHERE = {"grad(f)": lambda f, tr: tr(f), "grad(jit(f))": lambda f, tr: tr(jit(f)),
         "jit(grad(f))": lambda f, tr: jit(tr(f))}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer, shorter rounds")
    a = ap.parse_args(argv)
    rounds, budget = (3, 0.05) if a.quick else (7, 0.2)
    print("| row | " + " | ".join(WHERE) + " | grad(f) / grad(jit(f)) | "
          "grad(jit(f)) / jit(grad(f)) |")
    print("|---|" + "---|" * (len(WHERE) + 2))
    for key, label, f, tr, args, primal_f, ref_f, kind in ROWS:
        times = []
        for make in WHERE.values():
            g = make(f, tr)
            deriv = (lambda g=g, args=args: g(*args))
            if not R.check(deriv(), ref_f()):
                raise AssertionError(f"{key}: a wrong result")
            tp, td = R.compare(None if kind == "us" else primal_f(), deriv, rounds, budget)
            times.append(td * 1e6 if kind == "us" else td / tp)
        cells = [f"{t:,.0f}" if kind == "us" else f"{t:.1f}" for t in times]
        print(f"| {key} {label} | " + " | ".join(cells) +
              f" | {times[0] / times[1]:.1f}x | {times[1] / times[2]:.1f}x |", flush=True)


if __name__ == "__main__":
    main()
