use gd::differentiable;

// The loop writes a local array made before it: state outside the loop's
// variables, which no snapshot holds.
#[differentiable]
fn f(x: f64, n: usize) -> f64 {
    let mut v = vec![0.0; n];
    let mut s = x;
    #[checkpoint(snapshots = 4)]
    for i in 0..n {
        s = s.sin() + x;
        v[i] = s;
    }
    v[0] + s
}

fn main() {
    let _ = f(1.0, 3);
}
