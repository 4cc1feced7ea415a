//! `gate` and `compare`: run a scenario's gate profile `--repeat` times against a
//! baseline file (or, in [`crate::gate_ab`], interleaved with a reference target; or read
//! two sets of results directories), compare the runs with perf-ml's gate statistics,
//! print the table, and exit 0 (pass), 99 (regression) or 2 (a baseline or run that
//! cannot be compared, refused before any load where that can be known).

use anyhow::anyhow;
use perf_ml::drive::gate::{collect, Collected};
use perf_ml::gate::{
    config_of, environment_differences, Baseline, Gate, GateError, GateParams, RunSample,
};

use crate::cli::{CompareArgs, GateArgs, GateStats};
use crate::fail::{self, usage, Fail};
use crate::gate_shared::{check_writable, finish, gate_fail, gate_plan, refuse_environment};
use crate::gate_table::conclude;

fn checked(s: &GateStats) -> Result<Gate, Fail> {
    let d = GateParams::default();
    GateParams {
        threshold: s.threshold.unwrap_or(d.threshold),
        alpha: s.alpha,
        min_error_rise: s.min_error_rise.unwrap_or(d.min_error_rise),
        primary: s.primary.unwrap_or(d.primary),
        seed: s.bootstrap_seed.unwrap_or(d.seed),
        ..d
    }
    .check()
    .map_err(usage)
}

/// The latency gate's settings that the breaking-point gate has no use for, if one was
/// given: a setting that would be silently ignored is refused instead.
fn unused_with_breaking_point(s: &GateStats) -> Option<&'static str> {
    [
        (
            s.threshold.is_some(),
            "--threshold (the breaking point's is --capacity-threshold)",
        ),
        (s.min_error_rise.is_some(), "--min-error-rise"),
        (s.primary.is_some(), "--primary"),
        (s.bootstrap_seed.is_some(), "--bootstrap-seed"),
    ]
    .into_iter()
    .find_map(|(given, name)| given.then_some(name))
}

/// `gate`.
pub fn gate(a: &GateArgs) -> Result<u8, Fail> {
    if a.breaking_point || a.baseline.is_none() {
        crate::plan::no_segments(&a.common, "gate --breaking-point` or an A/B `gate")?;
    }
    if a.breaking_point {
        if let Some(name) = unused_with_breaking_point(&a.stats) {
            return Err(usage(anyhow!(
                "{name}: a setting of the latency gate, not used with --breaking-point"
            )));
        }
    }
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
    let opts = crate::plan::segmented_opts(&a.common, &plan)?;
    let (mut environment, target) = opts.described();
    // Runs merged from segments are judged as they are; they ran where their segments did.
    let merged = read_runs(&a.merged_runs)?;
    if let Some(r) = merged.first() {
        environment = r.environment.clone();
    }
    let k = if merged.is_empty() {
        a.repeat as usize
    } else {
        merged.len()
    };
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
            b.check_for(&gate, plan.scenario.name, &configs, k)
                .map_err(|e| match e {
                    GateError::Underpowered { .. } => gate_fail(e),
                    other => refuse(other.to_string()),
                })?;
            let differences = b.differences(&environment, &target);
            refuse_environment(file, &b.created_at, differences, a.allow_env_change)?;
        }
        None => {
            check_writable(file)?;
            // A baseline of these runs must be able to fail a gate of as many.
            gate.detectable(k, k, gate.primary_comparisons(plan.points.len(), 1))
                .map_err(gate_fail)?;
        }
    }
    let (runs, dir) = if let Some(last) = a.merged_runs.last() {
        (merged, last.clone())
    } else {
        match collect(&plan, &opts, None, k).map_err(fail::drive)? {
            Collected::Done { candidate, dir, .. } => (candidate, dir),
            Collected::Interrupted(sig) => return Ok(perf_core::engine::signals::exit_code(sig)),
        }
    };
    if !opts.segment.is_whole() {
        // A segment's runs are its share of each run: judged once merged with the others'.
        println!(
            "segment {}: {k} run(s) of the gate profile written under {}; merge run r of every segment (perf-scenarios merge), then judge the merged runs: perf-scenarios gate {} --baseline {}{} --merged-runs DIR1,DIR2,...",
            opts.segment,
            a.common.out.display(),
            plan.scenario.name,
            file.display(),
            if a.save_baseline { " --save-baseline" } else { "" },
        );
        return Ok(0);
    }
    let Some(baseline) = baseline else {
        Baseline::new(runs, target).save(file).map_err(gate_fail)?;
        println!("baseline written: {}", file.display());
        return Ok(0);
    };
    let report = gate.compare(&baseline.runs, &runs).map_err(gate_fail)?;
    finish(&report, &dir, &format!("baseline {}", file.display()))
}

/// The gate's runs from results directories (`--merged-runs`).
fn read_runs(dirs: &[std::path::PathBuf]) -> Result<Vec<RunSample>, Fail> {
    dirs.iter()
        .map(|d| RunSample::from_dir(d).map_err(gate_fail))
        .collect()
}

/// `compare`.
pub fn compare(a: &CompareArgs) -> Result<u8, Fail> {
    let gate = checked(&a.stats)?;
    let (ra, rb) = (read_runs(&a.a)?, read_runs(&a.b)?);
    for d in environment_differences(&ra[0].environment, &rb[0].environment) {
        println!("warning: the environments differ: {d}");
    }
    let report = gate.compare(&ra, &rb).map_err(gate_fail)?;
    if let Some(path) = &a.json {
        report
            .save(path)
            .map_err(|e| usage(anyhow::Error::new(e).context("--json")))?;
    }
    let reference =
        a.a.iter()
            .map(|d| d.display().to_string())
            .collect::<Vec<_>>()
            .join(",");
    Ok(conclude(&report, &reference))
}
