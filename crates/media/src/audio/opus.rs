//! Opus (RFC 6716) through the system libopus, and the SDP lines that
//! announce it (RFC 7587).
//!
//! On the wire Opus always runs a 48 kHz RTP clock, but libopus encodes from
//! and decodes to 8, 12, 16, 24 or 48 kHz directly. Running the codec at the
//! other leg's rate (8 kHz against G.711) skips resampling altogether and is
//! what [`Transcoder`](super::Transcoder) does; 48 kHz is the default for
//! wideband peers.

use audiopus::coder::{Decoder, Encoder};
use audiopus::{Application, Channels, SampleRate};

use super::AudioError;

/// The RTP clock rate of Opus, whatever rate the audio is coded at.
pub const OPUS_RTP_CLOCK_RATE: u32 = 48_000;

/// Packets of 20 ms unless a decoded packet said otherwise.
const DEFAULT_FRAME_MS: u32 = 20;

/// Encodes linear PCM to Opus packets, one call per frame.
pub struct OpusEncoder {
    inner: Encoder,
    rate: u32,
    channels: u8,
}

impl std::fmt::Debug for OpusEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpusEncoder").field("rate", &self.rate).field("channels", &self.channels).finish()
    }
}

/// Encoder complexity (0–10) used for calls.
pub const COMPLEXITY: u8 = 3;

impl OpusEncoder {
    /// An encoder tuned for speech (`OPUS_APPLICATION_VOIP`, signal
    /// `voice`) taking PCM at `rate` (8/12/16/24/48 kHz) with `channels` (1
    /// or 2) interleaved. Complexity is `COMPLEXITY`, not libopus's default
    /// 10: for narrowband speech the difference is inaudible and the encoder
    /// costs a third as much, which is what lets one core transcode hundreds
    /// of calls.
    pub fn new(rate: u32, channels: u8) -> Result<OpusEncoder, AudioError> {
        let mut inner = Encoder::new(sample_rate(rate)?, opus_channels(channels)?, Application::Voip)?;
        inner.set_complexity(COMPLEXITY)?;
        inner.set_signal(audiopus::Signal::Voice)?;
        Ok(OpusEncoder { inner, rate, channels })
    }

    pub fn rate(&self) -> u32 {
        self.rate
    }

    pub fn channels(&self) -> u8 {
        self.channels
    }

    /// Target bitrate in bits per second (libopus picks one by default).
    pub fn set_bitrate(&mut self, bits_per_second: i32) -> Result<(), AudioError> {
        Ok(self.inner.set_bitrate(audiopus::Bitrate::BitsPerSecond(bits_per_second))?)
    }

    /// Adds in-band FEC sized for `expected_loss_percent`, for a peer that
    /// announced `useinbandfec=1`; 0 turns it off.
    pub fn set_inband_fec(&mut self, expected_loss_percent: u8) -> Result<(), AudioError> {
        self.inner.set_inband_fec(expected_loss_percent > 0)?;
        Ok(self.inner.set_packet_loss_perc(expected_loss_percent.min(100))?)
    }

    /// Encodes one frame (2.5 to 60 ms of interleaved samples; 20 ms is 960
    /// per channel at 48 kHz) into `packet`; returns the packet length.
    pub fn encode(&mut self, pcm: &[i16], packet: &mut [u8]) -> Result<usize, AudioError> {
        let per_channel = pcm.len() / usize::from(self.channels);
        if !pcm.len().is_multiple_of(usize::from(self.channels)) || !is_opus_frame(per_channel, self.rate) {
            let frame_ms = (per_channel as u64 * 1000 / u64::from(self.rate)) as u32;
            return Err(AudioError::UnsupportedFrame { rate: self.rate, frame_ms });
        }
        Ok(self.inner.encode(pcm, packet)?)
    }
}

/// Decodes Opus packets to linear PCM at a rate of the caller's choosing.
pub struct OpusDecoder {
    inner: Decoder,
    rate: u32,
    channels: u8,
    /// Samples per channel of the last packet, the length concealment uses.
    last_frame: usize,
}

impl std::fmt::Debug for OpusDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpusDecoder").field("rate", &self.rate).field("channels", &self.channels).finish()
    }
}

