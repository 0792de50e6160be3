//! Sending: every open stream gets one 20 ms PCMU packet per period. The
//! period is cut into [`PHASES`] slots and each stream sends in the slot
//! its id falls in, so packets leave in small batches, not one burst.
//!
//! The payload is a 400 Hz tone whose first 16 bytes carry the send time
//! (nanoseconds on the load generator's clock), the stream id and a
//! marker, so the receiving side can measure one-way latency and tell its
//! own streams apart.

use std::collections::HashMap;
use std::net::SocketAddr;

use voxide_media::g711;

/// Send slots per 20 ms period.
pub const PHASES: usize = 4;
/// Samples (and bytes) per 20 ms PCMU packet.
pub const FRAME: usize = 160;
/// RTP header length.
pub const HEADER: usize = 12;
/// Marks our payloads.
pub const MAGIC: [u8; 4] = *b"VXLG";

struct Stream {
    sock: usize,
    remote: SocketAddr,
    seq: u16,
    ts: u32,
    sent: u64,
}

pub struct RtpSender {
    slots: Vec<HashMap<u32, Stream>>,
    packet: [u8; HEADER + FRAME],
    /// Packets handed to the network.
    pub sent: u64,
    /// Packets the local socket refused (a full send buffer).
    pub send_errors: u64,
}

impl Default for RtpSender {
    fn default() -> Self {
        let mut packet = [0u8; HEADER + FRAME];
        packet[0] = 0x80;
        for (i, b) in packet[HEADER..].iter_mut().enumerate() {
            let phase = i as f64 * 400.0 / 8000.0 * std::f64::consts::TAU;
            *b = g711::linear_to_ulaw((phase.sin() * 8000.0) as i16);
        }
        Self { slots: (0..PHASES).map(|_| HashMap::new()).collect(), packet, sent: 0, send_errors: 0 }
    }
}

impl RtpSender {
    /// Starts stream `id` from our socket `sock` to `remote`.
    pub fn open(&mut self, id: u32, sock: usize, remote: SocketAddr) {
        let seq = rand::random::<u16>() & 0x7fff;
        let ts = rand::random::<u32>() & 0x7fff_ffff;
        self.slots[id as usize % PHASES].insert(id, Stream { sock, remote, seq, ts, sent: 0 });
    }

    /// Stops stream `id`; returns how many packets it sent.
    pub fn stop(&mut self, id: u32) -> Option<u64> {
        self.slots[id as usize % PHASES].remove(&id).map(|s| s.sent)
    }

    pub fn active(&self) -> usize {
        self.slots.iter().map(HashMap::len).sum()
    }

    /// Sends the packets of slot `phase`. `send(sock, remote, packet)`
    /// returns whether the socket took the packet.
    pub fn tick(&mut self, phase: usize, now_ns: u64, mut send: impl FnMut(usize, SocketAddr, &[u8]) -> bool) {
        let Some(slot) = self.slots.get_mut(phase % PHASES) else {
            return;
        };
        let pkt = &mut self.packet;
        for (id, s) in slot.iter_mut() {
            pkt[1] = if s.sent == 0 { 0x80 } else { 0 };
            pkt[2..4].copy_from_slice(&s.seq.to_be_bytes());
            pkt[4..8].copy_from_slice(&s.ts.to_be_bytes());
            pkt[8..12].copy_from_slice(&id.to_be_bytes());
            pkt[HEADER..HEADER + 8].copy_from_slice(&now_ns.to_be_bytes());
            pkt[HEADER + 8..HEADER + 12].copy_from_slice(&id.to_be_bytes());
            pkt[HEADER + 12..HEADER + 16].copy_from_slice(&MAGIC);
            s.seq = s.seq.wrapping_add(1);
            s.ts = s.ts.wrapping_add(FRAME as u32);
            if send(s.sock, s.remote, pkt) {
                s.sent += 1;
                self.sent += 1;
            } else {
                self.send_errors += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_stream_sends_once_per_period_in_its_slot() {
        let mut tx = RtpSender::default();
        let remote: SocketAddr = "127.0.0.1:4000".parse().unwrap();
        tx.open(5, 0, remote);
        tx.open(6, 1, remote);
        let mut seen = Vec::new();
        for phase in 0..PHASES * 2 {
            tx.tick(phase, 1_000 + phase as u64, |sock, _, pkt| {
                seen.push((sock, pkt.to_vec()));
                true
            });
        }
        assert_eq!(seen.len(), 4);
        let (sock, first) = &seen[0];
        assert_eq!(*sock, 0, "stream 5 (slot 1) sends first");
        assert_eq!(first.len(), HEADER + FRAME);
        assert_eq!(first[1], 0x80, "marker on the first packet");
        assert_eq!(&first[HEADER + 8..HEADER + 16], &[0, 0, 0, 5, b'V', b'X', b'L', b'G']);
        let second = &seen[2].1;
        assert_eq!(voxide_media::rtp::sequence(second), voxide_media::rtp::sequence(first).wrapping_add(1));
        assert_eq!(voxide_media::rtp::timestamp(second), voxide_media::rtp::timestamp(first).wrapping_add(160));
        assert_eq!(tx.stop(5), Some(2));
        assert_eq!(tx.stop(5), None);
        tx.tick(2, 0, |_, _, _| false);
        assert_eq!((tx.sent, tx.send_errors, tx.active()), (4, 1, 1));
    }
}
