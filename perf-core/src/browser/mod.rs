//! Browser checks: real headless Chromium through WebDriver (fantoccini), timed from the
//! page itself, alone or while the protocol load runs.
//!
//! - [`Driver`]: chromedriver started from `PATH` and owned (killed with its browsers on
//!   drop), or a running WebDriver server.
//! - [`BrowserParams`] → [`BrowserParams::start`] → [`Browsers`]: one session per
//!   browser user, each with a fresh profile and the flags that work as root in a
//!   sandbox.
//! - [`Page`]: what scenario steps use (`goto`, `click`, `click_and_load`, `fill`,
//!   `wait_for`, `expect_text`), each step timed; navigations read [`PageTiming`]
//!   (TTFB, DOMContentLoaded, load, LCP, CLS, resources and bytes).
//! - [`Journey`]: a scenario's browser steps, run in a loop by [`run_journeys`]; a failed
//!   step is a failed check with its reason, and the loop goes on.

pub mod driver;
pub mod page;
pub mod timing;

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fantoccini::ClientBuilder;
use serde::Serialize;

pub use driver::Driver;
pub use page::{Page, StepRecord};
pub use timing::PageTiming;

/// Browser checks could not run.
#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    /// chromedriver is not installed.
    #[error("browser checks need chromedriver, and '{name}' is not on PATH; install it with: apt-get install chromium chromium-driver")]
    DriverMissing {
        /// The name looked for.
        name: String,
    },
    /// chromedriver would not start.
    #[error("chromedriver {path} would not start: {reason}")]
    DriverStart {
        /// Its path.
        path: PathBuf,
        /// What happened.
        reason: String,
    },
    /// A browser session could not be created.
    #[error("cannot start a Chromium session through {url}: {reason}")]
    NewSession {
        /// The WebDriver URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// A session command failed outside a step.
    #[error("browser session: {0}")]
    Session(String),
    /// A bad browser option.
    #[error("{0}")]
    Invalid(String),
}

/// A failed step: which, and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("step '{step}' failed: {reason}")]
pub struct StepError {
    /// The step.
    pub step: String,
    /// Why.
    pub reason: String,
}

/// A scenario's browser steps: `fn(&mut Page) -> BoxFuture<Result<(), StepError>>`.
pub type Journey =
    for<'a> fn(&'a mut Page) -> Pin<Box<dyn Future<Output = Result<(), StepError>> + Send + 'a>>;

/// Flags for headless Chromium as root in a sandbox without network: no sandbox, no GPU,
/// no background or component traffic, no first-run UI.
pub const CHROMIUM_FLAGS: [&str; 10] = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--window-size=1280,800",
];

/// How to run browser checks.
#[derive(Debug, Clone, PartialEq)]
pub struct BrowserParams {
    /// Browser users (sessions).
    pub users: usize,
    /// A running WebDriver server; without it chromedriver is started.
    pub webdriver: Option<String>,
    /// chromedriver's name on `PATH`, or its path.
    pub chromedriver: String,
    /// Chromium's binary; `None` lets chromedriver find it.
    pub chromium: Option<PathBuf>,
    /// How long a step may wait for a page or an element.
    pub step_timeout: Duration,
}

impl Default for BrowserParams {
    fn default() -> Self {
        Self {
            users: 1,
            webdriver: None,
            chromedriver: "chromedriver".into(),
            chromium: ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
                .iter()
                .map(PathBuf::from)
                .find(|p| p.is_file()),
            step_timeout: Duration::from_secs(10),
        }
    }
}

/// Running sessions and the driver that owns them.
#[derive(Debug)]
pub struct Browsers {
    /// One page per browser user, each behind its own lock.
    pub pages: Vec<Arc<tokio::sync::Mutex<Page>>>,
    /// Time to start each session, ms.
    pub start_ms: Vec<f64>,
    driver: Driver,
}

impl BrowserParams {
    /// Starts (or connects to) the driver and opens one session per user, pointed at
    /// `base`.
    pub async fn start(&self, base: &str) -> Result<Browsers, BrowserError> {
        if !(1..=64).contains(&self.users) {
            return Err(BrowserError::Invalid(format!(
                "--browser-users {}: must be from 1 to 64",
                self.users
            )));
        }
        let driver = match &self.webdriver {
            Some(url) => Driver::remote(url),
            None => {
                let name = self.chromedriver.clone();
                tokio::task::spawn_blocking(move || Driver::start(&name))
                    .await
                    .map_err(|e| BrowserError::Session(e.to_string()))??
            }
        };
        let mut pages = Vec::new();
        let mut start_ms = Vec::new();
        for _ in 0..self.users {
            let t0 = Instant::now();
            let page = self.session(&driver, base).await?;
            start_ms.push(t0.elapsed().as_secs_f64() * 1000.0);
            pages.push(Arc::new(tokio::sync::Mutex::new(page)));
        }
        Ok(Browsers {
            pages,
            start_ms,
            driver,
        })
    }

