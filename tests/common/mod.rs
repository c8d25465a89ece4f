//! Oracles for the `#[differentiable]` correctness suite (`tests/ad_*.rs`).
//!
//! A derivative produced by the macro is accepted when it agrees with two
//! independent oracles:
//!
//! * **num-dual**: every test function has a hand-written generic copy over
//!   [`Dn`] (num-dual's scalar trait with `Primitive = f64`); evaluating it on
//!   `Dual64` seeds one coordinate at a time gives the exact gradient by
//!   forward-mode dual numbers, with no code from the macro involved;
//! * **central finite differences** on the plain function the macro keeps,
//!   step `h = cbrt(eps) * max(1, |x_i|)`;
//!
//! and when its own forward and reverse modes agree (`jvp(x, v) == grad(x) . v`
//! along random directions from a fixed seed), `value_and_grad(x).0 == f(x)`
//! bit for bit, and `value_and_grad_into` adds into its buffers.
//!
//! Layout of a test: a [`Case`] (name, plain function, generic copy, points)
//! is checked by [`Case::check_oracles`] (needs nothing from the macro, so the
//! oracles and the generic copies are validated on their own) and by
//! [`Case::check_api`] with the four generated entry points wrapped in closures
//! over one flat `&[f64]` of all active inputs, in parameter order.
//! `f32` functions use [`Case32`]: their oracles run in f64 through the same
//! kind of generic copy.
#![allow(dead_code)]

pub use num_dual::{Dual64, DualNum, DualStruct};
use rand::{Rng, SeedableRng};

/// num-dual scalar over f64, copyable: the bound of every generic copy.
pub trait Dn: DualNum<Primitive = f64> + Copy {}
impl<T: DualNum<Primitive = f64> + Copy> Dn for T {}

// ---------------------------------------------------------------------------
// Helpers for writing generic copies: what `DualNum` lacks.
// ---------------------------------------------------------------------------

/// A constant as a dual number.
#[inline]
pub fn c<D: Dn>(x: f64) -> D {
    D::from(x)
}
/// Real part.
#[inline]
pub fn re<D: Dn>(x: D) -> f64 {
    x.re()
}
/// `a.max(b)` (not at ties: the conventions file checks ties by hand).
pub fn dmax<D: Dn>(a: D, b: D) -> D {
    if a.re() >= b.re() {
        a
    } else {
        b
    }
}
pub fn dmin<D: Dn>(a: D, b: D) -> D {
    if a.re() <= b.re() {
        a
    } else {
        b
    }
}
/// `x.clamp(lo, hi)` with the gradient convention of the spec.
pub fn dclamp<D: Dn>(x: D, lo: D, hi: D) -> D {
    if x.re() < lo.re() {
        lo
    } else if x.re() > hi.re() {
        hi
    } else {
        x
    }
}
pub fn dhypot<D: Dn>(a: D, b: D) -> D {
    (a * a + b * b).sqrt()
}
/// Rust's float `%`: `a - trunc(a / b) * b`.
pub fn drem<D: Dn>(a: D, b: D) -> D {
    a - b * (a.re() / b.re()).trunc()
}
/// `abs` with derivative 0 at 0 (num-dual's gives -1 there).
pub fn dabs<D: Dn>(a: D) -> D {
    if a.re() > 0.0 {
        a
    } else if a.re() < 0.0 {
        -a
    } else {
        a * 0.0
    }
}
/// Piecewise-constant functions: value only, derivative 0.
pub fn dfloor<D: Dn>(a: D) -> D {
    c(a.re().floor())
}
pub fn dceil<D: Dn>(a: D) -> D {
    c(a.re().ceil())
}
pub fn dround<D: Dn>(a: D) -> D {
    c(a.re().round())
}
pub fn dtrunc<D: Dn>(a: D) -> D {
    c(a.re().trunc())
}
pub fn dsignum<D: Dn>(a: D) -> D {
    c(a.re().signum())
}
/// `a.powf(b)` with both active (base > 0).
pub fn dpowf<D: Dn>(a: D, b: D) -> D {
    a.powd(b)
}
/// `a.log(b)` with both active.
pub fn dlog<D: Dn>(a: D, b: D) -> D {
    a.ln() / b.ln()
}
pub fn dmul_add<D: Dn>(a: D, b: D, c_: D) -> D {
    a * b + c_
}

// ---------------------------------------------------------------------------
// The oracles.
// ---------------------------------------------------------------------------

