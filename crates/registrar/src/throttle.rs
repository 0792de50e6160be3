//! Brute-force protection: a source IP that fails authentication `limit`
//! times within `window` is refused until the window has passed.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Throttle {
    limit: u32,
    window: Duration,
    failures: HashMap<IpAddr, (u32, Instant)>,
}

impl Throttle {
    pub fn new(limit: u32, window: Duration) -> Self {
        Self { limit, window, failures: HashMap::new() }
    }

    /// Whether `ip` is currently refused.
    pub fn is_blocked(&self, ip: IpAddr, now: Instant) -> bool {
        self.limit > 0
            && self
                .failures
                .get(&ip)
                .is_some_and(|(n, since)| *n >= self.limit && now.duration_since(*since) < self.window)
    }

    /// Records a failure; returns true when this one crossed the limit.
    pub fn failed(&mut self, ip: IpAddr, now: Instant) -> bool {
        let entry = self.failures.entry(ip).or_insert((0, now));
        if now.duration_since(entry.1) >= self.window {
            *entry = (0, now);
        }
        entry.0 += 1;
        entry.0 == self.limit
    }

    /// A success clears the source's record.
    pub fn succeeded(&mut self, ip: IpAddr) {
        self.failures.remove(&ip);
    }

    /// Forgets windows that have passed; keeps memory bounded under attack
    /// from many addresses.
    pub fn purge(&mut self, now: Instant) {
        let window = self.window;
        self.failures.retain(|_, (_, since)| now.duration_since(*since) < window);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_is_blocked_after_limit_until_window_passes() {
        let t0 = Instant::now();
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let mut t = Throttle::new(3, Duration::from_secs(60));
        assert!(!t.failed(ip, t0));
        assert!(!t.failed(ip, t0));
        assert!(!t.is_blocked(ip, t0));
        assert!(t.failed(ip, t0));
        assert!(t.is_blocked(ip, t0 + Duration::from_secs(59)));
        assert!(!t.is_blocked(ip, t0 + Duration::from_secs(61)));
        assert!(!t.is_blocked("192.0.2.2".parse().unwrap(), t0));
    }
}
