//! Site parameters ([`SiteParams`], parsed by clap or built in code) and their
//! validated form ([`SiteConfig`]).

use std::time::Duration;

use clap::ValueEnum;
use serde::{Deserialize, Serialize};

use crate::SiteError;

/// How a dynamic request's service time is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ServiceDist {
    /// Every request of cost 1 takes exactly the service time.
    Fixed,
    /// Exponentially distributed with the service time as its mean (an M/M/c queue).
    Exp,
}

/// What a worker does while it holds a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Work {
    /// Sleep for the service time (an I/O-bound backend: capacity independent of CPU).
    Sleep,
    /// Burn CPU for the service time on a blocking thread (a CPU-bound backend).
    Cpu,
}

/// Every option of the dummy site. Parsed by clap in the binary (and, prefixed with
/// `site-`, by `perf-scenarios`), or built in code with [`SiteParams::default`].
#[derive(Debug, Clone, PartialEq, clap::Args, Serialize, Deserialize)]
#[serde(default)]
pub struct SiteParams {
    /// Worker permits shared by the dynamic endpoints. Capacity of GET /api/items is
    /// workers × 1000 / service-time-ms requests per second.
    #[arg(
        long,
        default_value_t = 8,
        value_name = "N",
        help_heading = "Capacity model"
    )]
    pub workers: usize,
    /// Service time of a cost-1 request in milliseconds (mean when --service-dist exp).
    #[arg(long, default_value_t = 5.0, value_name = "MS", value_parser = non_negative, help_heading = "Capacity model")]
    pub service_time_ms: f64,
    /// Distribution of the service time.
    #[arg(long, value_enum, default_value_t = ServiceDist::Fixed, help_heading = "Capacity model")]
    pub service_dist: ServiceDist,
    /// Whether the service time sleeps or burns CPU.
    #[arg(long, value_enum, default_value_t = Work::Sleep, help_heading = "Capacity model")]
    pub work: Work,
    /// Requests that may wait for a worker; one more is answered 503 at once.
    #[arg(
        long,
        default_value_t = 64,
        value_name = "Q",
        help_heading = "Capacity model"
    )]
    pub queue: usize,
    /// A request that waits longer than this for a worker is answered 503.
    #[arg(long, default_value_t = 1000, value_name = "MS", value_parser = clap::value_parser!(u64).range(1..), help_heading = "Capacity model")]
    pub queue_timeout_ms: u64,

    /// Fraction of dynamic requests answered 500 at random: 0.02 or 2%.
    #[arg(long, default_value_t = 0.0, value_name = "P", value_parser = fraction, help_heading = "Faults (also settable at run time: POST /admin/faults)")]
    pub error_rate: f64,
    /// Latency added to every dynamic response, outside the worker pool.
    #[arg(long, default_value_t = 0.0, value_name = "MS", value_parser = non_negative, help_heading = "Faults (also settable at run time: POST /admin/faults)")]
    pub extra_latency_ms: f64,
    /// Uniform jitter of ± this many ms on top of --extra-latency-ms (never below zero).
    #[arg(long, default_value_t = 0.0, value_name = "MS", value_parser = non_negative, help_heading = "Faults (also settable at run time: POST /admin/faults)")]
    pub jitter_ms: f64,
    /// Start a stall this many seconds after the site starts: every dynamic request hangs
    /// until the stall ends.
    #[arg(long, value_name = "S", value_parser = non_negative, help_heading = "Faults (also settable at run time: POST /admin/faults)")]
    pub stall_at_s: Option<f64>,
    /// Length of the stall in seconds.
    #[arg(long, default_value_t = 0.0, value_name = "S", value_parser = non_negative, help_heading = "Faults (also settable at run time: POST /admin/faults)")]
    pub stall_for_s: f64,
    /// Slow degradation: the service time grows linearly by this many percent of its base
    /// value per minute since the site started (or since the fault was set).
    #[arg(long, default_value_t = 0.0, value_name = "PCT", value_parser = non_negative, help_heading = "Faults (also settable at run time: POST /admin/faults)")]
    pub degradation_pct_per_min: f64,

    /// Seed of the product catalogue and of every random draw of the site.
    #[arg(long, default_value_t = 42, help_heading = "Content")]
    pub seed: u64,
    /// Number of products in the catalogue.
    #[arg(long, default_value_t = 1000, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1_000_000), help_heading = "Content")]
    pub items: u32,

    /// A client must send its whole request head within this time, or it is cut off.
    #[arg(long, default_value_t = 5000, value_name = "MS", value_parser = clap::value_parser!(u64).range(1..), help_heading = "Limits")]
    pub header_read_timeout_ms: u64,
    /// Largest request body accepted; a larger one is answered 413.
    #[arg(long, default_value_t = 1 << 20, value_name = "BYTES", help_heading = "Limits")]
    pub max_body_bytes: usize,
    /// Most request headers accepted; more are answered 431.
    #[arg(long, default_value_t = 100, value_name = "N", value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=10_000), help_heading = "Limits")]
    pub max_headers: usize,
    /// Largest request head (start line and headers) in bytes; larger is answered 431.
    #[arg(long, default_value_t = 16 * 1024, value_name = "BYTES", value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1024..=1 << 20), help_heading = "Limits")]
    pub max_header_bytes: usize,
    /// Connections served at once; further ones wait in the kernel's backlog.
    #[arg(
        long,
        default_value_t = 10_000,
        value_name = "N",
        help_heading = "Limits"
    )]
    pub max_connections: usize,
    /// On shutdown, in-flight requests get this long to finish.
    #[arg(
        long,
        default_value_t = 10_000,
        value_name = "MS",
        help_heading = "Limits"
    )]
    pub shutdown_timeout_ms: u64,
    /// Threads of the site's runtime (0 = one per core available to the process).
    #[arg(long, default_value_t = 0, value_name = "N", help_heading = "Limits")]
    pub threads: usize,
}

