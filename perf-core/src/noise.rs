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
//!   that a point without failures still has a finite error, or, when larger, the
//!   standard error of the per-second failure shares as above, over `p`: failures that
//!   come in bursts (a queue whose waiting requests time out together) vary from second
//!   to second several times more than a binomial count.
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
            let binomial = binomial_log_sd(s.failures, s.requests)?;
            Some(binomial.max(share_log_sd(timeline, endpoint, s.failures, s.requests)))
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
    let p = nudged_share(failures, requests);
    Some(((1.0 - p) / (requests as f64 * p)).sqrt())
}

/// The failed share `(f + ½) / (n + 1)`: off zero, so that its log has an error.
fn nudged_share(failures: u64, requests: u64) -> f64 {
    (failures as f64 + 0.5) / (requests as f64 + 1.0)
}

/// The standard error of `ln p̂` from the spread of the per-second failure shares (the
/// whole seconds: the last row also holds the grace period), as the latency rules'
/// is: failures that come in bursts (a queue timing out together) vary from second to
/// second far more than a binomial count; 0 without enough seconds.
fn share_log_sd(timeline: &[TimelineRow], endpoint: &str, failures: u64, requests: u64) -> f64 {
    let rows: Vec<&TimelineRow> = timeline.iter().filter(|r| r.endpoint == endpoint).collect();
    let Some((_, whole)) = rows.split_last() else {
        return 0.0;
    };
    let shares: Vec<f64> = whole
        .iter()
        .filter(|r| r.requests > 0)
        .map(|r| r.failures as f64 / r.requests as f64)
        .collect();
    series_se(&shares).map_or(0.0, |se| se / nudged_share(failures, requests))
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
    fn bursts_of_failures_widen_the_binomial_error() {
        let row = |second, requests, failures| TimelineRow {
            second,
            endpoint: "ALL".into(),
            requests,
            failures,
            p50_us: 0,
            p95_us: 0,
            p99_us: 0,
            max_us: 0,
        };
        // 16 seconds of 345 requests, 69 failures: even, then in bursts (a 16-s point
        // of the timeout family counted 0..23 a second), and a last row of grace.
        let even: Vec<TimelineRow> = (0..16)
            .map(|s| row(s, 345, 4 + u64::from(s % 3 == 0)))
            .collect();
        let bursts: Vec<TimelineRow> = [0, 0, 23, 5, 0, 4, 1, 1, 2, 8, 0, 0, 12, 9, 4, 0]
            .iter()
            .enumerate()
            .map(|(s, f)| row(s as u64, 345, *f))
            .collect();
        let total = |t: &[TimelineRow]| t.iter().map(|r| r.failures).sum::<u64>();
        let (fe, fb) = (total(&even[..15]), total(&bursts[..15]));
        let binomial = binomial_log_sd(fb, 15 * 345).unwrap();
        assert!(share_log_sd(&even, "ALL", fe, 15 * 345) < binomial);
        let b = share_log_sd(&bursts, "ALL", fb, 15 * 345);
        assert!(b > 1.5 * binomial, "{b} {binomial}");
        // Too few seconds, or another endpoint: no spread to read.
        assert_eq!(share_log_sd(&bursts[..3], "ALL", 23, 2 * 345), 0.0);
        assert_eq!(share_log_sd(&bursts, "GET /", fb, 15 * 345), 0.0);
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
