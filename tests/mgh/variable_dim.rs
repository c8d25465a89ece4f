//! MGH problems 20–35 (variable dimension n = x.len()), as ordinary
//! `#[differentiable]` functions: f(x) = Σ fᵢ(x)², residuals inline.

// Written with indices, as the paper writes the residuals; sums of an
// active slice use the fold form the macro supports, `.iter().map(..).sum()`.
#![allow(clippy::needless_range_loop, clippy::map_clone)]

use gd::differentiable;

/// #20 Watson (m = 31): for tᵢ = i/29, 1 ≤ i ≤ 29,
/// fᵢ = Σ_{j=2..n} (j−1) x_j tᵢ^{j−2} − (Σ_{j=1..n} x_j tᵢ^{j−1})² − 1;
/// f₃₀ = x₁, f₃₁ = x₂ − x₁² − 1.
#[differentiable]
pub fn watson(x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for i in 1..30 {
        let t = i as f64 / 29.0;
        let mut s1 = 0.0;
        let mut p = 1.0;
        for j in 1..n {
            s1 += j as f64 * x[j] * p;
            p *= t;
        }
        let mut s2 = 0.0;
        let mut q = 1.0;
        for j in 0..n {
            s2 += x[j] * q;
            q *= t;
        }
        let f = s1 - s2 * s2 - 1.0;
        s += f * f;
    }
    let f31 = x[1] - x[0] * x[0] - 1.0;
    s + x[0] * x[0] + f31 * f31
}

/// #21 Extended Rosenbrock (n even).
#[differentiable]
pub fn extended_rosenbrock(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() / 2 {
        let f1 = 10.0 * (x[2 * i + 1] - x[2 * i] * x[2 * i]);
        let f2 = 1.0 - x[2 * i];
        s += f1 * f1 + f2 * f2;
    }
    s
}

/// #22 Extended Powell singular (n a multiple of 4).
#[differentiable]
pub fn extended_powell(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for k in 0..x.len() / 4 {
        let i = 4 * k;
        let f1 = x[i] + 10.0 * x[i + 1];
        let f2 = 5f64.sqrt() * (x[i + 2] - x[i + 3]);
        let f3 = (x[i + 1] - 2.0 * x[i + 2]).powi(2);
        let f4 = 10f64.sqrt() * (x[i] - x[i + 3]).powi(2);
        s += f1 * f1 + f2 * f2 + f3 * f3 + f4 * f4;
    }
    s
}

/// #23 Penalty I: fᵢ = √a (xᵢ − 1), f_{n+1} = Σ x_j² − ¼, a = 1e-5.
#[differentiable]
pub fn penalty1(x: &[f64]) -> f64 {
    let a = 1e-5;
    let mut s = 0.0;
    let mut sq = 0.0;
    for i in 0..x.len() {
        s += a * (x[i] - 1.0) * (x[i] - 1.0);
        sq += x[i] * x[i];
    }
    let f = sq - 0.25;
    s + f * f
}

/// #24 Penalty II (m = 2n), a = 1e-5, yᵢ = e^{i/10} + e^{(i−1)/10}.
#[differentiable]
pub fn penalty2(x: &[f64]) -> f64 {
    let n = x.len();
    let a = 1e-5;
    let f1 = x[0] - 0.2;
    let mut s = f1 * f1;
    for i in 1..n {
        let y = ((i + 1) as f64 / 10.0).exp() + (i as f64 / 10.0).exp();
        let f = (x[i] / 10.0).exp() + (x[i - 1] / 10.0).exp() - y;
        s += a * f * f;
    }
    for i in 1..n {
        let f = (x[i] / 10.0).exp() - (-0.1f64).exp();
        s += a * f * f;
    }
    let mut w = 0.0;
    for j in 0..n {
        w += (n - j) as f64 * x[j] * x[j];
    }
    let f = w - 1.0;
    s + f * f
}

/// #25 Variably dimensioned: fᵢ = xᵢ − 1, f_{n+1} = Σ j(x_j − 1),
/// f_{n+2} = (Σ j(x_j − 1))².
#[differentiable]
pub fn variably_dimensioned(x: &[f64]) -> f64 {
    let mut s = 0.0;
    let mut t = 0.0;
    for j in 0..x.len() {
        s += (x[j] - 1.0) * (x[j] - 1.0);
        t += (j + 1) as f64 * (x[j] - 1.0);
    }
    s + t * t + t * t * t * t
}

/// #26 Trigonometric: fᵢ = n − Σ cos x_j + i(1 − cos xᵢ) − sin xᵢ.
#[differentiable]
pub fn trigonometric(x: &[f64]) -> f64 {
    let n = x.len();
    let c: f64 = x.iter().map(|v| v.cos()).sum::<f64>();
    let mut s = 0.0;
    for i in 0..n {
        let f = n as f64 - c + (i + 1) as f64 * (1.0 - x[i].cos()) - x[i].sin();
        s += f * f;
    }
    s
}

/// #27 Brown almost-linear: fᵢ = xᵢ + Σ x_j − (n + 1), i < n; f_n = Π x_j − 1.
#[differentiable]
pub fn brown_almost_linear(x: &[f64]) -> f64 {
    let n = x.len();
    let sum: f64 = x.iter().map(|v| *v).sum::<f64>();
    let mut s = 0.0;
    let mut p = 1.0;
    for i in 0..n {
        p *= x[i];
        if i + 1 < n {
            let f = x[i] + sum - (n + 1) as f64;
            s += f * f;
        }
    }
    let f = p - 1.0;
    s + f * f
}

