use gd::differentiable;

// Trip k's item is taken again with `nth(k)`: ranges only.
#[differentiable]
fn f(x: f64, n: usize) -> f64 {
    let mut s = x;
    #[checkpoint]
    for _ in (0..n).step_by(2) {
        s = s.sin() + x;
    }
    s
}

fn main() {
    let _ = f(1.0, 3);
}
