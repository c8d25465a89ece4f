//! Seeded loops run in chunks of trips (gd-macros/src/plan/chunk.rs): each
//! chunk's terms go to a local array and are added to the sum in order
//! after it, its reads and gradient writes go through fixed-size views. The
//! pass must change no bit: every function here has a twin that differs
//! only by an `as usize` on its indices (a no-op on a `usize`), which
//! keeps the pass off (`plan::chunk` does not chunk loops with integer
//! casts) and nothing else; value and gradient, of `value_and_grad_set`
//! (assigning windows) and `value_and_grad_into` (adding ones), must
//! match the twin's bit for bit, and the value the primal's, at lengths
//! that give no chunk, one, one and a remainder, and many; and at f64 the
//! gradient must match central differences. Loops: the Rosenbrock chain
//! in f32 and f64 and spelled another way; a three-point stencil (reads at
//! `i - 1`); a range from 3 with the term on the left of the sum; `a..=b`
//! and `a..b` ending mid-array; `s -=` with a data array; a read at a
//! non-affine index (kept checked); reads at `2i` and `2i + 1`;
//! branch-free `if`s in the term, in f32 and f64 (Huber, an `else if`
//! chain, `sqrt` of a negative in the arm not taken; their masks are
//! `__private::lanes`' integer bits in a chunk, the SSE ones in the twin),
//! checked also at NaN, infinities and the boundaries against the hand
//! gradient and forward mode; a condition reading below the loads (a
//! branch: not chunked); `zip` (its item read in a `let`); and a read out
//! of bounds in the second chunk panics as the loop as written does.

use gd::differentiable;

mod common;

macro_rules! rosen {
    ($name:ident, $f:ident, $($cast:tt)*) => {
        #[differentiable]
        pub fn $name(x: &[$f]) -> $f {
            let mut s = 0.0;
            for i in 0..x.len() - 1 {
                let a = x[(i + 1) $($cast)*] - x[(i) $($cast)*] * x[(i) $($cast)*];
                s += 100.0 * a * a + (1.0 - x[(i) $($cast)*]).powi(2);
            }
            s
        }
    };
}
rosen!(rosen64, f64,);
rosen!(rosen64_twin, f64, as usize);
rosen!(rosen32, f32,);
rosen!(rosen32_twin, f32, as usize);

/// The same chain with the square written out and named.
macro_rules! rosen_sq {
    ($name:ident, $f:ident, $($cast:tt)*) => {
        #[differentiable]
        pub fn $name(x: &[$f]) -> $f {
            let mut s = 0.0;
            for i in 0..x.len() - 1 {
                let d = x[(i + 1) $($cast)*] - x[(i) $($cast)*] * x[(i) $($cast)*];
                let e = 1.0 - x[(i) $($cast)*];
                s += 100.0 * d * d + e * e;
            }
            s
        }
    };
}
rosen_sq!(rosen_sq64, f64,);
rosen_sq!(rosen_sq64_twin, f64, as usize);

/// Reads at `i - 1`, `i`, `i + 1`, from 1.
macro_rules! lap3 {
    ($name:ident, $f:ident, $($cast:tt)*) => {
        #[differentiable]
        pub fn $name(x: &[$f]) -> $f {
            let mut s = 0.0;
            for i in 1..x.len() - 1 {
                let d = x[(i - 1) $($cast)*] - 2.0 * x[(i) $($cast)*] + x[(i + 1) $($cast)*];
                s += d * d + 0.1 * x[(i) $($cast)*].powi(4);
            }
            s
        }
    };
}
lap3!(lap3_64, f64,);
lap3!(lap3_64_twin, f64, as usize);
lap3!(lap3_32, f32,);
lap3!(lap3_32_twin, f32, as usize);

