//! Each GPU kernel (and cuBLAS product) against the CPU path on random
//! inputs. Errors are normwise, `max|gpu − cpu| / max|cpu|`, against the CPU
//! path in f64; the bound is 1e-5 (f32) unless a comment says why not.
//! Without a GPU every test prints SKIPPED and passes (GD_REQUIRE_GPU=1: fails).

mod common;

use common::{f64s, labels, rel_err, uniform, uniform32};
use gd_cuda::cpu::{mlp as cmlp, ops as cops, optim as coptim};
use gd_cuda::gpu::probe::gpu_or_skip;
use gd_cuda::gpu::{blas, ops, optim::GpuOptimizer, train as gtrain, Gpu};
use gd_cuda::kernel::{Kernel, LaunchShape};
use gd_cuda::{Activation, CudaError, Loss, MlpSpec, OptimSpec};
use gd_runtime::optim::{AdamConfig, AdamWConfig, LionConfig, RmsPropConfig, SgdConfig};

const ACTS: [Activation; 4] = [Activation::Identity, Activation::Relu, Activation::Tanh, Activation::Sigmoid];
const TOL: f64 = 1e-5;

fn up<T: cudarc::driver::DeviceRepr>(gpu: &Gpu, v: &[T]) -> cudarc::driver::CudaSlice<T> {
    gpu.stream.clone_htod(v).unwrap()
}
fn down<T: cudarc::driver::DeviceRepr + Default + Clone>(gpu: &Gpu, s: &cudarc::driver::CudaSlice<T>) -> Vec<T> {
    let v = gpu.stream.clone_dtoh(s).unwrap();
    gpu.sync().unwrap();
    v
}
fn assert_close(what: &str, gpu: &[f32], cpu: &[f64], tol: f64) {
    let e = rel_err(gpu, cpu);
    eprintln!("{what}: relative error {e:.2e}");
    assert!(e <= tol, "{what}: relative error {e:.2e} > {tol:.0e}");
}

#[test]
fn bias_activation_forward() {
    let Some(gpu) = gpu_or_skip("bias_activation_forward") else { return };
    let (rows, cols) = (37, 129);
    for (i, act) in ACTS.into_iter().enumerate() {
        let z = uniform32(rows * cols, -4.0, 4.0, i as u64);
        let b = uniform32(cols, -1.0, 1.0, 10 + i as u64);
        let mut zd = up(&gpu, &z);
        let bd = up(&gpu, &b);
        ops::bias_act_forward(&gpu, &mut zd.as_view_mut(), &bd.as_view(), rows, act).unwrap();
        let mut want = f64s(&z);
        cops::bias_act_forward(&mut want, &f64s(&b), act);
        assert_close(&format!("bias_act_forward {act:?}"), &down(&gpu, &zd), &want, TOL);
    }
}

#[test]
fn activation_backward() {
    let Some(gpu) = gpu_or_skip("activation_backward") else { return };
    let n = 4099;
    for (i, act) in ACTS.into_iter().enumerate() {
        let y: Vec<f32> = uniform32(n, -3.0, 3.0, i as u64).into_iter().map(|z| cops::act(act, z)).collect();
        let dz = uniform32(n, -1.0, 1.0, 20 + i as u64);
        let mut dzd = up(&gpu, &dz);
        ops::act_backward(&gpu, &mut dzd.as_view_mut(), &up(&gpu, &y).as_view(), act).unwrap();
        let mut want = f64s(&dz);
        cops::act_backward(&mut want, &f64s(&y), act);
        assert_close(&format!("act_backward {act:?}"), &down(&gpu, &dzd), &want, TOL);
    }
}

