//! Injected faults: random errors, extra latency with jitter, a stall, slow degradation.
//! Set at start from [`SiteParams`](crate::SiteParams) and changed at run time through
//! `POST /admin/faults` with a [`FaultsPatch`].

use std::sync::RwLock;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// The faults in force, as `GET /admin/faults` shows them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct Faults {
    /// Fraction of dynamic requests answered 500.
    pub error_rate: f64,
    /// Latency added outside the worker pool, in ms.
    pub extra_latency_ms: f64,
    /// Uniform ± jitter on the extra latency, in ms.
    pub jitter_ms: f64,
    /// Seconds from when the fault was set to the start of a stall (none if absent).
    pub stall_at_s: Option<f64>,
    /// Length of the stall in seconds.
    pub stall_for_s: f64,
    /// Growth of the service time, in percent of its base value per minute.
    pub degradation_pct_per_min: f64,
}

/// A change of some faults: fields left out keep their value. `stall_at_s: null` clears
/// the stall.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultsPatch {
    error_rate: Option<f64>,
    extra_latency_ms: Option<f64>,
    jitter_ms: Option<f64>,
    #[serde(default, deserialize_with = "double_option")]
    stall_at_s: Option<Option<f64>>,
    stall_for_s: Option<f64>,
    degradation_pct_per_min: Option<f64>,
}

fn double_option<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<f64>>, D::Error> {
    Option::<f64>::deserialize(d).map(Some)
}

/// Most latency a fault may add, ms (one hour): `extra_latency_ms`, `jitter_ms`.
pub const MAX_LATENCY_MS: f64 = 3_600_000.0;
/// Latest start and longest length of a stall, s (one day).
pub const MAX_STALL_S: f64 = 86_400.0;
/// Fastest degradation, percent of the service time per minute.
pub const MAX_DEGRADATION_PCT_PER_MIN: f64 = 100_000.0;

/// The bound of a time-like or rate-like fault: `(name, max, reason)`.
pub(crate) const BOUNDS: [(&str, f64, &str); 5] = [
    (
        "extra_latency_ms",
        MAX_LATENCY_MS,
        "must be a number from 0 to 3600000 (one hour, in ms)",
    ),
    (
        "jitter_ms",
        MAX_LATENCY_MS,
        "must be a number from 0 to 3600000 (one hour, in ms)",
    ),
    (
        "stall_at_s",
        MAX_STALL_S,
        "must be a number from 0 to 86400 (one day, in s)",
    ),
    (
        "stall_for_s",
        MAX_STALL_S,
        "must be a number from 0 to 86400 (one day, in s)",
    ),
    (
        "degradation_pct_per_min",
        MAX_DEGRADATION_PCT_PER_MIN,
        "must be a number from 0 to 100000 (% per minute)",
    ),
];

/// Checks a fault value against its bound; `Err(reason)` when out of it.
pub(crate) fn check_bound(name: &str, v: f64) -> Result<(), &'static str> {
    let (_, max, reason) = BOUNDS
        .iter()
        .find(|(n, _, _)| *n == name)
        .expect("a known fault");
    if v.is_finite() && (0.0..=*max).contains(&v) {
        Ok(())
    } else {
        Err(reason)
    }
}

/// A patch field with a bad value: `(field, reason)`.
pub type FieldError = (&'static str, &'static str);

impl FaultsPatch {
    fn validate(&self) -> Result<(), FieldError> {
        fn ms(name: &'static str, v: Option<f64>) -> Result<(), FieldError> {
            v.map_or(Ok(()), |v| check_bound(name, v).map_err(|why| (name, why)))
        }
        if let Some(p) = self.error_rate {
            if !(0.0..=1.0).contains(&p) {
                return Err(("error_rate", "must be a fraction between 0 and 1"));
            }
        }
        ms("extra_latency_ms", self.extra_latency_ms)?;
        ms("jitter_ms", self.jitter_ms)?;
        ms("stall_at_s", self.stall_at_s.flatten())?;
        ms("stall_for_s", self.stall_for_s)?;
        ms("degradation_pct_per_min", self.degradation_pct_per_min)
    }
}

/// What a dynamic request must do because of the faults, drawn once per request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Effects {
    /// Wait this long before queueing (the request arrived during a stall).
    pub stall: Duration,
    /// Multiply the service time by this (slow degradation).
    pub service_factor: f64,
    /// Add this after the service, outside the pool.
    pub extra_latency: Duration,
    /// Answer 500.
    pub fail: bool,
}

#[derive(Debug, Clone, Copy)]
struct State {
    faults: Faults,
    stall_window: Option<(Instant, Instant)>,
    degradation_since: Instant,
}

/// The live fault state, shared by every request.
#[derive(Debug)]
pub struct FaultState {
    state: RwLock<State>,
}

impl FaultState {
    /// Faults in force from `now`.
    pub fn new(faults: Faults, now: Instant) -> Self {
        Self {
            state: RwLock::new(State {
                faults,
                stall_window: window(&faults, now),
                degradation_since: now,
            }),
        }
    }

    /// The faults in force.
    pub fn get(&self) -> Faults {
        self.read().faults
    }

