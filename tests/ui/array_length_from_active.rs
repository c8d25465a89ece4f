use gd::differentiable;

#[differentiable]
fn f(x: f64) -> f64 {
    let v = vec![1.0; x as usize];
    v[0] * x
}

fn main() {
    let _ = f(1.0);
}
