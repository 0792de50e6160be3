//! INVITE server transaction (RFC 3261 §17.2.1, updated by RFC 6026 §7.1).

use std::time::{Duration, Instant};

use tracing::debug;

use super::machine::{Disposition, Outbox, TuEvent};
use super::message::trying_for;
use super::timers::{Timer, TimerConfig, TimerTable};
use super::{TransactionError, TransactionState};

/// States of an INVITE server transaction.
///
/// ```text
///                     INVITE arrives: pass to TU, arm Trying (200 ms)
///                                  |
///   INVITE: resend last            v
///   provisional (if any)  +------------+  Trying fires and the TU has
///        +----------------| Proceeding |  been silent: send 100 Trying
///        +--------------->|            |
///   1xx from TU: send     +------------+
///                  2xx from TU: |     | 300-699 from TU: send,
///                  send, arm L  |     | arm G (unreliable only) and H
///                               v     v
///   2xx from TU: send  +----------+  +-----------+  INVITE: resend final
///   INVITE: absorbed   | Accepted |  | Completed |  Timer G: resend final,
///   ACK: to TU         +----------+  +-----------+  G = min(2G, T2)
///                           |          |       | Timer H: inform TU
///                           |          | ACK:  |
///                           |          | arm I v
///                           |          |    +-----------+ INVITE, ACK:
///                           |          +--->| Confirmed | absorbed
///                           |               +-----------+
///                           | Timer L             | Timer I (T4, or 0
///                           v                     v  when reliable)
///                      +--------------------------------+
///                      |           Terminated           |
///                      +--------------------------------+
/// ```
///
/// Accepted (RFC 6026) replaces RFC 3261's immediate termination after a
/// 2xx: it keeps retransmitted INVITEs from looking like new requests
/// while the TU retransmits the 2xx itself, and lets the ACK for the 2xx
/// reach the TU, which owns that exchange. A transport error leaves the
/// state unchanged (RFC 6026 §7.1); the timers end the transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Proceeding,
    Completed,
    Confirmed,
    Accepted,
    Terminated,
}

#[derive(Debug)]
pub(crate) struct ServerInvite {
    state: State,
    request: rsip::Request,
    reliable: bool,
    config: TimerConfig,
    timers: TimerTable,
    /// Current timer G interval.
    interval: Duration,
    /// Most recent response sent, resent on INVITE retransmissions in
    /// Proceeding (provisional) and Completed (final).
    last_response: Option<rsip::Response>,
    pub(crate) out: Outbox,
}

impl ServerInvite {
    /// Creates the transaction for a new INVITE; the layer hands the INVITE
    /// to the TU.
    pub(crate) fn new(now: Instant, request: rsip::Request, reliable: bool, config: TimerConfig) -> Self {
        let mut timers = TimerTable::default();
        timers.set(Timer::Trying, now, config.trying_delay);
        Self {
            state: State::Proceeding,
            request,
            reliable,
            config,
            timers,
            interval: config.t1,
            last_response: None,
            out: Outbox::default(),
        }
    }

