"""Peak memory of reverse mode on a 1,000-layer chain, with and without fad.checkpoint.

The chain is 1,000 layers ``x <- x + 0.01 * tanh(c * sin(x))`` on a vector of 2,000
floats, grouped in blocks of ``--block`` layers. "checkpoint" wraps every block in
``fad.checkpoint``: the tape keeps the block boundaries only and each block is re-run
once in the backward pass. Peak memory is measured with tracemalloc (NumPy reports its
buffers to it) over one full ``grad`` call, minus what was allocated before.

Run: python benchmarks/checkpoint_memory.py [--layers 1000] [--block 25] [--n 2000]
"""

from __future__ import annotations

import argparse
import gc
import time
import tracemalloc

import numpy as np

import funcad as fad


def layer(x, c):
    return x + 0.01 * np.tanh(c * np.sin(x))


def make_loss(layers: int, block: int, ckpt: bool, policy=None):
    def run_block(x, c):
        for _ in range(block):
            x = layer(x, c)
        return x

    blk = fad.checkpoint(run_block, policy=policy) if ckpt else run_block

    def loss(x, c):
        for _ in range(layers // block):
            x = blk(x, c)
        return np.sum(x ** 2)

    return loss


def measure(fn, *args):
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    t0 = time.perf_counter()
    out = fn(*args)
    dt = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return out, peak, dt


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--layers", type=int, default=1000)
    ap.add_argument("--block", type=int, default=25)
    ap.add_argument("--n", type=int, default=2000)
    a = ap.parse_args(argv)
    rng = np.random.default_rng(0)
    x = rng.standard_normal(a.n)
    c = rng.standard_normal(a.n)
    g_plain, m_plain, t_plain = measure(fad.grad(make_loss(a.layers, a.block, False)), x, c)
    g_ckpt, m_ckpt, t_ckpt = measure(fad.grad(make_loss(a.layers, a.block, True)), x, c)
    err = float(np.max(np.abs(g_plain - g_ckpt)) / np.max(np.abs(g_plain)))
    print(f"{a.layers}-layer chain, n={a.n}, checkpoint on every block of {a.block} layers")
    print(f"  plain grad      : peak {m_plain / 2**20:8.2f} MiB   {t_plain:6.2f} s")
    print(f"  checkpoint grad : peak {m_ckpt / 2**20:8.2f} MiB   {t_ckpt:6.2f} s")
    print(f"  memory ratio    : {m_plain / m_ckpt:.1f}x lower with checkpoint")
    print(f"  gradient max relative difference: {err:.2e}")
    return m_plain / m_ckpt, err


if __name__ == "__main__":
    main()
