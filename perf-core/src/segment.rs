//! Execution segments: one test split over `N` generator processes (k6's execution
//! segments, one per runner pod), each running its share without talking to the others.
//!
//! Segment `I` of `N` ([`Segment`]) takes the open model's starts `i` with
//! `i mod N = I` of the whole test's schedule (start `i` due at `t0 + i / rate`), so the
//! `N` segments together keep the whole test's even schedule; of a closed model's users
//! it takes users `u` with `u mod N = I`; its random draws come from a seed of its own
//! ([`Segment::seed`]), so segments do not repeat each other's draws. With a common
//! start time ([`StartAt`]) every segment's point `k` starts its schedule at the same
//! wall-clock instant, and their histograms merge into the whole test's
//! ([`crate::hdr`], [`crate::results::merge`]).
//!
//! Nothing coordinates the segments: `perf-scenarios k8s` runs them as the pods of a
//! Kubernetes Indexed Job (`--segments N` reads the pod's `JOB_COMPLETION_INDEX`) with a
//! common start, and a merge Job combines their results. A sweep's points stay aligned by
//! their fixed slots ([`StartAt::point`]); a search, whose next point depends on the
//! last, would run one such Job per point, and a point with a segment missing (its pod
//! died) cannot be merged, so it is not evidence and is measured again (README, "Beyond
//! one machine").
//!
//! ```
//! use perf_core::segment::Segment;
//!
//! let s: Segment = "1/4".parse().unwrap();
//! assert_eq!(s.share(10), 3); // of users 0..10: 1, 5 and 9
//! assert_eq!(s.rate(400.0), 100.0);
//! assert!("4/4".parse::<Segment>().unwrap_err().to_string().contains("0 to 3"));
//! ```

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

/// A `--segment` or `--start-at` value that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SegmentError {
    /// Not `I/N` with whole numbers.
    #[error("'{0}' is not I/N (such as 0/4)")]
    Syntax(String),
    /// `N` is 0.
    #[error("'{0}': the number of segments must be at least 1")]
    NoSegments(String),
    /// `I` is not below `N`.
    #[error("'{given}': the segment index must be 0 to {last} for {count} segments")]
    Index {
        /// The value given.
        given: String,
        /// The highest index.
        last: u32,
        /// `N`.
        count: u32,
    },
    /// Not an RFC 3339 time.
    #[error("'{0}' is not an RFC 3339 time (such as 2026-11-29T20:00:00Z)")]
    Time(String),
}

/// Segment `index` of `count`: its share of the load and of the random draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Segment {
    /// From 0.
    pub index: u32,
    /// How many segments the test has (at least 1).
    pub count: u32,
}

impl Default for Segment {
    fn default() -> Self {
        Self::WHOLE
    }
}

impl Segment {
    /// The whole test in one process.
    pub const WHOLE: Segment = Segment { index: 0, count: 1 };

    /// Segment `index` of `count`, checked.
    pub fn new(index: u32, count: u32) -> Result<Self, SegmentError> {
        let given = format!("{index}/{count}");
        if count == 0 {
            return Err(SegmentError::NoSegments(given));
        }
        if index >= count {
            return Err(SegmentError::Index {
                given,
                last: count - 1,
                count,
            });
        }
        Ok(Self { index, count })
    }

    /// Whether this is the whole test.
    pub fn is_whole(&self) -> bool {
        self.count == 1
    }

    /// Of `n` items numbered from 0 (users, scheduled starts), how many are this
    /// segment's: those with `i mod count = index`.
    pub fn share(&self, n: u64) -> u64 {
        let (i, c) = (self.index as u64, self.count as u64);
        n / c + u64::from(i < n % c)
    }

    /// This segment's share of an arrival rate.
    pub fn rate(&self, rate: f64) -> f64 {
        rate / self.count as f64
    }

    /// The seed of this segment's draws: the test's seed for the whole test, a different
    /// one for each segment.
    pub fn seed(&self, seed: u64) -> u64 {
        if self.is_whole() {
            seed
        } else {
            seed ^ (u64::from(self.index) + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        }
    }
}

impl std::fmt::Display for Segment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl std::str::FromStr for Segment {
    type Err = SegmentError;
    fn from_str(s: &str) -> Result<Self, SegmentError> {
        let t = s.trim();
        let (i, n) = t
            .split_once('/')
            .ok_or_else(|| SegmentError::Syntax(t.to_string()))?;
        let num = |x: &str| {
            x.trim()
                .parse::<u32>()
                .map_err(|_| SegmentError::Syntax(t.to_string()))
        };
        Self::new(num(i)?, num(n)?)
    }
}

/// A common wall-clock start: point `k` of a run or sweep starts its schedule at
/// `at + k × (duration + grace + SLOT_SLACK)` in every segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartAt(pub SystemTime);

/// Time a point slot leaves after its window and grace period for the engine to stop
/// Goose and start the next point's users.
pub const SLOT_SLACK: Duration = Duration::from_secs(5);

impl StartAt {
    /// From an RFC 3339 time.
    pub fn parse(s: &str) -> Result<Self, SegmentError> {
        let t = chrono::DateTime::parse_from_rfc3339(s.trim())
            .map_err(|_| SegmentError::Time(s.trim().to_string()))?;
        Ok(Self(t.into()))
    }

    /// When point `index` starts, for points of `duration` with `grace` after each.
    pub fn point(&self, index: usize, duration: Duration, grace: Duration) -> SystemTime {
        self.0 + (duration + grace + SLOT_SLACK) * index as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_segments_shares_add_up_to_the_whole_and_bad_values_are_refused() {
        for n in [0u64, 1, 7, 400, 401] {
            for count in 1..=5 {
                let total: u64 = (0..count)
                    .map(|i| Segment::new(i, count).unwrap().share(n))
                    .sum();
                assert_eq!(total, n, "{n} over {count}");
            }
        }
        assert_eq!(
            "2/3".parse::<Segment>().unwrap(),
            Segment { index: 2, count: 3 }
        );
        for (bad, says) in [
            ("5/4", "must be 0 to 3 for 4 segments"),
            ("0/0", "at least 1"),
            ("a/4", "is not I/N"),
            ("3", "is not I/N"),
            ("-1/4", "is not I/N"),
        ] {
            let e = bad.parse::<Segment>().unwrap_err().to_string();
            assert!(e.contains(says), "{bad}: {e}");
        }
        let seeds: Vec<u64> = (0..4)
            .map(|i| Segment::new(i, 4).unwrap().seed(1))
            .collect();
        assert!(seeds.iter().all(|s| *s != 1));
        assert_eq!(Segment::WHOLE.seed(1), 1);
    }

    #[test]
    fn a_start_time_is_rfc_3339_with_an_offset() {
        let t = StartAt::parse("2026-11-29T20:00:00Z").unwrap();
        let u = StartAt::parse("2026-11-29T21:00:00+01:00").unwrap();
        assert_eq!(t, u);
        assert_eq!(
            t.point(2, Duration::from_secs(10), Duration::from_secs(5))
                .duration_since(t.0)
                .unwrap(),
            Duration::from_secs(40)
        );
        for bad in [
            "tomorrow",
            "2026-11-29T20:00:00",
            "2026-13-01T00:00:00Z",
            "",
        ] {
            assert!(StartAt::parse(bad).is_err(), "{bad}");
        }
    }
}
