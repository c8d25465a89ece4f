use gd::differentiable;

#[differentiable(wrt(z))]
fn f(x: f64) -> f64 {
    x * x
}

fn main() {
    let _ = f(1.0);
}
