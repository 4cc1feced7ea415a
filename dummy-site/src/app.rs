//! [`App`]: the site's state and its request router. Transport-free: it takes any
//! `http::Request` whose body is an `http_body::Body`, so benches call it directly.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Body;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rand_distr::Exp1;

use crate::assets::Assets;
use crate::catalogue::Catalogue;
use crate::config::{ServiceDist, SiteConfig};
use crate::faults::{FaultState, Faults};
use crate::metrics::{Metrics, Route};
use crate::pool::{Pool, Rejected};
use crate::session::Sessions;

/// The response type of every handler.
pub type Resp = Response<Full<Bytes>>;

/// Cost multiplier of each dynamic route: its service time in units of
/// `--service-time-ms`. `None` for routes outside the pool.
pub fn cost(route: Route) -> Option<f64> {
    match route {
        Route::Home
        | Route::Products
        | Route::Product
        | Route::Login
        | Route::Cart
        | Route::CartAdd => Some(1.0),
        Route::ApiItems | Route::ApiItem | Route::ApiPayload => Some(1.0),
        Route::Checkout | Route::ApiOrders => Some(2.0),
        Route::Search | Route::ApiSearch => Some(3.0),
        Route::Static | Route::Health | Route::Metrics | Route::Admin | Route::NotFound => None,
    }
}

/// Methods each route answers.
fn allowed(route: Route) -> &'static [Method] {
    match route {
        Route::Login | Route::Checkout => &[Method::GET, Method::HEAD, Method::POST],
        Route::CartAdd | Route::ApiOrders => &[Method::POST],
        Route::Admin => &[Method::GET, Method::POST],
        _ => &[Method::GET, Method::HEAD],
    }
}

/// Which route a path belongs to.
pub fn route_of(path: &str) -> Route {
    match path {
        "/" => Route::Home,
        "/products" => Route::Products,
        "/search" => Route::Search,
        "/login" => Route::Login,
        "/cart" => Route::Cart,
        "/cart/add" => Route::CartAdd,
        "/checkout" => Route::Checkout,
        "/api/items" => Route::ApiItems,
        "/api/search" => Route::ApiSearch,
        "/api/orders" => Route::ApiOrders,
        "/api/payload" => Route::ApiPayload,
        "/health" => Route::Health,
        "/metrics" => Route::Metrics,
        "/admin/capacity" | "/admin/faults" => Route::Admin,
        p if p.starts_with("/static/") => Route::Static,
        p if tail(p, "/products/").is_some() => Route::Product,
        p if tail(p, "/api/items/").is_some() => Route::ApiItem,
        _ => Route::NotFound,
    }
}

/// The one segment after `prefix`, if the path is exactly `prefix<segment>`.
pub(crate) fn tail<'a>(path: &'a str, prefix: &str) -> Option<&'a str> {
    path.strip_prefix(prefix)
        .filter(|s| !s.is_empty() && !s.contains('/'))
}

/// The shared state of a running site.
#[derive(Debug)]
pub struct App {
    pub(crate) config: SiteConfig,
    pub(crate) pool: Pool,
    pub(crate) faults: FaultState,
    pub(crate) catalogue: Catalogue,
    pub(crate) sessions: Sessions,
    pub(crate) assets: Assets,
    pub(crate) metrics: Metrics,
    pub(crate) payload: Bytes,
    pub(crate) orders: AtomicU64,
    draws: AtomicU64,
}

/// The request parts handlers need, with the body already read (and limited).
#[derive(Debug)]
pub(crate) struct Req {
    pub method: Method,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: http::HeaderMap,
    pub body: Bytes,
    pub peer: IpAddr,
}

impl Req {
    /// The first value of a query parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The session token from the `sid` cookie.
    pub fn sid(&self) -> Option<&str> {
        self.headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .find_map(|c| c.trim().strip_prefix("sid="))
    }

    /// The form fields of an `application/x-www-form-urlencoded` body.
    pub fn form(&self) -> Vec<(String, String)> {
        form_urlencoded::parse(&self.body).into_owned().collect()
    }
}

