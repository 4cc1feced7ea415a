//! What the three gates share: their errors as exit codes, the gate profile as a plan,
//! one run of it, the environment check before any load, the baseline file's folder,
//! and the end (`gate.json`, the table, the exit code).

use anyhow::{anyhow, Context};
use perf_core::engine::{signals, Target};
use perf_core::session::Plan;
use perf_core::{LoadPoint, Params};
use perf_ml::gate::{GateError, GateReport, RunSample};

use crate::cli::GateArgs;
use crate::fail::{runtime, usage, Fail};
use crate::gate_table::conclude;
use crate::plan::{open, slos, ExecOpts, TargetChoice};
use crate::registry;
use crate::session::execute;

/// Gate errors are bad input (exit 2) except a baseline that cannot be written (1).
pub(crate) fn gate_fail(e: GateError) -> Fail {
    match e {
        GateError::Write { .. } => runtime(e),
        other => usage(other),
    }
}

/// The scenario's gate profile as a plan: its rates, each for its duration (or
/// `--duration`).
pub(crate) fn gate_plan(a: &GateArgs) -> Result<Plan, Fail> {
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
