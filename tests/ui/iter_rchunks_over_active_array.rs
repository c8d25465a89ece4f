use gd::differentiable;
#[differentiable]
fn f(xs: &[f64]) -> f64 {
    let mut s = 0.0;
    for w in xs.rchunks(2) {
        s += w[1] - w[0];
    }
    s
}
fn main() { let _ = f(&[1.0, 2.0]); }
