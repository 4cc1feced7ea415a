use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::anomaly::{AnomalyParams, Severity, Tick};

/// `n` seconds of a steady run: ~`rps` requests, p95 around `p95_ms` with ±`noise` jitter.
fn steady(seed: u64, n: u64, rps: u64, p95_ms: f64, noise: f64) -> Vec<Tick> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|s| Tick {
            second: s,
            requests: rps - 2 + rng.random_range(0..5),
            failures: u64::from(rng.random::<f64>() < 0.05),
            p95_us: (p95_ms * 1000.0 * (1.0 + noise * (2.0 * rng.random::<f64>() - 1.0))) as u64,
        })
        .collect()
}

#[test]
fn clean_runs_raise_almost_nothing() {
    let p = AnomalyParams::default();
    let found: usize = (0..200)
        .map(|s| p.detect(0, &steady(s, 30, 200, 6.0, 0.15)).len())
        .sum();
    assert!(found <= 20, "{found} anomalies in 200 clean runs");
}

#[test]
fn an_error_burst_is_critical_at_its_seconds() {
    let mut t = steady(1, 30, 200, 6.0, 0.1);
    for tick in &mut t[20..23] {
        tick.failures = 60;
    }
    let a = AnomalyParams::default().detect(2, &t);
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!((a[0].point, a[0].from_s, a[0].to_s), (2, 20, 22));
    assert_eq!(
        (a[0].severity, a[0].metric.as_str()),
        (Severity::Critical, "errors")
    );
}

#[test]
fn a_slow_degradation_is_caught_by_the_ewma_chart() {
    // +1.5% per second from second 20 (a leak), small against the per-second noise.
    let mut t = steady(3, 60, 200, 6.0, 0.1);
    for (i, tick) in t.iter_mut().enumerate().skip(20) {
        tick.p95_us = (tick.p95_us as f64 * (1.0 + 0.015 * (i - 20) as f64)) as u64;
    }
    let a = AnomalyParams::default().detect(0, &t);
    assert!(!a.is_empty(), "nothing found");
    assert!(
        a.iter().any(|x| x.detectors.contains(&"ewma".to_string())),
        "{a:?}"
    );
    assert!(a[0].from_s >= 20, "{a:?}");
}

#[test]
fn too_short_a_timeline_is_not_judged() {
    assert!(AnomalyParams::default()
        .detect(0, &steady(1, 5, 100, 5.0, 0.1))
        .is_empty());
}
