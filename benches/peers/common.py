"""Shared by jax_bench.py and torch_bench.py: the timing protocol (the same
as gd.rs and candle/src/main.rs), the deterministic data and weights, and
the TSV rows."""
import math
import time

import numpy as np

N_SAMPLES = 1024
CHECK_STEPS = 20
MLP_CASES = [("mlp64", "mlp64_b32", [64, 64, 10], 32), ("mlp784", "mlp784_b128", [784, 256, 10], 128)]


def per_call(f, block_s, reps):
    """Grow the call count until a block takes half of block_s (the
    warm-up), then time `reps` blocks of about block_s; median per call."""
    iters = 1
    while True:
        t = time.perf_counter()
        for _ in range(iters):
            f()
        e = time.perf_counter() - t
        if e >= block_s / 2:
            iters = max(1, math.ceil(iters * block_s / e))
            break
        iters *= 2
    v = []
    for _ in range(reps):
        t = time.perf_counter()
        for _ in range(iters):
            f()
        v.append((time.perf_counter() - t) / iters)
    v.sort()
    return v[len(v) // 2]


def rosen_x(n):
    """-1.2 at even indices, 1 at odd."""
    return np.where(np.arange(n) % 2 == 0, -1.2, 1.0)


def init_w(l, out, inp):
    """W[r, c] = sin(1 + 0.7 r + 1.3 c + l) / sqrt(fan_in), shape (out, in)."""
    r = np.arange(out)[:, None]
    c = np.arange(inp)[None, :]
    return np.sin(1.0 + 0.7 * r + 1.3 * c + l) / math.sqrt(inp)


def data(d, n=N_SAMPLES):
    """Rows are samples: x[s, j] = sin(0.1 * ((31 s + 17 j) mod 101)),
    label ((31 s) mod 101) mod 10."""
    s = np.arange(n)[:, None]
    j = np.arange(d)[None, :]
    x = np.sin(0.1 * ((31 * s + 17 * j) % 101))
    y = ((31 * np.arange(n)) % 101) % 10
    return x, y


def row(case, impl, dtype, threads, s):
    print(f"{case}\t{impl}\t{dtype}\t{threads}\t{s:.4e}", flush=True)


def check(what, impl, dtype, v):
    print(f"check\t{what}\t{impl}\t{dtype}\t{float(v):.9e}", flush=True)


def args(desc):
    import argparse

    ap = argparse.ArgumentParser(description=desc)
    ap.add_argument("--dtype", choices=["f32", "f64"], default="f32")
    ap.add_argument("--threads", type=int, default=0, help="0: the library's default")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default="", help="run only the cases starting with this")
    a = ap.parse_args()
    a.block_s, a.reps = (0.05, 3) if a.quick else (0.2, 5)
    return a
