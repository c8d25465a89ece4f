//! `#[differentiable]` on associated functions and methods in an `impl`:
//! the API is associated functions named after the function
//! (`Type::f_grad(..)`, `value.f_value_and_grad(..)`), `self` is data
//! unless `wrt(self)` names it, and differentiable methods call each other
//! (`self.g(..)`, `Self::g(..)`). Each gradient is checked against central
//! differences through the plain method, forward mode against reverse, and
//! second order against differences of the gradient.

use gd::{differentiable, Params};

mod common;
use common::{assert_close, dot, fd_grad, fd_hvp};

// ---- an associated function without a receiver ----

struct Spring;

impl Spring {
    const REST: f64 = 1.0;

    /// Names `Self`: found to be in an `impl` without being told.
    #[differentiable]
    fn energy(x: f64, k: f64) -> f64 {
        0.5 * k * (x - Self::REST).powi(2) + (k * x).sin()
    }

    /// Neither `self` nor `Self`: `in_impl` says where it is.
    #[differentiable(in_impl, wrt(xs))]
    fn norm2(xs: &[f64], scale: f64) -> f64 {
        scale * xs.iter().map(|x| x * x).sum::<f64>()
    }

    /// Neither, and nothing said: found from the source to be in an `impl`
    /// (a comment with a brace `{` and a string "}" before it do not
    /// confuse the scan).
    #[differentiable]
    pub(crate) fn spring_pair(x: f64, k: f64) -> f64 {
        let _brace = '}'; // {
        0.5 * k * x * x + x.cos()
    }
}

/// A free function in the same file keeps the module API.
#[differentiable]
fn free_pair(x: f64, k: f64) -> f64 {
    k * x * x + 2.0 * x.cos()
}

#[test]
fn associated_function_found_from_the_source() {
    let (x, k) = (0.9, 1.3);
    let (v, (gx, gk)) = Spring::spring_pair_value_and_grad(x, k);
    assert_eq!(v, Spring::spring_pair(x, k));
    let fd = fd_grad(&|p| Spring::spring_pair(p[0], p[1]), &[x, k]);
    assert_close("spring_pair gradient vs differences", &[gx, gk], &fd, 1e-7, 0.0);
    assert_close("spring_pair gradient by hand", &[gx, gk], &[k * x - x.sin(), 0.5 * x * x], 1e-14, 0.0);
    let (w, (fx, fk)) = free_pair::value_and_grad(x, k);
    assert_eq!((w, fx, fk), (2.0 * v, 2.0 * gx, 2.0 * gk));
}

#[test]
fn associated_function_without_receiver() {
    let (x, k) = (1.7, 0.6);
    let (v, (gx, gk)) = Spring::energy_value_and_grad(x, k);
    assert_eq!(v, Spring::energy(x, k));
    let fd = fd_grad(&|p| Spring::energy(p[0], p[1]), &[x, k]);
    assert_close("energy gradient vs differences", &[gx, gk], &fd, 1e-7, 0.0);
    assert_eq!(Spring::energy_grad(x, k), (gx, gk));
    let (v2, d) = Spring::energy_jvp(x, k, 0.3, -1.1);
    assert_eq!(v2, v);
    assert_close("energy jvp vs grad·t", &[d], &[0.3 * gx - 1.1 * gk], 1e-12, 0.0);
    let (mut bx, mut bk) = (1.0, 2.0);
    Spring::energy_value_and_grad_into(x, k, &mut bx, &mut bk);
    assert_close("energy _into adds", &[bx, bk], &[1.0 + gx, 2.0 + gk], 1e-14, 0.0);
    Spring::energy_value_and_grad_set(x, k, &mut bx, &mut bk);
    assert_eq!((bx, bk), (gx, gk));
    let hv = Spring::energy_hvp(x, k, 0.3, -1.1);
    let fd_hv = fd_hvp(&|p| {
        let (a, b) = Spring::energy_grad(p[0], p[1]);
        vec![a, b]
    }, &[x, k], &[0.3, -1.1]);
    assert_close("energy hvp vs differences of the gradient", &[hv.0, hv.1], &fd_hv, 1e-6, 0.0);
    let (_, _, h) = Spring::energy_hessian(x, k);
    assert_close("energy hessian column 0", &[h[(0, 0)], h[(1, 0)]], &fd_hvp(&|p| {
        let (a, b) = Spring::energy_grad(p[0], p[1]);
        vec![a, b]
    }, &[x, k], &[1.0, 0.0]), 1e-6, 0.0);

    let xs = [0.5, -1.5, 2.0];
    let (v, g) = Spring::norm2_value_and_grad(&xs, 3.0);
    assert_eq!(v, Spring::norm2(&xs, 3.0));
    assert_close("norm2 gradient vs differences", &g, &fd_grad(&|p| Spring::norm2(p, 3.0), &xs), 1e-7, 0.0);
}

