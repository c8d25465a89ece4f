use gd::differentiable;

#[differentiable]
fn f(x: f64) -> f64 {
    let v = vec![x, 2.0 * x, 3.0];
    let w = &v[1..];
    w[0]
}

fn main() {
    let _ = f(1.0);
}