/// A range from 3, the term on the left of the sum (`s = term + s`).
macro_rules! lag3 {
    ($name:ident, $f:ident, $($cast:tt)*) => {
        #[differentiable]
        pub fn $name(x: &[$f]) -> $f {
            let mut s = 0.5;
            for i in 3..x.len() {
                s = x[(i) $($cast)*] * x[(i - 3) $($cast)*].sin() + s;
            }
            s
        }
    };
}
lag3!(lag3_64, f64,);
lag3!(lag3_64_twin, f64, as usize);

/// Ranges ending mid-array (a trip past the end would read in bounds):
/// `a..=b` and `a..b`.
macro_rules! mid {
    ($name:ident, $f:ident, $x:ident, $($range:tt)*) => {
        mid!(@ $name, $f, $x, [$($range)*],);
    };
    (twin $name:ident, $f:ident, $x:ident, $($range:tt)*) => {
        mid!(@ $name, $f, $x, [$($range)*], as usize);
    };
    (@ $name:ident, $f:ident, $x:ident, [$($range:tt)*], $($cast:tt)*) => {
        #[differentiable]
        pub fn $name($x: &[$f]) -> $f {
            let mut s = 0.0;
            for i in $($range)* {
                s += ($x[(i + 1) $($cast)*] - $x[(i) $($cast)*]).powi(2) * $x[(i - 1) $($cast)*];
            }
            s
        }
    };
}
// (`x` named at the call: the range reads it.)
mid!(closed64, f64, x, 1..=x.len() / 2);
mid!(twin closed64_twin, f64, x, 1..=x.len() / 2);
mid!(closed32, f32, x, 1..=x.len() / 2);
mid!(twin closed32_twin, f32, x, 1..=x.len() / 2);
mid!(half64, f64, x, 1..x.len() / 2 + 1);
mid!(twin half64_twin, f64, x, 1..x.len() / 2 + 1);

/// `s -=`, with a data array read through its own view.
macro_rules! resid {
    ($name:ident, $f:ident, $($cast:tt)*) => {
        #[differentiable(wrt(x))]
        pub fn $name(x: &[$f], y: &[$f]) -> $f {
            let mut s = 0.0;
            for i in 0..x.len() {
                s -= (x[(i) $($cast)*] - y[(i) $($cast)*]).powi(2) * 0.5;
            }
            s
        }
    };
}
resid!(resid64, f64,);
resid!(resid64_twin, f64, as usize);
resid!(resid32, f32,);
resid!(resid32_twin, f32, as usize);

/// `y` read at a non-affine index (checked, as written); `x` through a view.
macro_rules! scattered {
    ($name:ident, $f:ident, $($cast:tt)*) => {
        #[differentiable(wrt(x))]
        pub fn $name(x: &[$f], y: &[$f]) -> $f {
            let mut s = 0.0;
            for i in 0..x.len() - 1 {
                s += x[(i) $($cast)*] * y[(i * 7) % y.len()] + x[(i + 1) $($cast)*].powi(2);
            }
            s
        }
    };
}
scattered!(scattered64, f64,);
scattered!(scattered64_twin, f64, as usize);

/// Reads at `2i` and `2i + 1`: a window of stride 2.
macro_rules! pairs {
    ($name:ident, $f:ident, $($cast:tt)*) => {
        #[differentiable]
        pub fn $name(x: &[$f]) -> $f {
            let mut s = 0.0;
            for i in 0..x.len() / 2 {
                let a = x[(2 * i) $($cast)*];
                let b = x[(2 * i + 1) $($cast)*];
                s += (a - b).powi(2) + a * b;
            }
            s
        }
    };
}
pairs!(pairs64, f64,);
pairs!(pairs64_twin, f64, as usize);

/// Iterator loops: `windows` and `chunks_exact`, whose items the lowering
/// binds to a slice (`__private::slice_view`, read by `w.len()` here) and
/// reads through views; chunked like index loops. The twins are the index
/// loops, with casts.
#[differentiable]
pub fn tv_windows(x: &[f64]) -> f64 {
    x.windows(3).map(|w| (w[2] - 2.0 * w[1] + w[0]).powi(2) * w.len() as f64).sum::<f64>()
}

