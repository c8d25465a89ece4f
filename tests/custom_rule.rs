//! `#[differentiable(value_and_grad = rule)]`: a hand-written derivative,
//! used by the function's own API and by differentiable callers.
use gd::differentiable;

/// log(1 + eˣ), with a rule that stays finite for large x.
fn softplus_rule(x: f64) -> (f64, f64) {
    let v = if x > 30.0 { x } else { x.exp().ln_1p() };
    (v, 1.0 / (1.0 + (-x).exp()))
}

#[differentiable(value_and_grad = softplus_rule, check(x = 0.3))]
fn softplus(x: f64) -> f64 {
    x.exp().ln_1p()
}

/// A rule with two parameters, one of them an array.
fn weighted_rule(w: &[f64], s: f64) -> (f64, (Vec<f64>, f64)) {
    let dot: f64 = w.iter().map(|v| v * v).sum();
    (s * dot, (w.iter().map(|v| 2.0 * s * v).collect(), dot))
}

#[differentiable(value_and_grad = weighted_rule)]
fn weighted(w: &[f64], s: f64) -> f64 {
    s * w.iter().map(|v| v * v).sum::<f64>()
}

/// A differentiable caller goes through the rules.
#[differentiable]
fn caller(x: f64, w: &[f64]) -> f64 {
    softplus(x * 2.0) + weighted(w, x)
}

/// A deliberately wrong rule shows that the rule, not the body, is used.
fn wrong_rule(x: f64) -> (f64, f64) {
    (x * x, 42.0)
}

#[differentiable(value_and_grad = wrong_rule)]
fn square(x: f64) -> f64 {
    x * x
}

#[test]
fn rules_are_used_by_the_api_and_by_callers() {
    assert_eq!(square::grad(3.0), 42.0);
    assert_eq!(square::jvp(3.0, 2.0), (9.0, 84.0));
    let (v, g) = softplus::value_and_grad(1000.0);
    assert_eq!((v, g), (1000.0, 1.0));
    let w = [0.5, -1.0];
    let x = 0.7;
    let (_, (gx, gw)) = caller::value_and_grad(x, &w);
    let s = 1.0 / (1.0 + (-2.0 * x).exp());
    assert!((gx - (2.0 * s + 1.25)).abs() < 1e-12, "{gx}");
    assert!((gw[0] - 2.0 * x * 0.5).abs() < 1e-12 && (gw[1] + 2.0 * x).abs() < 1e-12);
    let (_, d) = caller::jvp(x, &w, 1.0, &[0.0, 0.0]);
    assert!((d - gx).abs() < 1e-12);
}

/// log(1 + eˣ) again, with the rule's second-order part: `(value,
/// gradient, H·v)` from the point and a tangent.
fn softplus2_rule(x: f64) -> (f64, f64) {
    softplus_rule(x)
}

fn softplus2_hvp(x: f64, v: f64) -> (f64, f64, f64) {
    let (val, s) = softplus_rule(x);
    (val, s, s * (1.0 - s) * v)
}

#[differentiable(value_and_grad = softplus2_rule, hvp = softplus2_hvp)]
fn softplus2(x: f64) -> f64 {
    x.exp().ln_1p()
}

/// An array parameter beside a data one: `s · Σ wᵢ³ + k`.
fn cubes_rule(w: &[f64], s: f64, k: f64) -> (f64, (Vec<f64>, f64)) {
    let c: f64 = w.iter().map(|v| v * v * v).sum();
    (s * c + k, (w.iter().map(|v| 3.0 * s * v * v).collect(), c))
}

fn cubes_hvp(w: &[f64], s: f64, k: f64, tw: &[f64], ts: f64) -> (f64, (Vec<f64>, f64), (Vec<f64>, f64)) {
    let (val, g) = cubes_rule(w, s, k);
    let hw = w.iter().zip(tw).map(|(v, t)| 6.0 * s * v * t + 3.0 * v * v * ts).collect();
    let hs = w.iter().zip(tw).map(|(v, t)| 3.0 * v * v * t).sum();
    (val, g, (hw, hs))
}

#[differentiable(value_and_grad = cubes_rule, hvp = cubes_hvp, wrt(w, s))]
fn cubes(w: &[f64], s: f64, k: f64) -> f64 {
    s * w.iter().map(|v| v * v * v).sum::<f64>() + k
}

#[differentiable]
fn caller2(x: &[f64]) -> f64 {
    softplus2(x[0] * x[1]) * cubes(&x[1..], x[0], 0.5) + softplus2(x[2]).sin()
}

