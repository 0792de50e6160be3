//! Plumbing shared by the four state machines: their output queues and a
//! single enum the layer dispatches through.

use std::collections::VecDeque;
use std::time::Instant;

use super::TransactionState;
use super::client_invite::ClientInvite;
use super::client_non_invite::ClientNonInvite;
use super::server_invite::ServerInvite;
use super::server_non_invite::ServerNonInvite;

/// What a state machine tells its TU. The layer attaches the key.
#[derive(Debug)]
pub(crate) enum TuEvent {
    Response(rsip::Response),
    /// ACK for a 2xx, seen by an INVITE server transaction in Accepted.
    Ack(rsip::Request),
    /// Timer B, F or H fired: the peer never completed the exchange.
    Timeout,
    TransportError,
}

/// Messages and TU notifications a state machine produced, drained by the
/// layer after every input so each machine stays a plain sans-IO object.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    pub(crate) transmits: VecDeque<rsip::SipMessage>,
    pub(crate) events: VecDeque<TuEvent>,
}

impl Outbox {
    pub(crate) fn send(&mut self, message: impl Into<rsip::SipMessage>) {
        self.transmits.push_back(message.into());
    }

    pub(crate) fn notify(&mut self, event: TuEvent) {
        self.events.push_back(event);
    }
}

/// What became of a message handed to a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Disposition {
    /// Passed on to the TU as an event.
    Delivered,
    /// Swallowed: a retransmission or an ACK the transaction consumes.
    Absorbed,
}

/// One transaction of any of the four kinds, named by the RFC 3261
/// abbreviations (INVITE/non-INVITE client/server transaction).
#[derive(Debug)]
pub(crate) enum Transaction {
    Ict(ClientInvite),
    Nict(ClientNonInvite),
    Ist(ServerInvite),
    Nist(ServerNonInvite),
}

impl Transaction {
    pub(crate) fn state(&self) -> TransactionState {
        match self {
            Self::Ict(t) => t.state(),
            Self::Nict(t) => t.state(),
            Self::Ist(t) => t.state(),
            Self::Nist(t) => t.state(),
        }
    }

    pub(crate) fn is_terminated(&self) -> bool {
        self.state() == TransactionState::Terminated
    }

    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        match self {
            Self::Ict(t) => t.poll_timeout(),
            Self::Nict(t) => t.poll_timeout(),
            Self::Ist(t) => t.poll_timeout(),
            Self::Nist(t) => t.poll_timeout(),
        }
    }

    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        match self {
            Self::Ict(t) => t.handle_timeout(now),
            Self::Nict(t) => t.handle_timeout(now),
            Self::Ist(t) => t.handle_timeout(now),
            Self::Nist(t) => t.handle_timeout(now),
        }
    }

    pub(crate) fn handle_transport_error(&mut self) {
        match self {
            Self::Ict(t) => t.handle_transport_error(),
            Self::Nict(t) => t.handle_transport_error(),
            Self::Ist(t) => t.handle_transport_error(),
            Self::Nist(t) => t.handle_transport_error(),
        }
    }

    pub(crate) fn outbox(&mut self) -> &mut Outbox {
        match self {
            Self::Ict(t) => &mut t.out,
            Self::Nict(t) => &mut t.out,
            Self::Ist(t) => &mut t.out,
            Self::Nist(t) => &mut t.out,
        }
    }
}
