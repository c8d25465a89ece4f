use gd::differentiable;

#[differentiable]
fn f(x: f64) -> f64 {
    let y = Some(x)?;
    y * y
}

fn main() {
    let _ = f(1.0);
}
