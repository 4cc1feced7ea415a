//! What a load point measured, as the results files hold it: the `runs.csv` row
//! ([`PointRow`]), the per-point JSON ([`PointDetail`]), timeline and resource rows. The
//! live histograms they are cut from are [`crate::measured::Measured`].

use serde::{Deserialize, Serialize};

use crate::load::LoadPoint;
use crate::params::Params;
use crate::slo::{Slo, SloVerdict};

/// Latency and failures of one endpoint (or [`crate::record::ALL`]) over a load point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointSummary {
    /// `GET /api/items`, or `ALL`.
    pub name: String,
    /// Requests of the point: every request sent by a transaction that started in the
    /// window, however it ended.
    pub requests: u64,
    /// Of which failed (unfinished ones included).
    pub failures: u64,
    /// Of the failures, requests still in flight when the grace period ended.
    #[serde(default)]
    pub unfinished: u64,
    /// Requests that finished after the window, in the grace period (counted in
    /// `requests`, not in `rps`).
    #[serde(default)]
    pub after_window: u64,
    /// `failures / requests`, a fraction.
    pub error_rate: f64,
    /// Requests finished inside the window, per second.
    pub rps: f64,
    /// Mean latency of successful requests, µs (0 when none succeeded).
    pub mean_us: f64,
    /// Median latency of successful requests, µs.
    pub p50_us: u64,
    /// 90th percentile of successful requests, µs.
    pub p90_us: u64,
    /// 95th percentile of successful requests, µs.
    pub p95_us: u64,
    /// 99th percentile of successful requests, µs.
    pub p99_us: u64,
    /// Slowest successful request, µs.
    pub max_us: u64,
    /// Median duration of failed requests, µs (`None` when none failed).
    #[serde(default)]
    pub fail_p50_us: Option<u64>,
    /// 95th percentile duration of failed requests, µs.
    #[serde(default)]
    pub fail_p95_us: Option<u64>,
    /// Slowest failed request, µs.
    #[serde(default)]
    pub fail_max_us: Option<u64>,
    /// Latencies of successful requests as a sparse histogram: the non-empty buckets,
    /// each 9% wider than the one before ([`crate::record::BUCKET_GROWTH`]). Kept for
    /// the whole point only (not per second); empty in results recorded before it was.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub latency_buckets: Vec<Bucket>,
}

/// One bucket of a latency histogram: requests of latency up to `le_us`, above the
/// bucket before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bucket {
    /// The bucket's upper bound, µs (inclusive, as Prometheus' `le`).
    pub le_us: u64,
    /// Requests in it.
    pub count: u64,
}

impl EndpointSummary {
    /// The share of successful requests that took at most `us`, from
    /// [`EndpointSummary::latency_buckets`], linear inside the bucket holding `us`;
    /// `None` without buckets (no successes, or results recorded before they were).
    pub fn share_within(&self, us: f64) -> Option<f64> {
        let total: u64 = self.latency_buckets.iter().map(|b| b.count).sum();
        if total == 0 {
            return None;
        }
        let mut below = 0.0;
        let mut lower = 0.0;
        for b in &self.latency_buckets {
            let le = b.le_us as f64;
            if us >= le {
                below += b.count as f64;
            } else {
                if us > lower {
                    below += b.count as f64 * (us - lower) / (le - lower);
                }
                break;
            }
            lower = le;
        }
        Some(below / total as f64)
    }
}

/// One second of one endpoint, for anomaly detection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineRow {
    /// Seconds since the window opened.
    pub second: u64,
    /// Endpoint, or `ALL`.
    pub endpoint: String,
    /// Requests finished in that second (the last second also holds the ones that
    /// finished in the grace period or never).
    pub requests: u64,
    /// Of which failed.
    pub failures: u64,
    /// Median latency of that second's successful requests, µs (0 when none).
    pub p50_us: u64,
    /// 95th percentile of the successful requests, µs.
    pub p95_us: u64,
    /// 99th percentile of the successful requests, µs.
    pub p99_us: u64,
    /// Slowest successful request, µs.
    pub max_us: u64,
}

