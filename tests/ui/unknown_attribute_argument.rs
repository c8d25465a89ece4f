use gd::differentiable;

#[differentiable(mode = "forward")]
fn f(x: f64) -> f64 {
    x * x
}

fn main() {
    let _ = f(1.0);
}
