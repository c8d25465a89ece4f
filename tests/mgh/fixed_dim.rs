//! MGH problems 1–19 (fixed dimension), as ordinary `#[differentiable]`
//! functions: f(x) = Σ fᵢ(x)², the residuals fᵢ written inline as in
//! Moré, Garbow & Hillstrom (1981). Data tables are passed as data
//! parameters (`wrt(x)`).

// Written with indices, as the paper writes the residuals.
#![allow(clippy::needless_range_loop)]

use gd::differentiable;

/// #1 Rosenbrock.
#[differentiable]
pub fn rosenbrock(x: &[f64]) -> f64 {
    let f1 = 10.0 * (x[1] - x[0] * x[0]);
    let f2 = 1.0 - x[0];
    f1 * f1 + f2 * f2
}

/// #2 Freudenstein and Roth.
#[differentiable]
pub fn freudenstein_roth(x: &[f64]) -> f64 {
    let f1 = -13.0 + x[0] + ((5.0 - x[1]) * x[1] - 2.0) * x[1];
    let f2 = -29.0 + x[0] + ((x[1] + 1.0) * x[1] - 14.0) * x[1];
    f1 * f1 + f2 * f2
}

/// #3 Powell badly scaled.
#[differentiable]
pub fn powell_badly_scaled(x: &[f64]) -> f64 {
    let f1 = 1e4 * x[0] * x[1] - 1.0;
    let f2 = (-x[0]).exp() + (-x[1]).exp() - 1.0001;
    f1 * f1 + f2 * f2
}

/// #4 Brown badly scaled.
#[differentiable]
pub fn brown_badly_scaled(x: &[f64]) -> f64 {
    let f1 = x[0] - 1e6;
    let f2 = x[1] - 2e-6;
    let f3 = x[0] * x[1] - 2.0;
    f1 * f1 + f2 * f2 + f3 * f3
}

/// #5 Beale: fᵢ = yᵢ − x₁(1 − x₂ⁱ), y = (1.5, 2.25, 2.625).
#[differentiable(wrt(x))]
pub fn beale(x: &[f64], y: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..3 {
        let f = y[i] - x[0] * (1.0 - x[1].powi(i as i32 + 1));
        s += f * f;
    }
    s
}

/// #6 Jennrich and Sampson, m residuals: fᵢ = 2 + 2i − (e^{i x₁} + e^{i x₂}).
#[differentiable]
pub fn jennrich_sampson(x: &[f64], m: usize) -> f64 {
    let mut s = 0.0;
    for i in 1..=m {
        let t = i as f64;
        let f = 2.0 + 2.0 * t - ((t * x[0]).exp() + (t * x[1]).exp());
        s += f * f;
    }
    s
}

/// #7 Helical valley (θ as in the paper: arctan(x₂/x₁)/2π, + ½ when x₁ < 0).
#[differentiable]
pub fn helical_valley(x: &[f64]) -> f64 {
    let tau = 2.0 * std::f64::consts::PI;
    let theta = if x[0] > 0.0 {
        (x[1] / x[0]).atan() / tau
    } else {
        (x[1] / x[0]).atan() / tau + 0.5
    };
    let f1 = 10.0 * (x[2] - 10.0 * theta);
    let f2 = 10.0 * ((x[0] * x[0] + x[1] * x[1]).sqrt() - 1.0);
    let f3 = x[2];
    f1 * f1 + f2 * f2 + f3 * f3
}

/// #8 Bard: fᵢ = yᵢ − (x₁ + uᵢ / (vᵢ x₂ + wᵢ x₃)), uᵢ = i, vᵢ = 16 − i,
/// wᵢ = min(uᵢ, vᵢ).
#[differentiable(wrt(x))]
pub fn bard(x: &[f64], y: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 1..=15 {
        let u = i as f64;
        let v = 16.0 - u;
        let w = if u < v { u } else { v };
        let f = y[i - 1] - (x[0] + u / (v * x[1] + w * x[2]));
        s += f * f;
    }
    s
}

/// #9 Gaussian: fᵢ = x₁ exp(−x₂ (tᵢ − x₃)² / 2) − yᵢ, tᵢ = (8 − i)/2.
#[differentiable(wrt(x))]
pub fn gaussian(x: &[f64], y: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 1..=15 {
        let t = (8.0 - i as f64) / 2.0;
        let d = t - x[2];
        let f = x[0] * (-0.5 * x[1] * d * d).exp() - y[i - 1];
        s += f * f;
    }
    s
}

