use gd::differentiable;

#[differentiable(cuda)]
fn f(x: f32, xs: &[f32]) -> f32 {
    let copy = xs.to_vec();
    let s: f32 = xs.iter().map(|v| v * x).sum();
    s + copy[0]
}

fn main() {
    let _ = f(1.0, &[2.0]);
}
