//! Reading results back: round trip, and bad files give one-line errors that name the
//! file, the line and the column.

use std::fs;

use perf_core::results::{read_point, read_runs, RUNS_COLUMNS};
use perf_core::{ResultsError, ResultsWriter};

const GOOD: &str = "20261122-api,api,open,200,100.000,3.000,99.900,300,3,0,0.010000,6771,7087,7187,11151,27903,6905.8,,,,0,1.2,45.0,4.7,false,true,true,0,2026-11-22T10:09:29Z,1024,0.1";

fn header() -> String {
    let mut h: Vec<&str> = RUNS_COLUMNS.to_vec();
    h.extend(["size", "write_ratio"]);
    h.join(",")
}

fn write(dir: &tempfile::TempDir, body: &str) -> std::path::PathBuf {
    let p = dir.path().join("runs.csv");
    fs::write(&p, body).unwrap();
    p
}

#[test]
fn reads_a_good_file_with_parameters() {
    let d = tempfile::tempdir().unwrap();
    let p = write(&d, &format!("{}\n{GOOD}\n", header()));
    let rows = read_runs(&p).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].p95_us, 7187);
    assert_eq!(rows[0].target_rps, Some(100.0));
    assert_eq!(rows[0].params.get("size"), 1024.0);
    assert!(rows[0].slo_pass && !rows[0].generator_saturated);
}

#[test]
fn results_written_before_unfinished_and_failed_durations_still_read() {
    let d = tempfile::tempdir().unwrap();
    let old_header = header()
        .replace(",unfinished,", ",")
        .replace(",fail_p50_us,fail_p95_us,fail_max_us,", ",");
    let old_row = GOOD
        .replace("300,3,0,0.010000", "300,3,0.010000")
        .replace("6905.8,,,,0", "6905.8,0");
    let p = write(&d, &format!("{old_header}\n{old_row}\n"));
    let rows = read_runs(&p).unwrap();
    assert_eq!((rows[0].failures, rows[0].unfinished), (3, 0));
    assert_eq!(rows[0].fail_p95_us, None);
    // Failed requests' durations, when there were failures.
    let with_fail = GOOD.replace("6905.8,,,,0", "6905.8,900,1200,1500,0");
    let p = write(&d, &format!("{}\n{with_fail}\n", header()));
    let rows = read_runs(&p).unwrap();
    assert_eq!(
        (
            rows[0].fail_p50_us,
            rows[0].fail_p95_us,
            rows[0].fail_max_us
        ),
        (Some(900), Some(1200), Some(1500))
    );
    assert_eq!(
        rows[0].params.get("size"),
        1024.0,
        "not taken for a parameter"
    );
}

#[test]
fn a_row_cut_off_while_written_is_left_out_and_the_whole_rows_stay() {
    let d = tempfile::tempdir().unwrap();
    let cut = &GOOD[..GOOD.len() / 2];
    let p = write(&d, &format!("{}\n{GOOD}\n{cut}", header()));
    let rows = read_runs(&p).unwrap();
    assert_eq!(rows.len(), 1);
    // A last line without its newline but whole is a row.
    let p = write(&d, &format!("{}\n{GOOD}\n{GOOD}", header()));
    assert_eq!(read_runs(&p).unwrap().len(), 2);
    // Cut inside the header: nothing to read, one line saying so.
    let p = write(&d, &header()[..40]);
    assert!(read_runs(&p).is_err());
}

fn err(body: String) -> String {
    let d = tempfile::tempdir().unwrap();
    let p = write(&d, &body);
    let e = read_runs(&p).unwrap_err().to_string();
    assert!(e.contains("runs.csv"), "names the file: {e}");
    assert_eq!(e.lines().count(), 1, "one line: {e}");
    e
}

#[test]
fn bad_files_name_file_line_and_column() {
    let h = header();
    let e = err(format!("{h}\n{}\n", GOOD.replace(",7187,", ",fast,")));
    assert!(
        e.contains(":2:") && e.contains("'p95_us' (column 14)") && e.contains("got 'fast'"),
        "{e}"
    );
    let e = err(format!(
        "{h}\n{GOOD}\n{}\n",
        GOOD.replace(",99.900,", ",NaN,")
    ));
    assert!(
        e.contains(":3:") && e.contains("achieved_rps") && e.contains("finite"),
        "{e}"
    );
    let e = err(format!("{h}\n{}\n", GOOD.replace(",99.900,", ",inf,")));
    assert!(e.contains("finite"), "{e}");
    let e = err(format!("{}\n{GOOD}\n", h.replace("p99_us,", "")));
    assert!(e.contains("missing column 'p99_us'"), "{e}");
    let e = err(String::new());
    assert!(e.contains("no load points"), "{e}");
    let e = err(format!("{h}\n"));
    assert!(e.contains("no load points"), "{e}");
    let e = err(format!("{h}\n{GOOD},extra\n"));
    assert!(e.contains(":2") && e.contains("malformed"), "{e}");
    let e = err(format!("{h}\n{}\n", GOOD.replace(",open,", ",ajar,")));
    assert!(e.contains("expected open or closed"), "{e}");
    let e = err(format!("{h}\n{}\n", GOOD.replace(",1024,0.1", ",1024,x")));
    assert!(e.contains("write_ratio"), "{e}");
    let missing = read_runs(std::path::Path::new("/nonexistent/runs.csv")).unwrap_err();
    assert!(matches!(missing, ResultsError::Read { .. }));
}

#[test]
fn unwritable_output_is_an_error_not_a_panic() {
    let d = tempfile::tempdir().unwrap();
    let file = d.path().join("a-file");
    fs::write(&file, "x").unwrap();
    let e = ResultsWriter::create(&file, "run", vec![]).unwrap_err();
    assert!(e.to_string().starts_with("cannot write results to"), "{e}");
    let bad = d.path().join("points.json");
    fs::write(&bad, "{not json").unwrap();
    assert!(read_point(&bad)
        .unwrap_err()
        .to_string()
        .contains("invalid JSON"));
}

#[test]
fn timeline_reads_back_and_bad_cells_name_line_and_column() {
    use perf_core::results::{read_timeline, TIMELINE_COLUMNS};
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("timeline.csv");
    let h = TIMELINE_COLUMNS.join(",");
    fs::write(
        &p,
        format!("{h}\n0,0,get item,30,1,5100,5900,6100,7000\n0,0,ALL,80,1,5000,6000,6200,9000\n"),
    )
    .unwrap();
    let rows = read_timeline(&p).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (
            rows[0].point,
            rows[0].row.endpoint.as_str(),
            rows[0].row.p95_us
        ),
        (0, "get item", 5900)
    );
    fs::write(&p, format!("{h}\n")).unwrap();
    assert!(
        read_timeline(&p).unwrap().is_empty(),
        "a header alone is an empty timeline"
    );
    fs::write(&p, format!("{h}\n0,0,ALL,80,1,5000,-3,6200,9000\n")).unwrap();
    let e = read_timeline(&p).unwrap_err().to_string();
    assert!(
        e.contains("timeline.csv:2:")
            && e.contains("'p95_us' (column 7)")
            && e.contains("got '-3'"),
        "{e}"
    );
    fs::write(&p, "point,second\n0,1\n").unwrap();
    let e = read_timeline(&p).unwrap_err().to_string();
    assert!(e.contains("missing column 'endpoint'"), "{e}");
}
