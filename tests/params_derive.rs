//! `#[derive(gd::Params)]` as a user crate sees it (depending on `gd` only):
//! parameter structs of nalgebra matrices, Vecs, arrays and floats, nested,
//! tuple and generic structs, skipped fields; the flat view round-trips and
//! drives a runtime optimizer.

use gd::nalgebra::{DMatrix, DVector, SMatrix};
use gd::runtime::optim::{Adam, Optimizer};
use gd::runtime::GdError;
use gd::Params;

#[derive(Clone, Debug, PartialEq, gd::Params)]
struct Layer {
    w: DMatrix<f64>,
    b: DVector<f64>,
}

#[derive(Clone, Debug, PartialEq, gd::Params)]
struct Mlp {
    layers: Vec<Layer>,
    scale: f64,
}

/// Hyperparameters living next to the parameters: skipped.
#[derive(Clone, Debug, PartialEq)]
struct Config {
    name: String,
    dropout: f64,
}

#[derive(Clone, Debug, PartialEq, Params)]
struct Model {
    mlp: Mlp,
    #[params(skip)]
    config: Config,
    head: Box<Layer>,
    bias: [f64; 2],
    #[params(skip)]
    steps: usize,
}

#[derive(Clone, Debug, PartialEq, Params)]
struct Pair(f64, #[params(skip)] u32, [f32; 2]);

#[derive(Clone, Debug, PartialEq, Params)]
struct Mixed {
    w32: SMatrix<f32, 2, 2>,
    stack: [Layer; 2],
}

#[derive(Clone, Debug, PartialEq, Params)]
struct Generic<T, L> {
    inner: T,
    #[params(skip)]
    label: L,
}

#[derive(Clone, Debug, PartialEq, Params)]
struct Empty;

mod reexport {
    pub use gd as renamed;
}

#[derive(Clone, Debug, PartialEq, Params)]
#[params(crate = "crate::reexport::renamed")]
struct ThroughRenamedCrate {
    x: Vec<f64>,
}

/// w = [[1, 2], [3, 4]], b = [5, 6] (+ `shift` everywhere).
fn layer(shift: f64) -> Layer {
    Layer {
        w: DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 3.0, 4.0]).add_scalar(shift),
        b: DVector::from_vec(vec![5.0 + shift, 6.0 + shift]),
    }
}

fn mlp() -> Mlp {
    Mlp {
        layers: vec![
            layer(0.0),
            Layer { w: DMatrix::from_row_slice(1, 2, &[7.0, 8.0]), b: DVector::from_vec(vec![9.0]) },
        ],
        scale: 10.0,
    }
}

fn model() -> Model {
    Model {
        mlp: mlp(),
        config: Config { name: "tiny".into(), dropout: 0.5 },
        head: Box::new(layer(10.0)),
        bias: [-1.0, -2.0],
        steps: 7,
    }
}

#[test]
fn flat_order_is_declaration_order_and_column_major() {
    // Layer 1: w column by column (1, 3, 2, 4), then b; layer 2; then scale.
    assert_eq!(mlp().to_vec(), vec![1.0, 3.0, 2.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0]);
    assert_eq!(mlp().num_params(), 10);
    let m = model();
    assert_eq!(m.num_params(), 10 + 6 + 2);
    let flat = m.to_vec();
    assert_eq!(&flat[..10], &mlp().to_vec()[..]);
    assert_eq!(&flat[10..16], &[11.0, 13.0, 12.0, 14.0, 15.0, 16.0]);
    assert_eq!(&flat[16..], &[-1.0, -2.0]);
    let mut out = vec![42.0];
    m.flatten_into(&mut out);
    assert_eq!(out.len(), 19);
    assert_eq!(out[0], 42.0, "flatten_into appends");
}

#[test]
fn zeros_like_keeps_shape_and_copies_skipped_fields() {
    let m = model();
    let z = m.zeros_like();
    assert_eq!(z.mlp.layers.len(), 2);
    assert_eq!(z.mlp.layers[0].w.shape(), (2, 2));
    assert_eq!(z.mlp.layers[1].w.shape(), (1, 2));
    assert_eq!(z.mlp.layers[1].b.len(), 1);
    assert_eq!(z.head.w.shape(), (2, 2));
    assert_eq!(z.num_params(), m.num_params());
    assert!(z.to_vec().iter().all(|&v| v == 0.0));
    assert_eq!(z.config, m.config);
    assert_eq!(z.steps, 7);

    let p = Pair(3.0, 99, [1.0, 2.0]);
    let zp = p.zeros_like();
    assert_eq!(zp, Pair(0.0, 99, [0.0, 0.0]));
    assert_eq!(Empty.zeros_like(), Empty);
    assert_eq!(Empty.num_params(), 0);
    assert_eq!(Empty.to_vec(), Vec::<f64>::new());
}

