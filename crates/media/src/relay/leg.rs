//! What the relay knows of one side of a call: where it is, what it agreed
//! to in SDP, the digits it is sending, and the stream the switch sends to
//! it (whose sequence numbers the relay owns once it injects packets).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::time::Instant;
use voxide_sdp::{AudioCodec, LegFormat};

use crate::audio::{Codec, OpusEncoder, Prompt, PromptPlayer, Transcoder};
use crate::dtmf::{Digit, DtmfReceiver, DtmfSender, InbandDetector};

/// A latched source silent this long may be replaced by another one.
const RELATCH_AFTER: Duration = Duration::from_secs(2);
/// Digits are this far apart, and played this loud (dB below 0 dBm0).
const VOLUME: u8 = 10;
const INTER_DIGIT: Duration = Duration::from_millis(80);
/// telephone-event clock (8 kHz): timestamp units per millisecond.
const UNITS_PER_MS: u32 = 8;

pub(super) struct LegState {
    /// Latched or signalled remote RTP address.
    pub remote: Option<SocketAddr>,
    /// SSRC of the stream latched on (once packets have come, SDP no longer
    /// moves the remote), and when it last sent RTP: another
    /// source takes over only with that SSRC (the same phone behind a NAT
    /// that moved it) or once the latched one has been quiet a while.
    pub latched_ssrc: Option<u32>,
    pub last_rtp: Instant,
    pub last_heard: Instant,
    pub last_seq: Option<u16>,
    pub format: LegFormat,
    /// RFC 4733 digits this leg sends.
    pub digits: Option<DtmfReceiver>,
    /// In-band tones, for a G.711 leg that did not agree to telephone-event.
    pub tones: Option<InbandDetector>,
    /// The stream the switch sends to this leg.
    pub out: Outbound,
    /// Turns this leg's audio into the other leg's codec, when they differ.
    pub transcoder: Option<Transcoder>,
    /// RTP clock rates of this leg and of the other (Opus runs at 48 kHz,
    /// G.711 at 8 kHz), and the first timestamp mapped between them.
    clocks: (u32, u32),
    ts_anchor: Option<(u32, u32)>,
    /// Zero of the millisecond clock the digit receiver works with.
    epoch: Instant,
}

impl LegState {
    pub fn new(now: Instant) -> LegState {
        LegState {
            remote: None,
            latched_ssrc: None,
            last_rtp: now,
            last_heard: now,
            last_seq: None,
            format: LegFormat::default(),
            digits: None,
            tones: None,
            out: Outbound::default(),
            transcoder: None,
            clocks: (8000, 8000),
            ts_anchor: None,
            epoch: now,
        }
    }

    /// Prepares the way from this leg (`own`) to the other (`other`): a
    /// transcoder when the codecs differ, and the timestamp clock ratio.
    pub fn set_path(&mut self, own: LegFormat, other: LegFormat) {
        self.transcoder = None;
        self.ts_anchor = None;
        self.clocks = (8000, 8000);
        let (Some((from, _)), Some((to, _))) = (own.audio, other.audio) else { return };
        self.clocks = (clock_rate(from), clock_rate(to));
        if from != to {
            match Transcoder::new(codec(from), codec(to)) {
                Ok(t) => self.transcoder = Some(t),
                Err(e) => tracing::warn!(cause = %e, ?from, ?to, "cannot transcode"),
            }
        }
    }

    /// Rewrites a packet's timestamp from this leg's clock to the other's.
    pub fn map_timestamp(&mut self, pkt: &mut [u8]) {
        let (from, to) = self.clocks;
        if from == to {
            return;
        }
        let ts = crate::rtp::timestamp(pkt);
        let (in0, out0) = *self.ts_anchor.get_or_insert((ts, ts));
        // Signed: a packet reordered from before the anchor maps to just
        // before it, not four billion units ahead.
        let delta = i64::from(ts.wrapping_sub(in0) as i32);
        let scaled = delta * i64::from(to) / i64::from(from);
        crate::rtp::set_timestamp(pkt, out0.wrapping_add(scaled as i32 as u32));
    }

    /// Whether the remote was learnt from packets (then SDP no longer moves it).
    pub fn latched(&self) -> bool {
        self.latched_ssrc.is_some()
    }

    /// Whether RTP from `from` with `ssrc` belongs to this leg (latching on
    /// it if it is new), rather than being someone else's packets sprayed
    /// at the port ("RTP bleed").
    pub fn accepts(&mut self, from: SocketAddr, ssrc: u32, now: Instant) -> bool {
        let latched = self.latched();
        let known = latched && self.remote == Some(from);
        let moved = self.latched_ssrc == Some(ssrc);
        let quiet = now.saturating_duration_since(self.last_rtp) >= RELATCH_AFTER;
        if !(known || !latched || moved || quiet) {
            return false;
        }
        self.remote = Some(from);
        self.latched_ssrc = Some(ssrc);
        self.last_rtp = now;
        true
    }

