// A differentiable method reads `self`: `&mut self` is refused on its span.
use gd::differentiable;

struct Counter {
    n: f64,
}

impl Counter {
    #[differentiable]
    fn bump(&mut self, x: f64) -> f64 {
        self.n += 1.0;
        x * self.n
    }
}

fn main() {
    let mut c = Counter { n: 0.0 };
    let _ = c.bump(1.0);
}
