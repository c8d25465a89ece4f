//! The batch kernel of [`gd_cuda::BatchObjective`] without a GPU: its
//! program (`batch::kernel_source`) around a per-sample loss written by
//! hand in the ABI that `#[differentiable(cuda)]` prints (the macro's own
//! output runs through it in the root package's tests/cuda_batch_host.rs),
//! compiled by the host C++ compiler against stubs of CUDA's built-ins and
//! run block by block, one thread per block, over the full batch and over
//! a mini-batch of indices, against the sums in Rust. Skipped (with a
//! message) where no C++ compiler is found.

mod common;

use common::{linear_loss, linear_mean, uniform32};
use gd_cuda::batch::{entry, kernel_source};

const GRID: u32 = 5;

type Entry = unsafe extern "C" fn(*const f32, *const f32, *const f32, *const u32, i32, i64, i32, f32, *mut f32, *mut f32, *mut i32);

#[test]
fn batch_kernel_sums_losses_and_gradients_on_the_host() {
    let loss = linear_loss();
    let (n, dim) = (37usize, 4usize);
    let program = kernel_source(&loss, dim + 1, 64);
    assert_eq!(program.matches(&format!("extern \"C\" __global__ void {}(", entry("gd_lin", dim + 1, 64))).count(), 1);
    let Some(lib) = common::host_library("batch_on_host", "batch", &program) else { return };
    let set: libloading::Symbol<unsafe extern "C" fn(u32, u32)> = unsafe { lib.get(b"gd_set_block") }.unwrap();
    let f: Entry = *unsafe { lib.get::<Entry>(format!("{}\0", entry("gd_lin", dim + 1, 64)).as_bytes()) }.unwrap();
    let p = uniform32(dim + 1, -1.0, 1.0, 1);
    let x = uniform32(n * dim, -2.0, 2.0, 2);
    let y = uniform32(n, -1.0, 1.0, 3);
    let subset: Vec<usize> = (0..n).filter(|i| i % 3 != 1).rev().collect();
    for rows in [None, Some(&subset)] {
        let all: Vec<usize> = (0..n).collect();
        let rows_ = rows.unwrap_or(&all);
        let idx: Vec<u32> = rows_.iter().map(|&i| i as u32).collect();
        let (mut g, mut l, mut over) = (vec![0.0f32; dim + 1], 0.0f32, 0i32);
        let m = rows_.len();
        for b in 0..GRID {
            unsafe {
                set(b, GRID);
                f(p.as_ptr(), x.as_ptr(), y.as_ptr(), idx.as_ptr(), rows.is_some() as i32, m as i64, dim as i32, 1.0 / m as f32, g.as_mut_ptr(), &mut l, &mut over);
            }
        }
        let (wl, wg) = linear_mean(&p, &x, &y, dim, rows_);
        assert_eq!(over, 0);
        assert!((l as f64 - wl).abs() <= 1e-5 * wl.abs(), "loss {l} vs {wl}");
        let e = g.iter().zip(&wg).map(|(a, b)| (*a as f64 - b).abs()).fold(0.0, f64::max) / wg.iter().map(|v| v.abs()).fold(0.0, f64::max);
        assert!(e <= 1e-5, "gradient relative error {e:.2e}: {g:?} vs {wg:?}");
    }
}
