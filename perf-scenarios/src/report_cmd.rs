//! `report`: every analysis of a results directory as `report.html` (self-contained,
//! SVG charts) and `report.json`.

use std::path::Path;

use anyhow::anyhow;
use perf_ml::report::ReportParams;

use crate::cli::ReportArgs;
use crate::runner::{runtime, usage, Fail};

/// `report`.
pub fn run(a: &ReportArgs) -> Result<u8, Fail> {
    if a.current.is_some() != a.growth.is_some() {
        return Err(usage(anyhow!(
            "--current and --growth go together (such as --growth 5%/week --current 300rps)"
        )));
    }
    let path = write(&ReportParams {
        dir: a.dir.clone(),
        models: a.models.clone(),
        history: a.history.clone(),
        search: a.search.clone(),
        current: a.current,
        growth: a.growth,
        target_rate: a.target_rate,
        seed: a.seed,
        today: chrono::Local::now().date_naive(),
    })?;
    println!("report written to {}", path.display());
    Ok(0)
}

/// Builds and writes the report; a directory without points is bad input (exit 2).
pub fn write(p: &ReportParams) -> Result<std::path::PathBuf, Fail> {
    if !p.dir.join("runs.csv").is_file() {
        return Err(usage(anyhow!(
            "{}: no runs.csv (not a results directory)",
            p.dir.display()
        )));
    }
    let report = p.build().map_err(|e| usage(anyhow!(e)))?;
    for (name, why) in report.missing_sections() {
        println!("report: no {name}: {why}");
    }
    if let Some(found) = &report.anomalies.value {
        use perf_ml::analyze::anomaly::Severity;
        let count = |s: Severity| found.iter().filter(|a| a.severity == s).count();
        println!(
            "report: anomalies: {} critical, {} warning, {} advisory",
            count(Severity::Critical),
            count(Severity::Warning),
            count(Severity::Advisory)
        );
    }
    if let Some(c) = report
        .planning
        .value
        .as_ref()
        .and_then(|p| p.capacity.as_ref())
    {
        let interval = match (c.interval, &c.note) {
            (Some((lo, hi)), _) => format!(", 90% interval {lo:.1} .. {hi:.1}"),
            (None, Some(note)) => format!(", interval {note}"),
            (None, None) => String::new(),
        };
        println!(
            "report: capacity at the SLO (p95 < {:.1} ms, errors < {}%): {:.1} req/s{interval}, limited by {}",
            c.p95_limit_us / 1000.0,
            c.error_limit * 100.0,
            c.load,
            c.limited_by
        );
    }
    report.write(Path::new(&p.dir)).map_err(runtime)
}
