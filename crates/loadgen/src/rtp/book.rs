//! Receiving: what arrived for each of our streams, and the totals of the
//! streams that are finished.
//!
//! Both ends of every stream are in this process, so a stream's loss is
//! exact: packets sent minus packets received, counted when the stream is
//! finished (after a drain pause, so nothing is still in flight). Jitter
//! is RFC 3550's interarrival jitter (J += (|D| − J)/16) with the send time
//! carried in the payload in place of the RTP timestamp, so it measures
//! the path through the switch and not the sender's timer. One-way latency
//! is arrival time minus that send time, for every packet.
//!
//! RFC 4733 digits are read off the streams that were told to expect them:
//! each digit once (its end packet and the end's repeats share a
//! timestamp), compared at the end with what the sender sent.

use std::collections::HashMap;

use serde::Serialize;
use voxide_media::rtp;

use voxide_media::dtmf::{TelephoneEvent, event_to_digit};

use super::profile::DTMF_PT;
use super::send::{HEADER, MAGIC, PAYLOAD_AT, TAG_AT};
use crate::histogram::Histogram;

#[derive(Debug, Default)]
struct Stream {
    received: u64,
    last_transit: Option<i64>,
    /// Interarrival jitter, in nanoseconds.
    jitter: f64,
    highest_seq: Option<u16>,
    /// Digits the far end sends on this stream.
    expected_digits: String,
    digits: String,
    /// Timestamp of the last digit ended, so its end repeats count once.
    last_end_ts: Option<u32>,
}

/// Totals over finished streams (latency over every packet received).
#[derive(Debug, Default)]
pub struct Totals {
    pub streams: u64,
    pub sent: u64,
    pub received: u64,
    pub lost: u64,
    pub streams_with_loss: u64,
    /// Packets that arrived after a sequence number higher than theirs.
    pub reordered: u64,
    /// Packets of ours for no open stream (arrived after it finished).
    pub late: u64,
    /// Packets that are not ours at all.
    pub foreign: u64,
    /// Final interarrival jitter of each stream, µs.
    pub jitter_us: Histogram,
    /// One-way latency of each packet, µs.
    pub latency_us: Histogram,
    pub dtmf: Dtmf,
}

/// RFC 4733 digits over finished streams.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Dtmf {
    /// Digits the streams' senders sent.
    pub expected: u64,
    /// Digits received in the order sent (the common prefix of each stream).
    pub delivered: u64,
    /// Streams whose digits did not arrive exactly as sent.
    pub streams_wrong: u64,
}

/// The loss figures of a report.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct Loss {
    pub streams: u64,
    pub sent: u64,
    pub received: u64,
    pub lost: u64,
    pub loss_pct: f64,
    pub streams_with_loss: u64,
    pub reordered: u64,
    pub late: u64,
    pub foreign: u64,
}

#[derive(Debug, Default)]
pub struct RtpBook {
    streams: HashMap<u32, Stream>,
    pub totals: Totals,
}

impl RtpBook {
    /// Starts counting stream `id`, whose sender sends `digits`.
    pub fn expect(&mut self, id: u32, digits: &str) {
        self.streams.insert(id, Stream { expected_digits: digits.to_owned(), ..Stream::default() });
    }

    /// One datagram received at `arrival_ns` on our clock.
    pub fn on_packet(&mut self, pkt: &[u8], arrival_ns: u64) {
        let ours = rtp::is_rtp(pkt)
            && rtp::payload_offset(pkt) == Some(PAYLOAD_AT)
            && pkt[HEADER..HEADER + 2] == [0xbe, 0xde]
            && pkt[TAG_AT + 12..TAG_AT + 16] == MAGIC;
        if !ours {
            self.totals.foreign += 1;
            return;
        }
        let word = |at: usize| u32::from_be_bytes([pkt[at], pkt[at + 1], pkt[at + 2], pkt[at + 3]]);
        let id = word(TAG_AT + 8);
        let sent_ns = (u64::from(word(TAG_AT)) << 32) | u64::from(word(TAG_AT + 4));
        let Some(s) = self.streams.get_mut(&id) else {
            self.totals.late += 1;
            return;
        };
        s.received += 1;
        let transit = arrival_ns as i64 - sent_ns as i64;
        self.totals.latency_us.record(transit.max(0) as u64 / 1000);
        if let Some(last) = s.last_transit {
            let d = (transit - last).unsigned_abs() as f64;
            s.jitter += (d - s.jitter) / 16.0;
        }
        s.last_transit = Some(transit);
        let seq = rtp::sequence(pkt);
        match s.highest_seq {
            Some(h) if (seq.wrapping_sub(h) as i16) < 0 => self.totals.reordered += 1,
            _ => s.highest_seq = Some(seq),
        }
        if rtp::payload_type(pkt) == DTMF_PT
            && let Ok(ev) = TelephoneEvent::parse(&pkt[PAYLOAD_AT..])
            && ev.end
            && s.last_end_ts != Some(rtp::timestamp(pkt))
        {
            s.last_end_ts = Some(rtp::timestamp(pkt));
            s.digits.extend(event_to_digit(ev.event));
        }
    }

