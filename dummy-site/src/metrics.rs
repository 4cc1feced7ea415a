//! Request counters and latency histograms, lock-free on the request path, rendered in
//! the Prometheus text format at `/metrics`.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

/// Every route the site knows, as a metrics label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Route {
    Home,
    Products,
    Product,
    Search,
    Login,
    Cart,
    CartAdd,
    Checkout,
    ApiItems,
    ApiItem,
    ApiSearch,
    ApiOrders,
    ApiPayload,
    Static,
    Health,
    Metrics,
    Admin,
    NotFound,
}

impl Route {
    /// All routes, in label order.
    pub const ALL: [Route; 18] = [
        Route::Home,
        Route::Products,
        Route::Product,
        Route::Search,
        Route::Login,
        Route::Cart,
        Route::CartAdd,
        Route::Checkout,
        Route::ApiItems,
        Route::ApiItem,
        Route::ApiSearch,
        Route::ApiOrders,
        Route::ApiPayload,
        Route::Static,
        Route::Health,
        Route::Metrics,
        Route::Admin,
        Route::NotFound,
    ];

    /// The label, shaped like the route.
    pub fn label(self) -> &'static str {
        match self {
            Route::Home => "/",
            Route::Products => "/products",
            Route::Product => "/products/{id}",
            Route::Search => "/search",
            Route::Login => "/login",
            Route::Cart => "/cart",
            Route::CartAdd => "/cart/add",
            Route::Checkout => "/checkout",
            Route::ApiItems => "/api/items",
            Route::ApiItem => "/api/items/{id}",
            Route::ApiSearch => "/api/search",
            Route::ApiOrders => "/api/orders",
            Route::ApiPayload => "/api/payload",
            Route::Static => "/static",
            Route::Health => "/health",
            Route::Metrics => "/metrics",
            Route::Admin => "/admin",
            Route::NotFound => "unmatched",
        }
    }
}

const STATUSES: [u16; 16] = [
    200, 201, 204, 303, 304, 400, 401, 403, 404, 405, 413, 415, 431, 500, 503, 0,
];
/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
const NR: usize = Route::ALL.len();
const NS: usize = STATUSES.len();
const NB: usize = BUCKETS.len() + 1;

/// All counters of the site.
#[derive(Debug)]
pub struct Metrics {
    requests: [[AtomicU64; NS]; NR],
    buckets: [[AtomicU64; NB]; NR],
    sum_us: [AtomicU64; NR],
    in_flight: AtomicI64,
    injected_errors: AtomicU64,
}

fn status_index(status: u16) -> usize {
    STATUSES.iter().position(|s| *s == status).unwrap_or(NS - 1)
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            requests: std::array::from_fn(|_| std::array::from_fn(|_| AtomicU64::new(0))),
            buckets: std::array::from_fn(|_| std::array::from_fn(|_| AtomicU64::new(0))),
            sum_us: std::array::from_fn(|_| AtomicU64::new(0)),
            in_flight: AtomicI64::new(0),
            injected_errors: AtomicU64::new(0),
        }
    }
}

