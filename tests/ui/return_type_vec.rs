use gd::differentiable;

#[differentiable]
fn f(x: f64) -> Vec<f64> {
    vec![x]
}

fn main() {
    let _ = f(1.0);
}
