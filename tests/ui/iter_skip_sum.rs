use gd::differentiable;

#[differentiable]
fn f(xs: &[f64]) -> f64 {
    xs.iter().skip(1).sum::<f64>()
}

fn main() {
    let _ = f(&[1.0, 2.0]);
}
