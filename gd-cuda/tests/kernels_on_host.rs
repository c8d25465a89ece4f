//! The CUDA C kernel sources executed on the host, without a GPU: each
//! program is compiled by the host C++ compiler against stubs of CUDA's
//! built-ins into a shared library, and each kernel is run block by block
//! (one thread per block, several blocks, so the grid-stride loops and the
//! block sums are exercised) and compared with the CPU path. This checks
//! the kernels' indexing and arithmetic; the GPU tests check the device.
//! Skipped (with a message) where no C++ compiler is found.

mod common;

use common::{f64s, labels, rel_err, uniform32};
use gd_cuda::cpu::{ops, optim};
use gd_cuda::kernels;
use gd_cuda::{Activation, OptimSpec, Update};
use gd_runtime::optim::{AdamConfig, AdamWConfig, LionConfig, RmsPropConfig, SgdConfig};
use libloading::Library;

const GRID: u32 = 7;

/// The module's program as a host library, or None (skipped) without a compiler.
fn build(name: &str, source: &str) -> Option<Library> {
    common::host_library("kernels_on_host", name, &format!("{}\n{source}", kernels::PRELUDE))
}

/// Run `launch` once per block of the emulated grid.
fn grid(lib: &Library, mut launch: impl FnMut()) {
    let set: libloading::Symbol<unsafe extern "C" fn(u32, u32)> = unsafe { lib.get(b"gd_set_block") }.unwrap();
    for b in 0..GRID {
        unsafe { set(b, GRID) };
        launch();
    }
}

macro_rules! kernel {
    ($lib:expr, $name:literal, fn($($t:ty),*)) => {
        *unsafe { $lib.get::<unsafe extern "C" fn($($t),*)>(concat!($name, "\0").as_bytes()) }.unwrap()
    };
}

fn check(what: &str, got: &[f32], want: &[f64], tol: f64) {
    let e = rel_err(got, want);
    assert!(e <= tol, "{what}: relative error {e:.2e} > {tol:.0e}");
}

const ACTS: [Activation; 4] = [Activation::Identity, Activation::Relu, Activation::Tanh, Activation::Sigmoid];

#[test]
fn layer_kernels_on_the_host() {
    let Some(lib) = build("layers", kernels::layers::SOURCE) else { return };
    let (rows, cols) = (9, 13);
    for (i, act) in ACTS.into_iter().enumerate() {
        let mut z = uniform32(rows * cols, -4.0, 4.0, i as u64);
        let b = uniform32(cols, -1.0, 1.0, 10 + i as u64);
        let mut want = f64s(&z);
        ops::bias_act_forward(&mut want, &f64s(&b), act);
        let f = kernel!(lib, "bias_act_forward", fn(*mut f32, *const f32, i32, i32, i32));
        grid(&lib, || unsafe { f(z.as_mut_ptr(), b.as_ptr(), rows as i32, cols as i32, act.code()) });
        check(&format!("bias_act_forward {act:?}"), &z, &want, 1e-6);

        let y = z.clone();
        let mut dz = uniform32(rows * cols, -1.0, 1.0, 20 + i as u64);
        let mut want = f64s(&dz);
        ops::act_backward(&mut want, &f64s(&y), act);
        let f = kernel!(lib, "act_backward", fn(*mut f32, *const f32, i32, i32));
        grid(&lib, || unsafe { f(dz.as_mut_ptr(), y.as_ptr(), (rows * cols) as i32, act.code()) });
        check(&format!("act_backward {act:?}"), &dz, &want, 1e-6);
    }
    let x = uniform32(20 * cols, -1.0, 1.0, 30);
    let lab = labels(20, 10, 31);
    let idx = labels(11, 20, 32);
    let mut out = vec![0.0f32; 11 * cols];
    let mut lout = vec![0u32; 11];
    let f = kernel!(lib, "gather_rows", fn(*const f32, *const u32, *mut f32, i32, i32));
    grid(&lib, || unsafe { f(x.as_ptr(), idx.as_ptr(), out.as_mut_ptr(), 11, cols as i32) });
    let mut want = vec![0.0f32; 11 * cols];
    ops::gather_rows(&x, &idx, cols, &mut want);
    assert_eq!(out, want);
    let f = kernel!(lib, "gather_labels", fn(*const u32, *const u32, *mut u32, i32));
    grid(&lib, || unsafe { f(lab.as_ptr(), idx.as_ptr(), lout.as_mut_ptr(), 11) });
    assert_eq!(lout, idx.iter().map(|&i| lab[i as usize]).collect::<Vec<_>>());
    let f = kernel!(lib, "fill", fn(*mut f32, f32, i32));
    grid(&lib, || unsafe { f(out.as_mut_ptr(), 1.5, out.len() as i32) });
    assert!(out.iter().all(|&v| v == 1.5));
}

