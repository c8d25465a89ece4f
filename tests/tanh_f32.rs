//! The f32 `tanh` kernel of the generated code (`gd::__private::math`)
//! against a reference: glibc's f64 `tanh` rounded to f32, which is the
//! correctly rounded result wherever that f64 value lies farther than
//! 2⁻⁵⁰ (relative) from the midpoint between two f32s and is itself within
//! 2⁻⁵⁰ of the exact value (a few f64 ulps; where it were not, and crossed
//! a midpoint, the independent kernel would have to err the same way for
//! the exhaustive test to pass). Nearer to a midpoint the correctly
//! rounded value was found with mpmath at 200 bits
//! (`scripts/tanh_f32_midpoints.py`) and is listed in `MIDPOINTS`.
//!
//! The fast tests run in the default suite; the exhaustive one over all
//! 2³² inputs (5 min on this project's 2 cores, under load) is `#[ignore]`d:
//!
//! ```text
//! cargo test -p gd --test tanh_f32 -- --ignored --nocapture
//! ```
//!
//! It found the kernel correctly rounded for every f32 input, and counts
//! how often glibc 2.36's `tanhf` is not (README, "Supported language").

use gd::__private::math::{tanh_f32, tanh_f32_wide};

/// The f32 inputs (by bits, positive; their negatives mirror them) whose
/// tanh lies within 2⁻⁵⁰ of an f32 midpoint, with the correctly rounded
/// result (mpmath, 200 bits). The exhaustive test checks that the list is
/// complete.
const MIDPOINTS: [(u32, u32); 1] = [(0x3ac3_7de2, 0x3ac3_7dd9)];

/// The correctly rounded `tanh x`, or `None` (with `x` not in `MIDPOINTS`)
/// where the reference cannot tell; NaN for NaN.
fn reference(x: f32) -> Option<f32> {
    if let Some(&(_, y)) = MIDPOINTS.iter().find(|(b, _)| *b == x.abs().to_bits()) {
        return Some(f32::from_bits(y).copysign(x));
    }
    (!near_midpoint(x)).then(|| (x as f64).tanh() as f32)
}

/// Whether glibc's f64 `tanh x` lies within 2⁻⁵⁰ of the midpoint between
/// the f32 it rounds to and that f32's neighbour on its side.
fn near_midpoint(x: f32) -> bool {
    let r = (x as f64).tanh();
    let c = r as f32;
    if !r.is_finite() || r == c as f64 {
        return false;
    }
    // The neighbour of `c` on the side of `r`: one step up in magnitude
    // where |r| > |c|, down otherwise (c is never 0 here: |r| ≥ |x|/2).
    let up = (r.abs() > (c as f64).abs()) as u32;
    let n = f32::from_bits(c.to_bits() + up - (1 - up));
    let mid = (c as f64 + n as f64) / 2.0;
    (r - mid).abs() < r.abs() * 2f64.powi(-50)
}

/// Ours against the reference, bit for bit (NaN: any NaN), and below 9
/// (where the result is not ±1) its f64 value before rounding within 2⁻⁵⁰
/// of glibc's f64 `tanh` (at the input where they differ most, 2⁻⁵⁰·⁵,
/// mpmath puts both within 2⁻⁵¹·⁴ of the exact value): an error in the
/// kernel's arithmetic shows there long before it changes a rounded
/// result. The message names the input.
fn check(x: f32) {
    if x.abs() < 9.0 {
        let (w, r) = (tanh_f32_wide(x), (x as f64).tanh());
        assert!((w - r).abs() <= r.abs() * 2f64.powi(-50), "tanh({x:e}) [{:#010x}] in f64: kernel {w:e}, glibc {r:e}", x.to_bits());
    }
    let y = tanh_f32(x);
    let want = reference(x).unwrap_or_else(|| panic!("tanh({x:e}) [{:#010x}] lies near an f32 midpoint and is not in MIDPOINTS", x.to_bits()));
    let same = y.to_bits() == want.to_bits() || (y.is_nan() && want.is_nan());
    assert!(same, "tanh({x:e}) [{:#010x}]: kernel {y:e} [{:#010x}], correctly rounded {want:e} [{:#010x}]", x.to_bits(), y.to_bits(), want.to_bits());
}

