//! The bundled load-test target: a small web shop on hyper 1 whose capacity is known
//! by construction.
//!
//! - [`SiteParams`] → [`SiteParams::check`] → [`SiteConfig`] → [`SiteConfig::start`] →
//!   [`SiteHandle`] (bound address, graceful shutdown on drop).
//! - [`App`]: the state and router, transport-free, so benches call
//!   [`App::handle`] directly.
//! - The capacity model ([`pool`]): dynamic endpoints wait for one of `workers` permits
//!   and hold it for `service_time_ms × cost`; a bounded queue answers 503 when full or
//!   after `queue_timeout_ms`. `GET /api/items` costs 1, so its capacity is
//!   `workers × 1000 / service_time_ms` requests per second ([`capacity_rps`]).
//! - Faults ([`faults`]): random 500s, extra latency and jitter, a stall, slow
//!   degradation; changed at run time with `POST /admin/faults`.
//!
//! ```
//! use dummy_site::SiteParams;
//!
//! let site = SiteParams { workers: 4, service_time_ms: 10.0, ..SiteParams::default() }
//!     .check()?
//!     .start("127.0.0.1:0".parse().unwrap())?;
//! assert_eq!(site.app().config().capacity_rps(1.0), 400.0);
//! println!("serving on {}", site.url());
//! site.shutdown();
//! # Ok::<(), dummy_site::SiteError>(())
//! ```

// Handlers return `Result<_, Response>`: the error *is* the reply, moved once per
// request; boxing it would add an allocation to every error response.
#![allow(clippy::result_large_err)]

mod api;
mod app;
mod assets;
mod catalogue;
mod config;
mod error;
pub mod faults;
mod metrics;
mod pages;
pub mod pool;
mod server;
mod session;
pub mod text;
mod web;

pub use api::{MAX_PAGE_SIZE, MAX_PAYLOAD};
pub use app::{cost, route_of, App, Resp};
pub use config::{capacity_rps, fraction, ServiceDist, SiteConfig, SiteParams, Work};
pub use error::SiteError;
pub use metrics::{Metrics, Route};
pub use server::SiteHandle;
