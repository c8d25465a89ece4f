//! A nonlinear least-squares fit of per-sample physics on the GPU (issue
//! 20): the amplitude, damping, frequency and phase of a damped oscillator
//! `a·e^(−γt)·cos(ωt + φ)` fitted to 10⁶ noisy curves, each a short time
//! series of 32 points starting at its own time `t₀` (the sample's target).
//! The per-curve loss is an ordinary Rust function; `#[differentiable(cuda)]`
//! prints its reverse sweep as CUDA C and `gd::cuda::BatchObjective` sums
//! it over the curves on the device. Checks the device's gradient against
//! the CPU's, times both, then fits with L-BFGS.
//!
//!     cargo run --release -p gd-examples --features cuda --example cuda_oscillator
//!
//! `GD_N=10000` for a smaller run. Without a GPU it says so and exits.

use gd::cuda::{BatchConfig, BatchObjective, DeviceLoss};
use gd::differentiable;
use gd::runtime::{Lbfgs, StopCriteria};
use gd_examples::cuda_batch::{best_of, cpu_mean, gpu_or_exit, report, samples};
use rand::{rngs::StdRng, Rng, SeedableRng};

const POINTS: usize = 32;
const DT: f32 = 0.05;

/// Half the squared error of the model against one curve sampled at
/// `t₀ + k·0.05`; `params = [a, γ, ω, φ]`.
#[differentiable(cuda, wrt(params))]
fn curve_loss(params: &[f32], curve: &[f32], t0: f32) -> f32 {
    let a = params[0];
    let gamma = params[1];
    let omega = params[2];
    let phi = params[3];
    let mut sum = 0.0;
    for k in 0..curve.len() {
        let t = t0 + k as f32 * 0.05;
        let r = a * (-gamma * t).exp() * (omega * t + phi).cos() - curve[k];
        sum += r * r;
    }
    0.5 * sum
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let gpu = gpu_or_exit("cuda_oscillator");
    let n = samples(1_000_000);
    let truth = [1.3f32, 0.4, 6.0, 0.3];
    let mut rng = StdRng::seed_from_u64(21);
    let mut curves = vec![0.0f32; n * POINTS];
    let mut t0 = vec![0.0f32; n];
    for i in 0..n {
        t0[i] = rng.gen_range(0.0..3.0);
        for k in 0..POINTS {
            let t = t0[i] + k as f32 * DT;
            curves[i * POINTS + k] = truth[0] * (-truth[1] * t).exp() * (truth[2] * t + truth[3]).cos() + rng.gen_range(-0.05..0.05);
        }
    }
    let loss = DeviceLoss { source: curve_loss::cuda_source(), name: curve_loss::cuda_name() };
    // Each trip of the loop over a curve's points saves a few values for
    // the reverse sweep: room for 32 points.
    let config = BatchConfig { stack: 16 * POINTS, ..BatchConfig::default() };
    let mut obj = BatchObjective::new(&gpu, &loss, 4, &curves, POINTS, &t0, config)?;

    let p0 = [1.0f32, 0.5, 5.8, 0.2];
    let mut g = vec![0.0f32; 4];
    let mut l = 0.0;
    let gpu_s = best_of(5, || l = obj.mean_value_and_grad(&p0, None, &mut g).expect("device evaluation"));
    let mut cpu = (0.0, Vec::new());
    let cpu_s = best_of(2, || cpu = cpu_mean(&p0, &curves, POINTS, &t0, |p, c, t, g| curve_loss::value_and_grad_into(p, c, t, g)));
    let ok = report(n, &g, l, &cpu, gpu_s, cpu_s, 1e-5);

    let t = std::time::Instant::now();
    let x0: Vec<f64> = p0.iter().map(|&v| v as f64).collect();
    let fit = Lbfgs::new().with_stop(StopCriteria::new().with_max_iterations(100)?).minimize(&mut obj, &x0)?;
    println!(
        "L-BFGS: loss {:.6e} after {} iterations, {} evaluations, {:.2} s; [a, γ, ω, φ] = {:.4?} (true {truth:?})",
        fit.value,
        fit.iterations,
        fit.evaluations,
        t.elapsed().as_secs_f64(),
        fit.x
    );
    if !ok {
        std::process::exit(1);
    }
    Ok(())
}
