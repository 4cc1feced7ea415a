//! One test's execution segments ([`crate::segment`]), each a results directory of its
//! own, merged into the test's results directory in the same contract ([`merge`]):
//! requests and failures summed, latency histograms added ([`crate::hdr`]) so that
//! percentiles are those of all requests, SLOs judged again on the merged data,
//! resources kept per segment, and a point complete only if every segment's was.
//! Directories that are not the segments of one test are refused before anything is
//! written ([`MergeError`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{layout, read_histograms, read_point, read_runs, ResultsError, ResultsWriter};
use crate::hdr::{PointHistograms, SecondHistograms, StoredAcc};
use crate::measured::Measured;
use crate::record::{timeline_rows, Acc};
use crate::segment::Segment;
use crate::summary::{PointDetail, TimelineRow};

/// The directories cannot be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// A segment's file cannot be read, or the merged directory cannot be written.
    #[error(transparent)]
    Results(#[from] ResultsError),
    /// No directory was given.
    #[error("no segment directories to merge")]
    NoDirs,
    /// A directory was not run as a segment.
    #[error("{0}: not an execution segment (run with --segment I/N or --segments N)")]
    NotASegment(PathBuf),
    /// The directories disagree on what the test was.
    #[error("{dir}: {what} differs from {first}'s ({theirs} vs {ours}): not segments of one test")]
    Mismatch {
        /// The directory that differs.
        dir: PathBuf,
        /// The first directory.
        first: PathBuf,
        /// What differs.
        what: &'static str,
        /// The first directory's value.
        theirs: String,
        /// This directory's value.
        ours: String,
    },
    /// Two directories are the same segment.
    #[error("segment {segment} is given twice: {a} and {b}")]
    Duplicate {
        /// The segment.
        segment: Segment,
        /// One directory.
        a: PathBuf,
        /// The other.
        b: PathBuf,
    },
    /// A segment of the test is not among the directories.
    #[error("segment {missing} of the test is missing (given: {given})")]
    Missing {
        /// The first missing segment.
        missing: Segment,
        /// The segments given.
        given: String,
    },
    /// A point's histograms are absent (results written before they were stored).
    #[error("{0}: no histograms to merge (recorded by a version before 0.1's segments)")]
    NoHistograms(PathBuf),
    /// The output directory exists and is not empty.
    #[error("{0}: already exists and is not empty (nothing is overwritten)")]
    OutExists(PathBuf),
}

/// One segment's results: its directory, segment and points.
struct SegmentDir {
    dir: PathBuf,
    segment: Segment,
    points: Vec<(PointDetail, PointHistograms)>,
}

fn read_segment(dir: &Path) -> Result<SegmentDir, MergeError> {
    let rows = read_runs(&layout::runs_csv(dir))?;
    let mut points = Vec::new();
    for index in 0..rows.len() {
        let detail = read_point(&layout::point_json(dir, index))?;
        let hist_path = layout::point_histograms(dir, index);
        if !hist_path.exists() {
            return Err(MergeError::NoHistograms(hist_path));
        }
        points.push((detail, read_histograms(&hist_path)?));
    }
    let segment = points
        .first()
        .and_then(|(d, _)| d.segment)
        .ok_or_else(|| MergeError::NotASegment(dir.to_path_buf()))?;
    Ok(SegmentDir {
        dir: dir.to_path_buf(),
        segment,
        points,
    })
}

