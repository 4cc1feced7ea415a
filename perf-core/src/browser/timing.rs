//! What a page says about itself: Navigation Timing (TTFB, DOMContentLoaded, load),
//! Largest Contentful Paint and Cumulative Layout Shift from buffered
//! PerformanceObserver entries (when the browser reports them), and the resources
//! fetched with their bytes.

use serde::{Deserialize, Serialize};

/// One page's timings, milliseconds from the start of its navigation.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct PageTiming {
    /// Time to first byte (`responseStart`).
    pub ttfb_ms: f64,
    /// `domContentLoadedEventEnd`.
    pub dcl_ms: f64,
    /// `loadEventEnd`.
    pub load_ms: f64,
    /// Largest Contentful Paint, when reported.
    pub lcp_ms: Option<f64>,
    /// Cumulative Layout Shift (sum of shifts without recent input), when reported.
    pub cls: Option<f64>,
    /// Resources fetched by the page.
    pub resources: u64,
    /// Bytes transferred: the document and its resources.
    pub bytes: u64,
}

/// An asynchronous WebDriver script: waits for the load event to end, gathers buffered
/// LCP and layout-shift entries, and calls back with one JSON object.
pub const SCRIPT: &str = r#"
const done = arguments[arguments.length - 1];
function collect() {
  const nav = performance.getEntriesByType('navigation')[0];
  if (!nav || nav.loadEventEnd === 0) { setTimeout(collect, 20); return; }
  const res = performance.getEntriesByType('resource');
  let lcp = null, cls = null, pending = 0;
  const finish = () => {
    done({
      ttfb: nav.responseStart, dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd,
      lcp: lcp, cls: cls, resources: res.length,
      bytes: (nav.transferSize || 0) + res.reduce((a, r) => a + (r.transferSize || 0), 0)
    });
  };
  const observe = (type, cb) => {
    try {
      if (!PerformanceObserver.supportedEntryTypes.includes(type)) return;
      pending++;
      const po = new PerformanceObserver((list) => cb(list.getEntries()));
      po.observe({type: type, buffered: true});
      setTimeout(() => { cb(po.takeRecords()); po.disconnect(); if (--pending === 0) finish(); }, 60);
    } catch (e) {}
  };
  observe('largest-contentful-paint', (es) => { for (const e of es) lcp = e.renderTime || e.loadTime || e.startTime; });
  observe('layout-shift', (es) => { for (const e of es) if (!e.hadRecentInput) cls = (cls || 0) + e.value; if (cls === null) cls = 0; });
  if (pending === 0) finish();
}
collect();
"#;

impl PageTiming {
    /// From the script's JSON answer; `None` when it is not the expected shape.
    pub fn from_json(v: &serde_json::Value) -> Option<Self> {
        let num = |k: &str| v.get(k).and_then(serde_json::Value::as_f64);
        Some(Self {
            ttfb_ms: num("ttfb")?,
            dcl_ms: num("dcl")?,
            load_ms: num("load")?,
            lcp_ms: num("lcp"),
            cls: num("cls"),
            resources: num("resources").unwrap_or(0.0) as u64,
            bytes: num("bytes").unwrap_or(0.0) as u64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timings_are_read_from_the_scripts_answer() {
        let v = serde_json::json!({"ttfb": 3.5, "dcl": 20.0, "load": 41.2, "lcp": 30.0,
            "cls": null, "resources": 4, "bytes": 12345});
        let t = PageTiming::from_json(&v).unwrap();
        assert_eq!(
            (t.ttfb_ms, t.load_ms, t.lcp_ms, t.cls),
            (3.5, 41.2, Some(30.0), None)
        );
        assert_eq!((t.resources, t.bytes), (4, 12345));
        assert!(PageTiming::from_json(&serde_json::json!({"ttfb": 1})).is_none());
    }
}
