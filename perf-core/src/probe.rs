//! The seam between a search and the load engine: [`LoadProbe`] runs one load point at
//! an arrival rate and reports what the SLOs saw ([`ProbeOutcome`]). perf-ml's
//! breaking-point search drives it without knowing Goose; the engine implements it with
//! real load points (`EngineProbe` in perf-scenarios), and tests implement it with
//! synthetic targets whose boundary is known.

use crate::slo::{Slo, SloSource, SloVerdict};
use crate::summary::{EndpointSummary, PointDetail, TimelineRow};

/// The SLO verdicts of one endpoint at one load point.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointVerdicts {
    /// `GET /api/items`.
    pub endpoint: String,
    /// Every SLO that judges all requests together, applied to this endpoint alone.
    pub verdicts: Vec<SloVerdict>,
}

/// What one load point at an arrival rate showed.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeOutcome {
    /// The arrival rate asked for, requests per second.
    pub rate: f64,
    /// What the target answered, requests per second.
    pub achieved_rps: f64,
    /// Of those, the successful responses per second: a target past its throughput
    /// ceiling serves about that ceiling whatever is offered ([`served_rps`]).
    pub served_rps: f64,
    /// The SLO verdicts of the point.
    pub slo: Vec<SloVerdict>,
    /// For each verdict in `slo`, the standard error of `ln(observed)` measured within
    /// the point ([`crate::noise`]), when the point's data tell it.
    pub log_sd: Vec<Option<f64>>,
    /// Per endpoint, to tell which endpoint breaks first.
    pub endpoints: Vec<EndpointVerdicts>,
    /// The generator could not produce the load: not evidence about the target.
    pub generator_saturated: bool,
    /// The signal that stopped the run during or after this point, if any.
    pub interrupted: Option<i32>,
    /// The point was cut short before its window ended: not evidence.
    pub partial: bool,
}

impl ProbeOutcome {
    /// Whether every SLO passed.
    pub fn pass(&self) -> bool {
        self.slo.iter().all(|v| v.pass)
    }

    /// From a measured point and its per-second timeline: the verdicts already judged,
    /// their measured noise, plus each all-requests SLO applied to each endpoint.
    pub fn from_point(
        rate: f64,
        d: &PointDetail,
        timeline: &[TimelineRow],
        interrupted: Option<i32>,
    ) -> Self {
        let endpoints = d
            .endpoints
            .iter()
            .map(|e| EndpointVerdicts {
                endpoint: e.name.clone(),
                verdicts: d
                    .slo
                    .iter()
                    .filter(|v| v.slo.endpoint.is_none())
                    .map(|v| v.slo.evaluate(e))
                    .collect(),
            })
            .collect();
        Self {
            rate,
            achieved_rps: d.row.achieved_rps,
            served_rps: served_rps(timeline)
                .unwrap_or(d.row.achieved_rps * (1.0 - d.row.error_rate)),
            slo: d.slo.clone(),
            log_sd: d
                .slo
                .iter()
                .map(|v| crate::noise::log_sd(v, d, timeline))
                .collect(),
            endpoints,
            generator_saturated: d.row.generator_saturated,
            interrupted,
            partial: !d.row.complete,
        }
    }
}

/// Successful responses per second over the point's whole seconds: the per-second
/// timeline of all endpoints without its last row (which also holds the requests that
/// finished in the grace period or never); `None` with fewer than two seconds.
pub fn served_rps(timeline: &[TimelineRow]) -> Option<f64> {
    let all: Vec<&TimelineRow> = timeline
        .iter()
        .filter(|r| r.endpoint == crate::record::ALL)
        .collect();
    let (_, whole) = all.split_last()?;
    (!whole.is_empty())
        .then(|| whole.iter().map(|r| r.successes()).sum::<u64>() as f64 / whole.len() as f64)
}

/// Runs load points for a search, one at a time.
pub trait LoadProbe {
    /// Why a point could not be run at all.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Runs one point at `rate` requests per second and judges the SLOs on it.
    fn probe(&mut self, rate: f64) -> Result<ProbeOutcome, Self::Error>;

    /// The SLOs the probe judges (for messages).
    fn slos(&self) -> &[Slo];

    /// The search's state after each assessment, for whoever watches (the engine's
    /// probe hands it to its session's observer); ignored by default.
    fn show(&mut self, _view: &SearchView) {}
}

