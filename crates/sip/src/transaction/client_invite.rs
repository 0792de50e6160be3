//! INVITE client transaction (RFC 3261 §17.1.1, updated by RFC 6026 §7.2).

use std::time::{Duration, Instant};

use tracing::{debug, warn};

use super::TransactionState;
use super::machine::{Disposition, Outbox, TuEvent};
use super::message::ack_for;
use super::timers::{Timer, TimerConfig, TimerTable};

/// States of an INVITE client transaction.
///
/// ```text
///                       INVITE from TU: send INVITE,
///                       arm A (unreliable only) and B
///                                 |
///   Timer A: resend,              v
///   A = 2A               +-------------+  Timer B or transport
///        +---------------|   Calling   |  error: inform TU -----+
///        +-------------->|             |                        |
///                        +-------------+                        |
///                   1xx: to TU |  |  \ 300-699: to TU, send ACK |
///                              v  |   \                         |
///        1xx: to TU      +------------+\ \                      |
///        +---------------| Proceeding | \ \                     |
///        +-------------->|            |  \ \                    |
///                        +------------+   \ \                   |
///         2xx: to TU      |  300-699:  |   | |                  |
///         (from either    |  to TU,    v   v v                  |
///          state), arm M  |  send ACK  +-----------+ arm D      |
///                         |            | Completed |            |
///                         v            +-----------+            |
///   2xx: to TU   +------------+  300-699: resend ACK  | Timer D |
///       +--------|  Accepted  |  (absorbed)           |         |
///       +------->|            |                       |         |
///                +------------+                       v         |
///                       | Timer M               +------------+  |
///                       +---------------------->| Terminated |<-+
///                                               +------------+
/// ```
///
/// Accepted (RFC 6026) keeps the transaction alive for 64*T1 after a 2xx
/// so retransmitted or forked 2xx responses still reach the TU, which
/// must ACK each of them itself; in RFC 3261 they were orphaned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Calling,
    Proceeding,
    Completed,
    Accepted,
    Terminated,
}

#[derive(Debug)]
pub(crate) struct ClientInvite {
    state: State,
    request: rsip::Request,
    reliable: bool,
    config: TimerConfig,
    timers: TimerTable,
    /// Current timer A interval; doubles without a ceiling (§17.1.1.2).
    interval: Duration,
    /// ACK sent for the non-2xx final, resent on every retransmission of it.
    ack: Option<rsip::Request>,
    pub(crate) out: Outbox,
}

impl ClientInvite {
    /// Starts the transaction and queues the first copy of the INVITE.
    pub(crate) fn new(now: Instant, request: rsip::Request, reliable: bool, config: TimerConfig) -> Self {
        let mut out = Outbox::default();
        out.send(request.clone());
        let mut timers = TimerTable::default();
        if !reliable {
            timers.set(Timer::A, now, config.t1);
        }
        timers.set(Timer::B, now, config.transaction_timeout());
        Self { state: State::Calling, request, reliable, config, timers, interval: config.t1, ack: None, out }
    }

