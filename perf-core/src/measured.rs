//! [`Measured`]: a point's live observations, the recorder's merged histograms per
//! endpoint over the point's window, as the SLOs judge them ([`SloSource`]) and as the
//! point's summaries ([`EndpointSummary`]) are cut from them.

use std::collections::BTreeMap;

use crate::record::{aggregate, is_browser, Acc, ALL};
use crate::slo::SloSource;
use crate::summary::EndpointSummary;

/// Live observations of a point: merged histograms per endpoint.
#[derive(Debug)]
pub struct Measured {
    /// Per endpoint.
    pub endpoints: BTreeMap<String, Acc>,
    /// All endpoints together.
    pub all: Acc,
    /// Window, seconds.
    pub secs: f64,
}

impl Measured {
    /// From the recorder's merged histograms over a window of `secs`.
    pub fn new(endpoints: BTreeMap<String, Acc>, secs: f64) -> Self {
        // Page timings from browser users are endpoints of their own, not requests of
        // the protocol load: the aggregate (and `runs.csv`) counts protocol requests.
        let all = aggregate(
            endpoints
                .iter()
                .filter(|(name, _)| !is_browser(name))
                .map(|(_, a)| a),
        );
        Self {
            endpoints,
            all,
            secs,
        }
    }

    fn acc(&self, ep: Option<&str>) -> Option<&Acc> {
        match ep {
            None => Some(&self.all),
            Some(name) => self.endpoints.get(name).or_else(|| {
                // `for /api/items` matches `GET /api/items` when only one method has it.
                let mut hits = self
                    .endpoints
                    .iter()
                    .filter(|(k, _)| k.split_once(' ').is_some_and(|(_, p)| p == name));
                match (hits.next(), hits.next()) {
                    (Some((_, a)), None) => Some(a),
                    _ => None,
                }
            }),
        }
        .filter(|a| a.count() > 0)
    }

    /// Per-endpoint summaries, then the aggregate.
    pub fn summaries(&self) -> (Vec<EndpointSummary>, EndpointSummary) {
        let eps = self
            .endpoints
            .iter()
            .map(|(n, a)| a.point_summary(n, self.secs))
            .collect();
        (eps, self.all.point_summary(ALL, self.secs))
    }
}

impl SloSource for Measured {
    // Latency rules judge successful requests; with none, there is no sample (and the
    // rule fails, as in Goose).
    fn percentile_us(&self, ep: Option<&str>, q: f64) -> Option<f64> {
        self.acc(ep)
            .filter(|a| a.successes() > 0)
            .map(|a| a.hist.value_at_quantile(q / 100.0) as f64)
    }
    fn mean_us(&self, ep: Option<&str>) -> Option<f64> {
        self.acc(ep)
            .filter(|a| a.successes() > 0)
            .map(|a| a.hist.mean())
    }
    fn max_us(&self, ep: Option<&str>) -> Option<f64> {
        self.acc(ep)
            .filter(|a| a.successes() > 0)
            .map(|a| a.max_us as f64)
    }
    fn error_rate_pct(&self, ep: Option<&str>) -> Option<f64> {
        self.acc(ep)
            .map(|a| 100.0 * a.failures as f64 / a.count() as f64)
    }
    fn rps(&self, ep: Option<&str>) -> Option<f64> {
        Some(
            self.acc(ep)
                .map_or(0.0, |a| a.finished_in_window() as f64 / self.secs),
        )
    }
}
