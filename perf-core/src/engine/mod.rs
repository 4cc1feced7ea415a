//! The Goose-based engine: [`run_point`] runs one load point against a target and
//! returns what it measured ([`PointOutcome`]). Goose drives the users and the HTTP;
//! this adds the open model ([`pacing`]), µs histograms per endpoint and per second
//! ([`crate::record`]), resource sampling ([`resources`]), SLO verdicts, the
//! generator-saturation guard (CPU, late starts, and the runtime's own lag: [`lag`]), and
//! signal handling ([`signals`]).
//!
//! Nothing started is lost: a request of a transaction that started in the window is
//! recorded however it ends ([`crate::record::InFlight`]); requests still in flight when
//! the window ends get [`PointSpec::grace`] to finish and are then counted as failures of
//! kind unfinished; scheduled starts that no user reached are dropped starts. A point
//! with starts and no finished request cannot pass. Goose's per-request warnings are
//! summed up per second ([`warnings`]). A point ends as soon as its window is over and
//! no counted transaction runs: the engine then stops Goose through its killswitch
//! instead of waiting out Goose's whole-second `run_time`, which stays as a bound.

pub mod ctx;
pub mod http;
pub mod lag;
pub mod live;
pub mod pacing;
pub mod resources;
pub mod signals;
pub mod warnings;

use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use goose::config::GooseConfiguration;
use goose::prelude::{GooseAttack, GooseError};

use crate::load::{LoadModel, LoadPoint};
use crate::measured::Measured;
use crate::record::Recorder;
use crate::scenario::ScenarioSpec;
use crate::slo::Slo;
use crate::summary::{Environment, PointDetail, PointRow, ResourceSample, TimelineRow};
use ctx::RunCtx;
use pacing::{Next, Pacer};
pub use resources::Target;

/// The engine failed to run a point.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The target URL is not usable.
    #[error("invalid target URL '{url}': {reason}")]
    BadHost {
        /// The URL given.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// Nothing answers at the target's address.
    #[error("cannot connect to the target {url}")]
    Unreachable {
        /// The URL.
        url: String,
        /// The connection error.
        #[source]
        source: std::io::Error,
    },
    /// The scenario's transactions could not be built.
    #[error("scenario '{scenario}' could not be built: {reason}")]
    Build {
        /// The scenario.
        scenario: String,
        /// Goose's reason.
        reason: String,
    },
    /// Goose refused or failed the attack.
    #[error("the load generator failed: {0}")]
    Goose(String),
    /// Signal handlers could not be installed.
    #[error("{0}")]
    Signals(String),
    /// A segment of a closed-model test that would run no user.
    #[error(
        "segment {segment} of {users} user(s) has no user of its own: use at most {users} segments"
    )]
    EmptySegment {
        /// The segment.
        segment: crate::segment::Segment,
        /// The whole test's users.
        users: usize,
    },
}

impl From<GooseError> for EngineError {
    fn from(e: GooseError) -> Self {
        Self::Goose(e.to_string())
    }
}

/// Everything needed to run one point.
#[derive(Clone)]
pub struct PointSpec {
    /// The results directory's run id.
    pub run_id: String,
    /// Index of the point in the run.
    pub index: usize,
    /// The scenario.
    pub scenario: ScenarioSpec,
    /// Model, duration, parameters.
    pub point: LoadPoint,
    /// Target base URL, `http://127.0.0.1:8080`.
    pub host: String,
    /// SLOs to judge.
    pub slos: Vec<Slo>,
    /// Seed of the scenario's random draws.
    pub seed: u64,
    /// Per-request timeout.
    pub timeout: Duration,
    /// How long requests still in flight at the end of the window may take to finish
    /// before they are counted as unfinished failures (k6's `gracefulStop`).
    pub grace: Duration,
    /// Where the target runs (for resource sampling).
    pub target: Target,
    /// Folder for Goose's own HTML report of the point (turns Goose's metrics on).
    pub goose_report_dir: Option<PathBuf>,
    /// Browser users running the scenario's browser steps during the point.
    pub browser: Option<BrowserLoad>,
    /// This process's share of the test ([`crate::segment`]); the whole test by default.
    pub segment: crate::segment::Segment,
    /// When the point's schedule starts, on the wall clock (segments that start
    /// together); without it, as soon as the users are up.
    pub start_at: Option<std::time::SystemTime>,
    /// Where each harvested second goes as the point runs (a live view); none by default.
    pub live: Option<live::LiveSink>,
}