/// Value and gradient of `f` at `x` by forward dual numbers, one seeded
/// coordinate per pass.
pub fn dual_grad(f: &dyn Fn(&[Dual64]) -> Dual64, x: &[f64]) -> (f64, Vec<f64>) {
    let mut xs: Vec<Dual64> = x.iter().map(|&v| Dual64::from_re(v)).collect();
    let value = f(&xs).re;
    let mut g = vec![0.0; x.len()];
    for i in 0..x.len() {
        xs[i].eps = 1.0;
        let y = f(&xs);
        assert_eq!(y.re.to_bits(), value.to_bits(), "generic copy is not deterministic");
        g[i] = y.eps;
        xs[i].eps = 0.0;
    }
    (value, g)
}

/// The generic copy evaluated in plain f64 (through `Dual64` with zero
/// tangent, so one closure serves both purposes).
pub fn dual_value(f: &dyn Fn(&[Dual64]) -> Dual64, x: &[f64]) -> f64 {
    let xs: Vec<Dual64> = x.iter().map(|&v| Dual64::from_re(v)).collect();
    f(&xs).re
}

/// The dot product of two slices.
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Central differences of a gradient along `t`: the oracle for `hvp`.
pub fn fd_hvp(grad: &dyn Fn(&[f64]) -> Vec<f64>, x: &[f64], t: &[f64]) -> Vec<f64> {
    let h = 1e-5;
    let at = |s: f64| grad(&x.iter().zip(t).map(|(a, b)| a + s * b).collect::<Vec<_>>());
    at(h).iter().zip(at(-h)).map(|(a, b)| (a - b) / (2.0 * h)).collect()
}

/// Central finite differences, `h = cbrt(eps) * max(1, |x_i|)`; the step
/// actually taken is `(x+h) - (x-h)` so that rounding of `x +- h` does not
/// bias the quotient.
pub fn fd_grad(f: &dyn Fn(&[f64]) -> f64, x: &[f64]) -> Vec<f64> {
    fd_grad_step(f, x, 1.0)
}

fn fd_grad_step(f: &dyn Fn(&[f64]) -> f64, x: &[f64], scale: f64) -> Vec<f64> {
    let eps_cbrt = f64::EPSILON.cbrt();
    let mut xs = x.to_vec();
    (0..x.len())
        .map(|i| {
            let h = scale * eps_cbrt * x[i].abs().max(1.0);
            let (xp, xm) = (x[i] + h, x[i] - h);
            xs[i] = xp;
            let fp = f(&xs);
            xs[i] = xm;
            let fm = f(&xs);
            xs[i] = x[i];
            (fp - fm) / (xp - xm)
        })
        .collect()
}

/// [`fd_grad`] and, per coordinate, an estimate of its own error: the
/// difference to the same quotient with twice the step (the truncation
/// error is O(h^2), so this over-estimates it ~3x). Comparisons against
/// finite differences allow this much on top of their relative tolerance, so
/// that points where the gradient vanishes but the third derivative does not
/// (e.g. a minimum) are fair.
pub fn fd_grad_err(f: &dyn Fn(&[f64]) -> f64, x: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let g = fd_grad_step(f, x, 1.0);
    let g2 = fd_grad_step(f, x, 2.0);
    let err = g.iter().zip(&g2).map(|(a, b)| (a - b).abs()).collect();
    (g, err)
}

/// Asserts `got` matches finite differences `fd` within
/// `rtol * (|fd_i| + max|fd| + |f|) + 2 * err_i` (see [`fd_grad_err`]).
pub fn assert_close_fd(what: &str, got: &[f64], fd: &(Vec<f64>, Vec<f64>), rtol: f64, fval: f64) {
    let (g, err) = fd;
    let slack: Vec<f64> = got.iter().zip(g).zip(err).map(|((a, b), e)| {
        // move `got` towards `fd` by the estimated FD error before comparing
        let d = a - b;
        b + d.signum() * (d.abs() - 2.0 * e).max(0.0)
    }).collect();
    assert_close(what, &slack, g, rtol, fval);
}

/// Central finite differences of an f32 function in f32 arithmetic,
/// `h = cbrt(eps_f32) * max(1, |x_i|)`; accurate to ~1e-3 relative at best.
pub fn fd_grad_f32(f: &dyn Fn(&[f32]) -> f32, x: &[f32]) -> Vec<f64> {
    fd_grad_f32_step(f, x, 1.0)
}

/// [`fd_grad_f32`] with the error estimate of [`fd_grad_err`].
pub fn fd_grad_f32_err(f: &dyn Fn(&[f32]) -> f32, x: &[f32]) -> (Vec<f64>, Vec<f64>) {
    let g = fd_grad_f32_step(f, x, 1.0);
    let g2 = fd_grad_f32_step(f, x, 2.0);
    let err = g.iter().zip(&g2).map(|(a, b)| (a - b).abs()).collect();
    (g, err)
}

