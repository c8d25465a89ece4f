#!/usr/bin/env python3
"""scipy's L-BFGS-B on the problems of benches/lbfgs.rs, for the side-by-side
table. Not part of the build or the tests; needs `pip install scipy`.

    python3 benches/scipy_lbfgs.py > target/scipy_lbfgs.tsv

Prints one tab-separated line per run: setting, problem name, n, iterations,
evaluations, f, ‖g‖∞, message. Settings: `gtol` (stop on ‖g‖∞ ≤ 1e-5 only:
ftol = 0) and `default` (scipy's defaults, ftol = 2.2e-9). m = 10 (maxcor)
as in gd. Extended Rosenbrock has a hand-written gradient; the MGH problems
are written independently here (numpy) and differentiated by the complex
step (exact to rounding), so f(x0) printed on stderr cross-checks the Rust
definitions in tests/mgh/.
"""
import sys
import numpy as np
from scipy.optimize import minimize


def ext_rosen_fg(x):
    f = 0.0
    g = np.zeros_like(x)
    a, b = x[0::2], x[1::2]
    t1 = 10.0 * (b - a * a)
    t2 = 1.0 - a
    f = float(np.sum(t1 * t1 + t2 * t2))
    g[0::2] = -40.0 * a * t1 - 2.0 * t2
    g[1::2] = 20.0 * t1
    return f, g


def cabs(z):
    """|z| continued analytically from the real axis (for the complex step)."""
    return z if z.real >= 0 else -z


def sumsq(r):
    return sum(v * v for v in r)


# ---- MGH problems (Moré, Garbow, Hillstrom 1981), residuals as in the paper.
def rosenbrock(x):
    return sumsq([10 * (x[1] - x[0] ** 2), 1 - x[0]])


def freudenstein_roth(x):
    return sumsq([-13 + x[0] + ((5 - x[1]) * x[1] - 2) * x[1],
                  -29 + x[0] + ((x[1] + 1) * x[1] - 14) * x[1]])


def powell_bs(x):
    return sumsq([1e4 * x[0] * x[1] - 1, np.exp(-x[0]) + np.exp(-x[1]) - 1.0001])


def brown_bs(x):
    return sumsq([x[0] - 1e6, x[1] - 2e-6, x[0] * x[1] - 2])


def beale(x):
    y = [1.5, 2.25, 2.625]
    return sumsq([y[i] - x[0] * (1 - x[1] ** (i + 1)) for i in range(3)])


def jennrich(x):
    return sumsq([2 + 2 * i - (np.exp(i * x[0]) + np.exp(i * x[1])) for i in range(1, 11)])


def helical(x):
    th = np.arctan(x[1] / x[0]) / (2 * np.pi) + (0.0 if x[0].real > 0 else 0.5)
    return sumsq([10 * (x[2] - 10 * th), 10 * (np.sqrt(x[0] ** 2 + x[1] ** 2) - 1), x[2]])


BARD_Y = [0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39, 0.37, 0.58, 0.73, 0.96, 1.34, 2.10, 4.39]


def bard(x):
    r = []
    for i in range(1, 16):
        u, v = i, 16 - i
        w = min(u, v)
        r.append(BARD_Y[i - 1] - (x[0] + u / (v * x[1] + w * x[2])))
    return sumsq(r)


GAUSS_Y = [0.0009, 0.0044, 0.0175, 0.0540, 0.1295, 0.2420, 0.3521, 0.3989, 0.3521, 0.2420,
           0.1295, 0.0540, 0.0175, 0.0044, 0.0009]


def gaussian(x):
    return sumsq([x[0] * np.exp(-0.5 * x[1] * ((8 - i) / 2 - x[2]) ** 2) - GAUSS_Y[i - 1]
                  for i in range(1, 16)])


MEYER_Y = [34780, 28610, 23650, 19630, 16370, 13720, 11540, 9744, 8261, 7030, 6005, 5147, 4427,
           3820, 3307, 2872]


def meyer(x):
    return sumsq([x[0] * np.exp(x[1] / (45 + 5 * i + x[2])) - MEYER_Y[i - 1] for i in range(1, 17)])


def gulf(x, m=99):
    r = []
    for i in range(1, m + 1):
        t = i / 100
        y = 25 + (-50 * np.log(t)) ** (2 / 3)
        r.append(np.exp(-cabs(y - x[1]) ** x[2] / x[0]) - t)
    return sumsq(r)


def box3d(x, m=10):
    r = []
    for i in range(1, m + 1):
        t = 0.1 * i
        r.append(np.exp(-t * x[0]) - np.exp(-t * x[1]) - x[2] * (np.exp(-t) - np.exp(-10 * t)))
    return sumsq(r)


