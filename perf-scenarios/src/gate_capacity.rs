//! `gate --breaking-point`: has the capacity at the scenario's SLOs dropped?
//!
//! `--save-baseline` runs a cold breaking-point search over `--range` and stores its
//! breaking point and posterior interval ([`CapacityBaseline`]). The gate runs a search
//! warm-started from that breaking point — just below it, then just above it, stepping
//! further out only when the target disagrees — over half to twice the baseline's
//! breaking point, and judges the two breaking points: exit 99 when the capacity fell by
//! more than `--capacity-threshold` at the confidence 1 − `--alpha`. The searches and
//! the verdict are [`perf_ml::gate::capacity_search`]'s, tested there on synthetic
//! targets of every family; this adds the files, the refusals and the words.

use std::path::Path;

use anyhow::anyhow;
use perf_core::engine;
use perf_core::Params;
use perf_ml::gate::capacity::{Capacity, CapacityFinding, CapacityVerdict, Searched};
use perf_ml::gate::capacity_search::{baseline_search, gate_search, method, verdict};
use perf_ml::gate::{CapacityBaseline, CapacityGateFile, Gate};
use perf_ml::search::SearchReport;

use crate::cli::GateArgs;
use crate::fail::{runtime, usage, Fail, SLO_FAILED};
use crate::gate_shared::{check_writable, gate_fail, refuse_environment, target_of};
use crate::plan::{self, ExecOpts};
use crate::registry;
use crate::search::{execute, invalid, SearchPlan};

/// `gate --breaking-point` with the baseline file `file`.
pub fn gate(a: &GateArgs, gate: &Gate, file: &Path) -> Result<u8, Fail> {
    let scenario = registry::find(&a.scenario).map_err(|e| usage(anyhow!(e)))?;
    let params = Params::resolve(scenario.name, &scenario.params, &[]).map_err(usage)?;
    let slos = plan::slos(&scenario, &a.common.slo)?;
    perf_ml::search::check_slos(&slos).map_err(|e| usage(anyhow!("--slo: {e}")))?;
    let t = a.capacity_threshold;
    if !(t > 0.0 && t < 1.0) {
        return Err(usage(anyhow!(
            "--capacity-threshold: {t} must be above 0% and below 100%"
        )));
    }
    // --alpha was checked with the other gate settings.
    let alpha = gate.params().alpha;
    let duration = a
        .common
        .duration
        .unwrap_or(scenario.gate_profile().duration);
    let opts = ExecOpts::from_common(&a.common);
    let (target, in_process) = target_of(&opts);
    let rules: Vec<String> = slos.iter().map(|s| s.rule.clone()).collect();
    let what = (
        scenario.name,
        rules.clone(),
        params.to_string(),
        duration.as_secs_f64(),
    );
    let mut search = baseline_search(a.range.0, a.range.1, a.common.seed);
    let baseline = if a.save_baseline {
        check_writable(file)?;
        None
    } else {
        let b = CapacityBaseline::load(file).map_err(gate_fail)?;
        let refuse = |what: String| {
            usage(anyhow!(
                "{}: {what}; re-create the baseline with --breaking-point --save-baseline",
                file.display()
            ))
        };
        b.check_for(
            scenario.name,
            &rules,
            &params.to_string(),
            duration.as_secs_f64(),
        )
        .map_err(refuse)?;
        let differences = b.differences(&engine::environment(in_process), &target);
        refuse_environment(file, &b.created_at, differences, a.allow_env_change)?;
        search = gate_search(&b.capacity, &file.display().to_string(), a.common.seed);
        Some(b)
    };
    let plan = SearchPlan {
        scenario,
        params,
        slos,
        duration,
        max_users: a.common.max_users,
        search: search.check().map_err(invalid)?,
    };
    let (report, interrupted, dir) = execute(&plan, &opts)?;
    if let Some(sig) = interrupted {
        return Ok(engine::signals::exit_code(sig));
    }
    let searched = Searched::of(&report);
    let Some(baseline) = baseline else {
        let baseline = CapacityBaseline::new(
            found(searched, &report, a.range, t)?,
            engine::environment(in_process),
            target,
            what,
        );
        baseline.save(file).map_err(gate_fail)?;
        let c = &baseline.capacity;
        println!(
            "baseline written: {}: breaking point {:.1} req/s [{:.1}, {:.1}] ({:.0}%)",
            file.display(),
            c.estimate,
            c.interval.0,
            c.interval.1,
            c.confidence * 100.0
        );
        return Ok(0);
    };
    let base = baseline.capacity;
    let finding = verdict(&base, searched, t, alpha).map_err(|why| {
        runtime(anyhow!(
            "cannot judge the breaking point: {why} ({})",
            report.stop
        ))
    })?;
    let method = method(finding.bracket, t, alpha, report.range);
    CapacityGateFile {
        method: method.clone(),
        finding: finding.clone(),
        stop: report.stop,
    }
    .write(&dir)
    .map_err(gate_fail)?;
    print!("{}", describe(&finding, searched, t));
    println!("method: {method}");
    if finding.verdict == CapacityVerdict::Regressed {
        println!(
            "gate: FAIL against baseline {}: the breaking point fell by more than {:.1}%",
            file.display(),
            t * 100.0
        );
        Ok(SLO_FAILED)
    } else {
        println!(
            "gate: PASS against baseline {}: the breaking point did not fall by more than {:.1}%",
            file.display(),
            t * 100.0
        );
        Ok(0)
    }
}