// ---- a `&self` method where `self` is data ----

/// Least squares for a line through data held by the struct.
struct Data {
    xs: Vec<f64>,
    ys: Vec<f64>,
}

impl Data {
    /// `self` holds the data; `a`, `b` are differentiated.
    #[differentiable]
    pub fn loss(&self, a: f64, b: f64) -> f64 {
        let mut s = 0.0;
        for i in 0..self.xs.len() {
            let r = a * self.xs[i] + b - self.ys[i];
            s += r * r;
        }
        s / self.xs.len() as f64
    }

    /// Calls another differentiable method, as a method and by path.
    #[differentiable]
    fn regularized(&self, a: f64, b: f64) -> f64 {
        self.loss(a, b) + 0.1 * Self::penalty(a) + Self::penalty(b).sqrt()
    }

    #[differentiable(in_impl)]
    fn penalty(w: f64) -> f64 {
        w * w + 1.0
    }

    /// A slice parameter beside data in `self`.
    #[differentiable]
    fn weighted(&self, w: &[f64]) -> f64 {
        let mut s = w[0] * self.ys[1];
        for i in 0..w.len() {
            s += (w[i] * self.xs[i]).tanh();
        }
        s
    }
}

fn data() -> Data {
    Data { xs: vec![0.0, 1.0, 2.0, 3.5], ys: vec![1.1, 2.9, 5.2, 8.1] }
}

#[test]
fn method_with_self_as_data() {
    let d = data();
    let (a, b) = (1.3, 0.4);
    let (v, (ga, gb)) = d.loss_value_and_grad(a, b);
    assert_eq!(v, d.loss(a, b));
    assert_close("loss gradient vs differences", &[ga, gb], &fd_grad(&|p| d.loss(p[0], p[1]), &[a, b]), 1e-7, 0.0);
    // The method called as an associated function.
    assert_eq!(Data::loss_grad(&d, a, b), (ga, gb));
    let (_, t) = d.loss_jvp(a, b, 1.0, 0.0);
    assert_close("loss jvp vs reverse", &[t], &[ga], 1e-12, 0.0);
    let (_, g, h) = d.loss_hessian(a, b);
    assert_eq!(g, (ga, gb));
    // A quadratic: its Hessian is constant, 2·mean([x², x; x, 1]).
    let n = d.xs.len() as f64;
    let sxx: f64 = d.xs.iter().map(|x| x * x).sum();
    let sx: f64 = d.xs.iter().sum();
    assert_close("loss hessian", h.as_slice(), &[2.0 * sxx / n, 2.0 * sx / n, 2.0 * sx / n, 2.0], 1e-12, 0.0);

    let (v, (ga, gb)) = d.regularized_value_and_grad(a, b);
    assert_eq!(v, d.regularized(a, b));
    let fd = fd_grad(&|p| d.regularized(p[0], p[1]), &[a, b]);
    assert_close("regularized (calls self.loss, Self::penalty) vs differences", &[ga, gb], &fd, 1e-7, 0.0);
    let (_, t) = d.regularized_jvp(a, b, 0.7, -0.2);
    assert_close("regularized jvp vs reverse", &[t], &[0.7 * ga - 0.2 * gb], 1e-12, 0.0);
    let hv = d.regularized_hvp(a, b, 0.7, -0.2);
    let fd_hv = fd_hvp(&|p| {
        let (x, y) = d.regularized_grad(p[0], p[1]);
        vec![x, y]
    }, &[a, b], &[0.7, -0.2]);
    assert_close("regularized hvp vs differences of the gradient", &[hv.0, hv.1], &fd_hv, 1e-6, 0.0);

    let w = [0.3, -0.8, 1.2, 0.05];
    let (v, g) = d.weighted_value_and_grad(&w);
    assert_eq!(v, d.weighted(&w));
    assert_close("weighted gradient vs differences", &g, &fd_grad(&|p| d.weighted(p), &w), 1e-7, 0.0);
    let mut buf = vec![9.0; 4];
    d.weighted_value_and_grad_set(&w, &mut buf);
    assert_eq!(buf, g);
}