fn caller2_plain(x: &[f64]) -> f64 {
    let sp = |v: f64| v.exp().ln_1p();
    let c: f64 = x[1..].iter().map(|v| v * v * v).sum();
    sp(x[0] * x[1]) * (x[0] * c + 0.5) + sp(x[2]).sin()
}

/// Second order through rules that give it: `hvp` and `hessian` of a
/// caller against central differences of its gradient (and the gradient
/// against differences of the value); the rule's own `hvp` against the
/// hand-derived second derivative.
#[test]
fn second_order_through_hvp_rules() {
    let x = [0.7, -0.4, 0.9, 0.3];
    let (v, g) = caller2::value_and_grad(&x);
    assert_eq!(v, caller2_plain(&x));
    let h = 1e-5;
    let at = |f: &dyn Fn(&[f64]) -> Vec<f64>, i: usize, s: f64| {
        let mut y = x.to_vec();
        y[i] += s;
        f(&y)
    };
    for i in 0..4 {
        let fd = (caller2_plain(&at(&|y| y.to_vec(), i, h)) - caller2_plain(&at(&|y| y.to_vec(), i, -h))) / (2.0 * h);
        assert!((g[i] - fd).abs() < 1e-7, "gradient {i}: {} vs {fd}", g[i]);
    }
    let (hv0, hg, hess) = caller2::hessian(&x);
    assert_eq!((hv0, &hg), (v, &g));
    let grad = |y: &[f64]| caller2::grad(y);
    for j in 0..4 {
        let (up, down) = (at(&grad, j, h), at(&grad, j, -h));
        let mut e = [0.0; 4];
        e[j] = 1.0;
        let hv = caller2::hvp(&x, &e);
        for i in 0..4 {
            let fd = (up[i] - down[i]) / (2.0 * h);
            assert!((hess[(i, j)] - fd).abs() < 1e-6, "hessian ({i}, {j}): {} vs {fd}", hess[(i, j)]);
            assert!((hv[i] - hess[(i, j)]).abs() < 1e-12, "hvp vs hessian ({i}, {j})");
        }
    }
    let s = 1.0 / (1.0 + (-0.3f64).exp());
    assert!((softplus2::hvp(0.3, 2.0) - 2.0 * s * (1.0 - s)).abs() < 1e-15);
}

/// A generic float function with rules of its own (`value_and_grad =` and
/// `hvp =` generic too): each precision's copy calls the rules at its type.
fn gsoftplus_rule<F: gd::Float>(x: F) -> (F, F) {
    (x.exp().ln_1p(), F::ONE / (F::ONE + (-x).exp()))
}

fn gsoftplus_hvp<F: gd::Float>(x: F, v: F) -> (F, F, F) {
    let (val, s) = gsoftplus_rule(x);
    (val, s, s * (F::ONE - s) * v)
}

#[differentiable(value_and_grad = gsoftplus_rule, hvp = gsoftplus_hvp)]
fn gsoftplus<F: gd::Float>(x: F) -> F {
    x.exp().ln_1p()
}

#[differentiable]
fn gcaller<F: gd::Float>(x: &[F]) -> F {
    gsoftplus(x[0] * x[1]) + x[1]
}

/// Second order through a generic rule, at f64 and f32: the Hessian of
/// `softplus(a b) + b` is `σ'(ab) [b², ab; ab, a²] + σ(ab) [0, 1; 1, 0]`.
#[test]
fn generic_float_rules_second_order() {
    let (a, b) = (0.7f64, -0.4f64);
    let s = 1.0 / (1.0 + (-a * b).exp());
    let ds = s * (1.0 - s);
    let want = [[ds * b * b, ds * a * b + s], [ds * a * b + s, ds * a * a]];
    for j in 0..2 {
        let mut e = [0.0; 2];
        e[j] = 1.0;
        let hv = gcaller::hvp(&[a, b], &e);
        let hv32 = gcaller::hvp(&[a as f32, b as f32], &[e[0] as f32, e[1] as f32]);
        for i in 0..2 {
            assert!((hv[i] - want[i][j]).abs() < 1e-14, "f64 ({i}, {j}): {} vs {}", hv[i], want[i][j]);
            assert!((hv32[i] as f64 - want[i][j]).abs() < 1e-6, "f32 ({i}, {j}): {} vs {}", hv32[i], want[i][j]);
        }
    }
    let (g, g32) = (gcaller::grad(&[a, b]), gcaller::grad(&[a as f32, b as f32]));
    assert!((g[0] - s * b).abs() < 1e-15 && (g[1] - (s * a + 1.0)).abs() < 1e-15, "{g:?}");
    assert!((g32[0] as f64 - s * b).abs() < 1e-6, "{g32:?}");
}
