use gd::differentiable;

fn decay_rule(x: f64) -> (f64, f64) {
    (x * 0.5f64.powi(10), 0.5f64.powi(10))
}

// The rule gives the gradient, so the body's loop is never differentiated
// and the attribute would be silently dropped.
#[differentiable(value_and_grad = decay_rule)]
fn decay(x: f64) -> f64 {
    let mut s = x;
    #[checkpoint]
    for _ in 0..10 {
        s *= 0.5;
    }
    s
}

fn main() {
    let _ = decay(1.0);
}
