//! Service-level objectives: `p95<200ms`, `p99<=1s`, `error-rate<1%`, `rps>=500`, each
//! optionally `for <endpoint>`, comma-separated. The grammar is Goose 0.19's threshold
//! grammar (a test checks both parsers agree); perf-core keeps its own type because the
//! ML plugin needs the limit and the observed value as numbers ([`SloVerdict::margin`]).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What an SLO measures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SloMetric {
    /// A latency percentile, strictly between 0 and 100.
    Percentile(f64),
    /// Mean latency.
    Mean,
    /// Slowest request.
    Max,
    /// Failed requests, percent of all.
    ErrorRate,
    /// Requests per second achieved.
    Rps,
}

impl SloMetric {
    fn is_time(self) -> bool {
        matches!(self, Self::Percentile(_) | Self::Mean | Self::Max)
    }
}

/// How the observed value is compared with the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SloOp {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl SloOp {
    fn passes(self, observed: f64, limit: f64) -> bool {
        match self {
            Self::Lt => observed < limit,
            Self::Le => observed <= limit,
            Self::Gt => observed > limit,
            Self::Ge => observed >= limit,
        }
    }
}

/// A bad SLO string: says which rule and what is wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid SLO '{rule}': {reason}")]
pub struct SloError {
    /// The rule as given.
    pub rule: String,
    /// What is wrong with it.
    pub reason: String,
}

fn invalid(rule: &str, reason: impl Into<String>) -> SloError {
    SloError {
        rule: rule.to_string(),
        reason: reason.into(),
    }
}

/// One objective.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Slo {
    /// The rule as given (trimmed).
    pub rule: String,
    /// What it measures.
    pub metric: SloMetric,
    /// The comparison.
    pub op: SloOp,
    /// Microseconds for a time, percent for `error-rate`, requests/s for `rps`.
    pub limit: f64,
    /// The endpoint it judges (`GET /api/items`), or all requests together.
    pub endpoint: Option<String>,
}

const METRICS: &str = "use pNN (such as p95 or p99.9), avg, max, error-rate or rps";

fn plain_number(s: &str) -> Option<f64> {
    let s = s.trim();
    if s.is_empty() || !s.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

impl FromStr for Slo {
    type Err = SloError;

    /// One pass over the grammar (`[metric][op][value][unit] [for <endpoint>]`), each
    /// form's error where it is found; long because every branch names its own mistake.
    fn from_str(text: &str) -> Result<Self, SloError> {
        let rule = text.trim();
        if rule.is_empty() {
            return Err(invalid(
                rule,
                "a rule can not be empty; give one such as p95<500ms",
            ));
        }
        let Some(at) = rule.find(['<', '>', '=']) else {
            return Err(invalid(
                rule,
                "it has no operator; use <, <=, > or >=, as in p95<500ms",
            ));
        };
        let name = rule[..at].trim();
        let metric = match name {
            "avg" => SloMetric::Mean,
            "max" => SloMetric::Max,
            "error-rate" => SloMetric::ErrorRate,
            "rps" => SloMetric::Rps,
            "" => {
                return Err(invalid(
                    rule,
                    format!("it has no metric before the operator; {METRICS}"),
                ))
            }
            _ => match name.strip_prefix('p').map(plain_number) {
                Some(Some(p)) if p > 0.0 && p < 100.0 => SloMetric::Percentile(p),
                Some(Some(_)) => {
                    return Err(invalid(rule, "a percentile must be above 0 and below 100"))
                }
                _ => {
                    return Err(invalid(
                        rule,
                        format!("{name:?} is not a metric; {METRICS}"),
                    ))
                }
            },
        };
        let rest = &rule[at..];
        let (op, rest) = if let Some(r) = rest.strip_prefix("<=") {
            (SloOp::Le, r)
        } else if let Some(r) = rest.strip_prefix(">=") {
            (SloOp::Ge, r)
        } else if let Some(r) = rest.strip_prefix('<') {
            (SloOp::Lt, r)
        } else if let Some(r) = rest.strip_prefix('>') {
            (SloOp::Gt, r)
        } else {
            return Err(invalid(rule, "the operator must be <, <=, > or >="));
        };
        if rest.starts_with(['<', '>', '=']) {
            return Err(invalid(rule, "the operator must be <, <=, > or >="));
        }
        let rest = format!(" {}", rest.trim());
        let (value, endpoint) = match rest.find(" for ") {
            Some(at) => (
                rest[..at].trim().to_string(),
                Some(rest[at + 5..].trim().to_string()),
            ),
            None => match rest.strip_suffix(" for") {
                Some(v) => (v.trim().to_string(), Some(String::new())),
                None => (rest.trim().to_string(), None),
            },
        };
        if value.is_empty() {
            return Err(invalid(rule, "it has no value after the operator"));
        }
        if endpoint.as_deref() == Some("") {
            return Err(invalid(
                rule,
                "'for' must be followed by an endpoint, such as 'for GET /api/items'",
            ));
        }
        let limit = if metric.is_time() {
            let (n, scale) = if let Some(n) = value.strip_suffix("us") {
                (n, 1.0)
            } else if let Some(n) = value.strip_suffix("ms") {
                (n, 1_000.0)
            } else if let Some(n) = value.strip_suffix('s') {
                (n, 1_000_000.0)
            } else {
                (value.as_str(), 1_000.0)
            };
            plain_number(n).map(|n| n * scale).ok_or_else(|| {
                invalid(
                    rule,
                    format!("{value:?} is not a time; use a number with us, ms or s"),
                )
            })?
        } else if metric == SloMetric::ErrorRate {
            match plain_number(value.strip_suffix('%').unwrap_or(&value)) {
                Some(p) if p <= 100.0 => p,
                Some(_) => return Err(invalid(rule, "an error rate can not be over 100%")),
                None => {
                    return Err(invalid(
                        rule,
                        format!("{value:?} is not a percentage, such as 1%"),
                    ))
                }
            }
        } else {
            plain_number(&value).ok_or_else(|| {
                invalid(
                    rule,
                    format!("{value:?} is not a rate of requests per second"),
                )
            })?
        };
        let never = match (op, metric) {
            (SloOp::Lt, _) if limit <= 0.0 => Some("nothing is below 0"),
            (SloOp::Gt, SloMetric::ErrorRate) if limit >= 100.0 => {
                Some("an error rate can not be over 100%")
            }
            _ => None,
        };
        if let Some(why) = never {
            return Err(invalid(rule, format!("it can never pass; {why}")));
        }
        Ok(Slo {
            rule: rule.to_string(),
            metric,
            op,
            limit,
            endpoint,
        })
    }
}

impl fmt::Display for Slo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rule)
    }
}

