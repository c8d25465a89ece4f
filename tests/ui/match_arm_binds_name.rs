use gd::differentiable;

#[differentiable]
fn f(x: f64, n: i32) -> f64 {
    match n {
        0 => x,
        k => x.powi(k),
    }
}

fn main() {
    let _ = f(1.0, 2);
}