#[test]
fn set_zero_keeps_shape_and_skipped_fields_and_clears_nan() {
    let mut m = model();
    m.mlp.layers[0].w[(0, 1)] = f64::NAN;
    m.bias[1] = f64::INFINITY;
    m.set_zero();
    assert_eq!(m, model().zeros_like());
    let mut p = Pair(f64::NAN, 99, [f32::NAN, 2.0]);
    p.set_zero();
    assert_eq!(p, Pair(0.0, 99, [0.0, 0.0]));
    let mut x = Mixed { w32: SMatrix::from_element(f32::NAN), stack: [layer(1.0), layer(2.0)] };
    x.set_zero();
    assert!(x.to_vec().iter().all(|&v| v == 0.0));

    // A hand-written implementation gets the provided one (through read_from).
    struct Two([f64; 2]);
    impl Params for Two {
        fn zeros_like(&self) -> Self {
            Two([0.0; 2])
        }
        fn num_params(&self) -> usize {
            2
        }
        fn flatten_into(&self, out: &mut Vec<f64>) {
            out.extend(self.0)
        }
        fn read_from(&mut self, src: &[f64]) -> usize {
            self.0.copy_from_slice(&src[..2]);
            2
        }
        fn axpy(&mut self, a: f64, x: &Self) {
            self.0[0] += a * x.0[0];
            self.0[1] += a * x.0[1];
        }
        fn scale(&mut self, a: f64) {
            self.0[0] *= a;
            self.0[1] *= a;
        }
        fn dot(&self, x: &Self) -> f64 {
            self.0[0] * x.0[0] + self.0[1] * x.0[1]
        }
    }
    let mut t = Two([f64::NAN, 3.0]);
    t.set_zero();
    assert_eq!(t.0, [0.0, 0.0]);
}

#[test]
fn round_trip_through_the_flat_vector() {
    let m = model();
    let flat: Vec<f64> = (0..m.num_params()).map(|i| i as f64 * 0.5 - 3.0).collect();
    let mut back = m.zeros_like();
    back.set_from_slice(&flat).unwrap();
    assert_eq!(back.to_vec(), flat);
    assert_eq!(back.mlp.scale, flat[9]);
    // Column-major: flat[1] is row 1, column 0.
    assert_eq!(back.mlp.layers[0].w[(1, 0)], flat[1]);
    assert_eq!(back.bias, [flat[16], flat[17]]);
    assert_eq!(back.config, m.config);

    let mut from_m = back.clone();
    from_m.set_from_slice(&m.to_vec()).unwrap();
    assert_eq!(from_m, m);

    // read_from consumes its share and says how much.
    let mut p = Pair(0.0, 5, [0.0; 2]);
    assert_eq!(p.read_from(&[1.5, 2.5, 3.5, 100.0]), 3);
    assert_eq!(p, Pair(1.5, 5, [2.5, 3.5]));
}

#[test]
fn f32_fields_flatten_as_f64() {
    let m = Mixed { w32: SMatrix::<f32, 2, 2>::new(0.5, 1.5, 2.5, 3.5), stack: [layer(0.0), layer(1.0)] };
    let flat = m.to_vec();
    assert_eq!(flat.len(), 4 + 12);
    assert_eq!(&flat[..4], &[0.5, 2.5, 1.5, 3.5]);
    let mut z = m.zeros_like();
    z.set_from_slice(&flat).unwrap();
    assert_eq!(z, m);
    z.scale(2.0);
    assert_eq!(z.w32[(0, 1)], 3.0f32);
}

#[test]
fn generic_and_renamed_crate() {
    let g = Generic { inner: vec![1.0, 2.0], label: "keep".to_string() };
    let z = g.zeros_like();
    assert_eq!(z, Generic { inner: vec![0.0, 0.0], label: "keep".to_string() });
    let nested = Generic { inner: layer(0.0), label: 3u8 };
    assert_eq!(nested.num_params(), 6);

    let t = ThroughRenamedCrate { x: vec![3.0, 4.0] };
    assert_eq!(t.norm(), 5.0);
}

