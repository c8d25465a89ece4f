//! `BatchObjective` on the device: the batch kernel around a per-sample
//! loss in the ABI `#[differentiable(cuda)]` prints (tests/common's
//! hand-written linear least squares; the macro's own output runs in the
//! examples cuda_logistic and cuda_oscillator), compiled by NVRTC, over the
//! full batch and a mini-batch, against the CPU's sums in f64 (1e-5), and
//! as an `Objective` for L-BFGS. Without a GPU: SKIPPED (GD_REQUIRE_GPU=1: fails).

mod common;

use common::{linear_loss, linear_mean, uniform32};
use gd_cuda::gpu::probe::gpu_or_skip;
use gd_cuda::{BatchConfig, BatchObjective};
use gd_runtime::{Lbfgs, Objective};

#[test]
fn batch_objective_on_the_device() {
    let Some(gpu) = gpu_or_skip("batch_objective_on_the_device") else { return };
    let (n, dim) = (100_003, 6);
    let truth = uniform32(dim + 1, -1.0, 1.0, 1);
    let x = uniform32(n * dim, -2.0, 2.0, 2);
    let noise = uniform32(n, -0.01, 0.01, 3);
    let y: Vec<f32> = (0..n).map(|i| truth[dim] + (0..dim).map(|j| truth[j] * x[i * dim + j]).sum::<f32>() + noise[i]).collect();
    let mut obj = BatchObjective::new(&gpu, &linear_loss(), dim + 1, &x, dim, &y, BatchConfig::default()).unwrap();
    let p = uniform32(dim + 1, -1.0, 1.0, 4);
    let all: Vec<usize> = (0..n).collect();
    let sub: Vec<usize> = (0..n).filter(|i| i % 7 == 3).collect();
    for rows in [None, Some(&sub[..])] {
        let mut g = vec![0.0f32; dim + 1];
        let l = obj.mean_value_and_grad(&p, rows, &mut g).unwrap();
        let (wl, wg) = linear_mean(&p, &x, &y, dim, rows.unwrap_or(&all));
        let e = g.iter().zip(&wg).map(|(a, b)| (*a as f64 - b).abs()).fold(0.0, f64::max) / wg.iter().map(|v| v.abs()).fold(0.0, f64::max);
        eprintln!("batch of {}: loss {l} vs {wl}, gradient relative error {e:.2e}", rows.map_or(n, |r| r.len()));
        assert!((l as f64 - wl).abs() <= 1e-5 * wl.abs() && e <= 1e-5);
    }
    assert_eq!(obj.dim(), Some(dim + 1));
    let fit = Lbfgs::new().minimize(&mut obj, &vec![0.0; dim + 1]).unwrap();
    let err = fit.x.iter().zip(&truth).map(|(a, b)| (a - *b as f64).abs()).fold(0.0, f64::max);
    eprintln!("L-BFGS: {} iterations, loss {:.3e}, max |p − truth| {err:.2e}", fit.iterations, fit.value);
    assert!(err < 1e-2, "{:?} vs {truth:?}", fit.x);
}
