use gd::differentiable;

#[differentiable]
fn f(x: f64) -> f64 {
    // The closure reads nothing differentiated; the call gives it `x`.
    let sq = |v: f64| v * v;
    sq(x) + 1.0
}

fn main() {
    let _ = f(1.0);
}
