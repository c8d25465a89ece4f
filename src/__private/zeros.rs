//! The gradient vector `value_and_grad` returns, zeroed.
//!
//! `vec![0.0; n]` asks the allocator for zeroed memory (`calloc`), and
//! glibc's `calloc` (2.36, Debian 12) skips the per-thread cache that
//! `malloc` takes a small block from: at n = 10 it cost about 110
//! instructions and 6-10 ns more per call than `malloc` and a `memset`
//! (variance's `value_and_grad` 545 -> 436 instructions, 39 -> 30 ns), as
//! much as the gradient's own arithmetic (0.75 of the time with variance's
//! sweep, 0.90 at 64 elements); from 128 elements to 10⁶ the two timed the
//! same (within 1 %, min of batches): in a loop that allocates again and
//! again glibc's `calloc` clears reused memory with the same `memset`. Only
//! a first allocation of fresh pages, which the kernel zeroed, is cleared
//! once more here.

/// Floats, whose zero is all bits zero.
pub trait ZeroBits: Copy {}
impl ZeroBits for f32 {}
impl ZeroBits for f64 {}

/// `n` zeros (0.0), from `malloc` and a `memset` (see the module's
/// comment). The length is set to `n` in one step, as `vec!` does: with
/// `resize`'s loop the compiler no longer knew that the gradient is as
/// long as the parameter, and windows_tv's sweep, inlined into
/// `value_and_grad`, checked an index on every trip.
#[inline]
pub fn zeros<T: ZeroBits>(n: usize) -> Vec<T> {
    let mut v = Vec::with_capacity(n);
    // Hidden from the optimizer, which folds an allocation followed by a
    // `memset` of zeros into the zeroed allocation (`calloc`) this avoids.
    let p = std::hint::black_box(v.as_mut_ptr());
    // SAFETY: `p` is `v`'s buffer, whose capacity holds `n` elements, now
    // written with zero bits, the float 0.0 (`ZeroBits` is only floats).
    unsafe {
        std::ptr::write_bytes(p, 0, n);
        v.set_len(n);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` positive zeros, bit for bit (`-0.0` would change what
    /// `value_and_grad_into` adds into), for every size.
    #[test]
    fn zeros_are_positive_zeros() {
        for n in [0, 1, 10, 127, 128, 129, 1000, 100_000] {
            let v = zeros::<f64>(n);
            assert_eq!(v.len(), n);
            assert!(v.iter().all(|e| e.to_bits() == 0), "f64, n = {n}");
            let v = zeros::<f32>(n);
            assert_eq!(v.len(), n);
            assert!(v.iter().all(|e| e.to_bits() == 0), "f32, n = {n}");
        }
    }
}
