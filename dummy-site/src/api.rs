//! The JSON API (`/api/...`) and the loopback-only admin routes (`/admin/...`).

use std::sync::atomic::Ordering;
use std::time::Instant;

use bytes::BytesMut;
use http::{header, Method, StatusCode};
use serde_json::{json, Value};

use crate::app::{cost, json, json_error, reply, tail, App, Req, Resp};
use crate::faults::FaultsPatch;
use crate::metrics::Route;

/// Largest page size of `/api/items`.
pub const MAX_PAGE_SIZE: usize = 100;
/// Largest response of `/api/payload`, in bytes.
pub const MAX_PAYLOAD: usize = 16 << 20;
/// Most results of a search.
pub const MAX_SEARCH_RESULTS: usize = 50;
/// Longest search query, in bytes.
pub const MAX_QUERY: usize = 200;

/// Parses a whole-number query parameter within `range`, or explains what is wrong.
fn number(
    req: &Req,
    name: &'static str,
    default: usize,
    range: std::ops::RangeInclusive<usize>,
) -> Result<usize, Resp> {
    let Some(raw) = req.param(name) else {
        return Ok(default);
    };
    match raw.trim().parse::<usize>() {
        Ok(v) if range.contains(&v) => Ok(v),
        _ => Err(json_error(
            StatusCode::BAD_REQUEST,
            Some(name),
            &format!(
                "{name} must be a whole number from {} to {} (got '{raw}')",
                range.start(),
                range.end()
            ),
        )),
    }
}

macro_rules! tri {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(resp) => return resp,
        }
    };
}

/// Endpoints listed by `/admin/capacity`: method, path, route.
const ENDPOINTS: [(&str, &str, Route); 12] = [
    ("GET", "/", Route::Home),
    ("GET", "/products", Route::Products),
    ("GET", "/products/{id}", Route::Product),
    ("GET", "/search", Route::Search),
    ("GET|POST", "/login", Route::Login),
    ("GET", "/cart", Route::Cart),
    ("POST", "/cart/add", Route::CartAdd),
    ("GET|POST", "/checkout", Route::Checkout),
    ("GET", "/api/items", Route::ApiItems),
    ("GET", "/api/items/{id}", Route::ApiItem),
    ("GET", "/api/search", Route::ApiSearch),
    ("POST", "/api/orders", Route::ApiOrders),
];

impl App {
    pub(crate) fn api_items(&self, req: &Req) -> Resp {
        let page = tri!(number(req, "page", 1, 1..=1_000_000));
        let size = tri!(number(req, "size", 20, 1..=MAX_PAGE_SIZE));
        let items = self.catalogue.page(page, size);
        let total = self.catalogue.len();
        let mut body = format!(
            "{{\"page\":{page},\"size\":{size},\"total\":{total},\"pages\":{},\"items\":[",
            total.div_ceil(size)
        );
        for (n, i) in items.iter().enumerate() {
            if n > 0 {
                body.push(',');
            }
            body.push_str(self.catalogue.json(i.id).unwrap_or("null"));
        }
        body.push_str("]}");
        reply(StatusCode::OK, "application/json", body)
    }

    pub(crate) fn api_item(&self, req: &Req) -> Resp {
        let raw = tail(&req.path, "/api/items/").unwrap_or("");
        let Ok(id) = raw.parse::<u32>() else {
            return json_error(
                StatusCode::BAD_REQUEST,
                Some("id"),
                &format!("item id must be a whole number (got '{raw}')"),
            );
        };
        match self.catalogue.json(id) {
            Some(j) => reply(StatusCode::OK, "application/json", j.to_string()),
            None => json_error(
                StatusCode::NOT_FOUND,
                Some("id"),
                &format!("no item with id {id}"),
            ),
        }
    }

    pub(crate) fn api_search(&self, req: &Req) -> Resp {
        let q = req.param("q").unwrap_or("").trim();
        if q.is_empty() {
            return json_error(
                StatusCode::BAD_REQUEST,
                Some("q"),
                "q must be a non-empty search text",
            );
        }
        if q.len() > MAX_QUERY {
            return json_error(
                StatusCode::BAD_REQUEST,
                Some("q"),
                &format!("q must be at most {MAX_QUERY} bytes"),
            );
        }
        let ids = self.catalogue.search(q, MAX_SEARCH_RESULTS);
        let items: Vec<Value> = ids
            .iter()
            .filter_map(|id| {
                self.catalogue
                    .json(*id)
                    .and_then(|j| serde_json::from_str(j).ok())
            })
            .collect();
        json(
            StatusCode::OK,
            &json!({ "q": q, "count": items.len(), "items": items }),
        )
    }

    pub(crate) fn api_payload(&self, req: &Req) -> Resp {
        let n = tri!(number(req, "bytes", 1024, 0..=MAX_PAYLOAD));
        let body = if n <= self.payload.len() {
            self.payload.slice(..n)
        } else {
            let mut b = BytesMut::with_capacity(n);
            while b.len() < n {
                let take = (n - b.len()).min(self.payload.len());
                b.extend_from_slice(&self.payload[..take]);
            }
            b.freeze()
        };
        reply(StatusCode::OK, "application/octet-stream", body)
    }

