//! The reverse sweep's value stacks.
//!
//! A stack keeps its first `INLINE` values in room the sweep declares in its
//! own frame (`Inline`, left uninitialised, so it costs nothing), and moves
//! to a heap vector from a per-thread pool only when that room fills. A call
//! on a small input (a dozen trips) then saves and restores its values
//! without touching a thread-local or the allocator, which cost a gradient
//! of ten elements a fifth of its instructions; a large one pays one pool
//! take and give per call, as before, and reuses the memory of the last call
//! on its thread.

use std::cell::Cell;
use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::thread::LocalKey;

/// Element types of the value stacks, each with a per-thread pool so that a
/// gradient called in a loop reuses its stack's memory.
pub trait Pooled: Sized + 'static {
    fn pool() -> &'static LocalKey<Cell<Vec<Self>>>;
}

macro_rules! pooled {
    ($($t:ty => $name:ident),*) => {$(
        thread_local! {
            static $name: Cell<Vec<$t>> = const { Cell::new(Vec::new()) };
        }
        impl Pooled for $t {
            fn pool() -> &'static LocalKey<Cell<Vec<Self>>> {
                &$name
            }
        }
    )*};
}
pooled!(f64 => POOL_F64, f32 => POOL_F32, usize => POOL_USIZE, i32 => POOL_I32, bool => POOL_BOOL);

/// An empty stack, with the capacity left by the last call on this thread.
/// A nested call (a differentiable function calling another) finds the pool
/// empty and starts a fresh stack.
#[inline]
pub fn take_stack<T: Pooled>() -> Vec<T> {
    T::pool().with(|c| c.take())
}

/// Returns a stack to the pool, keeping the larger allocation.
#[inline]
pub fn give_stack<T: Pooled>(mut v: Vec<T>) {
    v.clear();
    T::pool().with(|c| {
        let old = c.take();
        c.set(if old.capacity() > v.capacity() { old } else { v });
    });
}

/// How many values a stack holds before it moves to the heap: 64 trips'
/// worth of one saved value (512 bytes of `f64`).
pub const INLINE: usize = 64;

/// A stack's room in the sweep's frame.
pub struct Inline<T>(pub(super) [MaybeUninit<T>; INLINE]);

impl<T> Inline<T> {
    #[inline(always)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Inline([const { MaybeUninit::uninit() }; INLINE])
    }
}

/// A value stack over `Inline` room, then a pooled vector. `push` and `pop`
/// cost what `Vec`'s do (a length against a capacity); only the move to the
/// heap is out of line.
pub struct Stack<'a, T: Pooled + Copy> {
    ptr: *mut T,
    len: usize,
    cap: usize,
    /// Empty (no capacity) until the room fills; then it holds the values
    /// (its own length stays 0: `len` counts them).
    heap: Vec<T>,
    room: PhantomData<&'a mut Inline<T>>,
}

impl<'a, T: Pooled + Copy> Stack<'a, T> {
    #[inline(always)]
    pub fn new(room: &'a mut Inline<T>) -> Self {
        Stack { ptr: room.0.as_mut_ptr().cast(), len: 0, cap: INLINE, heap: Vec::new(), room: PhantomData }
    }

    #[inline(always)]
    pub fn push(&mut self, v: T) {
        if self.len == self.cap {
            self.grow();
        }
        // SAFETY: `len < cap`, and `ptr` points at `cap` slots (the room or
        // the heap vector's buffer), of which the first `len` are written.
        unsafe { self.ptr.add(self.len).write(v) };
        self.len += 1;
    }

    #[inline(always)]
    pub fn pop(&mut self) -> Option<T> {
        if self.len == 0 {
            return None;
        }
        self.len -= 1;
        // SAFETY: slot `len` was written by a push and not popped since.
        Some(unsafe { self.ptr.add(self.len).read() })
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The room is full (first time: into a pooled vector) or the heap
    /// vector is: at least doubles the capacity, keeping the values.
    #[cold]
    #[inline(never)]
    fn grow(&mut self) {
        if self.heap.capacity() == 0 {
            let mut heap = take_stack::<T>();
            heap.reserve(2 * self.len.max(INLINE));
            // SAFETY: the first `len` slots of the room are written; the
            // vector's buffer has room for them and does not overlap it.
            unsafe { std::ptr::copy_nonoverlapping(self.ptr, heap.as_mut_ptr(), self.len) };
            self.heap = heap;
        } else {
            // SAFETY: the vector's first `len` slots are written (`T: Copy`).
            unsafe { self.heap.set_len(self.len) };
            self.heap.reserve(self.len);
            unsafe { self.heap.set_len(0) };
        }
        self.ptr = self.heap.as_mut_ptr();
        self.cap = self.heap.capacity();
    }
}

impl<T: Pooled + Copy> Drop for Stack<'_, T> {
    fn drop(&mut self) {
        if self.heap.capacity() != 0 {
            give_stack(std::mem::take(&mut self.heap));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values come back in reverse across the move to the heap, and the
    /// heap vector goes back to the pool.
    #[test]
    fn pops_what_it_pushed_across_the_room() {
        for n in [0, 1, INLINE - 1, INLINE, INLINE + 1, 5 * INLINE + 3] {
            let mut room = Inline::new();
            let mut s = Stack::new(&mut room);
            for i in 0..n {
                s.push(i);
            }
            assert_eq!(s.len(), n);
            for i in (0..n).rev() {
                assert_eq!(s.pop(), Some(i));
            }
            assert_eq!(s.pop(), None);
            drop(s);
            let pooled = take_stack::<usize>().capacity();
            assert_eq!(pooled > 0, n > INLINE, "n = {n}: pool capacity {pooled}");
            assert!(n <= INLINE || pooled >= n, "n = {n}: pool capacity {pooled}");
        }
    }
}