impl Default for SiteParams {
    fn default() -> Self {
        Self {
            workers: 8,
            service_time_ms: 5.0,
            service_dist: ServiceDist::Fixed,
            work: Work::Sleep,
            queue: 64,
            queue_timeout_ms: 1000,
            error_rate: 0.0,
            extra_latency_ms: 0.0,
            jitter_ms: 0.0,
            stall_at_s: None,
            stall_for_s: 0.0,
            degradation_pct_per_min: 0.0,
            seed: 42,
            items: 1000,
            header_read_timeout_ms: 5000,
            max_body_bytes: 1 << 20,
            max_headers: 100,
            max_header_bytes: 16 * 1024,
            max_connections: 10_000,
            shutdown_timeout_ms: 10_000,
            threads: 0,
        }
    }
}

/// Validated parameters: only a [`SiteConfig`] can start a site.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteConfig {
    pub(crate) p: SiteParams,
}

fn bad(option: &str, value: impl ToString, reason: &'static str) -> SiteError {
    SiteError::InvalidParam {
        option: format!("--{option}"),
        value: value.to_string(),
        reason,
    }
}

fn check_ms(option: &str, v: f64) -> Result<(), SiteError> {
    if !v.is_finite() || v < 0.0 {
        return Err(bad(option, v, "must be a finite number of at least 0"));
    }
    Ok(())
}

/// A fault option within its bound (the same as the admin route's).
fn check_fault(option: &str, v: f64) -> Result<(), SiteError> {
    crate::faults::check_bound(&option.replace('-', "_"), v).map_err(|why| bad(option, v, why))
}

/// Most milliseconds a timeout option may be: one day.
const MAX_TIMEOUT_MS: u64 = 86_400_000;

fn check_timeout(option: &str, v: u64) -> Result<(), SiteError> {
    if v == 0 || v > MAX_TIMEOUT_MS {
        return Err(bad(
            option,
            v,
            "must be from 1 to 86400000 (one day, in ms)",
        ));
    }
    Ok(())
}

