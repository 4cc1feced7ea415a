//! SIGINT and SIGTERM: the first stops the running load (through Goose's killswitch) and
//! is remembered, so the caller flushes what it measured and exits 130 or 143; a second
//! one exits at once. Goose installs a Ctrl-C handler of its own at each attack; ours is
//! installed first, so Goose's is refused and ours stays in charge.

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::OnceLock;

/// SIGINT.
pub const SIGINT: i32 = 2;
/// SIGTERM.
pub const SIGTERM: i32 = 15;

static RECEIVED: AtomicI32 = AtomicI32::new(0);
static RECEIVED_AT: OnceLock<std::time::Instant> = OnceLock::new();
static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();

fn on_signal(sig: i32) {
    if RECEIVED
        .compare_exchange(0, sig, Ordering::AcqRel, Ordering::Acquire)
        .is_err()
    {
        eprintln!("second signal: exiting now");
        crate::browser::driver::kill_all();
        std::process::exit(128 + sig);
    }
    let _ = RECEIVED_AT.set(std::time::Instant::now());
    let name = name(sig);
    eprintln!("{name} received: stopping the load and writing what was measured");
    goose::trigger_killswitch(&format!("{name} received"));
}

/// Stops the run as a SIGINT does (the partial point is written, `complete=false`, and
/// the caller exits 130), for a stop asked some other way (`why`, printed). Unlike a
/// second signal, a second call does nothing.
pub fn stop(why: &str) {
    if RECEIVED
        .compare_exchange(0, SIGINT, Ordering::AcqRel, Ordering::Acquire)
        .is_ok()
    {
        let _ = RECEIVED_AT.set(std::time::Instant::now());
        eprintln!("{why}: stopping the load and writing what was measured");
        goose::trigger_killswitch(why);
    }
}

/// Installs the handlers once per process.
pub fn install() -> Result<(), String> {
    INSTALLED
        .get_or_init(|| {
            ctrlc::set_handler(|| on_signal(SIGINT))
                .map_err(|e| format!("cannot handle SIGINT: {e}"))?;
            let mut term = signal_hook::iterator::Signals::new([SIGTERM])
                .map_err(|e| format!("cannot handle SIGTERM: {e}"))?;
            std::thread::Builder::new()
                .name("perf-signals".into())
                .spawn(move || {
                    for sig in term.forever() {
                        on_signal(sig);
                    }
                })
                .map_err(|e| format!("cannot start the signal thread: {e}"))?;
            Ok(())
        })
        .clone()
}

/// The first signal received, if any.
pub fn received() -> Option<i32> {
    match RECEIVED.load(Ordering::Acquire) {
        0 => None,
        s => Some(s),
    }
}

/// `SIGINT`, `SIGTERM`, or `signal N`.
pub fn name(sig: i32) -> String {
    match sig {
        SIGINT => "SIGINT".into(),
        SIGTERM => "SIGTERM".into(),
        s => format!("signal {s}"),
    }
}

/// When the first signal arrived, if one did.
pub fn received_at() -> Option<std::time::Instant> {
    RECEIVED_AT.get().copied()
}

/// Re-arms Goose's killswitch if a signal came while Goose was resetting it at the start
/// of an attack.
pub fn reassert() {
    if let Some(sig) = received() {
        if !goose::is_killswitch_triggered() {
            goose::trigger_killswitch(&format!("signal {sig} received"));
        }
    }
}

/// The exit code for a signal: 130 for SIGINT, 143 for SIGTERM.
pub fn exit_code(sig: i32) -> u8 {
    (128 + sig) as u8
}