/// Parses a comma-separated list of SLOs; an empty string is an empty list.
pub fn parse_slos(text: &str) -> Result<Vec<Slo>, SloError> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::parse)
        .collect()
}

/// Where an SLO reads its observed values from.
pub trait SloSource {
    /// Latency percentile `q` (0–100) in µs of an endpoint, or of all requests (`None`).
    fn percentile_us(&self, endpoint: Option<&str>, q: f64) -> Option<f64>;
    /// Mean latency in µs.
    fn mean_us(&self, endpoint: Option<&str>) -> Option<f64>;
    /// Slowest request in µs.
    fn max_us(&self, endpoint: Option<&str>) -> Option<f64>;
    /// Failed requests in percent, `None` without requests.
    fn error_rate_pct(&self, endpoint: Option<&str>) -> Option<f64>;
    /// Achieved requests per second.
    fn rps(&self, endpoint: Option<&str>) -> Option<f64>;
}

/// The judgement of one SLO on one load point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SloVerdict {
    /// The rule.
    pub slo: Slo,
    /// What was observed, in the limit's unit; `None` when there were no samples.
    pub observed: Option<f64>,
    /// Whether it passed (a rule without samples fails, as in Goose).
    pub pass: bool,
}

impl SloVerdict {
    /// How far from the limit, as a ratio above 1 when failing: `observed / limit` for
    /// upper bounds, `limit / observed` for lower bounds. Infinite without samples.
    pub fn margin(&self) -> f64 {
        let Some(o) = self.observed else {
            return f64::INFINITY;
        };
        let (num, den) = match self.slo.op {
            SloOp::Lt | SloOp::Le => (o, self.slo.limit),
            SloOp::Gt | SloOp::Ge => (self.slo.limit, o),
        };
        if den <= 0.0 {
            if num <= 0.0 {
                1.0
            } else {
                f64::INFINITY
            }
        } else {
            num / den
        }
    }

    /// The observed value as people read it: `212.4ms`, `0.8%`, `480.2 req/s`.
    pub fn observed_text(&self) -> String {
        match (self.observed, self.slo.metric) {
            (None, _) => "no samples".into(),
            (Some(v), SloMetric::ErrorRate) => format!("{v:.2}%"),
            (Some(v), SloMetric::Rps) => format!("{v:.1} req/s"),
            (Some(v), _) => format!("{:.1}ms", v / 1000.0),
        }
    }
}

