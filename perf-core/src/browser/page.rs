//! [`Page`]: one headless Chromium session and the steps scenario files write with it —
//! navigate, click, fill, wait for a selector, expect text — each timed, and the pages'
//! own timings ([`PageTiming`]) read after every navigation.

use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};

use super::timing::{PageTiming, SCRIPT};
use super::{BrowserError, StepError};

/// One step as it went.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRecord {
    /// The step's name (`home`, `checkout`, or `click #add` for an action).
    pub name: String,
    /// Whether it succeeded.
    pub ok: bool,
    /// Why it failed.
    pub error: Option<String>,
    /// Whether the step loads a page (`goto`, `click_and_load`), rather than acting on one.
    pub page_load: bool,
    /// The page's own timings, for a navigation.
    pub timing: Option<PageTiming>,
    /// Wall time of the step as WebDriver saw it, ms.
    pub elapsed_ms: f64,
    /// When it ended.
    pub done: Instant,
}

/// A browser session that scenario steps drive.
#[derive(Debug)]
pub struct Page {
    client: Client,
    base: String,
    timeout: Duration,
    steps: Vec<StepRecord>,
    _profile: tempfile::TempDir,
}

impl Page {
    pub(super) fn new(
        client: Client,
        base: &str,
        timeout: Duration,
        profile: tempfile::TempDir,
    ) -> Self {
        super::driver::register_profile(profile.path());
        Self {
            client,
            base: base.trim_end_matches('/').to_string(),
            timeout,
            steps: Vec::new(),
            _profile: profile,
        }
    }

    /// The target's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Sets the base URL (each point may run against the same host).
    pub fn set_base(&mut self, base: &str) {
        self.base = base.trim_end_matches('/').to_string();
    }

    /// The steps recorded since the last [`Page::take_steps`].
    pub fn take_steps(&mut self) -> Vec<StepRecord> {
        std::mem::take(&mut self.steps)
    }

    fn record(
        &mut self,
        name: &str,
        page_load: bool,
        t0: Instant,
        r: &Result<Option<PageTiming>, String>,
    ) {
        self.steps.push(StepRecord {
            name: name.to_string(),
            page_load,
            ok: r.is_ok(),
            error: r.as_ref().err().cloned(),
            timing: r.as_ref().ok().copied().flatten(),
            elapsed_ms: t0.elapsed().as_secs_f64() * 1000.0,
            done: Instant::now(),
        });
    }

    fn finish<T>(
        &mut self,
        name: &str,
        page_load: bool,
        t0: Instant,
        r: Result<(T, Option<PageTiming>), String>,
    ) -> Result<T, StepError> {
        match r {
            Ok((v, timing)) => {
                self.record(name, page_load, t0, &Ok(timing));
                Ok(v)
            }
            Err(reason) => {
                self.record(name, page_load, t0, &Err(reason.clone()));
                Err(StepError {
                    step: name.to_string(),
                    reason,
                })
            }
        }
    }

    async fn timing(&self) -> Result<PageTiming, String> {
        let v = self
            .client
            .execute_async(SCRIPT, Vec::new())
            .await
            .map_err(|e| describe(&e))?;
        PageTiming::from_json(&v)
            .ok_or_else(|| format!("the page's timings could not be read: {v}"))
    }

    /// Navigates to `path` (relative to the base URL), waits for the load event and
    /// reads the page's timings; the step is named `step`.
    pub async fn goto(&mut self, step: &str, path: &str) -> Result<PageTiming, StepError> {
        let t0 = Instant::now();
        let url = format!("{}{path}", self.base);
        let r = async {
            tokio::time::timeout(self.timeout, self.client.goto(&url))
                .await
                .map_err(|_| format!("{url} did not load within {:?}", self.timeout))?
                .map_err(|e| describe(&e))?;
            let t = self.timing().await?;
            Ok((t, Some(t)))
        }
        .await;
        self.finish(step, true, t0, r)
    }

    async fn element(&self, css: &str) -> Result<fantoccini::elements::Element, String> {
        self.client
            .wait()
            .at_most(self.timeout)
            .for_element(Locator::Css(css))
            .await
            .map_err(|e| match e {
                fantoccini::error::CmdError::WaitTimeout => {
                    format!("element '{css}' did not appear within {:?}", self.timeout)
                }
                other => describe(&other),
            })
    }

    /// Waits until an element matching `css` is on the page.
    pub async fn wait_for(&mut self, css: &str) -> Result<(), StepError> {
        let t0 = Instant::now();
        let r = self.element(css).await.map(|_| ((), None));
        self.finish(&format!("wait for {css}"), false, t0, r)
    }

