//! `fit`, `predict` and `usl`: the ML plugin's commands.

use anyhow::anyhow;
use perf_ml::fit::{fit_and_save, predict as predict_at};
use perf_ml::model_file::ModelFile;
use perf_ml::usl::{fit_usl, read_usl_csv};
use perf_ml::MlError;

use crate::cli::{FitArgs, PredictArgs, UslArgs};
use crate::fail::{runtime, usage, Fail};

/// Bad data is the user's input (exit 2); a fit that fails is a runtime failure (exit 1).
pub fn ml_fail(e: MlError) -> Fail {
    match e {
        MlError::NoConvergence { .. } | MlError::Fit { .. } => runtime(e),
        other => usage(other),
    }
}

/// `fit`.
pub fn fit(a: &FitArgs) -> Result<u8, Fail> {
    let report =
        fit_and_save(&a.dirs, a.scenario.as_deref(), &a.models, a.seed).map_err(ml_fail)?;
    print!("{}", report.summary());
    Ok(0)
}

fn ms(us: f64) -> String {
    format!("{:.1} ms", us / 1000.0)
}

/// `predict`.
pub fn predict(a: &PredictArgs) -> Result<u8, Fail> {
    let model = ModelFile::load(&a.model).map_err(ml_fail)?;
    let mut overrides = Vec::new();
    for (k, v) in crate::plan::overrides(&a.params)? {
        let v: f64 = v
            .parse()
            .ok()
            .filter(|x: &f64| x.is_finite())
            .ok_or_else(|| usage(anyhow!("--param {k}: '{v}' is not a number")))?;
        overrides.push((k, v));
    }
    let closed = model.training.load_model == perf_core::ModelKind::Closed;
    let load = match (a.rate, a.users, closed) {
        (Some(r), None, false) => r,
        (None, Some(u), true) => u as f64,
        (Some(_), _, true) => {
            return Err(usage(anyhow!(
                "--rate: {} was fitted on closed-model data (users); predict with --users N",
                a.model.display()
            )))
        }
        _ => {
            return Err(usage(anyhow!(
                "--users: {} was fitted on open-model data (arrival rates); predict with --rate R",
                a.model.display()
            )))
        }
    };
    let p = predict_at(&model, load, &overrides).map_err(ml_fail)?;
    let unit = if closed { "users" } else { "req/s" };
    println!(
        "{} v{} ({}) at {load} {unit}:",
        model.scenario, model.version, model.chosen
    );
    let interval = |i: Option<(f64, f64)>| {
        i.map_or_else(
            || {
                format!(
                    "90% interval not available: fewer than {} training points",
                    perf_ml::cv::conformal_minimum(perf_ml::cv::ALPHA)
                )
            },
            |(lo, hi)| format!("90% interval {} to {}", ms(lo), ms(hi)),
        )
    };
    for (i, name) in ["p50", "p95", "p99"].iter().enumerate() {
        println!(
            "  {name} {:>10}   {}",
            ms(p.latency_us[i]),
            interval(p.latency_interval_us.map(|q| q[i]))
        );
    }
    println!(
        "  failure probability {:.3}%   90% interval {:.3}% to {:.3}%",
        p.failure_probability * 100.0,
        p.failure_interval.0 * 100.0,
        p.failure_interval.1 * 100.0
    );
    for (name, v, i) in &p.endpoints_p95_us {
        println!("  {name:<26} p95 {:>10}   {}", ms(*v), interval(*i));
    }
    if p.above_capacity {
        println!("  note: at or above the predicted capacity of {:.0} {unit}: latency is the measured saturation latency", model.capacity.unwrap_or(0.0));
    }
    if p.extrapolated {
        let (lo, hi) = model.training.load_range;
        println!("  note: outside the trained range {lo} to {hi} {unit}: an extrapolation");
    }
    Ok(0)
}

fn ci(v: Option<(f64, f64)>) -> String {
    match v {
        Some((lo, hi)) => format!("[{lo:.4e}, {hi:.4e}]"),
        None => "not available (too few bootstrap refits converged)".into(),
    }
}

/// `usl`.
pub fn usl(a: &UslArgs) -> Result<u8, Fail> {
    let data = read_usl_csv(&a.file).map_err(ml_fail)?;
    let f = fit_usl(&data, a.seed).map_err(ml_fail)?;
    println!(
        "Universal Scalability Law fit of {} points from {}:",
        f.n,
        a.file.display()
    );
    println!(
        "  sigma (contention)  {:.6}   95% bootstrap interval {}",
        f.sigma,
        ci(f.sigma_ci)
    );
    println!(
        "  kappa (coherency)   {:.6e}   95% bootstrap interval {}",
        f.kappa,
        ci(f.kappa_ci)
    );
    println!(
        "  lambda (X at N=1)   {:.4}   95% bootstrap interval {}",
        f.lambda,
        ci(f.lambda_ci)
    );
    println!(
        "  peak concurrency N* {:.1}  (sqrt((1 - sigma) / kappa))",
        f.n_star
    );
    println!("  maximum throughput  {:.1}", f.x_max);
    println!("  residual error      RMSE {:.2}, R² {:.4}", f.rmse, f.r2);
    println!(
        "  bootstrap           {} of {} residual resamples refitted (residuals centred, rescaled by sqrt(n/(n-3)))",
        f.refits,
        perf_ml::usl::BOOTSTRAP_RESAMPLES
    );
    Ok(0)
}
