//! Logistic regression on 10⁷ synthetic samples, on the GPU, from the
//! per-sample loss written as an ordinary Rust function (issue 20):
//! `#[differentiable(cuda)]` prints its reverse sweep as CUDA C, and
//! `gd::cuda::BatchObjective` sums it with its gradient over the batch on
//! the device. The example checks the device's gradient against the CPU's
//! (the same function's Rust gradient over the samples on all cores),
//! times both, fits the model with L-BFGS (full batch) and with Adam on
//! mini-batches drawn from the device copy of the data.
//!
//!     cargo run --release -p gd-examples --features cuda --example cuda_logistic
//!
//! `GD_N=100000` for a smaller run. Without a GPU it says so and exits.

use gd::cuda::{BatchConfig, BatchObjective, DeviceLoss};
use gd::differentiable;
use gd::runtime::optim::Adam;
use gd::runtime::{BatchMode, Lbfgs, StopCriteria, Trainer};
use gd_examples::cuda_batch::{best_of, cpu_mean, gpu_or_exit, report, samples};
use rand::{rngs::StdRng, Rng, SeedableRng};

/// The logistic loss of one sample, `params = [bias, w₁..w_d]`, `y ∈ {0, 1}`.
#[differentiable(cuda, wrt(params))]
fn logistic(params: &[f32], x: &[f32], y: f32) -> f32 {
    let mut z = params[0];
    for j in 0..x.len() {
        z += params[j + 1] * x[j];
    }
    // log(1 + e^z) − y·z, without overflow for large |z|.
    let softplus = if z > 0.0 { z + (-z).exp().ln_1p() } else { z.exp().ln_1p() };
    softplus - y * z
}

const DIM: usize = 8;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let gpu = gpu_or_exit("cuda_logistic");
    let n = samples(10_000_000);
    let mut rng = StdRng::seed_from_u64(20);
    let truth: Vec<f32> = (0..=DIM).map(|_| rng.gen_range(-1.0..1.0)).collect();
    let mut x = vec![0.0f32; n * DIM];
    let mut y = vec![0.0f32; n];
    for i in 0..n {
        let xi = &mut x[i * DIM..][..DIM];
        xi.iter_mut().for_each(|v| *v = rng.gen_range(-2.0..2.0));
        let z = truth[0] + (0..DIM).map(|j| truth[j + 1] * xi[j]).sum::<f32>();
        y[i] = (rng.gen::<f32>() < 1.0 / (1.0 + (-z).exp())) as u8 as f32;
    }
    let loss = DeviceLoss { source: logistic::cuda_source(), name: logistic::cuda_name() };
    let mut obj = BatchObjective::new(&gpu, &loss, DIM + 1, &x, DIM, &y, BatchConfig::default())?;

    // The gradient at a point, on the device and on the CPU.
    let p0: Vec<f32> = (0..=DIM).map(|j| 0.1 * (j as f32 - 4.0)).collect();
    let mut g = vec![0.0f32; DIM + 1];
    let mut l = 0.0;
    let gpu_s = best_of(5, || l = obj.mean_value_and_grad(&p0, None, &mut g).expect("device evaluation"));
    let mut cpu = (0.0, Vec::new());
    let cpu_s = best_of(2, || cpu = cpu_mean(&p0, &x, DIM, &y, |p, s, t, g| logistic::value_and_grad_into(p, s, t, g)));
    let ok = report(n, &g, l, &cpu, gpu_s, cpu_s, 1e-5);

    // Full batch: L-BFGS on the device objective.
    let t = std::time::Instant::now();
    let x0: Vec<f64> = vec![0.0; DIM + 1];
    let fit = Lbfgs::new().with_stop(StopCriteria::new().with_max_iterations(50)?).minimize(&mut obj, &x0)?;
    let err = fit.x.iter().zip(&truth).map(|(a, b)| (a - *b as f64).abs()).fold(0.0, f64::max);
    println!(
        "L-BFGS (full batch): loss {:.6} after {} iterations, {} evaluations, {:.2} s; max |w − w_true| = {err:.3}",
        fit.value,
        fit.iterations,
        fit.evaluations,
        t.elapsed().as_secs_f64()
    );

    // Mini-batches drawn from the device-resident data: Adam.
    let t = std::time::Instant::now();
    let mut p = vec![0.0f64; DIM + 1];
    let r = Trainer::new().progress(false).batch(BatchMode::MiniBatch(65_536)).max_steps(300).seed(1).fit(&mut Adam::new(0.05)?, &mut p, n, |p, batch, g| obj.minibatch(p, batch, g))?;
    println!("Adam (mini-batches of 65536): loss {:.6} after {} steps, {:.2} s", r.final_loss, r.steps, t.elapsed().as_secs_f64());
    if !ok {
        std::process::exit(1);
    }
    Ok(())
}
