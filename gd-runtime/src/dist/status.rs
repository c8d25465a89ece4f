//! The status word of a collective step: each rank writes whether it
//! failed, and how, into its own three slots of a buffer that is summed
//! with everything else, so the ranks learn of a failure in the same
//! all-reduce that would have carried the gradient and all stop there
//! together — none is left waiting for a rank that has given up.

use crate::error::{GdError, RankFailure};

use super::{broadcast_bytes, Collective};

/// Slots per rank: a code and two numbers.
pub(crate) const SLOTS: usize = 3;

const OK: f64 = 0.0;
const PANIC: f64 = 1.0;
const LOSS: f64 = 2.0;
const GRAD: f64 = 3.0;
const ERROR: f64 = 4.0;
const DRIFT: f64 = 5.0;

/// Write this rank's status into `slots` (`SLOTS · size` values, zero
/// beforehand): the other ranks' slots stay zero, so the sum carries each
/// rank's word unchanged (a NaN or an infinity plus zeros is itself).
pub(crate) fn encode(slots: &mut [f64], rank: usize, mine: Option<&RankFailure>) {
    let s = &mut slots[SLOTS * rank..SLOTS * (rank + 1)];
    let (code, a, b) = match mine {
        None => (OK, 0.0, 0.0),
        Some(RankFailure::Panic(_)) => (PANIC, 0.0, 0.0),
        Some(RankFailure::NonFiniteLoss(v)) => (LOSS, *v, 0.0),
        Some(RankFailure::NonFiniteGradient { index, value }) => (GRAD, *index as f64, *value),
        Some(RankFailure::Error(_)) => (ERROR, 0.0, 0.0),
        Some(RankFailure::Drifted { epoch }) => (DRIFT, *epoch as f64, 0.0),
    };
    s.copy_from_slice(&[code, a, b]);
}

/// Read the summed slots. All ranks see the same words, so all take the
/// same branch: `Ok` when none failed; otherwise the lowest failed rank's
/// message (for a panic or an error, the text is sent from that rank, the
/// one collective more every rank makes) in a [`GdError::RankFailed`].
pub(crate) fn decode<C: Collective + ?Sized>(
    comm: &C,
    slots: &[f64],
    mine: Option<RankFailure>,
    step: Option<usize>,
) -> Result<(), GdError> {
    let Some(rank) = slots.chunks(SLOTS).position(|s| s[0] != OK) else {
        return Ok(());
    };
    let s = &slots[SLOTS * rank..SLOTS * (rank + 1)];
    let cause = match s[0] {
        PANIC | ERROR => {
            let text = match (&mine, comm.rank() == rank) {
                (Some(RankFailure::Panic(m) | RankFailure::Error(m)), true) => m.clone(),
                _ => String::new(),
            };
            let mut bytes = text.into_bytes();
            broadcast_bytes(comm, rank, &mut bytes)?;
            let text = String::from_utf8_lossy(&bytes).into_owned();
            if s[0] == PANIC {
                RankFailure::Panic(text)
            } else {
                RankFailure::Error(text)
            }
        }
        LOSS => RankFailure::NonFiniteLoss(s[1]),
        GRAD => RankFailure::NonFiniteGradient { index: s[1] as usize, value: s[2] },
        DRIFT => RankFailure::Drifted { epoch: s[1] as usize },
        other => RankFailure::Error(format!("unknown status word {other} (ranks running different versions?)")),
    };
    Err(failed(comm, rank, step, cause))
}

/// A status exchange on its own (outside a gradient's all-reduce).
pub(crate) fn exchange<C: Collective + ?Sized>(comm: &C, mine: Option<RankFailure>, step: Option<usize>) -> Result<(), GdError> {
    let mut slots = vec![0.0; SLOTS * comm.size()];
    encode(&mut slots, comm.rank(), mine.as_ref());
    comm.all_reduce_sum(&mut slots)?;
    decode(comm, &slots, mine, step)
}

/// The error every rank returns for `rank`'s failure.
pub(crate) fn failed<C: Collective + ?Sized>(comm: &C, rank: usize, step: Option<usize>, cause: RankFailure) -> GdError {
    GdError::RankFailed { rank, size: comm.size(), step, cause }
}

/// The text of a panic's payload (a `&str` or a `String`, as `panic!`
/// makes; anything else is named as such).
pub(crate) fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a non-string payload".to_string()
    }
}
