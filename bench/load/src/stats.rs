//! Latency percentiles and answer counts.

use std::{collections::BTreeMap, time::Duration};

/// Latencies of completed requests: from sending the request to the last byte of the answer.
#[derive(Clone, Debug, Default)]
pub struct Latencies(Vec<Duration>);

impl Latencies {
    pub fn record(&mut self, latency: Duration) {
        self.0.push(latency);
    }

    pub fn merge(&mut self, other: Latencies) {
        self.0.extend(other.0);
    }

    pub fn count(&self) -> usize {
        self.0.len()
    }

    /// The nearest-rank percentile `p` (0 < p ≤ 100): the smallest latency that at least `p` %
    /// of the requests did not exceed. `None` without requests.
    pub fn percentile(&self, p: f64) -> Option<Duration> {
        if self.0.is_empty() {
            return None;
        }
        let mut sorted = self.0.clone();
        sorted.sort_unstable();
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        Some(sorted[rank.clamp(1, sorted.len()) - 1])
    }

    /// `p50 / p99 / max` in milliseconds, for a table cell.
    pub fn cell(&self) -> String {
        match (
            self.percentile(50.0),
            self.percentile(99.0),
            self.percentile(100.0),
        ) {
            (Some(p50), Some(p99), Some(max)) => {
                format!("{} / {} / {}", ms(p50), ms(p99), ms(max))
            }
            _ => "–".into(),
        }
    }
}

/// A duration in milliseconds, one decimal below 10 ms.
pub fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.0} ms")
    }
}

/// Bytes in MiB, one decimal.
pub fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// How many answers of each kind (a status code, or a transport error).
#[derive(Clone, Debug, Default)]
pub struct Tally(BTreeMap<String, u64>);

impl Tally {
    pub fn add(&mut self, kind: impl Into<String>) {
        *self.0.entry(kind.into()).or_default() += 1;
    }

    pub fn merge(&mut self, other: Tally) {
        for (kind, n) in other.0 {
            *self.0.entry(kind).or_default() += n;
        }
    }

    pub fn get(&self, kind: &str) -> u64 {
        self.0.get(kind).copied().unwrap_or_default()
    }

    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }

    /// Every kind but `expected`, with its count (`kind ×n`), or "none".
    pub fn others(&self, expected: &[&str]) -> String {
        let rest: Vec<String> = self
            .0
            .iter()
            .filter(|(kind, _)| !expected.contains(&kind.as_str()))
            .map(|(kind, n)| format!("{kind} ×{n}"))
            .collect();
        if rest.is_empty() {
            "none".into()
        } else {
            rest.join(", ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut l = Latencies::default();
        assert_eq!(l.percentile(50.0), None);
        for ms in (1..=100).rev() {
            l.record(Duration::from_millis(ms));
        }
        assert_eq!(l.percentile(50.0), Some(Duration::from_millis(50)));
        assert_eq!(l.percentile(99.0), Some(Duration::from_millis(99)));
        assert_eq!(l.percentile(100.0), Some(Duration::from_millis(100)));
        assert_eq!(l.percentile(0.1), Some(Duration::from_millis(1)));
    }

    #[test]
    fn a_tally_lists_what_was_not_expected() {
        let mut t = Tally::default();
        t.add("200");
        t.add("200");
        t.add("429");
        assert_eq!(t.total(), 3);
        assert_eq!(t.others(&["200"]), "429 ×1");
        assert_eq!(t.others(&["200", "429"]), "none");
    }
}
