//! The matrix product on 1 and 2 threads (issue 17): nalgebra's own
//! (`gemm`, which hands products of dynamic matrices larger than 5×5 to
//! matrixmultiply) against faer's `matmul` run on the same nalgebra storage
//! (no copy), f32 and f64, for a large layer (128×784 · 784×256, an MNIST
//! batch through a first layer) and the digits MLP's first layer
//! (64×64 · 64×32).
//!
//! Beside them, what generated gradients run since faer was adopted: the
//! product rule's forward (`gd_rule_fwd`, `C = A·B`) and reverse
//! (`gd_rule_rev`, `Ā += C̄·Bᵀ` and `B̄ += Aᵀ·C̄`, against `nalgebra_rev`,
//! the same two products through nalgebra's `gemm` on transposed views, the
//! rule's code before).
//!
//! Run:
//! - `cargo bench --bench matmul`: nalgebra (one thread: matrixmultiply is
//!   serial without its `threading` feature), faer sequential and faer on
//!   2 threads (`Par::rayon(2)`), and the rule.
//! - `MATMUL_NUM_THREADS=1 cargo bench --bench matmul --features bench-mm-threading -- nalgebra`,
//!   then with `MATMUL_NUM_THREADS=2`: matrixmultiply's own threads (the
//!   count is read once per process, hence two runs).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use gd::nalgebra::{DMatrix, Scalar};
use rand::{Rng, SeedableRng};

// (256, 784, 128) and (256, 128, 784): the MNIST MLP's first layer as
// its generated gradient multiplies, forward (W·X) and for W's adjoint
// (Z̄·Xᵀ).
const SHAPES: [(usize, usize, usize); 7] =
    [(128, 784, 256), (256, 784, 128), (256, 128, 784), (256, 128, 128), (64, 64, 32), (32, 32, 32), (16, 16, 16)];

fn random<T: Scalar + From<f32>>(r: usize, c: usize, seed: u64) -> DMatrix<T> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    DMatrix::from_fn(r, c, |_, _| T::from(rng.gen_range(-1.0f32..1.0)))
}

macro_rules! cases {
    ($c:expr, $t:ty, $name:literal) => {
        let mut group = $c.benchmark_group(concat!("matmul_", $name));
        group.sample_size(30).measurement_time(std::time::Duration::from_secs(3));
        for (m, k, n) in SHAPES {
            let a: DMatrix<$t> = random(m, k, 1);
            let b: DMatrix<$t> = random(k, n, 2);
            let mut c = DMatrix::<$t>::zeros(m, n);
            let id = format!("{m}x{k}x{n}");
            group.bench_with_input(BenchmarkId::new("nalgebra", &id), &(), |bch, _| bch.iter(|| c.gemm(1.0, &a, &b, 0.0)));
            {
                use faer::{linalg::matmul::matmul, Accum, MatMut, MatRef, Par};
                let expect = &a * &b;
                for (name, par) in [("faer_seq", Par::Seq), ("faer_par2", Par::rayon(2))] {
                    let run = |c: &mut DMatrix<$t>| {
                        let lhs = MatRef::from_column_major_slice(a.as_slice(), m, k);
                        let rhs = MatRef::from_column_major_slice(b.as_slice(), k, n);
                        let dst = MatMut::from_column_major_slice_mut(c.as_mut_slice(), m, n);
                        matmul(dst, Accum::Replace, lhs, rhs, 1.0, par);
                    };
                    run(&mut c);
                    assert!((&c - &expect).amax() <= 1e-3 as $t * expect.amax(), "{name} agrees with nalgebra");
                    group.bench_with_input(BenchmarkId::new(name, &id), &(), |bch, _| bch.iter(|| run(&mut c)));
                }
                // Two serial products on the halves of C's columns (asking
                // for the thread count starts gd's helper, as gemm.rs does).
                let _ = gd::runtime::budget::threads();
                let split = |c: &mut DMatrix<$t>| {
                    let h = n / 2;
                    let (c0, c1) = c.as_mut_slice().split_at_mut(m * h);
                    let lhs = MatRef::from_column_major_slice(a.as_slice(), m, k);
                    let (b0, b1) = b.as_slice().split_at(k * h);
                    gd::runtime::budget::both(
                        || matmul(MatMut::from_column_major_slice_mut(c0, m, h), Accum::Replace, lhs, MatRef::from_column_major_slice(b0, k, h), 1.0, Par::Seq),
                        || matmul(MatMut::from_column_major_slice_mut(c1, m, n - h), Accum::Replace, lhs, MatRef::from_column_major_slice(b1, k, n - h), 1.0, Par::Seq),
                    );
                };
                split(&mut c);
                assert!((&c - &expect).amax() <= 1e-3 as $t * expect.amax(), "split agrees with nalgebra");
                group.bench_with_input(BenchmarkId::new("split2", &id), &(), |bch, _| bch.iter(|| split(&mut c)));
            }
            {
                use gd::__private::tensor::MulRule;
                let zb: DMatrix<$t> = random(m, n, 3);
                let (mut ab, mut bb) = (DMatrix::<$t>::zeros(m, k), DMatrix::<$t>::zeros(k, n));
                group.bench_with_input(BenchmarkId::new("gd_rule_fwd", &id), &(), |bch, _| bch.iter(|| a.fwd(&b)));
                group.bench_with_input(BenchmarkId::new("gd_rule_rev", &id), &(), |bch, _| {
                    bch.iter(|| a.rev(&b, &zb, Some(&mut ab), Some(&mut bb)))
                });
                // Transposed views (element (r, c) at r·rstride + c·cstride),
                // as the rule did: no copies.
                let bt = gd::nalgebra::DMatrixView::from_slice_with_strides(b.as_slice(), n, k, k, 1);
                let at = gd::nalgebra::DMatrixView::from_slice_with_strides(a.as_slice(), k, m, m, 1);
                group.bench_with_input(BenchmarkId::new("nalgebra_rev", &id), &(), |bch, _| {
                    bch.iter(|| {
                        ab.gemm(1.0, &zb, &bt, 1.0);
                        bb.gemm(1.0, &at, &zb, 1.0);
                    })
                });
            }
        }
        group.finish();
    };
}

fn bench(c: &mut Criterion) {
    cases!(c, f32, "f32");
    cases!(c, f64, "f64");
}

criterion_group!(benches, bench);
criterion_main!(benches);
