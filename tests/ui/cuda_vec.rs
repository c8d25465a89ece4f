use gd::differentiable;

// A device thread has no allocator: `vec!` is refused where it is written.
#[differentiable(cuda, wrt(params))]
fn loss(params: &[f32], x: &[f32], y: f32) -> f32 {
    let mut h = vec![0.0; x.len()];
    for j in 0..x.len() {
        h[j] = params[j] * x[j];
    }
    h[0] - y
}

fn main() {
    let _ = loss(&[1.0], &[2.0], 3.0);
}
