//! `gate --reference-host URL` / `gate --reference-site OPTIONS`: A/B on one machine.
//!
//! The reference (A) and the judged target (B: `--host`, or the embedded site with its
//! `--site-*` options) each run the gate profile `--repeat` times, interleaved in
//! counterbalanced pairs ([`perf_ml::gate::interleave`]) — the A/B practice of Chromium's
//! Pinpoint: repeated, interleaved runs of both versions on the same machine, compared
//! run against run. No baseline file is read or written, so nothing has to travel
//! between machines.

use anyhow::anyhow;
use clap::{Args, Command, FromArgMatches};
use dummy_site::SiteParams;
use perf_core::engine::{self, EngineError};
use perf_core::session::Plan;
use perf_ml::drive::gate::{collect, Collected};
use perf_ml::drive::{ExecOpts, TargetChoice};
use perf_ml::gate::Gate;

use crate::cli::GateArgs;
use crate::fail::{self, runtime, usage, Fail};
use crate::gate_shared::{finish, gate_fail};
use crate::plan::exec_opts;

/// The reference's site options, parsed as `dummy-site` parses its own command line.
pub(crate) fn reference_site(options: &str) -> Result<SiteParams, String> {
    let cmd = SiteParams::augment_args(Command::new("--reference-site").no_binary_name(true));
    let matches = cmd
        .try_get_matches_from(options.split_whitespace())
        .map_err(|e| {
            let text = e.to_string();
            let first = text.lines().next().unwrap_or_default();
            first.trim_start_matches("error: ").to_string()
        })?;
    let p = SiteParams::from_arg_matches(&matches).map_err(|e| e.to_string())?;
    p.check().map_err(|e| e.to_string())?;
    Ok(p)
}

/// Checks a server before any load: a malformed URL is bad usage (2), one that refuses
/// connections a runtime failure (1).
fn reachable(url: &str, flag: &str) -> Result<(), Fail> {
    engine::check_target(url).map_err(|e| match e {
        EngineError::BadHost { .. } => usage(anyhow!("{flag}: {e}")),
        other => runtime(anyhow!("{flag}: {other}")),
    })
}

/// The reference's options: the candidate's with another target.
fn reference_opts(a: &GateArgs, candidate: &ExecOpts) -> Result<(ExecOpts, String), Fail> {
    let (target, label) = match (&a.reference_host, &a.reference_site) {
        (Some(h), _) => {
            let h = h.trim_end_matches('/').to_string();
            reachable(&h, "--reference-host")?;
            (TargetChoice::Host(h.clone()), h)
        }
        (None, Some(options)) => {
            let p = reference_site(options)
                .map_err(|e| usage(anyhow!("--reference-site '{options}': {e}")))?;
            let label = if options.trim().is_empty() {
                "the embedded site with its defaults".to_string()
            } else {
                format!("the embedded site with {}", options.trim())
            };
            (TargetChoice::Embedded(p), label)
        }
        (None, None) => unreachable!("clap requires --baseline or a reference"),
    };
    Ok((candidate.with_target(target), label))
}

/// `gate` with a reference target instead of a baseline file.
pub fn gate(a: &GateArgs, gate: &Gate, plan: &Plan) -> Result<u8, Fail> {
    let candidate = exec_opts(&a.common);
    let (reference, label) = reference_opts(a, &candidate)?;
    match &candidate.target {
        TargetChoice::Host(h) => reachable(h, "--host")?,
        TargetChoice::Embedded(p) => {
            p.check()
                .map_err(|e| usage(e.with_option_prefix("site-")))?;
        }
    }
    let k = a.repeat as usize;
    gate.detectable(k, k, gate.primary_comparisons(plan.points.len(), 1))
        .map_err(gate_fail)?;
    let (runs_a, runs_b, dir) =
        match collect(plan, &candidate, Some(&reference), k).map_err(fail::drive)? {
            Collected::Done {
                reference,
                candidate,
                dir,
            } => (reference, candidate, dir),
            Collected::Interrupted(sig) => return Ok(engine::signals::exit_code(sig)),
        };
    let mut report = gate.compare(&runs_a, &runs_b).map_err(gate_fail)?;
    report.notes.push(format!(
        "A/B on this machine: {k} runs of the reference and {k} of the judged target, interleaved A B, B A, …"
    ));
    finish(&report, &dir, &format!("reference {label}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_site_options_are_the_sites_own() {
        assert_eq!(reference_site("").unwrap(), SiteParams::default());
        let p = reference_site("--service-time-ms 6 --workers 4").unwrap();
        assert_eq!((p.service_time_ms, p.workers), (6.0, 4));
        let e = reference_site("--workers 0").unwrap_err();
        assert!(e.contains("'--workers'") && !e.contains('\n'), "{e}");
        let e = reference_site("--wrokers 4").unwrap_err();
        assert!(e.contains("--wrokers") && !e.contains('\n'), "{e}");
        let e = reference_site("--queue-timeout-ms 0").unwrap_err();
        assert!(e.contains("--queue-timeout-ms"), "{e}");
    }
}
