//! The machinery every optimizer shares: state buffers shaped like the
//! parameters' leaves and kept in their precision, the checks made before a
//! step changes anything, and the leaf loop that runs an update rule.
//!
//! An update rule is a [`Kernel`]: a function of one leaf (parameters,
//! gradient, `K` state chunks) generic in the scalar, so that each rule is
//! written once for `f64` and `f32`. Its hyperparameters stay `f64` and are
//! rounded to the leaf's precision once per leaf (as torch rounds a Python
//! float when it multiplies an `f32` tensor).

use serde::{Deserialize, Serialize};

use super::grad_map::GradMap;
use crate::error::GdError;
use crate::leaves::{LeafPair, LeafPairs, LeafShape};
use crate::params::ParamScalar;

/// An update rule over one leaf with `K` state chunks of the leaf's length.
/// Implementations are `#[inline(always)]`: [`step`] compiles them a
/// second time into its AVX2 copy, which a call that is not inlined would
/// skip.
pub(crate) trait Kernel<const K: usize>: Sync {
    fn update<T: ParamScalar>(&self, p: &mut [T], g: &[T], state: [&mut [T]; K]);
}

/// One state buffer: the chunks of the `f64` leaves, one after the other,
/// and those of the `f32` leaves.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Arena {
    f64: Vec<f64>,
    f32: Vec<f32>,
}

/// Picks an arena's buffer by precision.
pub(crate) trait InArena: ParamScalar + Send + Sync {
    fn buf(a: &mut Arena) -> &mut Vec<Self>;
}
impl InArena for f64 {
    fn buf(a: &mut Arena) -> &mut Vec<f64> {
        &mut a.f64
    }
}
impl InArena for f32 {
    fn buf(a: &mut Arena) -> &mut Vec<f32> {
        &mut a.f32
    }
}

/// Scratch space for a transformed gradient leaf: not state, so not saved
/// and equal whatever it holds.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scratch(pub(crate) Arena);

impl PartialEq for Scratch {
    fn eq(&self, _: &Scratch) -> bool {
        true
    }
}

/// An optimizer's per-parameter state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct State {
    /// The leaves of the first step, `None` before it.
    layout: Option<Vec<LeafShape>>,
    bufs: Vec<Arena>,
    #[serde(skip)]
    scratch: Scratch,
}

impl State {
    /// State with `k` buffers, allocated at the first step.
    pub(crate) fn new(k: usize) -> State {
        State { layout: None, bufs: vec![Arena::default(); k], scratch: Scratch::default() }
    }

    /// Forget everything but the number of buffers.
    pub(crate) fn clear(&mut self) {
        *self = State::new(self.bufs.len());
    }

    /// Check the leaves against the layout of the first step (record it at
    /// the first step) and allocate the buffers whose `init` is `Some` and
    /// that are not yet. Changes nothing on error. Returns whether a buffer
    /// was allocated.
    pub(crate) fn prepare(&mut self, leaves: &mut dyn LeafPairs, init: &[Option<f64>]) -> Result<bool, GdError> {
        let mut seen: Vec<LeafShape> = Vec::new();
        let layout = self.layout.as_deref();
        let mut i = 0usize;
        leaves.zip(&mut |leaf: LeafPair<'_>| {
            let shape = leaf.shape();
            match layout {
                None => seen.push(shape),
                Some(layout) => check_leaf(layout, i, shape)?,
            }
            i += 1;
            Ok(())
        })?;
        if let Some(layout) = layout {
            if i != layout.len() {
                let what = "parameter leaves (expected the optimizer state's number of leaves)";
                return Err(GdError::DimensionMismatch { what, expected: layout.len(), got: i });
            }
        } else {
            self.layout = Some(seen);
        }
        let layout = self.layout.as_deref().unwrap_or_default();
        let n64: usize = layout.iter().filter(|s| !s.f32).map(|s| s.len).sum();
        let n32: usize = layout.iter().filter(|s| s.f32).map(|s| s.len).sum();
        let mut fresh = false;
        for (buf, init) in self.bufs.iter_mut().zip(init) {
            if let Some(v) = *init {
                if buf.f64.len() != n64 || buf.f32.len() != n32 {
                    *buf = Arena { f64: vec![v; n64], f32: vec![v as f32; n32] };
                    fresh = true;
                }
            }
        }
        Ok(fresh)
    }

    /// Run `kernel` over every leaf (after [`State::prepare`]): the gradient
    /// leaf transformed by `map`, the parameters decayed by `map`'s decoupled
    /// weight decay, then the update with the leaf's state chunks (a buffer
    /// not allocated gives empty chunks).
    pub(crate) fn apply<const K: usize, U: Kernel<K>>(
        &mut self,
        leaves: &mut dyn LeafPairs,
        map: &GradMap<'_>,
        kernel: &U,
    ) -> Result<(), GdError> {
        let State { bufs, scratch, .. } = self;
        let (mut at64, mut at32) = (0usize, 0usize);
        let decay = map.decay();
        leaves.zip(&mut |leaf: LeafPair<'_>| {
            match leaf {
                LeafPair::F64(p, g) => run_leaf(p, g, bufs, &mut at64, &mut scratch.0, map, decay, kernel),
                LeafPair::F32(p, g) => run_leaf(p, g, bufs, &mut at32, &mut scratch.0, map, decay, kernel),
            }
            Ok(())
        })
    }
}

