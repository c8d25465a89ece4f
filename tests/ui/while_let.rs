use gd::differentiable;

#[differentiable]
fn f(x: f64) -> f64 {
    let mut y = x;
    let mut n: u32 = 3;
    while let Some(k) = n.checked_sub(1) {
        n = k;
        y = y * x;
    }
    y
}

fn main() {
    let _ = f(1.0);
}