def powell_s(x):
    return sumsq([x[0] + 10 * x[1], np.sqrt(5) * (x[2] - x[3]), (x[1] - 2 * x[2]) ** 2,
                  np.sqrt(10) * (x[0] - x[3]) ** 2])


def wood(x):
    return sumsq([10 * (x[1] - x[0] ** 2), 1 - x[0], np.sqrt(90) * (x[3] - x[2] ** 2), 1 - x[2],
                  np.sqrt(10) * (x[1] + x[3] - 2), (x[1] - x[3]) / np.sqrt(10)])


KOW_Y = [0.1957, 0.1947, 0.1735, 0.1600, 0.0844, 0.0627, 0.0456, 0.0342, 0.0323, 0.0235, 0.0246]
KOW_U = [4, 2, 1, 0.5, 0.25, 0.167, 0.125, 0.1, 0.0833, 0.0714, 0.0625]


def kowalik(x):
    return sumsq([KOW_Y[i] - x[0] * (u * u + u * x[1]) / (u * u + u * x[2] + x[3])
                  for i, u in enumerate(KOW_U)])


def brown_dennis(x, m=20):
    r = []
    for i in range(1, m + 1):
        t = i / 5
        r.append((x[0] + t * x[1] - np.exp(t)) ** 2 + (x[2] + x[3] * np.sin(t) - np.cos(t)) ** 2)
    return sumsq(r)


OSB1_Y = [0.844, 0.908, 0.932, 0.936, 0.925, 0.908, 0.881, 0.850, 0.818, 0.784, 0.751, 0.718,
          0.685, 0.658, 0.628, 0.603, 0.580, 0.558, 0.538, 0.522, 0.506, 0.490, 0.478, 0.467,
          0.457, 0.448, 0.438, 0.431, 0.424, 0.420, 0.414, 0.411, 0.406]


def osborne1(x):
    return sumsq([OSB1_Y[i] - (x[0] + x[1] * np.exp(-10 * i * x[3]) + x[2] * np.exp(-10 * i * x[4]))
                  for i in range(33)])


def biggs(x, m=13):
    r = []
    for i in range(1, m + 1):
        t = 0.1 * i
        y = np.exp(-t) - 5 * np.exp(-10 * t) + 3 * np.exp(-4 * t)
        r.append(x[2] * np.exp(-t * x[0]) - x[3] * np.exp(-t * x[1]) + x[5] * np.exp(-t * x[4]) - y)
    return sumsq(r)


OSB2_Y = [1.366, 1.191, 1.112, 1.013, 0.991, 0.885, 0.831, 0.847, 0.786, 0.725, 0.746, 0.679,
          0.608, 0.655, 0.616, 0.606, 0.602, 0.626, 0.651, 0.724, 0.649, 0.649, 0.694, 0.644,
          0.624, 0.661, 0.612, 0.558, 0.533, 0.495, 0.500, 0.423, 0.395, 0.375, 0.372, 0.391,
          0.396, 0.405, 0.428, 0.429, 0.523, 0.562, 0.607, 0.653, 0.672, 0.708, 0.633, 0.668,
          0.645, 0.632, 0.591, 0.559, 0.597, 0.625, 0.739, 0.710, 0.729, 0.720, 0.636, 0.581,
          0.428, 0.292, 0.162, 0.098, 0.054]


def osborne2(x):
    r = []
    for i in range(65):
        t = i / 10
        r.append(OSB2_Y[i] - (x[0] * np.exp(-t * x[4]) + x[1] * np.exp(-(t - x[8]) ** 2 * x[5])
                              + x[2] * np.exp(-(t - x[9]) ** 2 * x[6])
                              + x[3] * np.exp(-(t - x[10]) ** 2 * x[7])))
    return sumsq(r)


def watson(x):
    n = len(x)
    r = []
    for i in range(1, 30):
        t = i / 29
        s1 = sum((j - 1) * x[j - 1] * t ** (j - 2) for j in range(2, n + 1))
        s2 = sum(x[j - 1] * t ** (j - 1) for j in range(1, n + 1))
        r.append(s1 - s2 * s2 - 1)
    r.append(x[0])
    r.append(x[1] - x[0] ** 2 - 1)
    return sumsq(r)


def ext_rosen(x):
    return sumsq([v for i in range(0, len(x), 2) for v in (10 * (x[i + 1] - x[i] ** 2), 1 - x[i])])