/// Counts a request in flight until dropped.
#[derive(Debug)]
pub struct InFlight<'a>(&'a Metrics);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Metrics {
    /// Marks a request as started.
    pub fn start(&self) -> InFlight<'_> {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(self)
    }

    /// Records a finished request.
    pub fn record(&self, route: Route, status: u16, took: Duration) {
        let r = route as usize;
        self.requests[r][status_index(status)].fetch_add(1, Ordering::Relaxed);
        let secs = took.as_secs_f64();
        let b = BUCKETS.iter().position(|le| secs <= *le).unwrap_or(NB - 1);
        self.buckets[r][b].fetch_add(1, Ordering::Relaxed);
        self.sum_us[r].fetch_add(took.as_micros() as u64, Ordering::Relaxed);
    }

    /// Counts a 500 caused by `--error-rate`.
    pub fn injected_error(&self) {
        self.injected_errors.fetch_add(1, Ordering::Relaxed);
    }

    /// Requests answered on `route` with `status` so far.
    pub fn count(&self, route: Route, status: u16) -> u64 {
        self.requests[route as usize][status_index(status)].load(Ordering::Relaxed)
    }

    /// Requests in flight now.
    pub fn in_flight(&self) -> i64 {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// Renders every metric in the Prometheus text exposition format; one metric after
    /// another, as a scrape reads them (long, and flat on purpose).
    pub fn render(
        &self,
        queue_depth: usize,
        busy: usize,
        rejected: (u64, u64),
        sessions: usize,
    ) -> String {
        let mut o = String::with_capacity(16 * 1024);
        let _ = writeln!(
            o,
            "# HELP dummy_requests_total Requests answered, by route and status."
        );
        let _ = writeln!(o, "# TYPE dummy_requests_total counter");
        for route in Route::ALL {
            for (si, status) in STATUSES.iter().enumerate() {
                let n = self.requests[route as usize][si].load(Ordering::Relaxed);
                if n > 0 {
                    let status = if *status == 0 {
                        "other".to_string()
                    } else {
                        status.to_string()
                    };
                    let _ = writeln!(
                        o,
                        "dummy_requests_total{{route=\"{}\",status=\"{status}\"}} {n}",
                        route.label()
                    );
                }
            }
        }
        let _ = writeln!(o, "# HELP dummy_request_duration_seconds Time from request head to response head, by route.");
        let _ = writeln!(o, "# TYPE dummy_request_duration_seconds histogram");
        for route in Route::ALL {
            let r = route as usize;
            let total: u64 = self.buckets[r]
                .iter()
                .map(|b| b.load(Ordering::Relaxed))
                .sum();
            if total == 0 {
                continue;
            }
            let mut cum = 0;
            for (bi, le) in BUCKETS
                .iter()
                .map(|b| b.to_string())
                .chain(["+Inf".to_string()])
                .enumerate()
            {
                cum += self.buckets[r][bi].load(Ordering::Relaxed);
                let _ = writeln!(
                    o,
                    "dummy_request_duration_seconds_bucket{{route=\"{}\",le=\"{le}\"}} {cum}",
                    route.label()
                );
            }
            let sum = self.sum_us[r].load(Ordering::Relaxed) as f64 / 1e6;
            let _ = writeln!(
                o,
                "dummy_request_duration_seconds_sum{{route=\"{}\"}} {sum}",
                route.label()
            );
            let _ = writeln!(
                o,
                "dummy_request_duration_seconds_count{{route=\"{}\"}} {total}",
                route.label()
            );
        }
        let gauges = [
            (
                "dummy_in_flight",
                "Requests being handled now.",
                self.in_flight() as f64,
            ),
            (
                "dummy_queue_depth",
                "Requests waiting for a worker now.",
                queue_depth as f64,
            ),
            (
                "dummy_workers_busy",
                "Workers holding a request now.",
                busy as f64,
            ),
            (
                "dummy_sessions",
                "Sessions kept in memory now.",
                sessions as f64,
            ),
        ];
        for (name, help, v) in gauges {
            let _ = writeln!(o, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}");
        }
        let _ = writeln!(
            o,
            "# HELP dummy_rejected_total Requests answered 503 by the capacity model."
        );
        let _ = writeln!(o, "# TYPE dummy_rejected_total counter");
        let _ = writeln!(
            o,
            "dummy_rejected_total{{reason=\"queue_full\"}} {}",
            rejected.0
        );
        let _ = writeln!(
            o,
            "dummy_rejected_total{{reason=\"queue_timeout\"}} {}",
            rejected.1
        );
        let _ = writeln!(
            o,
            "# HELP dummy_injected_errors_total Requests answered 500 by --error-rate."
        );
        let _ = writeln!(o, "# TYPE dummy_injected_errors_total counter");
        let _ = writeln!(
            o,
            "dummy_injected_errors_total {}",
            self.injected_errors.load(Ordering::Relaxed)
        );
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_cumulative_buckets() {
        let m = Metrics::default();
        m.record(Route::ApiItems, 200, Duration::from_millis(3));
        m.record(Route::ApiItems, 503, Duration::from_micros(100));
        m.record(Route::Home, 299, Duration::from_secs(20));
        let t = m.render(2, 1, (5, 6), 3);
        assert!(t.contains("dummy_requests_total{route=\"/api/items\",status=\"200\"} 1"));
        assert!(t.contains("dummy_requests_total{route=\"/\",status=\"other\"} 1"));
        assert!(t.contains(
            "dummy_request_duration_seconds_bucket{route=\"/api/items\",le=\"0.0005\"} 1"
        ));
        assert!(t.contains(
            "dummy_request_duration_seconds_bucket{route=\"/api/items\",le=\"0.005\"} 2"
        ));
        assert!(t.contains("dummy_request_duration_seconds_bucket{route=\"/\",le=\"+Inf\"} 1"));
        assert!(t.contains("dummy_queue_depth 2") && t.contains("dummy_sessions 3"));
        assert!(t.contains("dummy_rejected_total{reason=\"queue_timeout\"} 6"));
        assert_eq!(m.count(Route::ApiItems, 503), 1);
    }
}
