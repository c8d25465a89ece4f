//! Data parallelism across processes: every rank holds a block of the
//! samples, computes its part of each batch's loss and gradient, and one
//! all-reduce per step sums them, so every rank steps the same optimizer on
//! the same gradient and ends with the same parameters — those of one
//! process, up to the order of the sums.
//!
//! The engine is not gd's own: a [`Collective`] is anything that can sum a
//! buffer of `f64` over the ranks, the result on every rank. [`Mpi`]
//! (feature `mpi`) is MPI's `MPI_Allreduce` through rsmpi; `gd-cuda`'s NCCL
//! communicator (feature `cuda`) sums on the GPUs; [`Single`] is one
//! process. Everything else — status words, failure messages, agreement on
//! settings — is built on that one sum, so a new engine needs only it.
//!
//! Used by [`crate::Trainer::fit_distributed`] /
//! [`crate::Trainer::fit_params_distributed`] (mini-batches) and
//! [`objective`] and [`hvp`] (full-batch objectives and Hessian–vector
//! products for L-BFGS, Newton-CG, …).

mod checkpoint;
#[cfg(feature = "mpi")]
mod mpi;
pub mod objective;
pub(crate) mod reduce;
pub(crate) mod status;

pub use checkpoint::Checkpoint;
#[cfg(feature = "mpi")]
pub use self::mpi::Mpi;
/// rsmpi itself, for what [`Mpi`] does not wrap (point-to-point messages,
/// sub-communicators).
#[cfg(feature = "mpi")]
pub use ::mpi as rsmpi;
pub use objective::{hvp, objective, DistHvp, DistObjective};

use std::fmt::Display;
use std::ops::Range;

use crate::error::{GdError, RankFailure};

/// A group of processes (ranks) that can sum a buffer together.
///
/// Every rank must make the same calls in the same order with buffers of
/// the same length (a collective); the training loop and the objectives of
/// this module do, as long as every rank runs the same program on the same
/// settings.
pub trait Collective {
    /// This process's index, `0..size()`.
    fn rank(&self) -> usize;
    /// The number of ranks.
    fn size(&self) -> usize;
    /// Overwrite `buf` with its element-wise sum over all ranks. The result
    /// must be bitwise the same on every rank (MPI's and NCCL's sums are:
    /// each element is added once and the sum sent to all), for the ranks'
    /// optimizers to stay in step.
    fn all_reduce_sum(&self, buf: &mut [f64]) -> Result<(), GdError>;
}

impl<C: Collective + ?Sized> Collective for &C {
    fn rank(&self) -> usize {
        (**self).rank()
    }
    fn size(&self) -> usize {
        (**self).size()
    }
    fn all_reduce_sum(&self, buf: &mut [f64]) -> Result<(), GdError> {
        (**self).all_reduce_sum(buf)
    }
}

/// One process alone: rank 0 of 1, the sum is the buffer itself. The
/// distributed paths with it are the plain ones (tests, and a program that
/// runs the same code with or without MPI).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Single;

impl Collective for Single {
    fn rank(&self) -> usize {
        0
    }
    fn size(&self) -> usize {
        1
    }
    fn all_reduce_sum(&self, _buf: &mut [f64]) -> Result<(), GdError> {
        Ok(())
    }
}

/// The samples rank `rank` of `size` holds: the contiguous block
/// `rank·n/size .. (rank+1)·n/size` of `0..n` (lengths within one of each
/// other). A loss given to the distributed paths sees indices into this
/// block (0 is its first sample).
pub fn shard_range(n: usize, rank: usize, size: usize) -> Range<usize> {
    let size = size.max(1);
    rank * n / size..(rank + 1) * n / size
}

/// Make every rank agree on a result each computed alone (reading its data
/// file, say): if any rank's `local` is an error, every rank returns
/// [`GdError::RankFailed`] naming the lowest failed rank and its error's
/// message; otherwise each gets its own value. A collective: every rank
/// calls it. Without it a rank that fails before training would leave the
/// others waiting in the first all-reduce.
pub fn agree<C, T, E>(comm: &C, local: Result<T, E>) -> Result<T, GdError>
where
    C: Collective + ?Sized,
    E: Display,
{
    let mine = match &local {
        Ok(_) => None,
        Err(e) => Some(RankFailure::Error(e.to_string())),
    };
    status::exchange(comm, mine, None)?;
    // Every rank succeeded (an error here would have been exchanged).
    local.map_err(|e| status::failed(comm, comm.rank(), None, RankFailure::Error(e.to_string())))
}

