//! The training loop's passes over gradient-sized buffers, fused and at the
//! CPU's widest vectors: what used to be separate passes (`zero`, then
//! `add_scaled` per shard, then `div`; `norm`, then `add_scaled` into the
//! epoch's gradient) each read and wrote the whole buffer, on the calling
//! thread, while the pool's threads waited. On a 784-256-10 MLP in `f32`
//! (203 530 values, 814 kB a buffer) the batch gradient's norm and the
//! epoch gradient's update took 73 and 60 µs of a 1.3 ms two-thread step.
//!
//! Every fused pass keeps the rounding of the passes it replaces, element
//! by element (each intermediate is rounded to the buffer's precision as
//! before; Rust never contracts `a * b + c` into a fused multiply-add), so
//! a run's numbers do not change: only the norm of a struct of several
//! leaves is summed leaf after leaf instead of in the struct's own grouping
//! (the same sums, added in another order: last bits of the reported
//! `grad_norm`).

use crate::Float;

/// `s ← 0 + a·x` (the zeroing and the first shard's `add_scaled` of one
/// pass: `0 + v` is `v` but for `-0`, which becomes `+0` as it did).
pub(crate) fn set_scaled<T: Float>(s: &mut [T], a: f64, x: &[T]) {
    #[cfg(target_arch = "x86_64")]
    if avx2() {
        // SAFETY: the CPU has AVX2 (checked just above).
        return unsafe { set_scaled_avx2(s, a, x) };
    }
    set_scaled_body(s, a, x)
}

/// `s ← (s + a·x)·m`, each step rounded to `T` (the last shard's
/// `add_scaled`, then the mean's `scale(1 / n)`).
pub(crate) fn add_scaled_times<T: Float>(s: &mut [T], a: f64, x: &[T], m: f64) {
    #[cfg(target_arch = "x86_64")]
    if avx2() {
        // SAFETY: the CPU has AVX2 (checked just above).
        return unsafe { add_scaled_times_avx2(s, a, x, m) };
    }
    add_scaled_times_body(s, a, x, m)
}

/// `s ← s + a·x` (rounded to `T`), returning `Σ xᵢ²` in `f64`, summed as
/// [`crate::params`]' `dot` sums a leaf (eight running sums, then the tail):
/// the epoch gradient's update and the batch gradient's norm in one pass.
pub(crate) fn add_scaled_sq<T: Float>(s: &mut [T], a: f64, x: &[T]) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if avx2() {
        // SAFETY: the CPU has AVX2 (checked just above).
        return unsafe { add_scaled_sq_avx2(s, a, x) };
    }
    add_scaled_sq_body(s, a, x)
}

/// Whether the CPU runs AVX2: each pass's body is `#[inline(always)]` into
/// a copy compiled for it (x86-64's baseline, SSE2, is half as wide).
#[cfg(target_arch = "x86_64")]
fn avx2() -> bool {
    std::arch::is_x86_feature_detected!("avx2")
}

#[inline(always)]
fn set_scaled_body<T: Float>(s: &mut [T], a: f64, x: &[T]) {
    assert_eq!(s.len(), x.len(), "set_scaled: buffer lengths differ");
    for (s, x) in s.iter_mut().zip(x) {
        *s = T::from_f64(0.0 + a * x.to_f64());
    }
}

#[inline(always)]
fn add_scaled_times_body<T: Float>(s: &mut [T], a: f64, x: &[T], m: f64) {
    assert_eq!(s.len(), x.len(), "add_scaled_times: buffer lengths differ");
    for (s, x) in s.iter_mut().zip(x) {
        let t = T::from_f64(s.to_f64() + a * x.to_f64());
        *s = T::from_f64(t.to_f64() * m);
    }
}

