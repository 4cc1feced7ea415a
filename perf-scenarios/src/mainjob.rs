//! The main job (no arguments): the embedded dummy site with a known capacity, a short
//! sweep of `api` that crosses it, the table, models fitted to it, and a Gaussian-process
//! search for the breaking point printed next to the capacity formula, a browser check,
//! and the report (report.html) of it all.

use std::time::Duration;

use dummy_site::SiteParams;
use perf_core::{parse_slos, LoadModel, LoadPoint, Params};

use perf_ml::search::SearchParams;

use crate::registry;
use perf_core::session::Plan;

use crate::fail::{usage, Fail};
use crate::plan::{ExecOpts, TargetChoice};
use crate::search::SearchPlan;
use crate::session::execute;

/// Workers of the main job's site.
pub const WORKERS: usize = 4;
/// Service time of the main job's site, ms.
pub const SERVICE_MS: f64 = 10.0;
/// The SLO of the sweep.
pub const SLO: &str = "p95<100ms,error-rate<1%";
/// The SLO of the search: with a 16-request queue the knee is sharp, and p95 below three
/// service times breaks where the arrival rate passes the capacity (the queue starts to
/// fill), so the breaking point is the capacity formula's.
pub const SEARCH_SLO: &str = "p95<30ms,error-rate<1%";
/// Rates of the sweep, as fractions of the site's capacity.
pub const LOAD_FRACTIONS: [f64; 6] = [0.25, 0.5, 0.75, 1.0, 1.25, 1.5];
/// The search's range, req/s: two decades a user might try, fixed rather than derived
/// from the capacity formula, so the search does not start on the answer (its first
/// point, the geometric middle, is 200).
pub const SEARCH_RANGE: (f64, f64) = (20.0, 2000.0);

/// Runs the main job.
pub fn run() -> Result<u8, Fail> {
    let site = SiteParams {
        workers: WORKERS,
        service_time_ms: SERVICE_MS,
        queue: 16,
        queue_timeout_ms: 500,
        ..SiteParams::default()
    };
    let capacity = dummy_site::capacity_rps(WORKERS, SERVICE_MS, 1.0);
    let scenario = registry::find("api").map_err(|e| usage(anyhow::anyhow!(e)))?;
    // Reads only: every request costs 1, so the site's capacity is the formula's.
    let params = Params::resolve(
        "api",
        &scenario.params,
        &[("write_ratio".into(), "0".into())],
    )
    .map_err(usage)?;
    let points = sweep_points(capacity, &params);
    println!(
        "main job: dummy site with {WORKERS} workers × {SERVICE_MS} ms service time → capacity {capacity:.0} req/s \
         (workers × 1000 / service time); sweeping `api` (reads only) from {:.0} to {:.0} req/s",
        capacity * LOAD_FRACTIONS[0],
        capacity * LOAD_FRACTIONS[LOAD_FRACTIONS.len() - 1]
    );
    let slos = parse_slos(SLO).expect("valid SLO");
    let plan = Plan {
        scenario: scenario.clone(),
        points,
        slos,
        stop_on_error_rate: None,
    };
    let opts = ExecOpts {
        target: TargetChoice::Embedded(site),
        out: "results".into(),
        timeout: Duration::from_secs(10),
        grace: Duration::from_secs(5),
        seed: 1,
        target_pid: None,
        goose_report: false,
        browser: None,
    };
    let done = execute(&plan, &opts)?;
    if let Some(sig) = done.interrupted {
        return Ok(perf_core::engine::signals::exit_code(sig));
    }
    let last_ok = done
        .outcomes
        .iter()
        .filter(|o| o.detail.row.slo_pass)
        .filter_map(|o| o.detail.row.target_rps)
        .fold(None, |a: Option<f64>, r| Some(a.map_or(r, |a| a.max(r))));
    match last_ok {
        Some(r) => println!("highest rate meeting the SLO: {r:.0} req/s (site capacity by formula: {capacity:.0} req/s)"),
        None => println!("no rate met the SLO (site capacity by formula: {capacity:.0} req/s)"),
    }
    println!("results written to {}", done.dir.display());
    match perf_ml::fit::fit_and_save(
        std::slice::from_ref(&done.dir),
        Some("api"),
        std::path::Path::new("models"),
        1,
    ) {
        Ok(report) => print!("{}", report.summary()),
        Err(e) => println!("models not fitted: {e}"),
    }

    println!(
        "\nbreaking-point search: Gaussian process over {:.0} .. {:.0} req/s, SLO {SEARCH_SLO}",
        SEARCH_RANGE.0, SEARCH_RANGE.1
    );
    let search = SearchPlan {
        scenario,
        params,
        slos: parse_slos(SEARCH_SLO).expect("valid SLO"),
        duration: Duration::from_secs(4),
        max_users: None,
        search: SearchParams::new(SEARCH_RANGE.0, SEARCH_RANGE.1)
            .check()
            .expect("valid search"),
    };
    let (report, interrupted, search_dir) = crate::search::execute(&search, &opts)?;
    if let Some(e) = report.estimate {
        println!(
            "found {e:.0} req/s in {} runs; the site's capacity by formula is {capacity:.0} req/s ({:+.1}%)",
            report.runs(),
            100.0 * (e / capacity - 1.0)
        );
    }
    if interrupted.is_some() {
        return Ok(crate::search::exit_code(&report, interrupted));
    }
    browser_check(opts)?;
    println!("\nreport: the sweep, its models and the search");
    let page = write_report(&done.dir, &search_dir)?;
    println!("report written to {}", page.display());
    Ok(crate::search::exit_code(&report, None))
}

/// The sweep: open-model points at [`LOAD_FRACTIONS`] of the capacity, 4 s each.
fn sweep_points(capacity: f64, params: &Params) -> Vec<LoadPoint> {
    LOAD_FRACTIONS
        .iter()
        .map(|f| {
            let rate = (capacity * f).round();
            LoadPoint {
                model: LoadModel::Open {
                    rate,
                    max_users: LoadModel::default_max_users(rate),
                },
                duration: Duration::from_secs(4),
                params: params.clone(),
            }
        })
        .collect()
}

/// The report of the sweep in `dir`, with the models and the search in `search_dir`.
fn write_report(
    dir: &std::path::Path,
    search_dir: &std::path::Path,
) -> Result<std::path::PathBuf, Fail> {
    let plugins = crate::plugins::all(&[]).map_err(|e| usage(anyhow::anyhow!(e)))?;
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
    let scenario = registry::find("checkout").map_err(|e| usage(anyhow::anyhow!(e)))?;
    let run = crate::browser_cmd::execute(&scenario, 2, &opts)?;
    let pages = run.records.iter().filter(|r| r.timing.is_some()).count();
    let failed = run.records.iter().filter(|r| !r.ok).count();
    println!("browser check: {pages} page loads, {failed} failed check(s)");
    Ok(())
}