/// Check that values every rank must share (a sample count, a seed) are
/// the same on all, in one all-reduce: [`GdError::RankMismatch`] names the
/// first value and the first rank that differs from rank 0. Without it,
/// ranks given different sample or parameter counts would all-reduce
/// buffers of different lengths, which MPI does not detect. A collective.
pub fn same_on_all<C: Collective + ?Sized>(comm: &C, values: &[(&'static str, f64)]) -> Result<(), GdError> {
    let (r, n, k) = (comm.rank(), comm.size(), values.len());
    let mut all = vec![0.0; n * k];
    for (j, (_, v)) in values.iter().enumerate() {
        all[r * k + j] = *v;
    }
    comm.all_reduce_sum(&mut all)?;
    for (j, (what, _)) in values.iter().enumerate() {
        let at = |rank: usize| all[rank * k + j];
        if let Some(rank) = (1..n).find(|&q| at(q).to_bits() != at(0).to_bits()) {
            return Err(GdError::RankMismatch { what, rank, expected: at(0), got: at(rank) });
        }
    }
    Ok(())
}

/// Send `bytes` from rank `root` to every rank (the others' `bytes` are
/// replaced). Built on the sum: the root's bytes packed 6 to an `f64`
/// (48 bits, exact in its 53-bit mantissa), plus zeros from the rest, so it
/// moves 1.33 times the bytes; for rare messages — a failure's text, a
/// checkpoint read on rank 0 — not for every step. A collective.
pub fn broadcast_bytes<C: Collective + ?Sized>(comm: &C, root: usize, bytes: &mut Vec<u8>) -> Result<(), GdError> {
    const PACK: usize = 6;
    let me = comm.rank() == root;
    let mut len = [if me { bytes.len() as f64 } else { 0.0 }];
    comm.all_reduce_sum(&mut len)?;
    let n = len[0] as usize;
    let mut buf: Vec<f64> = if me {
        bytes
            .chunks(PACK)
            .map(|c| c.iter().rev().fold(0u64, |acc, &b| (acc << 8) | b as u64) as f64)
            .collect()
    } else {
        vec![0.0; n.div_ceil(PACK)]
    };
    comm.all_reduce_sum(&mut buf)?;
    if !me {
        bytes.clear();
        for v in &buf {
            let w = *v as u64;
            bytes.extend((0..PACK).map(|k| (w >> (8 * k)) as u8));
        }
        bytes.truncate(n);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    /// Rank 1 of 2 whose partner, rank 0, sends `root_bytes` (packed as
    /// rank 0 would): checks the unpacking of [`broadcast_bytes`].
    struct Receiver {
        partner: RefCell<Vec<Vec<f64>>>,
    }

    impl Collective for Receiver {
        fn rank(&self) -> usize {
            1
        }
        fn size(&self) -> usize {
            2
        }
        fn all_reduce_sum(&self, buf: &mut [f64]) -> Result<(), GdError> {
            let theirs = self.partner.borrow_mut().remove(0);
            assert_eq!(theirs.len(), buf.len());
            buf.iter_mut().zip(theirs).for_each(|(b, t)| *b += t);
            Ok(())
        }
    }

    #[test]
    fn bytes_arrive_whole() {
        let cases: [&[u8]; 6] = [b"", b"a", b"abcdef", b"abcdefg", "rank 3 failed: \u{e9}\u{e8}".as_bytes(), b"\xff\x00\xff\x00\x01\xfe\x7f"];
        for text in cases {
            // What rank 0 contributes: its length, then its packed words.
            let mut sent = text.to_vec();
            let mut words = Vec::new();
            struct Tap<'a>(&'a RefCell<Vec<Vec<f64>>>);
            impl Collective for Tap<'_> {
                fn rank(&self) -> usize {
                    0
                }
                fn size(&self) -> usize {
                    1
                }
                fn all_reduce_sum(&self, buf: &mut [f64]) -> Result<(), GdError> {
                    self.0.borrow_mut().push(buf.to_vec());
                    Ok(())
                }
            }
            let tap = RefCell::new(Vec::new());
            broadcast_bytes(&Tap(&tap), 0, &mut sent).unwrap();
            words.extend(tap.into_inner());
            let rx = Receiver { partner: RefCell::new(words) };
            let mut got = b"stale".to_vec();
            broadcast_bytes(&rx, 0, &mut got).unwrap();
            assert_eq!(got, text);
        }
    }

    #[test]
    fn blocks_tile_the_samples() {
        assert_eq!(shard_range(10, 0, 3), 0..3);
        assert_eq!(shard_range(10, 1, 3), 3..6);
        assert_eq!(shard_range(10, 2, 3), 6..10);
        assert_eq!(shard_range(2, 3, 4), 1..2);
        assert_eq!(shard_range(5, 0, 1), 0..5);
    }
}