#[differentiable]
pub fn tv_windows_twin(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 2 {
        s += (x[(i + 2) as usize] - 2.0 * x[(i + 1) as usize] + x[(i) as usize]).powi(2) * 3.0;
    }
    s
}

#[differentiable]
pub fn pairs_chunked(x: &[f32]) -> f32 {
    x.chunks_exact(2).map(|c| (c[0] - 1.0).powi(2) + 10.0 * (c[1] - c[0] * c[0]).powi(2)).sum::<f32>()
}

#[differentiable]
pub fn pairs_chunked_twin(x: &[f32]) -> f32 {
    let mut s = 0.0;
    for k in 0..x.len() / 2 {
        let (a, b) = (x[(2 * k) as usize], x[(2 * k + 1) as usize]);
        s += (a - 1.0).powi(2) + 10.0 * (b - a * a).powi(2);
    }
    s
}

/// A branch-free `if` in the term: chunked on integer masks
/// (`__private::lanes`), in `f32` and `f64`.
macro_rules! huber {
    ($name:ident, $f:ident, $($cast:tt)*) => {
        #[differentiable(wrt(x))]
        pub fn $name(x: &[$f], y: &[$f]) -> $f {
            let mut s = 0.0;
            for i in 0..x.len() {
                let r = x[(i) $($cast)*] - y[(i) $($cast)*];
                s += if r.abs() <= 1.0 { 0.5 * r * r } else { r.abs() - 0.5 };
            }
            s
        }
    };
}
huber!(huber64, f64,);
huber!(huber64_twin, f64, as usize);
huber!(huber32, f32,);
huber!(huber32_twin, f32, as usize);

/// `max`, `min` and `abs` without an `if`: their reverses are masked rules
/// (`__private::abs_adj`, `max_adj0`, ..), in a chunk the `lanes` ones.
macro_rules! clipped {
    ($name:ident, $f:ident, $($cast:tt)*) => {
        #[differentiable(wrt(x))]
        pub fn $name(x: &[$f], y: &[$f]) -> $f {
            let mut s = 0.0;
            for i in 0..x.len() {
                let r = x[(i) $($cast)*] - y[(i) $($cast)*];
                s += r.max(0.0) * r.abs().min(0.5) + (-r).max(r * r);
            }
            s
        }
    };
}
clipped!(clipped64, f64,);
clipped!(clipped64_twin, f64, as usize);
clipped!(clipped32, f32,);
clipped!(clipped32_twin, f32, as usize);

/// A branch-free `if` on a `bool` that is no float comparison (the trip
/// index's), `select` on the `bool`, then an `else if` on a comparison's
/// mask; not chunked (`plan::chunk::trips`: in a chunk it branched).
macro_rules! banded {
    ($name:ident, $f:ident, $($cast:tt)*) => {
        #[differentiable]
        pub fn $name(x: &[$f]) -> $f {
            let mut s = 0.0;
            for i in 0..x.len() - 1 {
                let (v, w) = (x[(i) $($cast)*], x[(i + 1) $($cast)*]);
                s += w * if i % 3 == 0 { v * v } else if v > 0.0 { v - 0.25 } else { -v };
            }
            s
        }
    };
}
banded!(banded64, f64,);
banded!(banded64_twin, f64, as usize);
banded!(banded32, f32,);
banded!(banded32_twin, f32, as usize);

/// An `else if` chain of three pieces (the zoo's `piecewise` with `sqrt`
/// for `ln`, which keeps its branches): below 0 the last piece, not taken,
/// takes `sqrt` of a negative (NaN), and at 0 its partial is infinite.
macro_rules! pieces {
    ($name:ident, $f:ident, $($cast:tt)*) => {
        #[differentiable]
        pub fn $name(x: &[$f]) -> $f {
            let mut s = 0.0;
            for i in 0..x.len() {
                let v = x[(i) $($cast)*];
                s += if v < -1.0 {
                    -2.0 * v - 1.0
                } else if v < 1.0 {
                    v * v
                } else {
                    4.0 * v.sqrt() - 3.0
                };
            }
            s
        }
    };
}
pieces!(pieces64, f64,);
pieces!(pieces64_twin, f64, as usize);