    async fn session(&self, driver: &Driver, base: &str) -> Result<Page, BrowserError> {
        let new = |reason: String| BrowserError::NewSession {
            url: driver.url().to_string(),
            reason,
        };
        let profile = tempfile::Builder::new()
            .prefix("perf-chromium-")
            .tempdir()
            .map_err(|e| new(format!("no temporary profile folder: {e}")))?;
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|s| s.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        let mut chrome = serde_json::json!({ "args": args });
        if let Some(bin) = &self.chromium {
            chrome["binary"] = serde_json::Value::String(bin.display().to_string());
        }
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), "chrome".into());
        caps.insert("goog:chromeOptions".into(), chrome);
        caps.insert("pageLoadStrategy".into(), "normal".into());
        let client = tokio::time::timeout(
            Duration::from_secs(30),
            ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(caps)
                .connect(driver.url()),
        )
        .await
        .map_err(|_| new("no answer within 30s".into()))?
        .map_err(|e| new(first_line(&e.to_string())))?;
        Ok(Page::new(client, base, self.step_timeout, profile))
    }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or_default().to_string()
}

impl Browsers {
    /// The process id of the chromedriver started for these sessions.
    pub fn driver_pid(&self) -> Option<u32> {
        self.driver.pid()
    }

    /// Closes every session, then stops the driver.
    pub async fn close(self) {
        for p in self.pages {
            if let Ok(m) = Arc::try_unwrap(p) {
                let _ = tokio::time::timeout(Duration::from_secs(5), m.into_inner().close()).await;
            }
        }
        drop(self.driver);
    }
}

/// One journey run by one browser user.
#[derive(Debug, Clone, Serialize)]
pub struct CheckRecord {
    /// Browser user.
    pub user: usize,
    /// Its iteration.
    pub iteration: u64,
    /// Step name.
    pub step: String,
    /// Whether the step succeeded.
    pub ok: bool,
    /// Why it failed.
    pub error: Option<String>,
    /// Whether the step loads a page.
    pub page_load: bool,
    /// Timings, for navigations.
    pub timing: Option<PageTiming>,
    /// Wall time of the step, ms.
    pub elapsed_ms: f64,
    /// Seconds since the checks started.
    pub at_s: f64,
    #[serde(skip)]
    /// When it ended.
    pub done: Instant,
}

/// What to do with each finished step (record it into a point's histograms, print it).
pub type OnStep = Arc<dyn Fn(&CheckRecord) + Send + Sync>;

/// Runs `journey` on every page until `stop` resolves (or `iterations` per user are
/// done); a failed step ends that iteration, is recorded with its reason, and the next
/// iteration starts. Returns every step.
pub async fn run_journeys(
    browsers: &Browsers,
    journey: Journey,
    iterations: Option<u64>,
    stop: tokio::sync::watch::Receiver<bool>,
    on_step: OnStep,
) -> Vec<CheckRecord> {
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for (user, page) in browsers.pages.iter().enumerate() {
        let page = page.clone();
        let stop = stop.clone();
        let on_step = on_step.clone();
        tasks.push(tokio::spawn(async move {
            let mut page = page.lock().await;
            let mut out = Vec::new();
            let mut iteration = 0u64;
            loop {
                if *stop.borrow() || iterations.is_some_and(|n| iteration >= n) {
                    break;
                }
                let _ = journey(&mut page).await;
                for s in page.take_steps() {
                    let rec = CheckRecord {
                        user,
                        iteration,
                        step: s.name,
                        ok: s.ok,
                        error: s.error,
                        page_load: s.page_load,
                        timing: s.timing,
                        elapsed_ms: s.elapsed_ms,
                        at_s: s.done.duration_since(t0).as_secs_f64(),
                        done: s.done,
                    };
                    on_step(&rec);
                    out.push(rec);
                }
                iteration += 1;
            }
            out
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        if let Ok(v) = t.await {
            all.extend(v);
        }
    }
    all.sort_by(|a, b| a.at_s.total_cmp(&b.at_s));
    all
}

/// The `browser.csv` header.
pub const BROWSER_COLUMNS: [&str; 15] = [
    "point",
    "user",
    "iteration",
    "step",
    "ok",
    "error",
    "elapsed_ms",
    "ttfb_ms",
    "dcl_ms",
    "load_ms",
    "lcp_ms",
    "cls",
    "resources",
    "bytes",
    "at_s",
];

/// Appends records of one point to `browser.csv` in `dir` (writes the header first),
/// atomically ([`crate::atomic`]).
pub fn write_csv(
    dir: &std::path::Path,
    point: usize,
    records: &[CheckRecord],
) -> std::io::Result<()> {
    let path = crate::results::layout::browser_csv(dir);
    let mut w = csv::Writer::from_writer(Vec::new());
    if !path.exists() {
        w.write_record(BROWSER_COLUMNS)?;
    }
    let opt = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.3}"));
    for r in records {
        let t = r.timing;
        w.write_record([
            point.to_string(),
            r.user.to_string(),
            r.iteration.to_string(),
            r.step.clone(),
            r.ok.to_string(),
            r.error.clone().unwrap_or_default(),
            format!("{:.3}", r.elapsed_ms),
            opt(t.map(|t| t.ttfb_ms)),
            opt(t.map(|t| t.dcl_ms)),
            opt(t.map(|t| t.load_ms)),
            opt(t.and_then(|t| t.lcp_ms)),
            opt(t.and_then(|t| t.cls)),
            t.map_or(String::new(), |t| t.resources.to_string()),
            t.map_or(String::new(), |t| t.bytes.to_string()),
            format!("{:.3}", r.at_s),
        ])?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    crate::atomic::append(&path, &bytes)
}