fn fd_grad_f32_step(f: &dyn Fn(&[f32]) -> f32, x: &[f32], scale: f32) -> Vec<f64> {
    let eps_cbrt = scale * f32::EPSILON.cbrt();
    let mut xs = x.to_vec();
    (0..x.len())
        .map(|i| {
            let h = eps_cbrt * x[i].abs().max(1.0);
            let (xp, xm) = (x[i] + h, x[i] - h);
            xs[i] = xp;
            let fp = f(&xs) as f64;
            xs[i] = xm;
            let fm = f(&xs) as f64;
            xs[i] = x[i];
            (fp - fm) / (xp as f64 - xm as f64)
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Comparison.
// ---------------------------------------------------------------------------

/// Asserts `|got_i - want_i| <= rtol * (|want_i| + scale)` for every i, where
/// `scale` is `max_j |want_j|` plus `extra_scale` (e.g. |f| for finite
/// differences, whose rounding error scales with the function value). On
/// failure prints the worst coordinate and both vectors.
pub fn assert_close(what: &str, got: &[f64], want: &[f64], rtol: f64, extra_scale: f64) {
    assert_eq!(got.len(), want.len(), "{what}: lengths differ (got {}, want {})", got.len(), want.len());
    let scale = want.iter().fold(0.0f64, |m, w| m.max(w.abs())) + extra_scale.abs();
    let mut worst: Option<(usize, f64)> = None;
    for i in 0..got.len() {
        let bound = rtol * (want[i].abs() + scale) + f64::MIN_POSITIVE;
        let err = (got[i] - want[i]).abs();
        let ratio = if err.is_nan() || got[i].is_nan() != want[i].is_nan() { f64::INFINITY } else { err / bound };
        if got[i].is_nan() && want[i].is_nan() {
            continue;
        }
        if worst.map_or(true, |(_, r)| ratio > r) {
            worst = Some((i, ratio));
        }
    }
    if let Some((i, ratio)) = worst {
        if ratio > 1.0 {
            panic!(
                "{what}: mismatch, worst coordinate {i}: got {:e}, want {:e} (|diff| = {:e}, {ratio:.3e} x the tolerance rtol={rtol:e} on scale {scale:e})\n  got  = {}\n  want = {}",
                got[i],
                want[i],
                (got[i] - want[i]).abs(),
                fmt_vec(got),
                fmt_vec(want)
            );
        }
    }
}

pub fn fmt_vec(v: &[f64]) -> String {
    if v.len() <= 12 {
        format!("{v:?}")
    } else {
        format!("{:?} .. ({} entries)", &v[..12], v.len())
    }
}

/// Scalar form of [`assert_close`].
pub fn assert_close1(what: &str, got: f64, want: f64, rtol: f64) {
    assert_close(what, &[got], &[want], rtol, 0.0)
}

/// Bitwise equality (NaN equal to NaN), with a readable message.
pub fn assert_same(what: &str, got: f64, want: f64) {
    assert!(
        got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
        "{what}: got {got:e} ({:#x}), want exactly {want:e} ({:#x})",
        got.to_bits(),
        want.to_bits()
    );
}

// ---------------------------------------------------------------------------
// Points and directions.
// ---------------------------------------------------------------------------

/// `n` points of dimension `dim`, uniform in `[lo, hi)` per coordinate, from
/// a fixed seed.
pub fn rand_points(seed: u64, n: usize, dim: usize, lo: f64, hi: f64) -> Vec<Vec<f64>> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    (0..n).map(|_| (0..dim).map(|_| rng.gen_range(lo..hi)).collect()).collect()
}

/// Like [`rand_points`] with a range per coordinate.
pub fn rand_points_in(seed: u64, n: usize, ranges: &[(f64, f64)]) -> Vec<Vec<f64>> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    (0..n).map(|_| ranges.iter().map(|&(lo, hi)| rng.gen_range(lo..hi)).collect()).collect()
}

fn directions(seed: u64, dim: usize, n: usize) -> Vec<Vec<f64>> {
    rand_points(seed ^ 0x9E37_79B9_7F4A_7C15, n, dim, -1.0, 1.0)
}

// ---------------------------------------------------------------------------
// f64 cases.
// ---------------------------------------------------------------------------

/// Tolerances (relative, see [`assert_close`]).
pub const RTOL_DUAL: f64 = 1e-9;
pub const RTOL_FD: f64 = 1e-5;
pub const RTOL_JVP: f64 = 1e-10;

/// One test function: the plain function (over the flat vector of its active
/// inputs, data captured), its generic copy, and the points to check at.
pub struct Case {
    pub name: &'static str,
    pub f: Box<dyn Fn(&[f64]) -> f64>,
    pub dual: Box<dyn Fn(&[Dual64]) -> Dual64>,
    pub points: Vec<Vec<f64>>,
    /// Relative tolerance against finite differences (default [`RTOL_FD`]).
    pub rtol_fd: f64,
    /// Why finite differences of `f` are not an oracle for this function
    /// (e.g. `gd::stop_gradient`, whose plain value is the identity); `None`
    /// for every ordinary function.
    pub no_fd: Option<&'static str>,
}

/// The generated entry points, wrapped to take the flat active vector.
pub struct Api<'a> {
    pub value_and_grad: &'a dyn Fn(&[f64]) -> (f64, Vec<f64>),
    pub grad: &'a dyn Fn(&[f64]) -> Vec<f64>,
    /// `(x, tangent) -> (value, directional derivative)`.
    pub jvp: &'a dyn Fn(&[f64], &[f64]) -> (f64, f64),
    /// `(x, gradient buffer) -> value`, adding into the buffer.
    pub grad_into: &'a dyn Fn(&[f64], &mut [f64]) -> f64,
}

