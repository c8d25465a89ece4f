//! `Real`: the float type the CPU path is written over (f32 to mirror the
//! GPU kernels, f64 for finite differences and for comparing with
//! gd-runtime's optimizers bit for bit).

use gd_runtime::Float;

/// f32 or f64: gd-runtime's [`Float`] (arithmetic, `ZERO`, `from_f64`,
/// `sqrt`, `tanh`, …) and torch's `sign`.
pub trait Real: Float {
    /// torch.sign: 0 at 0, else ±1 (NaN stays NaN).
    #[inline]
    fn sign(self) -> Self {
        if self == Self::ZERO {
            Self::ZERO
        } else {
            self.signum()
        }
    }
}

impl Real for f32 {}
impl Real for f64 {}
