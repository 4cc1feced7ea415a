//! `report`: every plugin's analysis of a results directory as `report.html`
//! (self-contained, SVG charts) and `report.json`.

use std::path::Path;

use anyhow::anyhow;
use perf_ml::report::{Plugins, ReportParams};

use crate::cli::ReportArgs;
use crate::fail::{runtime, usage, Fail};

/// `report`.
pub fn run(a: &ReportArgs) -> Result<u8, Fail> {
    if a.current.is_some() != a.growth.is_some() {
        return Err(usage(anyhow!(
            "--current and --growth go together (such as --growth 5%/week --current 300rps)"
        )));
    }
    let mut params = a.plugin_param.clone();
    if let Some(t) = &a.traffic {
        if !t.is_file() {
            return Err(usage(anyhow!("--traffic: {}: no such file", t.display())));
        }
        params.insert(0, format!("capacity_plan.traffic={}", t.display()));
    }
    let plugins = crate::plugins::all(&params).map_err(|e| usage(anyhow!(e)))?;
    let path = write(
        &ReportParams {
            dir: a.dir.clone(),
            models: a.models.clone(),
            history: a.history.clone(),
            search: a.search.clone(),
            current: a.current,
            growth: a.growth,
            target_rate: a.target_rate,
            seed: a.seed,
            today: chrono::Local::now().date_naive(),
        },
        &plugins,
    )?;
    println!("report written to {}", path.display());
    Ok(0)
}

/// Builds and writes the report; a directory without points is bad input (exit 2).
/// Prints what is missing and each plugin's headline.
pub fn write(p: &ReportParams, plugins: &Plugins) -> Result<std::path::PathBuf, Fail> {
    if !perf_core::results::layout::runs_csv(&p.dir).is_file() {
        return Err(usage(anyhow!(
            "{}: no runs.csv (not a results directory)",
            p.dir.display()
        )));
    }
    let report = p.build(plugins).map_err(|e| usage(anyhow!(e)))?;
    for (name, why) in report.missing_sections() {
        println!("report: no {name}: {why}");
    }
    for line in report.sections.iter().filter_map(|s| s.summary.as_ref()) {
        println!("report: {line}");
    }
    report.write(Path::new(&p.dir)).map_err(runtime)
}