impl Case {
    pub fn new(
        name: &'static str,
        f: impl Fn(&[f64]) -> f64 + 'static,
        dual: impl Fn(&[Dual64]) -> Dual64 + 'static,
        points: Vec<Vec<f64>>,
    ) -> Self {
        assert!(!points.is_empty(), "{name}: no points");
        Case { name, f: Box::new(f), dual: Box::new(dual), points, rtol_fd: RTOL_FD, no_fd: None }
    }

    pub fn rtol_fd(mut self, rtol: f64) -> Self {
        self.rtol_fd = rtol;
        self
    }

    /// Skip the finite-difference oracle, saying why.
    pub fn without_fd(mut self, why: &'static str) -> Self {
        self.no_fd = Some(why);
        self
    }

    /// The oracles agree with each other and the generic copy computes the
    /// same function: needs nothing from the macro.
    pub fn check_oracles(&self) {
        for x in &self.points {
            let name = format!("{} at {}", self.name, fmt_vec(x));
            let v = (self.f)(x);
            let (dv, dg) = dual_grad(&*self.dual, x);
            assert!(v.is_finite(), "{name}: f = {v}");
            assert_close1(&format!("{name}: generic copy value vs f"), dv, v, 1e-12);
            if self.no_fd.is_none() {
                let fg = fd_grad_err(&*self.f, x);
                assert_close_fd(&format!("{name}: num-dual vs finite differences (oracle self-check)"), &dg, &fg, self.rtol_fd, v);
            }
        }
    }

    /// `check_api`, and `value_and_grad_set` (into a buffer of NaN) equal
    /// to `value_and_grad_into` (into zeros), value and gradient bit for bit.
    #[allow(dead_code)]
    pub fn check_api_set(&self, api: Api<'_>, set: &dyn Fn(&[f64], &mut [f64]) -> f64) {
        let into = api.grad_into;
        self.check_api(api);
        for v in &self.points {
            let mut gs = vec![f64::NAN; v.len()];
            let mut gi = vec![0.0; v.len()];
            assert_eq!(set(v, &mut gs), into(v, &mut gi), "{}: set against into (value)", self.name);
            assert_eq!(gs, gi, "{}: set against into", self.name);
        }
    }

    /// The macro's entry points against the oracles and against each other.
    pub fn check_api(&self, api: Api<'_>) {
        self.check_oracles();
        let mut seed = 17u64;
        for x in &self.points {
            seed += 1;
            let name = format!("{} at {}", self.name, fmt_vec(x));
            let v = (self.f)(x);
            let (v1, g) = (api.value_and_grad)(x);
            assert_same(&format!("{name}: value_and_grad().0 vs f()"), v1, v);
            assert_eq!(g.len(), x.len(), "{name}: gradient length");
            let g2 = (api.grad)(x);
            assert_close(&format!("{name}: grad() vs value_and_grad().1"), &g2, &g, 1e-13, 0.0);
            let (_, dg) = dual_grad(&*self.dual, x);
            assert_close(&format!("{name}: macro grad vs num-dual"), &g, &dg, RTOL_DUAL, 0.0);
            if self.no_fd.is_none() {
                let fg = fd_grad_err(&*self.f, x);
                assert_close_fd(&format!("{name}: macro grad vs finite differences"), &g, &fg, self.rtol_fd, v);
            }
            for d in directions(seed, x.len(), 3) {
                let (jv, jd) = (api.jvp)(x, &d);
                assert_close1(&format!("{name}: jvp().0 vs f()"), jv, v, 1e-14);
                let dot: f64 = g.iter().zip(&d).map(|(a, b)| a * b).sum();
                let mag: f64 = g.iter().zip(&d).map(|(a, b)| (a * b).abs()).sum();
                let err = (jd - dot).abs();
                assert!(
                    err <= RTOL_JVP * mag + 1e-300 || (mag == 0.0 && jd == 0.0),
                    "{name}: forward vs reverse: jvp(x, v).1 = {jd:e}, grad(x).v = {dot:e} (|diff| {err:e}, sum|g_i v_i| = {mag:e}), v = {}",
                    fmt_vec(&d)
                );
            }
            let mut buf = vec![0.0; x.len()];
            let r1 = (api.grad_into)(x, &mut buf);
            assert_same(&format!("{name}: value_and_grad_into() value vs f()"), r1, v);
            assert_close(&format!("{name}: value_and_grad_into once"), &buf, &g, 1e-13, 0.0);
            (api.grad_into)(x, &mut buf);
            let g2x: Vec<f64> = g.iter().map(|a| 2.0 * a).collect();
            assert_close(&format!("{name}: value_and_grad_into twice adds (buffer doubles)"), &buf, &g2x, 1e-13, 0.0);
        }
    }
}