impl SiteParams {
    /// These settings with one option set by its long name (`workers`, `queue-timeout-ms`)
    /// to `value`, parsed and checked by the same definitions as the command line; the
    /// whole set is then [`checked`](Self::check).
    ///
    /// ```
    /// let p = dummy_site::SiteParams::default().set("workers", "12").unwrap();
    /// assert_eq!(p.workers, 12);
    /// assert!(dummy_site::SiteParams::default().set("wrokers", "12").is_err());
    /// ```
    pub fn set(&self, option: &str, value: &str) -> Result<Self, SiteError> {
        use clap::{Args, FromArgMatches};
        let cmd = Self::augment_args(clap::Command::new("site").no_binary_name(true));
        let one_line = |e: clap::Error| SiteError::Option {
            option: option.to_string(),
            reason: e
                .to_string()
                .lines()
                .next()
                .unwrap_or_default()
                .trim_start_matches("error: ")
                .to_string(),
        };
        let m = cmd
            .try_get_matches_from([format!("--{option}"), value.to_string()])
            .map_err(one_line)?;
        // clap fills every other option with its default, so only this option's field is
        // taken from what it parsed (serde's field names are the long names, `_` for `-`).
        let parsed = Self::from_arg_matches(&m).map_err(one_line)?;
        let field = option.replace('-', "_");
        let mut mine = serde_json::to_value(self).expect("site settings serialize");
        let theirs = serde_json::to_value(parsed).expect("site settings serialize");
        mine[&field] = theirs[&field].clone();
        let p: Self = serde_json::from_value(mine).map_err(|e| SiteError::Option {
            option: option.to_string(),
            reason: e.to_string(),
        })?;
        p.check()?;
        Ok(p)
    }

    /// Validates every parameter; the error names the option and what is wrong.
    pub fn check(&self) -> Result<SiteConfig, SiteError> {
        let p = self;
        if p.workers == 0 || p.workers > 100_000 {
            return Err(bad("workers", p.workers, "must be between 1 and 100000"));
        }
        check_ms("service-time-ms", p.service_time_ms)?;
        if p.service_time_ms > 600_000.0 {
            return Err(bad(
                "service-time-ms",
                p.service_time_ms,
                "must be at most 600000 (10 minutes)",
            ));
        }
        check_timeout("queue-timeout-ms", p.queue_timeout_ms)?;
        if !(0.0..=1.0).contains(&p.error_rate) {
            return Err(bad(
                "error-rate",
                p.error_rate,
                "must be a fraction between 0 and 1 (or 0% to 100%)",
            ));
        }
        check_fault("extra-latency-ms", p.extra_latency_ms)?;
        check_fault("jitter-ms", p.jitter_ms)?;
        check_fault("stall-for-s", p.stall_for_s)?;
        if let Some(at) = p.stall_at_s {
            check_fault("stall-at-s", at)?;
            if p.stall_for_s <= 0.0 {
                return Err(bad(
                    "stall-for-s",
                    p.stall_for_s,
                    "must be above 0 when --stall-at-s is given",
                ));
            }
        }
        check_fault("degradation-pct-per-min", p.degradation_pct_per_min)?;
        if p.items == 0 || p.items > 1_000_000 {
            return Err(bad("items", p.items, "must be between 1 and 1000000"));
        }
        check_timeout("header-read-timeout-ms", p.header_read_timeout_ms)?;
        if p.shutdown_timeout_ms > MAX_TIMEOUT_MS {
            return Err(bad(
                "shutdown-timeout-ms",
                p.shutdown_timeout_ms,
                "must be at most 86400000 (one day, in ms)",
            ));
        }
        if p.max_headers == 0 || p.max_headers > 10_000 {
            return Err(bad(
                "max-headers",
                p.max_headers,
                "must be between 1 and 10000",
            ));
        }
        if !(1024..=1 << 20).contains(&p.max_header_bytes) {
            return Err(bad(
                "max-header-bytes",
                p.max_header_bytes,
                "must be between 1024 and 1048576",
            ));
        }
        if p.max_connections == 0 {
            return Err(bad("max-connections", 0, "must be at least 1"));
        }
        Ok(SiteConfig { p: p.clone() })
    }
}

