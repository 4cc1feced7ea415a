//! `gate` and `compare`: run a scenario's gate profile `--repeat` times against a
//! baseline file (or, in [`crate::gate_ab`], interleaved with a reference target; or read
//! two sets of results directories), compare the runs with perf-ml's gate statistics,
//! print the table, and exit 0 (pass), 99 (regression) or 2 (a baseline or run that
//! cannot be compared, refused before any load where that can be known).

use anyhow::{anyhow, Context};
use perf_core::engine::{self, signals, Target};
use perf_core::{LoadPoint, Params};
use perf_ml::gate::{
    config_of, environment_differences, Baseline, Gate, GateError, GateParams, GateReport,
    RunSample,
};

use crate::cli::{CompareArgs, GateArgs, GateStats};
use crate::gate_table::conclude;
use crate::registry;
use perf_core::session::Plan;

use crate::fail::{runtime, usage, Fail};
use crate::plan::{open, slos, ExecOpts, TargetChoice};
use crate::session::execute;

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
pub(crate) fn gate_fail(e: GateError) -> Fail {
    match e {
        GateError::Write { .. } => runtime(e),
        other => usage(other),
    }
}

/// The scenario's gate profile as a plan: its rates, each for its duration (or
/// `--duration`).
fn gate_plan(a: &GateArgs) -> Result<Plan, Fail> {
    let spec = registry::find(&a.scenario).map_err(|e| usage(anyhow!(e)))?;
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
    Ok(Plan {
        slos: slos(&spec, &a.common.slo)?,
        scenario: spec,
        points,
        stop_on_error_rate: None,
    })
}

/// One run of the gate profile: its sample and results directory, or the exit code of
/// the signal that interrupted it.
pub(crate) enum Once {
    Done(Box<RunSample>, std::path::PathBuf),
    Interrupted(u8),
}

/// Runs the plan once.
pub(crate) fn run_once(plan: &Plan, opts: &ExecOpts) -> Result<Once, Fail> {
    let done = execute(plan, opts)?;
    if let Some(sig) = done.interrupted {
        return Ok(Once::Interrupted(signals::exit_code(sig)));
    }
    let sample = RunSample::from_dir(&done.dir).map_err(gate_fail)?;
    Ok(Once::Done(Box::new(sample), done.dir))
}

/// Writes the report as `gate.json` into `dir`, prints the table and returns the exit
/// code.
pub(crate) fn finish(
    report: &GateReport,
    dir: &std::path::Path,
    reference: &str,
) -> Result<u8, Fail> {
    report.write(dir).map_err(gate_fail)?;
    Ok(conclude(report, reference))
}

/// Writes `value` as pretty JSON to `path` (atomically).
pub(crate) fn write_json(
    path: &std::path::Path,
    value: &impl serde::Serialize,
) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(value).expect("serializes");
    perf_core::atomic::write(path, text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// The target as a baseline records it, and where it runs.
pub(crate) fn target_of(opts: &ExecOpts) -> (serde_json::Value, Target) {
    match &opts.target {
        TargetChoice::Host(h) => (serde_json::json!({ "host": h }), Target::Remote),
        TargetChoice::Embedded(p) => (
            serde_json::to_value(p).expect("site settings serialize"),
            Target::InProcess,
        ),
    }
}

/// `gate`.
pub fn gate(a: &GateArgs) -> Result<u8, Fail> {
    let gate = checked(&a.stats)?;
    let Some(file) = &a.baseline else {
        return crate::gate_ab::gate(a, &gate, &gate_plan(a)?);
    };
    if a.breaking_point {
        return crate::gate_capacity::gate(a, &gate, file);
    }
    let plan = gate_plan(a)?;
    let baseline = if a.save_baseline {
        None
    } else {
        Some(Baseline::load(file).map_err(gate_fail)?)
    };
    let opts = ExecOpts::from_common(&a.common);
    let (target, in_process) = target_of(&opts);
    // What can be known before any load: the baseline has enough runs of this plan, taken
    // in this environment; or a new baseline can be written.
    match &baseline {
        Some(b) => {
            let refuse = |what: String| {
                usage(anyhow!(
                    "{}: {what}; re-create the baseline with --save-baseline",
                    file.display()
                ))
            };
            let configs: Vec<String> = plan.points.iter().map(config_of).collect();
            let configs: Vec<&str> = configs.iter().map(String::as_str).collect();
            b.check_for(&gate, plan.scenario.name, &configs, a.repeat as usize)
                .map_err(|e| match e {
                    GateError::Underpowered { .. } => gate_fail(e),
                    other => refuse(other.to_string()),
                })?;
            let differences = b.differences(&engine::environment(in_process), &target);
            refuse_environment(file, &b.created_at, differences, a.allow_env_change)?;
        }
        None => {
            check_writable(file)?;
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
        match run_once(&plan, &opts)? {
            Once::Done(sample, dir) => {
                runs.push(*sample);
                last = Some(dir);
            }
            Once::Interrupted(code) => return Ok(code),
        }
    }
    let dir = last.expect("at least three runs");
    let Some(baseline) = baseline else {
        Baseline::new(runs, target).save(file).map_err(gate_fail)?;
        println!("baseline written: {}", file.display());
        return Ok(0);
    };
    let report = gate.compare(&baseline.runs, &runs).map_err(gate_fail)?;
    finish(&report, &dir, &format!("baseline {}", file.display()))
}

/// A baseline taken in another environment is refused (exit 2) unless
/// `--allow-env-change`; then each difference is a warning.
pub(crate) fn refuse_environment(
    file: &std::path::Path,
    created_at: &str,
    differences: Vec<String>,
    allow: bool,
) -> Result<(), Fail> {
    if !differences.is_empty() && !allow {
        return Err(usage(anyhow!(
            "{}: taken in another environment ({created_at}): {}; latency is not comparable across machines — \
             record the baseline where the gate runs, or pass --allow-env-change; re-create the baseline with --save-baseline",
            file.display(),
            differences.join("; ")
        )));
    }
    for d in differences {
        println!("warning: the environment differs from the baseline's ({created_at}): {d}");
    }
    Ok(())
}

/// Fails (exit 2) when `--save-baseline` could not write `path`: its folder cannot be
/// made, or a file cannot be created in it.
pub(crate) fn check_writable(path: &std::path::Path) -> Result<(), Fail> {
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
        write_json(path, &report).context("--json").map_err(usage)?;
    }
    let reference =
        a.a.iter()
            .map(|d| d.display().to_string())
            .collect::<Vec<_>>()
            .join(",");
    Ok(conclude(&report, &reference))
}
