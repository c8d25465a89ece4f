use gd::differentiable;

fn g<T: Copy>(t: T) -> T {
    t
}

#[differentiable]
fn f(x: f64) -> f64 {
    g::<f64>(x) * x
}

fn main() {
    let _ = f(1.0);
}
