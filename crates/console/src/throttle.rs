//! Sign-in throttling, sans-IO: the caller passes `now` and keeps the
//! verdicts; nothing here reads a clock or touches a socket.
//!
//! Failures are counted per key (a username and the address it came from)
//! within a window. The `max_failures`-th failure locks the key out for
//! `lockout`; each further lock-out of the same key doubles (up to
//! `max_lockout`). While a key is locked out nothing is checked — not even
//! a right password gets in — so guessing costs the attacker time.
//!
//! ```text
//!            failure (< max in window)
//!   Clear ──────────────────────────► Counting ──┐ failure (= max)
//!     ▲  success / quiet for max_lockout          ▼
//!     └─────────────────────────────────────── Locked ── until expires ──► Counting (0)
//! ```

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Throttle settings; the defaults suit a human typing a password.
#[derive(Debug, Clone)]
pub struct ThrottleConfig {
    /// Failures within `window` that lock a key out. Default 5.
    pub max_failures: u32,
    /// How far back failures count. Default 15 minutes.
    pub window: Duration,
    /// The first lock-out. Default 1 minute.
    pub lockout: Duration,
    /// The longest lock-out, however often a key is locked. Default 1 hour.
    pub max_lockout: Duration,
    /// Keys remembered at most; stale ones are dropped first. Default 100 000.
    pub max_keys: usize,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        ThrottleConfig {
            max_failures: 5,
            window: Duration::from_secs(15 * 60),
            lockout: Duration::from_secs(60),
            max_lockout: Duration::from_secs(3600),
            max_keys: 100_000,
        }
    }
}

/// Who is trying: the name typed (lower-cased) and the peer's address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ThrottleKey {
    pub username: String,
    pub addr: IpAddr,
}

impl ThrottleKey {
    pub fn new(username: &str, addr: IpAddr) -> Self {
        ThrottleKey { username: username.trim().to_lowercase(), addr }
    }
}

/// Whether an attempt may be checked at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Refused without looking at the password; try again after this long.
    Locked {
        retry_after: Duration,
    },
}

#[derive(Debug, Clone)]
struct Entry {
    failures: u32,
    /// Start of the window the failures are counted in.
    since: Instant,
    locked_until: Option<Instant>,
    /// Lock-outs so far: each doubles the next.
    lockouts: u32,
    last_seen: Instant,
}

/// Failed sign-ins per key.
#[derive(Debug, Default)]
pub struct Throttle {
    config: ThrottleConfig,
    entries: HashMap<ThrottleKey, Entry>,
}

impl Throttle {
    pub fn new(config: ThrottleConfig) -> Self {
        Throttle { config, entries: HashMap::new() }
    }

    /// May `key` try now?
    pub fn check(&self, key: &ThrottleKey, now: Instant) -> Verdict {
        match self.entries.get(key).and_then(|e| e.locked_until) {
            Some(until) if until > now => Verdict::Locked { retry_after: until - now },
            _ => Verdict::Allowed,
        }
    }

    /// Records a wrong password (or token) for `key`; says whether the key
    /// is now locked out.
    pub fn failed(&mut self, key: &ThrottleKey, now: Instant) -> Verdict {
        if let Verdict::Locked { retry_after } = self.check(key, now) {
            return Verdict::Locked { retry_after };
        }
        if !self.entries.contains_key(key) && self.entries.len() >= self.config.max_keys {
            self.prune(now);
        }
        let config = &self.config;
        let entry = self.entries.entry(key.clone()).or_insert(Entry {
            failures: 0,
            since: now,
            locked_until: None,
            lockouts: 0,
            last_seen: now,
        });
        // A long quiet spell after the last lock-out forgives it too.
        let quiet_since = entry.locked_until.map_or(entry.last_seen, |u| u.max(entry.last_seen));
        if now.saturating_duration_since(quiet_since) >= config.max_lockout {
            entry.lockouts = 0;
        }
        if entry.locked_until.is_some() || now.saturating_duration_since(entry.since) >= config.window {
            entry.failures = 0;
            entry.since = now;
            entry.locked_until = None;
        }
        entry.failures += 1;
        entry.last_seen = now;
        if entry.failures < config.max_failures {
            return Verdict::Allowed;
        }
        let factor = 1u32.checked_shl(entry.lockouts.min(16)).unwrap_or(u32::MAX);
        let lockout = config.lockout.saturating_mul(factor).min(config.max_lockout);
        entry.lockouts = entry.lockouts.saturating_add(1);
        entry.locked_until = Some(now + lockout);
        Verdict::Locked { retry_after: lockout }
    }

    /// A right password: `key` starts afresh.
    pub fn succeeded(&mut self, key: &ThrottleKey) {
        self.entries.remove(key);
    }