// ---------------------------------------------------------------------------
// f32 cases: the oracles run in f64 through the generic copy.
// ---------------------------------------------------------------------------

pub const RTOL32: f64 = 1e-4;
pub const RTOL32_FD: f64 = 3e-3;

pub struct Case32 {
    pub name: &'static str,
    pub f: Box<dyn Fn(&[f32]) -> f32>,
    pub dual: Box<dyn Fn(&[Dual64]) -> Dual64>,
    pub points: Vec<Vec<f32>>,
    /// The function calls `tanh` (`with_tanh`): the generated code's value
    /// may differ from `f`'s by `TANH_TOL`, not only bit for bit.
    pub tanh: bool,
}

/// How far a generated value may be from the user's `f` where `f` calls
/// `tanh`, relative to the larger of 1 and the values (8 ulps of 1.0): the
/// generated code evaluates `tanh` with the crate's correctly rounded
/// kernel (`gd::__private::math`) where glibc's `tanhf` is one ulp off at
/// ~3 % of inputs, and that ulp travels through the rest of the function,
/// at the scale of its terms: 16 ulps of fz21's value 0.027, a sum of
/// larger terms.
pub const TANH_TOL: f32 = 1.0 / (1 << 20) as f32;

/// Whether two f32 values are the same bit for bit or, for a case that
/// calls `tanh`, within `TANH_TOL`.
pub fn same_value32(a: f32, b: f32, tanh: bool) -> bool {
    a.to_bits() == b.to_bits() || (tanh && (a - b).abs() <= TANH_TOL * a.abs().max(b.abs()).max(1.0))
}

pub struct Api32<'a> {
    pub value_and_grad: &'a dyn Fn(&[f32]) -> (f32, Vec<f32>),
    pub grad: &'a dyn Fn(&[f32]) -> Vec<f32>,
    pub jvp: &'a dyn Fn(&[f32], &[f32]) -> (f32, f32),
    pub grad_into: &'a dyn Fn(&[f32], &mut [f32]) -> f32,
}

fn widen(x: &[f32]) -> Vec<f64> {
    x.iter().map(|&v| v as f64).collect()
}

impl Case32 {
    pub fn new(
        name: &'static str,
        f: impl Fn(&[f32]) -> f32 + 'static,
        dual: impl Fn(&[Dual64]) -> Dual64 + 'static,
        points: Vec<Vec<f64>>,
    ) -> Self {
        assert!(!points.is_empty(), "{name}: no points");
        let points = points.iter().map(|p| p.iter().map(|&v| v as f32).collect()).collect();
        Case32 { name, f: Box::new(f), dual: Box::new(dual), points, tanh: false }
    }

    /// The function calls `tanh` (see `TANH_TOL`).
    pub fn with_tanh(mut self) -> Self {
        self.tanh = true;
        self
    }

    pub fn check_oracles(&self) {
        for x in &self.points {
            let name = format!("{} (f32) at {x:?}", self.name);
            let x64 = widen(x);
            let v = (self.f)(x);
            let (dv, dg) = dual_grad(&*self.dual, &x64);
            assert!(v.is_finite(), "{name}: f = {v}");
            assert_close1(&format!("{name}: generic copy value (f64) vs f (f32)"), v as f64, dv, RTOL32);
            let fg64 = fd_grad_err(&|y: &[f64]| dual_value(&*self.dual, y), &x64);
            assert_close_fd(&format!("{name}: num-dual vs f64 finite differences of the generic copy"), &dg, &fg64, RTOL_FD, dv);
            let fg32 = fd_grad_f32_err(&*self.f, x);
            assert_close_fd(&format!("{name}: num-dual vs f32 finite differences of f"), &dg, &fg32, RTOL32_FD, dv);
        }
    }

