//! Requests for scenario code: each wraps Goose's own request method, reads the whole
//! body, and records the request's duration (request sent to last body byte, in µs, as
//! k6's `http_req_duration`) and whether it succeeded (a response status below 400, and
//! no transport error) under an endpoint name such as `GET /api/items`. A request of a
//! transaction that started in the point is counted from the moment it is sent, so one
//! that never answers still ends in the results (as *unfinished*).

use goose::goose::{GooseResponse, GooseUser, TransactionError};
use serde::Serialize;

use super::ctx;
pub use crate::record::InFlight;

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

async fn finish(ticket: Option<InFlight>, resp: GooseResponse) -> Reply {
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
    if let Some(t) = ticket {
        t.end(ok);
    }
    Reply { status, body, ok }
}

/// Starts timing a request or check of `name` (for scenario code that sends requests
/// of its own): end it with [`InFlight::end`]; dropped without, it counts as
/// unfinished. `None` outside a counted transaction.
pub fn begin(name: &str) -> Option<InFlight> {
    ctx::begin(name.to_string())
}

/// Sends through Goose and reads the reply, timed under `name`. A request Goose refuses
/// to build ends as a failure before the error is returned.
async fn send<F>(name: String, request: F) -> Fetch
where
    F: std::future::Future<Output = Result<GooseResponse, Box<TransactionError>>>,
{
    let ticket = ctx::begin(name);
    match request.await {
        Ok(r) => Ok(finish(ticket, r).await),
        Err(e) => {
            if let Some(t) = ticket {
                t.end(false);
            }
            Err(e)
        }
    }
}

/// `GET path`, recorded as `GET <path without query>`.
pub async fn get(user: &mut GooseUser, path: &str) -> Fetch {
    send(endpoint_name("GET", path), user.get(path)).await
}

/// `GET path`, recorded under `name` (for paths with ids: `GET /api/items/{id}`).
pub async fn get_as(user: &mut GooseUser, path: &str, name: &str) -> Fetch {
    send(name.to_string(), user.get(path)).await
}

/// `POST path` with a JSON body.
pub async fn post_json<T: Serialize + ?Sized>(user: &mut GooseUser, path: &str, body: &T) -> Fetch {
    send(endpoint_name("POST", path), user.post_json(path, body)).await
}

/// `POST path` with a form body.
pub async fn post_form<T: Serialize + ?Sized>(user: &mut GooseUser, path: &str, form: &T) -> Fetch {
    send(endpoint_name("POST", path), user.post_form(path, form)).await
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
