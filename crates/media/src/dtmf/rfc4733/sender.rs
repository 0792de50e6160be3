//! Lays out the telephone-event packets of one key press (RFC 4733 §2.5.1).
//!
//! Every packet of a press carries the press's start as its RTP timestamp and
//! the time elapsed since then as its duration, so a receiver that sees any
//! one packet knows when the key went down. The first packet has the marker
//! bit; the last has the end bit and is sent three times, one packet interval
//! apart, with the same duration, so that losing one or two of them still
//! tells the receiver how long the key was held.
//!
//! The sender does not number packets: each one, retransmissions included,
//! takes the stream's next RTP sequence number when the caller sends it.

use super::super::{Digit, DtmfError};
use super::TelephoneEvent;

/// Longest duration one packet can state; longer presses are split into
/// segments (RFC 4733 §2.5.1.3).
const SEGMENT_LENGTH: u64 = 0xffff;

/// Copies of each final packet (RFC 4733 §2.5.1.4).
const FINAL_COPIES: u64 = 3;

/// One telephone-event packet, ready for an RTP header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutPacket {
    pub payload: [u8; 4],
    pub marker: bool,
    pub timestamp: u32,
    /// When to send it, in milliseconds after the key went down.
    pub send_at_ms: u32,
}

/// Builds key presses for one telephone-event stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DtmfSender {
    clock_rate: u32,
    ptime_ms: u32,
}

impl Default for DtmfSender {
    /// `telephone-event/8000` with a packet every 20 ms.
    fn default() -> Self {
        Self { clock_rate: 8000, ptime_ms: 20 }
    }
}

impl DtmfSender {
    /// A sender for a telephone-event clock of `clock_rate` Hz that sends an
    /// update every `ptime_ms`.
    pub fn new(clock_rate: u32, ptime_ms: u32) -> Result<Self, DtmfError> {
        if clock_rate == 0 || ptime_ms == 0 {
            return Err(DtmfError::InvalidTiming { clock_rate, ptime_ms });
        }
        Ok(Self { clock_rate, ptime_ms })
    }

