//! RFC 4733 telephone-events: the 4-byte payload, and the RTP header fields a
//! receiver needs to tell one key press from the next.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     event     |E|R| volume    |          duration             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

mod receiver;
mod sender;

pub use receiver::{DEFAULT_END_TIMEOUT_MS, DigitEvent, DtmfReceiver, DtmfUpdate, EndReason};
pub use sender::{DtmfSender, OutPacket};

use super::{Digit, DtmfError};
use crate::rtp;

/// Largest value of the 6-bit volume field: -63 dBm0, the quietest.
const MAX_VOLUME: u8 = 0x3f;

/// One telephone-event payload block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelephoneEvent {
    /// Event code: 0–15 are DTMF keys, higher codes are other tones.
    pub event: u8,
    /// Set on the final packet of the event (and its retransmissions).
    pub end: bool,
    /// Power level as attenuation below 0 dBm0, 0–63; larger is quieter.
    pub volume: u8,
    /// Length of the event so far, in RTP timestamp units, counted from the
    /// packet's RTP timestamp.
    pub duration: u16,
}

impl TelephoneEvent {
    /// Reads the first block of a payload. The reserved bit is ignored, as the
    /// RFC asks of receivers; bytes past the first block (RFC 4733 §2.5.1.5
    /// packing, rarely sent) are not read.
    pub fn parse(payload: &[u8]) -> Result<Self, DtmfError> {
        let [event, flags, d0, d1, ..] = *payload else {
            return Err(DtmfError::PayloadTooShort { len: payload.len() });
        };
        Ok(Self { event, end: flags & 0x80 != 0, volume: flags & MAX_VOLUME, duration: u16::from_be_bytes([d0, d1]) })
    }

    /// Writes the block. A volume above 63 does not fit the field and is
    /// sent as 63, the quietest level, rather than wrapping to a loud one.
    pub fn write(&self, out: &mut [u8; 4]) {
        let end = if self.end { 0x80 } else { 0 };
        let [d0, d1] = self.duration.to_be_bytes();
        *out = [self.event, end | self.volume.min(MAX_VOLUME), d0, d1];
    }

    pub fn to_bytes(&self) -> [u8; 4] {
        let mut out = [0; 4];
        self.write(&mut out);
        out
    }

    /// The DTMF key of this event, if it is one.
    pub fn digit(&self) -> Option<Digit> {
        Digit::from_event(self.event)
    }
}

/// RFC 4733 event code of a key (`'*'` → 10, `'#'` → 11, `'A'` → 12 …).
pub fn digit_to_event(c: char) -> Option<u8> {
    Digit::from_char(c).map(Digit::event)
}

/// Key of an RFC 4733 event code; `None` for codes that are not DTMF.
pub fn event_to_digit(code: u8) -> Option<char> {
    Digit::from_event(code).map(Digit::as_char)
}

/// What the receiver needs from one telephone-event RTP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventPacket<'a> {
    /// RTP timestamp: the start of the event (or of its current segment).
    pub timestamp: u32,
    pub seq: u16,
    /// RTP marker bit, set on the first packet of an event.
    pub marker: bool,
    /// The RTP payload: one or more 4-byte telephone-event blocks.
    pub payload: &'a [u8],
}

impl<'a> EventPacket<'a> {
    /// The fields of a whole RTP packet. The caller has already matched the
    /// payload type against the negotiated telephone-event one.
    pub fn from_rtp(packet: &'a [u8]) -> Result<Self, DtmfError> {
        if !rtp::is_rtp(packet) {
            return Err(DtmfError::MalformedRtp);
        }
        let start = rtp::payload_offset(packet).ok_or(DtmfError::MalformedRtp)?;
        let padding = if packet[0] & 0x20 != 0 { usize::from(packet[packet.len() - 1]) } else { 0 };
        Ok(Self {
            timestamp: rtp::timestamp(packet),
            seq: rtp::sequence(packet),
            marker: packet[1] & 0x80 != 0,
            payload: &packet[start..packet.len() - padding],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digit_five_volume_ten_matches_the_rfc_layout() {
        // Event 5, not yet ended, -10 dBm0, 800 units (100 ms at 8 kHz).
        let ev = TelephoneEvent { event: 5, end: false, volume: 10, duration: 800 };
        assert_eq!(ev.to_bytes(), [0x05, 0x0a, 0x03, 0x20]);
        assert_eq!(TelephoneEvent::parse(&[0x05, 0x0a, 0x03, 0x20]).unwrap(), ev);

        let end = TelephoneEvent { end: true, duration: 1600, ..ev };
        assert_eq!(end.to_bytes(), [0x05, 0x8a, 0x06, 0x40]);
        assert_eq!(TelephoneEvent::parse(&end.to_bytes()).unwrap(), end);
    }

    #[test]
    fn reserved_bit_is_ignored_and_short_payloads_rejected() {
        let ev = TelephoneEvent::parse(&[0x0b, 0xc0 | 7, 0xff, 0xff]).unwrap();
        assert_eq!(ev, TelephoneEvent { event: 11, end: true, volume: 7, duration: 0xffff });
        assert_eq!(ev.digit().map(Digit::as_char), Some('#'));
        assert_eq!(TelephoneEvent::parse(&[5, 10, 0]), Err(DtmfError::PayloadTooShort { len: 3 }));
        assert_eq!(TelephoneEvent::parse(&[]), Err(DtmfError::PayloadTooShort { len: 0 }));
    }

    #[test]
    fn volume_beyond_the_field_is_sent_as_the_quietest() {
        let ev = TelephoneEvent { event: 1, end: false, volume: 200, duration: 0 };
        assert_eq!(ev.to_bytes()[1], 63);
    }

    #[test]
    fn keypad_maps_to_event_codes_both_ways() {
        let keys = "0123456789*#ABCD";
        for (code, key) in keys.chars().enumerate() {
            assert_eq!(digit_to_event(key), Some(code as u8));
            assert_eq!(event_to_digit(code as u8), Some(key));
        }
        assert_eq!(digit_to_event('b'), Some(13));
        assert_eq!(digit_to_event('E'), None);
        assert_eq!(event_to_digit(16), None, "16 is hook flash, not a key");
    }

    #[test]
    fn event_packet_is_read_from_a_whole_rtp_packet() {
        let pkt = [0x80, 0xe5, 0x1f, 0xdb, 0x00, 0x00, 0xa8, 0xc0, 0x0e, 0x05, 0x38, 0x4e, 0x05, 0x0a, 0x00, 0xa0];
        let ev = EventPacket::from_rtp(&pkt).unwrap();
        assert_eq!(ev, EventPacket { timestamp: 0xa8c0, seq: 0x1fdb, marker: true, payload: &pkt[12..] });

        let mut padded = pkt.to_vec();
        padded[0] |= 0x20;
        padded.extend_from_slice(&[0, 0, 0, 4]);
        assert_eq!(EventPacket::from_rtp(&padded).unwrap().payload, &pkt[12..]);
        assert_eq!(EventPacket::from_rtp(&pkt[..8]), Err(DtmfError::MalformedRtp));
    }
}