impl std::fmt::Debug for PointSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PointSpec")
            .field("run_id", &self.run_id)
            .field("index", &self.index)
            .field("scenario", &self.scenario.name)
            .field("point", &self.point)
            .field("host", &self.host)
            .field("segment", &self.segment)
            .field("start_at", &self.start_at)
            .field("live", &self.live.is_some())
            .finish_non_exhaustive()
    }
}

/// Browser users during a point: their sessions and the steps they run.
#[derive(Debug, Clone)]
pub struct BrowserLoad {
    /// The sessions.
    pub browsers: Arc<crate::browser::Browsers>,
    /// The scenario's browser steps.
    pub journey: crate::browser::Journey,
}

/// What a point measured.
#[derive(Debug, Clone)]
pub struct PointOutcome {
    /// The `points/<n>.json` content, including the `runs.csv` row.
    pub detail: PointDetail,
    /// Its per-second timeline.
    pub timeline: Vec<TimelineRow>,
    /// The histograms the point's summaries and timeline were cut from, as stored.
    pub histograms: crate::hdr::PointHistograms,
    /// The signal that interrupted it, if any.
    pub interrupted: Option<i32>,
    /// Every browser step run during the point.
    pub browser: Vec<crate::browser::CheckRecord>,
}

/// Checks that the URL is http(s) with a host, and that something accepts connections
/// there within three seconds.
pub fn check_target(url: &str) -> Result<(), EngineError> {
    let bad = |reason: &str| EngineError::BadHost {
        url: url.to_string(),
        reason: reason.to_string(),
    };
    let parsed = url::Url::parse(url).map_err(|e| bad(&e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad("the scheme must be http or https"));
    }
    if parsed.host().is_none() {
        return Err(bad("it has no host"));
    }
    if parsed.port_or_known_default().is_none() {
        return Err(bad("it has no port"));
    }
    let unreachable = |source| EngineError::Unreachable {
        url: url.to_string(),
        source,
    };
    // The URL's own resolver: an IPv6 literal is `[::1]` in the URL but `::1` to connect.
    let addrs = parsed.socket_addrs(|| None).map_err(unreachable)?;
    let mut last =
        std::io::Error::new(std::io::ErrorKind::NotFound, "the host name has no address");
    for a in addrs {
        match TcpStream::connect_timeout(&a, Duration::from_secs(3)) {
            Ok(_) => return Ok(()),
            Err(e) => last = e,
        }
    }
    Err(unreachable(last))
}

/// The environment this process runs in, as a point records it: known before any load,
/// so a gate can refuse a baseline from another machine before running.
pub fn environment(target: Target) -> Environment {
    let git_sha = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    Environment {
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        goose_version: "0.19".to_string(),
        git_sha,
        cores: std::thread::available_parallelism().map_or(1, usize::from),
        os: format!("{} {}", std::env::consts::OS, kernel.trim()),
        cpu_model: std::fs::read_to_string("/proc/cpuinfo")
            .unwrap_or_default()
            .lines()
            .find_map(|l| {
                l.strip_prefix("model name")?
                    .split_once(':')
                    .map(|x| x.1.trim().to_string())
            })
            .unwrap_or_default(),
        target_in_process: target == Target::InProcess,
    }
}

/// When the measurement window starts: fixed by the first transaction.
#[derive(Debug)]
struct Start {
    first: OnceLock<Instant>,
    lead: Duration,
}

impl Start {
    /// Fixed at `begin` (a common start time) when given.
    fn new(lead: Duration, begin: Option<Instant>) -> Self {
        let first = OnceLock::new();
        if let Some(b) = begin {
            let _ = first.set(b);
        }
        Self { first, lead }
    }
    /// The first transaction's time, when fixed in advance.
    fn begin(&self) -> Option<Instant> {
        self.first.get().copied()
    }
    fn mark(&self) -> Instant {
        *self.first.get_or_init(Instant::now) + self.lead
    }
    fn get(&self) -> Option<Instant> {
        self.first.get().map(|f| *f + self.lead)
    }
}

