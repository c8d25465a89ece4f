//! What the two device examples (`cuda_logistic`, `cuda_oscillator`)
//! share: opening the GPU (a clear message and exit, not a panic, where
//! there is none), the CPU path they are checked and timed against (the
//! same generated reverse sweep, `value_and_grad_into`, over the samples
//! on all cores), and the gradient check and throughput line they print.

use std::time::Instant;

use gd::cuda::gpu::Gpu;
use rayon::prelude::*;

/// The GPU, or exit: status 0 with a message where none is found, 1 where
/// `GD_REQUIRE_GPU=1` asks for one (the scripted GPU runs).
pub fn gpu_or_exit(example: &str) -> Gpu {
    match Gpu::new(0) {
        Ok(gpu) => {
            println!("{example}: {} (compute capability {}.{})", gpu.info.name, gpu.info.compute_capability.0, gpu.info.compute_capability.1);
            gpu
        }
        Err(e) => {
            eprintln!("{example}: no GPU found ({e}); this example runs on an NVIDIA GPU with the CUDA driver and NVRTC installed");
            std::process::exit(if std::env::var("GD_REQUIRE_GPU").is_ok_and(|v| v == "1") { 1 } else { 0 });
        }
    }
}

/// The mean loss and gradient over the samples on all cores: each sample's
/// gradient from the generated `value_and_grad_into` (f32), added in f64.
pub fn cpu_mean<F>(params: &[f32], samples: &[f32], dim: usize, targets: &[f32], per_sample: F) -> (f64, Vec<f64>)
where
    F: Fn(&[f32], &[f32], f32, &mut [f32]) -> f32 + Sync,
{
    let p = params.len();
    let (loss, grad) = (0..targets.len())
        .into_par_iter()
        .fold(
            || (0.0f64, vec![0.0f64; p], vec![0.0f32; p]),
            |(mut l, mut g, mut scratch), i| {
                scratch.fill(0.0);
                l += per_sample(params, &samples[i * dim..][..dim], targets[i], &mut scratch) as f64;
                g.iter_mut().zip(&scratch).for_each(|(a, b)| *a += *b as f64);
                (l, g, scratch)
            },
        )
        .map(|(l, g, _)| (l, g))
        .reduce(|| (0.0, vec![0.0; p]), |(l1, g1), (l2, g2)| (l1 + l2, g1.iter().zip(&g2).map(|(a, b)| a + b).collect()));
    let n = targets.len() as f64;
    (loss / n, grad.into_iter().map(|v| v / n).collect())
}

/// `max |a − b| / max |b|`.
pub fn rel_err(a: &[f32], b: &[f64]) -> f64 {
    let num = a.iter().zip(b).map(|(x, y)| (*x as f64 - y).abs()).fold(0.0, f64::max);
    num / b.iter().map(|y| y.abs()).fold(f64::MIN_POSITIVE, f64::max)
}

/// Seconds per call of `f`, the best of `reps` after one warm-up call.
pub fn best_of(reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

/// Prints the check of the device's gradient against the CPU's and the
/// throughput of both; returns whether the gradient is within `tol`.
pub fn report(n: usize, gpu_grad: &[f32], gpu_loss: f32, cpu: &(f64, Vec<f64>), gpu_s: f64, cpu_s: f64, tol: f64) -> bool {
    let e = rel_err(gpu_grad, &cpu.1);
    let le = (gpu_loss as f64 - cpu.0).abs() / cpu.0.abs().max(f64::MIN_POSITIVE);
    let ok = e <= tol && le <= tol;
    println!("gradient vs CPU: relative error {e:.2e} (loss {le:.2e}), bound {tol:.0e}: {}", if ok { "ok" } else { "FAILED" });
    println!(
        "throughput (value and gradient, {n} samples): GPU {:.3e} samples/s ({:.2} ms), CPU on {} threads {:.3e} samples/s ({:.2} ms), GPU/CPU {:.1}x",
        n as f64 / gpu_s,
        gpu_s * 1e3,
        rayon::current_num_threads(),
        n as f64 / cpu_s,
        cpu_s * 1e3,
        cpu_s / gpu_s
    );
    ok
}

/// `GD_N`, or `default`: the samples an example makes (smaller for a quick run).
pub fn samples(default: usize) -> usize {
    std::env::var("GD_N").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}
