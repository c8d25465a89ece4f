//! Gradient of an MLP 64-32-10 (tanh hidden layer, softmax cross-entropy,
//! mean over the batch) at batch 32 and 256: the gradient `#[differentiable]`
//! generates for the loss written with nalgebra and a parameter struct, and
//! for the same loss written with loops over a flat slice, against
//! backpropagation written by hand in nalgebra (issue "models", Benchmark).
//! `generated_called` is the matrix-softmax loss with the forward pass
//! written as its own matrix-valued function (`logits`) and called: it should
//! cost what the inline version costs (the callee runs once, its reverse
//! sweep kept as a closure). `generated_layered` calls a function per layer
//! with the running activations (a matrix of the caller's own, copied for
//! the callee's closure).
//! Before timing, the three gradients are checked to agree.
//!
//! Run: `cargo bench --bench mlp` (then `python3 benches/ratios.py mlp`).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use gd::differentiable;
use gd::nalgebra::{DMatrix, DVector, RowDVector};
use gd::Params;
use rand::{Rng, SeedableRng};

const N_IN: usize = 64;
const N_HID: usize = 32;
const N_OUT: usize = 10;

#[derive(Clone, Debug, gd::Params)]
struct Layer {
    w: DMatrix<f64>,
    b: DVector<f64>,
}

#[derive(Clone, Debug, gd::Params)]
struct Mlp {
    layers: Vec<Layer>,
}

/// The loss as one writes it with nalgebra: columns of `x` are samples.
#[differentiable(wrt(p))]
fn loss_nalgebra(p: &Mlp, x: &DMatrix<f64>, labels: &[usize]) -> f64 {
    let n = x.ncols();
    let ones = DVector::from_element(n, 1.0);
    let mut h = x.clone();
    for (l, layer) in p.layers.iter().enumerate() {
        let z = &layer.w * &h + &layer.b * ones.transpose();
        h = if l + 1 < p.layers.len() { z.map(|v| v.tanh()) } else { z };
    }
    let mut total = 0.0;
    for j in 0..n {
        let col = h.column(j);
        let m = gd::stop_gradient(col.max());
        total += col.add_scalar(-m).map(|v| v.exp()).sum().ln() + m - col[labels[j]];
    }
    total / n as f64
}

/// The same loss with the softmax at matrix level: the per-column shift by
/// the largest logit is data (it cancels in the gradient), the sums of
/// exponentials are one product with a vector of ones.
#[differentiable(wrt(p))]
fn loss_nalgebra_matrix(p: &Mlp, x: &DMatrix<f64>, labels: &[usize]) -> f64 {
    let n = x.ncols();
    let ones = DVector::from_element(n, 1.0);
    let mut h = x.clone();
    for (l, layer) in p.layers.iter().enumerate() {
        let z = &layer.w * &h + &layer.b * ones.transpose();
        h = if l + 1 < p.layers.len() { z.map(|v| v.tanh()) } else { z };
    }
    let k = h.nrows();
    let m = gd::stop_gradient(RowDVector::from_iterator(n, h.column_iter().map(|c| c.max())));
    let ones_k = DVector::from_element(k, 1.0);
    let e = (&h - &ones_k * &m).map(|v| v.exp());
    let lse = (ones_k.transpose() * e).map(|v| v.ln()).sum() + m.sum();
    let mut picked = 0.0;
    for j in 0..n {
        picked += h[(labels[j], j)];
    }
    (lse - picked) / n as f64
}

/// The network's logits, matrix-valued: called by `loss_called`.
#[differentiable(wrt(p))]
fn logits(p: &Mlp, x: &DMatrix<f64>) -> DMatrix<f64> {
    let ones = DVector::from_element(x.ncols(), 1.0);
    let mut h = x.clone();
    for (l, layer) in p.layers.iter().enumerate() {
        let z = &layer.w * &h + &layer.b * ones.transpose();
        h = if l + 1 < p.layers.len() { z.map(|v| v.tanh()) } else { z };
    }
    h
}

/// `loss_nalgebra_matrix` with the forward pass as a call.
#[differentiable(wrt(p))]
fn loss_called(p: &Mlp, x: &DMatrix<f64>, labels: &[usize]) -> f64 {
    let n = x.ncols();
    let h: DMatrix<f64> = logits(p, x);
    let k = h.nrows();
    let m = gd::stop_gradient(RowDVector::from_iterator(n, h.column_iter().map(|c| c.max())));
    let ones_k = DVector::from_element(k, 1.0);
    let e = (&h - &ones_k * &m).map(|v| v.exp());
    let lse = (ones_k.transpose() * e).map(|v| v.ln()).sum() + m.sum();
    let mut picked = 0.0;
    for j in 0..n {
        picked += h[(labels[j], j)];
    }
    (lse - picked) / n as f64
}

