//! `gate` and `compare`: run a scenario's gate profile (or read two results
//! directories), compare with perf-ml's gate statistics, print the table, and exit 0
//! (pass), 99 (regression) or 2 (a baseline or run that cannot be compared).

use anyhow::{anyhow, Context};
use perf_core::engine::signals;
use perf_core::{LoadPoint, Params};
use perf_ml::gate::{
    config_of, environment_differences, Baseline, Finding, Gate, GateError, GateParams, GateReport,
    RunSample,
};

use crate::cli::{CompareArgs, GateArgs, GateStats};
use crate::registry;
use crate::runner::{
    execute, open, runtime, slos, usage, ExecOpts, Fail, Plan, TargetChoice, SLO_FAILED,
};

fn checked(s: &GateStats) -> Result<Gate, Fail> {
    GateParams {
        threshold: s.threshold,
        alpha: s.alpha,
        error_alpha: s.error_alpha,
        min_error_rise: s.min_error_rise,
        seed: s.bootstrap_seed,
        ..GateParams::default()
    }
    .check()
    .map_err(usage)
}

/// Gate errors are bad input (exit 2) except a baseline that cannot be written (1).
fn gate_fail(e: GateError) -> Fail {
    match e {
        GateError::Write { .. } => runtime(e),
        other => usage(other),
    }
}

/// `gate`.
pub fn gate(a: &GateArgs) -> Result<u8, Fail> {
    let spec = registry::find(&a.scenario).map_err(|e| usage(anyhow!(e)))?;
    let gate = checked(&a.stats)?;
    let baseline = if a.save_baseline {
        None
    } else {
        Some(Baseline::load(&a.baseline).map_err(gate_fail)?)
    };
    let profile = spec.gate_profile();
    let duration = a.common.duration.unwrap_or(profile.duration);
    let params = Params::resolve(spec.name, &spec.params, &[]).map_err(usage)?;
    let points = profile
        .rates
        .iter()
        .map(|r| LoadPoint {
            model: open(&spec, Some(*r), &a.common),
            duration,
            params: params.clone(),
        })
        .collect();
    let plan = Plan {
        slos: slos(&spec, &a.common.slo)?,
        scenario: spec,
        points,
        stop_on_error_rate: None,
    };
    // What can be known before any load: the plan matches the baseline, and a new
    // baseline can be written.
    match &baseline {
        Some(b) => {
            let configs: Vec<String> = plan.points.iter().map(config_of).collect();
            let configs: Vec<&str> = configs.iter().map(String::as_str).collect();
            b.run
                .check_plan(plan.scenario.name, &configs)
                .map_err(|e| {
                    usage(anyhow!(
                        "{}: {e}; re-create the baseline with --save-baseline",
                        a.baseline.display()
                    ))
                })?;
        }
        None => check_writable(&a.baseline)?,
    }
    let opts = ExecOpts::from_common(&a.common);
    let done = execute(&plan, &opts)?;
    if let Some(sig) = done.interrupted {
        return Ok(signals::exit_code(sig));
    }
    let current = RunSample::from_dir(&done.dir).map_err(gate_fail)?;
    let target = match &opts.target {
        TargetChoice::Host(h) => serde_json::json!({ "host": h }),
        TargetChoice::Embedded(p) => serde_json::to_value(p).expect("site settings serialize"),
    };
    let Some(baseline) = baseline else {
        Baseline::new(current, target)
            .save(&a.baseline)
            .map_err(gate_fail)?;
        println!("baseline written: {}", a.baseline.display());
        return Ok(0);
    };
    for d in baseline.differences(&current, &target) {
        println!(
            "warning: the environment differs from the baseline's ({}): {d}",
            baseline.created_at
        );
    }
    let mut report = gate.compare(&baseline.run, &current).map_err(gate_fail)?;
    for i in 0..a.confirm_runs {
        if report.passed() {
            break;
        }
        let n = report.regressions().count();
        println!(
            "{n} regression(s) found; confirmation run {} of {} (a regression must reproduce)",
            i + 1,
            a.confirm_runs
        );
        let again = execute(&plan, &opts)?;
        if let Some(sig) = again.interrupted {
            return Ok(signals::exit_code(sig));
        }
        let rerun = RunSample::from_dir(&again.dir).map_err(gate_fail)?;
        let second = gate.compare(&baseline.run, &rerun).map_err(gate_fail)?;
        report.confirm_with(&second);
    }
    let path = done.dir.join("gate.json");
    perf_core::atomic::write(
        &path,
        serde_json::to_string_pretty(&report)
            .expect("serializes")
            .as_bytes(),
    )
    .with_context(|| format!("cannot write {}", path.display()))
    .map_err(runtime)?;
    Ok(conclude(
        &report,
        &format!("baseline {}", a.baseline.display()),
    ))
}

