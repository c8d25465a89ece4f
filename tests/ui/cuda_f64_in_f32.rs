use gd::differentiable;

// An f32 device function computes in f32: a widening to f64 is refused.
#[differentiable(cuda)]
fn f(x: f32) -> f32 {
    let wide = x as f64;
    (wide.sin() as f32) * x
}

fn main() {
    let _ = f(1.0);
}
