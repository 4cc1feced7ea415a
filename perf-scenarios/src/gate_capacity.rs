//! `gate --breaking-point`: has the capacity at the scenario's SLOs dropped?
//!
//! `--save-baseline` runs a cold breaking-point search over `--range` and stores its
//! breaking point and posterior interval ([`CapacityBaseline`]). The gate runs a search
//! warm-started from that breaking point — just below it, then just above it, stepping
//! further out only when the target disagrees — over half to twice the baseline's
//! breaking point, and judges the two breaking points: exit 99 when the capacity fell by
//! more than `--capacity-threshold` at the confidence 1 − `--alpha`. The searches and
//! the verdict are [`perf_ml::gate::capacity_search`]'s, tested there on synthetic
//! targets of every family, and [`perf_ml::drive::capacity`] runs them over real load;
//! this adds the baseline file, the refusals and the words.

use std::path::Path;

use anyhow::anyhow;
use perf_core::engine::signals;
use perf_core::Params;
use perf_ml::drive::capacity::{CapacityGatePlan, Judged, Outcome};
use perf_ml::gate::capacity::{Capacity, CapacityFinding, CapacityVerdict, Searched};
use perf_ml::gate::{CapacityBaseline, Gate};

use crate::cli::GateArgs;
use crate::fail::{self, usage, Fail, SLO_FAILED};
use crate::gate_shared::{check_writable, gate_fail, refuse_environment};
use crate::plan::{self, exec_opts};
use crate::registry;

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
    let plan = CapacityGatePlan {
        scenario,
        params,
        slos,
        duration,
        max_users: a.common.max_users,
    };
    let opts = exec_opts(&a.common);
    if a.save_baseline {
        check_writable(file)?;
        let baseline = match plan.record(&opts, a.range, t).map_err(fail::drive)? {
            Outcome::Done(b) => b,
            Outcome::Interrupted(sig) => return Ok(signals::exit_code(sig)),
        };
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
    }
    let b = CapacityBaseline::load(file).map_err(gate_fail)?;
    let (scenario, rules, params, point) = plan.what();
    b.check_for(scenario, &rules, &params, point)
        .map_err(|what| {
            usage(anyhow!(
                "{}: {what}; re-create the baseline with --breaking-point --save-baseline",
                file.display()
            ))
        })?;
    let (environment, target) = opts.described();
    let differences = b.differences(&environment, &target);
    refuse_environment(file, &b.created_at, differences, a.allow_env_change)?;
    let source = file.display().to_string();
    let judged = match plan
        .judge(&opts, &b.capacity, &source, t, alpha)
        .map_err(fail::drive)?
    {
        Outcome::Done(j) => j,
        Outcome::Interrupted(sig) => return Ok(signals::exit_code(sig)),
    };
    let Judged {
        finding,
        searched,
        method,
        ..
    } = judged;
    print!("{}", describe(&finding, searched, t));
    println!("method: {method}");
    if finding.verdict == CapacityVerdict::Regressed {
        println!(
            "gate: FAIL against baseline {source}: the breaking point fell by more than {:.1}%",
            t * 100.0
        );
        Ok(SLO_FAILED)
    } else {
        println!(
            "gate: PASS against baseline {source}: the breaking point did not fall by more than {:.1}%",
            t * 100.0
        );
        Ok(0)
    }
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
