//! `report.html`: one self-contained page (inline CSS and SVG, no scripts, nothing
//! fetched): a header, the points table, then each plugin's section under its heading;
//! a missing section says why. The helpers here ([`esc`], [`table`], [`figure`]) are
//! what plugins build their sections with.

use std::fmt::Write;

use super::charts::Chart;
use super::{load_label, Report};

const STYLE: &str = "body{font-family:sans-serif;margin:2em auto;max-width:1100px;color:#222}\
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}\
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}td,th{border:1px solid #ddd;padding:.25em .5em;text-align:right}\
th{background:#f4f4f4}td.l,th.l{text-align:left}.missing{color:#8a6d3b;background:#fcf8e3;padding:.5em;border-radius:4px}\
.pass{color:#2a7a2a}.fail{color:#b52020;font-weight:bold}.critical{color:#b52020;font-weight:bold}.warning{color:#c77700}\
.advisory{color:#555}figure{margin:1em 0}figcaption{font-size:.85em;color:#555}";

/// `text` escaped for HTML text content.
pub fn esc(text: &str) -> String {
    html_escape::encode_text(text).into_owned()
}

/// The note in place of something missing: "Not available: `why`".
pub fn missing(why: &str) -> String {
    format!("<p class=\"missing\">Not available: {}</p>", esc(why))
}

/// A pass/fail mark.
pub fn verdict(pass: bool) -> String {
    if pass {
        "<span class=\"pass\">pass</span>".into()
    } else {
        "<span class=\"fail\">fail</span>".into()
    }
}

/// `chart` as an inline SVG figure with id `id` and its caption; a chart that cannot
/// be drawn says why.
pub fn figure(id: &str, chart: &Chart, caption: &str) -> String {
    match chart.svg((1000, 380)) {
        Ok(svg) => format!(
            "<figure id=\"{}\" class=\"chart\">{svg}<figcaption>{}</figcaption></figure>",
            esc(id),
            esc(caption)
        ),
        Err(why) => format!(
            "<p class=\"missing\">Chart {} not drawn: {}</p>",
            esc(id),
            esc(&why)
        ),
    }
}

/// A table: `head` is text (escaped here), cells are HTML (the caller escapes text in
/// them). The first column is left-aligned, the others right-aligned.
pub fn table(head: &[&str], rows: &[Vec<String>]) -> String {
    let mut s = String::from("<table><tr>");
    for (i, h) in head.iter().enumerate() {
        let _ = write!(
            s,
            "<th{}>{}</th>",
            if i == 0 { " class=\"l\"" } else { "" },
            esc(h)
        );
    }
    s.push_str("</tr>");
    for r in rows {
        s.push_str("<tr>");
        for (i, c) in r.iter().enumerate() {
            let _ = write!(
                s,
                "<td{}>{c}</td>",
                if i == 0 { " class=\"l\"" } else { "" }
            );
        }
        s.push_str("</tr>");
    }
    s.push_str("</table>");
    s
}

fn points_table(r: &Report) -> String {
    let rows: Vec<Vec<String>> = r
        .points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            vec![
                format!("{i}: {}", esc(&load_label(p))),
                format!("{:.1}", p.achieved_rps),
                format!("{:.1}", p.p50_us as f64 / 1e3),
                format!("{:.1}", p.p95_us as f64 / 1e3),
                format!("{:.1}", p.p99_us as f64 / 1e3),
                format!("{:.2}", p.error_rate * 100.0),
                p.requests.to_string(),
                verdict(p.slo_pass),
                if p.generator_saturated {
                    "generator-bound".into()
                } else {
                    String::new()
                },
            ]
        })
        .collect();
    table(
        &[
            "point",
            "achieved req/s",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "errors %",
            "requests",
            "SLO",
            "note",
        ],
        &rows,
    )
}

/// The page: header, points, and every section in order.
pub fn page(r: &Report) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>perf-ml report: {}</title><style>{STYLE}</style></head><body>",
        esc(&r.scenario)
    );
    let _ = write!(
        h,
        "<h1>Load test report: {}</h1><p>Results: <code>{}</code> · {} point(s) · generated {}</p>",
        esc(&r.scenario),
        esc(&r.dir),
        r.points.len(),
        esc(&r.generated_at)
    );
    let _ = write!(h, "<h2 id=\"points\">Points</h2>{}", points_table(r));
    for s in &r.sections {
        let _ = write!(
            h,
            "<section id=\"{}\"><h2>{}</h2>{}</section>",
            s.name,
            esc(s.title),
            match &s.missing {
                Some(why) => missing(why),
                None => s.html.clone(),
            }
        );
    }
    h.push_str("</body></html>\n");
    h
}