impl SiteConfig {
    /// The parameters this configuration was made from.
    pub fn params(&self) -> &SiteParams {
        &self.p
    }

    /// Capacity in requests per second of an endpoint of the given cost, by the formula
    /// `workers × 1000 / (service_time_ms × cost)`; infinite when the service time is 0.
    pub fn capacity_rps(&self, cost: f64) -> f64 {
        capacity_rps(self.p.workers, self.p.service_time_ms, cost)
    }

    pub(crate) fn queue_timeout(&self) -> Duration {
        Duration::from_millis(self.p.queue_timeout_ms)
    }
}

/// `workers × 1000 / (service_time_ms × cost)`: the capacity of an endpoint.
pub fn capacity_rps(workers: usize, service_time_ms: f64, cost: f64) -> f64 {
    workers as f64 * 1000.0 / (service_time_ms * cost)
}

/// clap parser: a finite number of at least zero.
fn non_negative(s: &str) -> Result<f64, String> {
    let v: f64 = s.trim().parse().map_err(|_| "not a number".to_string())?;
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err("must be a finite number of at least 0".into())
    }
}

/// clap parser: a fraction `0.02` or a percentage `2%`, between 0 and 1.
pub fn fraction(s: &str) -> Result<f64, String> {
    let s = s.trim();
    let v = match s.strip_suffix('%') {
        Some(pct) => pct.trim().parse::<f64>().map(|v| v / 100.0),
        None => s.parse::<f64>(),
    }
    .map_err(|_| "not a number or percentage".to_string())?;
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err("must be between 0 and 1 (or 0% and 100%)".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_option_set_by_name_changes_that_option_alone() {
        let base = SiteParams {
            workers: 3,
            queue: 7,
            ..SiteParams::default()
        };
        let p = base.set("service-time-ms", "2.5").unwrap();
        assert_eq!((p.workers, p.queue, p.service_time_ms), (3, 7, 2.5));
        assert_eq!(
            base.set("service-dist", "exp").unwrap().service_dist,
            ServiceDist::Exp
        );
        let e = |o: &str, v: &str| base.set(o, v).unwrap_err().to_string();
        assert!(e("wrokers", "3").starts_with("site option 'wrokers': unexpected argument"));
        assert!(
            e("workers", "2.5").contains("invalid value '2.5'"),
            "{}",
            e("workers", "2.5")
        );
        assert!(e("error-rate", "2").contains("between 0 and 1"));
        assert!(!e("workers", "x").contains('\n'));
    }

    #[test]
    fn defaults_are_valid_and_capacity_follows_the_formula() {
        let c = SiteParams::default().check().unwrap();
        assert!((c.capacity_rps(1.0) - 1600.0).abs() < 1e-9);
        assert!((c.capacity_rps(3.0) - 533.333).abs() < 1e-3);
    }

    #[test]
    fn bad_values_name_the_option() {
        let p = SiteParams {
            workers: 0,
            ..Default::default()
        };
        let e = p.check().unwrap_err().to_string();
        assert_eq!(
            e,
            "invalid value '0' for '--workers': must be between 1 and 100000"
        );
        let p = SiteParams {
            error_rate: 1.5,
            ..Default::default()
        };
        assert!(p.check().unwrap_err().to_string().contains("--error-rate"));
        let p = SiteParams {
            service_time_ms: f64::NAN,
            ..Default::default()
        };
        assert!(p
            .check()
            .unwrap_err()
            .to_string()
            .contains("--service-time-ms"));
        let e = SiteParams {
            queue_timeout_ms: 0,
            ..Default::default()
        }
        .check()
        .unwrap_err()
        .with_option_prefix("site-")
        .to_string();
        assert!(e.contains("'--site-queue-timeout-ms'"), "{e}");
    }

    #[test]
    fn fractions_and_percentages() {
        assert_eq!(fraction("2%").unwrap(), 0.02);
        assert_eq!(fraction("0.5").unwrap(), 0.5);
        assert!(fraction("150%").is_err());
        assert!(fraction("abc").is_err());
        assert!(non_negative("-1").is_err());
        assert!(non_negative("inf").is_err());
    }
}