    pub(crate) fn state(&self) -> TransactionState {
        match self.state {
            State::Calling => TransactionState::Calling,
            State::Proceeding => TransactionState::Proceeding,
            State::Completed => TransactionState::Completed,
            State::Accepted => TransactionState::Accepted,
            State::Terminated => TransactionState::Terminated,
        }
    }

    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next_deadline()
    }

    pub(crate) fn handle_response(&mut self, now: Instant, response: rsip::Response) -> Disposition {
        let code = response.status_code.code();
        match self.state {
            State::Calling | State::Proceeding if code < 200 => {
                if self.state == State::Calling {
                    // The server has the INVITE: stop retransmitting and
                    // leave the wait for a final answer to the TU (Timer C
                    // or CANCEL), since ringing may last arbitrarily long.
                    self.timers.clear();
                    self.state = State::Proceeding;
                }
                self.out.notify(TuEvent::Response(response));
                Disposition::Delivered
            }
            State::Calling | State::Proceeding if code < 300 => {
                self.timers.clear();
                self.timers.set(Timer::M, now, self.config.transaction_timeout());
                self.state = State::Accepted;
                self.out.notify(TuEvent::Response(response));
                Disposition::Delivered
            }
            State::Calling | State::Proceeding => {
                match ack_for(&self.request, &response) {
                    Ok(ack) => {
                        self.out.send(ack.clone());
                        self.ack = Some(ack);
                    }
                    // Without a To header no valid ACK exists; the server
                    // will retransmit until timer H and then give up.
                    Err(error) => warn!(%error, "ICT: cannot build ACK"),
                }
                self.out.notify(TuEvent::Response(response));
                self.complete(now);
                Disposition::Delivered
            }
            State::Completed => {
                if code >= 300
                    && let Some(ack) = &self.ack
                {
                    self.out.send(ack.clone());
                }
                Disposition::Absorbed
            }
            State::Accepted if (200..300).contains(&code) => {
                self.out.notify(TuEvent::Response(response));
                Disposition::Delivered
            }
            State::Accepted | State::Terminated => Disposition::Absorbed,
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
        self.terminate();
    }

    fn fire(&mut self, now: Instant, timer: Timer) {
        match (self.state, timer) {
            (State::Calling, Timer::A) => {
                self.out.send(self.request.clone());
                self.interval = self.interval.saturating_mul(2);
                self.timers.set(Timer::A, now, self.interval);
                debug!(interval = ?self.interval, "ICT timer A: INVITE retransmitted");
            }
            (State::Calling, Timer::B) => {
                debug!("ICT timer B: no response");
                self.out.notify(TuEvent::Timeout);
                self.terminate();
            }
            (State::Completed, Timer::D) | (State::Accepted, Timer::M) => self.terminate(),
            (state, timer) => debug!(?state, ?timer, "ICT: stale timer ignored"),
        }
    }

    fn complete(&mut self, now: Instant) {
        self.timers.clear();
        let linger = self.config.timer_d_for(self.reliable);
        if linger.is_zero() {
            self.terminate();
        } else {
            self.state = State::Completed;
            self.timers.set(Timer::D, now, linger);
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
        Via: SIP/2.0/UDP a.example.com;branch=z9hG4bKi1\r\n\
        From: <sip:alice@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\n\
        Call-ID: i1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";

    fn response(code: u16) -> rsip::Response {
        let text = format!(
            "SIP/2.0 {code} Whatever\r\nVia: SIP/2.0/UDP a.example.com;branch=z9hG4bKi1\r\n\
             From: <sip:alice@example.com>;tag=1\r\nTo: <sip:bob@example.com>;tag=2\r\n\
             Call-ID: i1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
        );
        rsip::Response::try_from(text).expect("test response parses")
    }

    fn start() -> (Instant, ClientInvite) {
        let now = Instant::now();
        let request = rsip::Request::try_from(INVITE).expect("test INVITE parses");
        let mut ict = ClientInvite::new(now, request, false, TimerConfig::default());
        ict.out.transmits.clear();
        (now, ict)
    }

    #[test]
    fn each_retransmitted_failure_is_acked_again_but_not_delivered() {
        let (now, mut ict) = start();
        ict.handle_response(now, response(486));
        assert_eq!(ict.out.transmits.len(), 1);
        assert_eq!(ict.handle_response(now, response(486)), Disposition::Absorbed);
        assert_eq!(ict.out.transmits.len(), 2);
        assert_eq!(ict.out.events.len(), 1);
    }

    #[test]
    fn provisional_stops_timers_a_and_b() {
        let (now, mut ict) = start();
        ict.handle_response(now, response(180));
        assert_eq!(ict.poll_timeout(), None);
    }

    #[test]
    fn accepted_ignores_non_2xx() {
        let (now, mut ict) = start();
        ict.handle_response(now, response(200));
        assert_eq!(ict.state(), TransactionState::Accepted);
        assert_eq!(ict.handle_response(now, response(180)), Disposition::Absorbed);
        assert_eq!(ict.handle_response(now, response(200)), Disposition::Delivered);
        assert!(ict.out.transmits.is_empty(), "2xx is ACKed by the TU");
    }
}
