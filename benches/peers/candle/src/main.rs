//! candle's side of the peer comparison (issue 17, benches/peers/): the
//! cases of `gd.rs` as a candle user writes them (`candle_nn::linear`,
//! `AdamW` without weight decay, `candle_nn::loss::cross_entropy`; the
//! Rosenbrock gradient as tensor ops on a `Var` and `backward`). candle has
//! no higher-order derivatives, so no Hessian rows. Prints the same TSV rows
//! as the other implementations. Threads: candle's CPU kernels read
//! RAYON_NUM_THREADS (default: every core).
//!
//! Run: `cargo run --release -- [--quick] [--dtype f32|f64]` here, or
//! benches/peers/run.sh.

use candle_core::{DType, Device, Module, Result, Tensor, Var};
use candle_nn::{linear, loss, AdamW, Optimizer, ParamsAdamW, VarBuilder, VarMap};
use std::hint::black_box;
use std::time::Instant;

const N_SAMPLES: usize = 1024;
const CHECK_STEPS: usize = 20;

struct Timing {
    block_s: f64,
    reps: usize,
}

impl Timing {
    /// Same protocol as gd.rs: grow the call count until a block takes half
    /// of `block_s` (warm-up), then the median per call over `reps` blocks.
    fn per_call(&self, mut f: impl FnMut() -> Result<()>) -> Result<f64> {
        let mut iters = 1usize;
        loop {
            let t = Instant::now();
            for _ in 0..iters {
                f()?;
            }
            let e = t.elapsed().as_secs_f64();
            if e >= self.block_s / 2.0 {
                iters = ((iters as f64) * self.block_s / e).ceil().max(1.0) as usize;
                break;
            }
            iters *= 2;
        }
        let mut v = Vec::new();
        for _ in 0..self.reps {
            let t = Instant::now();
            for _ in 0..iters {
                f()?;
            }
            v.push(t.elapsed().as_secs_f64() / iters as f64);
        }
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        Ok(v[v.len() / 2])
    }
}

fn rosen_x(n: usize) -> Vec<f64> {
    (0..n).map(|i| if i % 2 == 0 { -1.2 } else { 1.0 }).collect()
}

/// The extended Rosenbrock function as tensor ops (the chained sum, vectorised).
fn rosen(x: &Tensor) -> Result<Tensor> {
    let n = x.dim(0)?;
    let x0 = x.narrow(0, 0, n - 1)?;
    let x1 = x.narrow(0, 1, n - 1)?;
    let a = (x1 - x0.sqr()?)?;
    ((a.sqr()? * 100.0)? + x0.affine(-1.0, 1.0)?.sqr()?)?.sum_all()
}

struct Mlp {
    l1: candle_nn::Linear,
    l2: candle_nn::Linear,
}

impl Module for Mlp {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.l2.forward(&self.l1.forward(x)?.tanh()?)
    }
}

/// The model, its VarMap, and the shared deterministic init:
/// W[r, c] = sin(1 + 0.7 r + 1.3 c + l) / sqrt(fan_in), biases 0.
fn mlp(sizes: [usize; 3], dtype: DType, dev: &Device) -> Result<(Mlp, VarMap)> {
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, dtype, dev);
    let m = Mlp { l1: linear(sizes[0], sizes[1], vb.pp("l1"))?, l2: linear(sizes[1], sizes[2], vb.pp("l2"))? };
    {
        let data = varmap.data().lock().unwrap();
        for (l, name) in ["l1", "l2"].iter().enumerate() {
            let (out, inp) = (sizes[l + 1], sizes[l]);
            let w: Vec<f64> = (0..out * inp)
                .map(|k| {
                    let (r, c) = (k / inp, k % inp);
                    (1.0 + 0.7 * r as f64 + 1.3 * c as f64 + l as f64).sin() / (inp as f64).sqrt()
                })
                .collect();
            data[&format!("{name}.weight")].set(&Tensor::from_vec(w, (out, inp), dev)?.to_dtype(dtype)?)?;
            data[&format!("{name}.bias")].set(&Tensor::zeros(out, dtype, dev)?)?;
        }
    }
    Ok((m, varmap))
}