/// Checks that the directories are every segment of one test, each once.
fn check(segs: &[SegmentDir]) -> Result<(), MergeError> {
    let first = &segs[0];
    fn head(s: &SegmentDir) -> &PointDetail {
        &s.points[0].0
    }
    for s in &segs[1..] {
        let differ = |what: &'static str, theirs: String, ours: String| {
            (theirs != ours).then(|| MergeError::Mismatch {
                dir: s.dir.clone(),
                first: first.dir.clone(),
                what,
                theirs,
                ours,
            })
        };
        let checks = [
            (
                "the scenario",
                head(first).row.scenario.clone(),
                head(s).row.scenario.clone(),
            ),
            (
                "the number of segments",
                first.segment.count.to_string(),
                s.segment.count.to_string(),
            ),
            (
                "the number of points",
                first.points.len().to_string(),
                s.points.len().to_string(),
            ),
        ];
        if let Some(e) = checks.into_iter().find_map(|(w, a, b)| differ(w, a, b)) {
            return Err(e);
        }
        for ((a, _), (b, _)) in first.points.iter().zip(&s.points) {
            let checks = [
                ("a point's load", json(&a.config), json(&b.config)),
                ("a point's SLOs", json(&slos(a)), json(&slos(b))),
                (
                    "a point's segment count",
                    json(&a.segment.map(|x| x.count)),
                    json(&b.segment.map(|x| x.count)),
                ),
            ];
            if let Some(e) = checks.into_iter().find_map(|(w, a, b)| differ(w, a, b)) {
                return Err(e);
            }
        }
    }
    let mut seen: BTreeMap<u32, &Path> = BTreeMap::new();
    for s in segs {
        if let Some(other) = seen.insert(s.segment.index, &s.dir) {
            return Err(MergeError::Duplicate {
                segment: s.segment,
                a: other.to_path_buf(),
                b: s.dir.clone(),
            });
        }
    }
    let count = first.segment.count;
    if let Some(missing) = (0..count).find(|i| !seen.contains_key(i)) {
        return Err(MergeError::Missing {
            missing: Segment {
                index: missing,
                count,
            },
            given: seen
                .keys()
                .map(|i| format!("{i}/{count}"))
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    Ok(())
}

fn slos(d: &PointDetail) -> Vec<crate::slo::Slo> {
    d.slo.iter().map(|v| v.slo.clone()).collect()
}

/// A value as JSON, to compare and to show.
fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// Accumulators rebuilt from stored histograms and merged, per endpoint.
fn merged<'a>(
    stored: impl IntoIterator<Item = &'a StoredAcc>,
    path: &Path,
) -> Result<BTreeMap<String, Acc>, MergeError> {
    let mut out: BTreeMap<String, Acc> = BTreeMap::new();
    for s in stored {
        let acc = Acc::from_stored(s).map_err(|e| {
            MergeError::Results(ResultsError::Histogram {
                path: path.to_path_buf(),
                source: e,
            })
        })?;
        match out.get_mut(&s.endpoint) {
            Some(m) => m.merge(&acc),
            None => {
                out.insert(s.endpoint.clone(), acc);
            }
        }
    }
    Ok(out)
}

/// What [`merge`] wrote.
#[derive(Debug)]
pub struct Merged {
    /// The merged results directory.
    pub dir: PathBuf,
    /// Segments merged.
    pub segments: u32,
    /// Points merged.
    pub points: usize,
}

/// Merges the segment directories `dirs` (in any order) into the results directory
/// `out`, which must not exist or be empty.
pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<Merged, MergeError> {
    let mut segs = dirs
        .iter()
        .map(|d| read_segment(d))
        .collect::<Result<Vec<_>, _>>()?;
    if segs.is_empty() {
        return Err(MergeError::NoDirs);
    }
    check(&segs)?;
    segs.sort_by_key(|s| s.segment.index);
    if out.exists()
        && std::fs::read_dir(out)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(MergeError::OutExists(out.to_path_buf()));
    }
    let run_id = out.file_name().map_or_else(
        || "merged".to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let parent = out.parent().unwrap_or(Path::new("."));
    let params: Vec<String> = segs[0].points[0]
        .0
        .row
        .params
        .iter()
        .map(|(n, _)| n.to_string())
        .collect();
    let mut writer = ResultsWriter::create(parent, &run_id, params)?;
    let n_points = segs[0].points.len();
    for index in 0..n_points {
        let parts: Vec<&(PointDetail, PointHistograms)> =
            segs.iter().map(|s| &s.points[index]).collect();
        let (detail, timeline, hists) = merge_point(
            &parts,
            &run_id,
            &layout::point_histograms(&segs[0].dir, index),
        )?;
        writer.write_point(&detail, &timeline, &hists)?;
    }
    Ok(Merged {
        dir: writer.dir().to_path_buf(),
        segments: segs[0].segment.count,
        points: n_points,
    })
}

/// One point of every segment (in segment order) merged.
fn merge_point(
    parts: &[&(PointDetail, PointHistograms)],
    run_id: &str,
    path: &Path,
) -> Result<(PointDetail, Vec<TimelineRow>, PointHistograms), MergeError> {
    let details: Vec<&PointDetail> = parts.iter().map(|(d, _)| d).collect();
    let point = merged(parts.iter().flat_map(|(_, h)| &h.point), path)?;
    let secs = details.iter().map(|d| d.row.duration_s).fold(0.0, f64::max);
    // Seconds by their index since each segment's window opened (aligned by --start-at).
    let mut by_second: BTreeMap<u64, Vec<&StoredAcc>> = BTreeMap::new();
    for (_, h) in parts {
        for s in &h.seconds {
            by_second.entry(s.second).or_default().extend(&s.endpoints);
        }
    }
    let mut timeline = Vec::new();
    let mut seconds = Vec::new();
    for (sec, stored) in by_second {
        let accs = merged(stored, path)?;
        timeline.extend(timeline_rows(sec, &accs));
        seconds.push(SecondHistograms {
            second: sec,
            endpoints: accs.iter().map(|(n, a)| a.to_stored(n)).collect(),
        });
    }
    let hists = PointHistograms::new(point.iter().map(|(n, a)| a.to_stored(n)).collect(), seconds);
    let measured = Measured::new(point, secs.max(1e-9));
    let (endpoints, all) = measured.summaries();
    let slo: Vec<_> = slos(details[0])
        .iter()
        .map(|s| s.evaluate(&measured))
        .collect();
    let sum = |f: fn(&PointDetail) -> u64| details.iter().map(|d| f(d)).sum::<u64>();
    let max_of =
        |f: fn(&PointDetail) -> Option<f64>| details.iter().filter_map(|d| f(d)).reduce(f64::max);
    let scheduled = sum(|d| d.scheduled_iterations);
    let finished = all.requests - all.unfinished;
    let not_passed = (finished == 0 && (scheduled > 0 || all.requests > 0)).then(|| {
        format!(
            "no request finished in any of the {} segments",
            details.len()
        )
    });
    let complete = details.iter().all(|d| d.row.complete);
    let saturation: Vec<String> = details
        .iter()
        .flat_map(|d| {
            let seg = d.segment.unwrap_or_default();
            d.saturation
                .iter()
                .map(move |s| format!("segment {seg}: {s}"))
        })
        .collect();
    let slo_pass = slo.iter().all(|v| v.pass) && not_passed.is_none();
    let first = details[0];
    let rates: Vec<f64> = details.iter().filter_map(|d| d.row.target_rps).collect();
    let row = crate::summary::PointRow {
        run_id: run_id.to_string(),
        users: sum(|d| d.row.users),
        target_rps: (!rates.is_empty()).then(|| rates.iter().sum()),
        duration_s: secs,
        dropped_iterations: sum(|d| d.row.dropped_iterations),
        // Each segment's generator is its own; the target is the same one.
        sut_cpu_pct: max_of(|d| d.row.sut_cpu_pct),
        sut_rss_mb: max_of(|d| d.row.sut_rss_mb),
        gen_cpu_pct: max_of(|d| Some(d.row.gen_cpu_pct)).unwrap_or(0.0),
        generator_saturated: !saturation.is_empty(),
        slo_pass,
        complete,
        ..first.row.clone()
    }
    .with_aggregate(&all);
    let resources = details
        .iter()
        .flat_map(|d| {
            let seg = d.segment.map(|s| s.index);
            d.resources
                .iter()
                .map(move |r| crate::summary::ResourceSample {
                    segment: seg,
                    ..r.clone()
                })
        })
        .collect();
    let ended: Vec<String> = details
        .iter()
        .filter(|d| d.ended != "completed")
        .map(|d| format!("segment {}: {}", d.segment.unwrap_or_default(), d.ended))
        .collect();
    let detail = PointDetail {
        row,
        endpoints,
        all,
        slo,
        saturation,
        scheduled_iterations: scheduled,
        not_passed,
        gen_lag_ms: max_of(|d| d.gen_lag_ms),
        resources,
        started_at: details
            .iter()
            .map(|d| d.started_at.clone())
            .min()
            .unwrap_or_default(),
        ended: if ended.is_empty() {
            "completed".to_string()
        } else {
            ended.join("; ")
        },
        segment: None,
        first_request_at: details
            .iter()
            .filter_map(|d| d.first_request_at.clone())
            .min(),
        merged_segments: Some(details.len() as u32),
        ..first.clone()
    };
    Ok((detail, timeline, hists))
}
