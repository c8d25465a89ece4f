// A hand-written rule without a second-order part (`hvp = ..`) serves every
// first-order use, by itself and through callers; nothing in the build
// asks for its second derivatives, so it builds (compare
// `custom_rule_hessian_without_hvp_rule`).
use gd::differentiable;

fn softplus_rule(x: f64) -> (f64, f64) {
    (x.exp().ln_1p(), 1.0 / (1.0 + (-x).exp()))
}

#[differentiable(value_and_grad = softplus_rule)]
pub fn softplus(x: f64) -> f64 {
    x.exp().ln_1p()
}

#[differentiable]
pub fn caller(x: f64, y: f64) -> f64 {
    softplus(x * y) + y
}

fn main() {
    let (_, (gx, gy)) = caller::value_and_grad(0.5, 2.0);
    let s = 1.0 / (1.0 + (-1.0f64).exp());
    assert!((gx - 2.0 * s).abs() < 1e-12 && (gy - (0.5 * s + 1.0)).abs() < 1e-12);
    assert!((caller::jvp(0.5, 2.0, 1.0, 0.0).1 - gx).abs() < 1e-12);
}
