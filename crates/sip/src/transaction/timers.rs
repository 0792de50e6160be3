//! Timer values (RFC 3261 §17 Table 4, RFC 6026 §8) and a small deadline
//! table shared by the four state machines.

use std::time::{Duration, Instant};

/// Base timer values from which every transaction timer is derived.
///
/// The defaults are the RFC 3261 values. Lowering T1 on a known low-latency
/// network shortens every retransmission interval and every 64*T1 timeout
/// at once, which is why the derived timers are methods rather than fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerConfig {
    /// RTT estimate; first retransmission interval (default 500 ms).
    pub t1: Duration,
    /// Ceiling for non-INVITE request and INVITE response retransmission
    /// intervals (default 4 s).
    pub t2: Duration,
    /// Maximum time a message may linger in the network (default 5 s).
    pub t4: Duration,
    /// Timer D: how long an INVITE client lingers in Completed to absorb
    /// final response retransmissions over unreliable transports. RFC 3261
    /// demands at least 32 s, independent of T1.
    pub timer_d: Duration,
    /// How long an INVITE server waits for the TU before sending 100 Trying
    /// on its own (§17.2.1: 200 ms).
    pub trying_delay: Duration,
}

impl Default for TimerConfig {
    fn default() -> Self {
        Self {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
            timer_d: Duration::from_secs(32),
            trying_delay: Duration::from_millis(200),
        }
    }
}

impl TimerConfig {
    /// 64*T1: timers B, F, H, J (unreliable), L and M all share it.
    pub fn transaction_timeout(&self) -> Duration {
        self.t1.saturating_mul(64)
    }

    /// Timer D: zero on reliable transports, where no response
    /// retransmissions can arrive.
    pub fn timer_d_for(&self, reliable: bool) -> Duration {
        if reliable { Duration::ZERO } else { self.timer_d }
    }

    /// Timers I and K: T4 on unreliable transports, zero on reliable ones.
    pub fn t4_linger_for(&self, reliable: bool) -> Duration {
        if reliable { Duration::ZERO } else { self.t4 }
    }

    /// Timer J: 64*T1 on unreliable transports, zero on reliable ones.
    pub fn timer_j_for(&self, reliable: bool) -> Duration {
        if reliable { Duration::ZERO } else { self.transaction_timeout() }
    }

    /// Next retransmission interval: double, capped at T2 (timers E and G).
    pub fn backoff_capped(&self, current: Duration) -> Duration {
        current.saturating_mul(2).min(self.t2)
    }
}

/// Shortest interval a timer is armed with.
pub(crate) const MIN_INTERVAL: Duration = Duration::from_millis(1);

/// Names of the RFC timers, used as keys in [`TimerTable`] and in logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Timer {
    A,
    B,
    D,
    E,
    F,
    G,
    H,
    I,
    J,
    K,
    L,
    M,
    /// The 200 ms "send 100 Trying if the TU is silent" timer of §17.2.1.
    Trying,
    /// Non-INVITE server guard without an RFC letter: after 64*T1 the
    /// client's timer F has fired, so a response could never be used and
    /// the transaction is dropped instead of waiting for the TU forever.
    Abandon,
}

/// The handful of running timers of one transaction.
///
/// A transaction never has more than three timers running, so a vector
/// beats any keyed structure and keeps the order of insertion stable.
#[derive(Debug, Default)]
pub(crate) struct TimerTable {
    slots: Vec<(Timer, Instant)>,
}

impl TimerTable {
    /// Arms `timer` to fire `after` from `now`, replacing any earlier
    /// deadline. A deadline beyond what `Instant` can represent means the
    /// timer can never fire, so it is simply not armed.
    ///
    /// Intervals are at least [`MIN_INTERVAL`] so that a zero in the
    /// configuration cannot make a timer re-arm itself at `now` and spin.
    pub(crate) fn set(&mut self, timer: Timer, now: Instant, after: Duration) {
        self.cancel(timer);
        if let Some(at) = now.checked_add(after.max(MIN_INTERVAL)) {
            self.slots.push((timer, at));
        }
    }

    pub(crate) fn cancel(&mut self, timer: Timer) {
        self.slots.retain(|(t, _)| *t != timer);
    }

    pub(crate) fn clear(&mut self) {
        self.slots.clear();
    }

    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.slots.iter().map(|(_, at)| *at).min()
    }

    /// Removes and returns the earliest timer due at `now`, so callers can
    /// fire overdue timers in the order they would have fired on time.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<Timer> {
        let (index, _) =
            self.slots.iter().enumerate().filter(|(_, (_, at))| *at <= now).min_by_key(|(_, (_, at))| *at)?;
        Some(self.slots.remove(index).0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config_uses_rfc_values() {
        let config = TimerConfig::default();
        assert_eq!(config.transaction_timeout(), Duration::from_secs(32));
        assert_eq!(config.timer_d_for(false), Duration::from_secs(32));
        assert_eq!(config.timer_d_for(true), Duration::ZERO);
        assert_eq!(config.t4_linger_for(false), Duration::from_secs(5));
        assert_eq!(config.timer_j_for(true), Duration::ZERO);
    }

    #[test]
    fn backoff_doubles_until_t2() {
        let config = TimerConfig::default();
        let mut interval = config.t1;
        let mut seen = Vec::new();
        for _ in 0..5 {
            interval = config.backoff_capped(interval);
            seen.push(interval.as_millis());
        }
        assert_eq!(seen, [1000, 2000, 4000, 4000, 4000]);
    }

    #[test]
    fn overdue_timers_pop_in_deadline_order() {
        let now = Instant::now();
        let mut table = TimerTable::default();
        table.set(Timer::B, now, Duration::from_secs(32));
        table.set(Timer::A, now, Duration::from_millis(500));
        let late = now + Duration::from_secs(40);
        assert_eq!(table.pop_due(late), Some(Timer::A));
        assert_eq!(table.pop_due(late), Some(Timer::B));
        assert_eq!(table.pop_due(late), None);
    }

    #[test]
    fn rearming_replaces_the_old_deadline() {
        let now = Instant::now();
        let mut table = TimerTable::default();
        table.set(Timer::E, now, Duration::from_millis(500));
        table.set(Timer::E, now, Duration::from_secs(4));
        assert_eq!(table.next_deadline(), Some(now + Duration::from_secs(4)));
    }
}
