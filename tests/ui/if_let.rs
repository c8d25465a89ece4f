use gd::differentiable;

#[differentiable]
fn f(x: f64) -> f64 {
    if let Some(y) = Some(x) {
        y
    } else {
        0.0
    }
}

fn main() {
    let _ = f(1.0);
}
