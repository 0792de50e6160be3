//! Turns a stream of telephone-event packets into one report per key press.
//!
//! A sender repeats itself on purpose: an update every packet interval while
//! the key is held, and the final packet three times. The network adds loss,
//! duplicates and reordering. An event is identified by its RTP timestamp
//! (the instant the key went down), so the receiver reports:
//!
//! * `Started` on the first packet of a timestamp it has not seen, whichever
//!   packet that is — the marker packet may be lost;
//! * `Ended` on the first end packet, or, if all three were lost, when a new
//!   event begins or no packet has come for [`DEFAULT_END_TIMEOUT_MS`].
//!
//! After `Ended`, further packets with that timestamp (the redundant end
//! packets, late continuations) are ignored.
//!
//! ```text
//!   Idle ──packet, new timestamp──▶ Sounding ──end packet──────────▶ Idle
//!    ▲                                 │      ──new timestamp─────▶ Sounding
//!    └───────────no packet for the end timeout──────────────────────┘
//! ```

use std::collections::VecDeque;

use super::super::{Digit, DtmfError};
use super::{EventPacket, TelephoneEvent};

/// Silence after which a key press whose end packets were all lost is
/// reported anyway. Updates come every 20–50 ms, so 200 ms is several lost
/// packets in a row.
pub const DEFAULT_END_TIMEOUT_MS: u64 = 200;

/// Finished events remembered so their stragglers are recognised. A handful
/// covers any realistic reordering.
const REMEMBERED_EVENTS: usize = 8;

/// Duration of a full segment of a long event (RFC 4733 §2.5.1.3): the next
/// segment's timestamp is this much later.
const SEGMENT_LENGTH: u32 = 0xffff;

/// How far back, in seconds of RTP clock, a timestamp counts as a late
/// packet of an earlier event rather than a stream that jumped.
const STALE_WINDOW_SECS: u32 = 10;

/// What the receiver has learned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DtmfUpdate {
    /// A key went down: callers muting the audio copy of the tone start now.
    Started { digit: Digit, start_ts: u32 },
    /// A key press is over; reported exactly once per press.
    Ended(DigitEvent),
}

/// One key press.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DigitEvent {
    pub digit: Digit,
    /// RTP timestamp of the key going down.
    pub start_ts: u32,
    /// Length in RTP timestamp units; over 0xFFFF for segmented long presses.
    pub duration: u32,
    /// `duration` in milliseconds at the receiver's clock rate.
    pub duration_ms: u32,
    /// Attenuation below 0 dBm0 from the last packet, 0–63.
    pub volume: u8,
    pub ended_by: EndReason,
}

/// How the end of a key press was learned; anything but `EndPacket` means
/// the duration is a lower bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// An end packet arrived.
    EndPacket,
    /// All end packets were lost; a packet of a later event arrived.
    NextEvent,
    /// All end packets were lost and the stream went quiet.
    Timeout,
    /// The caller ended the stream with [`DtmfReceiver::flush`].
    Flushed,
}

/// The key press in progress.
#[derive(Debug)]
struct Tone {
    digit: Digit,
    start_ts: u32,
    /// Timestamp of the current segment; equals `start_ts` unless the press
    /// outlasted 0xFFFF units.
    segment_ts: u32,
    /// Units covered by the segments before the current one.
    earlier_segments: u32,
    /// Longest duration reported for the current segment.
    duration: u16,
    volume: u8,
    last_seq: u16,
    last_arrival_ms: u64,
}

/// A segment of a finished press, kept to recognise its late packets.
#[derive(Debug)]
struct Finished {
    timestamp: u32,
    event: u8,
    last_seq: u16,
}

/// RFC 4733 receiver for one RTP stream (one SSRC) of telephone-events.
///
/// Feed it with [`handle_packet`](Self::handle_packet), drive time with
/// [`handle_timeout`](Self::handle_timeout) at [`poll_timeout`](Self::poll_timeout),
/// and drain [`poll_update`](Self::poll_update) after each.
#[derive(Debug)]
pub struct DtmfReceiver {
    clock_rate: u32,
    end_timeout_ms: u64,
    tone: Option<Tone>,
    /// Timestamp of the newest segment seen; older ones are stragglers.
    newest_ts: Option<u32>,
    finished: VecDeque<Finished>,
    updates: VecDeque<DtmfUpdate>,
}

impl DtmfReceiver {
    /// A receiver for a stream whose telephone-event clock is `clock_rate`
    /// (8000 for the usual `telephone-event/8000`).
    pub fn new(clock_rate: u32) -> Self {
        Self {
            clock_rate: clock_rate.max(1),
            end_timeout_ms: DEFAULT_END_TIMEOUT_MS,
            tone: None,
            newest_ts: None,
            finished: VecDeque::with_capacity(REMEMBERED_EVENTS),
            updates: VecDeque::new(),
        }
    }

    /// Changes how long a press may go without packets before it is ended.
    pub fn with_end_timeout_ms(mut self, ms: u64) -> Self {
        self.end_timeout_ms = ms;
        self
    }

    /// The key currently held, if any.
    pub fn current(&self) -> Option<Digit> {
        self.tone.as_ref().map(|t| t.digit)
    }

