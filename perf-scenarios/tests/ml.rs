//! The ML commands end to end: a real sweep against the dummy site → `fit` → the
//! predicted capacity against the site's own `/admin/capacity`; `predict`, `usl`, and
//! their bad input.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_perf-scenarios");

fn capacity_of(site: &dummy_site::SiteHandle) -> f64 {
    let mut s = std::net::TcpStream::connect(site.addr()).unwrap();
    s.write_all(b"GET /admin/capacity HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let body = &text[text.find("\r\n\r\n").unwrap() + 4..];
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    v["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["path"] == "/api/items")
        .unwrap()["capacity_rps"]
        .as_f64()
        .unwrap()
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn sweep_then_fit_finds_the_shedding_sites_capacity_in_its_failures() {
    let site = dummy_site::SiteParams {
        workers: 4,
        service_time_ms: 10.0,
        queue: 16,
        queue_timeout_ms: 500,
        ..Default::default()
    }
    .check()
    .unwrap()
    .start("127.0.0.1:0".parse().unwrap())
    .unwrap();
    let capacity = capacity_of(&site);
    assert_eq!(capacity, 400.0);
    let dir = tempfile::tempdir().unwrap();
    let rates: Vec<String> = [0.25, 0.5, 0.75, 0.9, 1.1, 1.3]
        .iter()
        .map(|f| format!("{}", capacity * f))
        .collect();
    let o = run(
        dir.path(),
        &[
            "sweep",
            "api",
            "--rate",
            &rates.join(","),
            "--duration",
            "3s",
            "--param",
            "write_ratio=0",
            "--host",
            &site.url(),
            "--slo",
            "",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let results = std::fs::read_dir(dir.path().join("results"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let o = run(dir.path(), &["fit", results.to_str().unwrap()]);
    let out = String::from_utf8_lossy(&o.stdout);
    println!("{out}");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // A fixed service time keeps latency flat below the capacity: the queueing curve
    // must not invent a capacity from it (a number is allowed only within 15%).
    let line = out
        .lines()
        .find_map(|l| l.strip_prefix("predicted capacity: "))
        .unwrap_or_else(|| panic!("no capacity line in {out}"));
    let number = line
        .split_whitespace()
        .next()
        .and_then(|v| v.parse::<f64>().ok());
    assert!(
        number.map_or(line.starts_with("not identified"), |c| (c - capacity).abs()
            / capacity
            <= 0.15),
        "{line}"
    );
    // The site refuses what exceeds 400 req/s: the shedding curve, with 1% failures at
    // about 400 / 0.99 and an interval around it.
    assert!(out.contains("failure model: shedding curve"), "{out}");
    let one: f64 = out
        .lines()
        .find_map(|l| l.strip_prefix("failure curve: 1% of requests fail at "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no 1% load in {out}"));
    assert!(
        (one - capacity / 0.99).abs() / capacity <= 0.05,
        "1% at {one}"
    );
    assert!(out.contains("90% interval"), "{out}");
    assert!(
        out.contains("<- chosen") && out.contains("MAPE"),
        "CV error printed"
    );
    let model = dir.path().join("models/api/v1.json");
    let o = run(
        dir.path(),
        &[
            "predict",
            "--model",
            model.to_str().unwrap(),
            "--rate",
            "200",
        ],
    );
    let p = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success() && p.contains("90% interval") && p.contains("failure probability"),
        "{p}"
    );
    // A model of arrival rates is not asked about users.
    bad(
        dir.path(),
        &[
            "predict",
            "--model",
            model.to_str().unwrap(),
            "--users",
            "5",
        ],
        "open-model data",
    );
}

fn bad(dir: &Path, args: &[&str], needle: &str) {
    let o = run(dir, args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert!(
        err.lines().next().unwrap_or("").contains(needle),
        "{args:?}: {err}"
    );
    assert!(!err.contains("panicked"));
}

#[test]
fn bad_input_to_fit_predict_and_usl_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("r")).unwrap();
    std::fs::write(d.join("r/runs.csv"), "run_id,scenario\nx,api\n").unwrap();
    bad(d, &["fit", "r"], "missing column");
    bad(d, &["fit", "nowhere"], "cannot read");
    std::fs::write(d.join("u.csv"), "1,10\n2,oops\n").unwrap();
    bad(d, &["usl", "u.csv"], "u.csv:2: column 2");
    std::fs::write(d.join("u.csv"), "1,10\n2,20\n").unwrap();
    bad(d, &["usl", "u.csv"], "needs at least 4 points, got 2");
    std::fs::write(d.join("m.json"), "{\"schema_version\": 9}").unwrap();
    bad(
        d,
        &["predict", "--model", "m.json", "--rate", "10"],
        "schema version 9",
    );
    bad(
        d,
        &["predict", "--model", "m.json", "--rate", "0"],
        "--rate",
    );
    bad(
        d,
        &[
            "predict", "--model", "m.json", "--rate", "5", "--users", "5",
        ],
        "--rate",
    );
    bad(d, &["predict", "--model", "m.json"], "required arguments");
    std::fs::write(
        d.join("sdm.csv"),
        "N,X\n1,64.9\n18,995.9\n36,1652.4\n72,1853.2\n108,1828.9\n144,1775.0\n216,1702.2\n",
    )
    .unwrap();
    let o = run(d, &["usl", "sdm.csv"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success()
            && out.contains("sigma (contention)  0.0277")
            && out.contains("peak concurrency N* 96.5"),
        "{out}"
    );
}

/// One point of a hand-written `runs.csv`: load, requests, failures.
type Row = (f64, u64, u64);

/// A `runs.csv` in the current contract with one row per `(load, requests, failures)`:
/// 10-s open-model points of `api`, 12 ms p50 for the successes.
fn runs_csv(rows: &[Row]) -> String {
    let mut out = perf_core::results::RUNS_COLUMNS.join(",") + "\n";
    for (i, (load, requests, failures)) in rows.iter().enumerate() {
        let ok = requests > failures;
        let lat = |us: u64| if ok { us.to_string() } else { "0".into() };
        let cell = |c: &str| -> String {
            match c {
                "run_id" => "t".into(),
                "scenario" => "api".into(),
                "model" => "open".into(),
                "users" => "50".into(),
                "target_rps" | "achieved_rps" => load.to_string(),
                "duration_s" => "10".into(),
                "requests" => requests.to_string(),
                "failures" => failures.to_string(),
                "error_rate" => (*failures as f64 / (*requests).max(1) as f64).to_string(),
                "p50_us" | "mean_us" => lat(12_000),
                "p90_us" | "p95_us" => lat(14_000),
                "p99_us" | "max_us" => lat(16_000),
                "fail_p50_us" | "fail_p95_us" | "fail_max_us" => String::new(),
                "generator_saturated" => "false".into(),
                "slo_pass" | "complete" => "true".into(),
                "point" => i.to_string(),
                "started_at" => "2026-11-23T00:00:00Z".into(),
                _ => "0".into(),
            }
        };
        let line: Vec<String> = perf_core::results::RUNS_COLUMNS
            .iter()
            .map(|c| cell(c))
            .collect();
        out += &(line.join(",") + "\n");
    }
    out
}

#[test]
fn fit_refuses_empty_all_failed_and_one_level_results_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cases: [(&str, Vec<Row>, &str); 3] = [
        (
            "zero",
            (1..=6).map(|i| (50.0 * i as f64, 0, 0)).collect(),
            "usable load points",
        ),
        (
            "failed",
            (1..=6)
                .map(|i| (50.0 * i as f64, 500 * i, 500 * i))
                .collect(),
            "load levels with a successful request",
        ),
        ("one", vec![(100.0, 1000, 0); 6], "same load (100)"),
    ];
    for (name, rows, needle) in &cases {
        std::fs::create_dir_all(d.join(name)).unwrap();
        std::fs::write(d.join(name).join("runs.csv"), runs_csv(rows)).unwrap();
        bad(d, &["fit", name], needle);
        let err = String::from_utf8_lossy(&run(d, &["fit", name]).stderr).into_owned();
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
    }
    assert!(!d.join("models").exists(), "no model file was written");
}
