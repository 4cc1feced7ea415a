//! `plan`: a capacity plan from a traffic series and a model's capacity at the SLO.

use anyhow::anyhow;
use perf_ml::model_file::ModelFile;
use perf_ml::plan::{per_replica, slo_limits_of, text, PlanParams, Traffic};

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
    let limits = slo_limits_of(&slo).map_err(|e| usage(anyhow!("--slo: {e}")))?;
    per_replica(&model, limits).map_err(|e| usage(anyhow!("--model: {} {e}", a.model.display())))
}