#[test]
fn gather_and_fill_are_exact() {
    let Some(gpu) = gpu_or_skip("gather_and_fill_are_exact") else { return };
    let (n, cols) = (300, 17);
    let x = uniform32(n * cols, -1.0, 1.0, 1);
    let lab = labels(n, 10, 2);
    let idx: Vec<u32> = labels(64, n as u32, 3);
    let (xd, ld, idd) = (up(&gpu, &x), up(&gpu, &lab), up(&gpu, &idx));
    let mut out = gpu.stream.alloc_zeros::<f32>(64 * cols).unwrap();
    let mut lout = gpu.stream.alloc_zeros::<u32>(64).unwrap();
    ops::gather_rows(&gpu, &xd, &idd.as_view(), cols, &mut out.as_view_mut()).unwrap();
    ops::gather_labels(&gpu, &ld, &idd.as_view(), &mut lout.as_view_mut()).unwrap();
    let mut want = vec![0.0f32; 64 * cols];
    cops::gather_rows(&x, &idx, cols, &mut want);
    assert_eq!(down(&gpu, &out), want);
    assert_eq!(down(&gpu, &lout), idx.iter().map(|&i| lab[i as usize]).collect::<Vec<_>>());
    ops::fill(&gpu, &mut out.as_view_mut(), 2.5).unwrap();
    assert!(down(&gpu, &out).iter().all(|&v| v == 2.5));
}

#[test]
fn softmax_cross_entropy_and_mse() {
    let Some(gpu) = gpu_or_skip("softmax_cross_entropy_and_mse") else { return };
    let (rows, cols) = (1000, 10);
    let z = uniform32(rows * cols, -6.0, 6.0, 4);
    let lab = labels(rows, cols as u32, 5);
    let mut dz = gpu.stream.alloc_zeros::<f32>(rows * cols).unwrap();
    let mut loss = gpu.stream.alloc_zeros::<f32>(1).unwrap();
    let scale = 1.0 / rows as f32;
    ops::softmax_xent(&gpu, &up(&gpu, &z).as_view(), &up(&gpu, &lab).as_view(), &mut dz.as_view_mut(), &mut loss.as_view_mut(), cols, scale).unwrap();
    let mut want = vec![0.0f64; rows * cols];
    let l = cops::softmax_xent(&f64s(&z), &lab, cols, 1.0 / rows as f64, &mut want);
    assert_close("softmax_xent gradient", &down(&gpu, &dz), &want, TOL);
    assert_close("softmax_xent loss", &down(&gpu, &loss), &[l], TOL);

    let n = 5003;
    let y = uniform32(n, -2.0, 2.0, 6);
    let t = uniform32(n, -2.0, 2.0, 7);
    let mut dy = gpu.stream.alloc_zeros::<f32>(n).unwrap();
    let mut loss = gpu.stream.alloc_zeros::<f32>(1).unwrap();
    ops::mse(&gpu, &up(&gpu, &y).as_view(), &up(&gpu, &t).as_view(), &mut dy.as_view_mut(), &mut loss.as_view_mut(), 1.0 / n as f32).unwrap();
    let mut want = vec![0.0f64; n];
    let l = cops::mse(&f64s(&y), &f64s(&t), 1.0 / n as f64, &mut want);
    assert_close("mse gradient", &down(&gpu, &dy), &want, TOL);
    assert_close("mse loss", &down(&gpu, &loss), &[l], TOL);
}

#[test]
fn dense_layer_products_through_cublas() {
    let Some(gpu) = gpu_or_skip("dense_layer_products_through_cublas") else { return };
    let (rows, n_in, n_out) = (65, 130, 33);
    let x = uniform32(rows * n_in, -1.0, 1.0, 8);
    let w = uniform32(n_out * n_in, -1.0, 1.0, 9);
    let dz = uniform32(rows * n_out, -1.0, 1.0, 10);
    let (xd, wd, dzd) = (up(&gpu, &x), up(&gpu, &w), up(&gpu, &dz));
    let mut ones = gpu.stream.alloc_zeros::<f32>(rows).unwrap();
    ops::fill(&gpu, &mut ones.as_view_mut(), 1.0).unwrap();
    let mut z = gpu.stream.alloc_zeros::<f32>(rows * n_out).unwrap();
    let mut dw = gpu.stream.alloc_zeros::<f32>(n_out * n_in).unwrap();
    let mut db = gpu.stream.alloc_zeros::<f32>(n_out).unwrap();
    let mut dx = gpu.stream.alloc_zeros::<f32>(rows * n_in).unwrap();
    blas::linear_forward(&gpu, &xd, &wd, rows, n_in, n_out, &mut z).unwrap();
    blas::weight_grad(&gpu, &xd, &dzd, rows, n_in, n_out, &mut dw).unwrap();
    blas::bias_grad(&gpu, &dzd, &ones, rows, n_out, &mut db).unwrap();
    blas::input_grad(&gpu, &dzd, &wd, rows, n_in, n_out, &mut dx).unwrap();
    let (x64, w64, dz64) = (f64s(&x), f64s(&w), f64s(&dz));
    let mut z64 = vec![0.0; rows * n_out];
    cops::linear_forward(&x64, &w64, n_in, n_out, &mut z64);
    let (mut dw64, mut db64, mut dx64) = (vec![0.0; n_out * n_in], vec![0.0; n_out], vec![0.0; rows * n_in]);
    cops::linear_backward(&x64, &w64, &dz64, n_in, n_out, &mut dw64, &mut db64, Some(&mut dx64));
    assert_close("x·Wᵀ", &down(&gpu, &z), &z64, TOL);
    assert_close("dzᵀ·x", &down(&gpu, &dw), &dw64, TOL);
    assert_close("Σ dz", &down(&gpu, &db), &db64, TOL);
    assert_close("dz·W", &down(&gpu, &dx), &dx64, TOL);
}

