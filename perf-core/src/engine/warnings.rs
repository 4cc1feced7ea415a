//! The load generator's warnings, one line per second. Goose logs a WARN line for every
//! request that got no response, so a dead target at 1,000 req/s prints a thousand
//! lines a second and buries everything else. This logger, installed before Goose's own
//! (which then stays out), prints errors as they come and sums up each second's
//! warnings in one line: how many, and the first of them.

use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use log::{Level, LevelFilter, Log, Metadata, Record};

/// Most characters of a warning that are printed.
const MAX_CHARS: usize = 300;

#[derive(Debug)]
struct Second {
    started: Instant,
    count: u64,
    first: Option<String>,
}

/// Sums up warnings per second; see the module docs.
#[derive(Debug)]
pub struct Summarizer {
    second: Mutex<Second>,
}

fn cut(s: String) -> String {
    if s.chars().count() <= MAX_CHARS {
        return s;
    }
    let mut c: String = s.chars().take(MAX_CHARS).collect();
    c.push('…');
    c
}

impl Second {
    /// The summary line of what was collected, and a fresh start.
    fn take(&mut self, now: Instant) -> Option<String> {
        let line = match (self.count, self.first.take()) {
            (0, _) | (_, None) => None,
            (1, Some(first)) => Some(format!("warning: {first}")),
            (n, Some(first)) => Some(format!(
                "warning: {n} warnings from the load generator in {:.1} s; the first: {first}",
                now.duration_since(self.started).as_secs_f64().max(1.0)
            )),
        };
        self.count = 0;
        self.started = now;
        line
    }
}

impl Summarizer {
    fn new() -> Self {
        Self {
            second: Mutex::new(Second {
                started: Instant::now(),
                count: 0,
                first: None,
            }),
        }
    }

    /// Takes a warning at `now`; returns the line to print for the second that ended,
    /// if one did.
    fn add(&self, msg: String, now: Instant) -> Option<String> {
        let mut s = self
            .second
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let line = if now.duration_since(s.started) >= Duration::from_secs(1) {
            s.take(now)
        } else {
            None
        };
        if s.count == 0 {
            s.started = now;
        }
        s.count += 1;
        if s.first.is_none() {
            s.first = Some(cut(msg));
        }
        line
    }
}

impl Log for Summarizer {
    fn enabled(&self, m: &Metadata<'_>) -> bool {
        m.level() <= Level::Warn
    }

    fn log(&self, r: &Record<'_>) {
        if !self.enabled(r.metadata()) {
            return;
        }
        if r.level() == Level::Error {
            eprintln!("error: {}: {}", r.target(), cut(r.args().to_string()));
            return;
        }
        if let Some(line) = self.add(r.args().to_string(), Instant::now()) {
            eprintln!("{line}");
        }
    }

    fn flush(&self) {
        let line = self
            .second
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take(Instant::now());
        if let Some(line) = line {
            eprintln!("{line}");
        }
    }
}

static INSTALLED: OnceLock<bool> = OnceLock::new();

/// Installs the summarizing logger once per process (before Goose's). Returns false
/// when another logger was there first (a program embedding the engine with its own).
pub fn install() -> bool {
    *INSTALLED.get_or_init(|| {
        let ok = log::set_boxed_logger(Box::new(Summarizer::new())).is_ok();
        if ok {
            log::set_max_level(LevelFilter::Warn);
        }
        ok
    })
}

/// Prints what is still collected (at the end of a point).
pub fn flush() {
    log::logger().flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_of_warnings_becomes_one_line_per_second() {
        let s = Summarizer::new();
        let t0 = Instant::now();
        let mut lines = Vec::new();
        for i in 0..3000u64 {
            // 1,000 warnings a second for three seconds.
            let at = t0 + Duration::from_millis(i);
            lines.extend(s.add(format!("\"/api/items\": connection refused ({i})"), at));
        }
        lines.extend(
            s.second
                .lock()
                .unwrap()
                .take(t0 + Duration::from_millis(3000)),
        );
        assert_eq!(lines.len(), 3, "{lines:#?}");
        assert!(
            lines[0].starts_with("warning: 1000 warnings"),
            "{}",
            lines[0]
        );
        assert!(lines[0].ends_with("connection refused (0)"), "{}", lines[0]);
        let one = Summarizer::new();
        assert_eq!(one.add("x".repeat(5000), t0), None);
        let last = one.second.lock().unwrap().take(t0).unwrap();
        assert_eq!(last.chars().count(), "warning: ".len() + MAX_CHARS + 1);
    }
}
