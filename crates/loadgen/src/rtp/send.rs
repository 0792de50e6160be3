//! Sending: every open stream gets one 20 ms packet per period. The
//! period is cut into [`PHASES`] slots and each stream sends in the slot
//! its id falls in, so packets leave in small batches, not one burst.
//!
//! The payload is the [`Profile`]'s source audio, untouched. The send time
//! (nanoseconds on the load generator's clock), the stream id and a marker
//! travel in an RFC 8285 header extension, which relays pass on and
//! decoders skip, so the receiving side can measure one-way latency and
//! tell its own streams apart whatever the codec.
//!
//! A stream can also send RFC 4733 DTMF: each digit is five event packets
//! (100 ms) whose last one ends it and is sent three times, then five
//! audio packets of gap. Audio timestamps keep running under the events.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use voxide_media::dtmf::{TelephoneEvent, digit_to_event};

use super::profile::{DTMF_PT, PACKETS_PER_SEC, Profile};

/// Send slots per 20 ms period.
pub const PHASES: usize = 4;
/// RTP header length.
pub const HEADER: usize = 12;
/// The header extension carrying the tag: profile word, one element
/// (header byte and 16 bytes), padded to five words.
pub const EXTENSION: usize = 24;
/// Where the payload starts.
pub const PAYLOAD_AT: usize = HEADER + EXTENSION;
/// Where the tag's 16 bytes start: send time, stream id, [`MAGIC`].
pub const TAG_AT: usize = HEADER + 5;
/// Marks our packets.
pub const MAGIC: [u8; 4] = *b"VXLG";
/// RFC 8285 one-byte-header profile.
const ONE_BYTE_PROFILE: [u8; 2] = [0xbe, 0xde];
/// Element id 1, 16 bytes long (the length field holds length − 1).
const TAG_ELEMENT: u8 = 0x1f;
/// Event packets per digit, the last one ending it.
const DIGIT_PACKETS: u64 = 5;
/// Extra copies of the end packet (RFC 4733 §2.5.1.4).
const END_REPEATS: u64 = 2;
/// Audio packets between digits.
const GAP_PACKETS: u64 = 5;
/// Packets one digit takes, gap included.
const DIGIT_CYCLE: u64 = DIGIT_PACKETS + END_REPEATS + GAP_PACKETS;

/// Digits a stream sends, from its `start`-th packet on.
#[derive(Debug, Clone)]
struct DtmfPlan {
    events: Vec<u8>,
    start: u64,
}

struct Stream {
    sock: usize,
    remote: SocketAddr,
    seq: u16,
    ts: u32,
    /// Packets sent (and sequence numbers used).
    sent: u64,
    /// Periods since the stream opened, sent or not: the audio position.
    periods: u64,
    dtmf: Option<DtmfPlan>,
    /// On hold towards us: periods pass, nothing is sent.
    paused: bool,
}

pub struct RtpSender {
    profile: Arc<Profile>,
    slots: Vec<HashMap<u32, Stream>>,
    packet: Vec<u8>,
    /// Packets handed to the network.
    pub sent: u64,
    /// Packets the local socket refused (a full send buffer).
    pub send_errors: u64,
    /// Digits whose events were all sent.
    pub digits_sent: u64,
}

impl Default for RtpSender {
    fn default() -> Self {
        Self::new(Arc::new(Profile::default()))
    }
}

/// How long a DTMF string takes to send, in seconds.
pub fn dtmf_secs(digits: &str) -> f64 {
    (digits.chars().count() as u64 * DIGIT_CYCLE) as f64 / f64::from(PACKETS_PER_SEC)
}

impl RtpSender {
    pub fn new(profile: Arc<Profile>) -> Self {
        let mut packet = vec![0u8; PAYLOAD_AT];
        packet[0] = 0x90; // version 2, extension present
        packet[HEADER..HEADER + 2].copy_from_slice(&ONE_BYTE_PROFILE);
        packet[HEADER + 2..HEADER + 4].copy_from_slice(&((EXTENSION as u16 - 4) / 4).to_be_bytes());
        packet[HEADER + 4] = TAG_ELEMENT;
        packet[TAG_AT + 12..TAG_AT + 16].copy_from_slice(&MAGIC);
        Self {
            profile,
            slots: (0..PHASES).map(|_| HashMap::new()).collect(),
            packet,
            sent: 0,
            send_errors: 0,
            digits_sent: 0,
        }
    }

