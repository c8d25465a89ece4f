// Library functions, constructors and associated functions have no
// derivative code: a differentiated value passed to one is an error at the
// call, not a rustc error inside the expansion (nor a lost derivative).
use gd::differentiable;

#[differentiable]
fn swapped(x: f64) -> f64 {
    let mut a = x;
    let mut b = 1.0;
    std::mem::swap(&mut a, &mut b);
    a * b
}

#[differentiable]
fn in_a_cell(x: f64) -> f64 {
    let c = std::cell::Cell::new(x);
    c.get()
}

#[differentiable]
fn in_an_option(x: f64) -> f64 {
    Some(x).unwrap_or(0.0)
}

#[differentiable]
fn widened(x: f32) -> f32 {
    let y = f64::from(x);
    y as f32
}

fn main() {}
