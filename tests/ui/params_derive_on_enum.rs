#[derive(Clone, gd::Params)]
enum Weights {
    Dense(Vec<f64>),
    Scalar(f64),
}

fn main() {}
