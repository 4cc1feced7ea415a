//! The traffic series: a CSV of `timestamp,rps` or a Prometheus range query's JSON, read
//! into a regular series. Duplicated timestamps are averaged and short gaps filled (from
//! the same time a week or a day earlier when the series has it, else linearly); both
//! are counted in [`Repairs`]. What cannot be repaired is refused: timestamps going
//! backwards, steps that are not multiples of the series' step, a gap longer than a day
//! or gaps filling more than a tenth of the series.

use std::path::Path;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

use super::PlanError;

/// The fewest points a series may have.
pub const MIN_POINTS: usize = 24;
/// The longest gap filled, in seconds.
const MAX_GAP_S: i64 = 86_400;
/// The largest share of the series that may be filled.
const MAX_FILLED: f64 = 0.10;

/// What reading the series repaired.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Repairs {
    /// Timestamps that appeared more than once (their values averaged).
    pub duplicates: usize,
    /// Gaps (runs of missing steps).
    pub gaps: usize,
    /// Steps filled in those gaps.
    pub filled: usize,
    /// Series summed per timestamp (a Prometheus result with several series).
    pub series_summed: usize,
}

/// A regular series of request rates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Traffic {
    /// The first timestamp, Unix seconds.
    pub start: i64,
    /// The step, seconds.
    pub step_s: i64,
    /// One rate (req/s) per step.
    pub values: Vec<f64>,
    /// What was repaired.
    pub repairs: Repairs,
}

impl Traffic {
    /// The timestamp of step `i` (Unix seconds; `i` may lie past the end).
    pub fn time(&self, i: usize) -> i64 {
        self.start + self.step_s * i as i64
    }

    /// The first time after the series: where a forecast starts.
    pub fn end(&self) -> i64 {
        self.time(self.values.len())
    }

    /// Steps per `seconds` (`None` when `seconds` is not a whole number of steps).
    pub fn steps(&self, seconds: i64) -> Option<usize> {
        (seconds > 0 && seconds % self.step_s == 0).then(|| (seconds / self.step_s) as usize)
    }

    /// Reads `path`: Prometheus JSON when it starts with `{`, else CSV.
    pub fn read(path: &Path) -> Result<Self, PlanError> {
        let text = std::fs::read_to_string(path).map_err(|e| PlanError::Traffic {
            path: path.to_path_buf(),
            reason: format!("cannot read it: {e}"),
        })?;
        let bad = |reason: String| PlanError::Traffic {
            path: path.to_path_buf(),
            reason,
        };
        let (samples, series) = if text.trim_start().starts_with('{') {
            prometheus(&text).map_err(bad)?
        } else {
            (csv_samples(&text).map_err(bad)?, 1)
        };
        regularize(samples, series).map_err(bad)
    }
}

/// One sample: (Unix seconds, rate, where it came from for messages).
type Sample = (i64, f64, String);

/// A timestamp: RFC 3339, `YYYY-MM-DD HH:MM[:SS]` (UTC), or Unix seconds.
pub fn parse_time(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(secs) = s.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then_some(secs.round() as i64);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp());
    }
    ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .map(|t| t.and_utc().timestamp())
}

/// A Unix time as `YYYY-MM-DD HH:MM` UTC.
pub fn format_time(t: i64) -> String {
    DateTime::<Utc>::from_timestamp(t, 0)
        .map_or_else(|| t.to_string(), |d| d.format("%Y-%m-%d %H:%M").to_string())
}

fn rate(cell: &str) -> Result<f64, String> {
    match cell.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!("rps '{}' is not a finite rate ≥ 0", cell.trim())),
    }
}

fn csv_samples(text: &str) -> Result<Vec<Sample>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let cells: Vec<&str> = line.split(',').collect();
        if cells.len() != 2 {
            return Err(format!(
                "line {line_no}: expected 2 columns (timestamp,rps), found {}",
                cells.len()
            ));
        }
        let Some(t) = parse_time(cells[0]) else {
            if out.is_empty() && cells[1].trim().parse::<f64>().is_err() {
                continue; // the header
            }
            return Err(format!(
                "line {line_no}: timestamp '{}' is not RFC 3339, 'YYYY-MM-DD HH:MM:SS' or Unix seconds",
                cells[0].trim()
            ));
        };
        let v = rate(cells[1]).map_err(|e| format!("line {line_no}: {e}"))?;
        out.push((t, v, format!("line {line_no}")));
    }
    Ok(out)
}

#[derive(Deserialize)]
struct PromResponse {
    status: String,
    #[serde(default)]
    error: Option<String>,
    data: Option<PromData>,
}

#[derive(Deserialize)]
struct PromData {
    #[serde(rename = "resultType")]
    result_type: String,
    result: Vec<PromSeries>,
}

#[derive(Deserialize)]
struct PromSeries {
    values: Vec<(f64, String)>,
}

