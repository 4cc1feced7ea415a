//! `dummy-site`: serve the bundled target until SIGINT or SIGTERM.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Parser;
use dummy_site::{SiteError, SiteParams};

/// The bundled load-test target: a web shop (pages, JSON API, assets) whose capacity is
/// known by construction, with fault injection, /metrics and /admin routes.
///
/// Capacity of an endpoint = workers × 1000 / (service-time-ms × cost); GET /api/items
/// costs 1. GET /admin/capacity lists every endpoint's cost and capacity.
#[derive(Debug, Parser)]
#[command(
    version,
    allow_negative_numbers = true,
    after_help = "Examples:\n  dummy-site --addr 127.0.0.1:8080 --workers 4 --service-time-ms 10   # /api/items holds 400 req/s\n  dummy-site --error-rate 2% --extra-latency-ms 20 --jitter-ms 5\n  curl -X POST 127.0.0.1:8080/admin/faults -d '{\"stall_at_s\":0,\"stall_for_s\":5}'"
)]
struct Cli {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    #[command(flatten)]
    site: SiteParams,
}

fn run(cli: Cli) -> Result<(), SiteError> {
    let site = cli.site.check()?.start(cli.addr)?;
    let cap = site.app().config().capacity_rps(1.0);
    println!(
        "dummy-site listening on {} (GET /api/items capacity {cap:.0} req/s)",
        site.url()
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(SiteError::Runtime)?;
    let signal = rt.block_on(async {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        tokio::select! {
            _ = term.recv() => Ok::<_, std::io::Error>("SIGTERM"),
            _ = int.recv() => Ok("SIGINT"),
        }
    });
    let signal = signal.map_err(SiteError::Runtime)?;
    eprintln!("dummy-site: {signal}, finishing in-flight requests");
    site.shutdown();
    Ok(())
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => return dummy_site::text::clap_exit(&e),
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let mut msg = format!("error: {e}");
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                msg.push_str(&format!(": {s}"));
                src = s.source();
            }
            eprintln!("{}", dummy_site::text::shorten(&msg));
            // Bad options and unusable addresses are usage errors (2); anything else is 1.
            match e {
                SiteError::InvalidParam { .. }
                | SiteError::Option { .. }
                | SiteError::Bind { .. } => ExitCode::from(2),
                SiteError::Runtime(_) => ExitCode::from(1),
            }
        }
    }
}
