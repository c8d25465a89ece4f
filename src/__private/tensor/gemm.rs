//! The matrix products of the rules (`C = A·B`, `Ā += C̄·Bᵀ`, `B̄ += Aᵀ·C̄`)
//! on dynamic matrices, through faer. Measured on the same nalgebra storage
//! (`cargo bench --bench matmul`, README "All cores"), faer's kernels take
//! 22–37 % less time than matrixmultiply's (which nalgebra's operators
//! use) from a digits layer (64×64·64×32) to an MNIST layer
//! (128×784·784×256), and faer runs a large product on several threads
//! where that pays. Operands are read in place, transposes as views: no
//! copy, no zero fill for a new result.

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};

/// Products with every dimension at least this go to faer; smaller ones
/// (and any product with a static dimension, such as a matrix times a
/// vector) stay with nalgebra, whose own loops are tuned for them.
const MIN_DIM: usize = 8;

/// Products of at least this many multiply-adds use every thread of rayon's
/// pool, unless the caller is already one of its threads (a shard of a
/// sharded batch: the other cores are busy with the other shards). On 2
/// idle cores (`cargo bench --bench matmul`) 128×784·784×256 (2.6·10⁷)
/// took 0.67–0.77× of its serial time, while 256×128·128×128 (4.2·10⁶)
/// took 0.84× in f64 but 1.16× in f32, and 64×64·64×32 3.6–6.5×.
const PARALLEL_MULADDS: usize = 1 << 23;

/// Whether an m×k by k×n product goes to faer.
#[inline]
pub(super) fn faer_worth(m: usize, k: usize, n: usize) -> bool {
    m >= MIN_DIM && k >= MIN_DIM && n >= MIN_DIM
}

fn parallelism(m: usize, k: usize, n: usize) -> Par {
    // The size first: asking rayon for its thread count starts its global
    // pool, which a process multiplying only small matrices never needs.
    if m.saturating_mul(k).saturating_mul(n) < PARALLEL_MULADDS || rayon::current_thread_index().is_some() {
        return Par::Seq;
    }
    match rayon::current_num_threads() {
        1 => Par::Seq,
        threads => Par::rayon(threads),
    }
}

/// A column-major operand, used as stored or transposed.
pub(super) struct Operand<'a, F> {
    pub data: &'a [F],
    pub rows: usize,
    pub cols: usize,
    pub transposed: bool,
}

impl<'a, F: faer::traits::ComplexField> Operand<'a, F> {
    fn view(&self) -> MatRef<'a, F> {
        let m = MatRef::from_column_major_slice(self.data, self.rows, self.cols);
        if self.transposed {
            m.transpose()
        } else {
            m
        }
    }
}

/// `dst = a·b` (`add` false) or `dst += a·b`, `dst` column-major m×n.
pub(super) fn product<F: faer::traits::ComplexField>(dst: &mut [F], m: usize, n: usize, add: bool, a: Operand<'_, F>, b: Operand<'_, F>) {
    let (a, b) = (a.view(), b.view());
    let k = a.ncols();
    debug_assert!(a.nrows() == m && b.nrows() == k && b.ncols() == n);
    let dst = MatMut::from_column_major_slice_mut(dst, m, n);
    let accum = if add { Accum::Add } else { Accum::Replace };
    matmul(dst, accum, a, b, F::one_impl(), parallelism(m, k, n));
}

#[cfg(test)]
mod tests {
    use super::super::MulRule;
    use nalgebra::{DMatrix, Dyn, OMatrix, U3};

    fn m(r: usize, c: usize, seed: f64) -> DMatrix<f64> {
        DMatrix::from_fn(r, c, |i, j| ((i * 7 + j * 3) as f64 * 0.37 + seed).sin())
    }

    fn close(a: &DMatrix<f64>, b: &DMatrix<f64>) {
        assert_eq!(a.shape(), b.shape());
        let scale = b.amax().max(1.0);
        assert!((a - b).amax() <= 1e-12 * scale, "{}", (a - b).amax());
    }

    /// Every path of the product rule against nalgebra's own arithmetic,
    /// on shapes that go to faer (all dimensions ≥ 8, one of them large
    /// enough to thread) and that stay with nalgebra.
    #[test]
    fn product_rule_matches_nalgebra_on_both_sides_of_the_threshold() {
        for (r, k, c) in [(8, 8, 8), (9, 10, 11), (64, 64, 32), (256, 200, 170), (7, 40, 40), (40, 40, 3)] {
            assert_eq!(super::faer_worth(r, k, c), r >= 8 && k >= 8 && c >= 8);
            let (a, b, zb) = (m(r, k, 0.1), m(k, c, 0.2), m(r, c, 0.3));
            let (da, db) = (m(r, k, 0.4), m(k, c, 0.5));
            close(&a.fwd(&b), &(&a * &b));
            // Adds into what is there.
            let (mut ab, mut bb) = (m(r, k, 0.6), m(k, c, 0.7));
            let (ab0, bb0) = (ab.clone(), bb.clone());
            a.rev(&b, &zb, Some(&mut ab), Some(&mut bb));
            close(&ab, &(&ab0 + &zb * b.transpose()));
            close(&bb, &(&bb0 + a.transpose() * &zb));
            close(&a.adj_a(&b, &zb), &(&zb * b.transpose()));
            close(&a.adj_b(&b, &zb), &(a.transpose() * &zb));
            close(&a.tan(&b, Some(&da), Some(&db)).unwrap(), &(&da * &b + &a * &db));
            close(&a.tan(&b, Some(&da), None).unwrap(), &(&da * &b));
            close(&a.tan(&b, None, Some(&db)).unwrap(), &(&a * &db));
            assert!(a.tan(&b, None, None).is_none());
        }
        // A static dimension stays with nalgebra, and still agrees.
        let a: OMatrix<f64, Dyn, U3> = OMatrix::from_fn_generic(Dyn(20), U3, |i, j| (i + j) as f64);
        let b: OMatrix<f64, U3, Dyn> = OMatrix::from_fn_generic(U3, Dyn(20), |i, j| (i * j) as f64);
        assert_eq!(a.fwd(&b), &a * &b);
    }

    #[test]
    #[should_panic(expected = "dimensions mismatch for multiplication")]
    fn a_shape_mismatch_panics_as_nalgebra_does() {
        let _ = m(16, 9, 0.0).fwd(&m(10, 16, 0.0));
    }

    /// f32 takes the same path.
    #[test]
    fn f32_products_agree() {
        let a = DMatrix::<f32>::from_fn(33, 17, |i, j| ((i + 2 * j) as f32 * 0.1).cos());
        let b = DMatrix::<f32>::from_fn(17, 12, |i, j| ((3 * i + j) as f32 * 0.1).sin());
        let d = a.fwd(&b) - &a * &b;
        assert!(d.amax() <= 1e-5, "{}", d.amax());
    }
}