impl OpusDecoder {
    /// A decoder producing `channels` (1 or 2) at `rate` (8/12/16/24/48
    /// kHz); any Opus stream decodes at any of these, mono or stereo.
    pub fn new(rate: u32, channels: u8) -> Result<OpusDecoder, AudioError> {
        let inner = Decoder::new(sample_rate(rate)?, opus_channels(channels)?)?;
        let last_frame = (rate * DEFAULT_FRAME_MS / 1000) as usize;
        Ok(OpusDecoder { inner, rate, channels, last_frame })
    }

    pub fn rate(&self) -> u32 {
        self.rate
    }

    pub fn channels(&self) -> u8 {
        self.channels
    }

    /// Decodes `packet` into `pcm`, returning samples per channel.
    ///
    /// `None` (or an empty payload) means the packet was lost: libopus
    /// conceals it with audio extrapolated from what came before, as long
    /// as the last packet (20 ms before any arrived).
    pub fn decode(&mut self, packet: Option<&[u8]>, pcm: &mut [i16]) -> Result<usize, AudioError> {
        let packet = packet.filter(|p| !p.is_empty());
        let n = match packet {
            Some(packet) => self.inner.decode(Some(packet), pcm, false)?,
            None => {
                let out = self.frame_slice(pcm)?;
                self.inner.decode(None::<&[u8]>, out, false)?
            }
        };
        if packet.is_some() {
            self.last_frame = n;
        }
        Ok(n)
    }

    /// Rebuilds a lost packet from the redundancy (in-band FEC) carried in
    /// the packet that followed it; decode `next` itself afterwards. Without
    /// FEC data libopus falls back to concealment.
    pub fn decode_fec(&mut self, next: &[u8], pcm: &mut [i16]) -> Result<usize, AudioError> {
        let out = self.frame_slice(pcm)?;
        Ok(self.inner.decode(Some(next), out, true)?)
    }

    fn frame_slice<'a>(&self, pcm: &'a mut [i16]) -> Result<&'a mut [i16], AudioError> {
        let needed = self.last_frame * usize::from(self.channels);
        let got = pcm.len();
        pcm.get_mut(..needed).ok_or(AudioError::BufferTooSmall { needed, got })
    }
}

fn sample_rate(rate: u32) -> Result<SampleRate, AudioError> {
    Ok(match rate {
        8000 => SampleRate::Hz8000,
        12_000 => SampleRate::Hz12000,
        16_000 => SampleRate::Hz16000,
        24_000 => SampleRate::Hz24000,
        48_000 => SampleRate::Hz48000,
        _ => return Err(AudioError::UnsupportedRate(rate)),
    })
}

fn opus_channels(channels: u8) -> Result<Channels, AudioError> {
    match channels {
        1 => Ok(Channels::Mono),
        2 => Ok(Channels::Stereo),
        _ => Err(AudioError::UnsupportedChannels(channels)),
    }
}

/// Opus frames last 2.5, 5, 10, 20, 40 or 60 ms.
fn is_opus_frame(samples: usize, rate: u32) -> bool {
    let rate = rate as usize;
    [1, 2, 4, 8, 16, 24].iter().any(|quarter_tens| samples * 400 == quarter_tens * rate)
}

/// `a=rtpmap:<pt> opus/48000/2` — RFC 7587 always names two channels; the
/// stream's real channel count is said by `stereo` in the fmtp line.
pub fn format_opus_rtpmap(payload_type: u8) -> String {
    format!("a=rtpmap:{payload_type} opus/{OPUS_RTP_CLOCK_RATE}/2")
}

/// The payload type of an Opus `rtpmap` attribute (with or without `a=`),
/// or `None` for any other line. Accepts a missing channel count, which
/// some endpoints send despite RFC 7587.
pub fn parse_opus_rtpmap(line: &str) -> Option<u8> {
    let value = attribute_value(line, "rtpmap:")?;
    let (pt, encoding) = value.split_once(char::is_whitespace)?;
    let mut parts = encoding.trim().split('/');
    let name = parts.next()?;
    let clock = parts.next()?;
    let channels = parts.next().unwrap_or("2");
    let is_opus = name.eq_ignore_ascii_case("opus") && clock == "48000" && channels == "2" && parts.next().is_none();
    if is_opus { pt.parse().ok() } else { None }
}