#[inline(always)]
fn add_scaled_sq_body<T: Float>(s: &mut [T], a: f64, x: &[T]) -> f64 {
    assert_eq!(s.len(), x.len(), "add_scaled_sq: buffer lengths differ");
    const K: usize = 8;
    let mut acc = [0.0f64; K];
    let (sc, xc) = (s.chunks_exact_mut(K), x.chunks_exact(K));
    let mut tail = 0.0;
    let (st, xt) = (sc.into_remainder(), xc.remainder());
    for (s, &x) in st.iter_mut().zip(xt) {
        let v = x.to_f64();
        tail += v * v;
        *s = T::from_f64(s.to_f64() + a * v);
    }
    let n = x.len() - xt.len();
    for (s, x) in s[..n].chunks_exact_mut(K).zip(x[..n].chunks_exact(K)) {
        for k in 0..K {
            let v = x[k].to_f64();
            acc[k] += v * v;
            s[k] = T::from_f64(s[k].to_f64() + a * v);
        }
    }
    let half = |a: &[f64]| (a[0] + a[1]) + (a[2] + a[3]);
    (half(&acc[..4]) + half(&acc[4..])) + tail
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn set_scaled_avx2<T: Float>(s: &mut [T], a: f64, x: &[T]) {
    set_scaled_body(s, a, x)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn add_scaled_times_avx2<T: Float>(s: &mut [T], a: f64, x: &[T], m: f64) {
    add_scaled_times_body(s, a, x, m)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn add_scaled_sq_avx2<T: Float>(s: &mut [T], a: f64, x: &[T]) -> f64 {
    add_scaled_sq_body(s, a, x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Params;

    /// Values with every kind of rounding case: halfway-ish fractions,
    /// signed zeros, huge and tiny magnitudes.
    fn values<T: Float>(n: usize, seed: u64) -> Vec<T> {
        let mut z = seed;
        (0..n)
            .map(|i| {
                z = z.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let u = (z >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
                let v = match i % 7 {
                    0 => -0.0,
                    1 => u * 1e30,
                    2 => u * 1e-30,
                    _ => u * 3.7,
                };
                T::from_f64(v)
            })
            .collect()
    }

    /// Each fused pass against the passes it replaces (the `Params` ones on
    /// a matrix leaf), bit for bit, at lengths around the 8-wide chunks.
    fn fused_as_separate<T: crate::ParamScalar>() {
        use nalgebra::DVector;
        for n in [0usize, 1, 7, 8, 9, 63, 64, 65, 1000] {
            let (x, y, s0) = (values::<T>(n, 1), values::<T>(n, 2), values::<T>(n, 3));
            let bits = |v: &[T]| v.iter().map(|v| v.to_f64().to_bits()).collect::<Vec<_>>();
            // The shard reduction: zero, add_scaled, add_scaled, scale(1/n).
            let (w0, w1, d) = (3.0, 5.0, 8.0);
            let mut want = DVector::from_vec(s0.clone());
            want.set_zero();
            Params::axpy(&mut want, w0, &DVector::from_vec(x.clone()));
            Params::axpy(&mut want, w1, &DVector::from_vec(y.clone()));
            Params::scale(&mut want, 1.0 / d);
            let mut got = s0.clone();
            set_scaled(&mut got, w0, &x);
            add_scaled_times(&mut got, w1, &y, 1.0 / d);
            assert_eq!(bits(&got), bits(want.as_slice()), "reduction, n = {n}");
            // The epoch gradient and the norm.
            let mut want = DVector::from_vec(s0.clone());
            let xv = DVector::from_vec(x.clone());
            let want_sq = Params::dot(&xv, &xv);
            Params::axpy(&mut want, 7.0, &xv);
            let mut got = s0.clone();
            let sq = add_scaled_sq(&mut got, 7.0, &x);
            assert_eq!(bits(&got), bits(want.as_slice()), "epoch gradient, n = {n}");
            assert_eq!(sq.to_bits(), want_sq.to_bits(), "norm², n = {n}");
        }
    }

    #[test]
    fn fused_passes_round_as_the_separate_ones_f64() {
        fused_as_separate::<f64>();
    }

    #[test]
    fn fused_passes_round_as_the_separate_ones_f32() {
        fused_as_separate::<f32>();
    }
}