#[test]
fn fused_optimizer_updates() {
    let Some(gpu) = gpu_or_skip("fused_optimizer_updates") else { return };
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
    let n = 100_003;
    for spec in specs {
        let p0 = uniform32(n, -1.0, 1.0, 11);
        let mut pd = up(&gpu, &p0);
        let mut opt = GpuOptimizer::new(&gpu, spec, n).unwrap();
        let mut p = p0.clone();
        let mut s = [vec![0.0f32; n], vec![0.0; n], vec![0.0; n]];
        for t in 0..5u64 {
            let g = uniform32(n, -2.0, 2.0, 30 + t);
            opt.step(&gpu, &mut pd, &up(&gpu, &g)).unwrap();
            let [a, b, c] = &mut s;
            coptim::apply(&spec.update(t), &mut p, &g, [a, b, c]);
        }
        // Against the CPU path in f32 (the same arithmetic): Lion's sign can
        // only differ where the interpolated momentum is within rounding of 0,
        // which uniform random numbers do not hit.
        assert_close(&format!("{spec:?}"), &down(&gpu, &pd), &f64s(&p), TOL);
        let e = opt.step(&gpu, &mut pd.slice(..n - 1).to_owned_checked(&gpu), &up(&gpu, &p0));
        assert!(matches!(e, Err(CudaError::DimensionMismatch { .. })));
    }
}

/// The updates on views one float into their buffers (a parameter tensor
/// inside a larger allocation): misaligned for 16-byte accesses, so the
/// kernels take their one-float-at-a-time path; the float before the view
/// must stay untouched.
#[test]
fn fused_optimizer_updates_on_misaligned_views() {
    let Some(gpu) = gpu_or_skip("fused_optimizer_updates_on_misaligned_views") else { return };
    let specs = [
        OptimSpec::Sgd(SgdConfig { lr: 0.1, momentum: 0.9, nesterov: true, ..SgdConfig::default() }),
        OptimSpec::RmsProp(RmsPropConfig { lr: 0.01, centered: true, momentum: 0.5, ..RmsPropConfig::default() }),
        OptimSpec::Adam(AdamConfig { lr: 0.01, ..AdamConfig::default() }),
        OptimSpec::Lion(LionConfig { lr: 0.01, ..LionConfig::default() }),
    ];
    let n = 10_001;
    for spec in specs {
        let p0 = uniform32(n + 1, -1.0, 1.0, 12);
        let mut pd = up(&gpu, &p0);
        let mut opt = GpuOptimizer::new(&gpu, spec, n).unwrap();
        let mut p = p0[1..].to_vec();
        let mut s = [vec![0.0f32; n], vec![0.0; n], vec![0.0; n]];
        for t in 0..5u64 {
            let g = uniform32(n + 1, -2.0, 2.0, 40 + t);
            let gd = up(&gpu, &g);
            opt.step_view(&gpu, &mut pd.slice_mut(1..), &gd.slice(1..)).unwrap();
            let [a, b, c] = &mut s;
            coptim::apply(&spec.update(t), &mut p, &g[1..], [a, b, c]);
        }
        let got = down(&gpu, &pd);
        assert_eq!(got[0], p0[0], "{spec:?}: wrote before the view");
        assert_close(&format!("{spec:?} on a misaligned view"), &got[1..], &f64s(&p), TOL);
    }
}

