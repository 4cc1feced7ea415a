//! What the three gates share on the command line: their errors as exit codes, the gate
//! profile from the arguments, the environment check before any load, the baseline
//! file's folder, and the end (`gate.json`, the table, the exit code).

use anyhow::anyhow;
use perf_core::session::Plan;
use perf_core::Params;
use perf_ml::drive::gate::profile_plan;
use perf_ml::gate::{GateError, GateReport};

use crate::cli::GateArgs;
use crate::fail::{runtime, usage, Fail};
use crate::gate_table::conclude;
use crate::plan::slos;
use crate::registry;

/// Gate errors are bad input (exit 2) except a baseline that cannot be written (1).
pub(crate) fn gate_fail(e: GateError) -> Fail {
    match e {
        GateError::Write { .. } => runtime(e),
        other => usage(other),
    }
}

/// The scenario's gate profile as a plan: its rates, each for its duration (or
/// `--duration`), with `--max-users`.
pub(crate) fn gate_plan(a: &GateArgs) -> Result<Plan, Fail> {
    let spec = registry::find(&a.scenario).map_err(|e| usage(anyhow!(e)))?;
    let params = Params::resolve(spec.name, &spec.params, &[]).map_err(usage)?;
    let slos = slos(&spec, &a.common.slo)?;
    Ok(profile_plan(
        &spec,
        params,
        slos,
        a.common.duration,
        a.common.max_users,
    ))
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