/// The Opus parameters of an `a=fmtp` line (RFC 7587 §6.1) that the switch
/// acts on. Absent parameters take the RFC's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OpusFmtp {
    /// Shortest packet duration the receiver wants, in ms.
    pub minptime: Option<u32>,
    /// The receiver can use in-band FEC, so the sender should add it.
    pub useinbandfec: bool,
    /// The receiver accepts discontinuous transmission.
    pub usedtx: bool,
    /// The receiver prefers stereo.
    pub stereo: bool,
    /// The sender is likely to send stereo.
    pub sprop_stereo: bool,
    /// Highest audio rate worth sending to the receiver, in Hz.
    pub maxplaybackrate: Option<u32>,
    /// Highest average bitrate the receiver wants, in bits per second.
    pub maxaveragebitrate: Option<u32>,
}

impl OpusFmtp {
    /// What the switch offers: 10 ms minimum packets, FEC welcome.
    pub fn offer() -> OpusFmtp {
        OpusFmtp { minptime: Some(10), useinbandfec: true, ..OpusFmtp::default() }
    }

    /// Parses `a=fmtp:<pt> key=value;...` (with or without `a=`) into the
    /// payload type and parameters. Unknown keys and unreadable values are
    /// ignored, as RFC 7587 asks of receivers; `None` only when the line is
    /// not an fmtp attribute at all.
    pub fn parse(line: &str) -> Option<(u8, OpusFmtp)> {
        let value = attribute_value(line, "fmtp:")?;
        let (pt, params) = value.split_once(char::is_whitespace).unwrap_or((value, ""));
        let pt = pt.parse().ok()?;
        let mut fmtp = OpusFmtp::default();
        for param in params.split(';') {
            let Some((key, val)) = param.split_once('=') else { continue };
            let (key, val) = (key.trim().to_ascii_lowercase(), val.trim());
            let flag = val == "1";
            let number = val.parse::<u32>().ok();
            match key.as_str() {
                "minptime" => fmtp.minptime = number,
                "useinbandfec" => fmtp.useinbandfec = flag,
                "usedtx" => fmtp.usedtx = flag,
                "stereo" => fmtp.stereo = flag,
                "sprop-stereo" => fmtp.sprop_stereo = flag,
                "maxplaybackrate" => fmtp.maxplaybackrate = number,
                "maxaveragebitrate" => fmtp.maxaveragebitrate = number,
                _ => {}
            }
        }
        Some((pt, fmtp))
    }

    /// `a=fmtp:<pt> ...` naming only what differs from the defaults.
    pub fn format(&self, payload_type: u8) -> String {
        let mut params = Vec::new();
        if let Some(ms) = self.minptime {
            params.push(format!("minptime={ms}"));
        }
        for (set, name) in [
            (self.useinbandfec, "useinbandfec"),
            (self.usedtx, "usedtx"),
            (self.stereo, "stereo"),
            (self.sprop_stereo, "sprop-stereo"),
        ] {
            if set {
                params.push(format!("{name}=1"));
            }
        }
        if let Some(hz) = self.maxplaybackrate {
            params.push(format!("maxplaybackrate={hz}"));
        }
        if let Some(bps) = self.maxaveragebitrate {
            params.push(format!("maxaveragebitrate={bps}"));
        }
        format!("a=fmtp:{payload_type} {}", params.join(";"))
    }

    /// The lowest libopus rate that carries everything the receiver will
    /// play, so a narrowband peer is encoded from 8 or 16 kHz directly.
    pub fn coding_rate(&self) -> u32 {
        let limit = self.maxplaybackrate.unwrap_or(48_000);
        [8000, 12_000, 16_000, 24_000].into_iter().find(|&rate| rate >= limit).unwrap_or(48_000)
    }
}

/// The text after `a=<name>` or `<name>`, trimmed.
fn attribute_value<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let line = line.trim();
    let line = line.strip_prefix("a=").unwrap_or(line);
    let head = line.get(..name.len())?;
    head.eq_ignore_ascii_case(name).then(|| line[name.len()..].trim())
}

#[cfg(test)]
#[path = "opus_tests.rs"]
mod tests;