/// A Prometheus `query_range` response: the samples of every series, summed per time.
fn prometheus(text: &str) -> Result<(Vec<Sample>, usize), String> {
    let r: PromResponse = serde_json::from_str(text)
        .map_err(|e| format!("not a Prometheus query_range response: {e}"))?;
    if r.status != "success" {
        return Err(format!(
            "the Prometheus response has status '{}'{}",
            r.status,
            r.error.map_or(String::new(), |e| format!(": {e}"))
        ));
    }
    let data = r.data.ok_or("the Prometheus response has no data")?;
    if data.result_type != "matrix" {
        return Err(format!(
            "resultType is '{}'; a range query (query_range) returns 'matrix'",
            data.result_type
        ));
    }
    let mut by_time = std::collections::BTreeMap::<i64, f64>::new();
    for (k, s) in data.result.iter().enumerate() {
        for (j, (t, v)) in s.values.iter().enumerate() {
            let v = rate(v).map_err(|e| format!("series {k}, value {j}: {e}"))?;
            *by_time.entry(t.round() as i64).or_insert(0.0) += v;
        }
    }
    let samples = by_time
        .into_iter()
        .map(|(t, v)| (t, v, format!("time {t}")))
        .collect();
    Ok((samples, data.result.len()))
}

/// Sorted-order check, duplicates averaged, the step, gaps filled.
fn regularize(samples: Vec<Sample>, series: usize) -> Result<Traffic, String> {
    let mut repairs = Repairs {
        series_summed: if series > 1 { series } else { 0 },
        ..Repairs::default()
    };
    // (time, sum of its values, how many, where the first came from)
    let mut merged: Vec<(i64, f64, usize, &str)> = Vec::with_capacity(samples.len());
    for (t, v, at) in &samples {
        match merged.last_mut() {
            Some(last) if *t < last.0 => {
                return Err(format!(
                    "not sorted: {at} ({}) comes before the previous timestamp ({}); sort the file by time",
                    format_time(*t),
                    format_time(last.0)
                ))
            }
            Some(last) if *t == last.0 => {
                last.1 += v;
                last.2 += 1;
                if last.2 == 2 {
                    repairs.duplicates += 1;
                }
            }
            _ => merged.push((*t, *v, 1, at)),
        }
    }
    if merged.len() < MIN_POINTS {
        return Err(format!(
            "{} distinct timestamps; a plan needs at least {MIN_POINTS}",
            merged.len()
        ));
    }
    let mut diffs: Vec<i64> = merged.windows(2).map(|w| w[1].0 - w[0].0).collect();
    diffs.sort_unstable();
    let step = diffs[diffs.len() / 2];
    if step > 86_400 {
        return Err(format!(
            "the step is {step} s; a plan needs a step of a day or less"
        ));
    }
    let mut values: Vec<Option<f64>> = Vec::new();
    for (i, (t, v, n, at)) in merged.iter().enumerate() {
        if i > 0 {
            let d = t - merged[i - 1].0;
            if d % step != 0 {
                return Err(format!(
                    "irregular: {} is {d} s after the previous timestamp, not a multiple of the step ({step} s)",
                    at
                ));
            }
            let missing = (d / step - 1) as usize;
            if missing > 0 {
                if d - step > MAX_GAP_S {
                    return Err(format!(
                        "a gap of {:.1} h before {} is too long to fill (at most 24 h)",
                        (d - step) as f64 / 3600.0,
                        format_time(*t)
                    ));
                }
                repairs.gaps += 1;
                repairs.filled += missing;
                values.extend(std::iter::repeat_n(None, missing));
            }
        }
        values.push(Some(v / *n as f64));
    }
    if repairs.filled as f64 > MAX_FILLED * values.len() as f64 {
        return Err(format!(
            "{} of {} steps are missing; at most {:.0}% can be filled",
            repairs.filled,
            values.len(),
            MAX_FILLED * 100.0
        ));
    }
    Ok(Traffic {
        start: merged[0].0,
        step_s: step,
        values: fill(&values, step),
        repairs,
    })
}

