//! Power-of-two factors carried along adjoint chains (`plan::pow2`):
//! `√(d² + c)`'s `0.5` and `2` cancel when the macro runs. The spellings of
//! the same total variation (windows, a `for` loop with `d * d`, `powi`,
//! `hypot`), chains through literal powers of two (`2.0 * x`, `x / 4.0`,
//! `0.25 * ..`), `sqrt(sqrt(..))`, a square read twice (not private: the
//! factor is printed at the operand), each against a hand-derived gradient
//! and central differences, through `value_and_grad`, `_into` and `_set`.
use gd::differentiable;

#[differentiable]
fn tv_windows(x: &[f64]) -> f64 {
    x.windows(2).map(|w| ((w[1] - w[0]).powi(2) + 0.01).sqrt()).sum::<f64>()
}

#[differentiable]
fn tv_for(x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for i in 0..n - 1 {
        let d = x[i + 1] - x[i];
        s += (d * d + 0.01).sqrt();
    }
    s
}

#[differentiable]
fn tv_hypot(x: &[f64]) -> f64 {
    x.windows(2).map(|w| (w[1] - w[0]).hypot(0.1)).sum::<f64>()
}

/// The total variation's gradient: `d_k / r_k` flows to `x[k + 1]` and
/// away from `x[k]`.
fn tv_hand(x: &[f64]) -> Vec<f64> {
    let mut g = vec![0.0; x.len()];
    for k in 0..x.len() - 1 {
        let d = x[k + 1] - x[k];
        let q = d / (d * d + 0.01).sqrt();
        g[k + 1] += q;
        g[k] -= q;
    }
    g
}

/// Literal powers of two along the chain: `√(2 x)` carries `0.5 · 2`,
/// `(x / 4)²` carries `2 / 4`, `0.25 · √√(..)` a quarter and two halves.
#[differentiable]
fn lits(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        let a = (2.0 * x[i] + 3.0).sqrt();
        let b = (x[i] / 4.0).powi(2);
        let c = 0.25 * ((x[i] * x[i] + 1.0).sqrt() + 1.0).sqrt();
        s += a + b + c;
    }
    s
}

fn lits_hand(x: &[f64]) -> Vec<f64> {
    x.iter()
        .map(|&v| {
            let a = 1.0 / (2.0 * v + 3.0).sqrt();
            let b = v / 8.0;
            let r = (v * v + 1.0).sqrt();
            let c = 0.25 * 0.5 / (r + 1.0).sqrt() * (v / r);
            a + b + c
        })
        .collect()
}

/// `d` read by its square and again (not private), a square's result read
/// twice, and a scaled chain ending in the loop's sum.
#[differentiable]
fn shared(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        let d = x[i + 1] - x[i];
        let p = d * d;
        let r = (p + 1.0).sqrt();
        s += r + 3.0 * d + p * 0.5;
    }
    s
}

fn shared_hand(x: &[f64]) -> Vec<f64> {
    let mut g = vec![0.0; x.len()];
    for k in 0..x.len() - 1 {
        let d = x[k + 1] - x[k];
        let q = d / (d * d + 1.0).sqrt() + 3.0 + d;
        g[k + 1] += q;
        g[k] -= q;
    }
    g
}

/// A scalar chain: `√(√(y)²·4)` through a literal power and a root.
#[differentiable]
fn scalar_chain(y: f64) -> f64 {
    let a = (y * y + 2.0).sqrt();
    let b = (4.0 * a).sqrt();
    (b / 2.0).powi(2) + b
}

fn scalar_chain_hand(y: f64) -> f64 {
    // (b/2)² = a, so f = a + 2 √a.
    let a = (y * y + 2.0).sqrt();
    let da = y / a;
    da + da / a.sqrt()
}

fn central(f: &dyn Fn(&[f64]) -> f64, x: &[f64]) -> Vec<f64> {
    (0..x.len())
        .map(|i| {
            let h = 1e-6 * (1.0 + x[i].abs());
            let (mut p, mut m) = (x.to_vec(), x.to_vec());
            p[i] += h;
            m[i] -= h;
            (f(&p) - f(&m)) / (2.0 * h)
        })
        .collect()
}

