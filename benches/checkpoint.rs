//! `#[checkpoint]`: the time of the RK4 pendulum's gradient (see
//! `examples/pendulum/model.rs`) with every trip taped (`plain`) and with
//! `#[checkpoint(snapshots = 32)]` (`ckpt`), against the primal alone, at
//! 10⁴ and 10⁵ steps (the README's table, up to 10⁷ steps and with peak
//! memory, comes from `benches/checkpoint.sh`, one process per cell).
//!
//! Run: `cargo bench --bench checkpoint`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};

#[path = "../examples/pendulum/model.rs"]
mod model;

fn pendulum(c: &mut Criterion) {
    let p = model::P;
    for n in [10_000, 100_000] {
        // The two sweeps compute the same gradient.
        let (a, b) = (model::plain::grad(&p, n), model::ckpt::grad(&p, n));
        assert!(a.iter().zip(&b).all(|(x, y)| (x - y).abs() <= 1e-12 * x.abs().max(y.abs())));
        let mut g = c.benchmark_group(format!("pendulum_{n}"));
        g.measurement_time(Duration::from_secs(3)).sample_size(20);
        g.bench_function("primal", |bch| bch.iter(|| model::plain(black_box(&p), n)));
        g.bench_function("plain", |bch| bch.iter(|| model::plain::value_and_grad(black_box(&p), n)));
        g.bench_function("ckpt", |bch| bch.iter(|| model::ckpt::value_and_grad(black_box(&p), n)));
        g.finish();
    }
}

criterion_group!(benches, pendulum);
criterion_main!(benches);