impl Slo {
    /// Judges the rule on a source of observations.
    pub fn evaluate(&self, src: &dyn SloSource) -> SloVerdict {
        let ep = self.endpoint.as_deref();
        let observed = match self.metric {
            SloMetric::Percentile(q) => src.percentile_us(ep, q),
            SloMetric::Mean => src.mean_us(ep),
            SloMetric::Max => src.max_us(ep),
            SloMetric::ErrorRate => src.error_rate_pct(ep),
            SloMetric::Rps => src.rps(ep),
        };
        let pass = observed.is_some_and(|o| self.op.passes(o, self.limit));
        SloVerdict {
            slo: self.clone(),
            observed,
            pass,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_contract_examples() {
        let s =
            parse_slos("p95<200ms, p99<=1s,error-rate<1%,rps>=500, p99.9<2s for GET /api/items")
                .unwrap();
        assert_eq!(s.len(), 5);
        assert_eq!(
            (s[0].metric, s[0].op, s[0].limit),
            (SloMetric::Percentile(95.0), SloOp::Lt, 200_000.0)
        );
        assert_eq!((s[1].op, s[1].limit), (SloOp::Le, 1_000_000.0));
        assert_eq!((s[2].metric, s[2].limit), (SloMetric::ErrorRate, 1.0));
        assert_eq!(
            (s[3].metric, s[3].op, s[3].limit),
            (SloMetric::Rps, SloOp::Ge, 500.0)
        );
        assert_eq!(s[4].endpoint.as_deref(), Some("GET /api/items"));
        assert_eq!(s[4].metric, SloMetric::Percentile(99.9));
        assert_eq!("avg<250".parse::<Slo>().unwrap().limit, 250_000.0);
        assert_eq!("max<800us".parse::<Slo>().unwrap().limit, 800.0);
        assert!(parse_slos("").unwrap().is_empty());
    }

    #[test]
    fn refuses_bad_rules_with_reasons() {
        for (bad, why) in [
            ("p100<2s", "percentile"),
            ("p95 200ms", "no operator"),
            ("p95<", "no value"),
            ("lat<2s", "not a metric"),
            ("p95<fast", "not a time"),
            ("error-rate<150%", "over 100%"),
            ("p95<0", "never pass"),
            ("p95=<1s", "operator"),
            ("p95<1s for", "endpoint"),
            ("rps>=-5", "not a rate"),
        ] {
            let e = bad.parse::<Slo>().unwrap_err();
            assert!(e.to_string().contains(why), "{bad}: {e}");
            assert!(
                e.to_string().starts_with(&format!("invalid SLO '{bad}'")),
                "{e}"
            );
        }
        assert!(parse_slos("p95<1s,bogus").unwrap_err().rule == "bogus");
    }

    struct Fixed;
    impl SloSource for Fixed {
        fn percentile_us(&self, ep: Option<&str>, q: f64) -> Option<f64> {
            if ep == Some("GET /none") {
                None
            } else {
                Some(q * 1000.0)
            }
        }
        fn mean_us(&self, _: Option<&str>) -> Option<f64> {
            Some(40_000.0)
        }
        fn max_us(&self, _: Option<&str>) -> Option<f64> {
            Some(900_000.0)
        }
        fn error_rate_pct(&self, _: Option<&str>) -> Option<f64> {
            Some(2.0)
        }
        fn rps(&self, _: Option<&str>) -> Option<f64> {
            Some(250.0)
        }
    }

    #[test]
    fn verdicts_and_margins() {
        let v = "p95<100ms".parse::<Slo>().unwrap().evaluate(&Fixed);
        assert!(v.pass && (v.margin() - 0.95).abs() < 1e-12);
        assert_eq!(v.observed_text(), "95.0ms");
        let v = "error-rate<1%".parse::<Slo>().unwrap().evaluate(&Fixed);
        assert!(!v.pass && (v.margin() - 2.0).abs() < 1e-12);
        let v = "rps>=500".parse::<Slo>().unwrap().evaluate(&Fixed);
        assert!(!v.pass && (v.margin() - 2.0).abs() < 1e-12);
        let v = "p95<1s for GET /none"
            .parse::<Slo>()
            .unwrap()
            .evaluate(&Fixed);
        assert!(!v.pass && v.observed.is_none() && v.margin().is_infinite());
    }
}