    pub(crate) fn state(&self) -> TransactionState {
        match self.state {
            State::Proceeding => TransactionState::Proceeding,
            State::Completed => TransactionState::Completed,
            State::Confirmed => TransactionState::Confirmed,
            State::Accepted => TransactionState::Accepted,
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
        match self.state {
            State::Proceeding if status < 200 => {
                self.timers.cancel(Timer::Trying);
                self.out.send(response.clone());
                self.last_response = Some(response);
            }
            State::Proceeding if status < 300 => {
                self.timers.clear();
                self.timers.set(Timer::L, now, self.config.transaction_timeout());
                self.state = State::Accepted;
                self.out.send(response);
                // The TU owns 2xx retransmission; nothing to resend here.
                self.last_response = None;
            }
            State::Proceeding => {
                self.timers.clear();
                if !self.reliable {
                    self.timers.set(Timer::G, now, self.config.t1);
                }
                self.timers.set(Timer::H, now, self.config.transaction_timeout());
                self.state = State::Completed;
                self.out.send(response.clone());
                self.last_response = Some(response);
            }
            // The TU retransmits its 2xx (§13.3.1.4), and a forking UAS
            // may send several; all pass through while Accepted.
            State::Accepted if (200..300).contains(&status) => self.out.send(response),
            _ => {
                return Err(TransactionError::InvalidState { status, state: self.state() });
            }
        }
        Ok(())
    }

    /// A request matching this transaction: an INVITE retransmission or an
    /// ACK.
    pub(crate) fn handle_request(&mut self, now: Instant, request: rsip::Request) -> Disposition {
        if request.method != rsip::Method::Ack {
            match self.state {
                State::Proceeding | State::Completed => {
                    if let Some(response) = &self.last_response {
                        self.out.send(response.clone());
                    }
                }
                State::Accepted | State::Confirmed | State::Terminated => {}
            }
            return Disposition::Absorbed;
        }
        match self.state {
            State::Completed => {
                self.timers.clear();
                let linger = self.config.t4_linger_for(self.reliable);
                if linger.is_zero() {
                    self.terminate();
                } else {
                    self.state = State::Confirmed;
                    self.timers.set(Timer::I, now, linger);
                }
                Disposition::Absorbed
            }
            State::Accepted => {
                self.out.notify(TuEvent::Ack(request));
                Disposition::Delivered
            }
            State::Proceeding | State::Confirmed | State::Terminated => Disposition::Absorbed,
        }
    }

    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        while let Some(timer) = self.timers.pop_due(now) {
            self.fire(now, timer);
        }
    }

    pub(crate) fn handle_transport_error(&mut self) {
        if self.state != State::Terminated {
            self.out.notify(TuEvent::TransportError);
        }
    }

    fn fire(&mut self, now: Instant, timer: Timer) {
        match (self.state, timer) {
            (State::Proceeding, Timer::Trying) => {
                if self.last_response.is_none() {
                    // Quench the client's timer A before the TU decides.
                    let trying = trying_for(&self.request);
                    self.out.send(trying.clone());
                    self.last_response = Some(trying);
                    debug!("IST: TU silent for the trying delay, sent 100 Trying");
                }
            }
            (State::Completed, Timer::G) => {
                if let Some(response) = &self.last_response {
                    self.out.send(response.clone());
                }
                self.interval = self.config.backoff_capped(self.interval);
                self.timers.set(Timer::G, now, self.interval);
                debug!(interval = ?self.interval, "IST timer G: final response retransmitted");
            }
            (State::Completed, Timer::H) => {
                debug!("IST timer H: ACK never arrived");
                self.out.notify(TuEvent::Timeout);
                self.terminate();
            }
            (State::Confirmed, Timer::I) | (State::Accepted, Timer::L) => self.terminate(),
            (state, timer) => debug!(?state, ?timer, "IST: stale timer ignored"),
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

    const INVITE: &str = "INVITE sip:bob@example.com SIP/2.0\r\n\
        Via: SIP/2.0/UDP a.example.com;branch=z9hG4bKs1\r\n\
        From: <sip:alice@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\n\
        Call-ID: s1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";

    fn start() -> (Instant, ServerInvite) {
        let now = Instant::now();
        let request = rsip::Request::try_from(INVITE).expect("test INVITE parses");
        (now, ServerInvite::new(now, request, false, TimerConfig::default()))
    }

    fn response(code: u16) -> rsip::Response {
        rsip::Response { status_code: code.into(), ..Default::default() }
    }

    #[test]
    fn prompt_provisional_suppresses_automatic_trying() {
        let (now, mut ist) = start();
        ist.send_response(now, 180, response(180)).expect("180 allowed");
        assert_eq!(ist.poll_timeout(), None);
        assert_eq!(ist.out.transmits.len(), 1);
    }

    #[test]
    fn provisional_after_final_is_refused() {
        let (now, mut ist) = start();
        ist.send_response(now, 486, response(486)).expect("486 allowed");
        assert!(matches!(
            ist.send_response(now, 180, response(180)),
            Err(TransactionError::InvalidState { status: 180, .. })
        ));
    }

    #[test]
    fn transport_error_keeps_the_state() {
        let (now, mut ist) = start();
        ist.send_response(now, 200, response(200)).expect("200 allowed");
        ist.handle_transport_error();
        assert_eq!(ist.state(), TransactionState::Accepted);
        assert_eq!(ist.out.events.len(), 1);
    }
}