impl TimelineRow {
    /// Successful requests in that second: the latency percentiles' sample.
    pub fn successes(&self) -> u64 {
        self.requests.saturating_sub(self.failures)
    }

    /// The row of second `second` from that second's summary.
    pub fn from_summary(second: u64, s: &EndpointSummary) -> Self {
        Self {
            second,
            endpoint: s.name.clone(),
            requests: s.requests,
            failures: s.failures,
            p50_us: s.p50_us,
            p95_us: s.p95_us,
            p99_us: s.p99_us,
            max_us: s.max_us,
        }
    }
}

/// One resource sample, taken each second.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceSample {
    /// Seconds since the point started.
    pub t_s: f64,
    /// CPU of the load generator, percent of one core (200 = two cores busy).
    pub gen_cpu_pct: f64,
    /// Resident memory of the generator process, MiB.
    pub gen_rss_mb: f64,
    /// CPU of the target, percent of one core; empty when not local.
    pub sut_cpu_pct: Option<f64>,
    /// Resident memory of the target, MiB (the whole process when in-process).
    pub sut_rss_mb: Option<f64>,
    /// Whole-machine CPU, percent of all cores.
    pub machine_cpu_pct: f64,
    /// How late the generator's runtime polled a task that was ready, ms: the mean
    /// round trip of a yield on it that second ([`crate::engine`]'s lag meter). Its own
    /// delay, which every request's measured latency also carries.
    #[serde(default)]
    pub gen_lag_ms: Option<f64>,
    /// In a merged test, the segment whose generator took the sample (each segment's
    /// generator is a process, or a machine, of its own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<u32>,
}

/// The `runs.csv` row of one load point (contract columns, then parameters). The
/// default is an empty row to fill ([`PointRow::with_aggregate`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PointRow {
    /// Results directory's run id.
    pub run_id: String,
    /// Scenario name.
    pub scenario: String,
    /// `open` or `closed`.
    pub model: crate::load::ModelKind,
    /// Users (the cap for the open model).
    pub users: u64,
    /// Target arrival rate, requests/s (open model; empty for closed).
    pub target_rps: Option<f64>,
    /// Measured window, seconds.
    pub duration_s: f64,
    /// Requests that finished inside the window, per second (answered or failed).
    pub achieved_rps: f64,
    /// Requests of the point: sent by a transaction that started in the window, however
    /// they ended.
    pub requests: u64,
    /// Of which failed (unfinished ones included).
    pub failures: u64,
    /// Of the failures, requests still in flight at the end of the grace period.
    #[serde(default)]
    pub unfinished: u64,
    /// `failures / requests`, a fraction.
    pub error_rate: f64,
    /// Median latency, µs.
    pub p50_us: u64,
    /// 90th percentile, µs.
    pub p90_us: u64,
    /// 95th percentile, µs.
    pub p95_us: u64,
    /// 99th percentile, µs.
    pub p99_us: u64,
    /// Slowest successful request, µs.
    pub max_us: u64,
    /// Mean latency of successful requests, µs.
    pub mean_us: f64,
    /// Median duration of failed requests, µs (`None` when none failed).
    #[serde(default)]
    pub fail_p50_us: Option<u64>,
    /// 95th percentile duration of failed requests, µs.
    #[serde(default)]
    pub fail_p95_us: Option<u64>,
    /// Slowest failed request, µs.
    #[serde(default)]
    pub fail_max_us: Option<u64>,
    /// Open-model starts that found no user in time.
    pub dropped_iterations: u64,
    /// Target CPU, percent of one core (mean); empty when not measured.
    pub sut_cpu_pct: Option<f64>,
    /// Target resident memory, MiB (peak); empty when not measured.
    pub sut_rss_mb: Option<f64>,
    /// Generator CPU, percent of one core (mean).
    pub gen_cpu_pct: f64,
    /// The generator, not the target, was the bottleneck.
    pub generator_saturated: bool,
    /// Every SLO passed (true when there are none).
    pub slo_pass: bool,
    /// The point ran its whole duration (false when interrupted).
    pub complete: bool,
    /// Scenario parameter values, one column each.
    pub params: Params,
}