/// How many counted transactions are running now: when the window is over and none is,
/// the point has ended and Goose is stopped without waiting for its whole-second
/// `run_time` (a safety bound only).
#[derive(Debug, Default)]
struct Busy(std::sync::atomic::AtomicUsize);

impl Busy {
    fn enter(&self) -> BusyGuard<'_> {
        self.0.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        BusyGuard(self)
    }
    fn idle(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Acquire) == 0
    }
}

/// One running transaction; it leaves on drop, so a transaction dropped by Goose counts
/// out too.
struct BusyGuard<'a>(&'a Busy);

impl Drop for BusyGuard<'_> {
    fn drop(&mut self) {
        self.0 .0.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
    }
}

/// Transactions by cumulative weight, for a weighted pick per start.
type Table = Arc<Vec<(u64, goose::goose::TransactionFunction)>>;

/// In a scenario without sequences, each start runs a transaction picked by weight from
/// the run's seeded draws. Goose would give every user the same ordered list, so short
/// points with many users would run mostly the first transaction and skew the mix.
/// Sequenced scenarios (user flows) keep Goose's order per user.
fn weighted_table(scenario: &goose::prelude::Scenario) -> Option<Table> {
    let body: Vec<_> = scenario
        .transactions
        .iter()
        .filter(|t| !t.on_start && !t.on_stop)
        .collect();
    if body.is_empty() || body.iter().any(|t| t.sequence > 0) {
        return None;
    }
    let mut total = 0u64;
    let table = body
        .iter()
        .map(|t| {
            total += t.weight.max(1) as u64;
            (total, t.function.clone())
        })
        .collect();
    Some(Arc::new(table))
}

fn pick(table: &Table) -> goose::goose::TransactionFunction {
    let total = table.last().map_or(1, |(w, _)| *w);
    let draw = ctx::random_below(total);
    table
        .iter()
        .find(|(w, _)| draw < *w)
        .map_or_else(|| table[0].1.clone(), |(_, f)| f.clone())
}

/// The phases of the end of a point, shared by the transactions and the supervisor
/// ([`sample_loop`]): transactions run while `Running`; from `NoNewStarts` (the window is
/// over, or a signal came) none start; at `Cancel` (the grace period is over) the ones
/// still running are dropped, and their requests in flight end as unfinished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    Running,
    NoNewStarts,
    Cancel,
}

/// The most time in-flight requests get after a signal (or the grace period, if shorter).
const INTERRUPT_GRACE: Duration = Duration::from_secs(2);

/// Runs a counted transaction until it ends or the point cancels it.
async fn counted_until_cancel(
    phase: &mut tokio::sync::watch::Receiver<Phase>,
    busy: &Busy,
    f: impl std::future::Future<Output = goose::goose::TransactionResult>,
) -> goose::goose::TransactionResult {
    let _running = busy.enter();
    tokio::select! {
        r = ctx::counted(f) => r,
        _ = phase.wait_for(|p| *p == Phase::Cancel) => Ok(()),
    }
}

