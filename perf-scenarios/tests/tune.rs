//! `tune` end to end: the embedded site restarted with each configuration, an external
//! target reconfigured by an `--apply` command, and bad input.

mod common;

use std::path::Path;
use std::process::Output;

use common::{col, csv_rows, result_dirs, run};

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn tune_json(out: &Path) -> (std::path::PathBuf, serde_json::Value) {
    let dirs = result_dirs(out);
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    let json = std::fs::read_to_string(dirs[0].join("tune.json")).unwrap();
    (dirs[0].clone(), serde_json::from_str(&json).unwrap())
}

#[test]
fn the_embedded_site_is_tuned_over_two_knobs_each_point_on_a_site_started_with_them() {
    let out = tempfile::tempdir().unwrap();
    let _load = common::one_load_at_a_time();
    let o = run(
        out.path(),
        &[
            "tune",
            "api",
            "--rate",
            "300",
            "--slo",
            "p95<50ms,error-rate<1%",
            "--knob",
            "site-workers=1..12:int",
            "--knob",
            "site-service-time-ms=2..20",
            "--cost",
            "site-workers * 0.05 + 1 / site-service-time-ms",
            "--max-runs",
            "5",
            "--point-duration",
            "1s",
            "--param",
            "write_ratio=0",
        ],
    );
    let (stdout, stderr) = text(&o);
    assert!(
        matches!(o.status.code(), Some(0 | 99)),
        "{stdout}\n{stderr}"
    );
    let (dir, file) = tune_json(out.path());
    let t = &file["tune"];
    let points = t["points"].as_array().unwrap();
    assert_eq!(points.len(), 5, "{stdout}");
    assert_eq!(points[0]["rule"], "latin hypercube");
    assert_eq!(file["rate"], 300.0);
    // Each point ran on a site with its knobs: they are runs.csv's columns, and a site
    // whose capacity (workers × 1000 / service time) is well under the rate fails.
    let (h, rows) = csv_rows(&dir.join("runs.csv"));
    assert_eq!(rows.len(), 5);
    for (p, row) in points.iter().zip(&rows) {
        let w = p["values"][0].as_f64().unwrap();
        let s = p["values"][1].as_f64().unwrap();
        assert_eq!(col(&h, row, "site-workers").parse::<f64>().unwrap(), w);
        assert!((col(&h, row, "site-service-time-ms").parse::<f64>().unwrap() - s).abs() < 1e-3);
        assert_eq!(
            col(&h, row, "slo_pass") == "true",
            p["pass"].as_bool().unwrap()
        );
        let cost = w * 0.05 + 1.0 / s;
        assert!((p["cost"].as_f64().unwrap() - cost).abs() < 1e-9);
        if w * 1000.0 / s < 0.8 * 300.0 {
            assert!(
                !p["pass"].as_bool().unwrap(),
                "capacity {} passed\n{stdout}",
                w * 1000.0 / s
            );
        }
    }
    // The best is the cheapest point that passed; the exit code says whether there is one.
    let pass: Vec<&serde_json::Value> = points.iter().filter(|p| p["pass"] == true).collect();
    match t["best"].as_u64() {
        Some(b) => {
            let c = points[b as usize]["cost"].as_f64().unwrap();
            assert!(pass.iter().all(|p| p["cost"].as_f64().unwrap() >= c));
            assert_eq!(o.status.code(), Some(0));
            assert!(
                stdout.contains("cheapest configuration meeting the SLOs: site-workers="),
                "{stdout}"
            );
        }
        None => {
            assert!(pass.is_empty());
            assert_eq!(o.status.code(), Some(99));
        }
    }
    assert!(stdout.contains("stopped: "), "{stdout}");
    assert!(
        stdout.contains("how much the margin depends on each knob"),
        "{stdout}"
    );

    // The report reads tune.json into its Tuning section: the scatter and the frontier.
    let o = std::process::Command::new(common::BIN)
        .args(["report", dir.to_str().unwrap()])
        .output()
        .unwrap();
    let (stdout, stderr) = text(&o);
    assert!(o.status.success(), "{stdout}\n{stderr}");
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(
        html.contains("chart-tuning") && html.contains("frontier"),
        "no tuning chart"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    let tuning = &report["tuning"]["value"];
    assert_eq!(tuning["runs"], 5, "{}", report["tuning"]);
    assert_eq!(tuning["scatter"].as_array().unwrap().len(), 5);
    assert_eq!(tuning["best"].is_null(), t["best"].is_null());
    common::assert_report_schema(&report);
}

#[test]
fn an_external_target_is_reconfigured_by_the_apply_command_before_each_point() {
    let site = common::fast_site("127.0.0.1:0");
    let url = site.url();
    let out = tempfile::tempdir().unwrap();
    let logs = tempfile::tempdir().unwrap();
    let log = logs.path().join("applied.txt");
    let apply = format!("echo {{replicas}} {{pool}} >> {}", log.display());
    let _load = common::one_load_at_a_time();
    let o = run(
        out.path(),
        &[
            "tune",
            "api",
            "--host",
            &url,
            "--rate",
            "100",
            "--slo",
            "p95<200ms",
            "--knob",
            "replicas=1..4:int",
            "--knob",
            "pool=1..8:int",
            "--cost",
            "replicas + pool / 10",
            "--apply",
            &apply,
            "--settle",
            "100ms",
            "--strategy",
            "random",
            "--max-runs",
            "5",
            "--point-duration",
            "1s",
        ],
    );
    let (stdout, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{stdout}\n{stderr}");
    let (dir, file) = tune_json(out.path());
    let points = file["tune"]["points"].as_array().unwrap();
    let applied: Vec<String> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    let wanted: Vec<String> = points
        .iter()
        .map(|p| format!("{} {}", p["values"][0], p["values"][1]).replace(".0", ""))
        .collect();
    assert_eq!(applied, wanted, "{stdout}");
    let (h, rows) = csv_rows(&dir.join("runs.csv"));
    assert_eq!(
        col(&h, &rows[0], "replicas"),
        applied[0].split(' ').next().unwrap()
    );
    assert!(stderr.contains("applied: echo "), "{stderr}");
    assert_eq!(file["target"]["host"], url.as_str());

    // A command that fails stops the tuning at that point: exit 1, one line naming the
    // point and the command's reason, and tune.json keeps what was measured.
    let out = tempfile::tempdir().unwrap();
    let o = run(
        out.path(),
        &[
            "tune",
            "api",
            "--host",
            &url,
            "--rate",
            "100",
            "--slo",
            "p95<200ms",
            "--knob",
            "replicas=1..4:int",
            "--cost",
            "replicas",
            "--apply",
            "test {replicas} -lt 0 || { echo no such deployment >&2; exit 3; }",
            "--max-runs",
            "5",
            "--point-duration",
            "1s",
        ],
    );
    let (stdout, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{stdout}\n{stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(
        stderr.contains("point 0 failed: --apply 'test "),
        "{stderr}"
    );
    assert!(
        stderr.contains("failed (exit status: 3): no such deployment"),
        "{stderr}"
    );
    let (_, file) = tune_json(out.path());
    assert_eq!(file["tune"]["stop"]["reason"], "failed");
    assert_eq!(file["tune"]["points"].as_array().unwrap().len(), 0);
}

#[test]
fn bad_tune_input_is_one_line_and_exit_2() {
    let out = tempfile::tempdir().unwrap();
    let base = ["tune", "api", "--rate", "300", "--point-duration", "1s"];
    for (args, want) in [
        (vec!["--knob", "nonsense=1..3", "--cost", "nonsense"], "--knob nonsense: not a site option (site-workers, site-queue, ...), a parameter of scenario 'api' (size, write_ratio), nor a {name} of --apply"),
        (vec!["--knob", "site-workers=8..2:int", "--cost", "1"], "--knob 'site-workers=8..2:int': the range is empty or inverted"),
        (vec!["--knob", "site-workers=3..3:int", "--cost", "1"], "empty or inverted"),
        (vec!["--knob", "site-workers", "--cost", "1"], "expected NAME=LO..HI[:int][:log]"),
        (vec!["--knob", "site-workers=0..4:int", "--cost", "site-workers"], "--knob site-workers: "),
        (vec!["--knob", "site-queue=1..100", "--cost", "site-queue"], "takes whole numbers only (1.5 is refused): add :int"),
        (vec!["--knob", "site-workers=1..8:int", "--cost", "site-workers *"], "--cost 'site-workers *': "),
        (vec!["--knob", "site-workers=1..8:int", "--cost", "workers * 2"], "'workers' is not a knob (knobs: site-workers)"),
        (vec!["--knob", "size=1..4096:int", "--knob", "size=1..8:int", "--cost", "size"], "--knob: 'size' is given twice"),
        (vec!["--knob", "write_ratio=0..2", "--cost", "write_ratio"], "--knob write_ratio: "),
        (vec!["--knob", "site-workers=1..8:int", "--cost", "site-workers", "--strategy", "best"], "unknown strategy 'best'"),
        (vec!["--knob", "site-workers=1..8:int", "--cost", "site-workers", "--max-runs", "2"], "--max-runs: 2 is outside 5..1000"),
        (vec!["--knob", "site-workers=1..8:int", "--cost", "site-workers", "--settle", "5s"], "--settle: only with --apply"),
        (vec!["--knob", "site-workers=1..8:int", "--cost", "site-workers", "--apply", "echo {nope}"], "--apply: {nope} is not a knob (knobs: site-workers)"),
        (vec!["--knob", "site-workers=1..8:int", "--cost", "site-workers", "--host", "http://127.0.0.1:9"], "--knob site-workers: site options tune the embedded site"),
        (vec!["--knob", "site-workers=1..8:int", "--cost", "site-workers", "--slo", "rps>=10"], "--slo: "),
    ] {
        let all: Vec<&str> = base.iter().copied().chain(args.iter().copied()).collect();
        let o = run(out.path(), &all);
        let (stdout, stderr) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {stdout}\n{stderr}");
        assert!(stderr.contains(want), "{args:?}: {stderr}");
        assert!(stderr.trim().lines().count() <= 3, "{args:?}: {stderr}");
    }
    // Nothing was run, so nothing was written.
    assert!(std::fs::read_dir(out.path()).map_or(true, |mut d| d.next().is_none()));
}
