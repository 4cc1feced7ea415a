//! A point's latency histograms as stored: `histograms/<n>.json` ([`PointHistograms`]),
//! each histogram in HdrHistogram's compressed V2 serialization (the format of
//! HdrHistogram's Java, C and Go ports and of `.hlog` files), base64-encoded.
//!
//! The summaries in `runs.csv` and `points/<n>.json` are cut from these histograms; a
//! test split over several processes (execution segments) is merged by adding them, so
//! its percentiles are those of all its requests, not averages of percentiles.
//!
//! ```
//! use hdrhistogram::Histogram;
//! use perf_core::hdr;
//!
//! let mut h = Histogram::<u64>::new_with_bounds(1, 600_000_000, 3).unwrap();
//! h.record(1_500).unwrap();
//! let back = hdr::decode(&hdr::encode(&h)).unwrap();
//! assert_eq!(back.value_at_quantile(0.5), h.value_at_quantile(0.5));
//! ```

use base64::Engine as _;
use hdrhistogram::serialization::{Deserializer, Serializer, V2DeflateSerializer};
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// The version of [`PointHistograms`]' layout.
pub const VERSION: u32 = 1;

/// A stored histogram cannot be read back.
#[derive(Debug, thiserror::Error)]
pub enum HdrError {
    /// Not base64.
    #[error("histogram of '{endpoint}' is not base64: {reason}")]
    Base64 {
        /// The endpoint it belongs to.
        endpoint: String,
        /// The decoder's reason.
        reason: String,
    },
    /// Not a V2 (deflate) HdrHistogram.
    #[error("histogram of '{endpoint}' is not an HdrHistogram V2 serialization: {reason}")]
    Format {
        /// The endpoint it belongs to.
        endpoint: String,
        /// The deserializer's reason.
        reason: String,
    },
    /// The file's layout version is not one this build reads.
    #[error("histogram file version {found}, this build reads version {VERSION}")]
    Version {
        /// The version in the file.
        found: u32,
    },
}

/// One endpoint's histograms and counts over an interval (the whole point, or one
/// second): everything [`crate::record::Acc`] holds, so it can be rebuilt and merged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredAcc {
    /// `GET /api/items` (no `ALL`: the aggregate is the merge of the endpoints).
    pub endpoint: String,
    /// Latencies of successful requests, µs: compressed V2, base64.
    pub ok: String,
    /// Durations of failed requests, µs (absent when none failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail: Option<String>,
    /// Failed requests (unfinished ones included).
    pub failures: u64,
    /// Of the failures, requests still in flight when the point gave up on them.
    pub unfinished: u64,
    /// Requests that finished after the window, in the grace period.
    pub after_window: u64,
    /// Slowest successful request, µs, exact.
    pub max_us: u64,
    /// Slowest failed request, µs, exact.
    pub fail_max_us: u64,
}

/// One second of the timeline, per endpoint.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SecondHistograms {
    /// Seconds since the window opened (the `second` of `timeline.csv`).
    pub second: u64,
    /// Per endpoint.
    pub endpoints: Vec<StoredAcc>,
}

/// `histograms/<n>.json`: the whole point's histograms per endpoint, and each second's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointHistograms {
    /// [`VERSION`].
    pub version: u32,
    /// How each histogram is encoded.
    pub encoding: String,
    /// The whole window, per endpoint.
    pub point: Vec<StoredAcc>,
    /// Per second, as `timeline.csv`.
    pub seconds: Vec<SecondHistograms>,
}

/// The `encoding` of [`PointHistograms`].
pub const ENCODING: &str = "HdrHistogram V2 compressed, base64";

impl PointHistograms {
    /// From the whole point's and each second's stored histograms.
    pub fn new(point: Vec<StoredAcc>, seconds: Vec<SecondHistograms>) -> Self {
        Self {
            version: VERSION,
            encoding: ENCODING.to_string(),
            point,
            seconds,
        }
    }

    /// Refuses a layout this build does not read.
    pub fn check_version(&self) -> Result<(), HdrError> {
        if self.version == VERSION {
            Ok(())
        } else {
            Err(HdrError::Version {
                found: self.version,
            })
        }
    }
}

/// A histogram as compressed V2, base64.
pub fn encode(h: &Histogram<u64>) -> String {
    let mut bytes = Vec::new();
    V2DeflateSerializer::new()
        .serialize(h, &mut bytes)
        .expect("serializing into memory cannot fail for u64 counts");
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A histogram back from [`encode`]'s text.
pub fn decode(text: &str) -> Result<Histogram<u64>, HdrError> {
    decode_for("", text)
}

/// [`decode`], naming the endpoint in errors.
pub fn decode_for(endpoint: &str, text: &str) -> Result<Histogram<u64>, HdrError> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|e| HdrError::Base64 {
            endpoint: endpoint.to_string(),
            reason: e.to_string(),
        })?;
    Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .map_err(|e| HdrError::Format {
            endpoint: endpoint.to_string(),
            reason: format!("{e:?}"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_histogram_survives_its_encoding_and_garbage_is_refused() {
        let mut h = Histogram::<u64>::new_with_bounds(1, 600_000_000, 3).unwrap();
        for v in [1u64, 17, 1_000, 54_321, 599_999_999] {
            h.record_n(v, v % 7 + 1).unwrap();
        }
        let back = decode(&encode(&h)).unwrap();
        assert_eq!(back, h);
        assert_eq!(back.sigfig(), 3);
        let e = decode_for("GET /x", "not base64!").unwrap_err();
        assert!(e.to_string().contains("'GET /x' is not base64"), "{e}");
        let e = decode_for("GET /x", "aGVsbG8=").unwrap_err();
        assert!(e.to_string().contains("not an HdrHistogram V2"), "{e}");
    }
}