    pub fn check_api(&self, api: Api32<'_>) {
        self.check_oracles();
        let mut seed = 33u64;
        for x in &self.points {
            seed += 1;
            let name = format!("{} (f32) at {x:?}", self.name);
            let x64 = widen(x);
            let v = (self.f)(x);
            let (v1, g) = (api.value_and_grad)(x);
            assert!(same_value32(v1, v, self.tanh), "{name}: value_and_grad().0 = {v1:e}, f() = {v:e}: not identical");
            assert_eq!(g.len(), x.len(), "{name}: gradient length");
            let g64 = widen(&g);
            let g2 = (api.grad)(x);
            assert_close(&format!("{name}: grad() vs value_and_grad().1"), &widen(&g2), &g64, 1e-6, 0.0);
            let (dv, dg) = dual_grad(&*self.dual, &x64);
            assert_close(&format!("{name}: macro grad (f32) vs num-dual (f64)"), &g64, &dg, RTOL32, 0.0);
            let fg64 = fd_grad_err(&|y: &[f64]| dual_value(&*self.dual, y), &x64);
            assert_close_fd(&format!("{name}: macro grad (f32) vs f64 finite differences of the generic copy"), &g64, &fg64, RTOL32, dv);
            let fg32 = fd_grad_f32_err(&*self.f, x);
            assert_close_fd(&format!("{name}: macro grad (f32) vs f32 finite differences"), &g64, &fg32, RTOL32_FD, dv);
            for d in directions(seed, x.len(), 3) {
                let d32: Vec<f32> = d.iter().map(|&a| a as f32).collect();
                let (jv, jd) = (api.jvp)(x, &d32);
                assert_close1(&format!("{name}: jvp().0 vs f()"), jv as f64, v as f64, 1e-6);
                let dot: f64 = g64.iter().zip(&d32).map(|(a, &b)| a * b as f64).sum();
                let mag: f64 = g64.iter().zip(&d32).map(|(a, &b)| (a * b as f64).abs()).sum();
                let err = (jd as f64 - dot).abs();
                assert!(
                    err <= RTOL32 * mag + 1e-30,
                    "{name}: forward vs reverse: jvp(x, v).1 = {jd:e}, grad(x).v = {dot:e} (|diff| {err:e}, sum|g_i v_i| = {mag:e})"
                );
            }
            let mut buf = vec![0.0f32; x.len()];
            let r1 = (api.grad_into)(x, &mut buf);
            assert!(same_value32(r1, v, self.tanh), "{name}: value_and_grad_into() = {r1:e}, f() = {v:e}");
            assert_close(&format!("{name}: value_and_grad_into once"), &widen(&buf), &g64, 1e-6, 0.0);
            (api.grad_into)(x, &mut buf);
            let g2x: Vec<f64> = g64.iter().map(|a| 2.0 * a).collect();
            assert_close(&format!("{name}: value_and_grad_into twice adds (buffer doubles)"), &widen(&buf), &g2x, 1e-6, 0.0);
        }
    }
}

// ---------------------------------------------------------------------------
// Wrappers of the generated API for common signatures.
// ---------------------------------------------------------------------------

/// `slice_cases!(lo, hi; f, f_d, seed, dim; ..)` for functions of one
/// slice `f` with generic copies `f_d`: `fn cases()`, each at four random
/// points of `dim` entries in `[lo, hi)`, the test `oracles_agree`, and
/// `fn check_all_api()`, which runs `check_api_set` on each.
#[allow(unused_macros)]
macro_rules! slice_cases {
    ($lo:expr, $hi:expr; $($f:ident, $f_d:ident, $seed:expr, $dim:expr);+ $(;)?) => {
        fn cases() -> Vec<crate::common::Case> {
            vec![$(crate::common::Case::new(stringify!($f), |v| $f(v), |v| $f_d(v), crate::common::rand_points($seed, 4, $dim, $lo, $hi))),+]
        }
        #[test]
        fn oracles_agree() {
            for case in cases() {
                case.check_oracles();
            }
        }
        #[cfg(not(gd_oracles_only))]
        fn check_all_api() {
            let sets: Vec<&dyn Fn(&[f64], &mut [f64]) -> f64> = vec![$(&$f::value_and_grad_set),+];
            let apis = vec![$(api_slice!($f)),+];
            for ((case, api), set) in cases().into_iter().zip(apis).zip(sets) {
                case.check_api_set(api, set);
            }
        }
    };
}

