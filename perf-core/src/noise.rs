//! How precisely one load point measured each SLO's value: the standard error of
//! `ln(observed)`, from the point's own data. A search weighs its points by it instead of
//! assuming one noise level for every target.
//!
//! - Latency rules: the per-second values of the rule's percentile (the timeline's p50,
//!   p95 or p99, whichever is nearest; p50 for the mean, p99 for the maximum) vary from
//!   second to second. Their log standard deviation over √n seconds is the standard
//!   error of their mean, inflated for the seconds' correlation by the lag-1
//!   autocorrelation `r` (the effective sample size `n (1 − r) / (1 + r)`, Bartlett).
//! - Error-rate rules: binomial, `√((1 − p) / (n p))` with `p = (f + ½) / (n + 1)` so
//!   that a point without failures still has a finite error.
//! - Throughput rules and rules without enough data: `None`.
//!
//! Seconds are the only replicates one point has; the run-to-run noise of a whole point
//! can be larger (machine drift), which is why the search keeps a floor under it.

use crate::slo::{SloMetric, SloVerdict};
use crate::summary::{PointDetail, TimelineRow};

/// Fewest seconds with successes for a latency rule's standard error.
const MIN_SECONDS: usize = 3;
/// Fewest successes in a second for its percentile to count.
const MIN_SUCCESSES: u64 = 5;

/// The standard error of `ln(observed)` of verdict `v` at the point (see the module docs).
pub fn log_sd(v: &SloVerdict, detail: &PointDetail, timeline: &[TimelineRow]) -> Option<f64> {
    v.observed?;
    let endpoint = v.slo.endpoint.as_deref().unwrap_or("ALL");
    match v.slo.metric {
        SloMetric::ErrorRate => {
            let s = if endpoint == "ALL" {
                Some(&detail.all)
            } else {
                detail.endpoints.iter().find(|e| e.name == endpoint)
            }?;
            binomial_log_sd(s.failures, s.requests)
        }
        SloMetric::Rps => None,
        m => {
            let pick = |r: &TimelineRow| match m {
                SloMetric::Percentile(q) if q < 72.5 => r.p50_us,
                SloMetric::Percentile(q) if q < 97.0 => r.p95_us,
                SloMetric::Mean => r.p50_us,
                _ => r.p99_us,
            };
            let values: Vec<f64> = timeline
                .iter()
                .filter(|r| r.endpoint == endpoint && r.successes() >= MIN_SUCCESSES)
                .map(|r| pick(r) as f64)
                .filter(|x| *x > 0.0)
                .map(f64::ln)
                .collect();
            series_se(&values)
        }
    }
}

/// `√((1 − p) / (n p))`, the delta-method standard error of `ln p̂`, with `p` nudged
/// off zero.
pub fn binomial_log_sd(failures: u64, requests: u64) -> Option<f64> {
    if requests == 0 {
        return None;
    }
    let n = requests as f64;
    let p = (failures as f64 + 0.5) / (n + 1.0);
    Some(((1.0 - p) / (n * p)).sqrt())
}

/// Standard error of the mean of a correlated series (see the module docs).
fn series_se(x: &[f64]) -> Option<f64> {
    let n = x.len();
    if n < MIN_SECONDS {
        return None;
    }
    let mean = x.iter().sum::<f64>() / n as f64;
    let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let lag = x
        .windows(2)
        .map(|w| (w[0] - mean) * (w[1] - mean))
        .sum::<f64>()
        / n as f64;
    let r = if var > 0.0 {
        (lag / (var * (n - 1) as f64 / n as f64)).clamp(0.0, 0.9)
    } else {
        0.0
    };
    Some((var / n as f64 * (1.0 + r) / (1.0 - r)).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binomial_errors_shrink_with_failures_and_requests() {
        assert_eq!(binomial_log_sd(0, 0), None);
        let few = binomial_log_sd(2, 1000).unwrap();
        let many = binomial_log_sd(200, 1000).unwrap();
        assert!(few > 0.5 && many < 0.07, "{few} {many}");
        assert!(binomial_log_sd(0, 1000).unwrap().is_finite());
    }

    #[test]
    fn a_correlated_series_has_a_wider_standard_error() {
        assert_eq!(series_se(&[1.0, 2.0]), None);
        let alternating = [0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0];
        let trending = [0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0];
        let (a, t) = (
            series_se(&alternating).unwrap(),
            series_se(&trending).unwrap(),
        );
        assert!(t > 1.5 * a, "{a} {t}");
        assert_eq!(series_se(&[3.0; 5]), Some(0.0));
    }
}
