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
