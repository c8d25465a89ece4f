//! Signatures with generic parameters kept in the generated code: lifetime
//! parameters (`fn f<'a>(x: &'a [f64])`) and const generics
//! (`fn f<const N: usize>(x: [f64; N])`), also called from another
//! differentiable function (first and second order through the call).

#[macro_use]
mod common;
use common::*;
use gd::differentiable;

#[differentiable]
fn with_lifetime<'a>(x: &'a [f64], k: f64) -> f64 {
    let v: &[f64] = x;
    v[0] * v[1].sin() * k + k * k
}
fn with_lifetime_d<D: Dn>(x: &[D], k: D) -> D {
    x[0] * x[1].sin() * k + k * k
}

#[differentiable]
fn sized<const N: usize>(x: [f64; N]) -> f64 {
    let mut s = 0.0;
    for i in 0..N {
        s += x[i] * x[i] * x[0];
    }
    s
}
fn sized_d<D: Dn>(x: &[D]) -> D {
    let mut s = c(0.0);
    for xi in x {
        s += *xi * *xi * x[0];
    }
    s
}

#[differentiable]
fn calls_sized<'s, const M: usize>(y: &'s [f64; M], z: f64) -> f64 {
    sized(*y) * z + with_lifetime(y, z)
}
fn calls_sized_d<D: Dn>(y: &[D], z: D) -> D {
    sized_d(y) * z + with_lifetime_d(y, z)
}

fn arr<const N: usize>(v: &[f64]) -> [f64; N] {
    v.try_into().unwrap()
}

#[test]
fn lifetime_parameter() {
    let case = Case::new("with_lifetime", |v| with_lifetime(&v[..2], v[2]), |v| with_lifetime_d(&v[..2], v[2]), rand_points(40, 4, 3, -2.0, 2.0));
    case.check_api(Api {
        value_and_grad: &|v| {
            let (val, (gx, gk)) = with_lifetime::value_and_grad(&v[..2], v[2]);
            (val, [gx, vec![gk]].concat())
        },
        grad: &|v| {
            let (gx, gk) = with_lifetime::grad(&v[..2], v[2]);
            [gx, vec![gk]].concat()
        },
        jvp: &|v, t| with_lifetime::jvp(&v[..2], v[2], &t[..2], t[2]),
        grad_into: &|v, g| {
            let (gx, gk) = g.split_at_mut(2);
            with_lifetime::value_and_grad_into(&v[..2], v[2], gx, &mut gk[0])
        },
    });
}

#[test]
fn const_generic_parameter() {
    let case = Case::new("sized", |v| sized::<3>(arr(v)), |v| sized_d(v), rand_points(41, 4, 3, -2.0, 2.0));
    case.check_api(Api {
        value_and_grad: &|v| {
            let (val, g) = sized::value_and_grad(arr::<3>(v));
            (val, g.to_vec())
        },
        grad: &|v| sized::grad(arr::<3>(v)).to_vec(),
        jvp: &|v, t| sized::jvp(arr::<3>(v), &t[..]),
        grad_into: &|v, g| sized::value_and_grad_into(arr::<3>(v), g),
    });
    for x in &case.points {
        let d = [0.5, -1.0, 2.0];
        let want = hyperdual_hvp(&|v| sized_d(v), x, &d);
        assert_close("sized: hvp vs hyper-dual", &sized::hvp(arr::<3>(x), &d).to_vec(), &want, 1e-12, 0.0);
    }
}

#[test]
fn const_generic_callee_first_and_second_order() {
    let case = Case::new("calls_sized", |v| calls_sized::<2>(&arr(&v[..2]), v[2]), |v| calls_sized_d(&v[..2], v[2]), rand_points(42, 4, 3, -2.0, 2.0));
    case.check_api(Api {
        value_and_grad: &|v| {
            let (val, (gy, gz)) = calls_sized::value_and_grad(&arr::<2>(&v[..2]), v[2]);
            (val, [gy.to_vec(), vec![gz]].concat())
        },
        grad: &|v| {
            let (gy, gz) = calls_sized::grad(&arr::<2>(&v[..2]), v[2]);
            [gy.to_vec(), vec![gz]].concat()
        },
        jvp: &|v, t| calls_sized::jvp(&arr::<2>(&v[..2]), v[2], &t[..2], t[2]),
        grad_into: &|v, g| {
            let (gy, gz) = g.split_at_mut(2);
            calls_sized::value_and_grad_into(&arr::<2>(&v[..2]), v[2], gy, &mut gz[0])
        },
    });
    for x in &case.points {
        let d = [0.5, -1.0, 2.0];
        let want = hyperdual_hvp(&|v| calls_sized_d(&v[..2], v[2]), x, &d);
        let (hy, hz) = calls_sized::hvp(&arr::<2>(&x[..2]), x[2], &d[..2], d[2]);
        assert_close("calls_sized: hvp vs hyper-dual", &[hy.to_vec(), vec![hz]].concat(), &want, 1e-12, 0.0);
    }
}
