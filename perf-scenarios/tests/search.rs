//! `search` end to end: real load points against the embedded dummy site with a known
//! capacity (4 workers × 10 ms = 400 req/s, a 16-request queue), and its bad input.
//!
//! The SLO `p95<30ms,error-rate<1%` makes the knee well defined: below capacity a
//! request waits for no one (p95 ≈ 12 ms); once arrivals pass 400 req/s the queue fills
//! and p95 jumps to about 50 ms, so the breaking point is the capacity formula's.

use std::path::Path;
use std::process::Output;

mod common;

use common::{result_dirs, run};

const SITE: [&str; 6] = [
    "--site-workers",
    "4",
    "--site-service-time-ms",
    "10",
    "--site-queue",
    "16",
];

/// The end-to-end search: a 100× range whose geometric middle (200) is not the answer.
const GP_SEARCH: [&str; 9] = [
    "api",
    "--param",
    "write_ratio=0",
    "--slo",
    "p95<30ms,error-rate<1%",
    "--range",
    "20..2000",
    "--point-duration",
    "3s",
];

fn search(out: &Path, args: &[&str]) -> Output {
    let mut all = vec!["search"];
    all.extend_from_slice(args);
    all.extend_from_slice(&SITE);
    run(out, &all)
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn only_dir(out: &Path) -> std::path::PathBuf {
    let v = result_dirs(out);
    assert_eq!(v.len(), 1, "{v:?}");
    v[0].clone()
}

#[test]
fn the_gp_search_finds_the_capacity_formulas_breaking_point() {
    let out = tempfile::tempdir().unwrap();
    // The searches that load the machine run one at a time: a search past the capacity
    // (thousands of requests per second) beside the end-to-end search delays the
    // generator's runtime enough to flag its points generator-saturated.
    let _heavy = common::one_load_at_a_time();
    let o = search(out.path(), &GP_SEARCH);
    let (stdout, stderr) = text(&o);
    assert!(o.status.success(), "{stdout}\n{stderr}");
    let dir = only_dir(out.path());
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("search.json")).unwrap()).unwrap();
    let estimate = report["estimate"]
        .as_f64()
        .unwrap_or_else(|| panic!("no estimate\n{stdout}"));
    assert!(
        (estimate / 400.0 - 1.0).abs() <= 0.06,
        "found {estimate} req/s against 400\n{stdout}"
    );
    assert_eq!(report["stop"]["reason"], "converged", "{stdout}");
    let runs = report["points"].as_array().unwrap().len();
    assert!(runs <= 8, "{runs} runs\n{stdout}");
    // Every point is in runs.csv like a sweep's.
    let rows = csv::Reader::from_path(dir.join("runs.csv"))
        .unwrap()
        .records()
        .count();
    assert_eq!(rows, runs);
    assert!(stdout.contains("breaking point: "), "{stdout}");
    assert!(stdout.contains("breaks first: SLO "), "{stdout}");
    // The interval says what it is: the GP's posterior (with the measured pass and
    // failure when they pin it), or the bare pass/fail bracket when the GP had no say.
    let label = match report["interval_kind"].as_str().unwrap() {
        "posterior" => "90% posterior interval ",
        "posterior_and_bracket" => "90% posterior interval with the pass/fail bracket ",
        "bracket" => "pass/fail bracket ",
        other => panic!("interval kind {other}"),
    };
    assert!(stdout.contains(label), "{label}\n{stdout}");

    // Warm start from that search on the same site: it checks just below and just above
    // the breaking point it was given (a third point when noise moved it a little).
    let warm = out.path().join("warm");
    let dir_arg = dir.to_str().unwrap();
    let o = search(&warm, &[&GP_SEARCH[..], &["--prior", dir_arg]].concat());
    let (stdout, stderr) = text(&o);
    assert!(o.status.success(), "{stdout}\n{stderr}");
    let again: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(only_dir(&warm).join("search.json")).unwrap(),
    )
    .unwrap();
    let runs = again["points"].as_array().unwrap().len();
    assert!(runs <= 3, "{runs} warm runs\n{stdout}");
    let estimate = again["estimate"]
        .as_f64()
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        (estimate / 400.0 - 1.0).abs() <= 0.06,
        "{estimate}\n{stdout}"
    );
    assert_eq!(again["prior"]["agreed"], true, "{stdout}");
    assert_eq!(again["scenario"], "api");
    assert!(stdout.contains("warm start from "), "{stdout}");
}

#[test]
fn a_range_above_the_capacity_breaks_below_it_and_exits_99() {
    let out = tempfile::tempdir().unwrap();
    let _heavy = common::one_load_at_a_time();
    let o = search(
        out.path(),
        &[
            "api",
            "--param",
            "write_ratio=0",
            "--slo",
            "error-rate<1%",
            "--range",
            "800..1600",
            "--point-duration",
            "1s",
            "--strategy",
            "bisect",
        ],
    );
    let (stdout, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(99), "{stdout}\n{stderr}");
    assert!(stdout.contains("breaks below the range"), "{stdout}");
}

