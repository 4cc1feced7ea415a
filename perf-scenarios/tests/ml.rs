//! The ML commands end to end: a real sweep against the dummy site → `fit` → the
//! predicted capacity against the site's own `/admin/capacity`; `predict`, `usl`, and
//! their bad input.

mod common;

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Output};

use common::BIN;

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
    capacity_plan(dir.path(), &model, &results);
}

const REAL_TRAFFIC: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../scenarios/traffic/melbourne-pedestrians-2023-04.csv"
);

/// `plan` and `report --traffic` on the committed real series with the model just fitted
/// (one replica serves about 400 req/s), and their bad input.
fn capacity_plan(dir: &Path, model: &Path, results: &Path) {
    let m = model.to_str().unwrap();
    let plan = |extra: &[&str]| {
        let mut args = vec!["plan", "--traffic", REAL_TRAFFIC, "--model", m];
        args.extend_from_slice(extra);
        run(dir, &args)
    };
    // 600 × the series, one replica today, 0.096 a replica-hour.
    let opts = [
        "--scale",
        "600",
        "--replicas",
        "1",
        "--replica-cost",
        "0.096/h",
    ];
    let o = plan(&opts);
    let text = String::from_utf8_lossy(&o.stdout);
    println!("{text}");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for want in [
        "seasons (detected): 1d, 7d",
        "backtest: 4 origins",
        "seasonal-naive",
        "WAPE",
        "schedule ",
        "static ",
        "current ",
        "exhaustion: 1 replicas",
    ] {
        assert!(text.contains(want), "{want:?} not in {text}");
    }
    let o = plan(&[&opts[..], &["--json"]].concat());
    assert!(o.status.success());
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    // 14 days of hourly steps; the peak of 840 req/s (1.4/s × 600) outgrows one replica.
    assert_eq!(j["forecast"]["upper"].as_array().unwrap().len(), 336);
    assert_eq!(j["backtest"]["scores"].as_array().unwrap().len(), 2);
    let e = &j["exhaustion"];
    assert!(
        e["days"].as_f64().unwrap() < 7.0 && e["level"] == "P1",
        "{e}"
    );
    let prov = j["provisioning"].as_array().unwrap();
    let sched = &prov[0];
    let stat = &prov[1];
    assert!(sched["max_replicas"].as_u64().unwrap() >= 2);
    assert!(sched["replica_hours"].as_f64() < stat["replica_hours"].as_f64());
    assert!(
        (sched["cost"].as_f64().unwrap() - 0.096 * sched["replica_hours"].as_f64().unwrap()).abs()
            < 1e-6
    );
    assert_eq!(sched["hours_at_risk"], 0.0);
    assert!(
        prov[2]["hours_at_risk"].as_f64().unwrap() > 0.0,
        "one replica is short at peaks"
    );

    // The report's section, from the same options.
    let o = run(
        dir,
        &[
            "report",
            results.to_str().unwrap(),
            "--models",
            model.parent().unwrap().parent().unwrap().to_str().unwrap(),
            "--traffic",
            REAL_TRAFFIC,
            "--plugin-param",
            "capacity_plan.scale=600",
            "--plugin-param",
            "capacity_plan.replicas=1",
            "--plugin-param",
            "capacity_plan.slo=p95<100ms,error-rate<1%",
        ],
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success() && out.contains("report: capacity plan ("),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(results.join("report.json")).unwrap())
            .unwrap();
    common::assert_report_schema(&r);
    // The schema is checked, not waved through: an unknown method is refused.
    let mut wrong = r.clone();
    wrong["capacity_plan"]["value"]["plan"]["method"] = "prophet".into();
    assert!(std::panic::catch_unwind(|| common::assert_report_schema(&wrong)).is_err());
    let section = &r["capacity_plan"]["value"];
    assert_eq!(section["plan"]["exhaustion"]["level"], "P1", "{section}");
    assert_eq!(section["recent"].as_array().unwrap().len(), 336);
    let html = std::fs::read_to_string(results.join("report.html")).unwrap();
    assert!(
        html.contains("id=\"capacity-plan-forecast\"")
            && html.contains("id=\"capacity-plan-replicas\"")
    );

    // Ten days: the weekly season is left out, and the plan says so.
    let short = dir.join("short.csv");
    let rows: Vec<String> = std::fs::read_to_string(REAL_TRAFFIC)
        .unwrap()
        .lines()
        .take(241)
        .map(String::from)
        .collect();
    std::fs::write(&short, rows.join("\n")).unwrap();
    let o = run(
        dir,
        &[
            "plan",
            "--traffic",
            short.to_str().unwrap(),
            "--model",
            m,
            "--season",
            "1d,7d",
        ],
    );
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success() && text.contains("note: the 7d season needs two seasons (14d) of data and the series has 10.0 days: left out"), "{text}");

    // The same series as Prometheus returns it (two series summed per time): the same
    // seasons, and the plan says it summed them.
    let prom = dir.join("prom.json");
    let text = std::fs::read_to_string(REAL_TRAFFIC).unwrap();
    let values: Vec<String> = text
        .lines()
        .skip(1)
        .map(|l| {
            let (t, v) = l.split_once(',').unwrap();
            let unix = chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S")
                .unwrap()
                .and_utc()
                .timestamp();
            format!("[{unix},\"{}\"]", v.parse::<f64>().unwrap() / 2.0)
        })
        .collect();
    let series = format!(r#"{{"metric":{{}},"values":[{}]}}"#, values.join(","));
    std::fs::write(
        &prom,
        format!(r#"{{"status":"success","data":{{"resultType":"matrix","result":[{series},{series}]}}}}"#),
    )
    .unwrap();
    let o = run(
        dir,
        &["plan", "--traffic", prom.to_str().unwrap(), "--model", m],
    );
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success()
            && text.contains("seasons (detected): 1d, 7d")
            && text.contains("note: 2 Prometheus series summed per timestamp"),
        "{text}{}",
        String::from_utf8_lossy(&o.stderr)
    );

    // Bad input: one line, exit 2.
    let unsorted = dir.join("unsorted.csv");
    let mut rows: Vec<String> = std::fs::read_to_string(REAL_TRAFFIC)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    rows.swap(30, 31);
    std::fs::write(&unsorted, rows.join("\n")).unwrap();
    let irregular = dir.join("irregular.csv");
    rows.swap(30, 31);
    rows[40] = rows[40].replace(":00:00,", ":20:00,");
    std::fs::write(&irregular, rows.join("\n")).unwrap();
    let old = dir.join("old-model.json");
    let text = std::fs::read_to_string(model).unwrap().replacen(
        "\"schema_version\": 2",
        "\"schema_version\": 1",
        1,
    );
    std::fs::write(&old, text).unwrap();
    let (u, i, o) = (
        unsorted.to_str().unwrap(),
        irregular.to_str().unwrap(),
        old.to_str().unwrap(),
    );
    for (args, needle) in [
        (
            vec!["plan", "--traffic", u, "--model", m],
            "not sorted: line 32",
        ),
        (
            vec!["plan", "--traffic", i, "--model", m],
            "irregular: line 41 is 4800 s after",
        ),
        (
            vec!["plan", "--traffic", REAL_TRAFFIC, "--model", o],
            "schema",
        ),
        (
            vec![
                "plan",
                "--traffic",
                REAL_TRAFFIC,
                "--model",
                m,
                "--replica-cost",
                "-0.1/h",
            ],
            "--replica-cost: '-0.1/h': a cost cannot be negative",
        ),
        (
            vec![
                "plan",
                "--traffic",
                REAL_TRAFFIC,
                "--model",
                m,
                "--horizon",
                "soon",
            ],
            "--horizon: 'soon' is not a duration",
        ),
        (
            vec![
                "plan",
                "--traffic",
                REAL_TRAFFIC,
                "--model",
                m,
                "--slo",
                "p99<1s",
            ],
            "--slo: 'p99<1s' has no p95 or error-rate rule",
        ),
        (
            vec![
                "plan",
                "--traffic",
                REAL_TRAFFIC,
                "--model",
                m,
                "--season",
                "90m",
            ],
            "--season: 90m is not a whole number",
        ),
        (
            vec!["plan", "--traffic", "nowhere.csv", "--model", m],
            "traffic file nowhere.csv: cannot read it",
        ),
        (
            vec![
                "report",
                results.to_str().unwrap(),
                "--traffic",
                "nowhere.csv",
            ],
            "--traffic: nowhere.csv: no such file",
        ),
        (
            vec![
                "report",
                results.to_str().unwrap(),
                "--traffic",
                REAL_TRAFFIC,
                "--plugin-param",
                "capacity_plan.confidence=2",
            ],
            "capacity_plan.confidence=2",
        ),
    ] {
        bad(dir, &args, needle);
    }
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