/// Wraps each transaction: the open model waits for its scheduled start, the closed
/// model counts a transaction that starts inside the window. Counted transactions run
/// until they end or the grace period is over; none starts once the window is over.
fn wrap(
    scenario: &mut goose::prelude::Scenario,
    pacer: Option<Arc<Pacer>>,
    start: Arc<Start>,
    duration: Duration,
    phase: tokio::sync::watch::Receiver<Phase>,
    busy: Arc<Busy>,
) {
    let table = weighted_table(scenario);
    for t in scenario
        .transactions
        .iter_mut()
        .filter(|t| !t.on_start && !t.on_stop)
    {
        let own = t.function.clone();
        let (pacer, start, table, phase, busy) = (
            pacer.clone(),
            start.clone(),
            table.clone(),
            phase.clone(),
            busy.clone(),
        );
        t.function = Arc::new(move |user| {
            let inner = table.as_ref().map_or_else(|| own.clone(), pick);
            let (pacer, start, mut phase, busy) =
                (pacer.clone(), start.clone(), phase.clone(), busy.clone());
            Box::pin(async move {
                let idle = || tokio::time::sleep(Duration::from_millis(100));
                if *phase.borrow() != Phase::Running {
                    idle().await;
                    return Ok(());
                }
                match &pacer {
                    Some(p) => match p.claim() {
                        Next::Run(due) => {
                            let woke = tokio::select! {
                                _ = tokio::time::sleep_until(due.into()) => true,
                                _ = phase.wait_for(|p| *p != Phase::Running) => false,
                            };
                            let signal = signals::received_at();
                            if !woke || signal.is_some_and(|at| due >= at) {
                                // The cut: a signal, or the end of the window.
                                let cut = signal
                                    .or_else(|| p.started().map(|t0| t0 + duration))
                                    .unwrap_or_else(Instant::now);
                                p.abandon(due, cut);
                                return Ok(());
                            }
                            let r = counted_until_cancel(&mut phase, &busy, inner(user)).await;
                            p.done();
                            r
                        }
                        Next::Done => {
                            idle().await;
                            Ok(())
                        }
                    },
                    None => {
                        if let Some(b) = start.begin().filter(|b| *b > Instant::now()) {
                            tokio::time::sleep_until(b.into()).await;
                        }
                        let from = start.mark();
                        let now = Instant::now();
                        if now >= from && now < from + duration {
                            counted_until_cancel(&mut phase, &busy, inner(user)).await
                        } else {
                            inner(user).await
                        }
                    }
                }
            })
        });
    }
}

fn goose_config(
    spec: &PointSpec,
    users: usize,
    run_secs: u64,
    ramp_up: Duration,
) -> GooseConfiguration {
    let mut c = GooseConfiguration::default();
    c.host = Some(spec.host.clone());
    c.users = Some(users);
    if ramp_up >= Duration::from_secs(1) && users >= 2 {
        c.increase_time = Some(ramp_up.as_secs().to_string());
    } else {
        // Every user started within about a quarter of a second.
        c.increase_rate = Some(format!("{}", (users * 4).max(1)));
    }
    c.run_time = Some(run_secs.to_string());
    c.quiet = 1;
    c.no_print_metrics = true;
    c.no_error_summary = true;
    c.no_telnet = true;
    c.no_gzip = true;
    c.timeout = Some(format!("{}", spec.timeout.as_secs_f64()));
    match &spec.goose_report_dir {
        Some(dir) => {
            c.output_dir = Some(dir.display().to_string());
            c.report_file = vec![goose::config::RUN_FOLDER.to_string()];
        }
        None => c.no_metrics = true,
    }
    c
}

