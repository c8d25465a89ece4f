use gd::differentiable;

#[differentiable]
fn f(x: f64) -> f64 {
    let mut v = vec![x, 2.0 * x];
    v.reverse();
    v[0]
}

fn main() {
    let _ = f(1.0);
}
