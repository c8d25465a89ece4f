use gd::differentiable;

fn pair(a: f64) -> (f64, f64) {
    (a, a)
}

#[differentiable]
fn f(x: f64) -> f64 {
    let (a, b) = pair(x);
    a * b
}

fn main() {
    let _ = f(1.0);
}
