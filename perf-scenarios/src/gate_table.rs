//! The gate's table and verdict line, shared by `gate` (baseline file or A/B) and
//! `compare`.

use perf_ml::gate::{Finding, GateReport};

use crate::fail::SLO_FAILED;

/// Prints the table and the verdict; the exit code.
pub(crate) fn conclude(r: &GateReport, reference: &str) -> u8 {
    print!("{}", table(r));
    for n in &r.notes {
        println!("note: {n}");
    }
    println!("method: {}", r.method);
    let failed: Vec<&Finding> = r.regressions().collect();
    let primary = r.findings.iter().filter(|f| f.primary).count();
    if failed.is_empty() {
        println!(
            "gate: PASS against {reference} ({primary} primary of {} comparisons)",
            r.findings.len()
        );
        0
    } else {
        println!(
            "gate: FAIL against {reference}: {} regression(s) in {primary} primary of {} comparisons",
            failed.len(),
            r.findings.len()
        );
        SLO_FAILED
    }
}

fn value(f: &Finding, v: f64) -> String {
    match (f.metric, v.is_nan()) {
        (_, true) => "-".into(),
        ("error rate", _) => format!("{:.2}%", v * 100.0),
        _ => format!("{:.2} ms", v / 1000.0),
    }
}

fn change(f: &Finding) -> String {
    if f.change.is_nan() {
        return "-".into();
    }
    if f.metric == "error rate" {
        format!(
            "{:+.2} pt [{:+.2}, {:+.2}]",
            f.change * 100.0,
            f.ci.0 * 100.0,
            f.ci.1 * 100.0
        )
    } else {
        format!(
            "{:+.1}% [{:+.1}, {:+.1}]",
            f.change * 100.0,
            f.ci.0 * 100.0,
            f.ci.1 * 100.0
        )
    }
}

fn verdict(f: &Finding) -> String {
    let word = f.verdict.word();
    if f.primary {
        word.to_string()
    } else {
        format!("{word} (secondary)")
    }
}

/// The table: point × endpoint × metric.
pub fn table(r: &GateReport) -> String {
    let mut rows = vec![[
        "point".to_string(),
        "endpoint".into(),
        "metric".into(),
        "runs".into(),
        "baseline".into(),
        "current".into(),
        "change [95% CI]".into(),
        "p".into(),
        "p (Holm)".into(),
        "verdict".into(),
    ]];
    let p = |v: f64| {
        if v.is_nan() {
            "-".into()
        } else {
            format!("{v:.4}")
        }
    };
    for f in &r.findings {
        rows.push([
            f.point.to_string(),
            f.endpoint.clone(),
            f.metric.to_string(),
            format!("{}/{}", f.runs.0, f.runs.1),
            value(f, f.baseline),
            value(f, f.current),
            change(f),
            p(f.p_value),
            p(f.p_adjusted),
            verdict(f),
        ]);
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    let mut last_point = None;
    for (i, row) in rows.iter().enumerate() {
        if i > 0 && last_point != Some(&row[0]) {
            let f = &r.findings[i - 1];
            out.push_str(&format!("point {}: {}\n", f.point, f.config));
            last_point = Some(&row[0]);
        }
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use perf_ml::gate::Verdict;

    #[test]
    fn regressions_are_marked_in_the_table() {
        let f = Finding {
            point: 0,
            config: "open 100 req/s for 12 s, no parameters".into(),
            endpoint: "ALL".into(),
            metric: "p95",
            runs: (5, 5),
            baseline: 5500.0,
            current: 6800.0,
            change: 0.236,
            ci: (0.18, 0.29),
            p_value: 0.004,
            p_adjusted: 0.024,
            primary: true,
            verdict: Verdict::Regressed,
        };
        let r = GateReport {
            method: "m".into(),
            findings: vec![f.clone()],
            notes: vec![],
        };
        let t = table(&r);
        assert!(t.contains("5/5") && t.contains("0.0240"), "{t}");
        assert!(t.contains("point 0: open 100 req/s"), "{t}");
        assert!(
            t.contains("5.50 ms") && t.contains("+23.6% [+18.0, +29.0]") && t.contains("REGRESSED"),
            "{t}"
        );
        assert_eq!(conclude(&r, "x"), SLO_FAILED);
        // A secondary regression is shown but does not fail.
        let r = GateReport {
            findings: vec![Finding {
                primary: false,
                ..f
            }],
            ..r
        };
        assert!(table(&r).contains("REGRESSED (secondary)"));
        assert_eq!(conclude(&r, "x"), 0);
    }
}
