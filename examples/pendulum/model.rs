//! The damped pendulum of issue 18, integrated with RK4: θ'' = −c·θ' − k·sin θ,
//! parameters `p = [c, k]` (`P`), θ₀ = 1, ω₀ = 0, step 10⁻³; the loss is the final
//! energy-like `θ² + ω²/2`. The same body three times: the primal alone is
//! the plain function; `plain` is differentiated with every trip taped;
//! `ckpt` with `#[checkpoint(snapshots = 32)]`. Shared by
//! `examples/pendulum` (peak memory) and `benches/checkpoint.rs` (time).

use gd::differentiable;

#[differentiable]
fn accel(th: f64, om: f64, c: f64, k: f64) -> f64 {
    -c * om - k * th.sin()
}

#[differentiable]
pub fn plain(p: &[f64], n: usize) -> f64 {
    let (c, k) = (p[0], p[1]);
    let h = 1e-3;
    let mut th = 1.0;
    let mut om = 0.0;
    for _ in 0..n {
        let (k1t, k1o) = (om, accel(th, om, c, k));
        let (k2t, k2o) = (om + 0.5 * h * k1o, accel(th + 0.5 * h * k1t, om + 0.5 * h * k1o, c, k));
        let (k3t, k3o) = (om + 0.5 * h * k2o, accel(th + 0.5 * h * k2t, om + 0.5 * h * k2o, c, k));
        let (k4t, k4o) = (om + h * k3o, accel(th + h * k3t, om + h * k3o, c, k));
        th = th + h / 6.0 * (k1t + 2.0 * k2t + 2.0 * k3t + k4t);
        om = om + h / 6.0 * (k1o + 2.0 * k2o + 2.0 * k3o + k4o);
    }
    th * th + 0.5 * om * om
}

#[differentiable]
pub fn ckpt(p: &[f64], n: usize) -> f64 {
    let (c, k) = (p[0], p[1]);
    let h = 1e-3;
    let mut th = 1.0;
    let mut om = 0.0;
    #[checkpoint(snapshots = 32)]
    for _ in 0..n {
        let (k1t, k1o) = (om, accel(th, om, c, k));
        let (k2t, k2o) = (om + 0.5 * h * k1o, accel(th + 0.5 * h * k1t, om + 0.5 * h * k1o, c, k));
        let (k3t, k3o) = (om + 0.5 * h * k2o, accel(th + 0.5 * h * k2t, om + 0.5 * h * k2o, c, k));
        let (k4t, k4o) = (om + h * k3o, accel(th + h * k3t, om + h * k3o, c, k));
        th = th + h / 6.0 * (k1t + 2.0 * k2t + 2.0 * k3t + k4t);
        om = om + h / 6.0 * (k1o + 2.0 * k2o + 2.0 * k3o + k4o);
    }
    th * th + 0.5 * om * om
}

// Light damping: the swing is still there after 10⁷ steps (10⁴ s).
pub const P: [f64; 2] = [1e-4, 9.81];
