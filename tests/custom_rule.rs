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

#[test]
#[should_panic(expected = "second derivatives")]
fn second_derivatives_through_a_rule_say_why_they_are_missing() {
    let _ = caller::hessian(0.7, &[0.5, -1.0]);
}