/// One dense layer, `W h + b 1ᵀ`: called per layer by `loss_layered`.
#[differentiable(wrt(layer, h))]
fn dense(layer: &Layer, h: &DMatrix<f64>, ones: &DVector<f64>) -> DMatrix<f64> {
    &layer.w * h + &layer.b * ones.transpose()
}

/// `loss_nalgebra_matrix` with each layer's product a call given the
/// running `h` (the caller's own matrix, copied for the callee's closure).
#[differentiable(wrt(p))]
fn loss_layered(p: &Mlp, x: &DMatrix<f64>, labels: &[usize]) -> f64 {
    let n = x.ncols();
    let ones = DVector::from_element(n, 1.0);
    let mut h = x.clone();
    for (l, layer) in p.layers.iter().enumerate() {
        let z: DMatrix<f64> = dense(layer, &h, &ones);
        h = if l + 1 < p.layers.len() { z.map(|v| v.tanh()) } else { z };
    }
    let k = h.nrows();
    let m = gd::stop_gradient(RowDVector::from_iterator(n, h.column_iter().map(|c| c.max())));
    let ones_k = DVector::from_element(k, 1.0);
    let e = (&h - &ones_k * &m).map(|v| v.exp());
    let lse = (ones_k.transpose() * e).map(|v| v.ln()).sum() + m.sum();
    let mut picked = 0.0;
    for j in 0..n {
        picked += h[(labels[j], j)];
    }
    (lse - picked) / n as f64
}

/// The same loss with loops over a flat parameter slice (layout: W1, b1, W2,
/// b2, row-major weights) and samples as rows of `x`.
#[differentiable(wrt(p))]
fn loss_loops(p: &[f64], x: &[f64], labels: &[usize], n: usize) -> f64 {
    let o_b1 = N_HID * N_IN;
    let o_w2 = o_b1 + N_HID;
    let o_b2 = o_w2 + N_OUT * N_HID;
    let mut total = 0.0;
    for i in 0..n {
        let mut h = vec![0.0; N_HID];
        for j in 0..N_HID {
            let mut z = p[o_b1 + j];
            for k in 0..N_IN {
                z += p[j * N_IN + k] * x[i * N_IN + k];
            }
            h[j] = z.tanh();
        }
        let mut logits = vec![0.0; N_OUT];
        for c in 0..N_OUT {
            let mut z = p[o_b2 + c];
            for j in 0..N_HID {
                z += p[o_w2 + c * N_HID + j] * h[j];
            }
            logits[c] = z;
        }
        let mut m = logits[0];
        for c in 1..N_OUT {
            m = m.max(logits[c]);
        }
        let mut se = 0.0;
        for c in 0..N_OUT {
            se += (logits[c] - m).exp();
        }
        total += m + se.ln() - logits[labels[i]];
    }
    total / n as f64
}

/// Backpropagation by hand, batched in nalgebra: the baseline.
fn loss_hand(p: &Mlp, x: &DMatrix<f64>, labels: &[usize], g: &mut Mlp) -> f64 {
    let n = x.ncols();
    let (l1, l2) = (&p.layers[0], &p.layers[1]);
    let mut z1 = &l1.w * x;
    for mut c in z1.column_iter_mut() {
        c += &l1.b;
    }
    let h = z1.map(|v| v.tanh());
    let mut z2 = &l2.w * &h;
    for mut c in z2.column_iter_mut() {
        c += &l2.b;
    }
    // Softmax per column; dZ2 = (P - Y) / n.
    let mut total = 0.0;
    let inv = 1.0 / n as f64;
    for (j, mut c) in z2.column_iter_mut().enumerate() {
        let m = c.max();
        c.apply(|v| *v = (*v - m).exp());
        let s = c.sum();
        total += s.ln() + m - (c[labels[j]].ln() + m);
        c.apply(|v| *v *= inv / s);
        c[labels[j]] -= inv;
    }
    let dz2 = z2;
    g.layers[1].w.gemm(1.0, &dz2, &h.transpose(), 0.0);
    g.layers[1].b = dz2.column_sum();
    let mut dz1 = l2.w.tr_mul(&dz2);
    dz1.zip_apply(&h, |d, hv| *d *= 1.0 - hv * hv);
    g.layers[0].w.gemm(1.0, &dz1, &x.transpose(), 0.0);
    g.layers[0].b = dz1.column_sum();
    total * inv
}

fn model(seed: u64) -> Mlp {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut layer = |o: usize, i: usize| Layer {
        w: DMatrix::from_fn(o, i, |_, _| rng.gen_range(-0.3..0.3)),
        b: DVector::from_fn(o, |_, _| rng.gen_range(-0.1..0.1)),
    };
    Mlp { layers: vec![layer(N_HID, N_IN), layer(N_OUT, N_HID)] }
}