/// Runs one load point. Call from a Tokio runtime; points run one at a time per process
/// (a second call waits until the first has ended).
///
/// Long on purpose: the order in which the recorder, pacer, sampler, browser users and
/// Goose start and stop is the point's timing contract, and it reads best top to bottom.
pub async fn run_point(spec: &PointSpec) -> Result<PointOutcome, EngineError> {
    // Goose's state and the point's context are process-wide: a second point started
    // meanwhile (another session, another test) waits for this one to end.
    static ONE_POINT: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _one = ONE_POINT.lock().await;
    signals::install().map_err(EngineError::Signals)?;
    warnings::install();
    let started_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let LoadPoint {
        model,
        duration,
        params,
    } = &spec.point;
    let recorder = Arc::new(Recorder::new());
    let ctx = RunCtx::install(
        recorder.clone(),
        params.clone(),
        spec.segment.seed(spec.seed) ^ spec.index as u64,
    );
    let seg = spec.segment;
    // The common start as an instant, and how long until it (Goose's run time bound).
    let begin = spec.start_at.map(|t| {
        let now = (Instant::now(), std::time::SystemTime::now());
        match t.duration_since(now.1) {
            Ok(ahead) => now.0 + ahead,
            Err(late) => now.0.checked_sub(late.duration()).unwrap_or(now.0),
        }
    });
    let wait_secs = begin.map_or(0, |b| {
        b.saturating_duration_since(Instant::now()).as_secs() + 1
    });
    let mut scenario = (spec.scenario.build)(params).map_err(|e| EngineError::Build {
        scenario: spec.scenario.name.to_string(),
        reason: e.to_string(),
    })?;
    let (users, pacer, start, run_secs) = match model {
        LoadModel::Open { rate, max_users } => {
            let users = (seg.share(*max_users as u64) as usize).max(1);
            let lead = Duration::from_millis(300 + users as u64 / 4);
            let mut pacer = Pacer::new(*rate, *duration, users, lead).segment(seg);
            if let Some(b) = begin {
                pacer = pacer.starting_at(b);
            }
            let secs = (duration.as_secs_f64() + lead.as_secs_f64() + 1.0).ceil() as u64;
            (
                users,
                Some(Arc::new(pacer)),
                Arc::new(Start::new(lead, None)),
                secs + wait_secs,
            )
        }
        LoadModel::Closed {
            users,
            think,
            ramp_up,
        } => {
            if !think.is_zero() {
                scenario = scenario.set_wait_time(*think, *think)?;
            }
            let mine = seg.share(*users as u64) as usize;
            if mine == 0 {
                return Err(EngineError::EmptySegment {
                    segment: seg,
                    users: *users,
                });
            }
            let secs = (duration.as_secs_f64() + 1.0).ceil() as u64;
            (
                mine,
                None,
                Arc::new(Start::new(*ramp_up, begin)),
                secs + wait_secs,
            )
        }
    };
    let (phase_tx, phase_rx) = tokio::sync::watch::channel(Phase::Running);
    let busy = Arc::new(Busy::default());
    wrap(
        &mut scenario,
        pacer.clone(),
        start.clone(),
        *duration,
        phase_rx,
        busy.clone(),
    );
    let config = goose_config(
        spec,
        users,
        run_secs,
        match model {
            LoadModel::Closed { ramp_up, .. } => *ramp_up,
            LoadModel::Open { .. } => Duration::ZERO,
        },
    );

    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let t0_of: Box<dyn Fn() -> Option<Instant> + Send> = match &pacer {
        Some(p) => {
            let p = p.clone();
            Box::new(move || p.started())
        }
        None => {
            let s = start.clone();
            Box::new(move || s.get())
        }
    };
    let feed = spec.live.clone().map(|sink| Feed {
        sink,
        point: spec.index,
        pacer: pacer.clone(),
        busy: busy.clone(),
    });
    let sampler = tokio::spawn(sample_loop(
        recorder.clone(),
        t0_of,
        Ending {
            duration: *duration,
            grace: spec.grace,
            phase: phase_tx,
            busy,
        },
        (spec.target, feed),
        stop_rx,
    ));
    let (browser_stop, browser_task) = match &spec.browser {
        Some(b) => {
            let (tx, rx) = tokio::sync::watch::channel(false);
            let rec = recorder.clone();
            let on_step: crate::browser::OnStep = Arc::new(move |r| record_step(&rec, r));
            let b = b.clone();
            let task = tokio::spawn(async move {
                crate::browser::run_journeys(&b.browsers, b.journey, None, rx, on_step).await
            });
            (Some(tx), Some(task))
        }
        None => (None, None),
    };
    let attack = GooseAttack::initialize_with_config(config)?.register_scenario(scenario);
    let result = attack.execute().await;
    warnings::flush();
    let _ = stop_tx.send(());
    if let Some(tx) = browser_stop {
        let _ = tx.send(true);
    }
    let browser = match browser_task {
        Some(t) => t.await.unwrap_or_default(),
        None => Vec::new(),
    };
    let Sampled {
        resources,
        window_lag_ms,
    } = sampler.await.unwrap_or_default();
    RunCtx::clear();
    drop(ctx);
    let interrupted = signals::received();
    if let Err(e) = result {
        if interrupted.is_none() {
            return Err(e.into());
        }
    }
    let mut outcome = summarize(
        spec,
        &recorder,
        pacer.as_deref(),
        (resources, window_lag_ms),
        interrupted,
        started_at,
    );
    outcome.browser = browser;
    Ok(outcome)
}

/// A browser step into the point's histograms: a page load as `PAGE <step>` (its load
/// event time, or the step's time when it failed), a failed action as `CHECK <step>`.
pub fn record_step(rec: &Recorder, r: &crate::browser::CheckRecord) {
    let us = |ms: f64| (ms * 1000.0).max(1.0) as u64;
    match (&r.timing, r.ok) {
        (Some(t), _) => rec.record(&format!("PAGE {}", r.step), us(t.load_ms), r.ok, r.done),
        (None, false) if r.page_load => {
            rec.record(&format!("PAGE {}", r.step), us(r.elapsed_ms), false, r.done)
        }
        (None, false) => rec.record(
            &format!("CHECK {}", r.step),
            us(r.elapsed_ms),
            false,
            r.done,
        ),
        (None, true) => {}
    }
}

