use gd::differentiable;

struct P {
    v: f64,
}

#[differentiable]
fn f(x: f64) -> f64 {
    let mut p = P { v: 0.0 };
    p.v = x;
    p.v
}

fn main() {
    let _ = f(1.0);
}
