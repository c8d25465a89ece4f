use gd::differentiable;

#[differentiable(wrt(x))]
fn f(x: f64, mut y: f64) -> f64 {
    y = y * x;
    y * y
}

fn main() {
    let _ = f(1.0, 2.0);
}
