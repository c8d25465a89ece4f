//! The whole device path without a GPU (`--features cuda`): a
//! `#[differentiable(cuda)]` loss's printed source inside
//! `gd::cuda::batch::kernel_source`'s batch kernel, compiled by the host
//! C++ compiler against stubs of CUDA's built-ins (`HOST_STUBS`) and run
//! block by block, one thread per block, over the full batch and a
//! mini-batch of indices: its mean loss and gradient against the Rust
//! gradient's mean over the same samples. This is what `BatchObjective`
//! launches; what remains for a GPU is NVRTC and the launch itself
//! (gd-cuda/gpu-runs.sh). Skipped (with a message) without a C++ compiler.
#![cfg(feature = "cuda")]

#[path = "common/cuda_host.rs"]
mod cuda_host;

use std::fmt::Write;
use std::process::Command;

use gd::cuda::batch::{entry, kernel_source};
use gd::cuda::DeviceLoss;

#[path = "common/cuda_losses.rs"]
mod cuda_losses;
use cuda_losses::{curve_loss, logistic};

fn lcg(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0) as f32
        })
        .collect()
}

fn floats(v: &[f32]) -> String {
    v.iter().map(|x| format!("{:e}f", x)).collect::<Vec<_>>().join(", ")
}

/// Runs the batch kernel of `loss` on the host over `rows` (all when
/// `None`): the mean loss and gradient it adds up.
fn on_host(tag: &str, loss: &DeviceLoss, stack: usize, p: &[f32], xs: &[f32], dim: usize, ys: &[f32], rows: Option<&[usize]>) -> Option<(f64, Vec<f64>)> {
    let cxx = cuda_host::compiler()?;
    let n = rows.map_or(ys.len(), |r| r.len());
    let idx: Vec<String> = rows.unwrap_or(&[0]).iter().map(|i| i.to_string()).collect();
    let mut main = String::new();
    writeln!(
        main,
        r#"
#include <stdio.h>
int main() {{
    static const float p[] = {{{}}}, x[] = {{{}}}, y[] = {{{}}};
    static const unsigned idx[] = {{{}}};
    float g[{np}] = {{0}}, l = 0;
    int over = 0;
    for (unsigned b = 0; b < 5; ++b) {{
        blockIdx.x = b; threadIdx.x = 0; blockDim.x = 1; gridDim.x = 5;
        {e}(p, x, y, idx, {use_idx}, {n}, {dim}, 1.0f / {n}, g, &l, &over);
    }}
    printf("%d %.9e", over, (double)l);
    for (int j = 0; j < {np}; ++j) printf(" %.9e", (double)g[j]);
    printf("\n");
}}"#,
        floats(p),
        floats(xs),
        floats(ys),
        idx.join(", "),
        np = p.len(),
        e = entry(loss.name, p.len(), stack),
        use_idx = rows.is_some() as i32,
    )
    .unwrap();
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cuda_batch_host");
    std::fs::create_dir_all(&dir).unwrap();
    let (src, exe) = (dir.join(format!("{tag}.cpp")), dir.join(format!("{tag}_{}", std::process::id())));
    let program = kernel_source(loss, p.len(), stack);
    // The program as NVRTC gets it, for a check by NVRTC where there is one.
    std::fs::write(dir.join(format!("{tag}.cu")), &program).unwrap();
    // One thread per block: the other lanes of a shuffle hold nothing.
    let shfl = "static inline float __shfl_down_sync(unsigned, float, int) { return 0.0f; }\n";
    std::fs::write(&src, format!("{}{shfl}{program}{main}", gd::cuda::kernel::HOST_STUBS)).unwrap();
    let out = Command::new(&cxx).args(["-std=c++14", "-O1", "-o"]).arg(&exe).arg(&src).output().unwrap();
    assert!(out.status.success(), "{}:\n{}", src.display(), String::from_utf8_lossy(&out.stderr));
    let run = Command::new(&exe).output().unwrap();
    let _ = std::fs::remove_file(&exe);
    let text = String::from_utf8(run.stdout).unwrap();
    let w: Vec<f64> = text.split_whitespace().map(|s| s.parse().unwrap()).collect();
    assert_eq!(w[0], 0.0, "{tag}: the value stacks overflowed");
    Some((w[1], w[2..].to_vec()))
}

