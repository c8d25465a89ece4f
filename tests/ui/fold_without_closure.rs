use gd::differentiable;

#[differentiable]
fn f(xs: &[f64]) -> f64 {
    xs.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}

fn main() {
    let _ = f(&[1.0, 2.0]);
}
