//! `gate`, `compare` and `bench-gate` end to end: baselines saved from real runs of the
//! embedded dummy site, faults injected with `--site-*` options, and every bad baseline,
//! run and criterion folder answered with one clear line and exit 2.

use std::path::Path;
use std::process::Output;

mod common;

use common::{result_dirs, run};

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn gate(out: &Path, baseline: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["gate", "api", "--baseline", baseline.to_str().unwrap()];
    args.extend_from_slice(extra);
    run(out, &args)
}

/// The results directories of the newest `k` runs, comma-separated (as `compare` takes
/// one side).
fn newest(out: &Path, k: usize) -> String {
    let dirs = result_dirs(out);
    dirs[dirs.len() - k..]
        .iter()
        .map(|d| d.to_str().unwrap().to_string())
        .collect::<Vec<_>>()
        .join(",")
}

#[test]
fn baseline_then_unchanged_passes_and_injected_faults_fail() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("results");
    let base = d.path().join("baselines/api.json");
    let o = gate(&out, &base, &["--save-baseline", "--duration", "1s"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains("gate run 5 of 5") && text(&o).contains("baseline written"),
        "{}",
        text(&o)
    );
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(&base).unwrap()).unwrap();
    assert_eq!(saved["schema"], 2);
    assert_eq!(saved["runs"].as_array().unwrap().len(), 5);
    assert_eq!(saved["runs"][0]["points"].as_array().unwrap().len(), 2);
    let first = newest(&out, 5);

    let o = gate(&out, &base, &["--duration", "1s"]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(0), "{t}");
    assert!(
        t.contains("gate: PASS")
            && t.contains("exact one-sided Mann-Whitney")
            && t.contains("Holm"),
        "{t}"
    );
    assert!(!t.contains("warning: the environment differs"), "{t}");
    let unchanged = newest(&out, 5);
    assert!(result_dirs(&out)
        .last()
        .unwrap()
        .join("gate.json")
        .is_file());

    // A slower, failing site: another target setting, refused before any load unless
    // the user says the change is the point.
    let fault = [
        "--duration",
        "1s",
        "--site-extra-latency-ms",
        "3",
        "--site-error-rate",
        "0.05",
    ];
    let before = result_dirs(&out).len();
    expect_usage(
        &gate(&out, &base, &fault),
        "target extra_latency_ms: baseline 0.0, now 3.0",
    );
    assert_eq!(result_dirs(&out).len(), before, "no load was run");
    let o = gate(&out, &base, &[&fault[..], &["--allow-env-change"]].concat());
    let t = text(&o);
    assert_eq!(o.status.code(), Some(99), "{t}");
    assert!(
        t.contains("warning: the environment differs") && t.contains("extra_latency_ms"),
        "{t}"
    );
    let regressed = |metric: &str| {
        t.lines()
            .any(|l| l.contains(" ALL ") && l.contains(metric) && l.ends_with("REGRESSED"))
    };
    assert!(regressed("p50") && regressed("error rate"), "{t}");
    let faulty = newest(&out, 5);
    let report: serde_json::Value = serde_json::from_slice(
        &std::fs::read(result_dirs(&out).last().unwrap().join("gate.json")).unwrap(),
    )
    .unwrap();
    assert!(report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["verdict"] == "regressed" && f["primary"] == true));

    // compare: the same statistics on two sets of results directories.
    let o = compare(&first, &unchanged);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = compare(&first, &faulty);
    assert_eq!(o.status.code(), Some(99), "{}", text(&o));
    assert!(text(&o).contains("gate: FAIL"), "{}", text(&o));
    // One directory a side is too few runs to judge.
    let one = first.split(',').next().unwrap();
    expect_usage(
        &compare(one, one),
        "the baseline has 1 run(s); the gate needs at least 3",
    );
}

/// Exit 2 and the error is one line (the last on stderr, after any progress lines).
fn expect_usage(o: &Output, needle: &str) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{}", text(o));
    let last = err.trim().lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: ") && last.contains(needle),
        "wanted '{needle}' in the last line of: {err}"
    );
}

/// `compare` (which has no `--out`) of two comma-separated lists of directories.
fn compare(a: &str, b: &str) -> Output {
    std::process::Command::new(common::BIN)
        .args(["compare", a, b])
        .output()
        .unwrap()
}