// ---- `wrt(self)`: the method differentiates its struct ----

#[derive(Clone, Debug, Params)]
struct Line {
    a: f64,
    b: f64,
    w: Vec<f64>,
}

impl Line {
    #[differentiable(wrt(self))]
    fn loss(&self, xs: &[f64], ys: &[f64]) -> f64 {
        let mut s = 0.0;
        for i in 0..xs.len() {
            let r = self.a * xs[i] + self.b + self.w[i % 2] * xs[i] * xs[i] - ys[i];
            s += r * r;
        }
        s + self.ridge()
    }

    /// Called by `loss` with `self` differentiated.
    #[differentiable(wrt(self))]
    fn ridge(&self) -> f64 {
        0.1 * (self.a * self.a + self.w[0] * self.w[0] + self.w[1] * self.w[1])
    }

    /// Both `self` and a float differentiated.
    #[differentiable(wrt(self, t))]
    fn at(&self, t: f64) -> f64 {
        (self.a * t).sin() + self.b * t * t + self.w[1]
    }
}

fn line() -> Line {
    Line { a: 0.8, b: -0.3, w: vec![0.25, -0.6] }
}

fn with(p: &Line, flat: &[f64]) -> Line {
    let mut q = p.clone();
    q.read_from(flat);
    q
}

#[test]
fn method_differentiating_self() {
    let p = line();
    let (xs, ys) = ([0.5, -1.0, 2.0], [1.0, 0.2, 3.3]);
    let (v, g): (f64, Line) = p.loss_value_and_grad(&xs, &ys);
    assert_eq!(v, p.loss(&xs, &ys));
    let flat = p.to_vec();
    let fd = fd_grad(&|q| with(&p, q).loss(&xs, &ys), &flat);
    assert_close("Line::loss gradient vs differences", &g.to_vec(), &fd, 1e-7, 0.0);

    let mut acc = p.zeros_like();
    p.loss_value_and_grad_into(&xs, &ys, &mut acc);
    p.loss_value_and_grad_into(&xs, &ys, &mut acc);
    let twice: Vec<f64> = g.to_vec().iter().map(|x| 2.0 * x).collect();
    assert_close("_into adds", &acc.to_vec(), &twice, 1e-14, 0.0);
    p.loss_value_and_grad_set(&xs, &ys, &mut acc);
    assert_eq!(acc.to_vec(), g.to_vec());

    let tan = with(&p, &[0.3, -0.7, 0.2, 1.0]);
    let (_, d) = p.loss_jvp(&xs, &ys, &tan);
    assert_close("loss jvp vs grad·t", &[d], &[dot(&g.to_vec(), &tan.to_vec())], 1e-12, 0.0);
    let hv = p.loss_hvp(&xs, &ys, &tan).to_vec();
    let fd_hv = fd_hvp(&|q| with(&p, q).loss_grad(&xs, &ys).to_vec(), &flat, &tan.to_vec());
    assert_close("loss hvp vs differences of the gradient", &hv, &fd_hv, 1e-6, 0.0);

    let t = 0.9;
    let (v, (gp, gt)) = p.at_value_and_grad(t);
    assert_eq!(v, p.at(t));
    let mut all = flat.clone();
    all.push(t);
    let fd = fd_grad(&|q| with(&p, &q[..4]).at(q[4]), &all);
    let mut got = gp.to_vec();
    got.push(gt);
    assert_close("Line::at gradient vs differences", &got, &fd, 1e-7, 0.0);
}

