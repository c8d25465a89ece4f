// `max_by` over mapped iterators and local arrays is supported; a
// comparison closure that reads other differentiated values is not (the
// position it picks would depend on them, and so would the derivative):
// map the values first.
use gd::differentiable;

#[differentiable]
fn f(x: &[f64]) -> f64 {
    x.iter().copied().max_by(|a, b| (a * x[0]).total_cmp(&(b * x[0]))).unwrap()
}

fn main() {
    let _ = f(&[1.0, 2.0]);
}
