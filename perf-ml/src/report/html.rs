//! `report.html`: one self-contained page (inline CSS and SVG, no scripts, nothing
//! fetched) with a section per analysis; a missing section says why.

use std::fmt::Write;

use html_escape::encode_text as esc;

use super::charts::{Chart, Series};
use super::{Report, Section};
use crate::analyze::anomaly::Severity;

const STYLE: &str = "body{font-family:sans-serif;margin:2em auto;max-width:1100px;color:#222}\
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}\
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}td,th{border:1px solid #ddd;padding:.25em .5em;text-align:right}\
th{background:#f4f4f4}td.l,th.l{text-align:left}.missing{color:#8a6d3b;background:#fcf8e3;padding:.5em;border-radius:4px}\
.pass{color:#2a7a2a}.fail{color:#b52020;font-weight:bold}.critical{color:#b52020;font-weight:bold}.warning{color:#c77700}\
.advisory{color:#555}figure{margin:1em 0}figcaption{font-size:.85em;color:#555}";

fn missing<T>(s: &Section<T>) -> String {
    format!(
        "<p class=\"missing\">Not available: {}</p>",
        esc(s.missing.as_deref().unwrap_or("unknown reason"))
    )
}

fn figure(id: &str, chart: &Chart, caption: &str) -> String {
    match chart.svg((1000, 380)) {
        Ok(svg) => format!(
            "<figure id=\"{id}\" class=\"chart\">{svg}<figcaption>{}</figcaption></figure>",
            esc(caption)
        ),
        Err(why) => format!(
            "<p class=\"missing\">Chart {} not drawn: {}</p>",
            esc(id),
            esc(&why)
        ),
    }
}

