#!/usr/bin/env python3
"""The correctly rounded f32 tanh of the given f32 inputs (by bits), with
mpmath at 200 bits: the check of `MIDPOINTS` in tests/tanh_f32.rs, the
inputs whose tanh lies too near an f32 midpoint for glibc's f64 tanh to
decide. Usage: scripts/tanh_f32_midpoints.py 0x3ac37de2 [..]"""
import struct
import sys

import mpmath as mp

mp.mp.prec = 200


def f32(bits):
    return struct.unpack("<f", struct.pack("<I", bits))[0]


def bits(x):
    return struct.unpack("<I", struct.pack("<f", x))[0]


for arg in sys.argv[1:]:
    b = int(arg, 16)
    t = mp.tanh(mp.mpf(f32(b)))
    # The two f32s around t (positive inputs: 0 < t < 1), then the nearer.
    lo = bits(float(t))
    while mp.mpf(f32(lo)) > t:
        lo -= 1
    while mp.mpf(f32(lo + 1)) <= t:
        lo += 1
    a, c = mp.mpf(f32(lo)), mp.mpf(f32(lo + 1))
    mid = (a + c) / 2
    y = lo if t < mid else lo + 1
    print(f"({b:#010x}, {y:#010x}),  # tanh - midpoint = {mp.nstr((t - mid) / t, 5)} relative")
