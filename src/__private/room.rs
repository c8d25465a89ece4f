//! A local array's storage in the reverse sweep (`plan::room` says which):
//! up to `INLINE` elements in the sweep's own frame, more in a vector. A
//! gradient over ten elements then makes its local array and the array's
//! adjoint without the allocator, whose calls and frees cost more than the
//! gradient's arithmetic.

use super::stack::{Inline, INLINE};

pub struct Room<T> {
    inline: Inline<T>,
    heap: Vec<T>,
}

impl<T: Copy> Room<T> {
    #[inline(always)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Room { inline: Inline::new(), heap: Vec::new() }
    }

    /// `n` copies of `v` (`vec![v; n]`), in the frame when they fit.
    #[inline(always)]
    pub fn filled(&mut self, v: T, n: usize) -> &mut [T] {
        if n <= INLINE {
            let p = self.inline.0.as_mut_ptr().cast::<T>();
            for i in 0..n {
                // SAFETY: `i < n <= INLINE` slots of the room.
                unsafe { p.add(i).write(v) };
            }
            // SAFETY: the first `n` slots were just written; the slice
            // borrows the room mutably, as long as it lives.
            unsafe { std::slice::from_raw_parts_mut(p, n) }
        } else {
            // Cold by size: `vec!` keeps its zeroed allocation for `0.0`.
            self.heap = vec![v; n];
            &mut self.heap[..]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filled_in_the_frame_or_on_the_heap() {
        for n in [0, 1, INLINE, INLINE + 1, 1000] {
            let mut r = Room::new();
            let s = r.filled(-0.0f64, n);
            assert_eq!(s.len(), n);
            assert!(s.iter().all(|v| v.to_bits() == (-0.0f64).to_bits()));
            s.iter_mut().enumerate().for_each(|(i, v)| *v = i as f64);
            assert_eq!(s.iter().sum::<f64>(), (n * n.saturating_sub(1) / 2) as f64);
            assert_eq!(r.heap.len(), if n > INLINE { n } else { 0 });
        }
    }
}
