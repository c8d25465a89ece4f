//! `tanh` for `f32`, correctly rounded (barring the few inputs listed in
//! `tests/tanh_f32.rs`) and written so that a loop over a slice of it
//! vectorises: no branches (comparisons become selects), no calls into
//! libm, plain `*` and `+` (no `mul_add`, so the result is the same with or
//! without FMA on the target). glibc 2.36's scalar `tanhf` costs ~11 ns per
//! element and kept the f32 MLP's activations on one slow scalar path
//! (issue 17).
//!
//! Computed in f64 and rounded once to f32: with `a = |x|` and
//! `t = expm1(2a)`, `tanh a = t / (t + 2)`. Through `expm1` (not
//! `1 - 2 / (e^{2a} + 1)`) the relative error stays ~2⁻⁵² down to the
//! smallest subnormal, where `tanh x = x`. The f64 result is within
//! ~3 · 2⁻⁵³ of the exact value, so rounding it to f32 can differ from
//! rounding the exact value only where that value lies that close to the
//! midpoint between two floats.

/// `ln 2` split so that `k · LN2_HI` is exact for `k < 2²⁰` (fdlibm's).
const LN2_HI: f64 = 6.931_471_803_691_238_164_90e-1;
const LN2_LO: f64 = 1.908_214_929_270_587_700_02e-10;
const INV_LN2: f64 = std::f64::consts::LOG2_E;
/// `1.5 · 2⁵²`: adding it rounds a value below 2⁵¹ to an integer, which
/// its low mantissa bits then hold.
const SHIFTER: f64 = 6_755_399_441_055_744.0;
/// Above this `|x|` the result rounds to ±1 (it does from 9.02 up): a
/// clamp keeps `2^k` finite and turns ±inf into ±1.
const CLAMP: f64 = 10.0;
/// `q` in `expm1 r = r + r²/2 + r³ q(r)` on |r| ≤ ln2/2 (+1e-4), the
/// minimax fit of degree 9 (mpmath `chebyfit`, error 8.1e-18 in `q`, so
/// below 2⁻⁵⁹ relative to `expm1 r`); highest degree first.
const Q: [f64; 10] = [
    2.091_124_964_228_440_5e-9,
    2.510_040_371_657_669e-8,
    2.755_728_294_218_877_5e-7,
    2.755_726_842_168_261_3e-6,
    2.480_158_731_716_211e-5,
    1.984_126_986_307_828e-4,
    1.388_888_888_888_655e-3,
    8.333_333_333_330_056e-3,
    4.166_666_666_666_666_4e-2,
    1.666_666_666_666_666_9e-1,
];

/// `expm1 z` for `0 ≤ z ≤ 2 · CLAMP`, relative error ~2⁻⁵²: `z = k ln2 + r`
/// with |r| ≤ ln2/2, `expm1 z = 2^k expm1 r + (2^k − 1)`, where the
/// product by `2^k` and `2^k − 1` are exact (for `k = 0`, `r = z` and the
/// sum is `expm1 r` itself).
#[inline(always)]
fn expm1_reduced(z: f64) -> f64 {
    let big = z * INV_LN2 + SHIFTER;
    let k = big - SHIFTER;
    // Exact: `LN2_HI` (21 low zero bits) times `k ≤ 29` is a multiple of
    // 2⁻³², and so is `z` where `k ≥ 1` (an f32 doubled, at least 0.34);
    // their difference is below 1/2: 31 bits at most.
    let r = (z - k * LN2_HI) - k * LN2_LO;
    // `2^k` from the exponent bits: the low bits of `big` hold `k + 2⁵¹`,
    // and shifting by 52 drops the 2⁵¹.
    let two_k = f64::from_bits((big.to_bits() << 52).wrapping_add(1023 << 52));
    let mut q = Q[0];
    for c in &Q[1..] {
        q = q * r + c;
    }
    let p = r + r * r * (0.5 + r * q);
    two_k * p + (two_k - 1.0)
}

/// `x.tanh()`, correctly rounded but for the inputs `tests/tanh_f32.rs`
/// lists; NaN gives NaN, ±inf ±1, ±0 and subnormals themselves.
#[inline(always)]
pub fn tanh_f32(x: f32) -> f32 {
    tanh_f32_wide(x) as f32
}

/// `tanh x` in f64 before its rounding to f32, relative error below 2⁻⁵¹
/// (what `tests/tanh_f32.rs` checks of the kernel's arithmetic, which the
/// rounding to f32 hides in all but a few inputs).
#[inline(always)]
pub fn tanh_f32_wide(x: f32) -> f64 {
    let a = x.abs() as f64;
    // As a select (`minpd`): NaN stays NaN and runs through as NaN.
    let a = if a > CLAMP { CLAMP } else { a };
    let t = expm1_reduced(a + a);
    let y = t / (t + 2.0);
    f64::from_bits(y.to_bits() | ((x.to_bits() & 0x8000_0000) as u64) << 32)
}
