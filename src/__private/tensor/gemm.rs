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

/// Products of at least this many multiply-adds run on several threads: as
/// many as the thread budget allows (`gd_runtime::budget`: a `Trainer`'s or
/// sharded objective's `threads`, shared among its shards; outside one,
/// as many as rayon's pool has threads unless the caller is itself one of
/// them), each a serial faer product on its own block of the result
/// ([`split`]), the blocks after the first on gd's helper threads.
/// On 2 idle cores (`cargo bench --bench matmul`, `split2` against
/// `faer_seq`, f32) 256×128·128×128 (4.2·10⁶) took 0.70× of its serial
/// time and 128×784·784×256 0.56×; 64×64·64×32 stays far below.
const PARALLEL_MULADDS: usize = 1 << 22;

/// Each thread's block of the result is at least this many rows or columns
/// wide.
const MIN_BLOCK: usize = 16;

/// Whether an m×k by k×n product goes to faer.
#[inline]
pub(super) fn faer_worth(m: usize, k: usize, n: usize) -> bool {
    m >= MIN_DIM && k >= MIN_DIM && n >= MIN_DIM
}

/// How many threads an m×k by k×n product runs on (1: serial).
fn threads_for(m: usize, k: usize, n: usize) -> usize {
    // The size first: outside a budget, asking for the thread count starts
    // rayon's global pool, which a process multiplying only small matrices
    // never needs.
    if m.saturating_mul(k).saturating_mul(n) < PARALLEL_MULADDS {
        return 1;
    }
    gd_runtime::budget::threads().min(m.max(n) / MIN_BLOCK).max(1)
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
pub(super) fn product<F: faer::traits::ComplexField + Send + Sync>(dst: &mut [F], m: usize, n: usize, add: bool, a: Operand<'_, F>, b: Operand<'_, F>) {
    let (a, b) = (a.view(), b.view());
    let k = a.ncols();
    debug_assert!(a.nrows() == m && b.nrows() == k && b.ncols() == n);
    let dst = MatMut::from_column_major_slice_mut(dst, m, n);
    let accum = if add { Accum::Add } else { Accum::Replace };
    match threads_for(m, k, n) {
        1 => serial(dst, accum, a, b),
        parts => split(parts, dst, accum, a, b),
    }
}

/// One serial faer product, then `vzeroupper` on this thread (see
/// [`clear_upper_vector_state`]).
fn serial<F: faer::traits::ComplexField>(dst: MatMut<'_, F>, accum: Accum, a: MatRef<'_, F>, b: MatRef<'_, F>) {
    matmul(dst, accum, a, b, F::one_impl(), Par::Seq);
    clear_upper_vector_state();
}

/// `dst (+)= a·b` on `parts` threads, each a serial product on its own block
/// of `dst`'s rows or columns (split in halves, this thread taking the
/// first: `budget::both`). faer's own threading (`Par::rayon`) syncs its
/// threads at every block of the inner dimension; on 2 cores it took
/// 0.72–0.88× of the serial time on 128×784·784×256 in f32 and 1.46× on
/// 256×128·128×128, against 0.56× and 0.70× split (`cargo bench --bench
/// matmul`). The columns are split while each block keeps at least 32 of
/// them (or has no fewer columns than rows), else the rows: faer's kernels
/// tile 4 columns by up to 96 rows, and splitting the rows of a 256-row
/// result broke its row tiles (256×128·128×128 in f32: 63 µs split by rows,
/// 51 µs by columns). Each thread packs all of `a` when the columns are
/// split, all of `b` when the rows are. Every element of `dst` is one
/// thread's, summed over the whole inner dimension in faer's order for its
/// block's shape: the bits depend on the thread count, as faer's did, and
/// are the same from run to run.
fn split<F: faer::traits::ComplexField + Send + Sync>(parts: usize, dst: MatMut<'_, F>, accum: Accum, a: MatRef<'_, F>, b: MatRef<'_, F>) {
    if parts < 2 {
        return serial(dst, accum, a, b);
    }
    let left = parts / 2;
    let (m, n) = (dst.nrows(), dst.ncols());
    if n >= 2 * MIN_BLOCK || n >= m {
        let mid = (n * left / parts) & !3;
        let (d0, d1) = dst.split_at_col_mut(mid);
        let (b0, b1) = b.split_at_col(mid);
        gd_runtime::budget::both(|| split(left, d0, accum, a, b0), || split(parts - left, d1, accum, a, b1));
    } else {
        let mid = m * left / parts;
        let (d0, d1) = dst.split_at_row_mut(mid);
        let (a0, a1) = a.split_at_row(mid);
        gd_runtime::budget::both(|| split(left, d0, accum, a0, b), || split(parts - left, d1, accum, a1, b));
    }
}

/// faer's kernels (the gemm crate's AVX2/AVX-512 code, chosen at run time)
/// return with the upper halves of the vector registers still in use: no
/// `vzeroupper`. The rest of the program is baseline x86-64, legacy SSE code
/// (the generated rules, and glibc's `tanh`, `exp`, `log` for f64), and on
/// Intel cores SSE instructions run with a false dependency on those dirty
/// upper halves until a `vzeroupper`. On an Intel Xeon that made the f64 MLP
/// step 4-5x its f32 time (the elementwise rules between the products were
/// the slow part); AMD cores carry no such penalty. `vzeroupper` costs
/// about nothing, so it follows every serial product, on the thread that
/// ran it (a threaded product is serial products on several threads).
/// tests: `upper_vector_state_is_clean_after_a_product`.
fn clear_upper_vector_state() {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx") {
        // SAFETY: the CPU has AVX (checked just above).
        unsafe { vzeroupper() }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
unsafe fn vzeroupper() {
    std::arch::x86_64::_mm256_zeroupper();
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
    /// on shapes that go to faer (all dimensions ≥ 8; 256×200·200×170 large
    /// enough to thread with its columns split, 1000×200·200×24 with its
    /// rows split, each product in either orientation as the rule's three
    /// products take it) and that stay with nalgebra.
    #[test]
    fn product_rule_matches_nalgebra_on_both_sides_of_the_threshold() {
        for (r, k, c) in [(8, 8, 8), (9, 10, 11), (64, 64, 32), (256, 200, 170), (1000, 200, 24), (7, 40, 40), (40, 40, 3)] {
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

    /// After a product that went to faer, the upper halves of the vector
    /// registers are clean (see `clear_upper_vector_state`): XGETBV with
    /// ECX = 1 reports which register states are in use; bit 2 is the upper
    /// 128 bits of ymm0-15, bit 6 the upper 256 bits of zmm0-15. Skipped on
    /// a CPU without XGETBV 1.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn upper_vector_state_is_clean_after_a_product() {
        use std::arch::x86_64::{__cpuid, __cpuid_count};
        // XSAVE (CPUID.1:ECX bit 26), then XGETBV with ECX = 1 (CPUID.(0xD, 1):EAX bit 2).
        // (`unsafe` for the rust-version, 1.88; safe functions since.)
        #[allow(unused_unsafe)]
        let has_xgetbv1 = unsafe { __cpuid(1).ecx & (1 << 26) != 0 && __cpuid_count(0xD, 1).eax & (1 << 2) != 0 };
        if !has_xgetbv1 || !std::arch::is_x86_feature_detected!("avx") {
            eprintln!("SKIPPED: this CPU has no XGETBV 1 or no AVX");
            return;
        }
        fn in_use() -> u64 {
            let (lo, hi): (u32, u32);
            // SAFETY: XGETBV 1 is supported (checked by the caller).
            unsafe { std::arch::asm!("xgetbv", in("ecx") 1u32, out("eax") lo, out("edx") hi, options(nomem, nostack)) };
            (u64::from(hi) << 32) | u64::from(lo)
        }
        let (a, b) = (m(64, 64, 0.1), m(64, 32, 0.2));
        let c = a.fwd(&b);
        let state = in_use();
        assert_eq!(state & 0b100_0100, 0, "upper vector state in use after a product: XINUSE = {state:#x}");
        let (a, b) = (a.map(|v| v as f32), b.map(|v| v as f32));
        let c32 = a.fwd(&b);
        let state = in_use();
        assert_eq!(state & 0b100_0100, 0, "upper vector state in use after an f32 product: XINUSE = {state:#x}");
        assert!(c.amax() > 0.0 && c32.amax() > 0.0);
    }
}