    /// How many keys are remembered.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Drops keys that are neither locked out nor failed recently; when
    /// that is not enough, the least recently seen unlocked ones.
    fn prune(&mut self, now: Instant) {
        let (window, max_lockout) = (self.config.window, self.config.max_lockout);
        self.entries.retain(|_, e| {
            let locked = e.locked_until.is_some_and(|u| u > now);
            let recent = now.saturating_duration_since(e.last_seen) < window.max(max_lockout);
            locked || recent
        });
        let excess = (self.entries.len() + 1).saturating_sub(self.config.max_keys);
        if excess > 0 {
            let mut unlocked: Vec<(Instant, ThrottleKey)> = self
                .entries
                .iter()
                .filter(|(_, e)| e.locked_until.is_none_or(|u| u <= now))
                .map(|(k, e)| (e.last_seen, k.clone()))
                .collect();
            unlocked.sort_by_key(|(seen, _)| *seen);
            for (_, key) in unlocked.into_iter().take(excess) {
                self.entries.remove(&key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str, last: u8) -> ThrottleKey {
        ThrottleKey::new(name, IpAddr::from([192, 0, 2, last]))
    }

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn the_fifth_failure_locks_the_key_out_for_a_minute() {
        let mut t = Throttle::new(ThrottleConfig::default());
        let (k, t0) = (key("alice", 1), Instant::now());
        for i in 0..4 {
            assert_eq!(t.failed(&k, t0 + secs(i)), Verdict::Allowed, "failure {i}");
            assert_eq!(t.check(&k, t0 + secs(i)), Verdict::Allowed);
        }
        assert_eq!(t.failed(&k, t0 + secs(4)), Verdict::Locked { retry_after: secs(60) });
        assert_eq!(t.check(&k, t0 + secs(34)), Verdict::Locked { retry_after: secs(30) });
        assert_eq!(t.check(&k, t0 + secs(64)), Verdict::Allowed, "lock-out over");
    }

    #[test]
    fn a_lock_out_holds_even_for_the_right_password_and_is_not_extended_by_it() {
        let mut t = Throttle::new(ThrottleConfig::default());
        let (k, t0) = (key("alice", 1), Instant::now());
        for i in 0..5 {
            t.failed(&k, t0 + secs(i));
        }
        // The caller asks before checking the password: refused, whatever it is.
        assert!(matches!(t.check(&k, t0 + secs(10)), Verdict::Locked { .. }));
        // Failing while locked does not count again nor lengthen it.
        assert_eq!(t.failed(&k, t0 + secs(10)), Verdict::Locked { retry_after: secs(54) });
        assert_eq!(t.check(&k, t0 + secs(64)), Verdict::Allowed);
    }

    #[test]
    fn each_further_lock_out_doubles_up_to_the_cap() {
        let config = ThrottleConfig { max_lockout: secs(300), ..ThrottleConfig::default() };
        let mut t = Throttle::new(config);
        let k = key("alice", 1);
        let mut now = Instant::now();
        let mut lockouts = Vec::new();
        for _ in 0..5 {
            let mut verdict = Verdict::Allowed;
            for _ in 0..5 {
                verdict = t.failed(&k, now);
                now += secs(1);
            }
            let Verdict::Locked { retry_after } = verdict else { panic!("not locked: {verdict:?}") };
            lockouts.push(retry_after.as_secs());
            now += retry_after;
        }
        assert_eq!(lockouts, [60, 120, 240, 300, 300]);
    }

    #[test]
    fn failures_outside_the_window_are_forgotten() {
        let mut t = Throttle::new(ThrottleConfig::default());
        let (k, t0) = (key("alice", 1), Instant::now());
        for i in 0..4 {
            t.failed(&k, t0 + secs(i));
        }
        assert_eq!(t.failed(&k, t0 + secs(16 * 60)), Verdict::Allowed, "a new window starts");
        for i in 1..4 {
            assert_eq!(t.failed(&k, t0 + secs(16 * 60 + i)), Verdict::Allowed);
        }
        assert!(matches!(t.failed(&k, t0 + secs(16 * 60 + 5)), Verdict::Locked { .. }));
    }

    #[test]
    fn keys_are_per_username_and_address_and_a_success_clears_one() {
        let mut t = Throttle::new(ThrottleConfig::default());
        let t0 = Instant::now();
        for i in 0..5 {
            t.failed(&key("alice", 1), t0 + secs(i));
        }
        assert!(matches!(t.check(&key("Alice ", 1), t0 + secs(5)), Verdict::Locked { .. }), "names fold case");
        assert_eq!(t.check(&key("alice", 2), t0 + secs(5)), Verdict::Allowed, "another address");
        assert_eq!(t.check(&key("bob", 1), t0 + secs(5)), Verdict::Allowed, "another user");
        for i in 0..4 {
            t.failed(&key("bob", 1), t0 + secs(i));
        }
        t.succeeded(&key("bob", 1));
        assert_eq!(t.failed(&key("bob", 1), t0 + secs(6)), Verdict::Allowed, "counting starts over");
    }

    #[test]
    fn memory_is_bounded_and_locked_keys_are_kept() {
        let config = ThrottleConfig { max_keys: 10, ..ThrottleConfig::default() };
        let mut t = Throttle::new(config);
        let t0 = Instant::now();
        for i in 0..5 {
            t.failed(&key("victim", 1), t0 + secs(i));
        }
        for n in 0..100u8 {
            t.failed(&key(&format!("user{n}"), n), t0 + secs(10));
        }
        assert!(t.len() <= 10, "{} keys", t.len());
        assert!(matches!(t.check(&key("victim", 1), t0 + secs(11)), Verdict::Locked { .. }));
    }
}