/// The then arm not taken is NaN (`sqrt` of a negative) or has an infinite
/// partial (at 0); masks of `>` and `>=`, the derivative different on
/// either side of `v = -0.5` (so that the boundary tells which arm ran);
/// the data read twice.
macro_rules! root_or_neg {
    ($name:ident, $f:ident, $($cast:tt)*) => {
        #[differentiable(wrt(x))]
        pub fn $name(x: &[$f], y: &[$f]) -> $f {
            let mut s = 0.0;
            for i in 0..x.len() {
                let v = x[(i) $($cast)*] - 0.5 * y[(i) $($cast)*];
                s += if v > 0.0 { v.sqrt() } else if v >= -0.5 { -v } else { 2.0 * v * v } * y[(i) $($cast)*];
            }
            s
        }
    };
}
root_or_neg!(root_or_neg64, f64,);
root_or_neg!(root_or_neg64_twin, f64, as usize);

/// A scalar parameter beside the array: its adjoint is summed over the
/// trips in order inside the chunk's trip loop, a scalar chain that takes
/// the masks' selects too.
macro_rules! scaled {
    ($name:ident, $f:ident, $($cast:tt)*) => {
        #[differentiable]
        pub fn $name(x: &[$f], a: $f) -> $f {
            let mut s = 0.0;
            for i in 0..x.len() {
                let r = a * x[(i) $($cast)*] - 0.25;
                s += if r.abs() <= 1.0 { 0.5 * r * r } else { r.abs() - 0.5 };
            }
            s
        }
    };
}
scaled!(scaled64, f64,);
scaled!(scaled64_twin, f64, as usize);

/// An iterator's item read in a `let` (`let b = &y[i];` in the lowering
/// of `zip`): data code the chunk reads through a view too. The twin is
/// the loop the lowering writes, with the casts.
#[differentiable(wrt(x))]
pub fn zip_sq(x: &[f64], y: &[f64]) -> f64 {
    x.iter().zip(y).map(|(a, b)| (a - b).powi(2)).sum::<f64>()
}

#[differentiable(wrt(x))]
pub fn zip_sq_twin(x: &[f64], y: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len().min(y.len()) {
        let b = &y[(i) as usize];
        s += (x[(i) as usize] - *b).powi(2);
    }
    s
}

/// `x` read below its loads in a condition. Chunked, the gradient's view
/// must start at the loads' lowest offset, the reads' view below it (a bug
/// this case found). Its `if` assigns passive constants, so it stays a
/// branch and the loop runs as written (`plan::chunk::trips`): a twin
/// check for when such loops chunk.
macro_rules! weighted {
    ($name:ident, $f:ident, $($cast:tt)*) => {
        #[differentiable]
        pub fn $name(x: &[$f]) -> $f {
            let mut s = 0.0;
            for i in 1..x.len() - 1 {
                let w = if x[(i - 1) $($cast)*] > 0.5 { 2.0 } else { 1.0 };
                s += w * (x[(i + 1) $($cast)*] - x[(i) $($cast)*]).powi(2);
            }
            s
        }
    };
}
weighted!(weighted64, f64,);
weighted!(weighted64_twin, f64, as usize);

trait Real: Copy + std::fmt::Debug {
    fn bits(self) -> u64;
    fn of(v: f64) -> Self;
    fn f64(self) -> f64;
}
impl Real for f32 {
    fn bits(self) -> u64 {
        self.to_bits() as u64
    }
    fn of(v: f64) -> Self {
        v as f32
    }
    fn f64(self) -> f64 {
        self as f64
    }
}
impl Real for f64 {
    fn bits(self) -> u64 {
        self.to_bits()
    }
    fn of(v: f64) -> Self {
        v
    }
    fn f64(self) -> f64 {
        self
    }
}

