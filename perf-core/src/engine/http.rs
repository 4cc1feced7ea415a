//! Requests for scenario code: each wraps Goose's own request method, reads the whole
//! body, and records the request's duration (request sent to last body byte, in µs, as
//! k6's `http_req_duration`) and whether it succeeded (a response status below 400, and
//! no transport error) under an endpoint name such as `GET /api/items`.

use std::time::Instant;

use goose::goose::{GooseResponse, GooseUser, TransactionError};
use serde::Serialize;

use super::ctx::current;

/// A response, read whole.
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status (0 when no response came).
    pub status: u16,
    /// The body.
    pub body: bytes::Bytes,
    /// Whether the request counted as a success.
    pub ok: bool,
}

impl Reply {
    /// The body as text (lossy).
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }
}

/// Result of a request helper.
pub type Fetch = Result<Reply, Box<TransactionError>>;

/// `GET /path?x=1` → `GET /path`: endpoint names leave out the query.
pub fn endpoint_name(method: &str, path: &str) -> String {
    format!("{method} {}", path.split('?').next().unwrap_or(path))
}

async fn finish(name: &str, started: Instant, resp: GooseResponse) -> Reply {
    let mut ok = resp.request.success;
    let status = resp.request.status_code;
    let body = match resp.response {
        Ok(r) => match r.bytes().await {
            Ok(b) => b,
            Err(_) => {
                ok = false;
                bytes::Bytes::new()
            }
        },
        Err(_) => {
            ok = false;
            bytes::Bytes::new()
        }
    };
    record(name, started, ok);
    Reply { status, body, ok }
}

/// Records a request or check of `name` that started at `started` and ends now.
pub fn record(name: &str, started: Instant, ok: bool) {
    let done = Instant::now();
    if let Some(ctx) = current() {
        ctx.recorder.record(
            name,
            done.duration_since(started).as_micros() as u64,
            ok,
            done,
        );
    }
}

/// `GET path`, recorded as `GET <path without query>`.
pub async fn get(user: &mut GooseUser, path: &str) -> Fetch {
    get_as(user, path, &endpoint_name("GET", path)).await
}

/// `GET path`, recorded under `name` (for paths with ids: `GET /api/items/{id}`).
pub async fn get_as(user: &mut GooseUser, path: &str, name: &str) -> Fetch {
    let t = Instant::now();
    let r = user.get(path).await?;
    Ok(finish(name, t, r).await)
}

/// `POST path` with a JSON body.
pub async fn post_json<T: Serialize + ?Sized>(user: &mut GooseUser, path: &str, body: &T) -> Fetch {
    let t = Instant::now();
    let r = user.post_json(path, body).await?;
    Ok(finish(&endpoint_name("POST", path), t, r).await)
}

/// `POST path` with a form body.
pub async fn post_form<T: Serialize + ?Sized>(user: &mut GooseUser, path: &str, form: &T) -> Fetch {
    let t = Instant::now();
    let r = user.post_form(path, form).await?;
    Ok(finish(&endpoint_name("POST", path), t, r).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_leave_out_queries() {
        assert_eq!(endpoint_name("GET", "/api/items?page=2"), "GET /api/items");
        assert_eq!(endpoint_name("POST", "/login"), "POST /login");
    }
}
