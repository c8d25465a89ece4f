use gd::differentiable;

#[differentiable]
fn f(x: f64) {
    let _ = x;
}

fn main() {
    f(1.0);
}
