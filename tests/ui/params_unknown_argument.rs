#[derive(Clone, gd::Params)]
struct Layer {
    #[params(frozen)]
    b: Vec<f64>,
}

fn main() {}