/// The breaking point a baseline search found, if it is one a gate can be judged
/// against: inside `range`, with an interval narrower than the threshold `t`.
fn found(
    searched: Searched,
    report: &SearchReport,
    range: (f64, f64),
    t: f64,
) -> Result<Capacity, Fail> {
    let Searched::Found(capacity) = searched else {
        return Err(usage(anyhow!(
            "--range {}..{}: the baseline search found no breaking point inside it ({}); give a range the target breaks in",
            range.0,
            range.1,
            report.stop
        )));
    };
    // A baseline whose interval alone spans more than the threshold could never show a
    // drop: refuse it rather than write a gate that cannot fail.
    let (lo, hi) = capacity.interval;
    if capacity.spans_more_than(t) {
        return Err(runtime(anyhow!(
            "the baseline search's interval {lo:.1}..{hi:.1} req/s spans more than --capacity-threshold {:.1}% ({}); no baseline written — give the points more time (--duration) or the search a range the target breaks in",
            t * 100.0,
            report.stop
        )));
    }
    Ok(capacity)
}

fn interval(c: &Capacity, bracket: bool) -> String {
    let what = if bracket {
        "pass/fail bracket".to_string()
    } else {
        format!("{:.0}%", c.confidence * 100.0)
    };
    format!(
        "{:.1} req/s [{:.1}, {:.1}] ({what})",
        c.estimate, c.interval.0, c.interval.1
    )
}

/// The finding in words.
fn describe(f: &CapacityFinding, searched: Searched, threshold: f64) -> String {
    let mut out = format!("breaking point: baseline {}", interval(&f.baseline, false));
    match (searched, &f.current) {
        (_, Some(now)) => out.push_str(&format!(", now {}\n", interval(now, f.bracket))),
        (Searched::Below(r), None) => {
            out.push_str(&format!(
                ", now below {r:.1} req/s (the search's lowest rate already fails)\n"
            ));
        }
        (Searched::Above(r), None) => {
            out.push_str(&format!(
                ", now above {r:.1} req/s (the search's highest rate still passes)\n"
            ));
        }
        _ => out.push('\n'),
    }
    if f.bracket {
        out.push_str(&format!(
            "change: {:+.1}% [{:+.1}, {:+.1}] (the bracket's ends); {}\n",
            f.change * 100.0,
            f.ci.0 * 100.0,
            f.ci.1 * 100.0,
            word(f.verdict)
        ));
    } else if !f.change.is_nan() {
        out.push_str(&format!(
            "change: {:+.1}% [{:+.1}, {:+.1}] (95%); test of a drop beyond {:.1}%: p = {:.4}; {}\n",
            f.change * 100.0,
            f.ci.0 * 100.0,
            f.ci.1 * 100.0,
            threshold * 100.0,
            f.p_value,
            word(f.verdict)
        ));
    }
    out
}

fn word(v: CapacityVerdict) -> &'static str {
    match v {
        CapacityVerdict::Regressed => "REGRESSED",
        CapacityVerdict::Improved => "improved",
        CapacityVerdict::NoChange => "no change beyond the threshold",
    }
}