    /// Clicks the element matching `css`.
    pub async fn click(&mut self, css: &str) -> Result<(), StepError> {
        let t0 = Instant::now();
        let r = async {
            let e = self.element(css).await?;
            e.click().await.map_err(|e| describe(&e))?;
            Ok(((), None))
        }
        .await;
        self.finish(&format!("click {css}"), false, t0, r)
    }

    /// Clicks the element matching `css`, which navigates (a link, a form's submit
    /// button); waits for the new page's load event and reads its timings as `step`.
    pub async fn click_and_load(&mut self, step: &str, css: &str) -> Result<PageTiming, StepError> {
        let t0 = Instant::now();
        let r = async {
            let before = self.client.current_url().await.map_err(|e| describe(&e))?;
            let marker: serde_json::Value = self
                .client
                .execute("return performance.timeOrigin;", Vec::new())
                .await
                .map_err(|e| describe(&e))?;
            let e = self.element(css).await?;
            e.click().await.map_err(|e| describe(&e))?;
            // A new document has a new time origin (the URL may stay the same).
            let deadline = Instant::now() + self.timeout;
            loop {
                let now: serde_json::Value = self
                    .client
                    .execute("return performance.timeOrigin;", Vec::new())
                    .await
                    .map_err(|e| describe(&e))?;
                if now != marker {
                    break;
                }
                if Instant::now() > deadline {
                    return Err(format!(
                        "clicking '{css}' on {before} did not load a new page within {:?}",
                        self.timeout
                    ));
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let t = self.timing().await?;
            Ok((t, Some(t)))
        }
        .await;
        self.finish(step, true, t0, r)
    }

    /// Types `text` into the element matching `css` (after clearing it).
    pub async fn fill(&mut self, css: &str, text: &str) -> Result<(), StepError> {
        let t0 = Instant::now();
        let r = async {
            let e = self.element(css).await?;
            e.clear().await.map_err(|e| describe(&e))?;
            e.send_keys(text).await.map_err(|e| describe(&e))?;
            Ok(((), None))
        }
        .await;
        self.finish(&format!("fill {css}"), false, t0, r)
    }

    /// Checks that the element matching `css` contains `needle` in its text.
    pub async fn expect_text(&mut self, css: &str, needle: &str) -> Result<(), StepError> {
        let t0 = Instant::now();
        let r = async {
            let e = self.element(css).await?;
            let text = e.text().await.map_err(|e| describe(&e))?;
            if text.contains(needle) {
                Ok(((), None))
            } else {
                let shown: String = text.chars().take(80).collect();
                Err(format!(
                    "'{css}' does not contain '{needle}' (it shows '{shown}')"
                ))
            }
        }
        .await;
        self.finish(&format!("expect {css}"), false, t0, r)
    }

    /// Runs `script` (a function body: `return document.title;`) in the page and
    /// returns its value.
    pub async fn eval(&mut self, script: &str) -> Result<serde_json::Value, StepError> {
        let t0 = Instant::now();
        let r = self
            .client
            .execute(script, Vec::new())
            .await
            .map(|v| (v, None))
            .map_err(|e| describe(&e));
        self.finish("eval", false, t0, r)
    }

    /// A PNG of the window as it is.
    pub async fn screenshot(&mut self) -> Result<Vec<u8>, StepError> {
        let t0 = Instant::now();
        let r = self
            .client
            .screenshot()
            .await
            .map(|v| (v, None))
            .map_err(|e| describe(&e));
        self.finish("screenshot", false, t0, r)
    }

    /// Ends the session (Chromium quits).
    pub async fn close(self) -> Result<(), BrowserError> {
        self.client
            .clone()
            .close()
            .await
            .map_err(|e| BrowserError::Session(describe(&e)))
    }
}

impl Drop for Page {
    fn drop(&mut self) {
        // Whatever the session's end, no Chromium of this profile outlives it.
        super::driver::forget_profile(self._profile.path());
    }
}

/// A WebDriver error in one line; a lost connection is the browser or driver gone.
pub(super) fn describe(e: &fantoccini::error::CmdError) -> String {
    use fantoccini::error::CmdError as E;
    match e {
        E::Lost(_) | E::Failed(_) | E::FailedC(_) => {
            "the browser or chromedriver is gone (crashed or killed)".to_string()
        }
        E::Standard(wd) => {
            let msg = wd.message.lines().next().unwrap_or_default();
            if msg.contains("session deleted")
                || msg.contains("disconnected")
                || msg.contains("crash")
                || msg.contains("not reachable")
                || msg.contains("invalid session id")
            {
                format!("the browser crashed or was closed ({msg})")
            } else {
                format!("{}: {msg}", wd.error())
            }
        }
        other => other.to_string(),
    }
}