// ---- a generic impl ----

#[derive(Clone, Debug)]
struct Tagged<T> {
    tag: T,
    c: Vec<f64>,
}

impl<T: Clone> Tagged<T> {
    #[differentiable]
    fn poly(&self, x: f64) -> f64 {
        let mut p = 0.0;
        for k in (0..self.c.len()).rev() {
            p = p * x + self.c[k];
        }
        p
    }
}

#[test]
fn method_of_a_generic_impl() {
    let q = Tagged { tag: "cubic", c: vec![1.0, -2.0, 0.5, 0.25] };
    let x = 1.4;
    let (v, g) = q.poly_value_and_grad(x);
    assert_eq!(v, q.poly(x));
    assert_close("poly derivative", &[g], &[-2.0 + 2.0 * 0.5 * x + 3.0 * 0.25 * x * x], 1e-12, 0.0);
    assert_eq!(q.tag, "cubic");
}

// ---- calls to free functions, `self` passed on, by value, vector-valued ----

#[differentiable]
fn sq(v: f64) -> f64 {
    v * v
}

#[differentiable(wrt(p))]
fn slope_penalty(p: &Line, k: f64) -> f64 {
    k * (p.a - p.b).powi(2)
}

impl Line {
    /// A free differentiable function given a differentiated float, and
    /// `self` passed on to one that differentiates a `Line`.
    #[differentiable(wrt(self, t))]
    fn mixed(&self, t: f64) -> f64 {
        sq(self.a * t) + slope_penalty(self, 0.5) * t
    }

    /// Vector-valued: `mixed_vjp`, `mixed_jacobian`, ...
    #[differentiable(wrt(t))]
    fn features(&self, t: f64) -> Vec<f64> {
        vec![self.a * t.sin(), self.b * t * t, (self.w[0] * t).exp()]
    }
}

#[derive(Clone, Copy)]
struct Scale(f64);

impl Scale {
    /// `self` by value (a `Copy` type).
    #[differentiable]
    fn apply(self, x: f64) -> f64 {
        self.0 * x.sin() * x
    }
}

#[test]
fn calls_by_value_and_vector_valued() {
    let p = line();
    let t = -0.7;
    let (v, (gp, gt)) = p.mixed_value_and_grad(t);
    assert_eq!(v, p.mixed(t));
    let mut all = p.to_vec();
    all.push(t);
    let fd = fd_grad(&|q| with(&p, &q[..4]).mixed(q[4]), &all);
    let mut got = gp.to_vec();
    got.push(gt);
    assert_close("Line::mixed gradient vs differences", &got, &fd, 1e-7, 0.0);

    let (out, jac) = p.features_jacobian(t);
    assert_eq!(out, p.features(t));
    let h = 1e-6;
    let (up, down) = (p.features(t + h), p.features(t - h));
    let fd: Vec<f64> = up.iter().zip(&down).map(|(a, b)| (a - b) / (2.0 * h)).collect();
    assert_close("Line::features jacobian vs differences", jac.as_slice(), &fd, 1e-7, 0.0);
    let (_, g) = p.features_vjp(t, &[1.0, -2.0, 0.5]);
    assert_close("Line::features vjp vs jacobian", &[g], &[fd[0] - 2.0 * fd[1] + 0.5 * fd[2]], 1e-6, 0.0);

    let s = Scale(1.5);
    let x = 0.8;
    let (v, g) = s.apply_value_and_grad(x);
    assert_eq!(v, s.apply(x));
    assert_close("Scale::apply derivative", &[g], &[1.5 * (x.cos() * x + x.sin())], 1e-12, 0.0);
    let hv = s.apply_hvp(x, 1.0);
    assert_close("Scale::apply second derivative", &[hv], &[1.5 * (2.0 * x.cos() - x * x.sin())], 1e-12, 0.0);
}

// ---- visibility across modules, and an impl inside a test ----

mod shapes {
    use gd::differentiable;

    pub struct Circle {
        pub r: f64,
    }