    pub(crate) fn api_orders(&self, req: &Req) -> Resp {
        let is_json = req
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().starts_with("application/json"));
        if !is_json {
            return json_error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                None,
                "content-type must be application/json",
            );
        }
        let v: Value = match serde_json::from_slice(&req.body) {
            Ok(v) => v,
            Err(e) => {
                return json_error(
                    StatusCode::BAD_REQUEST,
                    None,
                    &format!("body is not valid JSON: {e}"),
                )
            }
        };
        let Some(obj) = v.as_object() else {
            return json_error(StatusCode::BAD_REQUEST, None, "body must be a JSON object");
        };
        let bad = |f: &str, m: &str| json_error(StatusCode::BAD_REQUEST, Some(f), m);
        let item_id = match obj.get("item_id").and_then(Value::as_u64) {
            Some(id)
                if u32::try_from(id)
                    .ok()
                    .and_then(|id| self.catalogue.get(id))
                    .is_some() =>
            {
                id as u32
            }
            Some(id) => return bad("item_id", &format!("no item with id {id}")),
            None => {
                return bad(
                    "item_id",
                    "item_id is required and must be a positive whole number",
                )
            }
        };
        let quantity = match obj.get("quantity").and_then(Value::as_u64) {
            Some(q @ 1..=100) => q as u32,
            _ => {
                return bad(
                    "quantity",
                    "quantity is required and must be a whole number from 1 to 100",
                )
            }
        };
        let email = match obj.get("email").and_then(Value::as_str) {
            Some(e)
                if e.len() <= 254
                    && e.split_once('@')
                        .is_some_and(|(a, b)| !a.is_empty() && b.contains('.')) =>
            {
                e
            }
            _ => {
                return bad(
                    "email",
                    "email is required and must look like name@example.com",
                )
            }
        };
        let item = self.catalogue.get(item_id).expect("checked above");
        let order_id = self.orders.fetch_add(1, Ordering::Relaxed) + 1;
        json(
            StatusCode::CREATED,
            &json!({
                "order_id": order_id,
                "item_id": item_id,
                "quantity": quantity,
                "email": email,
                "total_cents": u64::from(item.price_cents) * u64::from(quantity),
                "status": "accepted",
            }),
        )
    }

    pub(crate) fn admin(&self, req: &Req) -> Resp {
        // A dual-stack listener sees IPv4 clients as `::ffff:127.0.0.1`.
        if !req.peer.to_canonical().is_loopback() {
            return json_error(
                StatusCode::FORBIDDEN,
                None,
                "admin routes answer loopback clients only",
            );
        }
        match (req.path.as_str(), &req.method) {
            ("/admin/capacity", &Method::GET) => self.capacity(),
            ("/admin/faults", &Method::GET) => json(StatusCode::OK, &self.faults.get()),
            ("/admin/faults", &Method::POST) => {
                let patch: FaultsPatch = match serde_json::from_slice(&req.body) {
                    Ok(p) => p,
                    Err(e) => {
                        return json_error(
                            StatusCode::BAD_REQUEST,
                            None,
                            &format!("bad faults JSON: {e}"),
                        )
                    }
                };
                match self.faults.apply(&patch, Instant::now()) {
                    Ok(f) => json(StatusCode::OK, &f),
                    Err((field, why)) => json_error(
                        StatusCode::BAD_REQUEST,
                        Some(field),
                        &format!("{field} {why}"),
                    ),
                }
            }
            _ => reply(
                StatusCode::METHOD_NOT_ALLOWED,
                "text/plain; charset=utf-8",
                "method not allowed\n",
            ),
        }
    }

    fn capacity(&self) -> Resp {
        let p = self.config.params();
        let factor = self.faults.service_factor(Instant::now());
        let finite = |v: f64| if v.is_finite() { json!(v) } else { Value::Null };
        let endpoints: Vec<Value> = ENDPOINTS
            .iter()
            .map(|(method, path, route)| {
                let c = cost(*route).expect("listed endpoints are dynamic");
                json!({
                    "method": method,
                    "path": path,
                    "cost": c,
                    "capacity_rps": finite(self.config.capacity_rps(c)),
                    "capacity_rps_now": finite(self.config.capacity_rps(c) / factor),
                })
            })
            .collect();
        json(
            StatusCode::OK,
            &json!({
                "workers": p.workers,
                "service_time_ms": p.service_time_ms,
                "service_dist": p.service_dist,
                "work": p.work,
                "queue": p.queue,
                "queue_timeout_ms": p.queue_timeout_ms,
                "service_factor_now": factor,
                "formula": "capacity_rps = workers * 1000 / (service_time_ms * cost)",
                "endpoints": endpoints,
                "static_assets": "outside the worker pool",
            }),
        )
    }
}