/// `to_owned` for a view (a device-to-device copy), for the length check above.
trait ToOwnedChecked {
    fn to_owned_checked(&self, gpu: &Gpu) -> cudarc::driver::CudaSlice<f32>;
}
impl ToOwnedChecked for cudarc::driver::CudaView<'_, f32> {
    fn to_owned_checked(&self, gpu: &Gpu) -> cudarc::driver::CudaSlice<f32> {
        gpu.stream.clone_dtod(self).unwrap()
    }
}

#[test]
fn whole_mlp_gradient() {
    let Some(gpu) = gpu_or_skip("whole_mlp_gradient") else { return };
    for (loss, last) in [(Loss::SoftmaxCrossEntropy, Activation::Identity), (Loss::Mse, Activation::Sigmoid)] {
        let spec = MlpSpec {
            sizes: vec![64, 128, 64, 10],
            activations: vec![Activation::Relu, Activation::Tanh, last],
            loss,
            optimizer: OptimSpec::Sgd(SgdConfig::default()),
        };
        let rows = 100;
        let p = spec.init(3).unwrap();
        let x = uniform32(rows * 64, -1.0, 1.0, 12);
        let lab = labels(rows, 10, 13);
        let vals = uniform(rows * 10, 0.0, 1.0, 14);
        let vals32: Vec<f32> = vals.iter().map(|&v| v as f32).collect();
        let mut ws = gtrain::GpuWorkspace::new(&gpu, &spec, rows).unwrap();
        let (pd, xd) = (up(&gpu, &p), up(&gpu, &x));
        let (ld, vd) = (up(&gpu, &lab), up(&gpu, &vals32));
        let (lv, vv) = (ld.as_view(), vd.as_view());
        let mut gd = gpu.stream.alloc_zeros::<f32>(p.len()).unwrap();
        let mut lossd = gpu.stream.alloc_zeros::<f32>(1).unwrap();
        let t = match loss {
            Loss::SoftmaxCrossEntropy => gtrain::GpuTargets::Classes(&lv),
            Loss::Mse => gtrain::GpuTargets::Values(&vv),
        };
        gtrain::loss_and_grad(&gpu, &spec, &pd, &xd.as_view(), t, rows, &mut gd, &mut lossd.as_view_mut(), &mut ws).unwrap();
        let mut g64 = vec![0.0; p.len()];
        let ct = match loss {
            Loss::SoftmaxCrossEntropy => cmlp::BatchTargets::Classes(&lab),
            Loss::Mse => cmlp::BatchTargets::Values(&vals),
        };
        let l64 = cmlp::loss_and_grad(&spec, &f64s(&p), &f64s(&x), ct, rows, &mut g64, &mut cmlp::Workspace::new(&spec, rows));
        // Three layers of GEMMs and transcendental kernels chained: each
        // step is within 1e-5 (tests above); the composition is allowed 1e-4.
        assert_close(&format!("{loss:?} gradient"), &down(&gpu, &gd), &g64, 1e-4);
        assert_close(&format!("{loss:?} loss"), &down(&gpu, &lossd), &[l64], 1e-5);
    }
}

#[test]
fn nvrtc_errors_carry_the_log_and_kernels_are_cached() {
    let Some(gpu) = gpu_or_skip("nvrtc_errors_carry_the_log_and_kernels_are_cached") else { return };
    static BAD: Kernel = Kernel::standalone("gd_bad", "extern \"C\" __global__ void gd_bad() { undefined_thing(); }", LaunchShape::ELEMENTWISE);
    match gpu.function(&BAD) {
        Err(CudaError::Compile { kernel, log, .. }) => {
            assert_eq!(kernel, "gd_bad");
            assert!(log.contains("undefined_thing"), "{log}");
        }
        other => panic!("expected a compile error, got {other:?}"),
    }
    static GOOD: Kernel = Kernel::standalone("gd_good", "extern \"C\" __global__ void gd_good(float* x) { x[0] = 1.0f; }", LaunchShape::ELEMENTWISE);
    let t = std::time::Instant::now();
    gpu.function(&GOOD).unwrap();
    let first = t.elapsed();
    let t = std::time::Instant::now();
    gpu.function(&GOOD).unwrap();
    let second = t.elapsed();
    eprintln!("compile + load {first:?}, cached {second:?}");
    assert!(second * 10 < first, "the second lookup must hit the cache");
    gpu.kernels.warm(&gd_cuda::kernels::all()).unwrap();
}