    pub fn profile(&self) -> &Arc<Profile> {
        &self.profile
    }

    /// Starts stream `id` from our socket `sock` to `remote`; it sends
    /// `digits` (keys a stream cannot send are left out) from `dtmf_after_secs` on.
    pub fn open(&mut self, id: u32, sock: usize, remote: SocketAddr, digits: Option<(&str, f64)>) {
        let seq = rand::random::<u16>() & 0x7fff;
        let ts = rand::random::<u32>() & 0x7fff_ffff;
        let dtmf = digits.map(|(keys, after)| DtmfPlan {
            events: keys.chars().filter_map(digit_to_event).collect(),
            start: (after * f64::from(PACKETS_PER_SEC)) as u64,
        });
        let stream = Stream { sock, remote, seq, ts, sent: 0, periods: 0, dtmf, paused: false };
        self.slots[id as usize % PHASES].insert(id, stream);
    }

    /// Stops stream `id`; returns how many packets it sent.
    pub fn stop(&mut self, id: u32) -> Option<u64> {
        self.slots[id as usize % PHASES].remove(&id).map(|s| s.sent)
    }

    /// Holds (or resumes) stream `id`: while paused it sends nothing.
    pub fn pause(&mut self, id: u32, paused: bool) {
        if let Some(s) = self.slots[id as usize % PHASES].get_mut(&id) {
            s.paused = paused;
        }
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
        let (profile, pkt) = (&*self.profile, &mut self.packet);
        for (id, s) in slot.iter_mut() {
            let ts = s.ts;
            s.ts = s.ts.wrapping_add(profile.frame_ticks);
            s.periods += 1;
            if s.paused {
                continue;
            }
            pkt.truncate(PAYLOAD_AT);
            let (pt, marker) = match s.dtmf.as_ref().and_then(|plan| event_at(plan, s.sent, profile.frame_ticks)) {
                Some((event, step)) => {
                    // Every packet of a digit carries the timestamp of its start.
                    let event_ts = ts.wrapping_sub(step as u32 * profile.frame_ticks);
                    pkt[4..8].copy_from_slice(&event_ts.to_be_bytes());
                    pkt.extend_from_slice(&event.to_bytes());
                    if step == DIGIT_PACKETS + END_REPEATS - 1 {
                        self.digits_sent += 1;
                    }
                    (DTMF_PT, step == 0)
                }
                None => {
                    pkt[4..8].copy_from_slice(&ts.to_be_bytes());
                    let frames = &profile.frames;
                    pkt.extend_from_slice(&frames[(s.periods as usize - 1) % frames.len()]);
                    (profile.audio_pt, s.sent == 0)
                }
            };
            pkt[1] = pt | if marker { 0x80 } else { 0 };
            pkt[2..4].copy_from_slice(&s.seq.to_be_bytes());
            pkt[8..12].copy_from_slice(&id.to_be_bytes());
            pkt[TAG_AT..TAG_AT + 8].copy_from_slice(&now_ns.to_be_bytes());
            pkt[TAG_AT + 8..TAG_AT + 12].copy_from_slice(&id.to_be_bytes());
            s.seq = s.seq.wrapping_add(1);
            if send(s.sock, s.remote, pkt) {
                s.sent += 1;
                self.sent += 1;
            } else {
                self.send_errors += 1;
            }
        }
    }
}

/// The event a stream's `n`-th packet carries, if any, and its step
/// within the digit (0 is the first packet).
fn event_at(plan: &DtmfPlan, n: u64, frame_ticks: u32) -> Option<(TelephoneEvent, u64)> {
    let k = n.checked_sub(plan.start)?;
    let event = *plan.events.get((k / DIGIT_CYCLE) as usize)?;
    let step = k % DIGIT_CYCLE;
    if step >= DIGIT_PACKETS + END_REPEATS {
        return None;
    }
    let end = step >= DIGIT_PACKETS - 1;
    let duration = (step.min(DIGIT_PACKETS - 1) + 1) as u32 * frame_ticks;
    let ev = TelephoneEvent { event, end, volume: 10, duration: duration.min(u32::from(u16::MAX)) as u16 };
    Some((ev, step))
}