fn table(head: &[&str], rows: &[Vec<String>]) -> String {
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
            // Cells are escaped by the caller where they hold text; class markers are ours.
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

fn load(r: &perf_core::PointRow) -> f64 {
    r.target_rps.unwrap_or(r.users as f64)
}

fn latency_chart(r: &Report) -> Chart {
    let unit = if r.points.iter().any(|p| p.target_rps.is_some()) {
        "offered load, req/s"
    } else {
        "users"
    };
    let mut c = Chart {
        title: "Latency vs load".into(),
        x_label: unit.into(),
        y_label: "latency, ms".into(),
        ..Chart::default()
    };
    c.series.push(Series {
        label: "p50 measured".into(),
        points: r
            .points
            .iter()
            .map(|p| (load(p), p.p50_us as f64 / 1e3))
            .collect(),
        markers: true,
        color: 2,
    });
    c.series.push(Series {
        label: "p95 measured".into(),
        points: r
            .points
            .iter()
            .map(|p| (load(p), p.p95_us as f64 / 1e3))
            .collect(),
        markers: true,
        color: 1,
    });
    if let Some(m) = &r.model.value {
        if m.p95_interval {
            c.band = m
                .p95_curve
                .iter()
                .map(|x| (x.0, x.2 / 1e3, x.3 / 1e3))
                .collect();
        }
        c.series.push(Series {
            label: format!("p95 model ({})", m.chosen),
            points: m.p95_curve.iter().map(|x| (x.0, x.1 / 1e3)).collect(),
            markers: false,
            color: 0,
        });
    }
    if let Some((p95, _)) = r.limits.filter(|l| l.0.is_finite()) {
        c.hlines
            .push((p95 / 1e3, format!("SLO p95 < {:.0} ms", p95 / 1e3)));
    }
    if let Some((e, lo, hi, label)) = &r.breaking_point.value {
        let top = r.points.iter().map(load).fold(*e, f64::max);
        c.spans.push((
            *lo,
            hi.min(top * 1.2),
            3,
            format!("breaking point {e:.0} ({label})"),
        ));
    }
    c
}

fn error_chart(r: &Report) -> Chart {
    let mut c = Chart {
        title: "Error rate vs load".into(),
        x_label: "offered load".into(),
        y_label: "failed requests, %".into(),
        ..Chart::default()
    };
    c.series.push(Series {
        label: "measured".into(),
        points: r
            .points
            .iter()
            .map(|p| (load(p), p.error_rate * 100.0))
            .collect(),
        markers: true,
        color: 1,
    });
    if let Some(m) = &r.model.value {
        c.series.push(Series {
            label: "failure model".into(),
            points: m.failure_curve.iter().map(|x| (x.0, x.1 * 100.0)).collect(),
            markers: false,
            color: 0,
        });
    }
    if let Some((_, e)) = r.limits.filter(|l| l.1 < 1.0) {
        c.hlines
            .push((e * 100.0, format!("SLO error rate < {:.2}%", e * 100.0)));
    }
    c
}

fn severity_color(s: Severity) -> usize {
    match s {
        Severity::Critical => 1,
        Severity::Warning => 3,
        Severity::Advisory => 5,
    }
}

/// The page.
pub fn render(r: &Report) -> String {
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

    h.push_str("<h2 id=\"recommendations\">Bottlenecks and recommendations</h2><ul>");
    for b in &r.bottlenecks {
        let _ = write!(
            h,
            "<li><b>{}</b>: {}. <i>{}</i></li>",
            esc(&format!("{:?}", b.kind)),
            esc(&b.evidence),
            esc(&b.recommendation)
        );
    }
    h.push_str("</ul>");

    h.push_str("<h2 id=\"latency\">Latency and errors vs load</h2>");
    if r.points.len() < 2 {
        let _ = write!(
            h,
            "<p class=\"missing\">One load point: the curves need at least two.</p>"
        );
    }
    let band = match &r.model.value {
        Some(m) if !m.p95_interval => format!(
            " (no 90% prediction interval: it needs at least {} training points)",
            crate::cv::conformal_minimum(crate::cv::ALPHA)
        ),
        _ => " with its 90% prediction interval".to_string(),
    };
    h.push_str(&figure("chart-latency", &latency_chart(r), &format!("Measured p50/p95 per point; the fitted p95 curve{band}; the SLO; the breaking point's interval.")));
    h.push_str(&figure(
        "chart-errors",
        &error_chart(r),
        "Measured error rate per point and the fitted failure curve.",
    ));
    if r.model.value.is_none() {
        h.push_str(&missing(&r.model));
    }
    if let Some(m) = &r.model.value {
        let _ = write!(
            h,
            "<p>Model: <code>{}</code> (version {}, {}; cross-validated p95 error {})</p>",
            esc(&m.path),
            m.version,
            esc(&m.chosen),
            m.cv_mape_p95
                .map_or("unknown".into(), |v| format!("{:.1}%", v * 100.0))
        );
        if let Some(s) = &m.stale {
            let _ = write!(h, "<p class=\"fail\">Model stale: {}</p>", esc(s));
        }
    }
    match &r.breaking_point.value {
        Some((e, lo, hi, label)) => {
            let _ = write!(
                h,
                "<p>Breaking point: <b>{e:.1} req/s</b>, {} {lo:.1} .. {hi:.1} req/s.</p>",
                esc(label)
            );
        }
        None => h.push_str(&missing(&r.breaking_point)),
    }

    h.push_str("<h2 id=\"points\">Points</h2>");
    let rows: Vec<Vec<String>> = r
        .points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            vec![
                format!(
                    "{i}: {}",
                    esc(&p
                        .target_rps
                        .map_or(format!("{} users", p.users), |x| format!("{x} req/s")))
                ),
                format!("{:.1}", p.achieved_rps),
                format!("{:.1}", p.p50_us as f64 / 1e3),
                format!("{:.1}", p.p95_us as f64 / 1e3),
                format!("{:.1}", p.p99_us as f64 / 1e3),
                format!("{:.2}", p.error_rate * 100.0),
                p.requests.to_string(),
                if p.slo_pass {
                    "<span class=\"pass\">pass</span>".into()
                } else {
                    "<span class=\"fail\">fail</span>".into()
                },
                if p.generator_saturated {
                    "generator-bound".into()
                } else {
                    String::new()
                },
            ]
        })
        .collect();
    h.push_str(&table(
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
    ));

    h.push_str("<h2 id=\"slo\">SLO verdicts</h2>");
    match &r.slo.value {
        Some(v) => {
            let rows: Vec<Vec<String>> = v
                .iter()
                .map(|(p, rule, obs, pass)| {
                    vec![
                        p.to_string(),
                        esc(rule).into(),
                        esc(obs).into(),
                        if *pass {
                            "<span class=\"pass\">pass</span>".into()
                        } else {
                            "<span class=\"fail\">fail</span>".into()
                        },
                    ]
                })
                .collect();
            h.push_str(&table(&["point", "rule", "observed", "verdict"], &rows));
        }
        None => h.push_str(&missing(&r.slo)),
    }

    h.push_str("<h2 id=\"anomalies\">Timelines and anomalies</h2>");
    match (&r.timeline.value, &r.anomalies.value) {
        (Some(tl), anomalies) => {
            let all = anomalies.clone().unwrap_or_default();
            if all.is_empty() {
                h.push_str("<p>No anomaly in any point.</p>");
            } else {
                let rows: Vec<Vec<String>> = all
                    .iter()
                    .map(|a| {
                        let sev = format!("{:?}", a.severity).to_lowercase();
                        vec![
                            a.point.to_string(),
                            format!("{} – {}", a.from_s, a.to_s),
                            format!("<span class=\"{sev}\">{sev}</span>"),
                            esc(&a.metric).into(),
                            format!("{:.1}", a.peak_z),
                            esc(&a.detectors.join(", ")).into(),
                            esc(&a.evidence).into(),
                        ]
                    })
                    .collect();
                h.push_str(&table(
                    &[
                        "point",
                        "seconds",
                        "severity",
                        "metric",
                        "peak z",
                        "detectors",
                        "evidence",
                    ],
                    &rows,
                ));
            }
            for t in tl.iter().take(12) {
                let mut c = Chart {
                    title: format!("Point {}: {} — p95 per second", t.point, t.load),
                    x_label: "second".into(),
                    y_label: "p95, ms".into(),
                    ..Chart::default()
                };
                c.series.push(Series {
                    label: "p95".into(),
                    points: t
                        .seconds
                        .iter()
                        .filter(|s| s.1 > 0)
                        .map(|s| (s.0 as f64, s.3 as f64 / 1e3))
                        .collect(),
                    markers: false,
                    color: 0,
                });
                c.series.push(Series {
                    label: "failed requests".into(),
                    points: t
                        .seconds
                        .iter()
                        .filter(|s| s.2 > 0)
                        .map(|s| (s.0 as f64, 0.0))
                        .collect(),
                    markers: true,
                    color: 1,
                });
                for a in all.iter().filter(|a| a.point == t.point) {
                    c.spans.push((
                        a.from_s as f64 - 0.5,
                        a.to_s as f64 + 0.5,
                        severity_color(a.severity),
                        format!("{:?}: {}", a.severity, a.metric),
                    ));
                }
                h.push_str(&figure(&format!("chart-timeline-{}", t.point), &c, "p95 of each second; shaded: anomalies (red critical, orange warning, grey advisory); dots: seconds with failures."));
            }
        }
        (None, _) => h.push_str(&missing(&r.timeline)),
    }

    h.push_str("<h2 id=\"resources\">Resource usage</h2>");
    match &r.resources.value {
        Some(v) => {
            let mut c = Chart {
                title: "CPU".into(),
                x_label: "seconds (points end to end)".into(),
                y_label: "% of one core".into(),
                ..Chart::default()
            };
            c.series.push(Series {
                label: "generator".into(),
                points: v.iter().map(|x| (x.t_s, x.gen_cpu_pct)).collect(),
                markers: false,
                color: 0,
            });
            let sut: Vec<(f64, f64)> = v
                .iter()
                .filter_map(|x| x.sut_cpu_pct.map(|c| (x.t_s, c)))
                .collect();
            if !sut.is_empty() {
                c.series.push(Series {
                    label: "target".into(),
                    points: sut,
                    markers: false,
                    color: 1,
                });
            }
            c.series.push(Series {
                label: "machine (% of all cores)".into(),
                points: v.iter().map(|x| (x.t_s, x.machine_cpu_pct)).collect(),
                markers: false,
                color: 5,
            });
            h.push_str(&figure("chart-resources", &c, "CPU of the generator, the target (when local) and the whole machine, sampled each second."));
        }
        None => h.push_str(&missing(&r.resources)),
    }

    h.push_str("<h2 id=\"capacity\">Capacity planning</h2>");
    match &r.planning.value {
        Some(p) => {
            h.push_str("<ul>");
            match &p.capacity {
                Some(c) => {
                    let range = c.interval.map_or_else(
                        || "no 90% interval".to_string(),
                        |(lo, hi)| format!("90% interval {lo:.1} .. {hi:.1}"),
                    );
                    let note = c
                        .note
                        .as_deref()
                        .map_or(String::new(), |n| format!(" ({})", esc(n)));
                    let _ = write!(h, "<li>Capacity at the SLO (p95 &lt; {:.1} ms, errors &lt; {:.2}%): <b>{:.1}</b>, limited by {}, {range}{note}{}</li>", c.p95_limit_us / 1e3, c.error_limit * 100.0, c.load, c.limited_by, if c.extrapolated { " (above the tested loads: an extrapolation)" } else { "" });
                }
                None => h.push_str(
                    "<li>The model predicts the SLO is broken even at the lowest load.</li>",
                ),
            }
            if let Some(q) = p.queue_capacity {
                let _ = write!(h, "<li>Queueing curve saturates at {q:.1}.</li>");
            }
            if let Some((n, x)) = p.usl {
                let _ = write!(h, "<li>Scalability law: peak concurrency N* = {n:.1}, maximum throughput {x:.1}/s.</li>");
            }
            if let Some(rp) = &p.replicas {
                let _ = write!(
                    h,
                    "<li>For {:.0} req/s: <b>{} replica(s)</b> of {:.1} req/s each.</li>",
                    rp.target, rp.replicas, rp.per_replica
                );
            }
            if let Some(w) = &p.runway {
                let _ = write!(
                    h,
                    "<li>At {:.0} req/s growing {:.1}%/week, the SLO breaks in {:.1} weeks{}.</li>",
                    w.current,
                    w.weekly_growth * 100.0,
                    w.weeks,
                    w.date
                        .as_ref()
                        .map_or(String::new(), |d| format!(", on <b>{}</b>", esc(d)))
                );
            }
            h.push_str("</ul>");
        }
        None => h.push_str(&missing(&r.planning)),
    }

    h.push_str("<h2 id=\"insights\">Insights</h2><h3>Which endpoint breaks first</h3>");
    match &r.breaks_first.value {
        Some(b) if b.is_empty() => {
            h.push_str("<p>No endpoint broke its limits at the tested loads.</p>")
        }
        Some(b) => {
            let rows: Vec<Vec<String>> = b
                .iter()
                .map(|x| {
                    vec![
                        esc(&x.endpoint).into(),
                        format!("{:.1}", x.load),
                        esc(&x.reason).into(),
                    ]
                })
                .collect();
            h.push_str(&table(&["endpoint", "load", "why"], &rows));
        }
        None => h.push_str(&missing(&r.breaks_first)),
    }
    h.push_str("<h3>What drives latency (permutation importance)</h3>");
    match &r.importance.value {
        Some(v) => {
            let rows: Vec<Vec<String>> = v
                .iter()
                .map(|i| {
                    vec![
                        esc(&i.feature).into(),
                        format!("{:.4}", i.increase),
                        format!("{:.0}%", i.share * 100.0),
                    ]
                })
                .collect();
            h.push_str(&table(
                &["input", "error increase when shuffled", "share"],
                &rows,
            ));
        }
        None => h.push_str(&missing(&r.importance)),
    }
    h.push_str("<h3>Endpoints grouped by latency profile (k-means)</h3>");
    match &r.clusters.value {
        Some(v) => {
            let rows: Vec<Vec<String>> = v
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    vec![
                        format!("group {}", i + 1),
                        esc(&c.endpoints.join(", ")).into(),
                        format!(
                            "{:.1} → {:.1}",
                            c.p95_low_high_us.0 / 1e3,
                            c.p95_low_high_us.1 / 1e3
                        ),
                    ]
                })
                .collect();
            h.push_str(&table(
                &["group", "endpoints", "p95 ms, lowest → highest load"],
                &rows,
            ));
        }
        None => h.push_str(&missing(&r.clusters)),
    }

    h.push_str("<h2 id=\"drift\">Drift against history</h2>");
    match &r.drift.value {
        Some(v) => {
            let rows: Vec<Vec<String>> = v
                .iter()
                .map(|d| {
                    let hist: Vec<String> = d
                        .history
                        .iter()
                        .map(|x| format!("{:.2}", x / 1e3))
                        .collect();
                    vec![
                        esc(&d.what).into(),
                        hist.join(", "),
                        format!("{:.2}", d.current / 1e3),
                        format!("{:+.1}%", d.change * 100.0),
                        format!("{:.4} (limit {:.4})", d.p, d.p_limit),
                        if d.drifted {
                            "<span class=\"fail\">drift</span>".into()
                        } else {
                            "stable".into()
                        },
                    ]
                })
                .collect();
            h.push_str(&table(
                &[
                    "endpoint and load",
                    "history p50 ms (one per run)",
                    "this run p50 ms",
                    "change",
                    "p (prediction interval, Bonferroni limit)",
                    "verdict",
                ],
                &rows,
            ));
        }
        None => h.push_str(&missing(&r.drift)),
    }
    h.push_str("</body></html>\n");
    h
}
