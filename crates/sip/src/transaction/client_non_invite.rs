//! Non-INVITE client transaction (RFC 3261 §17.1.2).

use std::time::{Duration, Instant};

use tracing::debug;

use super::TransactionState;
use super::machine::{Disposition, Outbox, TuEvent};
use super::timers::{Timer, TimerConfig, TimerTable};

/// States of a non-INVITE client transaction.
///
/// ```text
///                     request from TU: send request,
///                     arm E (unreliable only) and F
///                              |
///   Timer E: resend,           v
///   E = min(2E, T2)      +-----------+  Timer F or transport
///        +---------------|  Trying   |  error: inform TU ------+
///        +-------------->|           |                         |
///                        +-----------+                         |
///                    1xx: to TU |   \ 200-699: to TU           |
///                               v    \                         |
///   Timer E: resend,     +------------+ \                      |
///   E = T2               |            |  \                     |
///        +---------------| Proceeding |---\--------------------+
///        +-------------->|            |    \                   |
///        1xx: to TU      +------------+     |                  |
///                     200-699: to TU |      |                  |
///                                    v      v                  |
///                        +-----------+  arm K (T4, or 0 when   |
///   response: absorbed   | Completed |  reliable)              |
///        +---------------|           |                         |
///        +-------------->+-----------+                         |
///                              | Timer K                       |
///                              v                               |
///                        +------------+                        |
///                        | Terminated |<-----------------------+
///                        +------------+
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Trying,
    Proceeding,
    Completed,
    Terminated,
}

#[derive(Debug)]
pub(crate) struct ClientNonInvite {
    state: State,
    request: rsip::Request,
    reliable: bool,
    config: TimerConfig,
    timers: TimerTable,
    /// Current timer E interval; kept apart from the deadline because the
    /// next interval is derived from the previous one.
    interval: Duration,
    pub(crate) out: Outbox,
}

impl ClientNonInvite {
    /// Starts the transaction and queues the first copy of the request.
    pub(crate) fn new(now: Instant, request: rsip::Request, reliable: bool, config: TimerConfig) -> Self {
        let mut out = Outbox::default();
        out.send(request.clone());
        let mut timers = TimerTable::default();
        // A reliable transport retransmits on its own (§17.1.2.2).
        if !reliable {
            timers.set(Timer::E, now, config.t1);
        }
        timers.set(Timer::F, now, config.transaction_timeout());
        Self { state: State::Trying, request, reliable, config, timers, interval: config.t1, out }
    }

    pub(crate) fn state(&self) -> TransactionState {
        match self.state {
            State::Trying => TransactionState::Trying,
            State::Proceeding => TransactionState::Proceeding,
            State::Completed => TransactionState::Completed,
            State::Terminated => TransactionState::Terminated,
        }
    }

    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next_deadline()
    }

    pub(crate) fn handle_response(&mut self, now: Instant, response: rsip::Response) -> Disposition {
        let provisional = response.status_code.code() < 200;
        match (self.state, provisional) {
            (State::Trying, true) => {
                self.state = State::Proceeding;
                self.out.notify(TuEvent::Response(response));
                Disposition::Delivered
            }
            (State::Proceeding, true) => {
                self.out.notify(TuEvent::Response(response));
                Disposition::Delivered
            }
            (State::Trying | State::Proceeding, false) => {
                self.out.notify(TuEvent::Response(response));
                self.complete(now);
                Disposition::Delivered
            }
            // Completed exists only to soak up retransmitted finals.
            (State::Completed | State::Terminated, _) => Disposition::Absorbed,
        }
    }

    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        while let Some(timer) = self.timers.pop_due(now) {
            self.fire(now, timer);
        }
    }

    pub(crate) fn handle_transport_error(&mut self) {
        if matches!(self.state, State::Trying | State::Proceeding) {
            self.out.notify(TuEvent::TransportError);
        }
        self.terminate();
    }

    fn fire(&mut self, now: Instant, timer: Timer) {
        match (self.state, timer) {
            (State::Trying | State::Proceeding, Timer::E) => {
                self.out.send(self.request.clone());
                // Once a provisional arrived the server is known to be
                // alive, so retransmit at the slow T2 pace (§17.1.2.2).
                self.interval = match self.state {
                    State::Trying => self.config.backoff_capped(self.interval),
                    _ => self.config.t2,
                };
                self.timers.set(Timer::E, now, self.interval);
                debug!(interval = ?self.interval, "NICT timer E: request retransmitted");
            }
            (State::Trying | State::Proceeding, Timer::F) => {
                debug!("NICT timer F: no final response");
                self.out.notify(TuEvent::Timeout);
                self.terminate();
            }
            (State::Completed, Timer::K) => self.terminate(),
            (state, timer) => debug!(?state, ?timer, "NICT: stale timer ignored"),
        }
    }

    fn complete(&mut self, now: Instant) {
        self.timers.clear();
        let linger = self.config.t4_linger_for(self.reliable);
        if linger.is_zero() {
            self.terminate();
        } else {
            self.state = State::Completed;
            self.timers.set(Timer::K, now, linger);
        }
    }

    fn terminate(&mut self) {
        self.state = State::Terminated;
        self.timers.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REGISTER: &str = "REGISTER sip:example.com SIP/2.0\r\n\
        Via: SIP/2.0/UDP a.example.com;branch=z9hG4bKr1\r\n\
        From: <sip:alice@example.com>;tag=1\r\nTo: <sip:alice@example.com>\r\n\
        Call-ID: r1\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n";

    fn response(code: u16) -> rsip::Response {
        rsip::Response { status_code: code.into(), ..Default::default() }
    }

    fn start(reliable: bool) -> (Instant, ClientNonInvite) {
        let now = Instant::now();
        let request = rsip::Request::try_from(REGISTER).expect("test REGISTER parses");
        let mut nict = ClientNonInvite::new(now, request, reliable, TimerConfig::default());
        assert_eq!(nict.out.transmits.len(), 1);
        nict.out.transmits.clear();
        (now, nict)
    }

    #[test]
    fn provisional_slows_retransmissions_to_t2() {
        let (now, mut nict) = start(false);
        assert_eq!(nict.handle_response(now, response(100)), Disposition::Delivered);
        let first_e = now + Duration::from_millis(500);
        assert_eq!(nict.poll_timeout(), Some(first_e));
        nict.handle_timeout(first_e);
        assert_eq!(nict.poll_timeout(), Some(first_e + Duration::from_secs(4)));
    }

    #[test]
    fn final_response_retransmission_is_absorbed() {
        let (now, mut nict) = start(false);
        nict.handle_response(now, response(200));
        assert_eq!(nict.state(), TransactionState::Completed);
        assert_eq!(nict.handle_response(now, response(200)), Disposition::Absorbed);
        assert_eq!(nict.out.events.len(), 1);
    }

    #[test]
    fn reliable_transport_terminates_on_final_response() {
        let (now, mut nict) = start(true);
        assert_eq!(nict.poll_timeout(), Some(now + Duration::from_secs(32)));
        nict.handle_response(now, response(404));
        assert_eq!(nict.state(), TransactionState::Terminated);
    }
}