#[test]
fn axpy_scale_dot_by_hand() {
    // a = mlp(): flat (1, 3, 2, 4, 5, 6, 7, 8, 9, 10).
    let a = mlp();
    let mut y = a.zeros_like();
    y.fill_with(1.0);
    // y = 1 + 2·a
    y.axpy(2.0, &a);
    assert_eq!(y.to_vec(), vec![3.0, 7.0, 5.0, 9.0, 11.0, 13.0, 15.0, 17.0, 19.0, 21.0]);
    // y = 0.5·y
    y.scale(0.5);
    assert_eq!(y.to_vec(), vec![1.5, 3.5, 2.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5, 10.5]);
    // y += a
    y.add_assign(&a);
    assert_eq!(y.to_vec(), vec![2.5, 6.5, 4.5, 8.5, 10.5, 12.5, 14.5, 16.5, 18.5, 20.5]);
    // a·a = 1 + 4 + 9 + ... + 100 = 385
    assert_eq!(a.dot(&a), 385.0);
    assert_eq!(a.norm(), 385.0f64.sqrt());
    // (1..=10)·(1, 1, ..) = 55, however the values are laid out.
    let mut ones = a.zeros_like();
    ones.fill_with(1.0);
    assert_eq!(a.dot(&ones), 55.0);

    // Skipped fields take no part.
    let p = Pair(2.0, 1000, [3.0, 4.0]);
    assert_eq!(p.dot(&p), 4.0 + 9.0 + 16.0);
    let mut q = p.clone();
    q.axpy(-1.0, &p);
    assert_eq!(q, Pair(0.0, 1000, [0.0, 0.0]));
}

/// Test helper: every parameter set to `v` through the flat view.
trait Fill {
    fn fill_with(&mut self, v: f64);
}
impl<P: Params> Fill for P {
    fn fill_with(&mut self, v: f64) {
        let n = self.num_params();
        self.set_from_slice(&vec![v; n]).unwrap();
    }
}

#[test]
fn length_mismatch_names_both_lengths() {
    let mut m = model();
    let before = m.clone();
    let err = m.set_from_slice(&[0.0; 17]).unwrap_err();
    assert!(matches!(err, GdError::DimensionMismatch { expected: 18, got: 17, .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("set_from_slice") && msg.contains("18") && msg.contains("17"), "{msg}");
    assert_eq!(m, before, "a rejected write leaves the parameters unchanged");
}

#[test]
#[should_panic(expected = "Params::axpy: Vec lengths differ: self has 2 elements, x has 1")]
fn axpy_on_different_shapes_panics() {
    let a = mlp();
    let mut b = mlp();
    b.layers.pop();
    let mut a2 = a.clone();
    a2.axpy(1.0, &b);
}

#[test]
#[should_panic(expected = "Params::axpy: matrix shapes differ: self is 2x2, x is 1x2")]
fn axpy_on_different_matrix_shapes_panics() {
    let mut a = layer(0.0);
    let b = Layer { w: DMatrix::zeros(1, 2), b: DVector::zeros(2) };
    a.axpy(1.0, &b);
}

#[test]
fn adam_step_on_the_flat_vector_written_back() {
    let mut p = model();
    let n = p.num_params();
    // Gradient of L = ½‖θ‖²: θ itself, as a struct (what the macro will build).
    let mut g = p.zeros_like();
    g.add_assign(&p);
    let mut theta = p.to_vec();
    let grad = g.to_vec();
    assert_eq!(grad.len(), n);
    let mut opt = Adam::new(0.01).unwrap();
    opt.step(&mut theta, &grad).unwrap();
    p.set_from_slice(&theta).unwrap();
    // Adam's first step moves every parameter by lr against its gradient's sign.
    let before = model().to_vec();
    for (i, (after, b)) in p.to_vec().iter().zip(&before).enumerate() {
        let expected = b - 0.01 * b.signum();
        assert!((after - expected).abs() < 1e-8, "parameter {i}: {after} vs {expected}");
    }
    assert_eq!(p.config, model().config);
    assert_eq!(p.steps, 7);

    // A few more steps shrink the loss.
    let loss = |p: &Model| 0.5 * p.dot(p);
    let start = loss(&model());
    for _ in 0..50 {
        let mut g = p.zeros_like();
        g.add_assign(&p);
        let mut theta = p.to_vec();
        opt.step(&mut theta, &g.to_vec()).unwrap();
        p.set_from_slice(&theta).unwrap();
    }
    assert!(loss(&p) < start, "{} !< {start}", loss(&p));
}