#[test]
fn loss_kernels_on_the_host() {
    let Some(lib) = build("loss", kernels::loss::SOURCE) else { return };
    let (rows, cols) = (23, 10);
    let z = uniform32(rows * cols, -6.0, 6.0, 40);
    let lab = labels(rows, cols as u32, 41);
    let (mut dz, mut loss) = (vec![0.0f32; rows * cols], 0.0f32);
    let f = kernel!(lib, "softmax_xent", fn(*const f32, *const u32, *mut f32, *mut f32, i32, i32, f32));
    grid(&lib, || unsafe { f(z.as_ptr(), lab.as_ptr(), dz.as_mut_ptr(), &mut loss, rows as i32, cols as i32, 1.0 / rows as f32) });
    let mut want = vec![0.0; rows * cols];
    let l = ops::softmax_xent(&f64s(&z), &lab, cols, 1.0 / rows as f64, &mut want);
    check("softmax_xent gradient", &dz, &want, 1e-6);
    check("softmax_xent loss", &[loss], &[l], 1e-6);

    let n = 101;
    let (y, t) = (uniform32(n, -2.0, 2.0, 42), uniform32(n, -2.0, 2.0, 43));
    let (mut dy, mut loss) = (vec![0.0f32; n], 0.0f32);
    let f = kernel!(lib, "mse", fn(*const f32, *const f32, *mut f32, *mut f32, i32, f32));
    grid(&lib, || unsafe { f(y.as_ptr(), t.as_ptr(), dy.as_mut_ptr(), &mut loss, n as i32, 1.0 / n as f32) });
    let mut want = vec![0.0; n];
    let l = ops::mse(&f64s(&y), &f64s(&t), 1.0 / n as f64, &mut want);
    check("mse gradient", &dy, &want, 1e-6);
    check("mse loss", &[loss], &[l], 1e-6);
}

#[test]
fn optimizer_kernels_on_the_host() {
    let Some(lib) = build("optim", kernels::optim::SOURCE) else { return };
    let specs = [
        OptimSpec::Sgd(SgdConfig { lr: 0.1, ..SgdConfig::default() }),
        OptimSpec::Sgd(SgdConfig { lr: 0.1, momentum: 0.9, dampening: 0.1, ..SgdConfig::default() }),
        OptimSpec::Sgd(SgdConfig { lr: 0.1, momentum: 0.9, nesterov: true, ..SgdConfig::default() }),
        OptimSpec::RmsProp(RmsPropConfig { lr: 0.01, ..RmsPropConfig::default() }),
        OptimSpec::RmsProp(RmsPropConfig { lr: 0.01, centered: true, momentum: 0.5, ..RmsPropConfig::default() }),
        OptimSpec::Adam(AdamConfig { lr: 0.01, ..AdamConfig::default() }),
        OptimSpec::AdamW(AdamWConfig { lr: 0.01, weight_decay: 0.1, ..AdamWConfig::default() }),
        OptimSpec::Lion(LionConfig { lr: 0.01, ..LionConfig::default() }),
    ];
    let sgd = kernel!(lib, "sgd_update", fn(*mut f32, *const f32, *mut f32, i32, f32, f32, f32, i32, i32, i32));
    let rms = kernel!(lib, "rmsprop_update", fn(*mut f32, *const f32, *mut f32, *mut f32, *mut f32, i32, f32, f32, f32, f32, i32, i32));
    let adam = kernel!(lib, "adam_update", fn(*mut f32, *const f32, *mut f32, *mut f32, i32, f32, f32, f32, f32, f32, f32));
    let lion = kernel!(lib, "lion_update", fn(*mut f32, *const f32, *mut f32, i32, f32, f32, f32));
    let n = 1001;
    // Offset 0: 16-byte aligned vectors, updated four floats per thread (and
    // the last n % 4 one at a time); offset 1: misaligned, one at a time.
    for (spec, off) in specs.into_iter().flat_map(|s| [(s, 0), (s, 1)]) {
        let p0 = uniform32(n, -1.0, 1.0, 50);
        let mut p = p0.clone();
        let mut q = vec![0.0f32; n + 1];
        q[off..off + n].copy_from_slice(&p0);
        let mut s = [vec![0.0f32; n], vec![0.0; n], vec![0.0; n]];
        let mut k = [vec![0.0f32; n + 1], vec![0.0; n + 1], vec![0.0; n + 1]];
        for t in 0..5u64 {
            let g0 = uniform32(n, -2.0, 2.0, 60 + t);
            let mut g = vec![0.0f32; n + 1];
            g[off..off + n].copy_from_slice(&g0);
            let u = spec.update(t);
            let [a, b, c] = &mut s;
            optim::apply(&u, &mut p, &g0, [a, b, c]);
            let [k0, k1, k2] = &mut k;
            let at = |v: &mut Vec<f32>| unsafe { v.as_mut_ptr().add(off) };
            let (pp, gp, n32) = (at(&mut q), at(&mut g) as *const f32, n as i32);
            let (k0, k1, k2) = (at(k0), at(k1), at(k2));
            assert_eq!(pp as usize % 16 == 0, off == 0, "the aligned case must take the four-float path");
            grid(&lib, || unsafe {
                match u {
                    Update::Sgd { lr, mu, dampening, nesterov, first } => sgd(
                        pp, gp, k0, n32, lr as f32, mu as f32, dampening as f32,
                        nesterov as i32, first as i32, (mu != 0.0) as i32,
                    ),
                    Update::RmsProp { lr, alpha, eps, mu, centered } => rms(
                        pp, gp, k0, k1, k2, n32, lr as f32, alpha as f32,
                        eps as f32, mu as f32, centered as i32, (mu > 0.0) as i32,
                    ),
                    Update::Adam { step_size, inv_bc2_sqrt, beta1, beta2, eps, decay } => adam(
                        pp, gp, k0, k1, n32, step_size as f32, inv_bc2_sqrt as f32,
                        beta1 as f32, beta2 as f32, eps as f32, decay as f32,
                    ),
                    Update::Lion { lr, beta1, beta2 } => lion(pp, gp, k0, n32, lr as f32, beta1 as f32, beta2 as f32),
                }
            });
        }
        // The same f32 arithmetic in the same order: equal up to the host
        // compiler's contraction of a*b+c into FMAs.
        assert_eq!((q[..off].to_vec(), q[off + n..].to_vec()), (vec![0.0; off], vec![0.0; 1 - off]), "wrote outside the vector");
        check(&format!("{spec:?} at offset {off}"), &q[off..off + n], &f64s(&p), 1e-6);
    }
}
