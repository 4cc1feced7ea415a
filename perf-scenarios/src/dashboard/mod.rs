//! `--dashboard [ADDR]`: a live web page while load runs. The process serves it itself
//! (everything embedded in the binary; charts by the vendored uPlot 1.6.32, MIT, see
//! `assets/uPlot-LICENSE`) and pushes server-sent events: each session and point, every
//! second of the running point ([`live`]), each finished point, notes, and a search's
//! points, model and interval after every step. A stop button ends the run as SIGINT
//! does ([`server`] guards it).
//!
//! - [`hub`]: the events, their history and the pages listening.
//! - [`live`]: the engine's seconds into events, on a thread of their own.
//! - [`observer`](mod@observer): the session's observer that publishes (and prints, as the console).
//! - [`server`]: the HTTP side.
//!
//! Off, nothing of it runs. On, the engine hands each harvested second to a channel
//! once a second; nothing touches the per-request path.

pub mod hub;
pub mod live;
pub mod observer;
pub mod server;

use std::io::Read;
use std::net::SocketAddr;
use std::sync::mpsc::Sender;
use std::sync::{Arc, OnceLock};

use anyhow::{anyhow, Context};

use hub::Hub;
use live::Msg;

/// The default address: loopback, k6's dashboard port.
pub const DEFAULT_ADDR: &str = "127.0.0.1:5665";

struct Dashboard {
    hub: Hub,
    tx: Sender<Msg>,
}

static DASHBOARD: OnceLock<Dashboard> = OnceLock::new();

/// A token no other page can guess: 128 bits from the system's random source.
fn token() -> anyhow::Result<String> {
    let mut b = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut b))
        .context("cannot read /dev/urandom for the stop token")?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

/// Listens on `addr` and serves the dashboard for the rest of the process; returns the
/// address bound (port 0 picks a free one). Fails, before any load, when the address
/// cannot be bound.
pub fn start(addr: SocketAddr) -> anyhow::Result<SocketAddr> {
    let listener = std::net::TcpListener::bind(addr)
        .map_err(|e| anyhow!("--dashboard {addr}: cannot listen there: {e}"))?;
    let bound = listener.local_addr()?;
    listener.set_nonblocking(true)?;
    let (tx, rx) = std::sync::mpsc::channel();
    if DASHBOARD
        .set(Dashboard {
            hub: Hub::default(),
            tx,
        })
        .is_err()
    {
        return Err(anyhow!("--dashboard: the dashboard is already running"));
    }
    let d = DASHBOARD.get().expect("set above");
    std::thread::Builder::new()
        .name("dashboard-live".into())
        .spawn(move || live::work(rx, &d.hub))?;
    let served = Arc::new(server::Served {
        hub: &d.hub,
        addr: bound,
        token: token()?,
        stop: perf_core::engine::signals::stop,
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("--dashboard: cannot start its runtime")?;
    std::thread::Builder::new()
        .name("dashboard-http".into())
        .spawn(move || {
            rt.block_on(async move {
                match tokio::net::TcpListener::from_std(listener) {
                    Ok(l) => server::serve(l, served).await,
                    Err(e) => eprintln!("dashboard: cannot register the listener: {e}"),
                }
            })
        })?;
    println!("dashboard: http://{bound}/");
    Ok(bound)
}

/// Microseconds as milliseconds, as the page shows every latency.
fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

/// An SLO verdict as the page shows it.
fn verdict(v: &perf_core::SloVerdict) -> serde_json::Value {
    serde_json::json!({ "rule": v.slo.rule, "observed": v.observed_text(), "pass": v.pass })
}

/// The session observer with the dashboard on (the console without it, when the
/// dashboard was not started).
pub fn observer() -> Box<dyn perf_core::session::Observer> {
    match DASHBOARD.get() {
        Some(d) => Box::new(observer::DashObserver::new(&d.hub, d.tx.clone())),
        None => crate::output::Console::boxed(),
    }
}
