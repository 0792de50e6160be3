//! RFC 3261 §17 transaction layer, with the RFC 6026 corrections for 2xx
//! responses to INVITE.
//!
//! A transaction is one request and the responses to it, plus the ACK for
//! a non-2xx final response to INVITE. The layer makes those exchanges
//! reliable over unreliable transports (retransmissions, timers) and
//! filters retransmissions away from the transaction user (TU).
//!
//! Everything here is sans-IO: no sockets, no tasks, no clock reads. Every
//! input carries `now`, output is pulled with
//! [`TransactionLayer::poll_transmit`] and [`TransactionLayer::poll_event`],
//! and time advances only through [`TransactionLayer::handle_timeout`] at
//! the instant [`TransactionLayer::poll_timeout`] names. Tests can run
//! minutes of protocol time in microseconds on a virtual clock.
//!
//! ```
//! use std::time::Instant;
//! use voxide_sip::transaction::{TransactionEvent, TransactionLayer, TimerConfig};
//!
//! let mut layer = TransactionLayer::new(TimerConfig::default());
//! let options = rsip::Request::try_from(
//!     "OPTIONS sip:bob@example.com SIP/2.0\r\n\
//!      Via: SIP/2.0/UDP a.example.com;branch=z9hG4bKdoc\r\n\
//!      From: <sip:alice@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\n\
//!      Call-ID: doc\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
//! )?;
//! let now = Instant::now();
//! let key = layer.send_request(now, options, false)?;
//! let first = layer.poll_transmit().expect("request queued");
//! assert_eq!(first.key, key);
//!
//! // Nobody answers: timer E retransmits, and timer F gives up.
//! while let Some(deadline) = layer.poll_timeout() {
//!     layer.handle_timeout(deadline);
//! }
//! assert!(matches!(layer.poll_event(), Some(TransactionEvent::Timeout { .. })));
//! assert!(matches!(layer.poll_event(), Some(TransactionEvent::Terminated { .. })));
//! assert!(layer.is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod client_invite;
mod client_non_invite;
mod key;
mod layer;
mod machine;
mod message;
mod server_invite;
mod server_non_invite;
mod timers;

pub use key::{MAGIC_COOKIE, TransactionKey};
pub use layer::TransactionLayer;
pub use timers::TimerConfig;

/// State of a transaction, across the four state machines. The diagrams
/// of each machine live on their internal state enums.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionState {
    /// INVITE client: request sent, no response yet.
    Calling,
    /// Non-INVITE client or server: no provisional response yet.
    Trying,
    /// A provisional response was received (client) or sent (server).
    Proceeding,
    /// A final response was received or sent; absorbing retransmissions.
    Completed,
    /// INVITE server: ACK for a non-2xx received; absorbing ACK copies.
    Confirmed,
    /// INVITE client or server after a 2xx (RFC 6026).
    Accepted,
    Terminated,
}

/// A message for the transport to send. The key lets the driver find the
/// destination it associated with the transaction: the resolved next hop
/// for a client transaction, the request's source for a server one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    pub key: TransactionKey,
    pub message: rsip::SipMessage,
}

/// What [`TransactionLayer::handle_incoming`] did with a message.
///
/// Messages that belong to a transaction reach the TU as
/// [`TransactionEvent`]s; only a message that belongs to none is handed
/// back here, because no transaction will ever report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// A new request created server transaction `key`; the request is
    /// queued as [`TransactionEvent::Request`] and the TU must answer with
    /// [`TransactionLayer::send_response`].
    Request { key: TransactionKey },
    /// A response matched client transaction `key` and is queued as
    /// [`TransactionEvent::Response`].
    Response { key: TransactionKey },
    /// An ACK for a 2xx matched INVITE server transaction `key` in the
    /// Accepted state and is queued as [`TransactionEvent::Ack`].
    Ack { key: TransactionKey },
    /// Transaction `key` swallowed the message: a retransmission, possibly
    /// answered with the last response, or the ACK for a non-2xx.
    Absorbed { key: TransactionKey },
    /// No transaction matches: an ACK for a 2xx or a 2xx retransmission
    /// that outlived its transaction. The TU (dialog layer) decides.
    Stray(rsip::SipMessage),
}

/// Notifications for the TU, drained with [`TransactionLayer::poll_event`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransactionEvent {
    /// A new request; answer through the server transaction `key`.
    Request { key: TransactionKey, request: rsip::Request },
    /// A response for client transaction `key`. Every 2xx to an INVITE
    /// arrives here, retransmissions included, because the TU must ACK
    /// each one (RFC 6026).
    Response { key: TransactionKey, response: rsip::Response },
    /// The ACK for a 2xx sent through server transaction `key`.
    Ack { key: TransactionKey, request: rsip::Request },
    /// Timer B or F (client: no final response) or H (INVITE server: no
    /// ACK) fired, or a non-INVITE server's TU never answered in 64*T1.
    Timeout { key: TransactionKey },
    /// The driver reported a transport failure for `key`.
    TransportError { key: TransactionKey },
    /// Transaction `key` ended and was removed; later messages with its
    /// key start afresh or are stray.
    Terminated { key: TransactionKey },
}

impl TransactionEvent {
    /// The transaction the event concerns.
    pub fn key(&self) -> &TransactionKey {
        match self {
            Self::Request { key, .. }
            | Self::Response { key, .. }
            | Self::Ack { key, .. }
            | Self::Timeout { key }
            | Self::TransportError { key }
            | Self::Terminated { key } => key,
        }
    }
}

/// Why the transaction layer refused a message or a TU command.
///
/// Malformed input from the network surfaces here instead of panicking,
/// so a driver can log and drop the datagram and carry on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransactionError {
    /// A header the layer cannot do without is absent: Via (and its branch
    /// on responses) and CSeq for matching, From and Call-ID for RFC 2543
    /// matching, To for building the ACK of a non-2xx.
    #[error("message has no {0} header")]
    MissingHeader(&'static str),

    /// A header needed for matching is present but does not parse.
    #[error("malformed {header} header: {source}")]
    InvalidHeader { header: &'static str, source: rsip::Error },

    /// The request line and the CSeq disagree about the method, so it is
    /// impossible to tell which transaction the request belongs to.
    #[error("request method {request} differs from CSeq method {cseq}")]
    MethodMismatch { request: rsip::Method, cseq: rsip::Method },

    /// ACK for a 2xx is not a transaction (§17.1.1.3, §13.2.2.4); the TU
    /// sends it straight to the transport.
    #[error("ACK is not sent through a client transaction")]
    AckIsNotATransaction,

    /// The TU asked for a client transaction whose key is already in use,
    /// which would make responses ambiguous.
    #[error("transaction {0} already exists")]
    DuplicateTransaction(TransactionKey),

    /// No live transaction has this key (it may have terminated already).
    #[error("no transaction {0}")]
    UnknownTransaction(TransactionKey),

    /// The key names a client transaction where a server one was needed.
    #[error("transaction {0} is not a server transaction")]
    NotAServerTransaction(TransactionKey),

    /// Status code outside 100..=699.
    #[error("status code {0} is not a valid SIP response code")]
    InvalidStatus(u16),

    /// The response is not allowed in the transaction's current state, e.g.
    /// a provisional after a final response.
    #[error("cannot send a {status} response in state {state:?}")]
    InvalidState { status: u16, state: TransactionState },
}

#[cfg(test)]
mod tests;