fn point<F: Real>(n: usize, phase: f64) -> Vec<F> {
    (0..n).map(|i| F::of(0.3 + 1.4 * (i as f64 * 1.7 + phase).sin())).collect()
}

/// Lengths: every one up to 40 (no trip, a few, a chunk less one,
/// exactly one, one and a remainder, two and a remainder: chunks are 16
/// trips in f32, 8 in f64; each loop starts up to 3 in), and many.
fn lens() -> impl Iterator<Item = usize> {
    (0..=40).chain([1000])
}

/// A sweep: value and gradient into the buffer (`true`: `_set`, `false`: `_into`).
type Sweep<'a, F> = &'a dyn Fn(&[F], &mut [F], bool) -> F;

/// The chunked sweep against its twin, bit for bit, and its value against
/// the primal's; at f64 its gradient against central differences.
fn check<F: Real>(name: &str, min_len: usize, primal: &dyn Fn(&[F]) -> F, chunked: Sweep<F>, twin: Sweep<F>) {
    for n in lens().filter(|&n| n >= min_len) {
        let x: Vec<F> = point(n, 0.0);
        for set in [true, false] {
            let fill = |k: usize| F::of(if set { [f64::NAN, 1e30][k % 2] } else { 1.0 });
            let (mut gc, mut gt): (Vec<F>, Vec<F>) = ((0..n).map(fill).collect(), (0..n).map(fill).collect());
            let (vc, vt) = (chunked(&x, &mut gc, set), twin(&x, &mut gt, set));
            let p = primal(&x);
            assert_eq!(vc.bits(), vt.bits(), "{name} (n = {n}, set {set}): value {vc:?} against the twin's {vt:?}");
            // (`==`: std's `sum` starts from -0.0, the lowering's from 0.0.)
            assert!(vc.f64() == p.f64(), "{name} (n = {n}, set {set}): value {vc:?} against the primal's {p:?}");
            for k in 0..n {
                assert_eq!(gc[k].bits(), gt[k].bits(), "{name} (n = {n}, set {set}) entry {k}: {:?} against the twin's {:?}", gc[k], gt[k]);
            }
            if std::mem::size_of::<F>() == 8 && set && n <= 30 {
                let xf: Vec<f64> = x.iter().map(|v| v.f64()).collect();
                let fd = common::fd_grad(&|v: &[f64]| primal(&v.iter().map(|&a| F::of(a)).collect::<Vec<F>>()).f64(), &xf);
                for k in 0..n {
                    let (a, b) = (gc[k].f64(), fd[k]);
                    assert!((a - b).abs() <= 1e-6 * (1.0 + a.abs().max(b.abs())), "{name} (n = {n}) entry {k}: {a} against differences {b}");
                }
            }
        }
    }
}

/// `check` for a function of `x` alone.
macro_rules! check1 {
    ($f:ident, $twin:ident, $min:expr) => {
        check(
            stringify!($f),
            $min,
            &|x| $f(x),
            &|x, g, set| if set { $f::value_and_grad_set(x, g) } else { $f::value_and_grad_into(x, g) },
            &|x, g, set| if set { $twin::value_and_grad_set(x, g) } else { $twin::value_and_grad_into(x, g) },
        )
    };
}

/// `check` for a function of `x` and data `y` (a fixed length, `m`).
macro_rules! check2 {
    ($f:ident, $twin:ident, $min:expr, $m:expr) => {{
        let y = point($m, 0.8);
        let y = &y[..];
        check(
            stringify!($f),
            $min,
            &|x| $f(x, y),
            &|x, g, set| if set { $f::value_and_grad_set(x, y, g) } else { $f::value_and_grad_into(x, y, g) },
            &|x, g, set| if set { $twin::value_and_grad_set(x, y, g) } else { $twin::value_and_grad_into(x, y, g) },
        )
    }};
}

