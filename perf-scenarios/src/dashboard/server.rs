//! The dashboard's HTTP server (hyper, on a runtime and thread of its own, so pages cost
//! the load's runtime nothing): the page and its scripts, all embedded in the binary;
//! `/events`, the history then every new event as server-sent events; and `POST /stop`.
//!
//! Stop is guarded against other sites: the request must carry the page's per-run
//! token in a header (a form on another site cannot set headers, and cannot read the
//! page to learn the token), its `Origin` must be this server's, and its `Host` must be
//! this server's address (a DNS-rebound name is refused).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full};
use hyper::body::{Body, Frame, Incoming};
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use tokio::sync::{broadcast, mpsc};

use super::hub::Hub;

const PAGE: &str = include_str!("assets/index.html");
const SCRIPT: &str = include_str!("assets/dashboard.js");
const UPLOT_JS: &str = include_str!("assets/uPlot.iife.min.js");
const UPLOT_CSS: &str = include_str!("assets/uPlot.min.css");
const UPLOT_LICENSE: &str = include_str!("assets/uPlot-LICENSE");

/// The header carrying the page's token on `POST /stop`.
pub const TOKEN_HEADER: &str = "x-dashboard-token";

/// What the server answers with.
#[derive(Debug)]
pub struct Served {
    /// The hub whose events it streams.
    pub hub: &'static Hub,
    /// The address it listens on.
    pub addr: SocketAddr,
    /// The per-run token that `POST /stop` must carry.
    pub token: String,
    /// Called once on an accepted stop.
    pub stop: fn(&str),
}

type Resp = Response<BoxBody<Bytes, Infallible>>;

fn text(status: StatusCode, kind: &'static str, body: impl Into<Bytes>) -> Resp {
    let mut r = Response::new(Full::new(body.into()).boxed());
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(kind));
    r
}

/// Serves `listener` until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, served: Arc<Served>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of descriptors and the like: the run goes on without new pages.
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            continue;
        };
        let served = served.clone();
        let service = hyper::service::service_fn(move |req| {
            let served = served.clone();
            async move { Ok::<_, Infallible>(route(&served, req)) }
        });
        tokio::spawn(async move {
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
        });
    }
}

fn route(s: &Served, req: Request<Incoming>) -> Resp {
    if !host_is_ours(s, &req) {
        return text(
            StatusCode::MISDIRECTED_REQUEST,
            "text/plain",
            "not this dashboard's address\n",
        );
    }
    match (req.method(), req.uri().path()) {
        (&Method::GET, "/") => text(
            StatusCode::OK,
            "text/html; charset=utf-8",
            PAGE.replace("{{TOKEN}}", &s.token),
        ),
        (&Method::GET, "/dashboard.js") => text(StatusCode::OK, "text/javascript", SCRIPT),
        (&Method::GET, "/uPlot.iife.min.js") => text(StatusCode::OK, "text/javascript", UPLOT_JS),
        (&Method::GET, "/uPlot.min.css") => text(StatusCode::OK, "text/css", UPLOT_CSS),
        (&Method::GET, "/uPlot-LICENSE") => text(StatusCode::OK, "text/plain", UPLOT_LICENSE),
        (&Method::GET, "/favicon.ico") => text(StatusCode::NO_CONTENT, "text/plain", ""),
        (&Method::GET, "/events") => events(s.hub),
        (&Method::POST, "/stop") => stop(s, &req),
        (_, "/" | "/events" | "/stop") => text(
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain",
            "method not allowed\n",
        ),
        _ => text(StatusCode::NOT_FOUND, "text/plain", "not found\n"),
    }
}

/// The `Host` header names this server: its address, or `localhost` on its port.
fn host_is_ours(s: &Served, req: &Request<Incoming>) -> bool {
    let Some(host) = req.headers().get(hyper::header::HOST) else {
        return false;
    };
    let host = host.to_str().unwrap_or("");
    host == s.addr.to_string()
        || (s.addr.ip().is_loopback() && host == format!("localhost:{}", s.addr.port()))
}

fn stop(s: &Served, req: &Request<Incoming>) -> Resp {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let host = header("host").unwrap_or("");
    let same_origin = header("origin") == Some(&format!("http://{host}"));
    if !same_origin {
        return text(
            StatusCode::FORBIDDEN,
            "text/plain",
            "stop refused: the request does not come from this dashboard's page\n",
        );
    }
    if header(TOKEN_HEADER) != Some(s.token.as_str()) {
        return text(
            StatusCode::FORBIDDEN,
            "text/plain",
            "stop refused: missing or wrong token\n",
        );
    }
    (s.stop)("stop pressed on the dashboard");
    text(StatusCode::ACCEPTED, "text/plain", "stopping\n")
}

/// The history, then each new event as it comes. A page too slow to keep up is closed,
/// and its browser reconnects and gets the history again.
fn events(hub: &'static Hub) -> Resp {
    let (past, mut rx) = hub.subscribe();
    let (tx, body_rx) = mpsc::channel::<Bytes>(64);
    tokio::spawn(async move {
        // Browsers reconnect after 1 s when the stream ends.
        let first = format!("retry: 1000\n\n{past}");
        if tx.send(Bytes::from(first)).await.is_err() {
            return;
        }
        loop {
            let next = tokio::select! {
                ev = rx.recv() => ev,
                _ = tx.closed() => return,
            };
            match next {
                Ok(ev) => {
                    if tx.send(Bytes::from(ev.as_bytes().to_vec())).await.is_err() {
                        return;
                    }
                }
                Err(
                    broadcast::error::RecvError::Lagged(_) | broadcast::error::RecvError::Closed,
                ) => return,
            }
        }
    });
    let mut r = Response::new(SseBody(body_rx).boxed());
    let h = r.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// A response body fed from a channel, a chunk per event.
struct SseBody(mpsc::Receiver<Bytes>);

impl Body for SseBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.0.poll_recv(cx).map(|c| c.map(|b| Ok(Frame::data(b))))
    }
}