/// How a point ends: the window's length, the grace period after it, and the phase the
/// transactions follow.
struct Ending {
    duration: Duration,
    grace: Duration,
    phase: tokio::sync::watch::Sender<Phase>,
    busy: Arc<Busy>,
}

impl Ending {
    /// Moves the phase on for the time `now`: no new starts after the window or a
    /// signal; cancel at the end of the grace period (shorter after a signal).
    fn advance(&self, window: Option<Instant>, now: Instant) {
        let end = window.map(|t0| t0 + self.duration);
        let signal = signals::received().map(|_| signals::received_at().unwrap_or(now));
        let mut deadline = end.map(|e| e + self.grace);
        if let Some(at) = signal {
            let cut = at + self.grace.min(INTERRUPT_GRACE);
            deadline = Some(deadline.map_or(cut, |d| d.min(cut)));
        }
        let phase = if deadline.is_some_and(|d| now >= d) {
            Phase::Cancel
        } else if signal.is_some() || end.is_some_and(|e| now >= e) {
            Phase::NoNewStarts
        } else {
            Phase::Running
        };
        self.phase.send_if_modified(|p| {
            let moved = phase > *p;
            if moved {
                *p = phase;
            }
            moved
        });
    }

    /// The point is over: its window has ended and no counted transaction still runs
    /// (every request finished, or the grace period cancelled it).
    fn over(&self) -> bool {
        *self.phase.borrow() != Phase::Running && self.busy.idle()
    }
}

/// Why the engine stops Goose before its `run_time` (Goose's run summary shows it).
const POINT_OVER: &str = "the point's window is over and no request is in flight";

/// Where the sampler hands each harvested second, with what it adds to the second.
struct Feed {
    sink: live::LiveSink,
    point: usize,
    pacer: Option<Arc<Pacer>>,
    busy: Arc<Busy>,
}

impl Feed {
    fn send(
        &self,
        (rows, histograms): (Vec<TimelineRow>, crate::hdr::SecondHistograms),
        resources: Option<&ResourceSample>,
    ) {
        let (scheduled, dropped) = self.pacer.as_ref().map_or((0, 0), |p| {
            let (busy, lag) = p.dropped();
            (p.scheduled_until(Instant::now()), busy + lag)
        });
        (self.sink)(live::LiveSecond {
            point: self.point,
            second: histograms.second,
            rows,
            histograms,
            resources: resources.cloned(),
            in_flight: self.busy.0.load(std::sync::atomic::Ordering::Relaxed) as u64,
            scheduled,
            dropped,
        });
    }
}

async fn sample_loop(
    rec: Arc<Recorder>,
    t0_of: Box<dyn Fn() -> Option<Instant> + Send>,
    ending: Ending,
    (target, feed): (Target, Option<Feed>),
    mut stop: tokio::sync::oneshot::Receiver<()>,
) -> Sampled {
    let duration = ending.duration;
    let mut sampler = resources::Sampler::new(target);
    let mut samples = Vec::new();
    let mut last_sample = Instant::now();
    let mut harvested = 0u64;
    let seconds = duration.as_secs_f64().ceil() as u64;
    let mut window: Option<Instant> = None;
    let mut lag = lag::LagMeter::default();
    let mut window_lag = lag::LagMeter::default();
    loop {
        let slept = Instant::now();
        tokio::select! {
            _ = &mut stop => break,
            _ = tokio::time::sleep(lag::TICK) => {}
        }
        let in_window = window.is_some_and(|t0| t0.elapsed() < duration);
        let ms = lag.measure(slept).await;
        if in_window {
            window_lag.add(ms);
        }
        signals::reassert();
        if window.is_none() {
            if let Some(t0) = t0_of() {
                rec.open_window(t0, t0 + duration);
                window = Some(t0);
            }
        }
        let now = Instant::now();
        ending.advance(window, now);
        if window.is_some() && ending.over() && !goose::is_killswitch_triggered() {
            goose::trigger_killswitch(POINT_OVER);
        }
        if let Some(t0) = window {
            // The last second waits for the end of the point: requests that finish in
            // the grace period, or never, are counted in it.
            while harvested + 1 < seconds && now >= t0 + Duration::from_secs(harvested + 1) {
                let second = rec.harvest_second();
                if let Some(f) = &feed {
                    f.send(second, samples.last());
                }
                harvested += 1;
            }
        }
        if now.duration_since(last_sample) >= Duration::from_secs(1) {
            let mut sample = sampler.sample();
            sample.gen_lag_ms = lag.take_mean_ms();
            samples.push(sample);
            last_sample = now;
        }
    }
    if let Some(t0) = window {
        // The last second; an interrupted point keeps its last partial second.
        if harvested < seconds && Instant::now() > t0 + Duration::from_secs(harvested) {
            let second = rec.harvest_second();
            if let Some(f) = &feed {
                f.send(second, samples.last());
            }
        }
    }
    Sampled {
        resources: samples,
        window_lag_ms: window_lag.take_mean_ms(),
    }
}

