//! chromedriver, owned: found on `PATH`, started on a free loopback port in its own
//! process group, and killed with everything it started (Chromium's processes included)
//! when dropped, so neither a finished run, an error nor a signal leaves a browser
//! behind. Or a WebDriver server someone else runs (`--webdriver URL`), left alone.

use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::BrowserError;

/// Process groups of the drivers this process started and has not stopped yet, killed by
/// [`kill_all`] on the way out of a second signal.
static GROUPS: std::sync::Mutex<Vec<u32>> = std::sync::Mutex::new(Vec::new());

fn groups() -> std::sync::MutexGuard<'static, Vec<u32>> {
    GROUPS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Profile folders of the browser sessions still open: Chromium may put itself in a
/// process group of its own, so its processes are also found by their profile.
static PROFILES: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

fn profiles() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    PROFILES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Remembers a session's profile folder until [`forget_profile`].
pub fn register_profile(p: &Path) {
    profiles().push(p.to_path_buf());
}

/// Kills the processes started with this profile folder and forgets it.
pub fn forget_profile(p: &Path) {
    profiles().retain(|x| x != p);
    kill_by_profile(p);
}

/// Kills every process whose command line names `--user-data-dir=<profile>`.
pub fn kill_by_profile(profile: &Path) {
    let needle = format!("--user-data-dir={}", profile.display());
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return;
    };
    for e in dir.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(e.path().join("cmdline")) else {
            continue;
        };
        if cmdline
            .split(|b| *b == 0)
            .any(|arg| arg == needle.as_bytes())
        {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
}

/// Kills every driver and browser this process started.
pub fn kill_all() {
    for g in groups().drain(..) {
        kill_group(g);
    }
    for p in profiles().drain(..) {
        kill_by_profile(&p);
    }
}

/// Where WebDriver commands go.
#[derive(Debug)]
pub struct Driver {
    url: String,
    child: Option<Child>,
    log: Option<PathBuf>,
}

/// How long chromedriver may take to listen.
const START_TIMEOUT: Duration = Duration::from_secs(15);

/// Finds an executable on `PATH` (or a path given as is).
pub fn find_on_path(name: &str) -> Option<PathBuf> {
    if name.contains('/') {
        let p = PathBuf::from(name);
        return p.is_file().then_some(p);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

impl Driver {
    /// Starts `binary` (a name on `PATH` or a path) on a free loopback port and waits
    /// until it accepts connections.
    pub fn start(binary: &str) -> Result<Self, BrowserError> {
        let path = find_on_path(binary).ok_or_else(|| BrowserError::DriverMissing {
            name: binary.to_string(),
        })?;
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|source| BrowserError::DriverStart {
                path: path.clone(),
                reason: format!("no free loopback port: {source}"),
            })?
            .port();
        let log = std::env::temp_dir().join(format!(
            "perf-chromedriver-{}-{port}.log",
            std::process::id()
        ));
        let log_file = std::fs::File::create(&log).map_err(|e| BrowserError::DriverStart {
            path: path.clone(),
            reason: format!("cannot create its log {}: {e}", log.display()),
        })?;
        let child = Command::new(&path)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(
                log_file
                    .try_clone()
                    .map_err(|e| BrowserError::DriverStart {
                        path: path.clone(),
                        reason: e.to_string(),
                    })?,
            )
            .stderr(log_file)
            .process_group(0)
            .spawn()
            .map_err(|e| BrowserError::DriverStart {
                path: path.clone(),
                reason: e.to_string(),
            })?;
        groups().push(child.id());
        let mut d = Self {
            url: format!("http://127.0.0.1:{port}"),
            child: Some(child),
            log: Some(log),
        };
        d.wait_ready(&path, port)?;
        Ok(d)
    }

    /// A WebDriver server already running at `url`.
    pub fn remote(url: &str) -> Self {
        Self {
            url: url.trim_end_matches('/').to_string(),
            child: None,
            log: None,
        }
    }

    /// The WebDriver URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The process id of the chromedriver this owns.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    fn log_tail(&self) -> String {
        let mut s = String::new();
        if let Some(p) = &self.log {
            if let Ok(mut f) = std::fs::File::open(p) {
                let _ = f.read_to_string(&mut s);
            }
        }
        let lines: Vec<&str> = s.lines().filter(|l| !l.trim().is_empty()).collect();
        let tail = lines[lines.len().saturating_sub(3)..].join(" | ");
        if tail.is_empty() {
            "it printed nothing".into()
        } else {
            format!("it printed: {tail}")
        }
    }

    fn wait_ready(&mut self, path: &Path, port: u16) -> Result<(), BrowserError> {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let t0 = Instant::now();
        loop {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                return Err(BrowserError::DriverStart {
                    path: path.to_path_buf(),
                    reason: format!("it exited at start ({status}); {}", self.log_tail()),
                });
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            if t0.elapsed() > START_TIMEOUT {
                return Err(BrowserError::DriverStart {
                    path: path.to_path_buf(),
                    reason: format!(
                        "it did not listen on port {port} within {}s; {}",
                        START_TIMEOUT.as_secs(),
                        self.log_tail()
                    ),
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Kills a process group (the driver and the browsers it started).
pub fn kill_group(pgid: u32) {
    let Ok(pgid) = i32::try_from(pgid) else {
        return;
    };
    let _ = nix::sys::signal::killpg(
        nix::unistd::Pid::from_raw(pgid),
        nix::sys::signal::Signal::SIGKILL,
    );
}

impl Drop for Driver {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            groups().retain(|g| *g != c.id());
            kill_group(c.id());
            let _ = c.wait();
        }
        if let Some(p) = self.log.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}