/// #10 Meyer: fᵢ = x₁ exp(x₂ / (tᵢ + x₃)) − yᵢ, tᵢ = 45 + 5i.
#[differentiable(wrt(x))]
pub fn meyer(x: &[f64], y: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 1..=16 {
        let t = 45.0 + 5.0 * i as f64;
        let f = x[0] * (x[1] / (t + x[2])).exp() - y[i - 1];
        s += f * f;
    }
    s
}

/// #11 Gulf research and development, m residuals:
/// fᵢ = exp(−|yᵢ − x₂|^{x₃} / x₁) − tᵢ, tᵢ = i/100,
/// yᵢ = 25 + (−50 ln tᵢ)^{2/3}.
#[differentiable]
pub fn gulf(x: &[f64], m: usize) -> f64 {
    let mut s = 0.0;
    for i in 1..=m {
        let t = i as f64 / 100.0;
        let y = 25.0 + (-50.0 * t.ln()).powf(2.0 / 3.0);
        let f = (-(y - x[1]).abs().powf(x[2]) / x[0]).exp() - t;
        s += f * f;
    }
    s
}

/// #12 Box three-dimensional, m residuals:
/// fᵢ = e^{−tᵢx₁} − e^{−tᵢx₂} − x₃(e^{−tᵢ} − e^{−10tᵢ}), tᵢ = i/10.
#[differentiable]
pub fn box_3d(x: &[f64], m: usize) -> f64 {
    let mut s = 0.0;
    for i in 1..=m {
        let t = 0.1 * i as f64;
        let f = (-t * x[0]).exp() - (-t * x[1]).exp() - x[2] * ((-t).exp() - (-10.0 * t).exp());
        s += f * f;
    }
    s
}

/// #13 Powell singular.
#[differentiable]
pub fn powell_singular(x: &[f64]) -> f64 {
    let f1 = x[0] + 10.0 * x[1];
    let f2 = 5f64.sqrt() * (x[2] - x[3]);
    let f3 = (x[1] - 2.0 * x[2]).powi(2);
    let f4 = 10f64.sqrt() * (x[0] - x[3]).powi(2);
    f1 * f1 + f2 * f2 + f3 * f3 + f4 * f4
}

/// #14 Wood.
#[differentiable]
pub fn wood(x: &[f64]) -> f64 {
    let f1 = 10.0 * (x[1] - x[0] * x[0]);
    let f2 = 1.0 - x[0];
    let f3 = 90f64.sqrt() * (x[3] - x[2] * x[2]);
    let f4 = 1.0 - x[2];
    let f5 = 10f64.sqrt() * (x[1] + x[3] - 2.0);
    let f6 = (x[1] - x[3]) / 10f64.sqrt();
    f1 * f1 + f2 * f2 + f3 * f3 + f4 * f4 + f5 * f5 + f6 * f6
}

/// #15 Kowalik and Osborne: fᵢ = yᵢ − x₁(uᵢ² + uᵢx₂) / (uᵢ² + uᵢx₃ + x₄).
#[differentiable(wrt(x))]
pub fn kowalik_osborne(x: &[f64], y: &[f64], u: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..11 {
        let f = y[i] - x[0] * (u[i] * u[i] + u[i] * x[1]) / (u[i] * u[i] + u[i] * x[2] + x[3]);
        s += f * f;
    }
    s
}

/// #16 Brown and Dennis, m residuals:
/// fᵢ = (x₁ + tᵢx₂ − e^{tᵢ})² + (x₃ + x₄ sin tᵢ − cos tᵢ)², tᵢ = i/5.
#[differentiable]
pub fn brown_dennis(x: &[f64], m: usize) -> f64 {
    let mut s = 0.0;
    for i in 1..=m {
        let t = i as f64 / 5.0;
        let a = x[0] + t * x[1] - t.exp();
        let b = x[2] + x[3] * t.sin() - t.cos();
        let f = a * a + b * b;
        s += f * f;
    }
    s
}

/// #17 Osborne 1: fᵢ = yᵢ − (x₁ + x₂e^{−tᵢx₄} + x₃e^{−tᵢx₅}), tᵢ = 10(i − 1).
#[differentiable(wrt(x))]
pub fn osborne1(x: &[f64], y: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..33 {
        let t = 10.0 * i as f64;
        let f = y[i] - (x[0] + x[1] * (-t * x[3]).exp() + x[2] * (-t * x[4]).exp());
        s += f * f;
    }
    s
}