    /// Ends stream `id`, which sent `sent` packets, and adds it to the totals.
    pub fn finish(&mut self, id: u32, sent: u64) {
        let Some(s) = self.streams.remove(&id) else {
            return;
        };
        let t = &mut self.totals;
        let lost = sent.saturating_sub(s.received);
        t.streams += 1;
        t.sent += sent;
        t.received += s.received.min(sent);
        t.lost += lost;
        t.streams_with_loss += u64::from(lost > 0);
        t.jitter_us.record((s.jitter / 1000.0) as u64);
        if !s.expected_digits.is_empty() || !s.digits.is_empty() {
            let prefix = s.expected_digits.chars().zip(s.digits.chars()).take_while(|(a, b)| a == b).count();
            t.dtmf.expected += s.expected_digits.chars().count() as u64;
            t.dtmf.delivered += prefix as u64;
            t.dtmf.streams_wrong += u64::from(s.digits != s.expected_digits);
        }
    }

    pub fn loss(&self) -> Loss {
        let t = &self.totals;
        Loss {
            streams: t.streams,
            sent: t.sent,
            received: t.received,
            lost: t.lost,
            loss_pct: if t.sent == 0 { 0.0 } else { 100.0 * t.lost as f64 / t.sent as f64 },
            streams_with_loss: t.streams_with_loss,
            reordered: t.reordered,
            late: t.late,
            foreign: t.foreign,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::send::RtpSender;
    use super::*;

    fn packets(n: usize) -> Vec<Vec<u8>> {
        let mut tx = RtpSender::default();
        tx.open(9, 0, "127.0.0.1:1".parse().unwrap(), None);
        let mut out = Vec::new();
        for i in 0..n {
            tx.tick(1, i as u64 * 20_000_000, |_, _, p| {
                out.push(p.to_vec());
                true
            });
        }
        out
    }

    #[test]
    fn counts_loss_latency_jitter_and_strays() {
        let mut book = RtpBook::default();
        book.expect(9, "");
        let pkts = packets(10);
        // Packet 3 is lost; every packet takes 2 ms, packet 6 takes 4 ms.
        for (i, p) in pkts.iter().enumerate().filter(|(i, _)| *i != 3) {
            let delay = if i == 6 { 4_000_000 } else { 2_000_000 };
            book.on_packet(p, i as u64 * 20_000_000 + delay);
        }
        book.on_packet(b"not rtp at all", 0);
        book.finish(9, 10);
        book.on_packet(&pkts[0], 0);
        let loss = book.loss();
        assert_eq!((loss.sent, loss.received, loss.lost, loss.streams_with_loss), (10, 9, 1, 1));
        assert!((loss.loss_pct - 10.0).abs() < 1e-9);
        assert_eq!((loss.late, loss.foreign, loss.reordered), (1, 1, 0));
        let lat = book.totals.latency_us.summary(1000.0);
        assert_eq!(lat.count, 9);
        assert!((lat.p50 - 2.0).abs() < 0.1 && (lat.max - 4.0).abs() < 0.1, "{lat:?}");
        assert!(book.totals.jitter_us.summary(1.0).max > 0.0);
        assert!(book.streams.is_empty());
    }

    #[test]
    fn truncated_and_foreign_packets_are_refused_without_panicking() {
        let mut book = RtpBook::default();
        book.expect(9, "");
        let pkt = packets(1).remove(0);
        for len in 0..pkt.len() {
            book.on_packet(&pkt[..len], 0);
        }
        let mut bare = pkt.clone();
        bare[0] &= !0x10;
        book.on_packet(&bare, 0);
        // Shorter than header and extension: not ours. Longer: a short payload.
        assert_eq!(book.totals.foreign, PAYLOAD_AT as u64 + 1);
        assert_eq!(book.totals.latency_us.count(), (pkt.len() - PAYLOAD_AT) as u64);
    }

    #[test]
    fn digits_count_once_each_and_are_compared_with_what_was_sent() {
        let mut tx = RtpSender::default();
        tx.open(3, 0, "127.0.0.1:1".parse().unwrap(), Some(("12", 0.0)));
        tx.open(7, 0, "127.0.0.1:1".parse().unwrap(), Some(("12", 0.0)));
        let mut book = RtpBook::default();
        book.expect(3, "12");
        book.expect(7, "12");
        let mut pkts = Vec::new();
        for _ in 0..30 {
            for phase in 0..crate::rtp::PHASES {
                tx.tick(phase, 0, |_, _, p| {
                    pkts.push(p.to_vec());
                    true
                });
            }
        }
        let stream = |p: &Vec<u8>| u32::from_be_bytes(p[TAG_AT + 8..TAG_AT + 12].try_into().unwrap());
        let second_digit_of_7 = |p: &Vec<u8>| stream(p) == 7 && rtp::payload_type(p) == DTMF_PT && p[PAYLOAD_AT] == 2;
        for p in pkts.iter().filter(|p| !second_digit_of_7(p)) {
            book.on_packet(p, 0);
        }
        let sent = (tx.stop(3).unwrap(), tx.stop(7).unwrap());
        book.finish(3, sent.0);
        book.finish(7, sent.1);
        assert_eq!(book.totals.dtmf, Dtmf { expected: 4, delivered: 3, streams_wrong: 1 });
    }
}