/// Missing steps take the value a week earlier, else a day earlier, else the line
/// between their neighbours.
fn fill(values: &[Option<f64>], step: i64) -> Vec<f64> {
    let lags: Vec<usize> = [7 * 86_400, 86_400]
        .iter()
        .filter(|s| *s % step == 0)
        .map(|s| (s / step) as usize)
        .collect();
    let mut out: Vec<f64> = Vec::with_capacity(values.len());
    for (i, v) in values.iter().enumerate() {
        let filled = v.or_else(|| {
            lags.iter()
                .find(|l| i >= **l && values[i - **l].is_some())
                .map(|l| out[i - l])
        });
        out.push(filled.unwrap_or_else(|| {
            let prev = out[i - 1]; // the first sample is never missing
            let (j, next) = values[i..]
                .iter()
                .enumerate()
                .find_map(|(k, v)| v.map(|v| (k, v)))
                .unwrap_or((1, prev));
            prev + (next - prev) / (j + 1) as f64
        }));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(rows: &[(i64, f64)]) -> String {
        let mut s = String::from("timestamp,rps\n");
        for (t, v) in rows {
            s.push_str(&format!("{t},{v}\n"));
        }
        s
    }

    fn read_text(text: &str) -> Result<Traffic, String> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.csv");
        std::fs::write(&p, text).unwrap();
        Traffic::read(&p).map_err(|e| e.to_string())
    }

    #[test]
    fn duplicates_are_averaged_and_gaps_filled() {
        let mut rows: Vec<(i64, f64)> = (0..48).map(|i| (i * 3600, i as f64)).collect();
        rows.insert(5, (4 * 3600, 6.0)); // duplicate of hour 4 (value 4): mean 5
        rows.retain(|r| r.0 != 30 * 3600 && r.0 != 31 * 3600); // a 2-hour gap
        let t = read_text(&csv(&rows)).unwrap();
        assert_eq!(t.step_s, 3600);
        assert_eq!(t.values.len(), 48);
        assert_eq!(t.values[4], 5.0);
        // Hours 30 and 31 come from a day earlier (6 and 7).
        assert_eq!((t.values[30], t.values[31]), (6.0, 7.0));
        assert_eq!(
            t.repairs,
            Repairs {
                duplicates: 1,
                gaps: 1,
                filled: 2,
                series_summed: 0
            }
        );
    }

    #[test]
    fn a_gap_without_history_is_a_line() {
        let mut rows: Vec<(i64, f64)> = (0..30).map(|i| (i * 60, 10.0)).collect();
        rows[3].1 = 10.0;
        rows.retain(|r| r.0 != 4 * 60 && r.0 != 5 * 60);
        rows[4].1 = 40.0; // minute 6
        let t = read_text(&csv(&rows)).unwrap();
        assert_eq!((t.values[4], t.values[5], t.values[6]), (20.0, 30.0, 40.0));
    }

    #[test]
    fn timestamps_in_several_forms() {
        assert_eq!(parse_time("2023-04-01T00:00:00Z"), Some(1_680_307_200));
        assert_eq!(parse_time("2023-04-01 00:00:00"), Some(1_680_307_200));
        assert_eq!(parse_time("2023-04-01T02:00:00+02:00"), Some(1_680_307_200));
        assert_eq!(parse_time("1680307200"), Some(1_680_307_200));
        assert_eq!(parse_time("yesterday"), None);
        assert_eq!(format_time(1_680_307_200), "2023-04-01 00:00");
    }

    #[test]
    fn prometheus_series_are_summed() {
        let values = |k: f64| -> String {
            (0..30)
                .map(|i| format!("[{}, \"{}\"]", 1_700_000_000 + i * 60, k * i as f64))
                .collect::<Vec<_>>()
                .join(",")
        };
        let body = format!(
            r#"{{"status":"success","data":{{"resultType":"matrix","result":[{{"metric":{{"pod":"a"}},"values":[{}]}},{{"metric":{{"pod":"b"}},"values":[{}]}}]}}}}"#,
            values(1.0),
            values(2.0)
        );
        let t = read_text(&body).unwrap();
        assert_eq!((t.step_s, t.values.len()), (60, 30));
        assert_eq!(t.values[10], 30.0);
        assert_eq!(t.repairs.series_summed, 2);
    }

    #[test]
    fn what_cannot_be_repaired_is_refused() {
        let hourly: Vec<(i64, f64)> = (0..48).map(|i| (i * 3600, 1.0)).collect();
        let cases: Vec<(String, &str)> = vec![
            ("timestamp,rps\n".into(), "0 distinct timestamps"),
            (
                {
                    let mut r = hourly.clone();
                    r.swap(10, 11);
                    csv(&r)
                },
                "not sorted: line 13",
            ),
            (
                {
                    let mut r = hourly.clone();
                    r[20].0 += 600;
                    csv(&r)
                },
                "irregular: line 22",
            ),
            (
                {
                    let mut r: Vec<(i64, f64)> = (0..60).map(|i| (i * 3600, 1.0)).collect();
                    r.retain(|x| !(10 * 3600..=36 * 3600).contains(&x.0));
                    csv(&r)
                },
                "too long to fill",
            ),
            (
                {
                    let mut r: Vec<(i64, f64)> = (0..48).map(|i| (i * 3600, 1.0)).collect();
                    r.retain(|x| x.0 % (5 * 3600) != 0 || x.0 == 0);
                    csv(&r)
                },
                "steps are missing",
            ),
            (
                csv(&hourly)
                    .replace("\n5,", "\nfive,")
                    .replace("18000,1", "18000,-1"),
                "line 7: rps '-1'",
            ),
            (
                "timestamp,rps\n2023-04-01,1,2\n".into(),
                "line 2: expected 2 columns",
            ),
            ("timestamp,rps\nsoon,1\n".into(), "line 2: timestamp 'soon'"),
            (
                r#"{"status":"error","error":"bad query"}"#.into(),
                "status 'error': bad query",
            ),
            (
                r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#.into(),
                "resultType is 'vector'",
            ),
            ("{".into(), "not a Prometheus query_range response"),
        ];
        for (text, want) in cases {
            let e = read_text(&text).unwrap_err();
            assert!(e.contains(want), "{want:?} not in {e:?}");
            assert!(e.contains("t.csv") && !e.contains('\n'), "{e}");
        }
    }
}
