//! `browser`: a scenario's browser steps alone, in headless Chromium against the embedded
//! site or a host; every step printed as it ends, then a table per step of the pages'
//! own timings, and `browser.csv`. Exit 99 when a check failed.

use std::sync::Arc;
use std::time::Duration;

use anyhow::anyhow;
use perf_core::browser::{CheckRecord, OnStep};
use perf_core::engine::signals;

use crate::cli::BrowserArgs;
use crate::fail::{self, usage, Fail, SLO_FAILED};
use crate::plan::{browser_params, exec_opts};
use crate::registry;
use perf_ml::drive::ExecOpts;

/// `browser` from the command line.
pub fn run(a: &BrowserArgs) -> Result<u8, Fail> {
    crate::plan::no_segments(&a.common, "browser")?;
    let scenario = registry::find(&a.scenario).map_err(|e| usage(anyhow!(e)))?;
    let mut opts = exec_opts(&a.common);
    opts.browser = browser_params(&a.common, 1);
    let done = execute(&scenario, a.iterations as u64, &opts)?;
    Ok(done.exit_code())
}

/// What a browser-only run did.
#[derive(Debug)]
pub struct BrowserRun {
    /// Every step.
    pub records: Vec<CheckRecord>,
    /// The signal that stopped it.
    pub interrupted: Option<i32>,
}

impl BrowserRun {
    /// 130/143 when interrupted, 99 when a check failed, else 0.
    pub fn exit_code(&self) -> u8 {
        match self.interrupted {
            Some(sig) => signals::exit_code(sig),
            None if self.records.iter().any(|r| !r.ok) => SLO_FAILED,
            None => 0,
        }
    }
}

/// Runs the scenario's browser steps `iterations` times per browser user, prints each
/// step and the table, and writes `browser.csv`.
pub fn execute(
    scenario: &perf_core::scenario::ScenarioSpec,
    iterations: u64,
    opts: &ExecOpts,
) -> Result<BrowserRun, Fail> {
    if scenario.browser.is_none() {
        return Err(usage(anyhow!(
            "scenario '{}' has no browser steps (checkout and browse have)",
            scenario.name
        )));
    }
    if opts.browser.is_none() {
        return Err(usage(anyhow!(
            "--browser-users: must be at least 1 for browser checks"
        )));
    }
    let mut session = opts
        .open(scenario, &[], 0, Duration::ZERO)
        .map_err(fail::drive)?;
    let on_step: OnStep = Arc::new(|r: &CheckRecord| eprintln!("{}", step_line(r)));
    let records = session
        .run_browser_only(iterations, on_step)
        .map_err(fail::session)?;
    println!("{}", table(&records));
    for r in records.iter().filter(|r| !r.ok) {
        println!(
            "FAILED check: user {} iteration {} step '{}': {}",
            r.user,
            r.iteration,
            r.step,
            r.error.as_deref().unwrap_or("")
        );
    }
    println!(
        "browser.csv written to {}",
        perf_core::results::layout::browser_csv(session.dir()).display()
    );
    let done = session.finish();
    Ok(BrowserRun {
        records,
        interrupted: done.interrupted,
    })
}

fn ms(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{v:.1}"))
}

fn step_line(r: &CheckRecord) -> String {
    match (&r.timing, r.ok) {
        (Some(t), true) => format!(
            "  user {} #{} {:<14} ok   TTFB {} ms, DOMContentLoaded {} ms, load {} ms, LCP {} ms, {} resources",
            r.user,
            r.iteration,
            r.step,
            ms(Some(t.ttfb_ms)),
            ms(Some(t.dcl_ms)),
            ms(Some(t.load_ms)),
            ms(t.lcp_ms),
            t.resources
        ),
        (None, true) => format!("  user {} #{} {:<14} ok   {:.1} ms", r.user, r.iteration, r.step, r.elapsed_ms),
        (_, false) => format!(
            "  user {} #{} {:<14} FAIL {}",
            r.user,
            r.iteration,
            r.step,
            r.error.as_deref().unwrap_or("")
        ),
    }
}

fn pct(v: &mut [f64], q: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let i = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1;
    Some(v[i])
}

/// Page loads per step: count, failures, median TTFB / DOMContentLoaded / load / LCP,
/// p95 load, worst CLS, resources and bytes.
pub fn table(records: &[CheckRecord]) -> String {
    let mut steps: Vec<&str> = Vec::new();
    for r in records.iter().filter(|r| r.timing.is_some() || !r.ok) {
        if !steps.contains(&r.step.as_str()) {
            steps.push(&r.step);
        }
    }
    let mut out = vec![format!(
        "{:<16} {:>4} {:>6} {:>9} {:>9} {:>9} {:>9} {:>9} {:>6} {:>5} {:>8}",
        "page",
        "n",
        "failed",
        "TTFB ms",
        "DCL ms",
        "load ms",
        "load p95",
        "LCP ms",
        "CLS",
        "res",
        "KB"
    )];
    for s in steps {
        let rs: Vec<&CheckRecord> = records.iter().filter(|r| r.step == s).collect();
        let ts: Vec<_> = rs.iter().filter_map(|r| r.timing).collect();
        let get = |f: &dyn Fn(&perf_core::browser::PageTiming) -> Option<f64>| -> Vec<f64> {
            ts.iter().filter_map(f).collect()
        };
        let (mut ttfb, mut dcl, mut load, mut lcp) = (
            get(&|t| Some(t.ttfb_ms)),
            get(&|t| Some(t.dcl_ms)),
            get(&|t| Some(t.load_ms)),
            get(&|t| t.lcp_ms),
        );
        let cls = ts
            .iter()
            .filter_map(|t| t.cls)
            .fold(None, |a: Option<f64>, c| Some(a.map_or(c, |a| a.max(c))));
        let (res, kb) = ts
            .last()
            .map_or((0, 0.0), |t| (t.resources, t.bytes as f64 / 1024.0));
        out.push(format!(
            "{:<16} {:>4} {:>6} {:>9} {:>9} {:>9} {:>9} {:>9} {:>6} {:>5} {:>8.1}",
            s,
            rs.len(),
            rs.iter().filter(|r| !r.ok).count(),
            ms(pct(&mut ttfb, 0.5)),
            ms(pct(&mut dcl, 0.5)),
            ms(pct(&mut load.clone(), 0.5)),
            ms(pct(&mut load, 0.95)),
            ms(pct(&mut lcp, 0.5)),
            cls.map_or("-".into(), |c| format!("{c:.3}")),
            res,
            kb
        ));
    }
    out.join("\n")
}