    fn read(&self) -> State {
        *self
            .state
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Applies a patch at `now`; stall and degradation timing restart from `now` when
    /// their fields are in the patch.
    pub fn apply(&self, patch: &FaultsPatch, now: Instant) -> Result<Faults, FieldError> {
        patch.validate()?;
        let mut s = self
            .state
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let f = &mut s.faults;
        if let Some(v) = patch.error_rate {
            f.error_rate = v;
        }
        if let Some(v) = patch.extra_latency_ms {
            f.extra_latency_ms = v;
        }
        if let Some(v) = patch.jitter_ms {
            f.jitter_ms = v;
        }
        if let Some(v) = patch.stall_at_s {
            f.stall_at_s = v;
        }
        if let Some(v) = patch.stall_for_s {
            f.stall_for_s = v;
        }
        if let Some(v) = patch.degradation_pct_per_min {
            f.degradation_pct_per_min = v;
        }
        let faults = *f;
        if patch.stall_at_s.is_some() || patch.stall_for_s.is_some() {
            s.stall_window = window(&faults, now);
        }
        if patch.degradation_pct_per_min.is_some() {
            s.degradation_since = now;
        }
        Ok(faults)
    }

    /// The factor by which degradation has multiplied the service time at `now`.
    pub fn service_factor(&self, now: Instant) -> f64 {
        let s = self.read();
        factor(&s, now)
    }

    /// Draws this request's effects; `u1`, `u2` are uniform in [0, 1).
    pub fn effects(&self, now: Instant, u1: f64, u2: f64) -> Effects {
        let s = self.read();
        let f = &s.faults;
        let stall = match s.stall_window {
            Some((from, to)) if now >= from && now < to => to - now,
            _ => Duration::ZERO,
        };
        let extra = if f.extra_latency_ms > 0.0 || f.jitter_ms > 0.0 {
            (f.extra_latency_ms + f.jitter_ms * (2.0 * u2 - 1.0)).max(0.0)
        } else {
            0.0
        };
        Effects {
            stall,
            service_factor: factor(&s, now),
            extra_latency: Duration::from_secs_f64(extra / 1000.0),
            fail: u1 < f.error_rate,
        }
    }
}

fn factor(s: &State, now: Instant) -> f64 {
    let minutes = now
        .saturating_duration_since(s.degradation_since)
        .as_secs_f64()
        / 60.0;
    1.0 + s.faults.degradation_pct_per_min / 100.0 * minutes
}

fn window(f: &Faults, now: Instant) -> Option<(Instant, Instant)> {
    let at = f.stall_at_s?;
    if f.stall_for_s <= 0.0 {
        return None;
    }
    let from = now + Duration::from_secs_f64(at);
    Some((from, from + Duration::from_secs_f64(f.stall_for_s)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stall_window_and_degradation() {
        let t0 = Instant::now();
        let f = Faults {
            stall_at_s: Some(1.0),
            stall_for_s: 2.0,
            degradation_pct_per_min: 60.0,
            ..Default::default()
        };
        let s = FaultState::new(f, t0);
        assert_eq!(s.effects(t0, 0.5, 0.5).stall, Duration::ZERO);
        let e = s.effects(t0 + Duration::from_millis(1500), 0.5, 0.5);
        assert_eq!(e.stall, Duration::from_millis(1500));
        assert_eq!(
            s.effects(t0 + Duration::from_secs(3), 0.5, 0.5).stall,
            Duration::ZERO
        );
        assert!((s.service_factor(t0 + Duration::from_secs(30)) - 1.3).abs() < 1e-9);
    }

    #[test]
    fn errors_and_jitter_follow_the_draws() {
        let t0 = Instant::now();
        let f = Faults {
            error_rate: 0.1,
            extra_latency_ms: 10.0,
            jitter_ms: 20.0,
            ..Default::default()
        };
        let s = FaultState::new(f, t0);
        assert!(s.effects(t0, 0.05, 0.5).fail);
        assert!(!s.effects(t0, 0.15, 0.5).fail);
        assert_eq!(s.effects(t0, 0.5, 0.0).extra_latency, Duration::ZERO);
        assert_eq!(
            s.effects(t0, 0.5, 0.75).extra_latency,
            Duration::from_millis(20)
        );
    }

    #[test]
    fn patches_merge_and_are_validated() {
        let t0 = Instant::now();
        let s = FaultState::new(Faults::default(), t0);
        let p: FaultsPatch = serde_json::from_str(r#"{"error_rate":0.2}"#).unwrap();
        assert_eq!(s.apply(&p, t0).unwrap().error_rate, 0.2);
        let p: FaultsPatch = serde_json::from_str(r#"{"extra_latency_ms":5}"#).unwrap();
        let f = s.apply(&p, t0).unwrap();
        assert_eq!((f.error_rate, f.extra_latency_ms), (0.2, 5.0));
        let p: FaultsPatch = serde_json::from_str(r#"{"jitter_ms":-1}"#).unwrap();
        assert_eq!(s.apply(&p, t0).unwrap_err().0, "jitter_ms");
        assert!(serde_json::from_str::<FaultsPatch>(r#"{"bogus":1}"#).is_err());
        let p: FaultsPatch = serde_json::from_str(r#"{"stall_at_s":0,"stall_for_s":1}"#).unwrap();
        s.apply(&p, t0).unwrap();
        assert!(s.effects(t0, 0.9, 0.5).stall > Duration::ZERO);
        let p: FaultsPatch = serde_json::from_str(r#"{"stall_at_s":null}"#).unwrap();
        s.apply(&p, t0).unwrap();
        assert_eq!(s.effects(t0, 0.9, 0.5).stall, Duration::ZERO);
    }
}
