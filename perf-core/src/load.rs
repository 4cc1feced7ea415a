//! Load models and load points: what one measurement asks for.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::params::Params;

/// How load is applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "lowercase")]
pub enum LoadModel {
    /// Arrival-rate (k6 constant-arrival-rate): `rate` transaction starts per second on a
    /// fixed schedule whether or not earlier ones finished, by at most `max_users`
    /// concurrent users; a start that finds no free user in time is dropped and counted.
    Open {
        /// Target starts per second (one request each in the bundled scenarios).
        rate: f64,
        /// Cap on concurrent users.
        max_users: usize,
    },
    /// `users` looping over the scenario, `think` between transactions, started evenly
    /// over `ramp_up`.
    Closed {
        /// Concurrent users.
        users: usize,
        /// Pause after each transaction.
        #[serde(with = "millis")]
        think: Duration,
        /// Time to start all users.
        #[serde(with = "millis")]
        ramp_up: Duration,
    },
}

mod millis {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;
    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis() as u64)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}

/// Which of the two load models, without its settings: what `runs.csv` and a model
/// file record, and what says whether load is in requests per second or in users.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    /// Arrival rate: load is requests per second.
    #[default]
    Open,
    /// Users: load is concurrent users.
    Closed,
}

impl ModelKind {
    /// `open` or `closed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Closed => "closed",
        }
    }
}

impl std::fmt::Display for ModelKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ModelKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "open" => Ok(Self::Open),
            "closed" => Ok(Self::Closed),
            other => Err(format!("'{other}' is neither open nor closed")),
        }
    }
}

impl LoadModel {
    /// `open` or `closed`, as in `runs.csv`.
    pub fn name(&self) -> &'static str {
        self.kind().as_str()
    }

    /// Which model this is.
    pub fn kind(&self) -> ModelKind {
        match self {
            Self::Open { .. } => ModelKind::Open,
            Self::Closed { .. } => ModelKind::Closed,
        }
    }

    /// The default user cap of an open model: enough users for each to wait up to two
    /// seconds per transaction at the target rate, within [10, 5000].
    pub fn default_max_users(rate: f64) -> usize {
        ((rate * 2.0).ceil() as usize).clamp(10, 5000)
    }

    /// An open model at `rate` with at most `max_users` users, or
    /// [`LoadModel::default_max_users`] for the rate.
    pub fn open(rate: f64, max_users: Option<usize>) -> Self {
        Self::Open {
            rate,
            max_users: max_users.unwrap_or_else(|| Self::default_max_users(rate)),
        }
    }

    /// A short label: `400 req/s` or `50 users`.
    pub fn label(&self) -> String {
        match self {
            Self::Open { rate, .. } => format!("{rate} req/s"),
            Self::Closed { users, .. } => format!("{users} users"),
        }
    }
}

/// One load point: model, duration and parameter values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadPoint {
    /// Load model.
    pub model: LoadModel,
    /// Measured duration.
    #[serde(with = "millis")]
    pub duration: Duration,
    /// Scenario parameter values.
    pub params: Params,
}

/// Parses a duration: `30s`, `2m`, `1m30s`, `500ms`, `14d`, `1w`, or bare seconds.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    if let Ok(secs) = s.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    if let Some(ms) = s.strip_suffix("ms") {
        return ms.parse::<u64>().ok().map(Duration::from_millis);
    }
    let mut total = 0.0;
    let mut num = String::new();
    for c in s.chars() {
        match c {
            '0'..='9' | '.' => num.push(c),
            'w' | 'd' | 'h' | 'm' | 's' => {
                let v: f64 = num.parse().ok()?;
                total += v * match c {
                    'w' => 7.0 * 86_400.0,
                    'd' => 86_400.0,
                    'h' => 3600.0,
                    'm' => 60.0,
                    _ => 1.0,
                };
                num.clear();
            }
            _ => return None,
        }
    }
    (num.is_empty() && total.is_finite()).then(|| Duration::from_secs_f64(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Some(Duration::from_secs(30)));
        assert_eq!(parse_duration("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("2.5"), Some(Duration::from_millis(2500)));
        assert_eq!(
            parse_duration("14d"),
            Some(Duration::from_secs(14 * 86_400))
        );
        assert_eq!(
            parse_duration("1w1d"),
            Some(Duration::from_secs(8 * 86_400))
        );
        assert_eq!(parse_duration("abc"), None);
        assert_eq!(parse_duration("10x"), None);
        assert_eq!(parse_duration("-1"), None);
    }

    #[test]
    fn default_user_cap() {
        assert_eq!(LoadModel::default_max_users(1.0), 10);
        assert_eq!(LoadModel::default_max_users(400.0), 800);
        assert_eq!(LoadModel::default_max_users(1e9), 5000);
        let (cap, default) = (
            LoadModel::open(400.0, Some(7)),
            LoadModel::open(400.0, None),
        );
        assert_eq!(
            cap,
            LoadModel::Open {
                rate: 400.0,
                max_users: 7
            }
        );
        assert_eq!(
            default,
            LoadModel::Open {
                rate: 400.0,
                max_users: 800
            }
        );
    }
}
