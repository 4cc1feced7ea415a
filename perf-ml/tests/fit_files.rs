//! `fit` on results directories written as perf-core writes them: capacity recovery on
//! synthetic data of a known queue, model versions, and every bad input.

use std::fs;
use std::path::{Path, PathBuf};

use perf_core::results::RUNS_COLUMNS;
use perf_ml::fit::{fit_and_save, predict};
use perf_ml::model_file::ModelFile;
use perf_ml::MlError;

/// One runs.csv row: load, goodput-based error rate, latencies in µs.
struct Row {
    scenario: &'static str,
    load: f64,
    p50: f64,
    errors: f64,
    size: f64,
}

fn write_results(dir: &Path, rows: &[Row]) -> PathBuf {
    let d = dir.join(format!("run-{}", rows.len()));
    fs::create_dir_all(&d).unwrap();
    let mut text = format!("{},size\n", RUNS_COLUMNS.join(","));
    for (i, r) in rows.iter().enumerate() {
        let requests = (r.load * 5.0) as u64;
        let failures = (requests as f64 * r.errors) as u64;
        let (p50, p95, p99) = (r.p50 as u64, (r.p50 * 1.2) as u64, (r.p50 * 1.5) as u64);
        text.push_str(&format!(
            "run-x,{},open,100,{},5.0,{},{requests},{failures},0,{},{p50},{p95},{p95},{p99},{p99},{p50},,,,0,10,50,5,false,{},true,{i},2026-11-22T00:00:00Z,{}\n",
            r.scenario, r.load, r.load, r.errors, r.errors < 0.01, r.size
        ));
    }
    fs::write(d.join("runs.csv"), text).unwrap();
    d
}

/// A bounded-queue server of capacity `c`: latency rises towards c, then errors.
fn queue_rows(c: f64) -> Vec<Row> {
    queue_rows_at(c, &[0.2, 0.4, 0.6, 0.75, 0.85, 0.92, 1.1, 1.3])
}

fn queue_rows_at(c: f64, fractions: &[f64]) -> Vec<Row> {
    fractions
        .iter()
        .map(|f| {
            let load = c * f;
            let (p50, errors) = if *f < 1.0 {
                (5000.0 + 1000.0 / (1.0 - f), 0.0)
            } else {
                (60_000.0, 1.0 - 1.0 / f)
            };
            Row {
                scenario: "api",
                load,
                p50,
                errors,
                size: 1024.0,
            }
        })
        .collect()
}

#[test]
fn recovers_capacity_writes_versions_and_predicts_with_intervals() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = write_results(tmp.path(), &queue_rows(800.0));
    let models = tmp.path().join("models");
    let r1 = fit_and_save(std::slice::from_ref(&dir), None, &models, 1).unwrap();
    println!("{}", r1.summary());
    let cap = r1.model.capacity.expect("saturation is in the data");
    assert!((cap - 800.0).abs() / 800.0 < 0.15, "capacity {cap} for 800");
    assert_eq!(r1.model.version, 1);
    assert_eq!(
        r1.model.latency_cv.len(),
        3,
        "every candidate scored: {:?}",
        r1.model.latency_skipped
    );
    assert!(r1.summary().contains("<- chosen"));
    let (one, half) = r1.model.failure_loads;
    assert!(
        one.is_some_and(|l| l > 500.0 && l < 1000.0),
        "1% at {one:?}"
    );
    assert!(half.is_some_and(|l| l > 800.0), "50% at {half:?}");
    let r2 = fit_and_save(&[dir], None, &models, 1).unwrap();
    assert_eq!(r2.model.version, 2);
    assert!(r2.summary().contains("versus v1"), "{}", r2.summary());
    assert!(
        models.join("api/v1.json").exists() && models.join("api/v2.json").exists(),
        "older versions stay"
    );
    let m = ModelFile::load(&models.join("api/v2.json")).unwrap();
    let p = predict(&m, 400.0, &[]).unwrap();
    assert_eq!(
        p.latency_interval_us, None,
        "8 points are too few for a 90% conformal interval"
    );
    let (flo, fhi) = p.failure_interval;
    assert!(flo <= p.failure_probability && p.failure_probability <= fhi);
    assert!(
        p.latency_us[0] > 5000.0 && p.latency_us[0] < 10_000.0,
        "{:?}",
        p.latency_us
    );
    assert!(!p.above_capacity && !p.extrapolated);
    assert!(predict(&m, 5000.0, &[]).unwrap().above_capacity);
    let e = predict(&m, 400.0, &[("size".into(), 2048.0)])
        .unwrap_err()
        .to_string();
    assert!(e.contains("'size' was 1024 in every training point"), "{e}");
    let e = predict(&m, 400.0, &[("colour".into(), 1.0)])
        .unwrap_err()
        .to_string();
    assert!(e.contains("no parameter 'colour'"), "{e}");
    assert!(predict(&m, -1.0, &[]).is_err());
}