#[test]
fn a_range_below_the_capacity_holds_up_to_its_top() {
    let out = tempfile::tempdir().unwrap();
    let o = search(
        out.path(),
        &[
            "api",
            "--param",
            "write_ratio=0",
            "--slo",
            "error-rate<1%",
            "--range",
            "20..100",
            "--point-duration",
            "1s",
        ],
    );
    let (stdout, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("holds up to the top of the range"),
        "{stdout}"
    );
}

#[test]
fn bad_search_input_is_one_line_and_exit_2() {
    let out = tempfile::tempdir().unwrap();
    for (args, want) in [
        (
            vec!["--range", "500..100"],
            "invalid range 500..100: the lower end must be below the upper end",
        ),
        (
            vec!["--range", "100..100"],
            "the lower end must be below the upper end",
        ),
        (vec!["--range", "fast"], "must be LOW..HIGH"),
        (vec!["--range", "0..100"], "both ends must be rates above 0"),
        (
            vec!["--range", "-10..100"],
            "both ends must be rates above 0",
        ),
        (vec!["--tolerance", "0"], "invalid tolerance 0"),
        (vec!["--tolerance", "-5%"], "invalid tolerance -0.05"),
        (vec!["--tolerance", "lots"], "not a number or percentage"),
        (vec!["--slo", "p42x<1s"], "--slo: invalid SLO 'p42x<1s'"),
        (vec!["--slo", ""], "needs at least one SLO"),
        (
            vec!["--slo", "rps>=500"],
            "--slo: the search needs a latency or error-rate SLO to find where the target breaks; \"rps>=500\" has none",
        ),
        (vec!["--strategy", "guess"], "unknown strategy 'guess'"),
        (vec!["--max-runs", "1"], "invalid max-runs 1"),
        (vec!["--param", "size=-1"], "size"),
    ] {
        let mut all = vec!["api"];
        all.extend(args.iter());
        let o = search(out.path(), &all);
        let (stdout, stderr) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {stdout}\n{stderr}");
        assert!(stderr.contains(want), "{args:?}: {stderr}");
        assert!(
            stderr.trim().lines().count() <= 3,
            "{args:?}: more than a short message: {stderr}"
        );
    }
    // Nothing was run, so nothing was written.
    assert!(std::fs::read_dir(out.path()).map_or(true, |mut d| d.next().is_none()));
}

#[test]
fn a_prior_of_another_scenario_or_a_broken_one_is_one_line_and_exit_2() {
    let d = tempfile::tempdir().unwrap();
    let file = |name: &str, text: &str| {
        let p = d.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let search_json = |scenario: &str, params: &str| {
        format!(
            r#"{{"strategy": "gp", "stop": {{"reason": "converged"}}, "estimate": 400.0, "interval": [390.0, 410.0], "points": [], "scenario": "{scenario}", "slos": ["p95<30ms"], "params": "{params}"}}"#
        )
    };
    let defaults = "size=1024 write_ratio=0.1";
    let other = file("other.json", &search_json("static", defaults));
    // Searched with other parameters: its breaking point is not this one's, and there
    // are no points beside it to judge again.
    let other_params = file("params.json", &search_json("api", "size=1 write_ratio=0.1"));
    let broken = file("broken.json", "{\"strategy\": \"gp\", \"points\": [");
    let neither = file("neither.json", r#"{"hello": 1}"#);
    let model = file(
        "model.json",
        r#"{"schema_version": 1, "kind": "perf-ml model"}"#,
    );
    let same = file("same.json", &search_json("api", defaults));
    let empty_dir = d.path().join("empty");
    std::fs::create_dir(&empty_dir).unwrap();
    for (args, want) in [
        (
            vec!["--prior", &other],
            "holds scenario 'static', not 'api'",
        ),
        (vec!["--prior", &broken], "invalid JSON"),
        (vec!["--prior", &other_params], "not a results directory"),
        (
            vec!["--prior", &neither],
            "not a results directory, a search.json or a model file",
        ),
        (vec!["--prior", &model], "model.json"),
        (
            vec!["--prior", empty_dir.to_str().unwrap()],
            "not a results directory",
        ),
        (
            vec!["--prior", "/nowhere/search.json"],
            "--prior: /nowhere/search.json",
        ),
        (
            vec!["--prior", &same, "--strategy", "bisect"],
            "a warm start needs the gp strategy",
        ),
    ] {
        let mut all = vec!["api", "--slo", "p95<30ms"];
        all.extend(args.iter().copied());
        let out = d.path().join("out");
        let o = search(&out, &all);
        let (stdout, stderr) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {stdout}\n{stderr}");
        assert!(stderr.contains(want), "{args:?}: {stderr}");
        assert!(stderr.starts_with("error: --prior: "), "{args:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: {stderr}");
        assert!(!out.exists(), "{args:?}: load ran");
    }
}
