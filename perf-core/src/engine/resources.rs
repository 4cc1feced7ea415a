//! CPU and memory, sampled each second from /proc (Linux). The in-process dummy site's
//! threads are named `dummy-site*`, so its CPU is told apart from the generator's by
//! thread name; its memory can't be, and the whole process's RSS is reported for both.

use std::fs;
use std::time::Instant;

use crate::summary::ResourceSample;

/// Where the target runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The dummy site inside this process.
    InProcess,
    /// Another local process.
    Pid(u32),
    /// Elsewhere: not measured.
    Remote,
}

/// Clock ticks per second of /proc's CPU times (USER_HZ, 100 on every Linux build that
/// matters; the kernel ABI fixes it for user space).
const HZ: f64 = 100.0;

fn thread_ticks(pid: &str) -> (u64, u64) {
    let (mut site, mut other) = (0, 0);
    let Ok(dir) = fs::read_dir(format!("/proc/{pid}/task")) else {
        return (0, 0);
    };
    for t in dir.flatten() {
        let Ok(stat) = fs::read_to_string(t.path().join("stat")) else {
            continue;
        };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let comm = &stat[open + 1..close];
        let f: Vec<&str> = stat[close + 2..].split_whitespace().collect();
        let ticks = f.get(11).and_then(|u| u.parse::<u64>().ok()).unwrap_or(0)
            + f.get(12).and_then(|s| s.parse::<u64>().ok()).unwrap_or(0);
        if comm.starts_with("dummy-site") {
            site += ticks;
        } else {
            other += ticks;
        }
    }
    (site, other)
}

fn rss_mb(pid: &str) -> Option<f64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

fn machine_ticks() -> Option<(u64, u64)> {
    let stat = fs::read_to_string("/proc/stat").ok()?;
    let v: Vec<u64> = stat
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    let idle = v.get(3)? + v.get(4).copied().unwrap_or(0);
    Some((v.iter().sum(), idle))
}

/// Takes one sample per call, as the difference from the previous call.
#[derive(Debug)]
pub struct Sampler {
    target: Target,
    start: Instant,
    last: Instant,
    last_self: (u64, u64),
    last_target: u64,
    last_machine: (u64, u64),
}

impl Sampler {
    /// Starts measuring now.
    pub fn new(target: Target) -> Self {
        let mut s = Self {
            target,
            start: Instant::now(),
            last: Instant::now(),
            last_self: (0, 0),
            last_target: 0,
            last_machine: (0, 0),
        };
        let _ = s.sample();
        s
    }

    /// CPU since the previous sample, memory now.
    pub fn sample(&mut self) -> ResourceSample {
        let now = Instant::now();
        let dt = now.duration_since(self.last).as_secs_f64().max(1e-3);
        let (site, gen) = thread_ticks("self");
        let pct = |ticks: u64| 100.0 * ticks as f64 / HZ / dt;
        let gen_cpu = pct(gen.saturating_sub(self.last_self.1));
        let site_cpu = pct(site.saturating_sub(self.last_self.0));
        self.last_self = (site, gen);
        let gen_rss = rss_mb("self").unwrap_or(0.0);
        let (sut_cpu, sut_rss) = match self.target {
            Target::InProcess => (Some(site_cpu), Some(gen_rss)),
            Target::Pid(pid) => {
                let p = pid.to_string();
                let (a, b) = thread_ticks(&p);
                let cpu = pct((a + b).saturating_sub(self.last_target));
                self.last_target = a + b;
                (Some(cpu), rss_mb(&p))
            }
            Target::Remote => (None, None),
        };
        let machine = machine_ticks().unwrap_or((0, 0));
        let (dt_all, dt_idle) = (
            machine.0.saturating_sub(self.last_machine.0),
            machine.1.saturating_sub(self.last_machine.1),
        );
        self.last_machine = machine;
        let machine_cpu = if dt_all == 0 {
            0.0
        } else {
            100.0 * (dt_all - dt_idle.min(dt_all)) as f64 / dt_all as f64
        };
        self.last = now;
        ResourceSample {
            t_s: now.duration_since(self.start).as_secs_f64(),
            gen_cpu_pct: gen_cpu,
            gen_rss_mb: gen_rss,
            sut_cpu_pct: sut_cpu,
            sut_rss_mb: sut_rss,
            machine_cpu_pct: machine_cpu,
            gen_lag_ms: None,
            segment: None,
        }
    }
}

/// Whether a process exists.
pub fn pid_exists(pid: u32) -> bool {
    fs::metadata(format!("/proc/{pid}")).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_this_process_burning_cpu() {
        let mut s = Sampler::new(Target::InProcess);
        let t = Instant::now();
        let mut x = 1u64;
        while t.elapsed().as_millis() < 300 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        }
        std::hint::black_box(x);
        let r = s.sample();
        // A busy thread is one core's worth, less what other processes on a shared
        // machine take from it: well above idle, and below two cores.
        assert!(r.gen_cpu_pct > 20.0 && r.gen_cpu_pct < 250.0, "{r:?}");
        assert!(r.gen_rss_mb > 1.0);
        assert!(r.sut_cpu_pct.is_some());
        assert!(!pid_exists(u32::MAX));
    }
}