    /// Takes one telephone-event packet that arrived at `now_ms`.
    ///
    /// Errors leave the state untouched: a payload too short to read, or an
    /// event that is not a DTMF key (hook flash, fax tones).
    pub fn handle_packet(&mut self, packet: EventPacket<'_>, now_ms: u64) -> Result<(), DtmfError> {
        let event = TelephoneEvent::parse(packet.payload)?;
        let digit = event.digit().ok_or(DtmfError::NotADigit(event.event))?;
        self.handle_timeout(now_ms);
        let in_tone = self.tone.as_ref().is_some_and(|t| t.digit == digit && t.segment_ts == packet.timestamp);
        if !in_tone && self.is_straggler(&packet, event.event) {
            return Ok(());
        }
        match &mut self.tone {
            Some(tone) if tone.digit == digit && tone.segment_ts == packet.timestamp => {
                tone.update(&event, packet.seq, now_ms);
            }
            Some(tone) if tone.digit == digit && packet.timestamp == tone.segment_ts.wrapping_add(SEGMENT_LENGTH) => {
                // The next segment of a press longer than 0xFFFF units.
                let previous = Finished { timestamp: tone.segment_ts, event: digit.event(), last_seq: tone.last_seq };
                tone.earlier_segments = tone.earlier_segments.saturating_add(SEGMENT_LENGTH);
                tone.segment_ts = packet.timestamp;
                tone.duration = 0;
                tone.update(&event, packet.seq, now_ms);
                self.newest_ts = Some(packet.timestamp);
                self.remember(previous);
            }
            _ => {
                // The end packets of the press in progress were all lost.
                self.finish(EndReason::NextEvent);
                self.start(digit, &event, &packet, now_ms);
            }
        }
        if event.end {
            self.finish(EndReason::EndPacket);
        }
        Ok(())
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next be called.
    pub fn poll_timeout(&self) -> Option<u64> {
        self.tone.as_ref().map(|t| t.last_arrival_ms.saturating_add(self.end_timeout_ms))
    }

    /// Ends a press whose packets stopped coming without an end packet.
    pub fn handle_timeout(&mut self, now_ms: u64) {
        if self.poll_timeout().is_some_and(|deadline| now_ms >= deadline) {
            self.finish(EndReason::Timeout);
        }
    }

    /// Ends a press in progress now, e.g. because the call or stream ended.
    pub fn flush(&mut self) {
        self.finish(EndReason::Flushed);
    }

    pub fn poll_update(&mut self) -> Option<DtmfUpdate> {
        self.updates.pop_front()
    }

    /// Whether the packet belongs to a press already reported or older than
    /// the newest one.
    fn is_straggler(&self, packet: &EventPacket<'_>, event: u8) -> bool {
        let seen = self.finished.iter().find(|f| f.timestamp == packet.timestamp && f.event == event);
        if let Some(f) = seen {
            // A sender that reuses the timestamp for the next press still
            // marks its first packet, which comes after the old end packets.
            let reused = packet.marker && seq_is_after(packet.seq, f.last_seq);
            return !reused;
        }
        let stale_window = self.clock_rate.saturating_mul(STALE_WINDOW_SECS);
        self.newest_ts.is_some_and(|newest| (1..=stale_window).contains(&newest.wrapping_sub(packet.timestamp)))
    }

    fn start(&mut self, digit: Digit, event: &TelephoneEvent, packet: &EventPacket<'_>, now_ms: u64) {
        self.tone = Some(Tone {
            digit,
            start_ts: packet.timestamp,
            segment_ts: packet.timestamp,
            earlier_segments: 0,
            duration: event.duration,
            volume: event.volume,
            last_seq: packet.seq,
            last_arrival_ms: now_ms,
        });
        self.newest_ts = Some(packet.timestamp);
        self.updates.push_back(DtmfUpdate::Started { digit, start_ts: packet.timestamp });
    }

    /// Reports the press in progress, if any.
    fn finish(&mut self, ended_by: EndReason) {
        let Some(tone) = self.tone.take() else { return };
        let duration = tone.earlier_segments.saturating_add(u32::from(tone.duration));
        let duration_ms = (u64::from(duration) * 1000 / u64::from(self.clock_rate)) as u32;
        self.remember(Finished { timestamp: tone.segment_ts, event: tone.digit.event(), last_seq: tone.last_seq });
        self.updates.push_back(DtmfUpdate::Ended(DigitEvent {
            digit: tone.digit,
            start_ts: tone.start_ts,
            duration,
            duration_ms,
            volume: tone.volume,
            ended_by,
        }));
    }

    fn remember(&mut self, finished: Finished) {
        self.finished.retain(|f| !(f.timestamp == finished.timestamp && f.event == finished.event));
        if self.finished.len() == REMEMBERED_EVENTS {
            self.finished.pop_front();
        }
        self.finished.push_back(finished);
    }
}

impl Tone {
    fn update(&mut self, event: &TelephoneEvent, seq: u16, now_ms: u64) {
        // Reordered updates carry shorter durations; an end packet's is final.
        self.duration = if event.end { event.duration } else { self.duration.max(event.duration) };
        self.volume = event.volume;
        if seq_is_after(seq, self.last_seq) {
            self.last_seq = seq;
        }
        self.last_arrival_ms = now_ms;
    }
}

/// RFC 3550 sequence comparison modulo 2^16.
fn seq_is_after(a: u16, b: u16) -> bool {
    a != b && a.wrapping_sub(b) < 0x8000
}