def ext_powell(x):
    r = []
    for i in range(0, len(x), 4):
        r += [x[i] + 10 * x[i + 1], np.sqrt(5) * (x[i + 2] - x[i + 3]),
              (x[i + 1] - 2 * x[i + 2]) ** 2, np.sqrt(10) * (x[i] - x[i + 3]) ** 2]
    return sumsq(r)


def penalty1(x):
    a = 1e-5
    return sumsq([np.sqrt(a) * (v - 1) for v in x] + [sum(v * v for v in x) - 0.25])


def penalty2(x):
    n, a = len(x), 1e-5
    r = [x[0] - 0.2]
    for i in range(2, n + 1):
        y = np.exp(i / 10) + np.exp((i - 1) / 10)
        r.append(np.sqrt(a) * (np.exp(x[i - 1] / 10) + np.exp(x[i - 2] / 10) - y))
    for i in range(n + 1, 2 * n):
        r.append(np.sqrt(a) * (np.exp(x[i - n] / 10) - np.exp(-0.1)))
    r.append(sum((n - j + 1) * x[j - 1] ** 2 for j in range(1, n + 1)) - 1)
    return sumsq(r)


def var_dim(x):
    n = len(x)
    t = sum((j + 1) * (x[j] - 1) for j in range(n))
    return sumsq([v - 1 for v in x] + [t, t * t])


def trig(x):
    n = len(x)
    c = sum(np.cos(v) for v in x)
    return sumsq([n - c + (i + 1) * (1 - np.cos(x[i])) - np.sin(x[i]) for i in range(n)])


def brown_al(x):
    n = len(x)
    s = sum(x)
    p = 1
    for v in x:
        p = p * v
    return sumsq([x[i] + s - (n + 1) for i in range(n - 1)] + [p - 1])


def disc_bv(x):
    n = len(x)
    h = 1 / (n + 1)
    r = []
    for i in range(n):
        left = x[i - 1] if i > 0 else 0
        right = x[i + 1] if i + 1 < n else 0
        r.append(2 * x[i] - left - right + h * h * (x[i] + (i + 1) * h + 1) ** 3 / 2)
    return sumsq(r)


def disc_ie(x):
    n = len(x)
    h = 1 / (n + 1)
    t = [(j + 1) * h for j in range(n)]
    c = [(x[j] + t[j] + 1) ** 3 for j in range(n)]
    r = []
    for i in range(n):
        a = sum(t[j] * c[j] for j in range(i + 1))
        b = sum((1 - t[j]) * c[j] for j in range(i + 1, n))
        r.append(x[i] + h * ((1 - t[i]) * a + t[i] * b) / 2)
    return sumsq(r)


def broyden_tri(x):
    n = len(x)
    return sumsq([(3 - 2 * x[i]) * x[i] - (x[i - 1] if i > 0 else 0)
                  - 2 * (x[i + 1] if i + 1 < n else 0) + 1 for i in range(n)])


def broyden_band(x):
    n = len(x)
    r = []
    for i in range(n):
        band = sum(x[j] * (1 + x[j]) for j in range(max(0, i - 5), min(n - 1, i + 1) + 1) if j != i)
        r.append(x[i] * (2 + 5 * x[i] ** 2) + 1 - band)
    return sumsq(r)


def lin_full(x, m=20):
    n = len(x)
    s = sum(x)
    return sumsq([x[i] - 2 / m * s - 1 for i in range(n)] + [-2 / m * s - 1] * (m - n))


def lin_r1(x, m=20):
    t = sum((j + 1) * x[j] for j in range(len(x)))
    return sumsq([i * t - 1 for i in range(1, m + 1)])


def lin_r1z(x, m=20):
    n = len(x)
    t = sum((j + 1) * x[j] for j in range(1, n - 1))
    return sumsq([-1] + [(i - 1) * t - 1 for i in range(2, m)] + [-1])


def chebyquad(x):
    n = len(x)
    r = []
    for i in range(1, n + 1):
        mean = 0
        for v in x:
            y = 2 * v - 1
            t0, t1 = 1, y
            for _ in range(1, i):
                t0, t1 = t1, 2 * y * t1 - t0
            mean = mean + t1
        mean = mean / n
        integral = -1 / (i * i - 1) if i % 2 == 0 else 0
        r.append(mean - integral)
    return sumsq(r)


def grid(n, f):
    return [f(j) for j in range(1, n + 1)]


