//! `plan`: a capacity plan from a traffic series and a model's capacity at the SLO.

use anyhow::anyhow;
use perf_ml::analyze::capacity::{capacity_at_slo, slo_limits};
use perf_ml::model_file::ModelFile;
use perf_ml::plan::{text, PlanParams, Traffic};

use crate::cli::PlanArgs;
use crate::fail::{runtime, usage, Fail};

/// `plan`.
pub fn run(a: &PlanArgs) -> Result<u8, Fail> {
    let mut p = PlanParams::default();
    for (key, value) in [
        ("horizon", &a.horizon),
        ("confidence", &a.confidence),
        ("replica_cost", &a.replica_cost),
        ("min_replicas", &a.min_replicas),
        ("scale_lead", &a.scale_lead),
        ("cooldown", &a.cooldown),
        ("replicas", &a.replicas),
        ("season", &a.season),
        ("scale", &a.scale),
        ("alert_days", &a.alert_days),
        ("method", &a.method),
    ] {
        if let Some(v) = value {
            p.set(key, v)
                .map_err(|e| usage(anyhow!("--{}: {e}", key.replace('_', "-"))))?;
        }
    }
    let planner = p.check().map_err(usage)?;
    let (capacity, interval) = capacity(a)?;
    let traffic = Traffic::read(&a.traffic).map_err(usage)?;
    let plan = planner
        .plan(&traffic, capacity, interval)
        .map_err(|e| match e {
            perf_ml::plan::PlanError::Forecast { .. } => runtime(e),
            e => usage(e),
        })?;
    if a.json {
        let json = serde_json::to_string_pretty(&plan).map_err(runtime)?;
        println!("{json}");
    } else {
        print!("{}", text::render(&plan));
    }
    Ok(0)
}

/// One replica's capacity at the SLO from the model, with its interval.
fn capacity(a: &PlanArgs) -> Result<(f64, Option<(f64, f64)>), Fail> {
    let model = ModelFile::load(&a.model).map_err(|e| usage(anyhow!("--model: {e}")))?;
    if model.training.load_model != perf_core::ModelKind::Open {
        return Err(usage(anyhow!(
            "--model: {} was fitted on closed-model data (users); a plan needs an arrival-rate model (a sweep of --rate)",
            a.model.display()
        )));
    }
    let slo = match &a.slo {
        Some(s) => s.clone(),
        None => crate::registry::find(&model.scenario)
            .map(|s| s.default_slo.to_string())
            .map_err(|_| {
                usage(anyhow!(
                    "--slo: the model's scenario '{}' is not registered here; give the SLO",
                    model.scenario
                ))
            })?,
    };
    let slos = perf_core::parse_slos(&slo).map_err(|e| usage(anyhow!("--slo: {e}")))?;
    let (p95, err) = slo_limits(&slos).ok_or_else(|| {
        usage(anyhow!(
            "--slo: '{slo}' has no p95 or error-rate rule on all requests to plan against"
        ))
    })?;
    let c = capacity_at_slo(&model, p95, err).ok_or_else(|| {
        usage(anyhow!(
            "--model: {} predicts '{slo}' is broken even at its lowest load: no capacity to plan with",
            a.model.display()
        ))
    })?;
    Ok((c.load, c.interval))
}