    /// Milliseconds since the leg was set up, for the digit receiver.
    pub fn millis(&self, now: Instant) -> u64 {
        u64::try_from(now.saturating_duration_since(self.epoch).as_millis()).unwrap_or(u64::MAX)
    }

    /// Reports a digit whose end packets were all lost, once it has gone quiet.
    pub fn poll_digits(&mut self, now: Instant, report: impl FnMut(super::forward::Heard)) {
        let ms = self.millis(now);
        if let Some(rx) = self.digits.as_mut() {
            rx.handle_timeout(ms);
            super::forward::ended_digits(rx, report);
        }
    }

    /// Applies what this leg agreed to in SDP.
    /// `inband`: look for DTMF tones in the audio of a G.711 leg without
    /// telephone-event (it costs about 10 µs a packet).
    pub fn set_format(&mut self, format: LegFormat, inband: bool) {
        if self.format == format {
            return;
        }
        self.format = format;
        self.digits = format.dtmf.map(|_| DtmfReceiver::new(8000));
        let g711 = matches!(format.audio, Some((AudioCodec::Pcmu | AudioCodec::Pcma, _)));
        self.tones = (inband && format.dtmf.is_none() && g711).then(|| InbandDetector::new(8000));
    }
}

/// The last packet the switch sent toward a leg.
#[derive(Debug, Clone, Copy)]
pub(super) struct Sent {
    pub seq: u16,
    pub ts: u32,
    pub ssrc: u32,
    pub at: Instant,
}

/// An RFC 4733 packet waiting for its time.
pub(super) struct Queued {
    pub due: Instant,
    pub payload: [u8; 4],
    pub marker: bool,
    pub ts: u32,
}

/// A prompt being played to a leg, a 20 ms frame at a time.
pub(super) struct Playback {
    pub player: PromptPlayer,
    pub due: Instant,
    pub first: bool,
    /// Opus legs need their own encoder (made on the first frame).
    pub opus: Option<OpusEncoder>,
    /// Frames waited for the leg's codec to be known.
    pub waited: u32,
}

#[derive(Default)]
pub(super) struct Outbound {
    pub playing: Option<Playback>,
    /// Added to the sequence numbers of relayed packets: each injected
    /// packet takes a number, each dropped one gives its number back, so the
    /// leg sees one gap-free sequence.
    pub seq_shift: u16,
    pub last: Option<Sent>,
    pub queue: VecDeque<Queued>,
}

impl Outbound {
    pub fn next_due(&self) -> Option<Instant> {
        let digit = self.queue.front().map(|q| q.due);
        let frame = self.playing.as_ref().map(|p| p.due);
        digit.into_iter().chain(frame).min()
    }

    /// Whether digits or a prompt are being played: relayed audio is held
    /// back meanwhile.
    pub fn busy(&self) -> bool {
        !self.queue.is_empty() || self.playing.is_some()
    }

    /// Starts playing `prompt` (8 kHz) now, replacing one in progress.
    pub fn play(&mut self, prompt: Prompt, now: Instant) {
        self.playing = Some(Playback { player: prompt.player(20), due: now, first: true, opus: None, waited: 0 });
    }

    /// Schedules `digits` as RFC 4733 events after whatever is queued
    /// (for a leg that agreed to telephone-event).
    pub fn queue_digits(&mut self, digits: &str, duration_ms: u32, now: Instant) {
        let mut at = self.queue.back().map_or(now, |q| q.due + INTER_DIGIT);
        // The event timestamp continues the leg's clock.
        let mut ts = match self.last {
            Some(s) => s.ts.wrapping_add(elapsed_units(s.at, at)),
            None => rand_ts(),
        };
        for digit in digits.chars().filter_map(Digit::from_char) {
            for p in DtmfSender::default().packets(digit, duration_ms, VOLUME, ts) {
                let due = at + Duration::from_millis(u64::from(p.send_at_ms));
                self.queue.push_back(Queued { due, payload: p.payload, marker: p.marker, ts: p.timestamp });
            }
            let end = self.queue.back().map_or(at, |q| q.due);
            ts = ts.wrapping_add(elapsed_units(at, end + INTER_DIGIT));
            at = end + INTER_DIGIT;
        }
    }
}

fn elapsed_units(from: Instant, to: Instant) -> u32 {
    let ms = to.saturating_duration_since(from).as_millis();
    u32::try_from(ms).unwrap_or(u32::MAX).wrapping_mul(UNITS_PER_MS)
}

/// A starting timestamp for a stream the switch begins itself.
pub(super) fn rand_ts() -> u32 {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    nanos.rotate_left(13)
}

fn clock_rate(codec: AudioCodec) -> u32 {
    match codec {
        AudioCodec::Opus => 48000,
        AudioCodec::Pcmu | AudioCodec::Pcma => 8000,
    }
}

fn codec(codec: AudioCodec) -> Codec {
    match codec {
        AudioCodec::Pcmu => Codec::Pcmu,
        AudioCodec::Pcma => Codec::Pcma,
        AudioCodec::Opus => Codec::Opus,
    }
}
