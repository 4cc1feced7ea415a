//! The perf-scenarios binary end to end: real attacks on the embedded site, the result
//! files of the contract, exit codes, bad input, signals, and a target that dies.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::{cmd, col, csv_rows, fast_site, result_dirs, run, BIN};

#[test]
fn sweep_writes_every_contract_column_and_file() {
    let out = tempfile::tempdir().unwrap();
    let o = run(
        out.path(),
        &[
            "sweep",
            "api",
            "--rate",
            "50,100",
            "--param",
            "size=512,2k",
            "--duration",
            "2s",
            "--site-service-time-ms",
            "2",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8(o.stdout).unwrap();
    assert!(
        stdout.contains("achieved req/s") && stdout.contains("size=2048"),
        "{stdout}"
    );
    let dirs = result_dirs(out.path());
    assert_eq!(dirs.len(), 1);
    let d = &dirs[0];
    assert!(
        stdout.contains(&d.display().to_string()),
        "the path of the results is printed"
    );
    let (h, rows) = csv_rows(&d.join("runs.csv"));
    for c in [
        "run_id",
        "scenario",
        "model",
        "users",
        "target_rps",
        "duration_s",
        "achieved_rps",
        "requests",
        "failures",
        "error_rate",
        "p50_us",
        "p90_us",
        "p95_us",
        "p99_us",
        "max_us",
        "mean_us",
        "dropped_iterations",
        "sut_cpu_pct",
        "sut_rss_mb",
        "gen_cpu_pct",
        "generator_saturated",
        "slo_pass",
        "complete",
        "size",
        "write_ratio",
    ] {
        assert!(h.iter().any(|x| x == c), "runs.csv lacks {c}: {h:?}");
    }
    assert_eq!(rows.len(), 4, "2 rates × 2 sizes");
    let sizes: Vec<String> = rows.iter().map(|r| col(&h, r, "size")).collect();
    assert_eq!(sizes, ["512", "512", "2048", "2048"]);
    for r in &rows {
        assert_eq!(col(&h, r, "model"), "open");
        assert_eq!(col(&h, r, "complete"), "true");
        let target: f64 = col(&h, r, "target_rps").parse().unwrap();
        let achieved: f64 = col(&h, r, "achieved_rps").parse().unwrap();
        assert!(
            (achieved - target).abs() <= target * 0.05,
            "{achieved} vs {target}"
        );
        assert!(col(&h, r, "sut_cpu_pct").parse::<f64>().is_ok());
    }
    for i in 0..4 {
        let p: serde_json::Value =
            serde_json::from_slice(&std::fs::read(d.join(format!("points/{i}.json"))).unwrap())
                .unwrap();
        assert_eq!(p["index"], i);
        assert!(
            p["endpoints"].as_array().unwrap().len() >= 3,
            "per-endpoint summaries"
        );
        assert!(p["environment"]["cores"].as_u64().unwrap() >= 1);
        assert_eq!(p["environment"]["target_in_process"], true);
        assert_eq!(
            p["slo"].as_array().unwrap().len(),
            2,
            "the scenario's default SLOs"
        );
    }
    let (th, trows) = csv_rows(&d.join("timeline.csv"));
    assert_eq!(
        th,
        [
            "point", "second", "endpoint", "requests", "failures", "p50_us", "p95_us", "p99_us",
            "max_us"
        ]
    );
    let seconds_of_point0 = trows
        .iter()
        .filter(|r| r[0] == "0" && r[2] == "ALL")
        .count();
    assert_eq!(seconds_of_point0, 2, "one ALL row per second");
    let (rh, rrows) = csv_rows(&d.join("resources.csv"));
    assert_eq!(rh[..3], ["point", "t_s", "gen_cpu_pct"]);
    assert!(rrows.len() >= 8, "a sample each second of each point");
}

#[test]
fn run_exits_99_when_its_slo_fails_and_0_when_it_passes() {
    let out = tempfile::tempdir().unwrap();
    let fail = run(
        out.path(),
        &[
            "run",
            "api",
            "--rate",
            "40",
            "--duration",
            "1s",
            "--slo",
            "p95<1us",
        ],
    );
    assert_eq!(
        fail.status.code(),
        Some(99),
        "{}",
        String::from_utf8_lossy(&fail.stderr)
    );
    assert!(String::from_utf8_lossy(&fail.stdout).contains("FAIL"));
    let pass = run(
        out.path(),
        &[
            "run",
            "static",
            "--rate",
            "40",
            "--duration",
            "1s",
            "--slo",
            "error-rate<1%",
        ],
    );
    assert_eq!(
        pass.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&pass.stderr)
    );
}

#[test]
fn closed_model_run_records_users() {
    let out = tempfile::tempdir().unwrap();
    let o = run(
        out.path(),
        &[
            "run",
            "checkout",
            "--users",
            "3",
            "--think",
            "20ms",
            "--duration",
            "2s",
            "--slo",
            "",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (h, rows) = csv_rows(&result_dirs(out.path())[0].join("runs.csv"));
    assert_eq!(
        (
            col(&h, &rows[0], "model").as_str(),
            col(&h, &rows[0], "users").as_str()
        ),
        ("closed", "3")
    );
    assert_eq!(col(&h, &rows[0], "target_rps"), "");
    assert_eq!(
        col(&h, &rows[0], "failures"),
        "0",
        "the session flow succeeds"
    );
    assert!(col(&h, &rows[0], "requests").parse::<u64>().unwrap() > 20);
}

fn bad(args: &[&str], needle: &str) {
    let out = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let o = run(out.path(), args);
    let err = String::from_utf8_lossy(&o.stderr);
    let first = err.lines().next().unwrap_or("");
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert!(
        first.starts_with("error:") && first.contains(needle),
        "{args:?}: first line {first:?}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert!(t.elapsed() < Duration::from_secs(10));
    assert!(result_dirs(out.path()).is_empty(), "{args:?} wrote results");
}

#[test]
fn bad_input_is_one_line_naming_the_input_with_exit_2() {
    bad(&["run", "nope"], "unknown scenario 'nope'");
    bad(
        &["run", "api", "--param", "colour=red"],
        "unknown parameter 'colour'",
    );
    bad(&["run", "api", "--param", "size=99m"], "parameter 'size'");
    bad(&["run", "api", "--param", "size"], "--param 'size'");
    bad(
        &["sweep", "api", "--param", "size=1k,huge"],
        "parameter 'size'",
    );
    bad(&["run", "api", "--slo", "p95<fast"], "--slo");
    bad(&["run", "api", "--host", "ftp://127.0.0.1:21"], "--host");
    bad(&["run", "api", "--host", "not a url"], "--host");
    bad(&["run", "api", "--rate", "0"], "--rate");
    bad(&["run", "api", "--rate", "-5"], "--rate");
    bad(&["run", "api", "--users", "0"], "--users");
    bad(&["run", "api", "--users", "-2"], "--users");
    bad(&["run", "api", "--duration", "0s"], "--duration");
    bad(&["run", "api", "--duration", "-1"], "--duration");
    bad(&["run", "api", "--duration", "soon"], "--duration");
    bad(&["sweep", "api", "--rate", "10,0"], "--rate");
    bad(&["run", "api", "--rate", "10", "--users", "2"], "--rate");
    bad(&["run", "api", "--site-workers", "0"], "--site-workers");
    bad(
        &["run", "api", "--site-error-rate", "200%"],
        "--site-error-rate",
    );
}

#[test]
fn unwritable_output_directory_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let o = Command::new(BIN)
        .args(["run", "api", "--duration", "1s", "--out"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.starts_with("error: --out: cannot write results to") && err.lines().count() == 1,
        "{err}"
    );
}

#[test]
fn refused_connections_fail_fast_with_exit_1() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let o = run(
        out.path(),
        &["run", "api", "--host", &format!("http://127.0.0.1:{port}")],
    );
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("cannot connect to the target") && err.contains("refused"),
        "{err}"
    );
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "took {:?}",
        t.elapsed()
    );
    assert!(result_dirs(out.path()).is_empty(), "no table of zeros");
}

fn interrupt(sig: &str, code: i32) {
    let out = tempfile::tempdir().unwrap();
    let mut child = cmd(
        out.path(),
        &["sweep", "api", "--rate", "50,60,70", "--duration", "3s"],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    // Wait until the first point is written, then signal in the middle of the second.
    let t = Instant::now();
    let runs = loop {
        if let Some(d) = result_dirs(out.path()).first() {
            let p = d.join("runs.csv");
            if std::fs::read_to_string(&p)
                .map(|s| s.lines().count() >= 2)
                .unwrap_or(false)
            {
                break p;
            }
        }
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "first point never written"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    std::thread::sleep(Duration::from_millis(1500));
    assert!(Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap()
        .success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(code), "{sig}");
    let (h, rows) = csv_rows(&runs);
    assert_eq!(rows.len(), 2, "the completed point and the partial one");
    assert_eq!(col(&h, &rows[0], "complete"), "true");
    assert_eq!(col(&h, &rows[1], "complete"), "false");
    assert!(
        col(&h, &rows[1], "requests").parse::<u64>().unwrap() > 10,
        "the partial point keeps what it measured"
    );
    let p1: serde_json::Value = serde_json::from_slice(
        &std::fs::read(runs.with_file_name("points").join("1.json")).unwrap(),
    )
    .unwrap();
    assert!(
        p1["ended"].as_str().unwrap().starts_with("interrupted"),
        "{}",
        p1["ended"]
    );
}

#[test]
fn sigint_writes_completed_and_partial_points_then_exits_130() {
    interrupt("-INT", 130);
}

#[test]
fn sigterm_writes_completed_and_partial_points_then_exits_143() {
    interrupt("-TERM", 143);
}

#[test]
fn a_target_that_dies_mid_run_is_recorded_and_the_sweep_stops_as_asked() {
    let site = fast_site("127.0.0.1:0");
    let url = site.url();
    let out = tempfile::tempdir().unwrap();
    let child = cmd(
        out.path(),
        &[
            "sweep",
            "api",
            "--rate",
            "50,50,50",
            "--duration",
            "2s",
            "--host",
            &url,
            "--stop-on-error-rate",
            "50%",
            "--timeout",
            "1s",
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    site.shutdown();
    let o = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("stopping the sweep"), "{stderr}");
    let (h, rows) = csv_rows(&result_dirs(out.path())[0].join("runs.csv"));
    assert!(rows.len() < 3, "the sweep stopped early");
    let last = rows.last().unwrap();
    assert!(
        col(&h, last, "failures").parse::<u64>().unwrap() > 0,
        "failures are recorded"
    );
    assert_eq!(col(&h, last, "slo_pass"), "false");
}

#[test]
fn list_and_help_describe_scenarios_and_options() {
    let o = Command::new(BIN).arg("list").output().unwrap();
    let s = String::from_utf8(o.stdout).unwrap();
    for needle in [
        "api",
        "browse",
        "checkout",
        "static",
        "--param size=",
        "default load",
        "SLO: p95<250ms",
    ] {
        assert!(s.contains(needle), "list lacks {needle}");
    }
    let o = Command::new(BIN).args(["run", "--help"]).output().unwrap();
    let h = String::from_utf8(o.stdout).unwrap();
    for needle in [
        "--rate",
        "--users",
        "--duration",
        "--param",
        "--slo",
        "--host",
        "--out",
        "--site-workers",
        "--site-service-time-ms",
        "--site-extra-latency-ms",
    ] {
        assert!(h.contains(needle), "run --help lacks {needle}");
    }
}

#[test]
fn main_job_with_no_arguments_finds_the_sites_capacity() {
    let dir = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let o = Command::new(BIN)
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let took = t.elapsed();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        took < Duration::from_secs(240),
        "the main job took {took:?}"
    );
    assert!(stdout.contains("capacity 400 req/s"), "{stdout}");
    assert!(
        stdout.contains("highest rate meeting the SLO: 400 req/s"),
        "{stdout}"
    );
    let dirs = result_dirs(&dir.path().join("results"));
    // The sweep's, the search's and the browser check's (scripts/test.sh installs
    // chromedriver, so the main job's browser check runs here).
    assert_eq!(dirs.len(), 3, "{dirs:?}");
    assert!(
        stdout.contains("browser check: 12 page loads, 0 failed check(s)"),
        "{stdout}"
    );
    assert!(dirs[2].join("browser.csv").exists());
    assert!(stdout.contains("results written to results/"), "{stdout}");
    // The search ends the job: its breaking point agrees with the capacity formula.
    let found: f64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("found "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no search result in\n{stdout}"));
    assert!((found / 400.0 - 1.0).abs() <= 0.06, "{stdout}");
    assert!(dirs[1].join("search.json").exists());
    let (h, rows) = csv_rows(&dirs[0].join("runs.csv"));
    assert_eq!(rows.len(), 6);
    let errors: Vec<f64> = rows
        .iter()
        .map(|r| col(&h, r, "error_rate").parse().unwrap())
        .collect();
    assert!(
        errors[..4].iter().all(|e| *e < 0.01) && errors[4] > 0.1,
        "{errors:?}"
    );
    // It ends with the report of the sweep, its model and the search.
    let page = dirs[0].join("report.html");
    assert!(
        stdout.contains(&format!(
            "report written to {}",
            Path::new("results")
                .join(dirs[0].file_name().unwrap())
                .join("report.html")
                .display()
        )),
        "{stdout}"
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dirs[0].join("report.json")).unwrap()).unwrap();
    // Capacity at the SLO: errors limit it (p95 stays under 100 ms behind a 16-request
    // queue), within 5% of the formula's 400, with an interval wider than zero.
    let cap = &report["planning"]["value"]["capacity"];
    let load = cap["load"].as_f64().unwrap_or_else(|| panic!("{cap}"));
    let (lo, hi) = (
        cap["interval"]["low"].as_f64().unwrap(),
        cap["interval"]["high"].as_f64().unwrap(),
    );
    assert!((load / 400.0 - 1.0).abs() <= 0.05, "{cap}");
    assert!(
        lo < load && load < hi && (lo / 400.0 - 1.0).abs() <= 0.05,
        "{cap}"
    );
    assert_eq!(cap["limited_by"], "errors", "{cap}");
    for section in [
        "model",
        "breaking_point",
        "timeline",
        "resources",
        "planning",
        "breaks_first",
        "clusters",
    ] {
        assert!(
            report[section]["value"].is_object() || report[section]["value"].is_array(),
            "{section}: {}",
            report[section]
        );
    }
    // Sleep-bound workers: latency rises while the site's CPU idles, and the queue sheds.
    let kinds: Vec<&str> = report["bottlenecks"]["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"queueing"), "{kinds:?}");
    // The plugin file plugins/apdex.rs: its section in both report.json and report.html,
    // at T = the main job's p95 SLO limit, every score in [0, 1].
    let apdex = &report["apdex"]["value"];
    assert_eq!(apdex["threshold_from"], "p95 SLO", "{apdex}");
    assert_eq!(apdex["threshold_us"], report["limits"]["p95_us"], "{apdex}");
    let rows = apdex["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", report["apdex"]));
    assert!(
        rows.len() > report["points"].as_array().unwrap().len()
            && rows
                .iter()
                .all(|r| (0.0..=1.0).contains(&r["apdex"].as_f64().unwrap())),
        "{apdex}"
    );
    assert_eq!(
        report["plugins"].as_array().unwrap().last().unwrap(),
        "apdex"
    );
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        html.contains(
            "<section id=\"apdex\"><h2>Apdex per endpoint and load</h2><p>T = 100 ms (p95 SLO)"
        ),
        "no Apdex section"
    );
    common::assert_report_schema(&report);
    render_in_chromium(&page);
}

/// Opens the report in headless Chromium (no network: every host resolves to nothing):
/// no console error, every chart in the rendered DOM, and a screenshot in
/// target/tmp/report.png for people to look at.
fn render_in_chromium(page: &Path) {
    let html = std::fs::read_to_string(page).unwrap();
    for fetch in ["src=\"http", "href=\"http", "url(http", "<script"] {
        assert!(
            !html.contains(fetch),
            "the report must be self-contained: found {fetch}"
        );
    }
    let url = format!("file://{}", page.canonicalize().unwrap().display());
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report.png");
    let chromium = |extra: &[&str]| {
        Command::new("chromium")
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--enable-logging=stderr",
                "--v=0",
            ])
            .arg("--host-resolver-rules=MAP * ~NOTFOUND")
            .args(extra)
            .arg(&url)
            .output()
            .expect("chromium (scripts/test.sh installs it)")
    };
    let o = chromium(&[
        "--window-size=1200,5000",
        &format!("--screenshot={}", shot.display()),
    ]);
    let log = String::from_utf8_lossy(&o.stderr);
    let console: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught") || l.contains("net::ERR"))
        .collect();
    assert!(console.is_empty(), "console errors: {console:?}");
    assert!(
        std::fs::metadata(&shot)
            .map(|m| m.len() > 20_000)
            .unwrap_or(false),
        "no screenshot: {log}"
    );
    let dom = String::from_utf8_lossy(&chromium(&["--dump-dom"]).stdout).into_owned();
    for id in [
        "chart-latency",
        "chart-errors",
        "chart-timeline-0",
        "chart-resources",
    ] {
        assert!(dom.contains(&format!("id=\"{id}\"")), "{id} not rendered");
    }
    assert!(
        dom.matches("<svg").count() >= 9,
        "charts rendered: {}",
        dom.matches("<svg").count()
    );
    println!("report screenshot: {}", shot.display());
}