#[test]
fn rosenbrock_chain() {
    check1!(rosen64, rosen64_twin, 1);
    check1!(rosen32, rosen32_twin, 1);
    check1!(rosen_sq64, rosen_sq64_twin, 1);
}

#[test]
fn stencil_reads_before_the_trip() {
    check1!(lap3_64, lap3_64_twin, 2);
    check1!(lap3_32, lap3_32_twin, 2);
    check1!(weighted64, weighted64_twin, 2);
}

#[test]
fn ranges_not_from_zero_or_to_the_end() {
    check1!(lag3_64, lag3_64_twin, 0);
    check1!(closed64, closed64_twin, 3);
    check1!(closed32, closed32_twin, 3);
    check1!(half64, half64_twin, 3);
}

/// Branch-free `if`s and masked rules in a chunk: `__private::lanes`'
/// integer masks, bit for bit what the SSE masks of the loop as written
/// give (`banded`'s loops run as written: their `if` on the trip index).
#[test]
fn masks_in_chunks() {
    check2!(clipped64, clipped64_twin, 0, 1000);
    check2!(clipped32, clipped32_twin, 0, 1000);
    check1!(banded64, banded64_twin, 1);
    check1!(banded32, banded32_twin, 1);
    check1!(pieces64, pieces64_twin, 0);
    check2!(root_or_neg64, root_or_neg64_twin, 0, 1000);
}

#[test]
fn subtracted_terms_with_data() {
    // The data as long as the longest `x`.
    check2!(resid64, resid64_twin, 0, 1000);
    check2!(resid32, resid32_twin, 0, 1000);
    check2!(huber64, huber64_twin, 0, 1000);
    check2!(huber32, huber32_twin, 0, 1000);
    check2!(zip_sq, zip_sq_twin, 0, 1000);
}

#[test]
fn read_at_a_non_affine_index() {
    check2!(scattered64, scattered64_twin, 1, 5);
}

#[test]
fn stride_two() {
    check1!(pairs64, pairs64_twin, 0);
}

#[test]
fn iterator_loops() {
    check1!(tv_windows, tv_windows_twin, 3);
    check1!(pairs_chunked, pairs_chunked_twin, 2);
}

/// The data shorter than `x`: the second chunk's view of `y` is out of
/// bounds, so the loop as written runs from there and panics at `y[13]`,
/// with the first chunk's gradient written.
#[test]
fn out_of_bounds_read_panics_where_written() {
    let x: Vec<f64> = point(20, 0.0);
    let y: Vec<f64> = point(13, 0.8);
    let msg = |r: std::thread::Result<f64>| match r {
        Ok(_) => panic!("no panic"),
        Err(e) => e.downcast_ref::<String>().cloned().unwrap_or_default(),
    };
    let mut g = vec![0.0; 20];
    let a = msg(std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| resid64::value_and_grad_into(&x, &y, &mut g))));
    let mut gt = vec![0.0; 20];
    let b = msg(std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| resid64_twin::value_and_grad_into(&x, &y, &mut gt))));
    assert!(a.contains("index out of bounds") && a.contains("13"), "{a}");
    assert_eq!(a, b);
    assert_eq!(g, gt);
}

/// Inputs at the pieces' boundaries (and the next floats either side), at
/// zeros of both signs, NaN and the infinities, cycled so that each falls
/// in several lanes of a chunk and in the trips after the last chunk.
const EDGES: &[f64] = &[-1.0, -1.0000000000000002, -0.9999999999999999, 1.0, 0.9999999999999999, 1.0000000000000002, -0.0, 0.0, -0.5, -0.5000000000000001, 0.5, -3.0, 2.5, -1e-300, 1e-300, f64::NAN, f64::INFINITY, f64::NEG_INFINITY];

fn edges(n: usize, finite: bool) -> Vec<f64> {
    EDGES.iter().copied().filter(|v| !finite || v.is_finite()).cycle().step_by(5).take(n).collect()
}

