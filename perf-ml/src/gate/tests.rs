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
        cpu_model: String::new(),
        target_in_process: true,
    }
}

/// A run whose endpoints' latencies are `ms` × a seeded run factor (log-normal, sd
/// `noise`: the run-to-run variation a gate must not mistake for a change), and failures
/// drawn at `error_rate`.
fn run(seed: u64, ms: f64, noise: f64, error_rate: f64) -> RunSample {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let endpoint = |rng: &mut ChaCha8Rng| {
        let normal = |rng: &mut ChaCha8Rng| {
            // Box–Muller: a standard normal draw from two uniforms.
            let (u1, u2): (f64, f64) = (rng.random::<f64>().max(1e-12), rng.random());
            (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
        };
        let f = (noise * normal(rng)).exp();
        let requests = 480;
        let failures = (0..requests)
            .filter(|_| rng.random::<f64>() < error_rate)
            .count() as u64;
        EndpointSample {
            requests,
            failures,
            p50_us: (ms * 1000.0 * f) as u64,
            p95_us: (ms * 1300.0 * f) as u64,
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

/// `k` runs from seed `seed` on.
fn runs(seed: u64, k: u64, ms: f64, noise: f64, error_rate: f64) -> Vec<RunSample> {
    (0..k)
        .map(|j| run(seed * 100 + j, ms, noise, error_rate))
        .collect()
}

fn gate() -> Gate {
    GateParams::default().check().unwrap()
}

#[test]
fn with_no_threshold_the_family_wise_false_alarm_rate_stays_at_alpha() {
    // 400 seeded pairs of five runs against five from one distribution, the threshold
    // set to 0 so that only the test and Holm's adjustment guard: any false alarm among
    // the three primary comparisons in at most about 5% of gates.
    let g = GateParams {
        threshold: 0.0,
        min_error_rise: 0.0,
        ..GateParams::default()
    }
    .check()
    .unwrap();
    let alarms = |g: &Gate| {
        (0..400)
            .filter(|s| {
                !g.compare(
                    &runs(2 * s, 5, 5.0, 0.1, 0.01),
                    &runs(2 * s + 1, 5, 5.0, 0.1, 0.01),
                )
                .unwrap()
                .passed()
            })
            .count()
    };
    let n = alarms(&g);
    println!("primary ALL rows: {n} of 400 unchanged gates raised an alarm");
    assert!(n <= 28, "{n} of 400");
    // And the same comparisons with every endpoint primary: still at most about 5%.
    let all = GateParams {
        primary: Primary::All,
        ..g.params().clone()
    }
    .check()
    .unwrap();
    let n = alarms(&all);
    println!("every row primary: {n} of 400 unchanged gates raised an alarm");
    assert!(n <= 28, "{n} of 400 with every comparison primary");
}

#[test]
fn noise_alone_raises_no_alarm_in_100_seeded_pairs() {
    let alarms = (0..100)
        .filter(|s| {
            !gate()
                .compare(
                    &runs(2 * s, 5, 5.0, 0.08, 0.0),
                    &runs(2 * s + 1, 5, 5.0, 0.08, 0.0),
                )
                .unwrap()
                .passed()
        })
        .count();
    assert_eq!(alarms, 0);
}

#[test]
fn a_25_percent_slowdown_and_a_2_percent_error_rate_are_found() {
    let caught = (0..100)
        .filter(|s| {
            !gate()
                .compare(
                    &runs(2 * s, 5, 5.0, 0.05, 0.0),
                    &runs(2 * s + 1, 5, 6.25, 0.05, 0.0),
                )
                .unwrap()
                .passed()
        })
        .count();
    assert!(caught >= 95, "{caught} of 100");
    let r = gate()
        .compare(&runs(1, 5, 5.0, 0.05, 0.0), &runs(2, 5, 5.0, 0.05, 0.02))
        .unwrap();
    assert!(r.regressions().all(|f| f.metric == "error rate"));
    assert_eq!(r.regressions().count(), 1, "{:#?}", r.findings);
    let f = r.regressions().next().unwrap();
    assert!(
        f.ci.0 > 0.0 && f.ci.0 < f.change && f.change < f.ci.1,
        "{f:?}"
    );
    let better = gate()
        .compare(&runs(1, 5, 6.5, 0.02, 0.0), &runs(2, 5, 5.0, 0.02, 0.0))
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
fn one_slow_run_is_not_a_regression_but_every_run_slow_is() {
    // The machine hiccupped in one run of five: a rank test on runs shrugs it off.
    let base = runs(1, 5, 5.0, 0.03, 0.0);
    let mut current = runs(2, 5, 5.0, 0.03, 0.0);
    current[2] = run(999, 7.5, 0.0, 0.0);
    assert!(gate().compare(&base, &current).unwrap().passed());
    let slow = runs(3, 5, 7.5, 0.03, 0.0);
    assert!(!gate().compare(&base, &slow).unwrap().passed());
}

#[test]
fn a_secondary_regression_is_reported_but_does_not_fail_unless_all_are_primary() {
    let base = runs(1, 5, 5.0, 0.03, 0.0);
    let mut current = runs(2, 5, 5.0, 0.03, 0.0);
    for r in &mut current {
        let e = r.points[0].endpoints.get_mut("get item").unwrap();
        e.p95_us = e.p95_us * 3 / 2;
    }
    let r = gate().compare(&base, &current).unwrap();
    assert!(r.passed());
    let f = r
        .findings
        .iter()
        .find(|f| f.endpoint == "get item" && f.metric == "p95")
        .unwrap();
    assert!(!f.primary && f.verdict == Verdict::Regressed, "{f:?}");
    assert!(f.p_adjusted >= f.p_value);
    let all = GateParams {
        primary: Primary::All,
        ..GateParams::default()
    }
    .check()
    .unwrap();
    // Nine comparisons in the family: Holm's smallest bar is 0.05 / 9, above 1/252.
    assert!(!all.compare(&base, &current).unwrap().passed());
}

#[test]
fn structural_differences_are_errors() {
    let base = runs(1, 5, 5.0, 0.05, 0.0);
    let changed = |f: &dyn Fn(&mut RunSample)| {
        let mut other = runs(2, 5, 5.0, 0.05, 0.0);
        f(&mut other[1]);
        other
    };
    let other = changed(&|r| {
        r.points[0].endpoints.remove("get item");
    });
    let e = gate().compare(&base, &other).unwrap_err().to_string();
    assert!(
        e.contains("'get item' is in the baseline but not in this run"),
        "{e}"
    );
    // A new endpoint is only a note.
    let mut fewer = base.clone();
    for r in &mut fewer {
        r.points[0].endpoints.remove("get item");
    }
    let r = gate().compare(&fewer, &base).unwrap();
    assert!(r.notes[0].contains("'get item' is not in the baseline"));

    let other = changed(&|r| r.points[0].config = "open 200 req/s for 12 s, no parameters".into());
    let e = gate().compare(&base, &other).unwrap_err().to_string();
    assert!(
        e.contains("point 0: the baseline ran open 100 req/s"),
        "{e}"
    );
    let other = changed(&|r| r.scenario = "static".into());
    assert!(gate()
        .compare(&base, &other)
        .unwrap_err()
        .to_string()
        .contains("scenario 'api'"));
    let other = changed(&|r| r.points.push(r.points[0].clone()));
    assert!(gate()
        .compare(&base, &other)
        .unwrap_err()
        .to_string()
        .contains("1 load point(s), this run 2"));
    let other = changed(&|r| r.points[0].endpoints.get_mut("ALL").unwrap().requests = 0);
    let e = gate().compare(&base, &other).unwrap_err().to_string();
    assert!(e.starts_with("empty run: point 0, endpoint 'ALL'"), "{e}");
    let e = gate().compare(&base[..2], &base).unwrap_err().to_string();
    assert_eq!(
        e,
        "the baseline has 2 run(s); the gate needs at least 3 (the run is the sampling unit)"
    );
    // Three against four: 1/35 can't pass 0.05 / 3.
    let e = gate()
        .compare(&base[..3], &base[..4])
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "3 reference (baseline) run(s) against 4: the exact test's smallest p-value, 1/35 = 0.0286, cannot pass Holm's first bar 0.05 / 3 = 0.0167; give both sides more runs (--repeat)"
    );
    assert!(
        gate().compare(&base[..4], &base[..4]).is_ok(),
        "1/70 < 0.05 / 3"
    );
}

#[test]
fn runs_with_few_requests_are_not_latency_samples() {
    let base = runs(1, 5, 5.0, 0.05, 0.0);
    let mut short = runs(2, 5, 9.0, 0.05, 0.0);
    for r in &mut short[..3] {
        for e in r.points[0].endpoints.values_mut() {
            e.requests = 10;
        }
    }
    let r = gate().compare(&base, &short).unwrap();
    assert!(r.passed());
    assert!(r
        .findings
        .iter()
        .filter(|f| f.metric != "error rate")
        .all(|f| f.verdict == Verdict::TooFewSamples && f.runs == (5, 2)));
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
    let b = Baseline::new(
        runs(1, 3, 5.0, 0.05, 0.0),
        serde_json::json!({"workers": 8}),
    );
    b.save(&p).unwrap();
    assert_eq!(Baseline::load(&p).unwrap(), b);

    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
    v["schema"] = 1.into();
    std::fs::write(&p, v.to_string()).unwrap();
    let e = Baseline::load(&p).unwrap_err().to_string();
    assert!(
        e.contains("baseline schema version 1, this build reads version 2"),
        "{e}"
    );
    v["schema"] = 2.into();
    v["runs"] = serde_json::json!([]);
    std::fs::write(&p, v.to_string()).unwrap();
    assert!(Baseline::load(&p)
        .unwrap_err()
        .to_string()
        .contains("no runs"));

    std::fs::write(&p, "{\"schema\": 2, \"runs\": ").unwrap();
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
    std::fs::write(&p, "{\"schema\": 2, \"created_at\": \"x\"}").unwrap();
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
        runs(1, 3, 5.0, 0.05, 0.0),
        serde_json::json!({"workers": 8, "extra_latency_ms": 0.0}),
    );
    let mut now = env();
    assert!(b.differences(&now, &b.target).is_empty());
    now.os = "linux 6.1.0-99".into();
    assert!(
        b.differences(&now, &b.target).is_empty(),
        "a kernel release is not a change"
    );
    now.cores = 8;
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
fn a_baseline_is_checked_against_the_plan_before_any_load() {
    let g = gate();
    let config = "open 100 req/s for 12 s, no parameters";
    let b = Baseline::new(runs(3, 5, 10.0, 0.02, 0.0), serde_json::json!({}));
    assert!(b.check_for(&g, "api", &[config], 5).is_ok());
    let e = |b: &Baseline, scenario: &str, configs: &[&str], repeat: usize| {
        b.check_for(&g, scenario, configs, repeat)
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        e(&b, "checkout", &[config], 5),
        "cannot compare: the baseline is of scenario 'api', this run of 'checkout'"
    );
    assert_eq!(
        e(&b, "api", &["open 200 req/s for 12 s, no parameters"], 5),
        "cannot compare: point 0: the baseline ran open 100 req/s for 12 s, no parameters, this run open 200 req/s for 12 s, no parameters"
    );
    assert!(e(&b, "api", &[config, config], 5).contains("1 load point(s), this run 2"));
    // 5 against 2 runs: at best p = 1/21, above Holm's first bar 0.05 / 3.
    assert!(e(&b, "api", &[config], 2).contains("cannot pass Holm's first bar"));
    let two = Baseline::new(runs(4, 2, 10.0, 0.02, 0.0), serde_json::json!({}));
    assert_eq!(
        e(&two, "api", &[config], 5),
        "the baseline has 2 run(s); the gate needs at least 3 (the run is the sampling unit)"
    );
}

#[test]
fn gate_json_is_written_whole_into_the_results_directory() {
    let d = tempfile::tempdir().unwrap();
    let report = gate()
        .compare(&runs(5, 5, 10.0, 0.02, 0.0), &runs(6, 5, 10.0, 0.02, 0.0))
        .unwrap();
    let path = report.write(d.path()).unwrap();
    assert_eq!(path, perf_core::results::layout::gate_json(d.path()));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(v["method"], report.method.as_str());
    assert_eq!(
        v["findings"].as_array().unwrap().len(),
        report.findings.len()
    );
    // A results directory that cannot take it is a write error naming the file.
    let file = d.path().join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let e = report.write(&file).unwrap_err();
    assert!(matches!(e, GateError::Write { .. }), "{e}");
    assert!(e.to_string().contains("not-a-dir/gate.json"), "{e}");
}

#[test]
fn a_breaking_point_baseline_names_what_it_was_searched_with() {
    let b = CapacityBaseline::new(
        capacity::Capacity {
            estimate: 800.0,
            interval: (780.0, 820.0),
            confidence: 0.9,
        },
        env(),
        serde_json::json!({}),
        ("api", vec!["p95<30ms".into()], "size=64".into(), 6.0),
    );
    let slos = ["p95<30ms".to_string()];
    assert_eq!(b.check_for("api", &slos, "size=64", 6.0), Ok(()));
    assert_eq!(
        b.check_for("checkout", &slos, "size=64", 6.0),
        Err("searched with scenario api, this gate has checkout".into())
    );
    assert_eq!(
        b.check_for("api", &["p95<50ms".into()], "size=64", 6.0),
        Err("searched with SLOs p95<30ms, this gate has p95<50ms".into())
    );
    assert_eq!(
        b.check_for("api", &slos, "size=64", 10.0),
        Err("searched with point duration 6 s, this gate has 10 s".into())
    );
    let m = capacity_search::method(false, 0.05, 0.05, (400.0, 1600.0));
    assert!(
        m.starts_with("the breaking point's posterior intervals read as normal"),
        "{m}"
    );
    assert!(
        m.contains("over 400.0..1600.0 req/s (±3%, at most 8 runs)"),
        "{m}"
    );
    assert!(capacity_search::method(true, 0.05, 0.05, (1.0, 2.0)).contains("pass/fail bracket"));
}
