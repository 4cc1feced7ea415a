//! `merge`: the results directories of one test's execution segments into the test's.

use anyhow::anyhow;
use perf_core::results::merge::{merge, MergeError};
use perf_core::results::{layout, read_point, read_runs};

use crate::cli::MergeArgs;
use crate::fail::{runtime, usage, Fail};
use crate::output::points_table;

/// Merges, prints the merged points' table, and exits 99 when a merged point failed an
/// SLO (as `sweep` does).
pub fn run(a: &MergeArgs) -> Result<u8, Fail> {
    let done = merge(&a.dirs, &a.out).map_err(|e| match e {
        MergeError::Results(perf_core::ResultsError::Write { .. }) => runtime(anyhow!(e)),
        other => usage(anyhow!(other)),
    })?;
    let rows = read_runs(&layout::runs_csv(&done.dir)).map_err(runtime)?;
    let details = (0..rows.len())
        .map(|i| read_point(&layout::point_json(&done.dir, i)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(runtime)?;
    println!("{}", points_table(&details));
    println!(
        "merged {} segments, {} point(s): {}",
        done.segments,
        done.points,
        done.dir.display()
    );
    Ok(if details.iter().all(|d| d.row.slo_pass) {
        0
    } else {
        crate::fail::SLO_FAILED
    })
}
