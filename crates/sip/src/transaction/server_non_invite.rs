//! Non-INVITE server transaction (RFC 3261 §17.2.2).

use std::time::Instant;

use tracing::debug;

use super::machine::{Disposition, Outbox, TuEvent};
use super::timers::{Timer, TimerConfig, TimerTable};
use super::{TransactionError, TransactionState};

/// States of a non-INVITE server transaction.
///
/// ```text
///                       request arrives: pass to TU,
///                       arm the 64*T1 abandon guard
///                                 |
///   request: absorbed             v
///        +---------------+------------+
///        +-------------->|   Trying   |--------------+
///                        +------------+              |
///               1xx from TU: send |                  | 200-699 from
///                                 v                  | TU: send
///   request: resend 1xx  +------------+              |
///   1xx from TU: send    | Proceeding |              |
///        +---------------|            |------------+ |
///        +-------------->+------------+ 200-699    | |
///                                       from TU:   | |
///                                       send       v v
///   request: resend final               +-----------+ arm J (64*T1,
///        +------------------------------| Completed | or 0 when
///        +----------------------------->+-----------+ reliable)
///                                             | Timer J
///                                             v
///                                       +------------+
///   abandon guard or transport error -->| Terminated |
///                                       +------------+
/// ```
///
/// The abandon guard is not in RFC 3261: a TU that never answers would
/// otherwise pin the transaction in memory forever, and after 64*T1 the
/// client has given up (timer F) so no late answer could be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Trying,
    Proceeding,
    Completed,
    Terminated,
}

#[derive(Debug)]
pub(crate) struct ServerNonInvite {
    state: State,
    reliable: bool,
    config: TimerConfig,
    timers: TimerTable,
    /// Most recent response sent, resent on request retransmissions.
    last_response: Option<rsip::Response>,
    pub(crate) out: Outbox,
}

impl ServerNonInvite {
    /// Creates the transaction for a new request; the layer hands the
    /// request to the TU.
    pub(crate) fn new(now: Instant, reliable: bool, config: TimerConfig) -> Self {
        let mut timers = TimerTable::default();
        timers.set(Timer::Abandon, now, config.transaction_timeout());
        Self { state: State::Trying, reliable, config, timers, last_response: None, out: Outbox::default() }
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

    /// A response from the TU. `status` was validated by the caller.
    pub(crate) fn send_response(
        &mut self,
        now: Instant,
        status: u16,
        response: rsip::Response,
    ) -> Result<(), TransactionError> {
        if !matches!(self.state, State::Trying | State::Proceeding) {
            return Err(TransactionError::InvalidState { status, state: self.state() });
        }
        self.out.send(response.clone());
        self.last_response = Some(response);
        if status < 200 {
            self.state = State::Proceeding;
            return Ok(());
        }
        self.timers.clear();
        let linger = self.config.timer_j_for(self.reliable);
        if linger.is_zero() {
            self.terminate();
        } else {
            self.state = State::Completed;
            self.timers.set(Timer::J, now, linger);
        }
        Ok(())
    }

    /// A retransmission of the request: answer it with the last response so
    /// a lost response is recovered without involving the TU.
    pub(crate) fn handle_request(&mut self) -> Disposition {
        if matches!(self.state, State::Proceeding | State::Completed)
            && let Some(response) = &self.last_response
        {
            self.out.send(response.clone());
        }
        Disposition::Absorbed
    }

    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        while let Some(timer) = self.timers.pop_due(now) {
            match (self.state, timer) {
                (State::Completed, Timer::J) => self.terminate(),
                (State::Trying | State::Proceeding, Timer::Abandon) => {
                    debug!("NIST: TU never sent a final response");
                    self.out.notify(TuEvent::Timeout);
                    self.terminate();
                }
                (state, timer) => debug!(?state, ?timer, "NIST: stale timer ignored"),
            }
        }
    }

    pub(crate) fn handle_transport_error(&mut self) {
        if self.state != State::Terminated {
            self.out.notify(TuEvent::TransportError);
        }
        self.terminate();
    }

    fn terminate(&mut self) {
        self.state = State::Terminated;
        self.timers.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn response(code: u16) -> rsip::Response {
        rsip::Response { status_code: code.into(), ..Default::default() }
    }

    #[test]
    fn retransmission_before_any_response_is_silent() {
        let now = Instant::now();
        let mut nist = ServerNonInvite::new(now, false, TimerConfig::default());
        assert_eq!(nist.handle_request(), Disposition::Absorbed);
        assert!(nist.out.transmits.is_empty());
    }

    #[test]
    fn retransmission_gets_the_latest_response() {
        let now = Instant::now();
        let mut nist = ServerNonInvite::new(now, false, TimerConfig::default());
        nist.send_response(now, 100, response(100)).expect("1xx");
        nist.handle_request();
        nist.send_response(now, 200, response(200)).expect("2xx");
        nist.handle_request();
        let codes: Vec<_> = nist
            .out
            .transmits
            .iter()
            .filter_map(|m| match m {
                rsip::SipMessage::Response(r) => Some(r.status_code.code()),
                rsip::SipMessage::Request(_) => None,
            })
            .collect();
        assert_eq!(codes, [100, 100, 200, 200]);
    }

    #[test]
    fn silent_tu_is_abandoned_after_64_t1() {
        let now = Instant::now();
        let mut nist = ServerNonInvite::new(now, false, TimerConfig::default());
        let deadline = now + Duration::from_secs(32);
        assert_eq!(nist.poll_timeout(), Some(deadline));
        nist.handle_timeout(deadline);
        assert_eq!(nist.state(), TransactionState::Terminated);
        assert!(matches!(nist.out.events.front(), Some(TuEvent::Timeout)));
    }
}