#[test]
fn twenty_load_levels_give_conformal_intervals_around_the_prediction() {
    let tmp = tempfile::tempdir().unwrap();
    let fractions: Vec<f64> = (1..=22).map(|i| 0.04 * f64::from(i)).collect();
    let dir = write_results(tmp.path(), &queue_rows_at(800.0, &fractions));
    let r = fit_and_save(&[dir], None, &tmp.path().join("m"), 1).unwrap();
    let p = predict(&r.model, 400.0, &[]).unwrap();
    let q = p.latency_interval_us.expect("22 points are enough");
    for (i, (lo, hi)) in q.iter().enumerate() {
        assert!(lo <= &p.latency_us[i] && &p.latency_us[i] <= hi, "{q:?}");
    }
    let c = r.model.capacity.expect("the curve rises towards 800");
    let i = r
        .model
        .capacity_interval
        .expect("an identified capacity has an interval");
    assert!((c - 800.0).abs() < 80.0 && i.lo.unwrap() <= c, "{c} {i:?}");
}

#[test]
fn closed_model_data_are_modelled_over_users_without_a_queueing_curve() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = write_results(tmp.path(), &queue_rows(40.0));
    // The same rows as a --users sweep: the load column is users, no target rate.
    let text = fs::read_to_string(dir.join("runs.csv")).unwrap();
    let closed: String = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                return format!("{l}\n");
            }
            let mut f: Vec<String> = l.split(',').map(String::from).collect();
            f[2] = "closed".into();
            f[3] = format!("{:.0}", f[4].parse::<f64>().unwrap());
            f[4] = String::new();
            format!("{}\n", f.join(","))
        })
        .collect();
    fs::write(dir.join("runs.csv"), closed).unwrap();
    let r = fit_and_save(&[dir], None, &tmp.path().join("m"), 1).unwrap();
    let m = &r.model;
    assert_eq!(m.training.load_model, perf_core::ModelKind::Closed);
    assert_eq!(m.capacity, None);
    assert!(
        m.latency_skipped
            .iter()
            .any(|s| s.contains("closed-model data")),
        "{:?}",
        m.latency_skipped
    );
    assert!(
        r.summary().contains("see the scalability law"),
        "{}",
        r.summary()
    );
    let p = predict(m, 20.0, &[]).unwrap();
    assert!(p.latency_us.iter().all(|v| v.is_finite() && *v > 0.0));
}

