//! Weight initialisers (torch.nn.init formulas), seedable.
//!
//! Each fills a slice from an `rand::Rng`; pass `StdRng::seed_from_u64(seed)`
//! (see [`seeded`]) for reproducible draws.
//!
//! | function | distribution |
//! |---|---|
//! | [`xavier_uniform`] | U(−a, a), a = gain·√(6 / (fan_in + fan_out)) |
//! | [`xavier_normal`] | N(0, σ²), σ = gain·√(2 / (fan_in + fan_out)) |
//! | [`he_uniform`] | U(−b, b), b = √2·√(3 / fan_in) (torch kaiming_uniform_, ReLU) |
//! | [`he_normal`] | N(0, σ²), σ = √2 / √fan_in (torch kaiming_normal_, ReLU) |

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::error::{check, GdError};

/// A `StdRng` from a seed.
pub fn seeded(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

fn fans(fan_in: usize, fan_out: usize) -> Result<(), GdError> {
    check::at_least_one("init: fan_in", fan_in)?;
    check::at_least_one("init: fan_out", fan_out)?;
    Ok(())
}

fn uniform(out: &mut [f64], bound: f64, rng: &mut impl Rng) -> Result<(), GdError> {
    // rand's uniform sampler needs a finite width.
    if !(2.0 * bound).is_finite() {
        return Err(GdError::BadHyperparameter { name: "init: gain", value: bound, allowed: "small enough for a finite bound" });
    }
    for v in out.iter_mut() {
        *v = rng.gen_range(-bound..=bound);
    }
    Ok(())
}

/// Standard normal draws by Box–Muller (two per pair of uniforms).
fn normal(out: &mut [f64], std: f64, rng: &mut impl Rng) {
    let mut i = 0;
    while i < out.len() {
        // u1 in (0, 1] so that ln(u1) is finite.
        let u1: f64 = 1.0 - rng.gen::<f64>();
        let u2: f64 = rng.gen();
        let r = (-2.0 * u1.ln()).sqrt();
        let (s, c) = (2.0 * std::f64::consts::PI * u2).sin_cos();
        out[i] = std * r * c;
        if i + 1 < out.len() {
            out[i + 1] = std * r * s;
        }
        i += 2;
    }
}

/// Xavier/Glorot uniform (torch `xavier_uniform_`; gain 1 by default there).
pub fn xavier_uniform(out: &mut [f64], fan_in: usize, fan_out: usize, gain: f64, rng: &mut impl Rng) -> Result<(), GdError> {
    fans(fan_in, fan_out)?;
    check::non_negative("xavier_uniform: gain", gain)?;
    uniform(out, gain * (6.0 / (fan_in + fan_out) as f64).sqrt(), rng)
}

/// Xavier/Glorot normal (torch `xavier_normal_`).
pub fn xavier_normal(out: &mut [f64], fan_in: usize, fan_out: usize, gain: f64, rng: &mut impl Rng) -> Result<(), GdError> {
    fans(fan_in, fan_out)?;
    check::non_negative("xavier_normal: gain", gain)?;
    normal(out, gain * (2.0 / (fan_in + fan_out) as f64).sqrt(), rng);
    Ok(())
}

/// He/Kaiming uniform for ReLU, mode fan_in (torch `kaiming_uniform_(nonlinearity="relu")`).
pub fn he_uniform(out: &mut [f64], fan_in: usize, rng: &mut impl Rng) -> Result<(), GdError> {
    check::at_least_one("he_uniform: fan_in", fan_in)?;
    uniform(out, 2f64.sqrt() * (3.0 / fan_in as f64).sqrt(), rng)
}

/// He/Kaiming normal for ReLU, mode fan_in (torch `kaiming_normal_(nonlinearity="relu")`).
pub fn he_normal(out: &mut [f64], fan_in: usize, rng: &mut impl Rng) -> Result<(), GdError> {
    check::at_least_one("he_normal: fan_in", fan_in)?;
    normal(out, 2f64.sqrt() / (fan_in as f64).sqrt(), rng);
    Ok(())
}