/// What the sampler saw: each second's resources, and the generator's mean lag over the
/// point's window (launching and stopping users lies outside it).
#[derive(Debug, Default)]
struct Sampled {
    resources: Vec<ResourceSample>,
    window_lag_ms: Option<f64>,
}

fn mean(v: impl Iterator<Item = f64>) -> Option<f64> {
    let (n, s) = v.fold((0usize, 0.0), |(n, s), x| (n + 1, s + x));
    (n > 0).then(|| s / n as f64)
}

/// The point's detail and timeline from the recorder. Long on purpose: it fills the
/// `runs.csv` row field by field in the contract's order, then the per-endpoint
/// summaries, SLO verdicts and saturation checks that row depends on.
fn summarize(
    spec: &PointSpec,
    rec: &Recorder,
    pacer: Option<&Pacer>,
    (resources, gen_lag): (Vec<ResourceSample>, Option<f64>),
    interrupted: Option<i32>,
    started_at: String,
) -> PointOutcome {
    let LoadPoint {
        model,
        duration,
        params,
    } = &spec.point;
    let secs = match rec.window() {
        Some((t0, end)) => Instant::now()
            .min(end)
            .saturating_duration_since(t0)
            .as_secs_f64(),
        None => 0.0,
    };
    let merged = rec.merged();
    let histograms = crate::hdr::PointHistograms::new(
        merged.iter().map(|(n, a)| a.to_stored(n)).collect(),
        rec.second_histograms(),
    );
    let measured = Measured::new(merged, secs.max(1e-9));
    let (endpoints, all) = measured.summaries();
    let verdicts: Vec<_> = spec.slos.iter().map(|s| s.evaluate(&measured)).collect();
    let slo_pass = verdicts.iter().all(|v| v.pass);
    let (mut busy_drops, lag_drops) = pacer.map_or((0, 0), Pacer::dropped);
    let signal_at = interrupted.map(|_| signals::received_at().unwrap_or_else(Instant::now));
    // A signal after the window's end leaves a whole point (its stragglers may have had
    // less grace, and are counted as unfinished if they did not make it).
    let window_whole = rec
        .window()
        .is_some_and(|(_, end)| signal_at.is_none_or(|at| at >= end));
    let scheduled = match (pacer, signal_at) {
        (Some(p), Some(at)) if !window_whole => p.scheduled_until(at),
        (Some(p), _) => p.scheduled(),
        (None, _) => 0,
    };
    busy_drops += pacer.map_or(0, |p| p.unclaimed(scheduled));
    let finished = all.requests - all.unfinished;
    let mut not_passed = None;
    if finished == 0 && (scheduled > 0 || all.requests > 0) {
        not_passed = Some(format!(
            "no request finished: {} start(s) scheduled, {} request(s) sent, {} unfinished after the {:.1} s grace period, {} start(s) dropped",
            scheduled,
            all.requests,
            all.unfinished,
            spec.grace.as_secs_f64(),
            busy_drops + lag_drops
        ));
    }
    let slo_pass = slo_pass && not_passed.is_none();
    let gen_cpu = mean(resources.iter().map(|r| r.gen_cpu_pct)).unwrap_or(0.0);
    let cores = std::thread::available_parallelism().map_or(1, usize::from) as f64;
    let mut saturation = Vec::new();
    if gen_cpu >= 90.0 * cores {
        saturation.push(format!("generator CPU {gen_cpu:.0}% of {cores} cores"));
    }
    let share = |n: u64| {
        if scheduled == 0 {
            0.0
        } else {
            n as f64 / scheduled as f64
        }
    };
    saturation.extend(lag::material(gen_lag, all.mean_us));
    if share(lag_drops) > 0.01 {
        saturation.push(format!("{lag_drops} of {scheduled} starts were late while users were free (generator too slow)"));
    }
    if share(busy_drops) > 0.01 && all.error_rate < 0.01 && slo_pass {
        saturation.push(format!(
            "{busy_drops} of {scheduled} starts found every user busy while the target met its SLOs: raise --max-users"
        ));
    }
    // A segment's row is its share: the starts it offered, the users it ran.
    let seg = spec.segment;
    let (users, target_rps) = match model {
        LoadModel::Open { rate, max_users } => {
            (seg.share(*max_users as u64).max(1), Some(seg.rate(*rate)))
        }
        LoadModel::Closed { users, .. } => (seg.share(*users as u64), None),
    };
    let row = PointRow {
        run_id: spec.run_id.clone(),
        scenario: spec.scenario.name.to_string(),
        model: model.kind(),
        users,
        target_rps,
        duration_s: secs,
        dropped_iterations: busy_drops + lag_drops,
        sut_cpu_pct: mean(resources.iter().filter_map(|r| r.sut_cpu_pct)),
        sut_rss_mb: resources
            .iter()
            .filter_map(|r| r.sut_rss_mb)
            .reduce(f64::max),
        gen_cpu_pct: gen_cpu,
        generator_saturated: !saturation.is_empty(),
        slo_pass,
        complete: window_whole,
        params: params.clone(),
        ..PointRow::default()
    }
    .with_aggregate(&all);
    let ended = match interrupted {
        Some(s) if window_whole => format!("completed ({} after the window)", signals::name(s)),
        Some(s) => format!("interrupted by {}", signals::name(s)),
        None if rec.window().is_none() => "no transaction started".to_string(),
        None => "completed".to_string(),
    };
    let detail = PointDetail {
        index: spec.index,
        row,
        config: LoadPoint {
            model: model.clone(),
            duration: *duration,
            params: params.clone(),
        },
        host: spec.host.clone(),
        endpoints,
        all,
        slo: verdicts,
        saturation,
        scheduled_iterations: scheduled,
        not_passed,
        grace_s: spec.grace.as_secs_f64(),
        gen_lag_ms: gen_lag,
        resources,
        environment: environment(spec.target),
        started_at,
        ended,
        segment: (!seg.is_whole()).then_some(seg),
        first_request_at: rec.first_sent().map(|t| {
            let back = Instant::now().saturating_duration_since(t);
            let wall = chrono::Utc::now() - chrono::Duration::from_std(back).unwrap_or_default();
            wall.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
        }),
        merged_segments: None,
    };
    PointOutcome {
        detail,
        timeline: rec.timeline(),
        histograms,
        interrupted,
        browser: Vec::new(),
    }
}

#[cfg(test)]
mod browser_step_tests {
    use super::*;
    use crate::browser::CheckRecord;

    fn step(name: &str, page_load: bool, ok: bool) -> CheckRecord {
        CheckRecord {
            user: 0,
            iteration: 0,
            step: name.into(),
            ok,
            error: (!ok).then(|| "why".into()),
            page_load,
            timing: None,
            elapsed_ms: 12.0,
            at_s: 0.0,
            done: Instant::now(),
        }
    }

    #[test]
    fn failed_page_loads_and_failed_actions_are_told_apart_by_kind_not_name() {
        let rec = Recorder::new();
        let now = Instant::now();
        rec.open_window(now - Duration::from_secs(1), now + Duration::from_secs(60));
        record_step(&rec, &step("sign in", true, false));
        record_step(&rec, &step("click #add", false, false));
        record_step(&rec, &step("fill #name", false, true));
        let names: Vec<String> = rec.merged().keys().cloned().collect();
        assert_eq!(names, ["CHECK click #add", "PAGE sign in"]);
    }
}
