use perf_core::summary::Environment;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;

fn env() -> Environment {
    Environment {
        tool_version: "0.1.0".into(),
        goose_version: "0.19.2".into(),
        git_sha: None,
        cores: 2,
        os: "linux".into(),
        target_in_process: true,
    }
}

/// A run whose endpoints' per-second latencies are `ms` × a seeded noise of ±`noise`.
fn run(seed: u64, ms: f64, noise: f64, error_rate: f64) -> RunSample {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let endpoint = |rng: &mut ChaCha8Rng| {
        let seconds: Vec<Second> = (0..12)
            .map(|_| {
                let f = 1.0 + noise * (2.0 * rng.random::<f64>() - 1.0);
                Second {
                    requests: 40,
                    p50_us: (ms * 1000.0 * f) as u64,
                    p95_us: (ms * 1300.0 * f) as u64,
                }
            })
            .collect();
        let requests = 480;
        let failures = (0..requests)
            .filter(|_| rng.random::<f64>() < error_rate)
            .count() as u64;
        EndpointSample {
            requests,
            failures,
            seconds,
        }
    };
    let endpoints = ["ALL", "get item", "list items"]
        .iter()
        .map(|n| (n.to_string(), endpoint(&mut rng)))
        .collect();
    RunSample {
        scenario: "api".into(),
        environment: env(),
        points: vec![PointSample {
            config: "open 100 req/s for 12 s, no parameters".into(),
            endpoints,
        }],
    }
}

fn gate() -> Gate {
    GateParams::default().check().unwrap()
}

#[test]
fn noise_alone_raises_no_alarm_in_100_seeded_pairs() {
    let alarms = (0..100)
        .filter(|s| {
            !gate()
                .compare(&run(2 * s, 5.0, 0.08, 0.0), &run(2 * s + 1, 5.0, 0.08, 0.0))
                .unwrap()
                .passed()
        })
        .count();
    assert_eq!(alarms, 0);
}

#[test]
fn a_20_percent_slowdown_and_a_2_percent_error_rate_are_found() {
    let caught = (0..100)
        .filter(|s| {
            !gate()
                .compare(&run(2 * s, 5.0, 0.08, 0.0), &run(2 * s + 1, 6.0, 0.08, 0.0))
                .unwrap()
                .passed()
        })
        .count();
    assert!(caught >= 95, "{caught} of 100");
    let r = gate()
        .compare(&run(1, 5.0, 0.08, 0.0), &run(2, 5.0, 0.08, 0.02))
        .unwrap();
    assert!(r.regressions().all(|f| f.metric == "error rate"));
    assert!(r.regressions().count() >= 2, "{:#?}", r.findings);
    let better = gate()
        .compare(&run(1, 6.0, 0.02, 0.0), &run(2, 5.0, 0.02, 0.0))
        .unwrap();
    assert!(
        better.passed()
            && better
                .findings
                .iter()
                .any(|f| f.verdict == Verdict::Improved)
    );
}

#[test]
fn structural_differences_are_errors() {
    let base = run(1, 5.0, 0.05, 0.0);
    let mut other = base.clone();
    other.points[0].endpoints.remove("get item");
    let e = gate().compare(&base, &other).unwrap_err().to_string();
    assert!(
        e.contains("'get item' is in the baseline but not in this run"),
        "{e}"
    );
    // A new endpoint is only a note.
    let r = gate().compare(&other, &base).unwrap();
    assert!(r.notes[0].contains("'get item' is not in the baseline"));

    let mut other = base.clone();
    other.points[0].config = "open 200 req/s for 12 s, no parameters".into();
    let e = gate().compare(&base, &other).unwrap_err().to_string();
    assert!(
        e.contains("point 0: the baseline ran open 100 req/s"),
        "{e}"
    );
    let mut other = base.clone();
    other.scenario = "static".into();
    assert!(gate()
        .compare(&base, &other)
        .unwrap_err()
        .to_string()
        .contains("scenario 'api'"));
    let mut other = base.clone();
    other.points.push(other.points[0].clone());
    assert!(gate()
        .compare(&base, &other)
        .unwrap_err()
        .to_string()
        .contains("1 load point(s), this run 2"));
    let mut other = base.clone();
    other.points[0].endpoints.get_mut("ALL").unwrap().requests = 0;
    let e = gate().compare(&base, &other).unwrap_err().to_string();
    assert!(e.starts_with("empty run: point 0, endpoint 'ALL'"), "{e}");
}

