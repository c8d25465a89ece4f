// A differentiated value read through a format string's inline capture
// (`{x}`, `{x:.3}`, `{x:?}`) and parsed back would lose its derivative; the
// macro sees the captured name as it sees `format!("{}", x)`.
use gd::differentiable;

#[differentiable]
fn parsed(x: f64) -> f64 {
    let y: f64 = format!("{x}").parse().unwrap();
    y * y
}

#[differentiable]
fn parsed_with_precision(x: f64) -> f64 {
    let s = format!("{x:.3}");
    let y: f64 = s.parse().unwrap();
    y * x
}

#[differentiable]
fn written(x: f64) -> f64 {
    use std::fmt::Write;
    let mut s = String::new();
    write!(s, "{x:?}").unwrap();
    let y: f64 = s.parse().unwrap();
    y * y
}

#[differentiable]
fn written_statement(x: f64) -> f64 {
    use std::fmt::Write;
    let mut s = String::new();
    writeln!(s, "{}", x * 2.0);
    let y: f64 = s.trim().parse().unwrap();
    y + x
}

fn main() {}
