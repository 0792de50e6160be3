//! Voxide's sans-IO SIP core, on `rsip` message types.
//!
//! Nothing here opens a socket or reads the clock: the switch feeds bytes
//! and `Instant`s in and drains messages and timers out.
//!
//! Layout:
//! - `parse`: bytes → validated message, or a typed reason it is malformed
//!   (with enough of the request kept to answer it 400);
//! - `framing`: SIP over TCP framed by Content-Length;
//! - `response`: building responses from requests (RFC 3261 §8.2.6);
//! - `via`: `received`/`rport` stamping (RFC 3581);
//! - `transaction`: the four RFC 3261 §17 state machines and the layer
//!   that matches messages to them.

pub mod framing;
pub mod parse;
pub mod response;
pub mod transaction;
pub mod values;
pub mod via;
pub mod wire;

pub use parse::{Malformed, ParseError, parse_message};
pub use response::{ALLOW, SUPPORTED, response_to};
pub use wire::to_wire;

/// The transports a message can arrive on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    Udp,
    Tcp,
}

impl Transport {
    /// Reliable transports do not retransmit (RFC 3261 §17).
    pub fn is_reliable(self) -> bool {
        matches!(self, Transport::Tcp)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
        }
    }
}