/// `check_second` for `fn f(x: &[f64]) -> f64` (`f::hvp`, `f::hessian`)
/// against hyper-duals through its generic copy `f_d`, at `points`.
#[allow(unused_macros)]
macro_rules! second_slice {
    ($f:ident, $f_d:ident, $points:expr) => {
        crate::common::check_second(
            stringify!($f),
            &$points,
            &|v| $f_d(v),
            &|v| $f::value_and_grad(v),
            &|v, t| $f::hvp(v, t),
            &|v| {
                let (val, g, h) = $f::hessian(v);
                (val, g, h.iter().copied().collect())
            },
        )
    };
}

/// `api_slice!(f)` for `fn f(x: &[F]) -> F` (one active slice parameter;
/// also fine for `&Vec<F>` when the closure argument is converted by the
/// caller, see the tests).
#[allow(unused_macros)]
macro_rules! api_slice {
    ($f:ident) => {
        crate::common::Api {
            value_and_grad: &|x| {
                let (v, g): (f64, Vec<f64>) = $f::value_and_grad(x);
                (v, g)
            },
            grad: &|x| {
                let g: Vec<f64> = $f::grad(x);
                g
            },
            jvp: &|x, t| $f::jvp(x, t),
            grad_into: &|x, g| $f::value_and_grad_into(x, g),
        }
    };
}

/// `api_scalars!(f; 3)` for `fn f(a: f64, b: f64, c: f64) -> f64`, all active.
#[allow(unused_macros)]
macro_rules! api_scalars {
    ($f:ident; 1) => {
        crate::common::Api {
            value_and_grad: &|x| {
                let (v, g): (f64, f64) = $f::value_and_grad(x[0]);
                (v, vec![g])
            },
            grad: &|x| {
                let g: f64 = $f::grad(x[0]);
                vec![g]
            },
            jvp: &|x, t| $f::jvp(x[0], t[0]),
            grad_into: &|x, g| $f::value_and_grad_into(x[0], &mut g[0]),
        }
    };
    ($f:ident; 2) => {
        crate::common::Api {
            value_and_grad: &|x| {
                let (v, (g0, g1)): (f64, (f64, f64)) = $f::value_and_grad(x[0], x[1]);
                (v, vec![g0, g1])
            },
            grad: &|x| {
                let (g0, g1): (f64, f64) = $f::grad(x[0], x[1]);
                vec![g0, g1]
            },
            jvp: &|x, t| $f::jvp(x[0], x[1], t[0], t[1]),
            grad_into: &|x, g| {
                let (g0, g1) = g.split_at_mut(1);
                $f::value_and_grad_into(x[0], x[1], &mut g0[0], &mut g1[0])
            },
        }
    };
    ($f:ident; 3) => {
        crate::common::Api {
            value_and_grad: &|x| {
                let (v, (g0, g1, g2)): (f64, (f64, f64, f64)) = $f::value_and_grad(x[0], x[1], x[2]);
                (v, vec![g0, g1, g2])
            },
            grad: &|x| {
                let (g0, g1, g2): (f64, f64, f64) = $f::grad(x[0], x[1], x[2]);
                vec![g0, g1, g2]
            },
            jvp: &|x, t| $f::jvp(x[0], x[1], x[2], t[0], t[1], t[2]),
            grad_into: &|x, g| {
                let (g0, rest) = g.split_at_mut(1);
                let (g1, g2) = rest.split_at_mut(1);
                $f::value_and_grad_into(x[0], x[1], x[2], &mut g0[0], &mut g1[0], &mut g2[0])
            },
        }
    };
}

/// f32 versions of the wrappers above.
#[allow(unused_macros)]
macro_rules! api32_slice {
    ($f:ident) => {
        crate::common::Api32 {
            value_and_grad: &|x| {
                let (v, g): (f32, Vec<f32>) = $f::value_and_grad(x);
                (v, g)
            },
            grad: &|x| {
                let g: Vec<f32> = $f::grad(x);
                g
            },
            jvp: &|x, t| $f::jvp(x, t),
            grad_into: &|x, g| $f::value_and_grad_into(x, g),
        }
    };
}

#[allow(unused_macros)]
macro_rules! api32_scalars {
    ($f:ident; 1) => {
        crate::common::Api32 {
            value_and_grad: &|x| {
                let (v, g): (f32, f32) = $f::value_and_grad(x[0]);
                (v, vec![g])
            },
            grad: &|x| {
                let g: f32 = $f::grad(x[0]);
                vec![g]
            },
            jvp: &|x, t| $f::jvp(x[0], t[0]),
            grad_into: &|x, g| $f::value_and_grad_into(x[0], &mut g[0]),
        }
    };
    ($f:ident; 2) => {
        crate::common::Api32 {
            value_and_grad: &|x| {
                let (v, (g0, g1)): (f32, (f32, f32)) = $f::value_and_grad(x[0], x[1]);
                (v, vec![g0, g1])
            },
            grad: &|x| {
                let (g0, g1): (f32, f32) = $f::grad(x[0], x[1]);
                vec![g0, g1]
            },
            jvp: &|x, t| $f::jvp(x[0], x[1], t[0], t[1]),
            grad_into: &|x, g| {
                let (g0, g1) = g.split_at_mut(1);
                $f::value_and_grad_into(x[0], x[1], &mut g0[0], &mut g1[0])
            },
        }
    };
}

