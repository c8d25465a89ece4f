// A function inside a block gets the same spanned errors as one at module
// level (the generated API is a type and its impl, which a block can hold).
use gd::differentiable;

fn main() {
    #[differentiable]
    fn f(x: f64) -> f64 {
        let y: f64 = format!("{x:e}").parse().unwrap();
        y * y
    }
    let _ = f::grad(1.0);
}
