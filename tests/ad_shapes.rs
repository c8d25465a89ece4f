//! The benchmark zoo's shapes (benches/fixtures/shapes/): for each shape and
//! a few sizes (odd ones included), the generated `value_and_grad_set` (into
//! a buffer of NaN), `value_and_grad` and the hand-written gradient agree
//! (`value_and_grad` and `value_and_grad_set` bit for bit), and the
//! hand-written gradient agrees with central differences, so the
//! benchmark compares against a gradient that is right. `caught` checks that
//! both comparisons fail for a gradient perturbed in one element.

mod common;

#[path = "../benches/fixtures/shapes/mod.rs"]
mod shapes;
use shapes::{Problem, Real, Shape, F32, F64};

const SIZES: [usize; 5] = [2, 3, 10, 33, 400];

fn f64s<F: Real>(v: &[F]) -> Vec<f64> {
    v.iter().map(|&e| e.into()).collect()
}

/// `max_i |got_i − want_i| / (max_i |want_i| + |scale|)`, so a gradient
/// whose entries are of very different sizes is compared at its own scale.
fn rel_err(got: &[f64], want: &[f64], scale: f64) -> f64 {
    assert_eq!(got.len(), want.len());
    let norm = want.iter().fold(scale.abs(), |m, w| m.max(w.abs())).max(f64::MIN_POSITIVE);
    got.iter().zip(want).map(|(a, b)| (a - b).abs() / norm).fold(0.0, f64::max)
}

/// The distance to central differences after allowing twice their own
/// estimated error per element ([`common::fd_grad_err`]).
fn fd_err<F: Real>(s: &Shape<F>, p: &Problem<F>, got: &[f64]) -> f64 {
    let (fd, err) = if F::BITS == 32 {
        let x: Vec<f32> = p.x.iter().map(|&e| e.into() as f32).collect();
        common::fd_grad_f32_err(&|x| (s.primal)(&with_x(p, x.iter().map(|&v| v as f64))).into() as f32, &x)
    } else {
        common::fd_grad_err(&|x| (s.primal)(&with_x(p, x.iter().copied())).into(), &f64s(&p.x))
    };
    let shrunk: Vec<f64> = got.iter().zip(&fd).zip(&err).map(|((a, b), e)| {
        let d = a - b;
        b + d.signum() * (d.abs() - 2.0 * e).max(0.0)
    }).collect();
    rel_err(&shrunk, &fd, (s.primal)(p).into())
}

/// `p` with `x` replaced (converted to `F` through the setup's own type).
fn with_x<F: Real>(p: &Problem<F>, x: impl Iterator<Item = f64>) -> Problem<F> {
    let mut q = p.clone();
    for (qi, v) in q.x.iter_mut().zip(x) {
        *qi = F::of(v);
    }
    q
}

/// Tolerances: (generated against hand, hand against differences).
fn tol<F: Real>() -> (f64, f64) {
    if F::BITS == 32 { (1e-5, 2e-2) } else { (1e-12, 1e-6) }
}

fn check<F: Real>(s: &Shape<F>, n: usize) {
    let (tight, loose) = tol::<F>();
    let p = (s.setup)(n);
    let m = p.x.len();
    let what = format!("{} (n = {n})", s.name);
    let primal: f64 = (s.primal)(&p).into();
    let mut gs = vec![F::of(f64::NAN); m];
    let vs: f64 = (s.set)(&p, &mut gs).into();
    let (vh, gh) = (s.hand_vec)(&p);
    let (vv, gv) = (s.vag)(&p);
    let (gs, gh, gv) = (f64s(&gs), f64s(&gh), f64s(&gv));
    for (name, v) in [("set", vs), ("hand", vh.into()), ("value_and_grad", vv.into())] {
        assert!(rel_err(&[v], &[primal], 0.0) <= tight, "{what}: {name} value {v} against the primal {primal}");
    }
    let e = rel_err(&gs, &gh, 0.0);
    assert!(e <= tight, "{what}: value_and_grad_set against hand, relative error {e:e}\n{gs:?}\n{gh:?}");
    let e = rel_err(&gv, &gh, 0.0);
    assert!(e <= tight, "{what}: value_and_grad against hand, relative error {e:e}");
    same_as_set(s, &p, &what);
    let e = fd_err(s, &p, &gh);
    assert!(e <= loose, "{what}: hand against central differences, relative error {e:e}");
}

/// `value_and_grad` returns bit for bit what `value_and_grad_set` writes
/// into a zeroed buffer and into one of NaN (its new `Vec` is made apart
/// from the sweep, `__private::zeros`; an adding sweep would carry a
/// non-zero start into the gradient, an assigning one a missed element).
fn same_as_set<F: Real>(s: &Shape<F>, p: &Problem<F>, what: &str) {
    let bits = |v: &[F]| f64s(v).iter().map(|e| e.to_bits()).collect::<Vec<u64>>();
    let (vv, gv) = (s.vag)(p);
    for start in [0.0, f64::NAN] {
        let mut gs = vec![F::of(start); p.x.len()];
        let vs = (s.set)(p, &mut gs);
        assert_eq!(vv.into().to_bits(), vs.into().to_bits(), "{what}: value_and_grad's value against set's (buffer of {start})");
        assert_eq!(bits(&gv), bits(&gs), "{what}: value_and_grad's gradient against set's (buffer of {start})");
    }
}

#[test]
fn f64_shapes() {
    for s in F64 {
        for n in SIZES {
            check(s, n);
        }
    }
}

#[test]
fn f32_shapes() {
    for s in F32 {
        for n in SIZES {
            check(s, n);
        }
    }
}

/// A hand gradient wrong in one element by a little is caught by the
/// comparison with the generated one, by more by central differences.
#[test]
fn caught() {
    for s in F64 {
        let p = (s.setup)(10);
        let (_, gh) = (s.hand_vec)(&p);
        let mut gs = vec![0.0; p.x.len()];
        (s.set)(&p, &mut gs);
        let scale = gh.iter().fold(1.0f64, |m, v| m.max(v.abs()));
        let j = gh.len() / 2;
        let mut bad = gh.clone();
        bad[j] += 1e-10 * scale;
        assert!(rel_err(&gs, &bad, 0.0) > tol::<f64>().0, "{}: a perturbed gradient passes", s.name);
        bad[j] += 1e-4 * scale;
        assert!(fd_err(s, &p, &bad) > tol::<f64>().1, "{}: a perturbed gradient passes differences", s.name);
    }
}
