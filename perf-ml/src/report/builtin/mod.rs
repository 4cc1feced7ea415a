//! The built-in report's analyses, each a [`Plugin`](super::Plugin), registered by
//! [`register`] in page order: bottlenecks first (the headline), then latency and errors
//! vs load with the models and the breaking point, SLO verdicts, anomalies and
//! timelines, resources, capacity planning and the capacity plan over a traffic series,
//! the tuning,
//! the endpoint insights, drift.

mod anomalies;
mod bottlenecks;
mod breaking_point;
mod capacity_plan;
mod drift;
mod insights;
mod latency;
mod model;
mod planning;
mod resources;
mod slo;
mod timeline;
mod tuning;

pub use anomalies::Anomalies;
pub use bottlenecks::Bottlenecks;
pub use breaking_point::{BreakingPoint, BreakingPointPlugin};
pub use capacity_plan::{CapacityPlanPlugin, PlanSection};
pub use drift::DriftPlugin;
pub use insights::{BreaksFirst, Clusters, ImportancePlugin};
pub use latency::{Latency, Measured};
pub use model::{CurvePoint, FailurePoint, ModelPlugin, ModelView};
pub use planning::{Planning, PlanningPlugin, Usl};
pub use resources::{ResourceLine, Resources};
pub use slo::{SloPlugin, SloRow};
pub use timeline::{PointTimeline, Second, Timeline};
pub use tuning::{TunedConfig, Tuning, TuningPlugin};

use super::{PluginError, Plugins};

/// Registers every built-in plugin into `p`, in page order.
pub fn register(p: &mut Plugins) -> Result<(), PluginError> {
    p.push(Bottlenecks)?;
    p.push(Latency)?;
    p.push(ModelPlugin)?;
    p.push(BreakingPointPlugin)?;
    p.push(SloPlugin)?;
    p.push(Anomalies)?;
    p.push(Timeline)?;
    p.push(Resources)?;
    p.push(PlanningPlugin)?;
    p.push(CapacityPlanPlugin::default())?;
    p.push(TuningPlugin)?;
    p.push(BreaksFirst)?;
    p.push(ImportancePlugin)?;
    p.push(Clusters)?;
    p.push(DriftPlugin)?;
    Ok(())
}
