//! The value parsers of the command line's options: each turns one option's text into
//! its value or into the one-line reason clap prints after the option's name.

use std::time::Duration;

use perf_ml::search::Strategy;

/// Comma-separated rates.
#[derive(Debug, Clone)]
pub struct Rates(pub Vec<f64>);
/// Comma-separated counts.
#[derive(Debug, Clone)]
pub struct Counts(pub Vec<usize>);

/// Parses an execution segment, `I/N`.
pub fn segment(s: &str) -> Result<perf_core::segment::Segment, String> {
    s.parse()
        .map_err(|e: perf_core::segment::SegmentError| e.to_string())
}

/// Parses an RFC 3339 start time.
pub fn start_at(s: &str) -> Result<perf_core::segment::StartAt, String> {
    perf_core::segment::StartAt::parse(s).map_err(|e| e.to_string())
}

/// Parses the dashboard's address: `IP:PORT`, `localhost:PORT`, or a port alone (on
/// loopback).
pub fn dashboard_addr(s: &str) -> Result<std::net::SocketAddr, String> {
    let t = s.trim();
    let loopback = |port: &str| {
        port.parse::<u16>()
            .ok()
            .map(|p| std::net::SocketAddr::from(([127, 0, 0, 1], p)))
    };
    t.parse::<std::net::SocketAddr>()
        .ok()
        .or_else(|| loopback(t))
        .or_else(|| t.strip_prefix("localhost:").and_then(loopback))
        .ok_or_else(|| {
            format!("'{t}' is not an address: give IP:PORT such as 127.0.0.1:5665, or a port")
        })
}

/// Parses `LOW..HIGH` in requests per second.
pub fn range(s: &str) -> Result<(f64, f64), String> {
    let (lo, hi) = s
        .split_once("..")
        .ok_or("must be LOW..HIGH in requests per second, such as 10..5000")?;
    let num = |v: &str| {
        v.trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| format!("'{}' is not a number of requests per second", v.trim()))
    };
    Ok((num(lo)?, num(hi)?))
}

/// Parses a tolerance: `5%` or `0.05`.
pub fn tolerance(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let v = match t.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().map(|v| v / 100.0),
        None => t.parse::<f64>(),
    }
    .map_err(|_| "not a number or percentage, such as 5%".to_string())?;
    if v.is_finite() {
        Ok(v)
    } else {
        Err("not a number or percentage, such as 5%".into())
    }
}

/// Parses a strategy name.
pub fn strategy(s: &str) -> Result<Strategy, String> {
    s.parse()
}

pub fn primary(s: &str) -> Result<perf_ml::gate::Primary, String> {
    match s {
        "aggregate" => Ok(perf_ml::gate::Primary::Aggregate),
        "all" => Ok(perf_ml::gate::Primary::All),
        _ => Err(format!("'{s}' is not aggregate or all")),
    }
}

pub fn webdriver_url(s: &str) -> Result<String, String> {
    let rest = s
        .strip_prefix("http://")
        .or_else(|| s.strip_prefix("https://"))
        .ok_or("must be an http:// or https:// URL, such as http://127.0.0.1:9515")?;
    if rest.split(['/', ':']).next().is_none_or(str::is_empty) {
        return Err("the URL has no host, such as http://127.0.0.1:9515".into());
    }
    Ok(s.trim_end_matches('/').to_string())
}

pub fn positive_rate(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 1e6 => Ok(v),
        _ => Err("must be a number of requests per second above 0 (at most 1000000)".into()),
    }
}

pub fn positive_count(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(v) if (1..=100_000).contains(&v) => Ok(v),
        _ => Err("must be a whole number from 1 to 100000".into()),
    }
}

pub fn rate_list(s: &str) -> Result<Rates, String> {
    let v: Result<Vec<f64>, String> = s.split(',').map(positive_rate).collect();
    v.map(Rates).map_err(|e| format!("each rate {e}"))
}

pub fn count_list(s: &str) -> Result<Counts, String> {
    let v: Result<Vec<usize>, String> = s.split(',').map(positive_count).collect();
    v.map(Counts).map_err(|e| format!("each user count {e}"))
}

pub fn any_duration(s: &str) -> Result<Duration, String> {
    perf_core::parse_duration(s).ok_or_else(|| "not a duration; use 500ms, 30s, 2m or 1m30s".into())
}

pub fn grace_duration(s: &str) -> Result<Duration, String> {
    match any_duration(s)? {
        d if d > Duration::from_secs(600) => Err("must be at most 10m".into()),
        d => Ok(d),
    }
}

pub fn positive_duration(s: &str) -> Result<Duration, String> {
    match any_duration(s)? {
        d if d.is_zero() => Err("must be longer than 0".into()),
        d if d > Duration::from_secs(86_400) => Err("must be at most 24h".into()),
        d => Ok(d),
    }
}