#[cfg(test)]
mod tests {
    use super::*;
    use voxide_media::rtp;

    #[test]
    fn each_stream_sends_once_per_period_in_its_slot() {
        let mut tx = RtpSender::default();
        let remote: SocketAddr = "127.0.0.1:4000".parse().unwrap();
        tx.open(5, 0, remote, None);
        tx.open(6, 1, remote, None);
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
        assert_eq!(first.len(), PAYLOAD_AT + 160);
        assert_eq!(rtp::payload_offset(first), Some(PAYLOAD_AT));
        assert!(rtp::marker(first), "marker on the first packet");
        assert_eq!(&first[TAG_AT + 8..TAG_AT + 16], &[0, 0, 0, 5, b'V', b'X', b'L', b'G']);
        assert_eq!(&first[PAYLOAD_AT..], &tx.profile().frames[0][..], "the payload is the source audio");
        let second = &seen[2].1;
        assert_eq!(rtp::sequence(second), rtp::sequence(first).wrapping_add(1));
        assert_eq!(rtp::timestamp(second), rtp::timestamp(first).wrapping_add(160));
        assert_eq!(tx.stop(5), Some(2));
        assert_eq!(tx.stop(5), None);
        tx.tick(2, 0, |_, _, _| false);
        assert_eq!((tx.sent, tx.send_errors, tx.active()), (4, 1, 1));
    }

    #[test]
    fn digits_are_event_packets_under_a_running_audio_clock() {
        let mut tx = RtpSender::default();
        tx.open(4, 0, "127.0.0.1:4000".parse().unwrap(), Some(("1#", 0.04)));
        let mut pkts = Vec::new();
        for _ in 0..40 {
            tx.tick(0, 0, |_, _, p| {
                pkts.push(p.to_vec());
                true
            });
        }
        let events: Vec<(usize, TelephoneEvent, u32, bool)> = pkts
            .iter()
            .enumerate()
            .filter(|(_, p)| rtp::payload_type(p) == DTMF_PT)
            .map(|(i, p)| (i, TelephoneEvent::parse(&p[PAYLOAD_AT..]).unwrap(), rtp::timestamp(p), rtp::marker(p)))
            .collect();
        assert_eq!(events.len(), 14, "two digits of seven packets");
        let (start, first, ts0, marker) = events[0];
        assert_eq!((start, first.event, first.end, first.duration, marker), (2, 1, false, 160, true));
        assert!(events[..7].iter().all(|e| e.2 == ts0), "one timestamp per digit");
        assert_eq!(ts0, rtp::timestamp(&pkts[0]).wrapping_add(320));
        let ends: Vec<_> = events[..7].iter().filter(|e| e.1.end).map(|e| e.1.duration).collect();
        assert_eq!(ends, vec![800, 800, 800]);
        assert_eq!(events[7].1.event, 11, "#");
        assert_eq!(events[7].0, 2 + DIGIT_CYCLE as usize);
        assert_eq!(rtp::timestamp(&pkts[9]), ts0.wrapping_add(7 * 160), "audio resumes on the running clock");
        assert_eq!(tx.digits_sent, 2);
        let seqs: Vec<u16> = pkts.iter().map(|p| rtp::sequence(p)).collect();
        assert!(seqs.windows(2).all(|w| w[1] == w[0].wrapping_add(1)));
    }

    #[test]
    fn a_paused_stream_sends_nothing_and_its_clock_runs_on() {
        let mut tx = RtpSender::default();
        tx.open(8, 0, "127.0.0.1:4000".parse().unwrap(), None);
        let mut pkts = Vec::new();
        let mut tick = |tx: &mut RtpSender| {
            tx.tick(0, 0, |_, _, p| {
                pkts.push(p.to_vec());
                true
            })
        };
        tick(&mut tx);
        tx.pause(8, true);
        tick(&mut tx);
        tick(&mut tx);
        tx.pause(8, false);
        tick(&mut tx);
        assert_eq!(pkts.len(), 2);
        assert_eq!(rtp::sequence(&pkts[1]), rtp::sequence(&pkts[0]).wrapping_add(1));
        assert_eq!(rtp::timestamp(&pkts[1]), rtp::timestamp(&pkts[0]).wrapping_add(3 * 160));
        assert_eq!(tx.stop(8), Some(2));
    }
}
