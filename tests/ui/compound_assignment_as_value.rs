use gd::differentiable;
#[differentiable]
fn f(x: f64) -> f64 {
    let mut s = 1.0;
    let u = { s *= x };
    let _ = u;
    s
}
fn main() { let _ = f(1.0); }