/// The first value of `name` in decoded pairs.
pub(crate) fn field<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// A response with a body and a content type.
pub(crate) fn reply(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> Resp {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// An HTML page.
pub(crate) fn html(status: StatusCode, body: String) -> Resp {
    reply(status, "text/html; charset=utf-8", body)
}

/// A JSON body.
pub(crate) fn json(status: StatusCode, v: &impl serde::Serialize) -> Resp {
    let body = serde_json::to_vec(v).unwrap_or_else(|_| b"{}".to_vec());
    reply(status, "application/json", body)
}

/// A JSON error naming the input at fault: `{"error": "...", "field": "..."}`.
pub(crate) fn json_error(status: StatusCode, field: Option<&str>, msg: &str) -> Resp {
    let msg = crate::text::shorten(msg);
    json(status, &serde_json::json!({ "error": msg, "field": field }))
}

/// A 303 redirect.
pub(crate) fn see_other(location: &str) -> Resp {
    let mut r = reply(StatusCode::SEE_OTHER, "text/plain; charset=utf-8", "");
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

impl App {
    /// Builds the state of a site from a validated configuration.
    pub fn new(config: SiteConfig) -> Self {
        let p = config.params().clone();
        let now = Instant::now();
        let faults = Faults {
            error_rate: p.error_rate,
            extra_latency_ms: p.extra_latency_ms,
            jitter_ms: p.jitter_ms,
            stall_at_s: p.stall_at_s,
            stall_for_s: p.stall_for_s,
            degradation_pct_per_min: p.degradation_pct_per_min,
        };
        let mut payload = vec![0u8; 64 * 1024];
        let mut rng = SmallRng::seed_from_u64(p.seed);
        payload
            .iter_mut()
            .for_each(|b| *b = b"abcdefghijklmnopqrstuvwxyz0123456789"[rng.random_range(0..36)]);
        Self {
            pool: Pool::new(p.workers, p.queue, config.queue_timeout()),
            faults: FaultState::new(faults, now),
            catalogue: Catalogue::generate(p.items, p.seed),
            sessions: Sessions::new(p.seed),
            assets: Assets::bundled(),
            metrics: Metrics::default(),
            payload: Bytes::from(payload),
            orders: AtomicU64::new(0),
            draws: AtomicU64::new(0),
            config,
        }
    }

    /// The configuration the site runs with.
    pub fn config(&self) -> &SiteConfig {
        &self.config
    }

    /// The request counters.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The live fault state (also reachable over HTTP at `/admin/faults`).
    pub fn faults(&self) -> &FaultState {
        &self.faults
    }

    /// Handles one request from `peer`.
    pub async fn handle<B>(&self, req: Request<B>, peer: IpAddr) -> Resp
    where
        B: Body<Data = Bytes>,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let started = Instant::now();
        let _in_flight = self.metrics.start();
        let route = route_of(req.uri().path());
        let resp = self.dispatch(route, req, peer).await;
        self.metrics
            .record(route, resp.status().as_u16(), started.elapsed());
        resp
    }

    async fn dispatch<B>(&self, route: Route, req: Request<B>, peer: IpAddr) -> Resp
    where
        B: Body<Data = Bytes>,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        if route == Route::NotFound {
            return reply(
                StatusCode::NOT_FOUND,
                "text/plain; charset=utf-8",
                "not found\n",
            );
        }
        let methods = allowed(route);
        if !methods.contains(req.method()) {
            let allow = methods
                .iter()
                .map(Method::as_str)
                .collect::<Vec<_>>()
                .join(", ");
            let mut r = reply(
                StatusCode::METHOD_NOT_ALLOWED,
                "text/plain; charset=utf-8",
                "method not allowed\n",
            );
            r.headers_mut()
                .insert(header::ALLOW, HeaderValue::from_str(&allow).expect("ascii"));
            return r;
        }
        if route == Route::Static {
            return self.static_asset(&req);
        }
        let req = match self.read(req, peer).await {
            Ok(r) => r,
            Err(resp) => return resp,
        };
        if let Some(cost) = cost(route) {
            if let Err(resp) = self.admit(cost).await {
                return resp;
            }
        }
        match route {
            Route::Health => reply(StatusCode::OK, "text/plain; charset=utf-8", "ok\n"),
            Route::Metrics => {
                let (q, busy, rejected) = (
                    self.pool.queue_depth(),
                    self.pool.busy(),
                    self.pool.rejected(),
                );
                let body = self.metrics.render(q, busy, rejected, self.sessions.len());
                reply(
                    StatusCode::OK,
                    "text/plain; version=0.0.4; charset=utf-8",
                    body,
                )
            }
            Route::Admin => self.admin(&req),
            Route::ApiItems => self.api_items(&req),
            Route::ApiItem => self.api_item(&req),
            Route::ApiSearch => self.api_search(&req),
            Route::ApiOrders => self.api_orders(&req),
            Route::ApiPayload => self.api_payload(&req),
            _ => self.page(route, &req),
        }
    }

    fn static_asset<B>(&self, req: &Request<B>) -> Resp {
        let path = &req.uri().path()["/static/".len()..];
        let Some(a) = self.assets.get(path) else {
            return reply(
                StatusCode::NOT_FOUND,
                "text/plain; charset=utf-8",
                "not found\n",
            );
        };
        let fresh = req
            .headers()
            .get(header::IF_NONE_MATCH)
            .is_some_and(|v| v.as_bytes() == a.etag.as_bytes());
        let mut r = if fresh {
            let mut r = Response::new(Full::new(Bytes::new()));
            *r.status_mut() = StatusCode::NOT_MODIFIED;
            r
        } else {
            reply(StatusCode::OK, a.content_type, a.body.clone())
        };
        let h = r.headers_mut();
        h.insert(
            header::ETAG,
            HeaderValue::from_str(&a.etag).expect("ascii etag"),
        );
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=3600"),
        );
        r
    }

    /// Reads the body within `--max-body-bytes` (413 beyond it).
    async fn read<B>(&self, req: Request<B>, peer: IpAddr) -> Result<Req, Resp>
    where
        B: Body<Data = Bytes>,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let limit = self.config.params().max_body_bytes;
        let too_large = || {
            json_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                None,
                &format!("request body larger than the limit of {limit} bytes"),
            )
        };
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit as u64) {
            return Err(too_large());
        }
        let (parts, body) = req.into_parts();
        let body = match Limited::new(body, limit).collect().await {
            Ok(c) => c.to_bytes(),
            Err(e) if e.is::<LengthLimitError>() => return Err(too_large()),
            Err(e) => {
                return Err(json_error(
                    StatusCode::BAD_REQUEST,
                    None,
                    &format!("cannot read the request body: {e}"),
                ))
            }
        };
        let query = parts
            .uri
            .query()
            .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
            .unwrap_or_default();
        Ok(Req {
            method: parts.method,
            path: parts.uri.path().to_string(),
            query,
            headers: parts.headers,
            body,
            peer,
        })
    }

    /// Applies faults and the capacity model to a dynamic request of `cost`.
    async fn admit(&self, cost: f64) -> Result<(), Resp> {
        let n = self.draws.fetch_add(1, Ordering::Relaxed);
        let mut rng = SmallRng::seed_from_u64(
            self.config.params().seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15),
        );
        let fx = self
            .faults
            .effects(Instant::now(), rng.random(), rng.random());
        if !fx.stall.is_zero() {
            tokio::time::sleep(fx.stall).await;
        }
        let p = self.config.params();
        let mut ms = p.service_time_ms * cost * fx.service_factor;
        if p.service_dist == ServiceDist::Exp {
            let e: f64 = rng.sample(Exp1);
            ms *= e;
        }
        // Degradation grows without end: one service is at most ten minutes.
        let ms = ms.min(600_000.0);
        if let Err(why) = self
            .pool
            .serve(Duration::from_secs_f64(ms / 1000.0), p.work)
            .await
        {
            let msg = match why {
                Rejected::QueueFull => "overloaded: the wait queue is full\n",
                Rejected::QueueTimeout => "overloaded: waited too long for a worker\n",
            };
            let mut r = reply(
                StatusCode::SERVICE_UNAVAILABLE,
                "text/plain; charset=utf-8",
                msg,
            );
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            return Err(r);
        }
        if !fx.extra_latency.is_zero() {
            tokio::time::sleep(fx.extra_latency).await;
        }
        if fx.fail {
            self.metrics.injected_error();
            return Err(reply(
                StatusCode::INTERNAL_SERVER_ERROR,
                "text/plain; charset=utf-8",
                "injected error\n",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_by_path() {
        assert_eq!(route_of("/products/12"), Route::Product);
        assert_eq!(route_of("/products/12/x"), Route::NotFound);
        assert_eq!(route_of("/products/"), Route::NotFound);
        assert_eq!(route_of("/api/items/7"), Route::ApiItem);
        assert_eq!(route_of("/static/app.css"), Route::Static);
        assert_eq!(route_of("/nope"), Route::NotFound);
        assert_eq!(cost(Route::ApiItems), Some(1.0));
        assert_eq!(cost(Route::Static), None);
    }
}