    /// The packets of one press of `digit` held for `duration_ms` (at least
    /// one packet interval), at attenuation `volume` (0–63, below 0 dBm0),
    /// starting at RTP timestamp `start_ts`; in sending order.
    pub fn packets(&self, digit: Digit, duration_ms: u32, volume: u8, start_ts: u32) -> Vec<OutPacket> {
        let rate = u64::from(self.clock_rate);
        let to_units = |ms: u32| (u64::from(ms) * rate / 1000).max(1);
        let to_ms = |units: u64| (units * 1000 / rate) as u32;
        let step = to_units(self.ptime_ms);
        let total = to_units(duration_ms.max(self.ptime_ms));

        let mut out = Vec::with_capacity((total / step + 2 * FINAL_COPIES) as usize);
        let push_copies = |out: &mut Vec<OutPacket>, event: TelephoneEvent, timestamp: u32, at: u64| {
            for copy in 0..FINAL_COPIES {
                let send_at_ms = to_ms(at) + copy as u32 * self.ptime_ms;
                out.push(OutPacket { payload: event.to_bytes(), marker: false, timestamp, send_at_ms });
            }
        };
        let event = |end, duration| TelephoneEvent { event: digit.event(), end, volume, duration };
        let mut segment_start = 0u64;
        let mut elapsed = 0u64;
        while elapsed < total {
            elapsed = (elapsed + step).min(total);
            while elapsed > segment_start + SEGMENT_LENGTH {
                // Close the full segment: its final packet, without the end
                // bit, then carry on under the next segment's timestamp.
                let timestamp = start_ts.wrapping_add(segment_start as u32);
                push_copies(&mut out, event(false, u16::MAX), timestamp, segment_start + SEGMENT_LENGTH);
                segment_start += SEGMENT_LENGTH;
            }
            let timestamp = start_ts.wrapping_add(segment_start as u32);
            let update = event(elapsed == total, (elapsed - segment_start) as u16);
            if update.end {
                push_copies(&mut out, update, timestamp, elapsed);
            } else {
                let payload = update.to_bytes();
                out.push(OutPacket { payload, marker: false, timestamp, send_at_ms: to_ms(elapsed) });
            }
        }
        // Retransmitted segment ends interleave with the next segment's updates.
        out.sort_by_key(|p| p.send_at_ms);
        out[0].marker = true;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn five() -> Digit {
        Digit::from_char('5').unwrap()
    }

    #[test]
    fn hundred_ms_press_is_four_updates_and_three_identical_ends() {
        let pkts = DtmfSender::default().packets(five(), 100, 10, 0x1234_5678);
        let bytes: Vec<[u8; 4]> = pkts.iter().map(|p| p.payload).collect();
        assert_eq!(
            bytes,
            [
                [5, 10, 0x00, 0xa0], // 160
                [5, 10, 0x01, 0x40], // 320
                [5, 10, 0x01, 0xe0], // 480
                [5, 10, 0x02, 0x80], // 640
                [5, 0x8a, 0x03, 0x20],
                [5, 0x8a, 0x03, 0x20],
                [5, 0x8a, 0x03, 0x20],
            ]
        );
        assert!(pkts.iter().all(|p| p.timestamp == 0x1234_5678));
        assert_eq!(pkts.iter().map(|p| p.marker).collect::<Vec<_>>(), [true, false, false, false, false, false, false]);
        assert_eq!(pkts.iter().map(|p| p.send_at_ms).collect::<Vec<_>>(), [20, 40, 60, 80, 100, 120, 140]);
    }

    #[test]
    fn press_shorter_than_a_packet_is_one_packet_long() {
        let pkts = DtmfSender::default().packets(five(), 5, 0, 0);
        assert_eq!(pkts.len(), 3);
        assert!(pkts.iter().all(|p| TelephoneEvent::parse(&p.payload).unwrap().duration == 160));
        assert!(pkts[0].marker);
    }

    #[test]
    fn odd_durations_end_on_the_exact_length() {
        let pkts = DtmfSender::new(8000, 50).unwrap().packets(five(), 130, 6, 7);
        let durations: Vec<u16> = pkts.iter().map(|p| TelephoneEvent::parse(&p.payload).unwrap().duration).collect();
        assert_eq!(durations, [400, 800, 1040, 1040, 1040]);
    }

    #[test]
    fn presses_longer_than_a_duration_field_are_segmented() {
        // 10 s at 8 kHz = 80 000 units: one full segment of 0xFFFF, then 14 465.
        let start = u32::MAX - 1000; // and the timestamp wraps on the way
        let pkts = DtmfSender::default().packets(five(), 10_000, 10, start);
        let events: Vec<(u32, TelephoneEvent)> =
            pkts.iter().map(|p| (p.timestamp, TelephoneEvent::parse(&p.payload).unwrap())).collect();
        let segment_ends: Vec<_> = events.iter().filter(|(_, e)| e.duration == 0xffff).collect();
        assert_eq!(segment_ends.len(), 3);
        assert!(segment_ends.iter().all(|(ts, e)| *ts == start && !e.end));
        let second = start.wrapping_add(0xffff);
        let ends: Vec<_> = events.iter().filter(|(_, e)| e.end).collect();
        assert_eq!(ends.len(), 3);
        assert!(ends.iter().all(|(ts, e)| *ts == second && u32::from(e.duration) == 80_000 - 0xffff));
        assert_eq!(pkts.iter().filter(|p| p.marker).count(), 1);
        assert!(pkts.windows(2).all(|w| w[0].send_at_ms <= w[1].send_at_ms));
    }

    #[test]
    fn zero_clock_rate_or_interval_is_refused() {
        assert_eq!(DtmfSender::new(0, 20), Err(DtmfError::InvalidTiming { clock_rate: 0, ptime_ms: 20 }));
        assert!(DtmfSender::new(8000, 0).is_err());
    }
}