    impl Circle {
        /// `pub`: its API is `pub` too, usable outside the module.
        #[differentiable]
        pub fn area_at(&self, s: f64) -> f64 {
            std::f64::consts::PI * (self.r * s).powi(2)
        }
    }
}

#[test]
fn public_method_used_from_another_module() {
    let c = shapes::Circle { r: 1.5 };
    let (v, g) = c.area_at_value_and_grad(0.8);
    assert_eq!(v, c.area_at(0.8));
    assert_close("area_at derivative", &[g], &[2.0 * std::f64::consts::PI * 1.5 * 1.5 * 0.8], 1e-12, 0.0);
}

#[test]
fn impl_inside_a_test_function() {
    struct Quad {
        c: [f64; 2],
    }
    impl Quad {
        #[differentiable]
        fn eval(&self, x: f64, y: f64) -> f64 {
            self.c[0] * x * x + self.c[1] * x * y + Self::shift(y)
        }

        #[differentiable(in_impl)]
        fn shift(y: f64) -> f64 {
            y.exp()
        }
    }
    let q = Quad { c: [2.0, -3.0] };
    let (v, (gx, gy)) = q.eval_value_and_grad(0.5, 1.2);
    assert_eq!(v, q.eval(0.5, 1.2));
    let fd = fd_grad(&|p| q.eval(p[0], p[1]), &[0.5, 1.2]);
    assert_close("Quad::eval gradient vs differences", &[gx, gy], &fd, 1e-7, 0.0);
}

impl Scale {
    /// Named like the free `sq` it calls: the body's `sq(v)` is the free
    /// function, as in the plain method.
    #[differentiable]
    fn sq(self, v: f64) -> f64 {
        self.0 * sq(v) + Self::twice(v)
    }

    #[differentiable(in_impl)]
    fn twice(v: f64) -> f64 {
        2.0 * v
    }
}

#[test]
fn method_named_like_a_free_function_it_calls() {
    let s = Scale(3.0);
    let (v, g) = s.sq_value_and_grad(0.7);
    assert_eq!(v, s.sq(0.7));
    assert_close("Scale::sq derivative", &[g], &[3.0 * 2.0 * 0.7 + 2.0], 1e-12, 0.0);
    assert_close("Scale::sq second derivative", &[s.sq_hvp(0.7, 1.0)], &[6.0], 1e-12, 0.0);
}

// ---- `#[differentiable]` on the impl: no `in_impl` needed inside ----

struct Springs;

#[differentiable]
impl Springs {
    /// Neither `self` nor `Self`, and no `in_impl`: the impl's attribute
    /// says where it is.
    #[differentiable]
    fn pair(x: f64, k: f64) -> f64 {
        0.5 * k * x * x + Self::cubic(x)
    }

    #[gd::differentiable(wrt(x))]
    fn cubic(x: f64) -> f64 {
        x * x * x
    }

    /// Not differentiable: left as it is.
    fn plain(x: f64) -> f64 {
        x + 1.0
    }
}

#[test]
fn impl_marked_as_a_whole() {
    let (x, k) = (0.9, 2.5);
    let (v, (gx, gk)) = Springs::pair_value_and_grad(x, k);
    assert_eq!(v, Springs::pair(x, k));
    let fd = fd_grad(&|p| Springs::pair(p[0], p[1]), &[x, k]);
    assert_close("Springs::pair gradient vs differences", &[gx, gk], &fd, 1e-7, 0.0);
    assert_eq!(Springs::cubic_grad(x), 3.0 * x * x);
    assert_eq!(Springs::plain(x), 1.9);
}

// ---- a free function whose body holds an impl naming `Self` ----

/// The nested impl's `Self` is not this function's: it stays free.
#[differentiable]
fn with_local_impl(x: f64) -> f64 {
    struct K;
    impl K {
        const C: f64 = 2.0;
        fn c() -> f64 {
            Self::C
        }
    }
    K::c() * x * x
}

#[test]
fn free_function_with_an_impl_inside() {
    assert_eq!(with_local_impl::value_and_grad(1.5), (4.5, 6.0));
}
