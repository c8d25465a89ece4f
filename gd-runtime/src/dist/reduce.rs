//! One collective step of data-parallel training: this rank's part of the
//! batch through the loss, then a single all-reduce of
//! `[n_r·g_r, n_r·l_r, status words]` from which every rank reads the
//! batch's mean gradient and loss, `Σ n_r·g_r / n` and `Σ n_r·l_r / n`
//! (`n_r` the batch's samples on rank r, `n` the batch's size) — the mean
//! one process computes, up to the order of the sums — or the failure of a
//! rank. The status rides in the same buffer so a step costs one
//! all-reduce's latency, not two.

use std::ops::Range;
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::error::{GdError, RankFailure};
use crate::leaves::first_non_finite;
use crate::train::TrainParams;

use super::{shard_range, status, Collective};

/// The per-run state of the collective steps: this rank's block of the
/// samples and the buffers, kept between steps.
pub(crate) struct Reducer<'c, C: ?Sized> {
    comm: &'c C,
    block: Range<usize>,
    local: Vec<usize>,
    buf: Vec<f64>,
}

impl<'c, C: Collective + ?Sized> Reducer<'c, C> {
    /// For `n_samples` samples in all, cut in blocks by rank.
    pub(crate) fn new(comm: &'c C, n_samples: usize) -> Self {
        let block = shard_range(n_samples, comm.rank(), comm.size());
        Reducer { comm, block, local: Vec::new(), buf: Vec::new() }
    }

    /// The mean loss over `batch` (global sample indices, the same on
    /// every rank) and its mean gradient in `g`, summed over the ranks.
    /// `loss` sees the batch's samples in this rank's block, as indices
    /// into the block; a rank with none of them adds zeros (and still
    /// takes part). `step` goes into a failure's error.
    pub(crate) fn eval<P, L>(&mut self, loss: &mut L, p: &P, batch: &[usize], g: &mut P, step: Option<usize>) -> Result<f64, GdError>
    where
        P: TrainParams + ?Sized,
        L: FnMut(&P, &[usize], &mut P) -> f64,
    {
        let start = self.block.start;
        self.local.clear();
        self.local.extend(batch.iter().filter(|i| self.block.contains(i)).map(|i| i - start));
        let mut mine = None;
        let mut l = 0.0;
        if self.local.is_empty() {
            g.zero();
        } else {
            // A panic in the loss must not end this process before the
            // all-reduce: the other ranks would wait in it for ever. It is
            // caught, reported in the status word, and becomes every rank's
            // error. (The default hook has printed it on this rank's stderr.)
            let local = &self.local;
            match catch_unwind(AssertUnwindSafe(|| loss(p, local, &mut *g))) {
                Err(payload) => mine = Some(RankFailure::Panic(status::panic_text(&*payload))),
                Ok(v) if !v.is_finite() => mine = Some(RankFailure::NonFiniteLoss(v)),
                Ok(v) => match first_non_finite(&*g) {
                    Some((index, value)) => mine = Some(RankFailure::NonFiniteGradient { index, value }),
                    None => l = v,
                },
            }
        }
        let w = self.local.len() as f64;
        let d = g.flat_len();
        self.buf.clear();
        g.push_flat(&mut self.buf);
        if self.buf.len() != d {
            return Err(GdError::DimensionMismatch { what: "distributed gradient buffer", expected: d, got: self.buf.len() });
        }
        if mine.is_some() {
            // Its gradient may be half written or poisoned; the status says
            // so, and zeros keep the others' sums readable.
            self.buf.fill(0.0);
        } else {
            self.buf.iter_mut().for_each(|v| *v *= w);
        }
        self.buf.push(w * l);
        let slots = self.buf.len();
        self.buf.resize(slots + status::SLOTS * self.comm.size(), 0.0);
        status::encode(&mut self.buf[slots..], self.comm.rank(), mine.as_ref());
        self.comm.all_reduce_sum(&mut self.buf)?;
        status::decode(self.comm, &self.buf[slots..], mine, step)?;
        let n = batch.len() as f64;
        self.buf[..=d].iter_mut().for_each(|v| *v /= n);
        g.read_flat(&self.buf[..d]);
        Ok(self.buf[d])
    }
}
