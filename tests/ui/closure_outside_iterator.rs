use gd::differentiable;

fn apply(f: &dyn Fn(f64) -> f64) -> f64 {
    f(2.0)
}

#[differentiable]
fn f(x: f64) -> f64 {
    // Used as a value, not only called.
    let g = |y: f64| y * x;
    apply(&g)
}

fn main() {
    let _ = f(1.0);
}