/// The flat row-major layout `loss_loops` reads.
fn flat(p: &Mlp) -> Vec<f64> {
    let mut v = Vec::new();
    for l in &p.layers {
        for i in 0..l.w.nrows() {
            v.extend(l.w.row(i).iter());
        }
        v.extend(l.b.iter());
    }
    v
}

fn bench(c: &mut Criterion) {
    let p = model(1);
    let pf = flat(&p);
    let mut group = c.benchmark_group("mlp");
    group.sample_size(30).measurement_time(std::time::Duration::from_secs(3));
    for n in [32usize, 256] {
        let mut rng = rand::rngs::StdRng::seed_from_u64(2);
        let x = DMatrix::from_fn(N_IN, n, |_, _| rng.gen_range(-1.0..1.0));
        let xrows: Vec<f64> = (0..n).flat_map(|j| x.column(j).iter().copied().collect::<Vec<_>>()).collect();
        let labels: Vec<usize> = (0..n).map(|j| j % N_OUT).collect();

        // The three gradients agree before anything is timed.
        let (v1, g1) = loss_nalgebra::value_and_grad(&p, &x, &labels);
        let mut gh = p.zeros_like();
        let vh = loss_hand(&p, &x, &labels, &mut gh);
        let (v2, g2) = loss_loops::value_and_grad(&pf, &xrows, &labels, n);
        assert!((v1 - vh).abs() < 1e-12 && (v2 - vh).abs() < 1e-12, "{v1} {v2} {vh}");
        let mut diff = g1.clone();
        diff.axpy(-1.0, &gh);
        assert!(diff.norm() < 1e-10 * gh.norm(), "nalgebra vs hand: {}", diff.norm());
        let gl = flat(&gh);
        assert!(g2.iter().zip(&gl).all(|(a, b)| (a - b).abs() < 1e-10), "loops vs hand");

        group.bench_with_input(BenchmarkId::new("primal", n), &n, |b, _| b.iter(|| loss_nalgebra(&p, &x, &labels)));
        group.bench_with_input(BenchmarkId::new("hand", n), &n, |b, _| b.iter(|| loss_hand(&p, &x, &labels, &mut gh)));
        let mut g = p.zeros_like();
        group.bench_with_input(BenchmarkId::new("generated_nalgebra", n), &n, |b, _| {
            b.iter(|| {
                g.scale(0.0);
                loss_nalgebra::value_and_grad_into(&p, &x, &labels, &mut g)
            })
        });
        // The matrix-softmax loss inline, with its forward pass as a call, and
        // with a call per layer: checked against the hand-written gradient,
        // then timed.
        type Vg = fn(&Mlp, &DMatrix<f64>, &[usize]) -> (f64, Mlp);
        type Into = fn(&Mlp, &DMatrix<f64>, &[usize], &mut Mlp) -> f64;
        let variants: [(&str, Vg, Into); 3] = [
            ("generated_nalgebra_matrix", loss_nalgebra_matrix::value_and_grad, loss_nalgebra_matrix::value_and_grad_into),
            ("generated_called", loss_called::value_and_grad, loss_called::value_and_grad_into),
            ("generated_layered", loss_layered::value_and_grad, loss_layered::value_and_grad_into),
        ];
        for (name, vg, into) in variants {
            let (v, gv) = vg(&p, &x, &labels);
            let mut diff = gv.clone();
            diff.axpy(-1.0, &gh);
            assert!((v - vh).abs() < 1e-12 && diff.norm() < 1e-10 * gh.norm(), "{name} vs hand");
            group.bench_with_input(BenchmarkId::new(name, n), &n, |b, _| {
                b.iter(|| {
                    g.scale(0.0);
                    into(&p, &x, &labels, &mut g)
                })
            });
        }
        // Second order through the same code: a Hessian-vector product.
        let mut t = p.zeros_like();
        let dir: Vec<f64> = (0..p.num_params()).map(|k| ((k * 37) % 11) as f64 * 0.1 - 0.5).collect();
        t.set_from_slice(&dir).unwrap();
        group.bench_with_input(BenchmarkId::new("hvp_nalgebra_matrix", n), &n, |b, _| {
            b.iter(|| loss_nalgebra_matrix::hvp(&p, &x, &labels, &t))
        });
        let mut gf = vec![0.0; pf.len()];
        group.bench_with_input(BenchmarkId::new("generated_loops", n), &n, |b, _| {
            b.iter(|| {
                gf.fill(0.0);
                loss_loops::value_and_grad_into(&pf, &xrows, &labels, n, &mut gf)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
