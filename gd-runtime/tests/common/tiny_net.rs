//! A 3 → 5 tanh → 1 network with a mean squared error, its gradient by
//! hand, on 203 synthetic samples (an odd count, so the ranks' blocks are
//! uneven): the loss the data-parallel tests train, small enough to run
//! many times, nonlinear enough that the order of the sums shows.

pub const H: usize = 5;
/// Parameters: w1 (H×3), b1 (H), w2 (H), b2.
pub const DIM: usize = 3 * H + H + H + 1;
pub const N: usize = 203;

/// Sample `i`: inputs and target.
pub fn sample(i: usize) -> ([f64; 3], f64) {
    let t = i as f64;
    let x = [(0.37 * t).sin(), ((i * 7) % 13) as f64 / 13.0 - 0.5, (0.11 * t).cos()];
    (x, (1.3 * x[0] - 0.7 * x[1] * x[2]).tanh() + 0.2 * x[2])
}

/// The starting parameters (fixed, small, not symmetric).
pub fn init() -> Vec<f64> {
    (0..DIM).map(|k| 0.3 * ((k as f64 * 1.7 + 0.4).sin())).collect()
}

/// Mean loss over `samples` (global indices `offset + s`), gradient
/// overwritten.
pub fn loss(p: &[f64], offset: usize, samples: &[usize], g: &mut [f64]) -> f64 {
    assert_eq!(p.len(), DIM, "tiny_net: parameter count");
    g.fill(0.0);
    let (w1, rest) = p.split_at(3 * H);
    let (b1, rest) = rest.split_at(H);
    let (w2, b2) = rest.split_at(H);
    let mut l = 0.0;
    for &s in samples {
        let (x, y) = sample(offset + s);
        let mut h = [0.0; H];
        let mut out = b2[0];
        for j in 0..H {
            h[j] = (w1[3 * j] * x[0] + w1[3 * j + 1] * x[1] + w1[3 * j + 2] * x[2] + b1[j]).tanh();
            out += w2[j] * h[j];
        }
        let r = out - y;
        l += r * r;
        let dout = 2.0 * r;
        for j in 0..H {
            g[4 * H + j] += dout * h[j];
            let dz = dout * w2[j] * (1.0 - h[j] * h[j]);
            for k in 0..3 {
                g[3 * j + k] += dz * x[k];
            }
            g[3 * H + j] += dz;
        }
        g[5 * H] += dout;
    }
    let m = samples.len() as f64;
    g.iter_mut().for_each(|v| *v /= m);
    l / m
}

/// The loss over all samples at `p`.
pub fn full_loss(p: &[f64]) -> f64 {
    let all: Vec<usize> = (0..N).collect();
    loss(p, 0, &all, &mut vec![0.0; DIM])
}

/// A logistic regression on the same inputs (label: target > 0) with a
/// small ridge, for Newton-CG: mean loss over `samples` (global
/// `offset + s`), gradient overwritten.
pub fn logistic(p: &[f64], offset: usize, samples: &[usize], g: &mut [f64]) -> f64 {
    g.fill(0.0);
    let mut l = 0.0;
    for &s in samples {
        let (x, y) = sample(offset + s);
        let t = if y > 0.0 { 1.0 } else { -1.0 };
        let z = p[0] * x[0] + p[1] * x[1] + p[2] * x[2] + p[3];
        // log(1 + e^{−tz}) and its derivative −t·σ(−tz).
        l += (-t * z).exp().ln_1p();
        let d = -t / (1.0 + (t * z).exp());
        for k in 0..3 {
            g[k] += d * x[k];
        }
        g[3] += d;
    }
    let m = samples.len() as f64;
    g.iter_mut().for_each(|v| *v /= m);
    for k in 0..4 {
        g[k] += RIDGE * p[k];
    }
    l / m + 0.5 * RIDGE * p.iter().map(|v| v * v).sum::<f64>()
}

/// The ridge of [`logistic`].
pub const RIDGE: f64 = 0.01;

/// The mean over `samples` of `∇²(logistic)·v` (the ridge included).
pub fn logistic_hvp(p: &[f64], v: &[f64], offset: usize, samples: &[usize], out: &mut [f64]) {
    out.fill(0.0);
    for &s in samples {
        let (x, _) = sample(offset + s);
        let xs = [x[0], x[1], x[2], 1.0];
        let z: f64 = (0..4).map(|k| p[k] * xs[k]).sum();
        let sig = 1.0 / (1.0 + (-z).exp());
        let c = sig * (1.0 - sig) * (0..4).map(|k| xs[k] * v[k]).sum::<f64>();
        for k in 0..4 {
            out[k] += c * xs[k];
        }
    }
    let m = samples.len() as f64;
    for k in 0..4 {
        out[k] = out[k] / m + RIDGE * v[k];
    }
}
