use gd::differentiable;

#[differentiable]
fn polar(r: f64, theta: f64) -> (f64, f64) {
    (r * theta.cos(), r * theta.sin())
}

// The macro cannot see that `polar` returns a tuple unless its outputs are
// bound by a tuple pattern: `let (a, b) = polar(x, 0.5);`.
#[differentiable]
fn f(x: f64) -> f64 {
    let p = polar(x, 0.5);
    p.0 * p.1
}

fn main() {
    let _ = f(1.0);
}
