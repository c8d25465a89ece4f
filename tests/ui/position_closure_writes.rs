// `position` over differentiated values is kept as written (its result is
// an index), so its closure may not assign: the write would not be
// differentiated.
use gd::differentiable;

#[differentiable]
fn first_positive(x: &[f64]) -> f64 {
    let mut s = 0.0;
    let i = x.iter().position(|&v| {
        s += v;
        v > 0.0
    });
    s * x[i.unwrap_or(0)]
}

fn main() {
    let _ = first_positive::grad(&[1.0, 2.0]);
}