fn close(what: &str, a: &[f64], b: &[f64], tol: f64) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (i, (u, v)) in a.iter().zip(b).enumerate() {
        assert!((u - v).abs() <= tol * (1.0 + v.abs()), "{what}: element {i}: {u} against {v}");
    }
}

fn data(n: usize) -> Vec<f64> {
    (0..n).map(|i| (i as f64 * 1.37).sin() * 0.8 + 0.05 * i as f64).collect()
}

type Vag = fn(&[f64]) -> (f64, Vec<f64>);
type Into = fn(&[f64], &mut [f64]) -> f64;

fn check(name: &str, f: fn(&[f64]) -> f64, vag: Vag, into: Into, set: Into, hand: fn(&[f64]) -> Vec<f64>) {
    for n in [2usize, 3, 8, 33] {
        let x = data(n);
        let (v, g) = vag(&x);
        assert_eq!(v, f(&x), "{name} n = {n}: value");
        close(&format!("{name} n = {n}: hand"), &g, &hand(&x), 1e-14);
        close(&format!("{name} n = {n}: central differences"), &g, &central(&|x| f(x), &x), 1e-7);
        let mut gi = vec![0.0; n];
        assert_eq!(into(&x, &mut gi), v);
        let mut gs = vec![f64::NAN; n];
        assert_eq!(set(&x, &mut gs), v);
        assert_eq!(gi, gs, "{name} n = {n}: _set against _into");
        close(&format!("{name} n = {n}: _into against value_and_grad"), &gi, &g, 1e-15);
    }
}

#[test]
fn total_variation_spellings() {
    check("tv_windows", tv_windows, tv_windows::value_and_grad, tv_windows::value_and_grad_into, tv_windows::value_and_grad_set, tv_hand);
    check("tv_for", tv_for, tv_for::value_and_grad, tv_for::value_and_grad_into, tv_for::value_and_grad_set, tv_hand);
}

#[test]
fn total_variation_hypot() {
    let hand = |x: &[f64]| {
        let mut g = vec![0.0; x.len()];
        for k in 0..x.len() - 1 {
            let d = x[k + 1] - x[k];
            let q = d / d.hypot(0.1);
            g[k + 1] += q;
            g[k] -= q;
        }
        g
    };
    check("tv_hypot", tv_hypot, tv_hypot::value_and_grad, tv_hypot::value_and_grad_into, tv_hypot::value_and_grad_set, hand);
}

#[test]
fn literal_powers_of_two() {
    check("lits", lits, lits::value_and_grad, lits::value_and_grad_into, lits::value_and_grad_set, lits_hand);
}

#[test]
fn shared_operands() {
    check("shared", shared, shared::value_and_grad, shared::value_and_grad_into, shared::value_and_grad_set, shared_hand);
}

#[test]
fn scalar_chains() {
    for y in [-2.0, -0.3, 0.0, 0.7, 3.0] {
        let (v, g) = scalar_chain::value_and_grad(y);
        assert_eq!(v, scalar_chain(y));
        let h = scalar_chain_hand(y);
        assert!((g - h).abs() <= 1e-14 * (1.0 + h.abs()), "y = {y}: {g} against {h}");
        let c = (scalar_chain(y + 1e-6) - scalar_chain(y - 1e-6)) / 2e-6;
        assert!((g - c).abs() <= 1e-7 * (1.0 + c.abs()), "y = {y}: {g} against central {c}");
    }
}

/// A sum of squares (`x * x`'s doubling applied to the sum's adjoint, the
/// same on every trip) under a root: `normalise`'s first pass.
#[differentiable]
fn norm(x: &[f64]) -> f64 {
    x.iter().map(|v| v * v).sum::<f64>().sqrt()
}

#[test]
fn norm_of_squares() {
    let hand = |x: &[f64]| {
        let r = x.iter().map(|v| v * v).sum::<f64>().sqrt();
        x.iter().map(|v| v / r).collect::<Vec<f64>>()
    };
    check("norm", norm, norm::value_and_grad, norm::value_and_grad_into, norm::value_and_grad_set, hand);
}
