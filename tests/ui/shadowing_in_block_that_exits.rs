use gd::differentiable;
#[differentiable]
fn f(x: f64, n: usize) -> f64 {
    let k = 2usize;
    let mut s = x;
    for i in 0..n {
        if i > 5 {
            let k = 3usize;
            if i == k {
                break;
            }
        }
        s = s * x + k as f64;
    }
    s
}
fn main() { let _ = f(1.0, 3); }
