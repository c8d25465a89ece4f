use gd::differentiable;

#[differentiable]
fn f(xs: &[f64]) -> f64 {
    let ys = &xs[1..];
    ys[0] * xs[0]
}

fn main() {
    let _ = f(&[1.0, 2.0]);
}
