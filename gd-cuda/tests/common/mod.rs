//! Helpers shared by the tests: random data, error measures, the digits.
#![allow(dead_code)]

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// CUDA's built-ins as host C++ stubs (see [`gd_cuda::kernel::HOST_STUBS`]).
pub const CUDA_HOST_STUBS: &str = gd_cuda::kernel::HOST_STUBS;

/// A grid of one-thread blocks set from Rust (`gd_set_block`), and a
/// shuffle that reads 0 from the (absent) other lanes: how the host tests
/// run a kernel block by block.
pub const GRID_STUBS: &str = r#"
static inline float __shfl_down_sync(unsigned, float, int) { return 0.0f; }
extern "C" void gd_set_block(unsigned b, unsigned grid) {
    blockIdx.x = b; threadIdx.x = 0; blockDim.x = 1; gridDim.x = grid;
}
"#;

/// `program` (after the stubs) built by the host C++ compiler into a
/// shared library under this test's temporary folder, or None (skipped,
/// saying so) without a compiler.
pub fn host_library(test: &str, name: &str, program: &str) -> Option<libloading::Library> {
    use std::process::Command;
    let cxx = std::env::var("CXX").unwrap_or_else(|_| "c++".into());
    if Command::new(&cxx).arg("--version").output().is_err() {
        eprintln!("SKIPPED {test}: no C++ compiler `{cxx}`");
        return None;
    }
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(test);
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join(format!("{name}.cpp"));
    let lib = dir.join(format!("lib{name}_{}.so", std::process::id()));
    std::fs::write(&src, format!("{CUDA_HOST_STUBS}{GRID_STUBS}\n{program}")).unwrap();
    let out = Command::new(&cxx).args(["-std=c++14", "-O1", "-shared", "-fPIC", "-o"]).arg(&lib).arg(&src).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    Some(unsafe { libloading::Library::new(&lib) }.unwrap())
}

/// `n` uniform values in `[lo, hi)` from `seed`.
pub fn uniform(n: usize, lo: f64, hi: f64, seed: u64) -> Vec<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n).map(|_| rng.gen_range(lo..hi)).collect()
}

/// The same as f32.
pub fn uniform32(n: usize, lo: f64, hi: f64, seed: u64) -> Vec<f32> {
    uniform(n, lo, hi, seed).into_iter().map(|v| v as f32).collect()
}

/// `n` labels below `k`.
pub fn labels(n: usize, k: u32, seed: u64) -> Vec<u32> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n).map(|_| rng.gen_range(0..k)).collect()
}

/// Normwise relative error `max|a − b| / max|b|` (0 when both are 0).
pub fn rel_err(a: &[f32], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len(), "lengths differ");
    let num = a.iter().zip(b).map(|(&x, &y)| (x as f64 - y).abs()).fold(0.0, f64::max);
    let den = b.iter().map(|y| y.abs()).fold(0.0, f64::max);
    if num == 0.0 {
        0.0
    } else {
        num / den
    }
}

/// Widen.
pub fn f64s(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| x as f64).collect()
}

/// The 8×8 digits (gd-examples/data/digits.csv), split 80/20 with seed 42,
/// pixels standardised by the training split's mean and deviation:
/// `(x_train, y_train, x_test, y_test)`.
pub fn digits() -> (Vec<f32>, Vec<u32>, Vec<f32>, Vec<u32>) {
    use rand::seq::SliceRandom;
    // The file as built here, else relative to the working directory (a
    // test binary carried to another machine runs from the repository root),
    // else where GD_DIGITS_CSV says.
    let candidates = [
        std::env::var("GD_DIGITS_CSV").unwrap_or_default(),
        concat!(env!("CARGO_MANIFEST_DIR"), "/../gd-examples/data/digits.csv").to_string(),
        "gd-examples/data/digits.csv".to_string(),
        "../gd-examples/data/digits.csv".to_string(),
    ];
    let text = candidates
        .iter()
        .filter(|p| !p.is_empty())
        .find_map(|p| std::fs::read_to_string(p).ok())
        .expect("gd-examples/data/digits.csv (or set GD_DIGITS_CSV)");
    let rows: Vec<Vec<f64>> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(',').map(|f| f.trim().parse().expect("a number")).collect())
        .collect();
    let mut idx: Vec<usize> = (0..rows.len()).collect();
    idx.shuffle(&mut StdRng::seed_from_u64(42));
    let n_test = rows.len() / 5;
    let (te, tr) = idx.split_at(n_test);
    let mut mean = [0.0f64; 64];
    let mut sd = [0.0f64; 64];
    for &i in tr {
        for j in 0..64 {
            mean[j] += rows[i][j] / tr.len() as f64;
        }
    }
    for &i in tr {
        for j in 0..64 {
            sd[j] += (rows[i][j] - mean[j]).powi(2) / tr.len() as f64;
        }
    }
    let sd: Vec<f64> = sd.iter().map(|v| if *v > 0.0 { v.sqrt() } else { 1.0 }).collect();
    let take = |ids: &[usize]| {
        let x = ids.iter().flat_map(|&i| (0..64).map(|j| ((rows[i][j] - mean[j]) / sd[j]) as f32).collect::<Vec<_>>()).collect();
        let y = ids.iter().map(|&i| rows[i][64] as u32).collect();
        (x, y)
    };
    let (xtr, ytr) = take(tr);
    let (xte, yte) = take(te);
    (xtr, ytr, xte, yte)
}

/// The macro's prelude (slices, helpers), as `cuda_source()` starts with it.
pub const PRELUDE: &str = include_str!("../../../gd-macros/src/emit/cuda_prelude.h");

/// `0.5 (p · x + p[dim] − y)²`, its gradient added `seed`-scaled, in the
/// printed functions' ABI (a slot per parameter, an overflow flag).
pub const LINEAR: &str = r#"
__device__ float gd_lin(gd_slice<float> p, gd_slice<float> x, float y) {
    float z = p[x.len()];
    for (gd_usize j = 0; j < x.len(); ++j) z += p[j] * x[j];
    return 0.5f * (z - y) * (z - y);
}
__device__ float gd_lin_vjp(gd_slice<float> p, gd_slice<float> x, float y, float seed,
                            float* g0, float* g1, float* g2, int* overflow) {
    float z = p[x.len()];
    for (gd_usize j = 0; j < x.len(); ++j) z += p[j] * x[j];
    float r = z - y;
    if (g0) {
        for (gd_usize j = 0; j < x.len(); ++j) g0[j] += seed * r * x[j];
        g0[x.len()] += seed * r;
    }
    return 0.5f * r * r;
}
"#;

/// [`LINEAR`] as a batch objective's loss.
pub fn linear_loss() -> gd_cuda::DeviceLoss {
    gd_cuda::DeviceLoss { source: format!("{PRELUDE}{LINEAR}"), name: "gd_lin" }
}

/// The mean loss and gradient over `rows` in f64.
pub fn linear_mean(p: &[f32], x: &[f32], y: &[f32], dim: usize, rows: &[usize]) -> (f64, Vec<f64>) {
    let mut g = vec![0.0; dim + 1];
    let mut l = 0.0;
    for &i in rows {
        let xi = &x[i * dim..][..dim];
        let r = p[dim] as f64 + (0..dim).map(|j| p[j] as f64 * xi[j] as f64).sum::<f64>() - y[i] as f64;
        l += 0.5 * r * r;
        for j in 0..dim {
            g[j] += r * xi[j] as f64;
        }
        g[dim] += r;
    }
    let m = rows.len() as f64;
    (l / m, g.into_iter().map(|v| v / m).collect())
}