/// A breaking-point search as it stands: what a live view draws.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct SearchView {
    /// The range searched, req/s.
    pub range: (f64, f64),
    /// Every measured point, in order.
    pub points: Vec<ViewPoint>,
    /// The model of the SLO margin over load (the GP's mean and its 90% band), when
    /// one is fitted.
    pub curve: Vec<CurvePoint>,
    /// The breaking point so far, req/s.
    pub estimate: Option<f64>,
    /// Its interval so far, req/s.
    pub interval: Option<(f64, f64)>,
    /// What that interval is: `90% posterior`, or `pass/fail bracket`.
    pub interval_kind: String,
    /// The next rate to run, and the rule that chose it.
    pub next: Option<(f64, String)>,
    /// Why the search stopped, once it has.
    pub stopped: Option<String>,
}

/// One measured point of a search.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ViewPoint {
    /// Rate asked for, req/s.
    pub rate: f64,
    /// Its SLO margin (above 0 fails).
    pub margin: f64,
    /// Whether every SLO passed.
    pub pass: bool,
    /// The rule that chose it.
    pub rule: String,
}

/// The margin model at one load.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct CurvePoint {
    /// Load, req/s.
    pub rate: f64,
    /// Posterior mean of the margin.
    pub mean: f64,
    /// The 90% band's lower end.
    pub lo: f64,
    /// Its upper end.
    pub hi: f64,
}

/// One endpoint's summary as an SLO source: percentiles it stores (50, 90, 95, 99),
/// mean, max, error rate and rate; the endpoint argument is ignored.
impl SloSource for EndpointSummary {
    fn percentile_us(&self, _: Option<&str>, q: f64) -> Option<f64> {
        if self.requests == self.failures {
            return None;
        }
        let stored = [
            (50.0, self.p50_us),
            (90.0, self.p90_us),
            (95.0, self.p95_us),
            (99.0, self.p99_us),
        ];
        let v = stored.iter().find(|(p, _)| *p == q)?.1;
        Some(v as f64)
    }
    fn mean_us(&self, _: Option<&str>) -> Option<f64> {
        (self.requests > self.failures).then_some(self.mean_us)
    }
    fn max_us(&self, _: Option<&str>) -> Option<f64> {
        (self.requests > self.failures).then_some(self.max_us as f64)
    }
    fn error_rate_pct(&self, _: Option<&str>) -> Option<f64> {
        (self.requests > 0).then_some(100.0 * self.error_rate)
    }
    fn rps(&self, _: Option<&str>) -> Option<f64> {
        Some(self.rps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_slos;

    fn summary(p95_us: u64, error_rate: f64) -> EndpointSummary {
        EndpointSummary {
            name: "GET /x".into(),
            requests: 1000,
            failures: (1000.0 * error_rate) as u64,
            unfinished: 0,
            after_window: 0,
            error_rate,
            rps: 100.0,
            mean_us: 900.0,
            p50_us: 800,
            p90_us: 1000,
            p95_us,
            p99_us: 3000,
            max_us: 9000,
            fail_p50_us: None,
            fail_p95_us: None,
            fail_max_us: None,
            latency_buckets: Vec::new(),
        }
    }

    #[test]
    fn an_endpoint_summary_judges_the_stored_percentiles() {
        let slos = parse_slos("p95<2ms,error-rate<1%,p99.9<1s").unwrap();
        let s = summary(2500, 0.002);
        let v: Vec<_> = slos.iter().map(|r| r.evaluate(&s)).collect();
        assert!(!v[0].pass && v[0].observed == Some(2500.0));
        assert!(v[1].pass && (v[1].observed.unwrap() - 0.2).abs() < 1e-9);
        // A percentile the summary does not store has no samples, and fails as in Goose.
        assert!(!v[2].pass && v[2].observed.is_none());
        let empty = EndpointSummary {
            requests: 0,
            ..summary(0, 0.0)
        };
        assert!(slos[0].evaluate(&empty).observed.is_none());
    }

    #[test]
    fn served_is_successes_per_whole_second_of_all_endpoints() {
        let row = |second, endpoint: &str, requests, failures| TimelineRow {
            second,
            endpoint: endpoint.into(),
            requests,
            failures,
            p50_us: 1,
            p95_us: 1,
            p99_us: 1,
            max_us: 1,
        };
        let t = [
            row(0, "GET /x", 50, 0),
            row(0, crate::record::ALL, 100, 10),
            row(1, crate::record::ALL, 120, 0),
            // The last row also holds the grace period's and the unfinished requests.
            row(2, crate::record::ALL, 900, 800),
        ];
        assert_eq!(served_rps(&t), Some(105.0));
        assert_eq!(served_rps(&t[..2]), None, "one second is not a rate");
        assert_eq!(served_rps(&[]), None);
    }
}
