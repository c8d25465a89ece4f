use gd::differentiable;

// A checkpointed loop is replayed at the end of the function, where the
// names of a branch are gone.
#[differentiable]
fn f(x: f64, n: usize) -> f64 {
    let mut s = x;
    if n > 2 {
        #[checkpoint]
        for _ in 0..n {
            s = s.sin() + x;
        }
    }
    s
}

fn main() {
    let _ = f(1.0, 3);
}
