//! Counting failures per key (client IP, username) in a sliding window.
//!
//! The counters live in this instance's memory: with several instances behind
//! a load balancer each one counts on its own (docs/ARCHITECTURE.md says so).

use std::{collections::HashMap, sync::Mutex, time::Duration};

/// Failure counters keyed by strings such as `ip:1.2.3.4` or `user:alice`.
#[derive(Default)]
pub struct RateLimiter {
    entries: Mutex<HashMap<String, Vec<i64>>>,
}

impl RateLimiter {
    /// If `key` already has `limit` events within `window` before `now_ms`,
    /// returns how many seconds until the oldest of them leaves the window.
    pub fn retry_after(&self, key: &str, limit: u32, window: Duration, now_ms: i64) -> Option<u64> {
        let window_ms = window.as_millis() as i64;
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let events = entries.get_mut(key)?;
        events.retain(|&t| t > now_ms - window_ms);
        if events.len() < limit as usize {
            return None;
        }
        let oldest = events.first().copied().unwrap_or(now_ms);
        let wait_ms = (oldest + window_ms - now_ms).max(1000);
        Some((wait_ms as u64).div_ceil(1000))
    }

    /// Records one event for `key` at `now_ms`.
    pub fn record(&self, key: &str, now_ms: i64) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() > 100_000 {
            // Bound memory under a flood of distinct keys: forget the oldest state.
            entries.clear();
        }
        entries.entry(key.to_string()).or_default().push(now_ms);
    }

    /// Forgets the events for `key` (after a successful login).
    pub fn clear(&self, key: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_is_reached_after_exactly_limit_events() {
        let limiter = RateLimiter::default();
        let window = Duration::from_secs(60);
        for i in 0..3 {
            assert_eq!(limiter.retry_after("k", 3, window, i), None);
            limiter.record("k", i);
        }
        assert!(limiter.retry_after("k", 3, window, 10).is_some());
    }

    #[test]
    fn events_leave_the_window_and_the_key_is_allowed_again() {
        let limiter = RateLimiter::default();
        let window = Duration::from_secs(60);
        limiter.record("k", 0);
        assert_eq!(limiter.retry_after("k", 1, window, 1_000), Some(59));
        assert_eq!(limiter.retry_after("k", 1, window, 60_001), None);
    }

    #[test]
    fn clearing_a_key_resets_it_without_touching_others() {
        let limiter = RateLimiter::default();
        let window = Duration::from_secs(60);
        limiter.record("a", 0);
        limiter.record("b", 0);
        limiter.clear("a");
        assert_eq!(limiter.retry_after("a", 1, window, 1), None);
        assert!(limiter.retry_after("b", 1, window, 1).is_some());
    }
}