#[test]
fn bad_baselines_are_refused_before_any_load() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("results");
    let base = d.path().join("api.json");
    let committed = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../scenarios/baselines/api.json"
    );
    let mut v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(committed).unwrap()).unwrap();

    v["schema"] = 99.into();
    std::fs::write(&base, v.to_string()).unwrap();
    expect_usage(
        &gate(&out, &base, &[]),
        "baseline schema version 99, this build reads version 2",
    );

    let good = std::fs::read_to_string(committed).unwrap();
    std::fs::write(&base, &good[..good.len() / 2]).unwrap();
    expect_usage(&gate(&out, &base, &[]), "corrupted baseline: invalid JSON");

    std::fs::write(&base, "{\"schema\": 2, \"runs\": [{\"points\": 3}]}").unwrap();
    expect_usage(&gate(&out, &base, &[]), "corrupted baseline");

    expect_usage(&gate(&out, &d.path().join("none.json"), &[]), "cannot read");
    expect_usage(&gate(&out, &base, &["--alpha", "2"]), "gate setting alpha");
    expect_usage(
        &gate(&out, &base, &["--threshold", "-5%"]),
        "gate setting threshold",
    );
    let o = gate(&out, &base, &["--repeat", "2"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("2 is not in 3..=100"), "{}", text(&o));
    let o = gate(&out, &base, &["--primary", "some"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("'some' is not aggregate or all"),
        "{}",
        text(&o)
    );

    // Too few runs, too few for the test to ever fail, another machine: each refused
    // before any load.
    let mut few = v.clone();
    few["schema"] = 2.into();
    few["runs"] = serde_json::json!([v["runs"][0], v["runs"][1]]);
    std::fs::write(&base, few.to_string()).unwrap();
    expect_usage(
        &gate(&out, &base, &[]),
        "the baseline has 2 run(s); the gate needs at least 3 (the run is the sampling unit)",
    );
    v["schema"] = 2.into();
    std::fs::write(&base, v.to_string()).unwrap();
    expect_usage(
        &gate(&out, &base, &["--repeat", "3"]),
        "cannot pass Holm's first bar",
    );
    let mut moved = v.clone();
    for r in moved["runs"].as_array_mut().unwrap() {
        r["environment"]["cores"] = 64.into();
    }
    std::fs::write(&base, moved.to_string()).unwrap();
    expect_usage(&gate(&out, &base, &[]), "taken in another environment");
    expect_usage(&gate(&out, &base, &[]), "cores: baseline 64, now");
    assert!(result_dirs(&out).is_empty(), "no load was run");
    for o in [
        gate(&out, &base, &[]),
        gate(&out, &d.path().join("none.json"), &[]),
    ] {
        assert_eq!(
            String::from_utf8_lossy(&o.stderr).trim().lines().count(),
            1,
            "one line"
        );
    }
}

/// `gate --reference-site`: the reference and the judged site run interleaved on this
/// machine (A B, B A, …) and a slower judged site fails; every bad reference is refused
/// before any load.
#[test]
fn a_b_gate_interleaves_the_two_sites_and_catches_the_slower() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("results");
    let ab = |extra: &[&str]| {
        let mut args = vec!["gate", "api"];
        args.extend_from_slice(extra);
        run(&out, &args)
    };
    expect_usage(
        &ab(&["--reference-site", "--workers 0"]),
        "--reference-site '--workers 0': invalid value '0' for '--workers'",
    );
    expect_usage(
        &ab(&["--reference-site", "--wrokers 2"]),
        "unexpected argument '--wrokers'",
    );
    expect_usage(
        &ab(&["--reference-site", "", "--repeat", "4"]),
        "4 reference (baseline) run(s) against 4",
    );
    // Clap's own refusals (exit 2, with a usage line).
    for extra in [
        &["--reference-site", "", "--save-baseline"][..],
        &[
            "--reference-host",
            "http://127.0.0.1:1",
            "--baseline",
            "b.json",
        ],
    ] {
        let o = ab(extra);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(text(&o).contains("cannot be used with"), "{}", text(&o));
    }
    // A reference that refuses connections: a runtime failure, one line.
    let o = ab(&["--reference-host", "http://127.0.0.1:1"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("--reference-host: cannot connect"), "{err}");
    assert!(result_dirs(&out).is_empty(), "no load was run");

    let o = ab(&[
        "--reference-site",
        "",
        "--site-extra-latency-ms",
        "3",
        "--duration",
        "1s",
    ]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(99), "{t}");
    let order: Vec<&str> = t
        .lines()
        .filter_map(|l| l.strip_prefix("gate run "))
        .map(|l| {
            if l.ends_with("A (reference)") {
                "A"
            } else {
                "B"
            }
        })
        .collect();
    assert_eq!(
        order,
        ["A", "B", "B", "A", "A", "B", "B", "A", "A", "B"],
        "{t}"
    );
    assert!(
        t.contains("gate: FAIL against reference the embedded site with its defaults")
            && t.contains("A/B on this machine: 5 runs of the reference"),
        "{t}"
    );
    assert!(
        t.lines()
            .any(|l| l.contains(" ALL ") && l.contains("p50") && l.ends_with("REGRESSED")),
        "{t}"
    );
    let dirs = result_dirs(&out);
    assert_eq!(dirs.len(), 10);
    assert!(dirs.last().unwrap().join("gate.json").is_file());
}

/// `gate --breaking-point`: a cold search records the breaking point; a slower site's
/// warm-started search finds it fell and fails; baselines of the other kind, other SLOs
/// or broken values are refused before any load.
#[test]
fn the_breaking_point_gate_catches_a_capacity_drop() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("results");
    let base = d.path().join("api-bp.json");
    // 8 workers × 10 ms: the site sheds above about 760 req/s (BENCHMARKS.md). A
    // 2-worker site breaks on p95 instead, on a plateau that 2-s points cannot resolve:
    // its baseline interval reached the bottom of the range, and is now refused.
    let bp_on = |service_ms: &str, extra: &[&str]| {
        let mut args = vec!["gate", "api", "--breaking-point"];
        args.extend_from_slice(&["--site-service-time-ms", service_ms]);
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--baseline", base.to_str().unwrap()]);
        run(&out, &args)
    };
    let bp = |extra: &[&str]| bp_on("10", extra);
    let o = bp(&["--save-baseline", "--range", "50..5000"]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(0), "{t}");
    assert!(t.contains("baseline written"), "{t}");
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(&base).unwrap()).unwrap();
    assert_eq!(saved["kind"], "breaking-point");
    let b0 = saved["capacity"]["estimate"].as_f64().unwrap();
    assert!((500.0..1000.0).contains(&b0), "{b0}");

    // 10 → 13 ms of service: about −23% capacity.
    let o = bp_on("13", &["--allow-env-change"]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(99), "{t}");
    assert!(
        t.contains("gate: FAIL against baseline") && t.contains("REGRESSED"),
        "{t}"
    );
    let report: serde_json::Value = serde_json::from_slice(
        &std::fs::read(result_dirs(&out).last().unwrap().join("gate.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(report["finding"]["verdict"], "regressed");
    assert!(
        report["finding"]["change"].as_f64().unwrap() < -0.1,
        "{report}"
    );

    // Refused before any load: another kind of baseline, other SLOs, another site
    // without the flag, a threshold that is not one, a broken breaking point.
    let before = result_dirs(&out).len();
    expect_usage(
        &bp(&["--slo", "p95<100ms"]),
        "searched with SLOs p95<250ms,error-rate<1%, this gate has p95<100ms",
    );
    expect_usage(
        &bp(&["--site-workers", "3"]),
        "taken in another environment",
    );
    expect_usage(
        &bp(&["--capacity-threshold", "150%"]),
        "--capacity-threshold: 1.5 must be above 0% and below 100%",
    );
    // The latency gate's settings are refused, not silently ignored.
    expect_usage(
        &bp(&["--threshold", "5%"]),
        "--threshold (the breaking point's is --capacity-threshold): a setting of the latency gate, not used with --breaking-point",
    );
    expect_usage(
        &bp(&["--primary", "all"]),
        "--primary: a setting of the latency gate, not used with --breaking-point",
    );
    let mut v = saved.clone();
    v["capacity"]["interval"] = serde_json::json!([1.0, 2.0]);
    std::fs::write(&base, v.to_string()).unwrap();
    expect_usage(&bp(&[]), "is not a rate inside its interval");
    let runs = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../scenarios/baselines/api.json"
    );
    std::fs::copy(runs, &base).unwrap();
    expect_usage(
        &bp(&[]),
        "the baseline holds runs of the gate profile (no breaking point)",
    );
    std::fs::write(&base, saved.to_string()).unwrap();
    expect_usage(
        &gate(&out, &base, &[]),
        "the baseline holds a breaking point; use gate --breaking-point",
    );
    assert_eq!(result_dirs(&out).len(), before, "no load was run");
}

#[test]
fn an_endpoint_missing_from_the_run_is_bad_input() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("results");
    let base = d.path().join("api.json");
    let o = gate(&out, &base, &["--save-baseline", "--duration", "1s"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&base).unwrap()).unwrap();
    for r in v["runs"].as_array_mut().unwrap() {
        let all = r["points"][1]["endpoints"]["ALL"].clone();
        r["points"][1]["endpoints"]["GET /api/ghost"] = all;
    }
    std::fs::write(&base, v.to_string()).unwrap();
    expect_usage(
        &gate(&out, &base, &["--duration", "1s"]),
        "point 1: endpoint 'GET /api/ghost' is in the baseline but not in this run",
    );
    // A profile that no longer matches the baseline is bad input too.
    expect_usage(
        &gate(&out, &base, &["--duration", "3s"]),
        "point 0: the baseline ran open 100 req/s for 1 s",
    );
}