#[test]
fn special_values() {
    for nan in [f32::NAN, -f32::NAN, f32::from_bits(0x7f80_0001), f32::from_bits(0xffc0_1234), f32::from_bits(0x7fff_ffff)] {
        assert!(tanh_f32(nan).is_nan(), "{:#010x}", nan.to_bits());
    }
    assert_eq!(tanh_f32(f32::INFINITY), 1.0);
    assert_eq!(tanh_f32(f32::NEG_INFINITY), -1.0);
    assert_eq!(tanh_f32(0.0).to_bits(), 0.0f32.to_bits());
    assert_eq!(tanh_f32(-0.0).to_bits(), (-0.0f32).to_bits());
    assert_eq!(tanh_f32(f32::MAX), 1.0);
    assert_eq!(tanh_f32(f32::MIN), -1.0);
    // Subnormals and the smallest normals: tanh x rounds to x.
    for b in (1..0x0100_0000u32).step_by(4099).chain([1, 2, 0x007f_ffff, 0x0080_0000]) {
        for x in [f32::from_bits(b), -f32::from_bits(b)] {
            assert_eq!(tanh_f32(x).to_bits(), x.to_bits(), "{x:e}");
        }
    }
    // Where the result becomes ±1 (between 9.01 and 9.02), at the clamp
    // (10), and at the large and small ends of each branch of the
    // reduction (k = 0 below ln2/4, 1 above).
    let edges = [9.010913, 9.011, 9.02, 9.999999, 10.0, 10.000001, 20.0, 0.17328679, 0.1732868, 0.5198604, 0.34657359, 1e-4, 2f32.powi(-12), 2f32.powi(-13)];
    for e in edges {
        let b = e.to_bits();
        for b in b - 64..b + 64 {
            check(f32::from_bits(b));
            check(-f32::from_bits(b));
        }
    }
    for (b, _) in MIDPOINTS {
        check(f32::from_bits(b));
        check(-f32::from_bits(b));
    }
}

/// ~4.2 million inputs spread over all bit patterns (both signs, every
/// binade, NaNs and infinities), plus every input in a window of the
/// binades where the result is neither `x` nor ±1.
#[test]
fn spread_inputs_are_correctly_rounded() {
    let mut b = 0u32;
    loop {
        check(f32::from_bits(b));
        match b.checked_add(1021) {
            Some(n) => b = n,
            None => break,
        }
    }
    for e in -13..4 {
        let x0 = 2f32.powi(e).to_bits();
        for b in (x0..x0 + (1 << 23)).step_by(97) {
            check(f32::from_bits(b));
        }
    }
}

/// Every f32 input: the kernel is correctly rounded, `MIDPOINTS` is
/// complete, and the counts of glibc's `tanhf` (std's `f32::tanh`) results
/// that are not correctly rounded and that differ from the kernel's.
#[test]
#[ignore = "all 2^32 inputs: 5 min on 2 cores"]
fn exhaustive() {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()) as u64;
    let chunk = (1u64 << 32) / threads;
    let counts: Vec<(u64, u64, u64)> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..threads)
            .map(|i| {
                s.spawn(move || {
                    let (mut near, mut glibc_wrong, mut glibc_differs) = (0, 0, 0);
                    let end = if i + 1 == threads { 1u64 << 32 } else { (i + 1) * chunk };
                    for b in i * chunk..end {
                        let x = f32::from_bits(b as u32);
                        if near_midpoint(x) {
                            near += 1;
                        }
                        check(x);
                        let (g, y) = (x.tanh(), tanh_f32(x));
                        if x.is_nan() {
                            continue;
                        }
                        glibc_wrong += (g.to_bits() != reference(x).unwrap().to_bits()) as u64;
                        glibc_differs += (g.to_bits() != y.to_bits()) as u64;
                    }
                    (near, glibc_wrong, glibc_differs)
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let sum = |f: fn(&(u64, u64, u64)) -> u64| counts.iter().map(f).sum::<u64>();
    let (near, glibc_wrong, glibc_differs) = (sum(|c| c.0), sum(|c| c.1), sum(|c| c.2));
    println!("all 2^32 inputs: kernel correctly rounded; {near} near an f32 midpoint (MIDPOINTS, both signs)");
    println!("glibc tanhf (std f32::tanh): {glibc_wrong} results not correctly rounded, {glibc_differs} differ from the kernel's");
    assert_eq!(near, 2 * MIDPOINTS.len() as u64, "MIDPOINTS lists every input near a midpoint");
}
