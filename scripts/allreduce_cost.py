#!/usr/bin/env python3
"""The README's cost model of data-parallel training on N machines (issue 19):

    T(N) = T1/N + 2(N-1)/N * G/BW + 2(N-1) * alpha

a 1/N share of the step's compute plus a ring all-reduce of the G-byte
gradient (2(N-1) messages in sequence, each of latency alpha). Prints the
step time and speed-up T1/T(N) for the digits MLP and a 784-1024-1024-10
MLP at 10 and 100 Gbit/s.
"""

LINKS = [(10, 25e-6), (100, 3e-6)]  # Gbit/s, latency per message (TCP; RDMA)
MODELS = [
    # name, parameters, batch, T1 (s per step on one machine), where T1 comes from
    ("digits 64-64-10", 64 * 64 + 64 + 64 * 10 + 10, 32, 0.66e-3, "measured here, 1 rank"),
    ("784-1024-1024-10", 784 * 1024 + 1024 + 1024 * 1024 + 1024 + 1024 * 10 + 10, 256, None, "6 flop/param/sample at 100 Gflop/s"),
]

for name, params, batch, t1, source in MODELS:
    if t1 is None:
        t1 = 6 * params * batch / 100e9
    g = 8 * params  # f64 gradient
    print(f"{name}: {params} parameters, G = {g / 1e6:.3f} MB, batch {batch}, T1 = {t1 * 1e3:.2f} ms ({source})")
    for gbit, alpha in LINKS:
        bw = gbit * 1e9 / 8
        row = []
        for n in (1, 2, 4, 8, 16, 32, 64, 128):
            if n > batch:
                break
            t = t1 / n + (2 * (n - 1) / n * g / bw + 2 * (n - 1) * alpha if n > 1 else 0.0)
            row.append(f"N={n}: {t * 1e3:.2f} ms {t1 / t:.2f}x")
        print(f"  {gbit:>3} Gbit/s, alpha {alpha * 1e6:.0f} us: " + " | ".join(row))
