use gd::differentiable;

struct P {
    v: f64,
}

#[differentiable]
fn f(x: f64) -> f64 {
    let p = P { v: x };
    p.v
}

fn main() {
    let _ = f(1.0);
}
