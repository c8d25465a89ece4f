//! The benchmark zoo (issue 15): every shape of benches/fixtures/shapes/ at
//! n = 10, 1 000, 100 000 (and 10⁶ for the cheap ones in `BIG`), with ids
//! `shapes/<shape>/<variant>/<n>`:
//!
//! * `primal`: the function as written;
//! * `set`: the generated `value_and_grad_set` into a buffer;
//! * `hand`: the hand-written gradient into a buffer (the target);
//! * `vag`: the generated `value_and_grad` (a new `Vec`);
//! * `hand_vec`: the hand-written gradient into a new `Vec`, a function of
//!   its own returning it, as `vag` is.
//!
//! Each variant is one call through a function pointer (the registry's), as
//! in an optimizer's loop. Before timing, `set`, `vag` and `hand` are checked
//! to agree (tests/ad_shapes.rs checks them tightly, and against central
//! differences, at small n).
//!
//! Run: `cargo bench --bench shapes -- --warm-up-time 0.5 --measurement-time 1`
//! (about 12 minutes on the 2-core VM; a filter such as `shapes/huber/` runs one shape),
//! then `python3 benches/shapes_ratios.py` for the table of ratios.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

#[path = "fixtures/shapes/mod.rs"]
mod shapes;
use shapes::{Real, Shape, F32, F64};

const SIZES: [usize; 3] = [10, 1000, 100_000];
const BIG: [&str; 4] = ["rosen_chain", "pairs_chunks", "map_sum", "zip_ls"];

/// `max |a − b| / max |b|` over the gradients and the values.
fn agree<F: Real>(what: &str, (va, ga): (F, &[F]), (vb, gb): (F, &[F])) {
    let tol = if F::BITS == 32 { 1e-2 } else { 1e-9 };
    let (va, vb): (f64, f64) = (va.into(), vb.into());
    assert!((va - vb).abs() <= tol * vb.abs().max(1e-300), "{what}: value {va} against {vb}");
    let scale = gb.iter().fold(f64::MIN_POSITIVE, |m, &v| m.max(v.into().abs()));
    for (i, (&a, &b)) in ga.iter().zip(gb).enumerate() {
        let (a, b): (f64, f64) = (a.into(), b.into());
        assert!((a - b).abs() <= tol * scale, "{what}[{i}]: {a} against {b}");
    }
}

fn bench_shape<F: Real>(c: &mut Criterion, s: &Shape<F>) {
    let mut group = c.benchmark_group(format!("shapes/{}", s.name));
    let big = if BIG.contains(&s.name) { &[1_000_000][..] } else { &[] };
    for &n in SIZES.iter().chain(big) {
        let p = (s.setup)(n);
        let (vh, gh) = (s.hand_vec)(&p);
        let mut g = vec![F::of(f64::NAN); p.x.len()];
        let vs = (s.set)(&p, &mut g);
        agree(&format!("{} set n = {n}", s.name), (vs, &g), (vh, &gh));
        let (vv, gv) = (s.vag)(&p);
        agree(&format!("{} vag n = {n}", s.name), (vv, &gv), (vh, &gh));
        group.sample_size(if n >= 100_000 { 10 } else { 50 });
        group.bench_function(BenchmarkId::new("primal", n), |b| b.iter(|| (s.primal)(black_box(&p))));
        group.bench_function(BenchmarkId::new("hand", n), |b| b.iter(|| (s.hand)(black_box(&p), black_box(&mut g))));
        group.bench_function(BenchmarkId::new("set", n), |b| b.iter(|| (s.set)(black_box(&p), black_box(&mut g))));
        group.bench_function(BenchmarkId::new("hand_vec", n), |b| b.iter(|| (s.hand_vec)(black_box(&p))));
        group.bench_function(BenchmarkId::new("vag", n), |b| b.iter(|| (s.vag)(black_box(&p))));
    }
    group.finish();
}

fn zoo(c: &mut Criterion) {
    for s in F64 {
        bench_shape(c, s);
    }
    for s in F32 {
        bench_shape(c, s);
    }
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(1))
        .nresamples(10_000)
}

criterion_group! {
    name = benches;
    config = config();
    targets = zoo
}
criterion_main!(benches);