#[test]
fn few_seconds_are_not_judged() {
    let base = run(1, 5.0, 0.05, 0.0);
    let mut short = run(2, 9.0, 0.05, 0.0);
    for e in short.points[0].endpoints.values_mut() {
        e.seconds.truncate(4);
    }
    let r = gate().compare(&base, &short).unwrap();
    assert!(r.passed());
    assert!(r
        .findings
        .iter()
        .filter(|f| f.metric != "error rate")
        .all(|f| f.verdict == Verdict::TooFewSamples));
}

#[test]
fn bad_settings_are_named() {
    let e = GateParams {
        threshold: -0.1,
        ..GateParams::default()
    }
    .check()
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "gate setting threshold: must be from 0 to 1000%, got -0.1"
    );
    let e = GateParams {
        alpha: 1.0,
        ..GateParams::default()
    }
    .check()
    .unwrap_err();
    assert!(e
        .to_string()
        .contains("alpha: must be strictly between 0 and 1"));
    assert!(GateParams {
        resamples: 10,
        ..GateParams::default()
    }
    .check()
    .is_err());
}

#[test]
fn baseline_files_round_trip_and_bad_ones_are_named() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("baselines/api.json");
    let b = Baseline::new(run(1, 5.0, 0.05, 0.0), serde_json::json!({"workers": 8}));
    b.save(&p).unwrap();
    assert_eq!(Baseline::load(&p).unwrap(), b);

    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
    v["schema"] = 2.into();
    std::fs::write(&p, v.to_string()).unwrap();
    let e = Baseline::load(&p).unwrap_err().to_string();
    assert!(
        e.contains("baseline schema version 2, this build reads version 1"),
        "{e}"
    );

    std::fs::write(&p, "{\"schema\": 1, \"run\": ").unwrap();
    let e = Baseline::load(&p).unwrap_err().to_string();
    assert!(
        e.contains("corrupted baseline: invalid JSON") && e.contains("line 1"),
        "{e}"
    );
    std::fs::write(&p, "[1, 2]").unwrap();
    assert!(Baseline::load(&p)
        .unwrap_err()
        .to_string()
        .contains("no 'schema' field"));
    std::fs::write(&p, "{\"schema\": 1, \"created_at\": \"x\"}").unwrap();
    assert!(Baseline::load(&p)
        .unwrap_err()
        .to_string()
        .contains("missing field"));
    let e = Baseline::load(&d.path().join("nope.json"))
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("cannot read") && e.contains("nope.json"),
        "{e}"
    );
}

#[test]
fn environment_differences_are_listed() {
    let b = Baseline::new(
        run(1, 5.0, 0.05, 0.0),
        serde_json::json!({"workers": 8, "extra_latency_ms": 0.0}),
    );
    let mut now = run(2, 5.0, 0.05, 0.0);
    assert!(b.differences(&now, &b.target).is_empty());
    now.environment.cores = 8;
    let d = b.differences(
        &now,
        &serde_json::json!({"workers": 8, "extra_latency_ms": 1.5}),
    );
    assert_eq!(
        d,
        [
            "cores: baseline 2, now 8",
            "target extra_latency_ms: baseline 0.0, now 1.5"
        ]
    );
}

#[test]
fn a_regression_must_reproduce_in_the_confirmation_run() {
    let base = run(1, 5.0, 0.05, 0.0);
    let slow = run(2, 6.5, 0.05, 0.0);
    let mut first = gate().compare(&base, &slow).unwrap();
    let n = first.regressions().count();
    assert!(n > 0);
    // The slowdown was the machine's, for one run: the rerun is clean.
    first.confirm_with(&gate().compare(&base, &run(3, 5.0, 0.05, 0.0)).unwrap());
    assert!(first.passed());
    assert_eq!(
        first
            .findings
            .iter()
            .filter(|f| f.verdict == Verdict::NotConfirmed)
            .count(),
        n
    );
    assert!(first
        .notes
        .last()
        .unwrap()
        .contains("0 regression(s) reproduced"));
    // A real regression persists.
    let mut again = gate().compare(&base, &slow).unwrap();
    again.confirm_with(&gate().compare(&base, &run(4, 6.5, 0.05, 0.0)).unwrap());
    assert!(!again.passed());
}
