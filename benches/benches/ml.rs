//! Model fitting cost: each latency candidate on 50 load points, the whole `fit` (every
//! candidate cross-validated, the failure model, the capacity), the failure model on
//! 1,000,000 sampled requests, and one step of the breaking-point search (GP fit and
//! 600 posterior draws) against a whole synthetic search with bisection as reference.
//!
//! `cargo bench -p benches --bench ml`

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use perf_ml::data::{Dataset, Point};
use perf_ml::latency::{Fit, ForestParams, QueueCurveParams, RidgeParams};
use rand::{Rng, SeedableRng};

/// 50 points of a server with capacity 1000 req/s, two parameter values, seeded noise.
fn points() -> Vec<Point> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    (0..50)
        .map(|i| {
            let size = if i % 2 == 0 { 1024.0 } else { 65536.0 };
            let load = 40.0 + 25.0 * (i / 2) as f64;
            let rho = (load / 1000.0).min(0.97);
            let base = 4000.0 + size / 100.0;
            let lat = [1.0, 1.3, 1.7].map(|k: f64| {
                k * (base + 900.0 / (1.0 - rho)) * (1.0 + 0.05 * (rng.random::<f64>() - 0.5))
            });
            let requests = (load * 10.0) as u64;
            let failures = if load > 1000.0 {
                (requests as f64 * (1.0 - 1000.0 / load)) as u64
            } else {
                0
            };
            Point {
                load,
                goodput: load.min(1000.0),
                params: vec![size],
                latency: lat,
                requests,
                failures,
            }
        })
        .collect()
}

fn latency(c: &mut Criterion) {
    let pts = points();
    let mut g = c.benchmark_group("fit_50_points");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    g.bench_function("ridge_poly2", |b| {
        b.iter(|| RidgeParams::default().fit(black_box(&pts)).unwrap())
    });
    g.bench_function("queue_curve", |b| {
        b.iter(|| QueueCurveParams.fit(black_box(&pts)).unwrap())
    });
    g.bench_function("random_forest_100_trees", |b| {
        b.iter(|| ForestParams::default().fit(black_box(&pts)).unwrap())
    });
    let data = Dataset {
        scenario: "bench".into(),
        model: perf_core::ModelKind::Open,
        param_names: vec!["size".into()],
        fixed_params: vec![],
        points: pts.clone(),
        skipped: 0,
        runs: vec!["bench".into()],
        endpoints: Default::default(),
    };
    g.bench_function("whole_fit_with_cv", |b| {
        b.iter(|| perf_ml::fit::fit(black_box(&data), 1).unwrap())
    });
    g.finish();
}

/// Points of a server shedding above a capacity that a parameter halves, with seeded
/// binomial counts: `levels` loads × 2 parameter values, 5,000 requests each.
fn shedding_points(levels: usize) -> Vec<Point> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
    let mut pts = Vec::new();
    for size in [1024.0, 65536.0] {
        let cap = if size > 2000.0 { 500.0 } else { 1000.0 };
        for i in 0..levels {
            let load = 100.0 * 20f64.powf(i as f64 / (levels - 1) as f64);
            let p = (1.0 - cap / load).max(0.0) + 0.001;
            let failures = (0..5000).filter(|_| rng.random::<f64>() < p).count() as u64;
            pts.push(Point {
                load,
                goodput: load * (1.0 - p),
                params: vec![size],
                latency: [1.0; 3],
                requests: 5000,
                failures,
            });
        }
    }
    pts
}

fn failure(c: &mut Criterion) {
    let small = shedding_points(6);
    let large = shedding_points(30);
    let mut g = c.benchmark_group("failure_model");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function("fit_12_points", |b| {
        b.iter(|| perf_ml::failure::fit(black_box(&small)).unwrap())
    });
    g.bench_function("fit_60_points", |b| {
        b.iter(|| perf_ml::failure::fit(black_box(&large)).unwrap())
    });
    let f = perf_ml::failure::fit(&large).unwrap();
    g.bench_function("interval_60_points", |b| {
        b.iter(|| f.load_interval(0.01, &[1024.0], (10.0, 20000.0), 0.9))
    });
    g.finish();
}

fn search(c: &mut Criterion) {
    use perf_core::parse_slos;
    use perf_ml::search::posterior::boundary_posterior;
    use perf_ml::search::{synthetic::SyntheticTarget, SearchParams, Strategy};
    // Six points of a margin rising through zero near u = 0.6, as after a few runs.
    let data = [
        (0.5, -0.9),
        (0.75, 2.1),
        (0.62, 0.08),
        (0.58, -0.25),
        (0.25, -2.4),
        (0.6, -0.05),
    ];
    let mut g = c.benchmark_group("search");
    g.bench_function("gp_posterior_6_points_600_draws", |b| {
        b.iter(|| boundary_posterior(black_box(&data), 0.1, (Some(0.58), Some(0.75)), 600, 1))
    });
    let slos = parse_slos("p95<60ms,error-rate<1%").unwrap();
    for strategy in [Strategy::Gp, Strategy::Bisect] {
        g.bench_function(format!("whole_synthetic_search_{strategy}"), |b| {
            b.iter(|| {
                let mut t = SyntheticTarget::new(400.0, 10.0, slos.clone())
                    .noise(0.05)
                    .seed(3);
                SearchParams::new(10.0, 1000.0)
                    .strategy(strategy)
                    .check()
                    .unwrap()
                    .run(&mut t)
                    .unwrap()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, latency, failure, search);
criterion_main!(benches);
