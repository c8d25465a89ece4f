#!/usr/bin/env python3
"""JAX's dense Hessians on the functions of benches/hessian.rs, for the README.

    pip install jax
    python3 benches/hessian_jax.py

Times `jax.jit(jax.hessian(f))` (CPU, float64, compiled once before timing,
`block_until_ready` on each result): median per call over repeated batches.
The data differ from the Rust bench's (other generators) but have the same
shapes, which is what the cost depends on. Not part of `cargo test`.
"""

import time

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)


def rosen_chain(x):
    a = x[1:] - x[:-1] ** 2
    return jnp.sum(100.0 * a * a + (1.0 - x[:-1]) ** 2)


def quad_data(x, a):
    return 0.5 * x @ (a @ x) + jnp.sum(jnp.log1p(x * x))


def bond(a, b):
    d = a - b
    return jnp.sqrt(d * d + 0.1) + 0.5 * jnp.sin(a * b)


def loop_call(x):
    return jnp.sum(jax.vmap(bond)(x[:-1], x[1:]))


def nalgebra_tanh(x, a):
    return jnp.sum(jnp.tanh(a @ x)) + 0.5 * x @ x


def timeit(fn, *args, budget=2.0):
    fn(*args).block_until_ready()  # compile
    # Batch so that one timing is at least ~1 ms.
    reps = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(reps):
            fn(*args).block_until_ready()
        dt = time.perf_counter() - t0
        if dt > 1e-3:
            break
        reps *= 2
    times = []
    end = time.perf_counter() + budget
    while time.perf_counter() < end or len(times) < 5:
        t0 = time.perf_counter()
        for _ in range(reps):
            fn(*args).block_until_ready()
        times.append((time.perf_counter() - t0) / reps)
    return float(np.median(times))


def main():
    rng = np.random.default_rng(17)
    rows = []
    for n in (10, 100, 1000):
        x = jnp.array([-1.2 if i % 2 == 0 else 1.0 for i in range(n)])
        rows.append((f"rosen_chain n={n}", timeit(jax.jit(jax.hessian(rosen_chain)), x), timeit(jax.jit(rosen_chain), x)))
    n = 100
    a = jnp.array(rng.uniform(-1, 1, (n, n)))
    x = jnp.array(rng.uniform(-1, 1, n))
    rows.append(("quad_data n=100", timeit(jax.jit(jax.hessian(quad_data)), x, a), timeit(jax.jit(quad_data), x, a)))
    x = jnp.cos(0.37 * jnp.arange(100.0))
    rows.append(("loop_call n=100", timeit(jax.jit(jax.hessian(loop_call)), x), timeit(jax.jit(loop_call), x)))
    n = 50
    a = jnp.array(rng.uniform(-0.3, 0.3, (n, n)))
    x = jnp.array(rng.uniform(-1, 1, n))
    rows.append(("nalgebra_tanh n=50", timeit(jax.jit(jax.hessian(nalgebra_tanh)), x, a), timeit(jax.jit(nalgebra_tanh), x, a)))
    print(f"jax {jax.__version__}, {jax.devices()[0].platform}")
    print("| case | jit(hessian) | jit(primal) |")
    print("|---|---:|---:|")
    for name, th, tp in rows:
        print(f"| {name} | {th:.3g} s | {tp:.3g} s |")


if __name__ == "__main__":
    main()