/// #28 Discrete boundary value: h = 1/(n+1), tᵢ = ih,
/// fᵢ = 2xᵢ − x_{i−1} − x_{i+1} + h²(xᵢ + tᵢ + 1)³/2, x₀ = x_{n+1} = 0.
#[differentiable]
pub fn discrete_boundary_value(x: &[f64]) -> f64 {
    let n = x.len();
    let h = 1.0 / (n + 1) as f64;
    let mut s = 0.0;
    for i in 0..n {
        let t = (i + 1) as f64 * h;
        let left = if i > 0 { x[i - 1] } else { 0.0 };
        let right = if i + 1 < n { x[i + 1] } else { 0.0 };
        let f = 2.0 * x[i] - left - right + h * h * (x[i] + t + 1.0).powi(3) / 2.0;
        s += f * f;
    }
    s
}

/// #29 Discrete integral equation: fᵢ = xᵢ + h[(1 − tᵢ) Σ_{j≤i} t_j(x_j + t_j + 1)³
/// + tᵢ Σ_{j>i} (1 − t_j)(x_j + t_j + 1)³]/2.
#[differentiable]
pub fn discrete_integral_equation(x: &[f64]) -> f64 {
    let n = x.len();
    let h = 1.0 / (n + 1) as f64;
    let mut s = 0.0;
    for i in 0..n {
        let ti = (i + 1) as f64 * h;
        let mut a = 0.0;
        let mut b = 0.0;
        for j in 0..n {
            let tj = (j + 1) as f64 * h;
            let c = (x[j] + tj + 1.0).powi(3);
            if j <= i {
                a += tj * c;
            } else {
                b += (1.0 - tj) * c;
            }
        }
        let f = x[i] + h * ((1.0 - ti) * a + ti * b) / 2.0;
        s += f * f;
    }
    s
}

/// #30 Broyden tridiagonal: fᵢ = (3 − 2xᵢ)xᵢ − x_{i−1} − 2x_{i+1} + 1.
#[differentiable]
pub fn broyden_tridiagonal(x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for i in 0..n {
        let left = if i > 0 { x[i - 1] } else { 0.0 };
        let right = if i + 1 < n { x[i + 1] } else { 0.0 };
        let f = (3.0 - 2.0 * x[i]) * x[i] - left - 2.0 * right + 1.0;
        s += f * f;
    }
    s
}

/// #31 Broyden banded (m_l = 5, m_u = 1):
/// fᵢ = xᵢ(2 + 5xᵢ²) + 1 − Σ_{j∈Jᵢ} x_j(1 + x_j).
#[differentiable]
pub fn broyden_banded(x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for i in 0..n {
        let lo = i.saturating_sub(5);
        let hi = if i + 1 < n { i + 1 } else { n - 1 };
        let mut band = 0.0;
        for j in lo..=hi {
            if j != i {
                band += x[j] * (1.0 + x[j]);
            }
        }
        let f = x[i] * (2.0 + 5.0 * x[i] * x[i]) + 1.0 - band;
        s += f * f;
    }
    s
}

/// #32 Linear function, full rank (m ≥ n residuals):
/// fᵢ = xᵢ − (2/m) Σ x_j − 1 (i ≤ n), fᵢ = −(2/m) Σ x_j − 1 (i > n).
#[differentiable]
pub fn linear_full_rank(x: &[f64], m: usize) -> f64 {
    let n = x.len();
    let sum: f64 = x.iter().map(|v| *v).sum::<f64>();
    let c = 2.0 / m as f64 * sum + 1.0;
    let mut s = 0.0;
    for i in 0..n {
        let f = x[i] - c;
        s += f * f;
    }
    s + (m - n) as f64 * c * c
}

/// #33 Linear function, rank 1: fᵢ = i (Σ j x_j) − 1, i = 1..m.
#[differentiable]
pub fn linear_rank1(x: &[f64], m: usize) -> f64 {
    let mut t = 0.0;
    for j in 0..x.len() {
        t += (j + 1) as f64 * x[j];
    }
    let mut s = 0.0;
    for i in 1..=m {
        let f = i as f64 * t - 1.0;
        s += f * f;
    }
    s
}

/// #34 Linear function, rank 1 with zero columns and rows:
/// f₁ = f_m = −1, fᵢ = (i − 1)(Σ_{j=2..n−1} j x_j) − 1.
#[differentiable]
pub fn linear_rank1_zero(x: &[f64], m: usize) -> f64 {
    let n = x.len();
    let mut t = 0.0;
    for j in 1..n - 1 {
        t += (j + 1) as f64 * x[j];
    }
    let mut s = 2.0;
    for i in 2..m {
        let f = (i - 1) as f64 * t - 1.0;
        s += f * f;
    }
    s
}

/// #35 Chebyquad (m = n): fᵢ = (1/n) Σ_j Tᵢ(x_j) − ∫₀¹ Tᵢ, Tᵢ the shifted
/// Chebyshev polynomial on [0, 1]; ∫₀¹ Tᵢ = 0 for odd i, −1/(i² − 1) for even i.
#[differentiable]
pub fn chebyquad(x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for i in 1..=n {
        let mut mean = 0.0;
        for j in 0..n {
            let y = 2.0 * x[j] - 1.0;
            let mut t0 = 1.0;
            let mut t1 = y;
            for _k in 1..i {
                let t2 = 2.0 * y * t1 - t0;
                t0 = t1;
                t1 = t2;
            }
            mean += t1;
        }
        mean /= n as f64;
        let integral = if i % 2 == 0 { -1.0 / ((i * i) as f64 - 1.0) } else { 0.0 };
        let f = mean - integral;
        s += f * f;
    }
    s
}