H10 = 1 / 11
PROBLEMS = [
    ("Rosenbrock", rosenbrock, [-1.2, 1]),
    ("Freudenstein-Roth", freudenstein_roth, [0.5, -2]),
    ("Powell badly scaled", powell_bs, [0, 1]),
    ("Brown badly scaled", brown_bs, [1, 1]),
    ("Beale", beale, [1, 1]),
    ("Jennrich-Sampson (m=10)", jennrich, [0.3, 0.4]),
    ("Helical valley", helical, [-1, 0, 0]),
    ("Bard", bard, [1, 1, 1]),
    ("Gaussian", gaussian, [0.4, 1, 0]),
    ("Meyer", meyer, [0.02, 4000, 250]),
    ("Gulf (m=99)", gulf, [5, 2.5, 0.15]),
    ("Box 3D (m=10)", box3d, [0, 10, 20]),
    ("Powell singular", powell_s, [3, -1, 0, 1]),
    ("Wood", wood, [-3, -1, -3, -1]),
    ("Kowalik-Osborne", kowalik, [0.25, 0.39, 0.415, 0.39]),
    ("Brown-Dennis (m=20)", brown_dennis, [25, 5, -5, -1]),
    ("Osborne 1", osborne1, [0.5, 1.5, -1, 0.01, 0.02]),
    ("Biggs EXP6 (m=13)", biggs, [1, 2, 1, 1, 1, 1]),
    ("Osborne 2", osborne2, [1.3, 0.65, 0.65, 0.7, 0.6, 3, 5, 7, 2, 4.5, 5.5]),
    ("Watson (n=6)", watson, [0] * 6),
    ("Watson (n=9)", watson, [0] * 9),
    ("Extended Rosenbrock (n=10)", ext_rosen, [-1.2, 1] * 5),
    ("Extended Powell (n=12)", ext_powell, [3, -1, 0, 1] * 3),
    ("Penalty I (n=4)", penalty1, grid(4, float)),
    ("Penalty I (n=10)", penalty1, grid(10, float)),
    ("Penalty II (n=4)", penalty2, [0.5] * 4),
    ("Penalty II (n=10)", penalty2, [0.5] * 10),
    ("Variably dimensioned (n=10)", var_dim, grid(10, lambda j: 1 - j / 10)),
    ("Trigonometric (n=10)", trig, [0.1] * 10),
    ("Brown almost-linear (n=10)", brown_al, [0.5] * 10),
    ("Discrete boundary value (n=10)", disc_bv, grid(10, lambda j: j * H10 * (j * H10 - 1))),
    ("Discrete integral equation (n=10)", disc_ie, grid(10, lambda j: j * H10 * (j * H10 - 1))),
    ("Broyden tridiagonal (n=10)", broyden_tri, [-1] * 10),
    ("Broyden banded (n=10)", broyden_band, [-1] * 10),
    ("Linear full rank (n=10, m=20)", lin_full, [1] * 10),
    ("Linear rank 1 (n=10, m=20)", lin_r1, [1] * 10),
    ("Linear rank 1, zero rows/columns (n=10, m=20)", lin_r1z, [1] * 10),
    ("Chebyquad (n=8)", chebyquad, grid(8, lambda j: j / 9)),
    ("Chebyquad (n=10)", chebyquad, grid(10, lambda j: j / 11)),
]


def complex_step(f):
    def fg(x):
        x = np.asarray(x, dtype=float)
        g = np.empty_like(x)
        h = 1e-30
        for j in range(len(x)):
            z = x.astype(complex)
            z[j] += 1j * h
            g[j] = f(z).imag / h
        return float(np.real(f(x.astype(complex)))), g
    return fg


def run(setting, name, fg, x0):
    opts = {"maxcor": 10, "gtol": 1e-5, "maxiter": 15000, "maxfun": 15000}
    if setting == "gtol":
        opts["ftol"] = 0.0
    r = minimize(fg, np.asarray(x0, dtype=float), jac=True, method="L-BFGS-B", options=opts)
    ginf = float(np.max(np.abs(r.jac)))
    msg = r.message if isinstance(r.message, str) else r.message.decode()
    print(f"{setting}\t{name}\t{len(x0)}\t{r.nit}\t{r.nfev}\t{r.fun:.10e}\t{ginf:.3e}\t{msg}")


def main():
    for name, f, x0 in PROBLEMS:
        f0, _ = complex_step(f)(x0)
        print(f"f(x0) {name}: {f0:.10e}", file=sys.stderr)
    for setting in ("gtol", "default"):
        for n in (2, 100, 1000, 10000):
            x0 = np.array([-1.2 if i % 2 == 0 else 1.0 for i in range(n)])
            run(setting, f"Extended Rosenbrock n={n}", ext_rosen_fg, x0)
        for name, f, x0 in PROBLEMS:
            run(setting, name, complex_step(f), x0)


if __name__ == "__main__":
    main()
