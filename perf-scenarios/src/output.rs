//! Console output: a progress bar across points on a terminal, plain lines otherwise,
//! and the summary table.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};
use perf_core::engine::PointOutcome;
use perf_core::{LoadPoint, PointDetail};

use perf_core::session::{Observer, Opened};

/// The console's view of a session: the header, a progress bar across points on a
/// terminal (plain lines otherwise), each point's figures, and the table at the end.
#[derive(Debug, Default)]
pub struct Console {
    bar: Option<ProgressBar>,
    total: usize,
}

fn ms(us: u64) -> String {
    format!("{:.1}", us as f64 / 1000.0)
}

fn load_label(p: &LoadPoint) -> String {
    let params = p.params.to_string();
    if params.is_empty() {
        p.model.label()
    } else {
        format!("{} {params}", p.model.label())
    }
}

impl Console {
    /// A console as a session's observer.
    pub fn boxed() -> Box<dyn perf_core::session::Observer> {
        Box::new(Self::default())
    }

    fn line(&self, msg: &str) {
        match &self.bar {
            Some(b) => b.println(msg),
            None => eprintln!("{msg}"),
        }
    }
}

impl Observer for Console {
    fn browsers_started(&mut self, sessions: usize, median_start_ms: f64) {
        println!(
            "browser users: {sessions} headless Chromium session(s), started in {median_start_ms:.0} ms each (median)"
        );
    }

    fn opened(&mut self, h: &Opened<'_>) {
        let target = if h.in_process {
            format!("{} (embedded dummy site)", h.host)
        } else {
            h.host.to_string()
        };
        let slos: Vec<&str> = h.slos.iter().map(|s| s.rule.as_str()).collect();
        self.total = h.points;
        if h.points == 0 {
            println!("scenario {} → {target}: browser steps only", h.scenario);
            println!("results: {}", h.dir.display());
            return;
        }
        println!(
            "scenario {} → {target}: {} point(s) of {:.0}s; SLO {}",
            h.scenario,
            h.points,
            h.duration.as_secs_f64(),
            if slos.is_empty() {
                "none".to_string()
            } else {
                slos.join(", ")
            }
        );
        println!("results: {}", h.dir.display());
        self.bar = std::io::stderr().is_terminal().then(|| {
            let b = ProgressBar::new(h.points as u64);
            b.set_style(
                ProgressStyle::with_template("{bar:30} {pos}/{len} points {elapsed_precise} {msg}")
                    .expect("valid template"),
            );
            b
        });
    }

    fn start_point(&mut self, index: usize, p: &LoadPoint) {
        let msg = format!("point {}/{}: {}", index + 1, self.total, load_label(p));
        match &self.bar {
            Some(b) => b.set_message(msg),
            None => eprintln!("{msg} ..."),
        }
    }

    fn note(&mut self, msg: &str) {
        self.line(msg);
    }

    fn end_point(&mut self, o: &PointOutcome) {
        let r = &o.detail.row;
        let mut line = format!(
            "  {:>8.1} req/s achieved, p50 {} ms, p95 {} ms, p99 {} ms (n={}), errors {:.2}%{}, dropped {}{}",
            r.achieved_rps,
            ms(r.p50_us),
            ms(r.p95_us),
            ms(r.p99_us),
            r.requests,
            r.error_rate * 100.0,
            if r.unfinished > 0 {
                format!(
                    " ({} unfinished after the {:.1} s grace period)",
                    r.unfinished, o.detail.grace_s
                )
            } else {
                String::new()
            },
            r.dropped_iterations,
            if r.complete { "" } else { " [partial]" }
        );
        if let (Some(p50), Some(max)) = (r.fail_p50_us, r.fail_max_us) {
            line.push_str(&format!(
                "\n    failed requests: p50 {} ms, max {} ms (latency above is of successful requests)",
                ms(p50),
                ms(max)
            ));
        }
        if let Some(why) = &o.detail.not_passed {
            line.push_str(&format!("\n    FAIL: {why}"));
        }
        for v in &o.detail.slo {
            line.push_str(&format!(
                "\n    SLO {}: {} (observed {})",
                v.slo.rule,
                if v.pass { "pass" } else { "FAIL" },
                v.observed_text()
            ));
        }
        for why in &o.detail.saturation {
            line.push_str(&format!(
                "\n    ! generator saturated ({why}): this point is not evidence about the target"
            ));
        }
        self.line(&line);
        if let Some(b) = &self.bar {
            b.inc(1);
        }
    }

    fn finish(&mut self, outcomes: &[PointOutcome], interrupted: Option<i32>) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
        if !outcomes.is_empty() {
            println!("{}", table(outcomes));
        }
        if let Some(sig) = interrupted {
            let partial = outcomes.iter().filter(|o| !o.detail.row.complete).count();
            println!(
                "interrupted by signal {sig}: {} point(s) written, {partial} of them partial (complete=false)",
                outcomes.len()
            );
        }
    }
}

/// The summary table: one line per point.
pub fn table(outcomes: &[PointOutcome]) -> String {
    points_table(outcomes.iter().map(|o| &o.detail))
}

/// The summary table of stored points: one line per point.
pub fn points_table<'a>(details: impl IntoIterator<Item = &'a PointDetail>) -> String {
    let mut rows = vec![[
        "#".to_string(),
        "load".into(),
        "achieved req/s".into(),
        "p50 ms".into(),
        "p95 ms".into(),
        "p99 ms".into(),
        "errors %".into(),
        "dropped".into(),
        "SLO".into(),
        "note".into(),
    ]];
    for d in details {
        let r = &d.row;
        let mut note = Vec::new();
        let seg = d.segment.map(|s| format!("segment {s}"));
        let merged = d
            .merged_segments
            .map(|n| format!("merged from {n} segments"));
        note.extend(seg.as_deref());
        note.extend(merged.as_deref());
        if r.generator_saturated {
            note.push("generator saturated");
        }
        if !r.complete {
            note.push("partial");
        }
        if d.not_passed.is_some() {
            note.push("no request finished");
        }
        if r.unfinished > 0 {
            note.push("unfinished requests");
        }
        rows.push([
            d.index.to_string(),
            load_label(&d.config),
            format!("{:.1}", r.achieved_rps),
            ms(r.p50_us),
            ms(r.p95_us),
            ms(r.p99_us),
            format!("{:.2}", r.error_rate * 100.0),
            r.dropped_iterations.to_string(),
            if d.slo.is_empty() && d.not_passed.is_none() {
                "-".into()
            } else if r.slo_pass {
                "pass".into()
            } else {
                "FAIL".into()
            },
            note.join(", "),
        ]);
    }
    let widths: Vec<usize> = (0..10)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    rows.iter()
        .map(|r| {
            r.iter()
                .zip(&widths)
                .map(|(cell, w)| format!("{cell:<w$}"))
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}