/// Equal, or both NaN, or within a few ulps relative.
fn close(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= 1e-15 * a.abs().max(b.abs())
}

/// The gradient by forward mode (which keeps the `if`s' branches), one
/// basis tangent at a time.
fn by_jvp(jvp: &dyn Fn(&[f64], &[f64]) -> (f64, f64), x: &[f64]) -> Vec<f64> {
    (0..x.len())
        .map(|i| {
            let t: Vec<f64> = (0..x.len()).map(|j| if i == j { 1.0 } else { 0.0 }).collect();
            jvp(x, &t).1
        })
        .collect()
}

/// One f64 chunked sweep at the edges: `_set` and `_into` against the twin
/// bit for bit, and against the hand gradient `hand` (value and gradient)
/// of the piece Rust's `if` takes; with the finite edges alone, against
/// forward mode too, where given.
fn check_edges(name: &str, sweep: Sweep<f64>, twin: Sweep<f64>, hand: &dyn Fn(&[f64]) -> (f64, Vec<f64>), jvp: Option<&dyn Fn(&[f64], &[f64]) -> (f64, f64)>) {
    // No chunk, one, two and a remainder, many.
    for n in [5, 8, 19, 64] {
        for finite in [false, true] {
            let x = edges(n, finite);
            let (vh, gh) = hand(&x);
            for set in [true, false] {
                let (mut g, mut gt) = (vec![if set { f64::NAN } else { 0.0 }; n], vec![if set { f64::NAN } else { 0.0 }; n]);
                let (v, vt) = (sweep(&x, &mut g, set), twin(&x, &mut gt, set));
                assert_eq!(v.to_bits(), vt.to_bits(), "{name} (n = {n}, set {set}): value {v} against the twin's {vt}");
                assert!(close(v, vh), "{name} (n = {n}, set {set}): value {v} against the hand's {vh}");
                for k in 0..n {
                    assert_eq!(g[k].to_bits(), gt[k].to_bits(), "{name} (n = {n}, set {set}) at x = {}: {} against the twin's {}", x[k], g[k], gt[k]);
                    assert!(close(g[k], gh[k]), "{name} (n = {n}, set {set}) at x = {}: {} against the hand's {}", x[k], g[k], gh[k]);
                }
                if finite {
                    assert!(v.is_finite() && g.iter().all(|d| d.is_finite()), "{name} (n = {n}): the arm not taken leaked: {v} {g:?}");
                    if let Some(jvp) = jvp {
                        let gf = by_jvp(jvp, &x);
                        for k in 0..n {
                            assert!(close(g[k], gf[k]), "{name} (n = {n}, set {set}) at x = {}: {} against forward mode's {}", x[k], g[k], gf[k]);
                        }
                    }
                }
            }
        }
    }
}