fn check_leaf(layout: &[LeafShape], i: usize, shape: LeafShape) -> Result<(), GdError> {
    let prec = |f32: bool| if f32 { "f32" } else { "f64" };
    match layout.get(i) {
        None => {
            let what = "parameter leaves (expected the optimizer state's number of leaves)";
            Err(GdError::DimensionMismatch { what, expected: layout.len(), got: i + 1 })
        }
        Some(s) if s.len != shape.len => {
            let what = "parameters (expected the length of the optimizer state)";
            Err(GdError::DimensionMismatch { what, expected: s.len, got: shape.len })
        }
        Some(s) if s.f32 != shape.f32 => {
            Err(GdError::PrecisionMismatch { leaf: i, expected: prec(s.f32), got: prec(shape.f32) })
        }
        Some(_) => Ok(()),
    }
}

#[allow(clippy::too_many_arguments)]
fn run_leaf<T: InArena, const K: usize, U: Kernel<K>>(
    p: &mut [T],
    g: &[T],
    bufs: &mut [Arena],
    at: &mut usize,
    scratch: &mut Arena,
    map: &GradMap<'_>,
    decay: f64,
    kernel: &U,
) {
    let range = *at..*at + p.len();
    *at += p.len();
    let g = map.mapped(p, g, T::buf(scratch));
    let mut bufs = bufs.iter_mut();
    let state: [&mut [T]; K] = std::array::from_fn(|_| match bufs.next() {
        Some(a) => T::buf(a).get_mut(range.clone()).unwrap_or_default(),
        None => &mut [],
    });
    step(p, g, state, decay, kernel);
}

/// The decay and the update of one leaf: on several threads when it is
/// large ([`PARALLEL_MIN`]), each range at the widest vectors the CPU runs
/// well ([`step_wide`]).
fn step<T: InArena, const K: usize, U: Kernel<K>>(p: &mut [T], g: &[T], state: [&mut [T]; K], decay: f64, kernel: &U) {
    // The size first: outside a budget, asking for the thread count starts
    // rayon's global pool, which a small model never needs.
    let parts = if p.len() >= 2 * PARALLEL_MIN { (p.len() / PARALLEL_MIN).min(crate::budget::threads()) } else { 1 };
    if parts > 1 {
        return step_parts(parts, p, g, state, decay, kernel);
    }
    step_wide(p, g, state, decay, kernel)
}

/// Leaves of at least twice this many elements step on several threads
/// (the thread budget's, `crate::budget`), each over its own range: every
/// update rule is elementwise, so the result is the one-thread result, bit
/// for bit. A range of 2^15 `f32` elements takes Adam about 25 µs on one
/// core (AVX2), several times what handing it to another thread costs;
/// an MNIST-sized first layer (784×256) steps on two.
const PARALLEL_MIN: usize = 1 << 15;