#[test]
fn empty_and_foreign_result_directories_are_bad_input() {
    let d = tempfile::tempdir().unwrap();
    let empty = d.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let cols = perf_core::results::RUNS_COLUMNS.join(",");
    std::fs::write(empty.join("runs.csv"), format!("{cols}\n")).unwrap();
    let other = d.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    let (empty, other) = (empty.to_str().unwrap(), other.to_str().unwrap());
    let o = compare(empty, empty);
    expect_usage(&o, "empty run");
    expect_usage(&o, "no load points");
    let o = compare(other, empty);
    expect_usage(&o, "no runs.csv (not a results directory)");
}

fn estimates(dir: &Path, median: f64, half: f64) {
    std::fs::create_dir_all(dir).unwrap();
    let e = |p: f64| serde_json::json!({"confidence_interval": {"confidence_level": 0.95, "lower_bound": p - half, "upper_bound": p + half}, "point_estimate": p, "standard_error": half / 2.0});
    let body = serde_json::json!({"mean": e(median), "median": e(median), "median_abs_dev": e(1.0), "slope": null, "std_dev": e(1.0)});
    std::fs::write(dir.join("estimates.json"), body.to_string()).unwrap();
}

#[test]
fn bench_gate_reads_criterion_estimates() {
    let d = tempfile::tempdir().unwrap();
    let crit = d.path().join("criterion");
    estimates(&crit.join("ingest/read_runs/main"), 1000.0, 10.0);
    estimates(&crit.join("ingest/read_runs/new"), 1030.0, 10.0);
    estimates(&crit.join("ml/fit/main"), 5000.0, 50.0);
    estimates(&crit.join("ml/fit/new"), 5100.0, 50.0);
    estimates(&crit.join("ml/only_new/new"), 10.0, 1.0);
    let bg = |extra: &[&str]| {
        let mut a = vec!["bench-gate", "--criterion-dir", crit.to_str().unwrap()];
        a.extend_from_slice(extra);
        std::process::Command::new(common::BIN)
            .args(&a)
            .output()
            .unwrap()
    };
    let o = bg(&["--baseline", "main"]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(0), "{t}");
    assert!(
        t.contains("ingest/read_runs")
            && t.contains("+3.0%")
            && t.contains("1 benchmark(s) have no baseline"),
        "{t}"
    );

    estimates(&crit.join("ml/fit/new"), 6000.0, 50.0);
    let o = bg(&["--baseline", "main"]);
    assert_eq!(o.status.code(), Some(99), "{}", text(&o));
    assert!(text(&o).contains("SLOWER"), "{}", text(&o));
    let o = bg(&["--baseline", "main", "--threshold", "25%"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    expect_usage(&bg(&["--baseline", "nope"]), "no benchmark under");
    expect_usage(
        &bg(&["--baseline", "new"]),
        "must be a criterion baseline name",
    );
    std::fs::write(crit.join("ml/fit/main/estimates.json"), "{\"median\": 3}").unwrap();
    expect_usage(&bg(&["--baseline", "main"]), "not criterion estimates");
    let o = std::process::Command::new(common::BIN)
        .args([
            "bench-gate",
            "--baseline",
            "main",
            "--criterion-dir",
            "/nonexistent/x",
        ])
        .output()
        .unwrap();
    expect_usage(&o, "--criterion-dir /nonexistent/x: no such folder");
}
