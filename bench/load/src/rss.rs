//! The server's memory while a probe runs: `VmRSS` of `/proc/<pid>/status` sampled every
//! 100 ms, plus `VmHWM` (the kernel's own peak of the RSS, which catches a peak between two
//! samples; reset with `clear_refs` when a probe starts, where the kernel allows it).

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::{task::JoinHandle, time::Instant};

use crate::Fallible;

const INTERVAL: Duration = Duration::from_millis(100);

/// Samples of one process's RSS, in bytes, with the time each was taken.
pub struct RssSampler {
    pid: u32,
    samples: Arc<Mutex<Vec<(Instant, u64)>>>,
    task: JoinHandle<()>,
}

impl RssSampler {
    /// Starts sampling `pid`, which must exist.
    pub fn start(pid: u32) -> Fallible<Self> {
        status_bytes(pid, "VmRSS").ok_or_else(|| format!("--pid {pid}: no such process"))?;
        let samples = Arc::new(Mutex::new(Vec::new()));
        let task = tokio::spawn({
            let samples = samples.clone();
            async move {
                let mut tick = tokio::time::interval(INTERVAL);
                loop {
                    tick.tick().await;
                    let Some(rss) = status_bytes(pid, "VmRSS") else {
                        return;
                    };
                    lock(&samples).push((Instant::now(), rss));
                }
            }
        });
        Ok(RssSampler { pid, samples, task })
    }

    /// Resets the kernel's peak (`VmHWM`) to the current RSS; false where that is not allowed.
    pub fn reset_peak(&self) -> bool {
        std::fs::write(format!("/proc/{}/clear_refs", self.pid), "5").is_ok()
    }

    /// `VmHWM` now: the largest RSS since start or since [`RssSampler::reset_peak`].
    pub fn kernel_peak(&self) -> Option<u64> {
        status_bytes(self.pid, "VmHWM")
    }

    /// The RSS now.
    pub fn now(&self) -> Option<u64> {
        status_bytes(self.pid, "VmRSS")
    }

    /// The median of the samples taken in `[from, to]`: the level, not a spike.
    pub fn median_between(&self, from: Instant, to: Instant) -> Option<u64> {
        let mut within = self.between(from, to);
        within.sort_unstable();
        within.get(within.len() / 2).copied()
    }

    /// The largest sample taken in `[from, to]`.
    pub fn max_between(&self, from: Instant, to: Instant) -> Option<u64> {
        self.between(from, to).into_iter().max()
    }

    fn between(&self, from: Instant, to: Instant) -> Vec<u64> {
        lock(&self.samples)
            .iter()
            .filter(|(at, _)| *at >= from && *at <= to)
            .map(|(_, rss)| *rss)
            .collect()
    }
}

impl Drop for RssSampler {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A `kB` field of `/proc/<pid>/status`, in bytes.
fn status_bytes(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_kb_field(&status, field)
}

fn parse_kb_field(status: &str, field: &str) -> Option<u64> {
    let line = status
        .lines()
        .find(|l| l.split(':').next() == Some(field))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// The memory of one probe: the server's level before, its peak during, and its level after.
#[derive(Clone, Copy, Debug, Default)]
pub struct Memory {
    /// Median RSS over the seconds before the load started.
    pub idle: u64,
    /// Largest RSS sample (every 100 ms) while the load ran.
    pub peak_sampled: u64,
    /// `VmHWM` at the end of the load (reset at its start when allowed): the true peak.
    pub peak_kernel: Option<u64>,
    /// RSS some time after the load ended (see the probe for how long).
    pub after: Option<u64>,
}

impl Memory {
    /// The peak: the kernel's where known, else the largest sample.
    pub fn peak(&self) -> u64 {
        self.peak_kernel
            .unwrap_or(self.peak_sampled)
            .max(self.peak_sampled)
    }

    /// How far the peak rose above idle.
    pub fn rise(&self) -> u64 {
        self.peak().saturating_sub(self.idle)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kb_fields_are_read_as_bytes() {
        let status = "Name:\tcoffer-server\nVmHWM:\t  120000 kB\nVmRSS:\t   45000 kB\n";
        assert_eq!(parse_kb_field(status, "VmRSS"), Some(45_000 * 1024));
        assert_eq!(parse_kb_field(status, "VmHWM"), Some(120_000 * 1024));
        assert_eq!(parse_kb_field(status, "VmSwap"), None);
    }
}