/// [`step_wide`] over `parts` ranges of about equal length (split in halves
/// at multiples of 64 elements, so no range starts inside a vector).
fn step_parts<T: InArena, const K: usize, U: Kernel<K>>(
    parts: usize,
    p: &mut [T],
    g: &[T],
    state: [&mut [T]; K],
    decay: f64,
    kernel: &U,
) {
    if parts < 2 {
        return step_wide(p, g, state, decay, kernel);
    }
    let left = parts / 2;
    let mid = (p.len() * left / parts) & !63;
    let (p0, p1) = p.split_at_mut(mid);
    let (g0, g1) = g.split_at(mid);
    // A buffer the rule does not use is empty (AMSGrad's maximum without
    // AMSGrad): both halves empty.
    let mut halves = state.map(|s| {
        let (a, b) = if s.is_empty() { (&mut [][..], s) } else { s.split_at_mut(mid) };
        (Some(a), Some(b))
    });
    let s0: [&mut [T]; K] = std::array::from_fn(|i| halves[i].0.take().unwrap_or_default());
    let s1: [&mut [T]; K] = std::array::from_fn(|i| halves[i].1.take().unwrap_or_default());
    crate::budget::both(|| step_parts(left, p0, g0, s0, decay, kernel), || step_parts(parts - left, p1, g1, s1, decay, kernel));
}

/// The decay and the update of one range of a leaf, at the widest vectors this CPU
/// runs well. x86-64's baseline is SSE2, so the kernels' loops go 2 (`f64`)
/// or 4 (`f32`) lanes wide, and a large model's Adam step, bound by its
/// square roots and divisions, was 12 % of an MNIST-sized training step;
/// AVX2 doubles the lanes. The result is bit-identical: every operation is
/// the same IEEE operation in either width and Rust never contracts
/// `a * b + c` into a fused multiply-add (tests/optim_wide.rs: long leaves
/// step as single coordinates, bit for bit).
fn step_wide<T: InArena, const K: usize, U: Kernel<K>>(p: &mut [T], g: &[T], state: [&mut [T]; K], decay: f64, kernel: &U) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (checked just above).
        return unsafe { step_avx2(p, g, state, decay, kernel) };
    }
    step_body(p, g, state, decay, kernel)
}

/// [`step_body`] compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn step_avx2<T: InArena, const K: usize, U: Kernel<K>>(p: &mut [T], g: &[T], state: [&mut [T]; K], decay: f64, kernel: &U) {
    step_body(p, g, state, decay, kernel)
}

#[inline(always)]
fn step_body<T: InArena, const K: usize, U: Kernel<K>>(p: &mut [T], g: &[T], state: [&mut [T]; K], decay: f64, kernel: &U) {
    if decay != 0.0 {
        let keep = T::from_f64(1.0 - decay);
        p.iter_mut().for_each(|x| *x *= keep);
    }
    kernel.update(p, g, state);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An elementwise rule with one used and one unused (empty) buffer.
    struct Toy;
    impl Kernel<2> for Toy {
        fn update<T: ParamScalar>(&self, p: &mut [T], g: &[T], [m, unused]: [&mut [T]; 2]) {
            assert!(unused.is_empty());
            for ((p, &g), m) in p.iter_mut().zip(g).zip(m.iter_mut()) {
                *m = T::from_f64(0.9) * *m + g;
                *p -= T::from_f64(0.1) * *m;
            }
        }
    }

    /// Any number of ranges gives the one-range result, the buffers split
    /// with the parameters (and an empty one left empty), on any length.
    #[test]
    fn ranges_step_as_the_whole_leaf() {
        for n in [0usize, 1, 63, 64, 200, 1000] {
            let g: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin()).collect();
            let (mut p1, mut m1): (Vec<f64>, Vec<f64>) = ((0..n).map(|i| i as f64).collect(), vec![0.5; n]);
            step_wide(&mut p1, &g, [&mut m1, &mut []], 0.01, &Toy);
            for parts in [2, 3, 5] {
                let (mut p, mut m): (Vec<f64>, Vec<f64>) = ((0..n).map(|i| i as f64).collect(), vec![0.5; n]);
                step_parts(parts, &mut p, &g, [&mut m, &mut []], 0.01, &Toy);
                assert_eq!((&p, &m), (&p1, &m1), "n = {n}, {parts} ranges");
            }
        }
    }
}
