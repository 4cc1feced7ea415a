//! Execution segments end to end: four generator processes started together against one
//! site, their results merged into one test, and the inputs that cannot work.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

mod common;

use common::{col, csv_rows, fast_site, num, result_dirs, BIN};

const RATE: f64 = 400.0;
const SEGMENTS: u32 = 4;

fn one_dir(out: &Path) -> PathBuf {
    let dirs = result_dirs(out);
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    dirs[0].clone()
}

fn detail(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("points/0.json")).unwrap()).unwrap()
}

fn at(v: &serde_json::Value, key: &str) -> chrono::DateTime<chrono::Utc> {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("no {key}"))
        .parse()
        .unwrap()
}

/// Starts every command at once, as the pods of one Job, and waits for each: their
/// outputs in order, each checked to have succeeded.
fn together(cmds: Vec<Command>) -> Vec<std::process::Output> {
    let children: Vec<_> = cmds
        .into_iter()
        .map(|mut c| {
            c.stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    children
        .into_iter()
        .map(|c| {
            let o = c.wait_with_output().unwrap();
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            o
        })
        .collect()
}

/// `fit` or `report` on a results directory, models under `tmp`: it must succeed.
fn with_models(command: &str, dir: &Path, tmp: &Path) {
    let o = Command::new(BIN)
        .arg(command)
        .arg(dir)
        .arg("--models")
        .arg(tmp.join("models"))
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{command}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// `merge`'s exit code and its stderr.
fn merge(dirs: &[&Path], out: &Path) -> (Option<i32>, String) {
    let o = Command::new(BIN)
        .arg("merge")
        .args(dirs)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn four_segments_started_together_are_one_test_once_merged() {
    let _one = common::one_load_at_a_time();
    let site = fast_site("127.0.0.1:0");
    let tmp = tempfile::tempdir().unwrap();
    let start = chrono::Utc::now() + chrono::Duration::seconds(4);
    let start_at = start.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let rate = RATE.to_string();
    let outs: Vec<PathBuf> = (0..SEGMENTS)
        .map(|i| tmp.path().join(format!("s{i}")))
        .collect();
    let cmds = outs
        .iter()
        .enumerate()
        .map(|(i, out)| {
            let mut c = Command::new(BIN);
            c.args(["run", "api", "--rate", &rate, "--duration", "3s"])
                .args([
                    "--param",
                    "write_ratio=0",
                    "--slo",
                    "p95<500ms,error-rate<1%",
                ])
                .args(["--host", &site.url(), "--start-at", &start_at])
                .args(["--segment", &format!("{i}/{SEGMENTS}")])
                .arg("--out")
                .arg(out);
            c
        })
        .collect();
    together(cmds);
    let dirs: Vec<PathBuf> = outs.iter().map(|o| one_dir(o)).collect();

    // Each segment ran its quarter of the schedule, from the common start: the first
    // request of segment I is start I of the whole schedule, due I / rate after it.
    let mut aligned = Vec::new();
    let mut requests = 0.0;
    for (i, d) in dirs.iter().enumerate() {
        let (h, rows) = csv_rows(&d.join("runs.csv"));
        assert_eq!(num(&h, &rows[0], "target_rps"), RATE / SEGMENTS as f64);
        requests += num(&h, &rows[0], "requests");
        let v = detail(d);
        assert_eq!(v["segment"]["index"], i as u64);
        let due = start + chrono::Duration::microseconds((i as f64 * 1e6 / RATE) as i64);
        aligned.push(
            (at(&v, "first_request_at") - due)
                .num_microseconds()
                .unwrap(),
        );
        assert!(d.join("histograms/0.json").exists());
    }
    let spread = aligned.iter().max().unwrap() - aligned.iter().min().unwrap();
    assert!(
        spread <= 20_000,
        "first requests {aligned:?} µs after their due times: spread {spread} µs"
    );

    let merged = tmp.path().join("merged");
    let refs: Vec<&Path> = dirs.iter().rev().map(PathBuf::as_path).collect();
    let (code, err) = merge(&refs, &merged);
    assert_eq!(code, Some(0), "{err}");
    let (h, rows) = csv_rows(&merged.join("runs.csv"));
    let r = &rows[0];
    assert_eq!(num(&h, r, "target_rps"), RATE);
    assert_eq!(num(&h, r, "requests"), requests, "every segment's requests");
    let achieved = num(&h, r, "achieved_rps");
    assert!(
        (achieved - RATE).abs() <= 0.02 * RATE,
        "achieved {achieved} req/s of {RATE}"
    );
    assert_eq!(num(&h, r, "error_rate"), 0.0);
    assert_eq!(col(&h, r, "complete"), "true");
    assert_eq!(col(&h, r, "slo_pass"), "true");
    let v = detail(&merged);
    assert_eq!(v["merged_segments"], SEGMENTS);
    assert!(v.get("segment").is_none());
    // The merged p50 lies among the segments' (it is of all their requests).
    let p50s: Vec<f64> = dirs
        .iter()
        .map(|d| {
            let (h, rows) = csv_rows(&d.join("runs.csv"));
            num(&h, &rows[0], "p50_us")
        })
        .collect();
    let p50 = num(&h, r, "p50_us");
    assert!(
        p50 >= p50s.iter().cloned().fold(f64::MAX, f64::min) * 0.99
            && p50 <= p50s.iter().cloned().fold(0.0, f64::max) * 1.01,
        "merged p50 {p50} against the segments' {p50s:?}"
    );
    // The timeline's seconds add up; resources are kept per segment.
    let (th, trows) = csv_rows(&merged.join("timeline.csv"));
    let all: f64 = trows
        .iter()
        .filter(|t| col(&th, t, "endpoint") == "ALL")
        .map(|t| num(&th, t, "requests"))
        .sum();
    assert_eq!(all, requests);
    let (rh, rrows) = csv_rows(&merged.join("resources.csv"));
    let segs: std::collections::BTreeSet<String> =
        rrows.iter().map(|x| col(&rh, x, "segment")).collect();
    assert_eq!(segs.len(), SEGMENTS as usize, "{segs:?}");

    // The merged directory reads as any other: the report runs on it.
    with_models("report", &merged, tmp.path());

    // Directories that are not the segments of one test: one line, exit 2, nothing written.
    let cases: Vec<(Vec<&Path>, &str)> = vec![
        (refs[..3].to_vec(), "segment 0/4 of the test is missing"),
        (vec![refs[0], refs[0], refs[1], refs[2]], "is given twice"),
        (vec![merged.as_path()], "not an execution segment"),
    ];
    for (given, says) in cases {
        let out = tmp.path().join("bad");
        let (code, err) = merge(&given, &out);
        assert_eq!(code, Some(2), "{err}");
        assert!(
            err.contains(says) && err.trim().lines().count() == 1,
            "{err}"
        );
        assert!(!out.exists(), "nothing is written");
    }
    let (code, err) = merge(&refs, &merged);
    assert_eq!(code, Some(2));
    assert!(err.contains("already exists"), "{err}");
    drop(site);
    std::thread::sleep(Duration::from_millis(10));
}

#[test]
fn segment_options_that_cannot_work_are_refused_before_any_load() {
    let tmp = tempfile::tempdir().unwrap();
    let past = (chrono::Utc::now() - chrono::Duration::seconds(60))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["run", "api", "--segment", "5/4"],
            "must be 0 to 3 for 4 segments",
        ),
        (vec!["run", "api", "--segment", "0/0"], "at least 1"),
        (vec!["run", "api", "--segment", "1-4"], "is not I/N"),
        (
            vec!["run", "api", "--segments", "4"],
            "JOB_COMPLETION_INDEX is not set",
        ),
        (
            vec!["run", "api", "--duration", "10s", "--start-at", &past],
            "in the past, more than a point's 10 s",
        ),
        (
            vec!["run", "api", "--start-at", "noon"],
            "not an RFC 3339 time",
        ),
        (
            vec!["run", "api", "--users", "2", "--segment", "3/4"],
            "leave this segment none",
        ),
        (
            vec!["search", "api", "--segment", "0/2"],
            "`search` runs in one process",
        ),
        (
            vec!["gate", "api", "--reference-site", "", "--segment", "0/2"],
            "an A/B `gate` runs in one process",
        ),
        (
            vec![
                "gate",
                "api",
                "--breaking-point",
                "--baseline",
                "b.json",
                "--segment",
                "0/2",
            ],
            "`gate --breaking-point`",
        ),
        (
            vec![
                "gate",
                "api",
                "--baseline",
                "b.json",
                "--segment",
                "0/2",
                "--merged-runs",
                "x",
            ],
            "cannot be used with",
        ),
    ];
    for (args, says) in cases {
        let o = Command::new(BIN)
            .args(&args)
            .arg("--out")
            .arg(tmp.path())
            .env_remove("JOB_COMPLETION_INDEX")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let o = Command::new(BIN)
        .args(["run", "api", "--segments", "4", "--out"])
        .arg(tmp.path())
        .env("JOB_COMPLETION_INDEX", "4")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("must be 0 to 3"));
    assert!(result_dirs(tmp.path()).is_empty(), "no load ran");
}

/// `k8s`'s YAML stream as its objects, through the typed Kubernetes API structs.
fn manifest(
    args: &[&str],
) -> (
    Vec<k8s_openapi::api::core::v1::PersistentVolumeClaim>,
    Vec<k8s_openapi::api::batch::v1::Job>,
) {
    let o = Command::new(BIN).arg("k8s").args(args).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    let (mut pvcs, mut jobs) = (Vec::new(), Vec::new());
    for doc in text.split("---\n") {
        let kind: serde_yaml_ng::Value = serde_yaml_ng::from_str(doc).unwrap();
        match kind["kind"].as_str() {
            Some("PersistentVolumeClaim") => pvcs.push(serde_yaml_ng::from_str(doc).unwrap()),
            Some("Job") => jobs.push(serde_yaml_ng::from_str(doc).unwrap()),
            other => panic!("unexpected object {other:?} in {doc}"),
        }
    }
    (pvcs, jobs)
}

/// The pod spec of a Job's template.
fn pod(job: &k8s_openapi::api::batch::v1::Job) -> &k8s_openapi::api::core::v1::PodSpec {
    job.spec.as_ref().unwrap().template.spec.as_ref().unwrap()
}

fn script(job: &k8s_openapi::api::batch::v1::Job) -> String {
    let cmd = pod(job).containers[0].command.as_ref().unwrap();
    assert_eq!(cmd[..2], ["sh".to_string(), "-c".to_string()]);
    cmd[2].clone()
}

#[test]
fn the_kubernetes_manifest_parses_back_and_its_pods_commands_run_a_merged_test() {
    let _one = common::one_load_at_a_time();
    let site = fast_site("127.0.0.1:0");
    let tmp = tempfile::tempdir().unwrap();
    let mount = tmp.path().to_str().unwrap().to_string();
    let url = site.url();
    let args = [
        "api",
        "--segments",
        "2",
        "--image",
        "reg.example/perf-scenarios:1",
        "--name",
        "shop",
        "--start-in",
        "3s",
        "--mount",
        &mount,
        "--namespace",
        "load",
        "--sweep",
        "--",
        "--rate",
        "100,200,300,400",
        "--duration",
        "1s",
        "--grace",
        "0s",
        "--host",
        &url,
        "--param",
        "write_ratio=0",
    ];
    let (pvcs, jobs) = manifest(&args);
    assert_eq!(pvcs.len(), 1, "a results volume is made when none is named");
    let pvc = pvcs[0].spec.as_ref().unwrap();
    assert_eq!(
        pvc.access_modes.as_deref(),
        Some(&["ReadWriteMany".to_string()][..])
    );
    let [gen, merge] = &jobs[..] else {
        panic!("two Jobs: {jobs:?}")
    };
    assert_eq!(gen.metadata.name.as_deref(), Some("shop"));
    assert_eq!(gen.metadata.namespace.as_deref(), Some("load"));
    let spec = gen.spec.as_ref().unwrap();
    assert_eq!(spec.completion_mode.as_deref(), Some("Indexed"));
    assert_eq!((spec.completions, spec.parallelism), (Some(2), Some(2)));
    assert_eq!(spec.backoff_limit, Some(0));
    let claim = |j: &k8s_openapi::api::batch::v1::Job| {
        pod(j).volumes.as_ref().unwrap()[0]
            .persistent_volume_claim
            .as_ref()
            .unwrap()
            .claim_name
            .clone()
    };
    assert_eq!(claim(gen), pvcs[0].metadata.name.clone().unwrap());
    assert_eq!(claim(merge), claim(gen));
    let env = pod(gen).containers[0].env.clone().unwrap();
    assert_eq!(
        (env[0].name.as_str(), env[0].value.as_deref()),
        ("TOKIO_WORKER_THREADS", Some("1")),
        "a runtime thread per requested core"
    );
    let (gen_sh, merge_sh) = (script(gen), script(merge));
    assert!(gen_sh.contains("--segments 2 --start-at"), "{gen_sh}");
    assert!(merge_sh.contains("perf-scenarios merge"), "{merge_sh}");

    // The pods' commands as written, with the binary on PATH and the volume a folder:
    // two generator pods (JOB_COMPLETION_INDEX 0 and 1), then the merge pod.
    let bin_dir = Path::new(BIN).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    together(
        (0..2)
            .map(|i| {
                let mut c = Command::new("sh");
                c.args(["-c", &gen_sh])
                    .env("PATH", &path)
                    .env("JOB_COMPLETION_INDEX", i.to_string());
                c
            })
            .collect(),
    );
    let o = Command::new("sh")
        .args(["-c", &merge_sh])
        .env("PATH", &path)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let merged = tmp.path().join("shop/merged");
    let (h, rows) = csv_rows(&merged.join("runs.csv"));
    let rates: Vec<f64> = rows.iter().map(|r| num(&h, r, "target_rps")).collect();
    assert_eq!(
        rates,
        [100.0, 200.0, 300.0, 400.0],
        "the whole sweep, merged"
    );
    for r in &rows {
        let want = num(&h, r, "target_rps");
        assert!(
            (num(&h, r, "requests") - want).abs() <= 0.05 * want,
            "{r:?}"
        );
    }
    assert!(
        merged.join("report.html").exists(),
        "the merge pod writes the report"
    );
    // A merged sweep fits as any other.
    with_models("fit", &merged, tmp.path());

    // A manifest whose pods would all fail is not printed.
    let head = ["--image", "x"];
    for (tail, says) in [
        (
            vec!["api", "--segments", "2", "--", "--rate", "10"],
            "--host",
        ),
        (
            vec![
                "api",
                "--segments",
                "2",
                "--",
                "--host",
                &url,
                "--out",
                "/x",
            ],
            "set by the manifest",
        ),
        (
            vec![
                "api",
                "--segments",
                "3",
                "--",
                "--host",
                &url,
                "--users",
                "2",
            ],
            "leave this segment none",
        ),
        (
            vec!["nope", "--segments", "2", "--", "--host", &url],
            "nope",
        ),
        (
            vec!["api", "--segments", "0", "--", "--host", &url],
            "--segments",
        ),
        (
            vec![
                "api",
                "--segments",
                "2",
                "--name",
                "Bad_Name",
                "--",
                "--host",
                &url,
            ],
            "not a Kubernetes name",
        ),
    ] {
        let bad: Vec<&str> = head.iter().copied().chain(tail).collect();
        let o = Command::new(BIN).arg("k8s").args(&bad).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{bad:?}: {err}");
        assert!(err.contains(says), "{bad:?}: {err}");
        assert!(o.stdout.is_empty(), "nothing printed for {bad:?}");
    }
}

#[test]
fn a_gate_runs_in_segments_and_judges_its_merged_runs() {
    let _one = common::one_load_at_a_time();
    let site = fast_site("127.0.0.1:0");
    let tmp = tempfile::tempdir().unwrap();
    let url = site.url();
    let baseline = tmp.path().join("api.json");
    let baseline = baseline.to_str().unwrap();
    // Each segment runs the gate profile's 5 runs (two points of 1 s) and does not judge
    // its share.
    let outs: Vec<PathBuf> = (0..2).map(|i| tmp.path().join(format!("s{i}"))).collect();
    let cmds = outs
        .iter()
        .enumerate()
        .map(|(i, out)| {
            let mut c = Command::new(BIN);
            c.args(["gate", "api", "--baseline", baseline, "--save-baseline"])
                .args(["--duration", "1s", "--grace", "0s", "--host", &url])
                .args(["--segment", &format!("{i}/2")])
                .arg("--out")
                .arg(out);
            c
        })
        .collect();
    let mut by_segment = Vec::new();
    for (out, o) in outs.iter().zip(together(cmds)) {
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(text.contains("merge run r of every segment"), "{text}");
        let dirs = result_dirs(out);
        assert_eq!(dirs.len(), 5, "one results directory per run");
        by_segment.push(dirs);
    }
    assert!(
        !Path::new(baseline).exists(),
        "a segment does not write the baseline"
    );
    let merged: Vec<String> = (0..5)
        .map(|r| {
            let out = tmp.path().join(format!("merged-{r}"));
            let (code, err) = merge(&[&by_segment[0][r], &by_segment[1][r]], &out);
            assert_eq!(code, Some(0), "{err}");
            out.to_str().unwrap().to_string()
        })
        .collect();
    let merged = merged.join(",");
    let gate = |extra: &[&str]| {
        Command::new(BIN)
            .args([
                "gate",
                "api",
                "--baseline",
                baseline,
                "--duration",
                "1s",
                "--host",
                &url,
            ])
            .args(["--merged-runs", &merged])
            .args(extra)
            .output()
            .unwrap()
    };
    let o = gate(&["--save-baseline"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(Path::new(baseline).exists());
    // The same runs judged against the baseline made from them: no regression.
    let o = gate(&[]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(text.contains("PASS") || text.contains("pass"), "{text}");
    drop(site);
}