/// Feature j of sample s: sin(0.1 · ((31 s + 17 j) mod 101)); label
/// ((31 s) mod 101) mod 10. Rows are samples. Pre-split into batches.
fn batches(d: usize, batch: usize, dtype: DType, dev: &Device) -> Result<Vec<(Tensor, Tensor)>> {
    let x: Vec<f64> = (0..N_SAMPLES * d).map(|k| (0.1 * ((31 * (k / d) + 17 * (k % d)) % 101) as f64).sin()).collect();
    let y: Vec<u32> = (0..N_SAMPLES).map(|s| (((31 * s) % 101) % 10) as u32).collect();
    let x = Tensor::from_vec(x, (N_SAMPLES, d), dev)?.to_dtype(dtype)?;
    let y = Tensor::from_vec(y, N_SAMPLES, dev)?;
    (0..N_SAMPLES / batch)
        .map(|k| Ok((x.narrow(0, k * batch, batch)?.contiguous()?, y.narrow(0, k * batch, batch)?.contiguous()?)))
        .collect()
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let dtype_name = args.iter().position(|a| a == "--dtype").map(|i| args[i + 1].clone()).unwrap_or("f32".into());
    let only: Option<String> = args.iter().position(|a| a == "--only").map(|i| args[i + 1].clone());
    let want = |c: &str| only.as_deref().map_or(true, |o| c.starts_with(o));
    let dtype = if dtype_name == "f64" { DType::F64 } else { DType::F32 };
    let tm = if quick { Timing { block_s: 0.05, reps: 3 } } else { Timing { block_s: 0.2, reps: 5 } };
    let threads = candle_core::utils::get_num_threads();
    let dev = Device::Cpu;
    let row = |case: &str, s: f64| println!("{case}\tcandle\t{dtype_name}\t{threads}\t{s:.4e}");
    let check = |what: &str, v: f64| println!("check\t{what}\tcandle\t{dtype_name}\t{v:.9e}");

    // ---- checks
    {
        let x = Var::from_tensor(&Tensor::from_vec(rosen_x(1000), 1000, &dev)?.to_dtype(dtype)?)?;
        let v = rosen(x.as_tensor())?;
        let g = v.backward()?.get(&x).unwrap().to_dtype(DType::F64)?;
        check("rosen_1e3_value", v.to_dtype(DType::F64)?.to_scalar::<f64>()?);
        check("rosen_1e3_grad_sum", g.sum_all()?.to_scalar::<f64>()?);
        for (case, sizes, batch) in [("mlp64", [64usize, 64, 10], 32usize), ("mlp784", [784, 256, 10], 128)] {
            let (m, varmap) = mlp(sizes, dtype, &dev)?;
            let mut opt = AdamW::new(varmap.all_vars(), ParamsAdamW { lr: 1e-3, weight_decay: 0.0, ..Default::default() })?;
            let bs = batches(sizes[0], batch, dtype, &dev)?;
            let mut losses = vec![];
            for k in 0..CHECK_STEPS {
                let (xb, yb) = &bs[k % bs.len()];
                let l = loss::cross_entropy(&m.forward(xb)?, yb)?;
                opt.backward_step(&l)?;
                losses.push(l.to_dtype(DType::F64)?.to_scalar::<f64>()?);
            }
            check(&format!("{case}_loss_step0"), losses[0]);
            check(&format!("{case}_loss_step{}", CHECK_STEPS - 1), losses[CHECK_STEPS - 1]);
        }
    }

    // ---- Rosenbrock gradient (value and gradient), s per call
    for (case, n) in [("rosen_grad_1e3", 1_000usize), ("rosen_grad_1e5", 100_000)] {
        if !want(case) {
            continue;
        }
        let x = Var::from_tensor(&Tensor::from_vec(rosen_x(n), n, &dev)?.to_dtype(dtype)?)?;
        let s = tm.per_call(|| {
            let v = rosen(x.as_tensor())?;
            let grads = v.backward()?;
            black_box((v, grads.get(&x).unwrap().clone()));
            Ok(())
        })?;
        row(case, s);
    }

    // ---- MLP training, s per sample (one pass over the pre-split batches per call)
    for (case, sizes, batch) in [("mlp64_b32", [64usize, 64, 10], 32usize), ("mlp784_b128", [784, 256, 10], 128)] {
        if !want(case) {
            continue;
        }
        let (m, varmap) = mlp(sizes, dtype, &dev)?;
        let mut opt = AdamW::new(varmap.all_vars(), ParamsAdamW { lr: 1e-3, weight_decay: 0.0, ..Default::default() })?;
        let bs = batches(sizes[0], batch, dtype, &dev)?;
        let s = tm.per_call(|| {
            for (xb, yb) in &bs {
                let l = loss::cross_entropy(&m.forward(xb)?, yb)?;
                opt.backward_step(&l)?;
            }
            Ok(())
        })?;
        row(case, s / N_SAMPLES as f64);
    }
    Ok(())
}
