// `hessian` (or `hvp`) of a function that calls one whose derivative is a
// hand-written first-order rule: its second derivatives are not known. A
// build that uses them fails, with the error at the rule, naming the
// function and saying what to add (`hvp = ..`). `cargo check` does not
// see it (the constant is evaluated when code is generated), hence
// `tests/compile_fail_build.rs`.
use gd::differentiable;

fn softplus_rule(x: f64) -> (f64, f64) {
    (x.exp().ln_1p(), 1.0 / (1.0 + (-x).exp()))
}

#[differentiable(value_and_grad = softplus_rule)]
fn softplus(x: f64) -> f64 {
    x.exp().ln_1p()
}

#[differentiable]
fn caller(x: f64, y: f64) -> f64 {
    softplus(x * y) + y
}

fn main() {
    let _ = caller::hessian(0.5, 2.0);
}
