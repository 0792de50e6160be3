//! UDP retransmission of a message until it is answered (RFC 3261 §17:
//! T1 = 500 ms doubling, capped at T2 = 4 s for non-INVITE requests and
//! for 2xx responses to INVITE, giving up after 64·T1 = 32 s).

use std::time::{Duration, Instant};

const T1: Duration = Duration::from_millis(500);
const T2: Duration = Duration::from_secs(4);
const GIVE_UP: Duration = Duration::from_secs(32);

/// A message being retransmitted.
#[derive(Debug, Clone)]
pub struct Retx {
    bytes: Vec<u8>,
    interval: Duration,
    cap: Duration,
    next: Instant,
    give_up: Instant,
}

/// What a due retransmission timer asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Step<'a> {
    /// Not due yet.
    Wait,
    /// Send these bytes again.
    Resend(&'a [u8]),
    /// No answer in time.
    Timeout,
}

impl Retx {
    /// `uncapped` for INVITE requests (Timer A doubles without limit).
    pub fn new(bytes: Vec<u8>, now: Instant, uncapped: bool) -> Self {
        let cap = if uncapped { GIVE_UP } else { T2 };
        Self { bytes, interval: T1, cap, next: now + T1, give_up: now + GIVE_UP }
    }

    pub fn deadline(&self) -> Instant {
        self.next.min(self.give_up)
    }

    pub fn poll(&mut self, now: Instant) -> Step<'_> {
        if now >= self.give_up {
            return Step::Timeout;
        }
        if now < self.next {
            return Step::Wait;
        }
        self.interval = (self.interval * 2).min(self.cap);
        self.next = now + self.interval;
        Step::Resend(&self.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_caps_and_gives_up() {
        let t0 = Instant::now();
        let mut r = Retx::new(b"x".to_vec(), t0, false);
        assert_eq!(r.poll(t0), Step::Wait);
        assert_eq!(r.poll(t0 + T1), Step::Resend(b"x"));
        assert_eq!(r.deadline(), t0 + T1 + 2 * T1);
        let mut now = t0 + T1;
        for _ in 0..6 {
            now = r.deadline();
            assert_eq!(r.poll(now), Step::Resend(b"x"));
        }
        assert_eq!(r.deadline() - now, T2);
        assert_eq!(r.poll(t0 + GIVE_UP), Step::Timeout);
    }
}
