use gd::differentiable;

#[differentiable]
fn f(x: f64) -> f64 {
    let k = 3.0;
    let g = |y: f64| y * k;
    // `k` is bound again: at the call, `g` still reads the first one, which
    // the body written in place would not.
    let k = 5.0;
    g(x) + k
}

fn main() {
    let _ = f(1.0);
}