/// The mean over `rows` of the Rust `value_and_grad`, in f64.
fn want(rows: &[usize], np: usize, f: impl Fn(usize) -> (f32, Vec<f32>)) -> (f64, Vec<f64>) {
    let mut g = vec![0.0; np];
    let mut l = 0.0;
    for &i in rows {
        let (v, gi) = f(i);
        l += v as f64;
        g.iter_mut().zip(&gi).for_each(|(a, b)| *a += *b as f64);
    }
    let m = rows.len() as f64;
    (l / m, g.into_iter().map(|v| v / m).collect())
}

fn check(tag: &str, got: Option<(f64, Vec<f64>)>, want: (f64, Vec<f64>)) {
    let Some((l, g)) = got else {
        eprintln!("SKIPPED {tag}: no C++ compiler");
        return;
    };
    assert!((l - want.0).abs() <= 1e-5 * want.0.abs(), "{tag}: loss {l} vs {}", want.0);
    let e = cuda_host::rel_err(&g, &want.1, 0.0);
    assert!(e <= 1e-5, "{tag}: gradient relative error {e:.2e}\n got {g:?}\nwant {:?}", want.1);
}

#[test]
fn logistic_batch_kernel_on_the_host() {
    let (n, dim) = (41, 5);
    let p = lcg(dim + 1, 1);
    let x: Vec<f32> = lcg(n * dim, 2).iter().map(|v| v * 3.0).collect();
    let y: Vec<f32> = lcg(n, 3).iter().map(|v| (*v > 0.0) as u8 as f32).collect();
    let loss = DeviceLoss { source: logistic::cuda_source(), name: logistic::cuda_name() };
    let sub: Vec<usize> = (0..n).filter(|i| i % 4 != 2).rev().collect();
    let all: Vec<usize> = (0..n).collect();
    for rows in [None, Some(&sub[..])] {
        let got = on_host(if rows.is_some() { "logistic_sub" } else { "logistic" }, &loss, 64, &p, &x, dim, &y, rows);
        check("logistic", got, want(rows.unwrap_or(&all), dim + 1, |i| logistic::value_and_grad(&p, &x[i * dim..][..dim], y[i])));
    }
}

#[test]
fn oscillator_batch_kernel_on_the_host() {
    let (n, dim) = (23, 32);
    let p = [1.0f32, 0.5, 5.8, 0.2];
    let curves = lcg(n * dim, 4);
    let t0: Vec<f32> = lcg(n, 5).iter().map(|v| 1.5 + 1.5 * v).collect();
    let loss = DeviceLoss { source: curve_loss::cuda_source(), name: curve_loss::cuda_name() };
    let all: Vec<usize> = (0..n).collect();
    let got = on_host("oscillator", &loss, 16 * dim, &p, &curves, dim, &t0, None);
    check("oscillator", got, want(&all, 4, |i| curve_loss::value_and_grad(&p, &curves[i * dim..][..dim], t0[i])));
}

/// NVRTC, where its library loads (no GPU needed): the batch kernels of
/// both losses compile to CUBIN for an H100 (sm_90), as `BatchObjective`
/// compiles them. SKIPPED where NVRTC is absent (e.g. `pip install
/// nvidia-cuda-nvrtc` and LD_LIBRARY_PATH give it without a CUDA toolkit).
#[test]
fn batch_programs_compile_with_nvrtc() {
    if !gd::cuda::kernel::nvrtc_present() {
        eprintln!("SKIPPED batch_programs_compile_with_nvrtc: NVRTC (libnvrtc) not found");
        return;
    }
    let losses = [
        (DeviceLoss { source: logistic::cuda_source(), name: logistic::cuda_name() }, 9),
        (DeviceLoss { source: curve_loss::cuda_source(), name: curve_loss::cuda_name() }, 4),
    ];
    for (loss, np) in losses {
        let program = kernel_source(&loss, np, 512);
        let cubin = gd::cuda::kernel::compile_cubin("batch", &program, (9, 0)).unwrap_or_else(|e| panic!("{}: {e}", loss.name));
        assert!(!cubin.is_empty());
    }
}
