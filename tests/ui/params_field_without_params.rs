use gd::nalgebra::DVector;

#[derive(Clone, gd::Params)]
struct Layer {
    b: DVector<f64>,
    name: String,
}

fn main() {}