impl PointRow {
    /// The row with its request, failure and latency columns from the point's aggregate
    /// over all endpoints (`ALL`).
    pub fn with_aggregate(self, all: &EndpointSummary) -> Self {
        Self {
            achieved_rps: all.rps,
            requests: all.requests,
            failures: all.failures,
            unfinished: all.unfinished,
            error_rate: all.error_rate,
            p50_us: all.p50_us,
            p90_us: all.p90_us,
            p95_us: all.p95_us,
            p99_us: all.p99_us,
            max_us: all.max_us,
            mean_us: all.mean_us,
            fail_p50_us: all.fail_p50_us,
            fail_p95_us: all.fail_p95_us,
            fail_max_us: all.fail_max_us,
            ..self
        }
    }
}

/// Everything about one point: `points/<n>.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointDetail {
    /// Index of the point in the run, from 0.
    pub index: usize,
    /// The `runs.csv` row.
    pub row: PointRow,
    /// What was asked for.
    pub config: LoadPoint,
    /// Target URL.
    pub host: String,
    /// Per endpoint.
    pub endpoints: Vec<EndpointSummary>,
    /// The aggregate.
    pub all: EndpointSummary,
    /// SLO verdicts.
    pub slo: Vec<SloVerdict>,
    /// Why the point is marked generator-saturated (empty when it is not).
    pub saturation: Vec<String>,
    /// Open-model starts scheduled in the window (up to the signal, when interrupted):
    /// each one sent its requests or is in `dropped_iterations`.
    pub scheduled_iterations: u64,
    /// Why the point cannot pass whatever its SLOs say (no request finished), if so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_passed: Option<String>,
    /// The grace period in-flight requests had after the window, seconds.
    #[serde(default)]
    pub grace_s: f64,
    /// The generator runtime's mean lag over the window, ms
    /// ([`ResourceSample::gen_lag_ms`]); a material share of the latency marks the point
    /// generator-saturated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gen_lag_ms: Option<f64>,
    /// Resource samples of this point.
    pub resources: Vec<ResourceSample>,
    /// Where and with what it ran.
    pub environment: Environment,
    /// When the point started (RFC 3339).
    pub started_at: String,
    /// How the point ended: `completed`, `interrupted by SIGINT`, ...
    pub ended: String,
    /// The execution segment this process ran (absent for the whole test): its row is
    /// its share, `config` the whole test's point.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<crate::segment::Segment>,
    /// When the point's first counted request was sent (RFC 3339, µs): segments started
    /// together send theirs within milliseconds of each other.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_request_at: Option<String>,
    /// Of a merged test (`perf-scenarios merge`): how many segments it was merged from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_segments: Option<u32>,
}

/// The environment a point ran in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Environment {
    /// perf-ml version.
    pub tool_version: String,
    /// Goose version.
    pub goose_version: String,
    /// Git commit of the working tree, when known.
    pub git_sha: Option<String>,
    /// Cores available to the process.
    pub cores: usize,
    /// Operating system and kernel.
    pub os: String,
    /// The processor's model name (`/proc/cpuinfo`), empty when unknown (and in
    /// results written before it was recorded).
    #[serde(default)]
    pub cpu_model: String,
    /// Whether the target ran inside the generator's process.
    pub target_in_process: bool,
}

impl PointDetail {
    /// Other SLOs judged on the summaries this point stored: the verdicts it would have
    /// had under them (a warm-started search reads earlier points this way). A rule on
    /// an endpoint the point did not see, or on a percentile it does not store (it keeps
    /// 50, 90, 95 and 99), has no sample and fails, as it would have in the run.
    pub fn judge(&self, slos: &[Slo]) -> Vec<SloVerdict> {
        slos.iter()
            .map(|s| {
                let src = match s.endpoint.as_deref() {
                    None => Some(&self.all),
                    Some(name) => self.endpoints.iter().find(|e| {
                        e.name == name || e.name.split_once(' ').is_some_and(|(_, p)| p == name)
                    }),
                };
                match (src, &self.not_passed) {
                    (Some(src), None) => s.evaluate(src),
                    _ => SloVerdict {
                        slo: s.clone(),
                        observed: None,
                        pass: false,
                    },
                }
            })
            .collect()
    }
}
