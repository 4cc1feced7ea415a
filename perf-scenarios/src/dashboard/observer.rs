//! The session's observer with the dashboard on: the console as without it, and every
//! session, point, note, search step and second published to the dashboard's pages.

use std::sync::mpsc::Sender;

use perf_core::engine::live::LiveSink;
use perf_core::engine::PointOutcome;
use perf_core::probe::SearchView;
use perf_core::session::{Observer, Opened};
use perf_core::{LoadModel, LoadPoint};
use serde_json::json;

use super::hub::Hub;
use super::live::{self, Msg};
use super::{ms, verdict};
use crate::output::Console;

/// The console, and the dashboard.
#[derive(Debug)]
pub struct DashObserver {
    console: Console,
    hub: &'static Hub,
    tx: Sender<Msg>,
    slos: Vec<perf_core::Slo>,
}

impl DashObserver {
    /// An observer publishing to `hub`, its seconds through `tx`.
    pub fn new(hub: &'static Hub, tx: Sender<Msg>) -> Self {
        Self {
            console: Console::default(),
            hub,
            tx,
            slos: Vec::new(),
        }
    }
}

fn rate(p: &LoadPoint) -> Option<f64> {
    match p.model {
        LoadModel::Open { rate, .. } => Some(rate),
        LoadModel::Closed { .. } => None,
    }
}

impl Observer for DashObserver {
    fn browsers_started(&mut self, sessions: usize, median_start_ms: f64) {
        self.console.browsers_started(sessions, median_start_ms);
    }

    fn opened(&mut self, h: &Opened<'_>) {
        self.console.opened(h);
        self.slos = h.slos.to_vec();
        self.hub.publish(
            "session",
            &json!({
                "scenario": h.scenario,
                "host": h.host,
                "in_process": h.in_process,
                "points": h.points,
                "duration_s": h.duration.as_secs_f64(),
                "slos": h.slos.iter().map(|s| &s.rule).collect::<Vec<_>>(),
                "dir": h.dir.display().to_string(),
            }),
        );
    }

    fn start_point(&mut self, index: usize, p: &LoadPoint) {
        self.console.start_point(index, p);
        let _ = self.tx.send(Msg::Point {
            index,
            slos: self.slos.clone(),
            rate: rate(p),
        });
        self.hub.publish(
            "point",
            &json!({
                "index": index,
                "label": p.model.label(),
                "params": p.params.to_string(),
                "target_rps": rate(p),
                "duration_s": p.duration.as_secs_f64(),
            }),
        );
    }

    fn end_point(&mut self, o: &PointOutcome) {
        self.console.end_point(o);
        let r = &o.detail.row;
        self.hub.publish(
            "point_end",
            &json!({
                "index": o.detail.index,
                "label": o.detail.config.model.label(),
                "target_rps": r.target_rps,
                "achieved_rps": r.achieved_rps,
                "requests": r.requests,
                "error_rate": r.error_rate,
                "p50_ms": ms(r.p50_us),
                "p95_ms": ms(r.p95_us),
                "p99_ms": ms(r.p99_us),
                "dropped": r.dropped_iterations,
                "complete": r.complete,
                "slo_pass": r.slo_pass,
                "generator_saturated": r.generator_saturated,
                "slo": o.detail.slo.iter().map(verdict).collect::<Vec<_>>(),
            }),
        );
    }

    fn note(&mut self, msg: &str) {
        self.console.note(msg);
        self.hub.publish("note", &json!({ "msg": msg }));
    }

    fn finish(&mut self, outcomes: &[PointOutcome], interrupted: Option<i32>) {
        self.console.finish(outcomes, interrupted);
        self.hub.publish(
            "finish",
            &json!({ "points": outcomes.len(), "interrupted": interrupted }),
        );
    }

    fn live(&self) -> Option<LiveSink> {
        Some(live::sink(self.tx.clone()))
    }

    fn search(&mut self, view: &SearchView) {
        self.hub
            .publish("search", &serde_json::to_value(view).unwrap_or_default());
    }
}
