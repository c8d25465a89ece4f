use gd::differentiable;

fn larger(a: f64, b: f64) -> f64 {
    if a > b { a } else { b }
}

#[differentiable]
fn f(xs: &[f64]) -> f64 {
    // A float method (`f64::max`) stands for its closure; other names do not.
    xs.iter().copied().fold(f64::NEG_INFINITY, larger)
}

fn main() {
    let _ = f(&[1.0, 2.0]);
}
