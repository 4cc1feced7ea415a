//! Serving: [`SiteConfig::start`] binds, runs the site on its own runtime thread and
//! returns a [`SiteHandle`]; dropping the handle (or [`SiteHandle::shutdown`]) stops
//! accepting, lets in-flight requests finish within `--shutdown-timeout-ms`, and joins.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::sync::{oneshot, Semaphore};

use crate::{App, SiteConfig, SiteError};

/// A running site. Dropping it shuts the site down gracefully.
#[derive(Debug)]
pub struct SiteHandle {
    addr: SocketAddr,
    app: Arc<App>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl SiteHandle {
    /// The bound address (with the real port when port 0 was asked for).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`, without a trailing slash.
    pub fn url(&self) -> String {
        // A site listening on every address (`0.0.0.0`, `[::]`) is reached on loopback.
        let mut a = self.addr;
        if a.ip().is_unspecified() {
            a.set_ip(match a.ip() {
                std::net::IpAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                std::net::IpAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        format!("http://{a}")
    }

    /// The site's state: metrics, faults, configuration.
    pub fn app(&self) -> &Arc<App> {
        &self.app
    }

    /// Stops accepting, waits for in-flight requests (bounded by the shutdown timeout)
    /// and joins the site's thread.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for SiteHandle {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

impl SiteConfig {
    /// Binds `addr` (port 0 picks a free port) and serves the site on a thread of its own.
    pub fn start(self, addr: SocketAddr) -> Result<SiteHandle, SiteError> {
        let listener =
            std::net::TcpListener::bind(addr).map_err(|source| SiteError::Bind { addr, source })?;
        listener.set_nonblocking(true).map_err(SiteError::Runtime)?;
        let addr = listener.local_addr().map_err(SiteError::Runtime)?;
        let threads = match self.params().threads {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        };
        // One thread: a current-thread runtime, so accepting and serving never switch
        // threads (what a server pinned to one core wants).
        let mut builder = if threads == 1 {
            tokio::runtime::Builder::new_current_thread()
        } else {
            let mut b = tokio::runtime::Builder::new_multi_thread();
            b.worker_threads(threads);
            b
        };
        let runtime = builder
            .thread_name("dummy-site")
            .enable_all()
            .build()
            .map_err(SiteError::Runtime)?;
        let app = Arc::new(App::new(self));
        let (stop, stopped) = oneshot::channel();
        let served = app.clone();
        let thread = std::thread::Builder::new()
            .name("dummy-site-main".into())
            .spawn(move || {
                runtime.block_on(async move {
                    match tokio::net::TcpListener::from_std(listener) {
                        Ok(l) => serve(l, served, stopped).await,
                        Err(e) => eprintln!("dummy-site: cannot register the listener: {e}"),
                    }
                });
                runtime.shutdown_timeout(Duration::from_millis(100));
            })
            .map_err(SiteError::Runtime)?;
        Ok(SiteHandle {
            addr,
            app,
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

async fn serve(
    listener: tokio::net::TcpListener,
    app: Arc<App>,
    mut stopped: oneshot::Receiver<()>,
) {
    let p = app.config().params().clone();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(Duration::from_millis(p.header_read_timeout_ms))
        .max_header_size(p.max_header_bytes)
        .max_buf_size(p.max_header_bytes.max(8192))
        .keep_alive(true);
    if p.max_headers != 100 {
        // hyper keeps up to 100 headers on the stack; another limit moves them to the heap.
        http.max_headers(p.max_headers);
    }
    let graceful = GracefulShutdown::new();
    let connections = Arc::new(Semaphore::new(p.max_connections));
    loop {
        let Ok(permit) = connections.clone().acquire_owned().await else {
            break;
        };
        let (stream, peer) = tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait a moment, keep serving.
                    eprintln!("dummy-site: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let ip = peer.ip();
        let service = service_fn(move |req| {
            let app = app.clone();
            async move { Ok::<_, Infallible>(app.handle(req, ip).await) }
        });
        let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            let _ = conn.await;
            drop(permit);
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(
        Duration::from_millis(p.shutdown_timeout_ms),
        graceful.shutdown(),
    )
    .await;
}
