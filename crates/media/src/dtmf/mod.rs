//! DTMF in its three shapes on a SIP call, sans-IO: RTP telephone-events
//! (RFC 4733), tones inside the audio itself, and SIP INFO bodies. Nothing
//! here opens a socket or reads the clock; arrival times and samples are
//! passed in, and the caller decides what to send when.
//!
//! Layout:
//! * `rfc4733` — the 4-byte telephone-event payload, a [`DtmfReceiver`] that
//!   turns a lossy, reordered packet stream into one report per key press, and
//!   a [`DtmfSender`] that lays out the packets of one key press.
//! * `goertzel` — [`InbandDetector`], a Goertzel DTMF detector on linear PCM
//!   for peers that send digits as audio.
//! * `info` — `application/dtmf-relay` and `application/dtmf` INFO bodies.
//!
//! All three speak [`Digit`], so a digit cannot be anything but `0`–`9`, `*`,
//! `#` or `A`–`D` once it has been parsed.

mod goertzel;
mod info;
mod rfc4733;

#[cfg(test)]
mod tests;

pub use goertzel::{InbandDetector, InbandDigit};
pub use info::{DEFAULT_INFO_DURATION_MS, DTMF_RELAY_CONTENT_TYPE, InfoDigit, info_body, parse_info_body};
pub use rfc4733::{
    DEFAULT_END_TIMEOUT_MS, DigitEvent, DtmfReceiver, DtmfSender, DtmfUpdate, EndReason, EventPacket, OutPacket,
    TelephoneEvent, digit_to_event, event_to_digit,
};

use std::fmt;

/// Why a DTMF input was rejected or a sender could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DtmfError {
    /// A telephone-event payload is 4 bytes; this one was shorter.
    #[error("telephone-event payload is {len} bytes, needs at least 4")]
    PayloadTooShort { len: usize },
    /// The event code is a valid RFC 4733 event but not a DTMF digit
    /// (16 is hook flash, 32 and up are fax and modem tones).
    #[error("telephone-event {0} is not a DTMF digit")]
    NotADigit(u8),
    /// A character that is not one of `0`–`9`, `*`, `#`, `A`–`D`.
    #[error("{0:?} is not a DTMF digit")]
    InvalidDigit(char),
    /// The RTP packet is not version 2 or its header lengths do not fit.
    #[error("not a well-formed RTP packet")]
    MalformedRtp,
    /// A sender needs a non-zero clock rate and packet interval.
    #[error("DTMF sender needs a non-zero clock rate and packet interval (got {clock_rate} Hz, {ptime_ms} ms)")]
    InvalidTiming { clock_rate: u32, ptime_ms: u32 },
    /// An INFO body whose Content-Type is neither `application/dtmf-relay`
    /// nor `application/dtmf`.
    #[error("unsupported DTMF INFO content type {0:?}")]
    UnsupportedContentType(String),
    /// A `dtmf-relay` body with no `Signal=` line, or an empty `dtmf` body.
    #[error("DTMF INFO body has no signal")]
    MissingSignal,
    /// The signal is present but names no DTMF digit.
    #[error("DTMF INFO signal {0:?} is not a digit")]
    InvalidSignal(String),
    /// `Duration=` is present but not a whole number of milliseconds.
    #[error("DTMF INFO duration {0:?} is not a number of milliseconds")]
    InvalidDuration(String),
}

/// One DTMF key: `0`–`9`, `*`, `#` or `A`–`D`.
///
/// Stored as its RFC 4733 event code (0–15), which is also the order of the
/// keypad in that RFC, so conversion to the wire is free.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digit(u8);

/// Keys in event-code order (RFC 4733 §3.2, table 7).
const KEYS: [char; 16] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'A', 'B', 'C', 'D'];

impl Digit {
    /// Every digit, in event-code order.
    pub fn all() -> impl Iterator<Item = Digit> {
        (0..16).map(Digit)
    }

    /// The digit for a key; `a`–`d` are accepted as `A`–`D`.
    pub fn from_char(c: char) -> Option<Digit> {
        let c = c.to_ascii_uppercase();
        KEYS.iter().position(|k| *k == c).map(|i| Digit(i as u8))
    }

    /// The digit for an RFC 4733 event code; `None` for codes above 15.
    pub fn from_event(code: u8) -> Option<Digit> {
        (code < 16).then_some(Digit(code))
    }

    /// RFC 4733 event code, 0–15.
    pub fn event(self) -> u8 {
        self.0
    }

    pub fn as_char(self) -> char {
        KEYS[usize::from(self.0)]
    }
}

impl TryFrom<char> for Digit {
    type Error = DtmfError;

    fn try_from(c: char) -> Result<Self, Self::Error> {
        Digit::from_char(c).ok_or(DtmfError::InvalidDigit(c))
    }
}

impl From<Digit> for char {
    fn from(d: Digit) -> char {
        d.as_char()
    }
}

impl fmt::Display for Digit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.as_char())
    }
}
