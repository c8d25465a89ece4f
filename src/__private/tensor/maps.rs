//! The loop of a matrix `.map(|v| ..)` in generated code: each element's
//! value and derivative through the differentiated closure, written into two
//! slices. Two things make it as fast as the machine allows, neither of
//! which changes a bit of the result (each element is computed alone, by the
//! same IEEE operations):
//!
//! - an AVX2 copy of the loop, chosen at run time (the closure inlined into
//!   it), as the optimizers' step has: x86-64's baseline is SSE2, so a
//!   closure that vectorises runs twice as wide;
//! - several threads (the thread budget's, `gd_runtime::budget`) when the
//!   map is long and its closure costly: a 256×128 `tanh` layer took 0.37 ms
//!   of an MNIST-sized step on the main thread while the products ran on two.
//!   The closure must then be `Sync`. Whether it is, is known only after
//!   the enclosing function's type check (closures' captures are inferred
//!   last), too late to choose a path by it; so the macro threads closures
//!   that capture nothing (`|v| v.tanh()`: `lower::tensor`), and any other
//!   runs on this thread, whatever it captured (`elementwise::map_jvp`).

use std::time::{Duration, Instant};

/// `z[k], d[k] = f(x[k])` on this thread, at the widest vectors the CPU runs
/// well.
#[inline]
pub(super) fn map_slices<F: Copy>(z: &mut [F], d: &mut [F], x: &[F], f: &impl Fn(F) -> (F, F)) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (checked just above).
        return unsafe { map_avx2(z, d, x, f) };
    }
    map_body(z, d, x, f)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn map_avx2<F: Copy>(z: &mut [F], d: &mut [F], x: &[F], f: &impl Fn(F) -> (F, F)) {
    map_body(z, d, x, f)
}

#[inline(always)]
fn map_body<F: Copy>(z: &mut [F], d: &mut [F], x: &[F], f: &impl Fn(F) -> (F, F)) {
    for ((z, d), x) in z.iter_mut().zip(d.iter_mut()).zip(x) {
        (*z, *d) = f(*x);
    }
}

/// Maps shorter than this run on this thread without looking further.
const THREADED_MIN: usize = 1 << 13;
/// The elements timed first, on this thread, to decide the rest.
const PROBE: usize = 1 << 10;
/// The rest goes to several threads when it would take this long on one:
/// several times what handing work to a helper thread and waiting for it
/// costs (about 5–10 µs on an idle machine).
const THREADED_WORK: Duration = Duration::from_micros(40);

/// [`map_slices`], on several threads when the map is long and its first
/// [`PROBE`] elements say the rest would take more than [`THREADED_WORK`].
/// Cheap closures (a scaling, a square) stay on this thread, whose cache
/// holds the input and will read the output.
pub(super) fn map_slices_threaded<F: Copy + Send + Sync>(z: &mut [F], d: &mut [F], x: &[F], f: &(impl Fn(F) -> (F, F) + Sync)) {
    let n = x.len();
    if n < THREADED_MIN {
        return map_slices(z, d, x, f);
    }
    let start = Instant::now();
    map_slices(&mut z[..PROBE], &mut d[..PROBE], &x[..PROBE], f);
    let rest = start.elapsed().saturating_mul(((n - PROBE) / PROBE) as u32);
    let (z, d, x) = (&mut z[PROBE..], &mut d[PROBE..], &x[PROBE..]);
    // The time first: outside a budget, asking for the thread count starts
    // rayon's global pool.
    let threads = if rest >= THREADED_WORK { gd_runtime::budget::threads() } else { 1 };
    if threads < 2 {
        return map_slices(z, d, x, f);
    }
    in_parts(threads, z, d, x, f);
}

/// [`map_slices`] over `parts` ranges of about equal length, split in
/// halves at multiples of 64 elements.
fn in_parts<F: Copy + Send + Sync>(parts: usize, z: &mut [F], d: &mut [F], x: &[F], f: &(impl Fn(F) -> (F, F) + Sync)) {
    if parts < 2 {
        return map_slices(z, d, x, f);
    }
    let left = parts / 2;
    let mid = (x.len() * left / parts) & !63;
    let ((z0, z1), (d0, d1), (x0, x1)) = (z.split_at_mut(mid), d.split_at_mut(mid), x.split_at(mid));
    gd_runtime::budget::both(|| in_parts(left, z0, d0, x0, f), || in_parts(parts - left, z1, d1, x1, f));
}