// ---------------------------------------------------------------------------
// Second order: `f::hvp` and `f::hessian` against hyper-dual numbers.
// ---------------------------------------------------------------------------

pub use num_dual::HyperDual64;

/// `H v` by hyper-dual numbers through the generic copy: coordinate i is the
/// eps1·eps2 part of f(x + eps1 e_i + eps2 v).
pub fn hyperdual_hvp(f: &dyn Fn(&[HyperDual64]) -> HyperDual64, x: &[f64], v: &[f64]) -> Vec<f64> {
    (0..x.len())
        .map(|i| {
            let xs: Vec<HyperDual64> =
                x.iter().zip(v).enumerate().map(|(j, (&a, &b))| HyperDual64::new(a, if i == j { 1.0 } else { 0.0 }, b, 0.0)).collect();
            f(&xs).eps1eps2
        })
        .collect()
}

/// Checks `hvp(x, v)` (flat) against hyper-dual numbers along random
/// directions, and `hessian(x)` (flat, column-major, with value and
/// gradient) against the hyper-dual Hessian, its own symmetry, `hvp` along
/// unit vectors, and the first-order gradient `grad`.
pub fn check_second(
    name: &str,
    points: &[Vec<f64>],
    dual2: &dyn Fn(&[HyperDual64]) -> HyperDual64,
    grad: &dyn Fn(&[f64]) -> (f64, Vec<f64>),
    hvp: &dyn Fn(&[f64], &[f64]) -> Vec<f64>,
    hessian: &dyn Fn(&[f64]) -> (f64, Vec<f64>, Vec<f64>),
) {
    let mut seed = 7u64;
    for x in points {
        seed += 1;
        let n = x.len();
        let name = format!("{name} at {}", fmt_vec(x));
        for d in directions(seed, n, 2) {
            let want = hyperdual_hvp(dual2, x, &d);
            assert_close(&format!("{name}: hvp vs hyper-dual"), &hvp(x, &d), &want, 1e-8, 0.0);
        }
        let cols: Vec<Vec<f64>> = (0..n)
            .map(|j| {
                let e: Vec<f64> = (0..n).map(|i| if i == j { 1.0 } else { 0.0 }).collect();
                hyperdual_hvp(dual2, x, &e)
            })
            .collect();
        let want_h: Vec<f64> = cols.concat();
        let (v, g, h) = hessian(x);
        let (v1, g1) = grad(x);
        // not bit for bit: the dual sweep evaluates mul_add unfused (an ulp
        // per mul_add, more after cancellation)
        assert_close(&format!("{name}: hessian().0 vs value_and_grad().0"), &[v], &[v1], 1e-13, 1.0);
        assert_close(&format!("{name}: hessian().1 vs value_and_grad().1"), &g, &g1, 1e-13, 0.0);
        assert_close(&format!("{name}: hessian vs hyper-dual (column-major)"), &h, &want_h, 1e-8, 0.0);
        let scale = h.iter().fold(0.0f64, |m, a| m.max(a.abs()));
        for i in 0..n {
            for j in 0..i {
                let (a, b) = (h[j * n + i], h[i * n + j]);
                assert!((a - b).abs() <= 1e-10 * (scale + 1e-300), "{name}: hessian not symmetric at ({i}, {j}): {a:e} vs {b:e}");
            }
            let e: Vec<f64> = (0..n).map(|k| if k == i { 1.0 } else { 0.0 }).collect();
            assert_close(&format!("{name}: hessian column {i} vs hvp(x, e_{i})"), &h[i * n..(i + 1) * n], &hvp(x, &e), 1e-13, 0.0);
        }
    }
}

/// The hand-written value and gradient of the three-piece function the
/// branch-free `if` tests differentiate (linear, quadratic, `4√v − 3`),
/// shared by `ad_branchless.rs` and `ad_chunked.rs`.
pub fn piecewise_sqrt_hand(x: &[f64]) -> (f64, Vec<f64>) {
    let mut s = 0.0;
    let g = x
        .iter()
        .map(|&v| {
            let (f, d) = if v < -1.0 {
                (-2.0 * v - 1.0, -2.0)
            } else if v < 1.0 {
                (v * v, 2.0 * v)
            } else {
                (4.0 * v.sqrt() - 3.0, 2.0 / v.sqrt())
            };
            s += f;
            d
        })
        .collect();
    (s, g)
}