/// Fails (exit 2) when `--save-baseline` could not write `path`: its folder cannot be
/// made, or a file cannot be created in it.
fn check_writable(path: &std::path::Path) -> Result<(), Fail> {
    let bad =
        |e: std::io::Error| usage(anyhow!("--baseline: cannot write {}: {e}", path.display()));
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    std::fs::create_dir_all(dir).map_err(bad)?;
    if path.is_dir() {
        return Err(bad(std::io::Error::other("it is a directory")));
    }
    tempfile::NamedTempFile::new_in(dir).map(drop).map_err(bad)
}

/// `compare`.
pub fn compare(a: &CompareArgs) -> Result<u8, Fail> {
    let gate = checked(&a.stats)?;
    let ra = RunSample::from_dir(&a.a).map_err(gate_fail)?;
    let rb = RunSample::from_dir(&a.b).map_err(gate_fail)?;
    for d in environment_differences(&ra.environment, &rb.environment) {
        println!("warning: the environments differ: {d}");
    }
    let report = gate.compare(&ra, &rb).map_err(gate_fail)?;
    if let Some(path) = &a.json {
        perf_core::atomic::write(
            path,
            serde_json::to_string_pretty(&report)
                .expect("serializes")
                .as_bytes(),
        )
        .with_context(|| format!("--json: cannot write {}", path.display()))
        .map_err(usage)?;
    }
    Ok(conclude(&report, &a.a.display().to_string()))
}

/// Prints the table and the verdict; the exit code.
fn conclude(r: &GateReport, reference: &str) -> u8 {
    print!("{}", table(r));
    for n in &r.notes {
        println!("note: {n}");
    }
    println!("method: {}", r.method);
    let failed: Vec<&Finding> = r.regressions().collect();
    if failed.is_empty() {
        println!(
            "gate: PASS against {reference} ({} comparisons)",
            r.findings.len()
        );
        0
    } else {
        println!(
            "gate: FAIL against {reference}: {} regression(s) in {} comparisons",
            failed.len(),
            r.findings.len()
        );
        SLO_FAILED
    }
}

fn value(f: &Finding, v: f64) -> String {
    match (f.metric, v.is_nan()) {
        (_, true) => "-".into(),
        ("error rate", _) => format!("{:.2}%", v * 100.0),
        _ => format!("{:.2} ms", v / 1000.0),
    }
}

fn change(f: &Finding) -> String {
    if f.change.is_nan() {
        return "-".into();
    }
    if f.metric == "error rate" {
        format!(
            "{:+.2} pt [{:+.2}, {:+.2}]",
            f.change * 100.0,
            f.ci.0 * 100.0,
            f.ci.1 * 100.0
        )
    } else {
        format!(
            "{:+.1}% [{:+.1}, {:+.1}]",
            f.change * 100.0,
            f.ci.0 * 100.0,
            f.ci.1 * 100.0
        )
    }
}

/// The table: point × endpoint × metric.
pub fn table(r: &GateReport) -> String {
    let mut rows = vec![[
        "point".to_string(),
        "endpoint".into(),
        "metric".into(),
        "baseline".into(),
        "current".into(),
        "change [95% CI]".into(),
        "p".into(),
        "verdict".into(),
    ]];
    for f in &r.findings {
        rows.push([
            f.point.to_string(),
            f.endpoint.clone(),
            f.metric.to_string(),
            value(f, f.baseline),
            value(f, f.current),
            change(f),
            if f.p_value.is_nan() {
                "-".into()
            } else {
                format!("{:.3}", f.p_value)
            },
            f.verdict.word().to_string(),
        ]);
    }
    let widths: Vec<usize> = (0..8)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    let mut last_point = None;
    for (i, row) in rows.iter().enumerate() {
        if i > 0 && last_point != Some(&row[0]) {
            let f = &r.findings[i - 1];
            out.push_str(&format!("point {}: {}\n", f.point, f.config));
            last_point = Some(&row[0]);
        }
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use perf_ml::gate::Verdict;

    #[test]
    fn regressions_are_marked_in_the_table() {
        let f = Finding {
            point: 0,
            config: "open 100 req/s for 12 s, no parameters".into(),
            endpoint: "ALL".into(),
            metric: "p95",
            baseline: 5500.0,
            current: 6800.0,
            change: 0.236,
            ci: (0.18, 0.29),
            p_value: 0.0001,
            verdict: Verdict::Regressed,
        };
        let r = GateReport {
            method: "m".into(),
            findings: vec![f],
            notes: vec![],
        };
        let t = table(&r);
        assert!(t.contains("point 0: open 100 req/s"), "{t}");
        assert!(
            t.contains("5.50 ms") && t.contains("+23.6% [+18.0, +29.0]") && t.contains("REGRESSED"),
            "{t}"
        );
        assert_eq!(conclude(&r, "x"), SLO_FAILED);
    }
}
