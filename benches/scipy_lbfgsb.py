#!/usr/bin/env python3
"""scipy's L-BFGS-B on the bounded problems of tests/lbfgsb_scipy.rs: the
reference column of the README's L-BFGS-B table and the numbers that test
file checks gd against. Not part of the build or the tests; needs
`pip install scipy`.

    python3 benches/scipy_lbfgsb.py          # the table (tab-separated)
    python3 benches/scipy_lbfgsb.py --rust   # the Rust table of tests/lbfgsb_scipy.rs

The problems are bounded versions of the Moré–Garbow–Hillstrom problems,
written independently in benches/scipy_lbfgs.py (numpy, differentiated by
the complex step); labels number the variables from 1, as the paper does.
Settings as gd's defaults: m = 10 (maxcor),
pgtol = 1e-5 (gtol), ftol = 2.2e-9 (scipy's default, factr = 1e7).
"""
import sys
import numpy as np
import scipy
from scipy.optimize import minimize

from scipy_lbfgs import PROBLEMS, complex_step

INF = np.inf
MGH = {name: (f, x0) for name, f, x0 in PROBLEMS}


def free(n):
    return [-INF] * n, [INF] * n


def case(label, mgh, lower, upper, x0=None):
    f, x0_std = MGH[mgh]
    return label, mgh, lower, upper, list(map(float, x0 if x0 is not None else x0_std))


def alt(n, a, b):
    return [a if i % 2 == 0 else b for i in range(n)]


# label, MGH problem, lower, upper, start (None: the standard one).
CASES = [
    # One-sided bounds, active at the solution.
    case("Rosenbrock, x1 <= 0.5", "Rosenbrock", [-INF, -INF], [0.5, INF]),
    case("Rosenbrock, x1 >= 1.5 (x0 outside)", "Rosenbrock", [1.5, -INF], [INF, INF]),
    case("Rosenbrock, x1 <= 0.5 active at x0", "Rosenbrock", [-INF, -INF], [0.5, INF], [0.5, 1.0]),
    case("Freudenstein-Roth, 0 <= x2 <= 3 (x0 outside)", "Freudenstein-Roth", [-INF, 0.0], [INF, 3.0]),
    case("Beale, x1 <= 2.5", "Beale", [-INF, -INF], [2.5, INF]),
    case("Helical valley, x3 >= 0.5", "Helical valley", [-INF, -INF, 0.5], [INF, INF, INF]),
    case("Bard, x1 <= 0.05", "Bard", [-INF, -INF, -INF], [0.05, INF, INF]),
    case("Box 3D, x2 <= 9.5", "Box 3D (m=10)", [-INF, -INF, -INF], [INF, 9.5, INF]),
    case("Powell singular, x1 >= 0.1", "Powell singular", [0.1, -INF, -INF, -INF], [INF] * 4),
    case("Kowalik-Osborne, x1 <= 0.19", "Kowalik-Osborne", [-INF] * 4, [0.19, INF, INF, INF]),
    case("Osborne 1, x5 <= 0.02", "Osborne 1", [-INF] * 5, [INF, INF, INF, INF, 0.02]),
    # Boxes with both active and inactive bounds.
    case("Rosenbrock, [-2, 0.8] x [-1, 2]", "Rosenbrock", [-2.0, -1.0], [0.8, 2.0]),
    case("Wood, x1, x3 in [-10, 0.8], x2, x4 in [-10, 10]", "Wood", [-10.0] * 4, [0.8, 10.0, 0.8, 10.0]),
    case("Biggs EXP6, [0, 10]^6 but x5 <= 3.5", "Biggs EXP6 (m=13)", [0.0] * 6, [10.0, 10.0, 10.0, 10.0, 3.5, 10.0]),
    case("Extended Rosenbrock (n=10), odd x <= 0.5", "Extended Rosenbrock (n=10)", [-INF] * 10, alt(10, 0.5, INF)),
    case("Extended Powell (n=12), x >= 0.1 in each block", "Extended Powell (n=12)",
         [0.1 if i % 4 == 0 else -INF for i in range(12)], [INF] * 12),
    case("Penalty I (n=10), odd x <= 0.1 (inactive)", "Penalty I (n=10)", [-INF] * 10, alt(10, 0.1, INF)),
    case("Penalty II (n=4), x >= 0.3", "Penalty II (n=4)", [0.3] * 4, [INF] * 4),
    case("Variably dimensioned (n=10), x <= 0.9", "Variably dimensioned (n=10)", [-INF] * 10, [0.9] * 10),
    case("Brown almost-linear (n=10), [0, 0.9]", "Brown almost-linear (n=10)", [0.0] * 10, [0.9] * 10),
    case("Discrete boundary value (n=10), x >= -0.1", "Discrete boundary value (n=10)", [-0.1] * 10, [INF] * 10),
    case("Broyden tridiagonal (n=10), x <= -0.6", "Broyden tridiagonal (n=10)", [-INF] * 10, [-0.6] * 10),
    case("Linear full rank (n=10), first five >= 0", "Linear full rank (n=10, m=20)",
         [0.0] * 5 + [-INF] * 5, [INF] * 10),
    case("Chebyquad (n=8), [0.1, 0.9]", "Chebyquad (n=8)", [0.1] * 8, [0.9] * 8),
    # Degenerate: fixed variables (lower = upper).
    case("Wood, x3 fixed at 0.5", "Wood", [-INF, -INF, 0.5, -INF], [INF, INF, 0.5, INF]),
    case("Extended Rosenbrock (n=10), x1 = x6 = -0.5 fixed", "Extended Rosenbrock (n=10)",
         [-0.5 if i in (0, 5) else -INF for i in range(10)], [-0.5 if i in (0, 5) else INF for i in range(10)]),
]


def run(label, mgh, lower, upper, x0):
    f, _ = MGH[mgh]
    opts = {"maxcor": 10, "gtol": 1e-5, "ftol": 1e7 * np.finfo(float).eps, "maxiter": 15000, "maxfun": 15000}
    bounds = list(zip(lower, upper))
    return minimize(complex_step(f), np.asarray(x0), jac=True, method="L-BFGS-B", bounds=bounds, options=opts)


def rust_f64(v):
    if v == INF:
        return "INF"
    if v == -INF:
        return "-INF"
    return repr(float(v))


def rust_slice(v):
    return "&[" + ", ".join(rust_f64(e) for e in v) + "]"


def main():
    rust = "--rust" in sys.argv
    if rust:
        print(f"// python3 benches/scipy_lbfgsb.py --rust (scipy {scipy.__version__}, numpy {np.__version__})")
    else:
        print("problem\tn\tnit\tnfev\tf\tactive\tmessage")
    for label, mgh, lower, upper, x0 in CASES:
        r = run(label, mgh, lower, upper, x0)
        if rust:
            print(f'    Case {{ label: "{label}", mgh: "{mgh}", lower: {rust_slice(lower)}, upper: {rust_slice(upper)},')
            print(f"        x0: {rust_slice(x0)},")
            print(f"        scipy: Scipy {{ nit: {r.nit}, nfev: {r.nfev}, f: {rust_f64(r.fun)}, x: {rust_slice(r.x)} }} }},")
        else:
            active = sum(1 for i, v in enumerate(r.x) if v == lower[i] or v == upper[i])
            msg = r.message if isinstance(r.message, str) else r.message.decode()
            print(f"{label}\t{len(x0)}\t{r.nit}\t{r.nfev}\t{r.fun:.10e}\t{active}\t{msg}")


if __name__ == "__main__":
    main()
