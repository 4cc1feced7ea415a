//! `gate` and `compare`: run a scenario's gate profile `--repeat` times (or read two
//! sets of results directories), compare the runs with perf-ml's gate statistics, print
//! the table, and exit 0 (pass), 99 (regression) or 2 (a baseline or run that cannot be
//! compared, refused before any load where that can be known).

use anyhow::{anyhow, Context};
use perf_core::engine::{self, signals, Target};
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
        min_error_rise: s.min_error_rise,
        primary: s.primary,
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
    let opts = ExecOpts::from_common(&a.common);
    let (target, in_process) = match &opts.target {
        TargetChoice::Host(h) => (serde_json::json!({ "host": h }), Target::Remote),
        TargetChoice::Embedded(p) => (
            serde_json::to_value(p).expect("site settings serialize"),
            Target::InProcess,
        ),
    };
    // What can be known before any load: the baseline has enough runs of this plan, taken
    // in this environment; or a new baseline can be written.
    match &baseline {
        Some(b) => {
            let refuse = |what: String| {
                usage(anyhow!(
                    "{}: {what}; re-create the baseline with --save-baseline",
                    a.baseline.display()
                ))
            };
            let need = gate.params().min_runs;
            if b.runs.len() < need {
                return Err(refuse(format!(
                    "{} run(s), the gate needs at least {need} (the run is the sampling unit)",
                    b.runs.len()
                )));
            }
            let configs: Vec<String> = plan.points.iter().map(config_of).collect();
            let configs: Vec<&str> = configs.iter().map(String::as_str).collect();
            for r in &b.runs {
                r.check_plan(plan.scenario.name, &configs)
                    .map_err(|e| refuse(e.to_string()))?;
            }
            let m = gate.primary_comparisons_of(&b.runs[0]);
            gate.detectable(b.runs.len(), a.repeat as usize, m)
                .map_err(gate_fail)?;
            let differences = b.differences(&engine::environment(in_process), &target);
            if !differences.is_empty() && !a.allow_env_change {
                return Err(refuse(format!(
                    "taken in another environment ({}): {}; latency is not comparable across machines — \
                     record the baseline where the gate runs, or pass --allow-env-change",
                    b.created_at,
                    differences.join("; ")
                )));
            }
            for d in differences {
                println!(
                    "warning: the environment differs from the baseline's ({}): {d}",
                    b.created_at
                );
            }
        }
        None => {
            check_writable(&a.baseline)?;
            // A baseline of these runs must be able to fail a gate of as many.
            let k = a.repeat as usize;
            gate.detectable(k, k, gate.primary_comparisons(plan.points.len(), 1))
                .map_err(gate_fail)?;
        }
    }
    let mut runs = Vec::new();
    let mut last = None;
    for k in 0..a.repeat {
        println!("gate run {} of {}", k + 1, a.repeat);
        let done = execute(&plan, &opts)?;
        if let Some(sig) = done.interrupted {
            return Ok(signals::exit_code(sig));
        }
        runs.push(RunSample::from_dir(&done.dir).map_err(gate_fail)?);
        last = Some(done.dir);
    }
    let dir = last.expect("at least three runs");
    let Some(baseline) = baseline else {
        Baseline::new(runs, target)
            .save(&a.baseline)
            .map_err(gate_fail)?;
        println!("baseline written: {}", a.baseline.display());
        return Ok(0);
    };
    let report = gate.compare(&baseline.runs, &runs).map_err(gate_fail)?;
    let path = dir.join("gate.json");
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
    let read = |dirs: &[std::path::PathBuf]| -> Result<Vec<RunSample>, Fail> {
        dirs.iter()
            .map(|d| RunSample::from_dir(d).map_err(gate_fail))
            .collect()
    };
    let (ra, rb) = (read(&a.a)?, read(&a.b)?);
    for d in environment_differences(&ra[0].environment, &rb[0].environment) {
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
    let reference =
        a.a.iter()
            .map(|d| d.display().to_string())
            .collect::<Vec<_>>()
            .join(",");
    Ok(conclude(&report, &reference))
}

/// Prints the table and the verdict; the exit code.
fn conclude(r: &GateReport, reference: &str) -> u8 {
    print!("{}", table(r));
    for n in &r.notes {
        println!("note: {n}");
    }
    println!("method: {}", r.method);
    let failed: Vec<&Finding> = r.regressions().collect();
    let primary = r.findings.iter().filter(|f| f.primary).count();
    if failed.is_empty() {
        println!(
            "gate: PASS against {reference} ({primary} primary of {} comparisons)",
            r.findings.len()
        );
        0
    } else {
        println!(
            "gate: FAIL against {reference}: {} regression(s) in {primary} primary of {} comparisons",
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

fn verdict(f: &Finding) -> String {
    let word = f.verdict.word();
    if f.primary {
        word.to_string()
    } else {
        format!("{word} (secondary)")
    }
}

/// The table: point × endpoint × metric.
pub fn table(r: &GateReport) -> String {
    let mut rows = vec![[
        "point".to_string(),
        "endpoint".into(),
        "metric".into(),
        "runs".into(),
        "baseline".into(),
        "current".into(),
        "change [95% CI]".into(),
        "p".into(),
        "p (Holm)".into(),
        "verdict".into(),
    ]];
    let p = |v: f64| {
        if v.is_nan() {
            "-".into()
        } else {
            format!("{v:.4}")
        }
    };
    for f in &r.findings {
        rows.push([
            f.point.to_string(),
            f.endpoint.clone(),
            f.metric.to_string(),
            format!("{}/{}", f.runs.0, f.runs.1),
            value(f, f.baseline),
            value(f, f.current),
            change(f),
            p(f.p_value),
            p(f.p_adjusted),
            verdict(f),
        ]);
    }
    let widths: Vec<usize> = (0..rows[0].len())
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
            runs: (5, 5),
            baseline: 5500.0,
            current: 6800.0,
            change: 0.236,
            ci: (0.18, 0.29),
            p_value: 0.004,
            p_adjusted: 0.024,
            primary: true,
            verdict: Verdict::Regressed,
        };
        let r = GateReport {
            method: "m".into(),
            findings: vec![f.clone()],
            notes: vec![],
        };
        let t = table(&r);
        assert!(t.contains("5/5") && t.contains("0.0240"), "{t}");
        assert!(t.contains("point 0: open 100 req/s"), "{t}");
        assert!(
            t.contains("5.50 ms") && t.contains("+23.6% [+18.0, +29.0]") && t.contains("REGRESSED"),
            "{t}"
        );
        assert_eq!(conclude(&r, "x"), SLO_FAILED);
        // A secondary regression is shown but does not fail.
        let r = GateReport {
            findings: vec![Finding {
                primary: false,
                ..f
            }],
            ..r
        };
        assert!(table(&r).contains("REGRESSED (secondary)"));
        assert_eq!(conclude(&r, "x"), 0);
    }
}
