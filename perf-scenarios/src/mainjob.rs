//! The main job (no arguments): [`perf_ml::drive::mainjob`]'s sweep of `api` (reads
//! only) across the embedded site's known capacity, its models and the Gaussian-process
//! search, printed next to the capacity formula; then a browser check and the report
//! (report.html) of it all.

use anyhow::anyhow;
use perf_core::Params;
use perf_ml::drive::mainjob::{self, highest_passing, MainJob, Step};
use perf_ml::drive::ExecOpts;

use crate::fail::{self, usage, Fail};
use crate::registry;

/// Runs the main job.
pub fn run() -> Result<u8, Fail> {
    let capacity = mainjob::capacity();
    let scenario = registry::find("api").map_err(|e| usage(anyhow!(e)))?;
    // Reads only: every request costs 1, so the site's capacity is the formula's.
    let params = Params::resolve(
        "api",
        &scenario.params,
        &[("write_ratio".into(), "0".into())],
    )
    .map_err(usage)?;
    let fractions = mainjob::LOAD_FRACTIONS;
    println!(
        "main job: dummy site with {} workers × {} ms service time → capacity {capacity:.0} req/s \
         (workers × 1000 / service time); sweeping `api` (reads only) from {:.0} to {:.0} req/s",
        mainjob::WORKERS,
        mainjob::SERVICE_MS,
        capacity * fractions[0],
        capacity * fractions[fractions.len() - 1]
    );
    let job = MainJob {
        scenario,
        params,
        models: "models".into(),
    };
    let opts = ExecOpts {
        observer: crate::dashboard::observer,
        ..mainjob::opts("results".into())
    };
    let done = job
        .run(&opts, &mut |step| print_step(step, capacity))
        .map_err(fail::drive)?;
    let Some(search) = done.search else {
        return Ok(fail::exit_code(&done.sweep, false));
    };
    let report = &search.report;
    if let Some(e) = report.estimate {
        println!(
            "found {e:.0} req/s in {} runs; the site's capacity by formula is {capacity:.0} req/s ({:+.1}%)",
            report.runs(),
            100.0 * (e / capacity - 1.0)
        );
    }
    if search.interrupted.is_some() {
        return Ok(crate::search::exit_code(report, search.interrupted));
    }
    browser_check(opts)?;
    println!("\nreport: the sweep, its models and the search");
    let page = write_report(&done.sweep.dir, &search.dir)?;
    println!("report written to {}", page.display());
    Ok(crate::search::exit_code(report, None))
}

/// Prints a step of the pipeline as it ends.
fn print_step(step: Step<'_>, capacity: f64) {
    match step {
        Step::Swept(sweep) => {
            match highest_passing(sweep) {
                Some(r) => println!("highest rate meeting the SLO: {r:.0} req/s (site capacity by formula: {capacity:.0} req/s)"),
                None => println!("no rate met the SLO (site capacity by formula: {capacity:.0} req/s)"),
            }
            println!("results written to {}", sweep.dir.display());
        }
        Step::Fitted(Ok(report)) => print!("{}", report.summary()),
        Step::Fitted(Err(e)) => println!("models not fitted: {e}"),
        Step::Searching(plan) => {
            let p = plan.search.params();
            println!(
                "\nbreaking-point search: Gaussian process over {:.0} .. {:.0} req/s, SLO {}",
                p.lo,
                p.hi,
                mainjob::SEARCH_SLO
            );
        }
    }
}

/// The report of the sweep in `dir`, with the models and the search in `search_dir`.
fn write_report(
    dir: &std::path::Path,
    search_dir: &std::path::Path,
) -> Result<std::path::PathBuf, Fail> {
    let plugins = crate::plugins::all(&[]).map_err(|e| usage(anyhow!(e)))?;
    crate::report_cmd::write(
        &perf_ml::report::ReportParams {
            dir: dir.to_path_buf(),
            models: "models".into(),
            history: Vec::new(),
            search: Some(perf_core::results::layout::search_json(search_dir)),
            current: None,
            growth: None,
            target_rate: None,
            seed: 1,
            today: chrono::Local::now().date_naive(),
        },
        &plugins,
    )
}

/// The `checkout` flow in headless Chromium, when chromedriver is installed.
fn browser_check(mut opts: ExecOpts) -> Result<(), Fail> {
    if perf_core::browser::driver::find_on_path("chromedriver").is_none() {
        println!(
            "\nbrowser checks skipped: chromedriver is not installed (install with: apt-get install chromium chromium-driver)"
        );
        return Ok(());
    }
    println!("\nbrowser check: the checkout flow in headless Chromium, twice");
    opts.browser = Some(perf_core::browser::BrowserParams::default());
    let scenario = registry::find("checkout").map_err(|e| usage(anyhow!(e)))?;
    let run = crate::browser_cmd::execute(&scenario, 2, &opts)?;
    let pages = run.records.iter().filter(|r| r.timing.is_some()).count();
    let failed = run.records.iter().filter(|r| !r.ok).count();
    println!("browser check: {pages} page loads, {failed} failed check(s)");
    Ok(())
}