/// `scaled64`: value, `x`'s and `a`'s gradients against the twin's bit for
/// bit and against the hand gradient (`a`'s summed in trip order), at
/// every length of `lens` and the edges, `_set` and `_into`.
#[test]
fn f64_chunk_with_a_scalar_parameter() {
    for (n, x) in lens().map(|n| (n, point::<f64>(n, 0.0))).chain([19, 64].map(|n| (n, edges(n, false)))) {
        for a in [0.7, 2.5, -1.0] {
            let (mut hv, mut ha, mut hg) = (0.0, 0.0, vec![0.0; n]);
            for i in 0..n {
                let r = a * x[i] - 0.25;
                let d = if r.abs() <= 1.0 {
                    hv += 0.5 * r * r;
                    r
                } else {
                    hv += r.abs() - 0.5;
                    if r > 0.0 { 1.0 } else if r < 0.0 { -1.0 } else { 0.0 }
                };
                hg[i] = d * a;
                ha += d * x[i];
            }
            for set in [true, false] {
                let fill = if set { f64::NAN } else { 0.0 };
                let (mut g, mut gt, mut ga, mut gat) = (vec![fill; n], vec![fill; n], fill, fill);
                let (v, vt) = if set {
                    (scaled64::value_and_grad_set(&x, a, &mut g, &mut ga), scaled64_twin::value_and_grad_set(&x, a, &mut gt, &mut gat))
                } else {
                    (scaled64::value_and_grad_into(&x, a, &mut g, &mut ga), scaled64_twin::value_and_grad_into(&x, a, &mut gt, &mut gat))
                };
                let what = format!("scaled64 (n = {n}, a = {a}, set {set})");
                assert_eq!(v.to_bits(), vt.to_bits(), "{what}: value {v} against the twin's {vt}");
                assert_eq!(ga.to_bits(), gat.to_bits(), "{what}: a's gradient {ga} against the twin's {gat}");
                assert!(close(v, hv), "{what}: value {v} against the hand's {hv}");
                let tol = |a: f64, b: f64| (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-12 * (1.0 + a.abs().max(b.abs()));
                assert!(tol(ga, ha), "{what}: a's gradient {ga} against the hand's {ha}");
                for k in 0..n {
                    assert_eq!(g[k].to_bits(), gt[k].to_bits(), "{what} at x = {}: {} against the twin's {}", x[k], g[k], gt[k]);
                    assert!(close(g[k], hg[k]), "{what} at x = {}: {} against the hand's {}", x[k], g[k], hg[k]);
                }
            }
        }
    }
}

#[test]
fn f64_chunk_masks_at_the_edges() {
    let y: Vec<f64> = (0..64).map(|i| [0.0, 0.5, -1.0, 2.0][i % 4]).collect();
    let y = &y[..];
    // Huber of `x − y` (the residual rounded as the function rounds it).
    let huber_hand = |x: &[f64]| {
        let mut s = 0.0;
        let g = x
            .iter()
            .zip(y)
            .map(|(a, b)| {
                let r = a - b;
                if r.abs() <= 1.0 {
                    s += 0.5 * r * r;
                    r
                } else {
                    s += r.abs() - 0.5;
                    if r > 0.0 { 1.0 } else if r < 0.0 { -1.0 } else { 0.0 }
                }
            })
            .collect();
        (s, g)
    };
    check_edges(
        "huber64",
        &|x, g, set| if set { huber64::value_and_grad_set(x, y, g) } else { huber64::value_and_grad_into(x, y, g) },
        &|x, g, set| if set { huber64_twin::value_and_grad_set(x, y, g) } else { huber64_twin::value_and_grad_into(x, y, g) },
        &huber_hand,
        None,
    );
    check_edges(
        "pieces64",
        &|x, g, set| if set { pieces64::value_and_grad_set(x, g) } else { pieces64::value_and_grad_into(x, g) },
        &|x, g, set| if set { pieces64_twin::value_and_grad_set(x, g) } else { pieces64_twin::value_and_grad_into(x, g) },
        &common::piecewise_sqrt_hand,
        Some(&|x, t| pieces64::jvp(x, t)),
    );
    let root_hand = |x: &[f64]| {
        let mut s = 0.0;
        let g = x
            .iter()
            .zip(y)
            .map(|(&a, &b)| {
                let v = a - 0.5 * b;
                let (f, d) = if v > 0.0 {
                    (v.sqrt(), 0.5 / v.sqrt())
                } else if v >= -0.5 {
                    (-v, -1.0)
                } else {
                    (2.0 * v * v, 4.0 * v)
                };
                s += f * b;
                d * b
            })
            .collect();
        (s, g)
    };
    check_edges(
        "root_or_neg64",
        &|x, g, set| if set { root_or_neg64::value_and_grad_set(x, y, g) } else { root_or_neg64::value_and_grad_into(x, y, g) },
        &|x, g, set| if set { root_or_neg64_twin::value_and_grad_set(x, y, g) } else { root_or_neg64_twin::value_and_grad_into(x, y, g) },
        &root_hand,
        None,
    );
}