/// #18 Biggs EXP6, m residuals:
/// fᵢ = x₃e^{−tᵢx₁} − x₄e^{−tᵢx₂} + x₆e^{−tᵢx₅} − yᵢ, tᵢ = i/10,
/// yᵢ = e^{−tᵢ} − 5e^{−10tᵢ} + 3e^{−4tᵢ}.
#[differentiable]
pub fn biggs_exp6(x: &[f64], m: usize) -> f64 {
    let mut s = 0.0;
    for i in 1..=m {
        let t = 0.1 * i as f64;
        let y = (-t).exp() - 5.0 * (-10.0 * t).exp() + 3.0 * (-4.0 * t).exp();
        let f = x[2] * (-t * x[0]).exp() - x[3] * (-t * x[1]).exp() + x[5] * (-t * x[4]).exp() - y;
        s += f * f;
    }
    s
}

/// #19 Osborne 2: fᵢ = yᵢ − (x₁e^{−tᵢx₅} + x₂e^{−(tᵢ−x₉)²x₆}
/// + x₃e^{−(tᵢ−x₁₀)²x₇} + x₄e^{−(tᵢ−x₁₁)²x₈}), tᵢ = (i − 1)/10.
#[differentiable(wrt(x))]
pub fn osborne2(x: &[f64], y: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..65 {
        let t = i as f64 / 10.0;
        let a = t - x[8];
        let b = t - x[9];
        let c = t - x[10];
        let model = x[0] * (-t * x[4]).exp()
            + x[1] * (-a * a * x[5]).exp()
            + x[2] * (-b * b * x[6]).exp()
            + x[3] * (-c * c * x[7]).exp();
        let f = y[i] - model;
        s += f * f;
    }
    s
}

/// Data of #5 Beale.
pub const BEALE_Y: [f64; 3] = [1.5, 2.25, 2.625];
/// Data of #8 Bard.
pub const BARD_Y: [f64; 15] =
    [0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39, 0.37, 0.58, 0.73, 0.96, 1.34, 2.10, 4.39];
/// Data of #9 Gaussian.
pub const GAUSSIAN_Y: [f64; 15] = [
    0.0009, 0.0044, 0.0175, 0.0540, 0.1295, 0.2420, 0.3521, 0.3989, 0.3521, 0.2420, 0.1295, 0.0540,
    0.0175, 0.0044, 0.0009,
];
/// Data of #10 Meyer.
pub const MEYER_Y: [f64; 16] = [
    34780.0, 28610.0, 23650.0, 19630.0, 16370.0, 13720.0, 11540.0, 9744.0, 8261.0, 7030.0, 6005.0,
    5147.0, 4427.0, 3820.0, 3307.0, 2872.0,
];
/// Data of #15 Kowalik and Osborne.
pub const KOWALIK_Y: [f64; 11] =
    [0.1957, 0.1947, 0.1735, 0.1600, 0.0844, 0.0627, 0.0456, 0.0342, 0.0323, 0.0235, 0.0246];
/// Data of #15 Kowalik and Osborne.
pub const KOWALIK_U: [f64; 11] = [4.0, 2.0, 1.0, 0.5, 0.25, 0.167, 0.125, 0.1, 0.0833, 0.0714, 0.0625];
/// Data of #17 Osborne 1.
pub const OSBORNE1_Y: [f64; 33] = [
    0.844, 0.908, 0.932, 0.936, 0.925, 0.908, 0.881, 0.850, 0.818, 0.784, 0.751, 0.718, 0.685, 0.658,
    0.628, 0.603, 0.580, 0.558, 0.538, 0.522, 0.506, 0.490, 0.478, 0.467, 0.457, 0.448, 0.438, 0.431,
    0.424, 0.420, 0.414, 0.411, 0.406,
];
/// Data of #19 Osborne 2.
pub const OSBORNE2_Y: [f64; 65] = [
    1.366, 1.191, 1.112, 1.013, 0.991, 0.885, 0.831, 0.847, 0.786, 0.725, 0.746, 0.679, 0.608, 0.655,
    0.616, 0.606, 0.602, 0.626, 0.651, 0.724, 0.649, 0.649, 0.694, 0.644, 0.624, 0.661, 0.612, 0.558,
    0.533, 0.495, 0.500, 0.423, 0.395, 0.375, 0.372, 0.391, 0.396, 0.405, 0.428, 0.429, 0.523, 0.562,
    0.607, 0.653, 0.672, 0.708, 0.633, 0.668, 0.645, 0.632, 0.591, 0.559, 0.597, 0.625, 0.739, 0.710,
    0.729, 0.720, 0.636, 0.581, 0.428, 0.292, 0.162, 0.098, 0.054,
];