#[test]
fn model_files_of_another_schema_or_corrupted_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = write_results(tmp.path(), &queue_rows(300.0));
    let r = fit_and_save(&[dir], None, &tmp.path().join("m"), 1).unwrap();
    let text = fs::read_to_string(&r.path).unwrap();
    let other = tmp.path().join("old.json");
    fs::write(
        &other,
        text.replacen("\"schema_version\": 2", "\"schema_version\": 0", 1),
    )
    .unwrap();
    let e = ModelFile::load(&other).unwrap_err();
    assert!(
        matches!(
            e,
            MlError::Schema {
                found: 0,
                expected: 2,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("schema version 0"), "{e}");
    let broken = tmp.path().join("broken.json");
    fs::write(&broken, &text[..text.len() / 2]).unwrap();
    assert!(ModelFile::load(&broken)
        .unwrap_err()
        .to_string()
        .contains("not a model file"));
    assert!(matches!(
        ModelFile::load(&tmp.path().join("none.json")),
        Err(MlError::Io { .. })
    ));
}

#[test]
fn tampered_model_files_are_refused_with_what_is_wrong() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = write_results(tmp.path(), &queue_rows(300.0));
    let r = fit_and_save(&[dir], None, &tmp.path().join("m"), 1).unwrap();
    let good: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&r.path).unwrap()).unwrap();
    let refused = |edit: &dyn Fn(&mut serde_json::Value), needle: &str| {
        let mut v = good.clone();
        edit(&mut v);
        let p = tmp.path().join("tampered.json");
        fs::write(&p, v.to_string()).unwrap();
        let e = ModelFile::load(&p).unwrap_err();
        let text = e.to_string();
        assert!(matches!(e, MlError::BadModel { .. }), "{text}");
        assert!(text.contains(needle) && text.lines().count() == 1, "{text}");
    };
    refused(
        &|v| v["chosen"] = "magic".into(),
        "unknown model kind 'magic'",
    );
    refused(
        &|v| v["latency_cv"] = serde_json::json!([]),
        "no cross-validated error",
    );
    refused(
        &|v| {
            let chosen = v["chosen"].clone();
            for c in v["latency_cv"].as_array_mut().unwrap() {
                if c["model"] == chosen {
                    c["log_resid_q"] = serde_json::json!([[0.0, 0.0], [0.5, -0.5], [0.0, 0.0]]);
                }
            }
        },
        "ordered interval factors",
    );
    refused(&|v| v["capacity"] = (-5.0).into(), "capacity");
    refused(&|v| v["kind"] = "something else".into(), "kind");
    refused(
        &|v| v["training"]["load_range"] = serde_json::json!([500.0, 100.0]),
        "load range",
    );
    // JSON that is not a model says so, not "schema version 0".
    let p = tmp.path().join("other.json");
    fs::write(&p, r#"{"hello": "world"}"#).unwrap();
    let e = ModelFile::load(&p).unwrap_err().to_string();
    assert!(
        e.contains("not a model file") && !e.contains("version 0"),
        "{e}"
    );
}

#[test]
fn too_little_data_one_load_level_or_mixed_scenarios_are_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let models = tmp.path().join("m");
    let few = write_results(tmp.path(), &queue_rows(300.0)[..3]);
    let e = fit_and_save(&[few], None, &models, 1)
        .unwrap_err()
        .to_string();
    assert_eq!(e, "fit needs at least 4 usable load points, got 3");
    let flat: Vec<Row> = (0..5)
        .map(|_| Row {
            scenario: "api",
            load: 100.0,
            p50: 5000.0,
            errors: 0.0,
            size: 1.0,
        })
        .collect();
    let flat = write_results(tmp.path(), &flat);
    let e = fit_and_save(&[flat], None, &models, 1)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("every usable point is at the same load (100)"),
        "{e}"
    );
    let mut mixed = queue_rows(300.0);
    mixed[0].scenario = "browse";
    let mixed = write_results(tmp.path().join("mix").as_path(), &mixed);
    let e = fit_and_save(std::slice::from_ref(&mixed), None, &models, 1)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("several scenarios (api, browse)") && e.contains("--scenario"),
        "{e}"
    );
    assert!(fit_and_save(std::slice::from_ref(&mixed), Some("api"), &models, 1).is_ok());
    let e = fit_and_save(&[mixed], Some("checkout"), &models, 1)
        .unwrap_err()
        .to_string();
    assert!(e.contains("no points of scenario 'checkout'"), "{e}");
    let e = fit_and_save(&[tmp.path().join("missing")], None, &models, 1)
        .unwrap_err()
        .to_string();
    assert!(e.contains("cannot read") && e.contains("runs.csv"), "{e}");
}

#[test]
fn usl_csv_reader_names_line_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("u.csv");
    let cases = [
        (
            "N,X\n1,10\n2,abc\n",
            "u.csv:3: column 2 is not a finite number: 'abc'",
        ),
        (
            "1,10\n2,NaN\n",
            "u.csv:2: column 2 is not a finite number: 'NaN'",
        ),
        ("1,10,5\n", "u.csv:1: expected 2 columns"),
        ("0,10\n", "u.csv:1: column 1 (concurrency) must be above 0"),
        (
            "1,-3\n",
            "u.csv:1: column 2 (throughput) must be at least 0",
        ),
        ("", "no data rows"),
    ];
    for (text, want) in cases {
        fs::write(&p, text).unwrap();
        let e = perf_ml::usl::read_usl_csv(&p).unwrap_err().to_string();
        assert!(e.contains(want), "{text:?}: {e}");
    }
    fs::write(&p, "concurrency,throughput\n1,10\n2,19\n4,35\n8,60\n").unwrap();
    assert_eq!(perf_ml::usl::read_usl_csv(&p).unwrap().len(), 4);
}
