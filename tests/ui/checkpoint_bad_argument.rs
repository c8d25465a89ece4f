use gd::differentiable;

#[differentiable]
fn f(x: f64, n: usize) -> f64 {
    let mut s = x;
    #[checkpoint(snapshot = 4)]
    for _ in 0..n {
        s = s.sin() + x;
    }
    s
}

#[differentiable]
fn g(x: f64, n: usize) -> f64 {
    let mut s = x;
    #[checkpoint(snapshots = 0)]
    for _ in 0..n {
        s = s.sin() + x;
    }
    s
}

fn main() {
    let _ = f(1.0, 3) + g(1.0, 3);
}
