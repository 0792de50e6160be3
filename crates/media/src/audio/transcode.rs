//! Payload-to-payload transcoding between PCMU, PCMA and Opus, for a relay
//! whose two legs negotiated different codecs.
//!
//! Each packet is decoded to linear PCM, resampled if the two sides' coding
//! rates differ, and encoded again. Opus is coded at 8 kHz by default when
//! the other side is G.711: libopus encodes from and decodes to 8 kHz
//! directly, so no resampler runs and no latency is added, and nothing is
//! lost because G.711 carries only narrowband audio anyway.
//! [`Transcoder::with_opus_rate`] picks another rate (e.g. 48 kHz for a peer
//! that insists on full band), at the cost of a resampler and its delay of
//! half a frame.
//!
//! Every buffer is allocated in the constructor; a packet costs no
//! allocation.

use super::AudioError;
use super::opus::{OPUS_RTP_CLOCK_RATE, OpusDecoder, OpusEncoder};
use super::resample::Resampler;
use crate::g711;

/// The rate G.711 is coded at.
const G711_RATE: u32 = 8000;
/// Packet duration the resampling path is built for.
const FRAME_MS: u32 = 20;
/// The longest Opus packet (120 ms) at 48 kHz, mono.
const MAX_PCM: usize = 5760;

/// An audio codec the relay can transcode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    /// G.711 μ-law (static payload type 0).
    Pcmu,
    /// G.711 A-law (static payload type 8).
    Pcma,
    /// Opus, mono, RFC 7587 (dynamic payload type).
    Opus,
}

impl Codec {
    /// From an SDP encoding name (`PCMU`, `pcma`, `opus`).
    pub fn from_name(name: &str) -> Option<Codec> {
        [Codec::Pcmu, Codec::Pcma, Codec::Opus].into_iter().find(|c| c.name().eq_ignore_ascii_case(name))
    }

    /// The encoding name written in `a=rtpmap`.
    pub fn name(self) -> &'static str {
        match self {
            Codec::Pcmu => "PCMU",
            Codec::Pcma => "PCMA",
            Codec::Opus => "opus",
        }
    }

    /// The RTP timestamp clock rate.
    pub fn rtp_clock_rate(self) -> u32 {
        match self {
            Codec::Pcmu | Codec::Pcma => G711_RATE,
            Codec::Opus => OPUS_RTP_CLOCK_RATE,
        }
    }

    /// The payload type fixed by RFC 3551, if any.
    pub fn static_payload_type(self) -> Option<u8> {
        match self {
            Codec::Pcmu => Some(0),
            Codec::Pcma => Some(8),
            Codec::Opus => None,
        }
    }
}

/// Converts payloads of one codec into payloads of another.
#[derive(Debug)]
pub struct Transcoder {
    from: Codec,
    to: Codec,
    decoder: Option<OpusDecoder>,
    encoder: Option<OpusEncoder>,
    resampler: Option<Resampler>,
    decoded: Vec<i16>,
    resampled: Vec<i16>,
}

impl Transcoder {
    /// A transcoder coding Opus at 8 kHz (see the module docs).
    pub fn new(from: Codec, to: Codec) -> Result<Transcoder, AudioError> {
        Transcoder::with_opus_rate(from, to, G711_RATE)
    }

    /// A transcoder running the Opus side at `opus_rate` (8, 12, 16, 24 or
    /// 48 kHz). When that differs from G.711's 8 kHz, packets must be 20 ms.
    pub fn with_opus_rate(from: Codec, to: Codec, opus_rate: u32) -> Result<Transcoder, AudioError> {
        let rate_of = |codec| if codec == Codec::Opus { opus_rate } else { G711_RATE };
        let passthrough = from == to;
        let decoder = (from == Codec::Opus && !passthrough).then(|| OpusDecoder::new(opus_rate, 1)).transpose()?;
        let encoder = (to == Codec::Opus && !passthrough).then(|| OpusEncoder::new(opus_rate, 1)).transpose()?;
        let (in_rate, out_rate) = (rate_of(from), rate_of(to));
        let resampler =
            (in_rate != out_rate && !passthrough).then(|| Resampler::new(in_rate, out_rate, FRAME_MS)).transpose()?;
        let resampled = vec![0; resampler.as_ref().map_or(0, Resampler::output_len)];
        Ok(Transcoder { from, to, decoder, encoder, resampler, decoded: vec![0; MAX_PCM], resampled })
    }

    pub fn from(&self) -> Codec {
        self.from
    }

    pub fn to(&self) -> Codec {
        self.to
    }

    /// Transcodes one payload into `output`; returns the bytes written. An
    /// Opus `output` of 1275 bytes always suffices; G.711 needs one byte per
    /// sample.
    pub fn transcode(&mut self, input: &[u8], output: &mut [u8]) -> Result<usize, AudioError> {
        match (self.from, self.to) {
            (from, to) if from == to => {
                let got = output.len();
                let out = output.get_mut(..input.len()).ok_or(too_small(input.len(), got))?;
                out.copy_from_slice(input);
                return Ok(input.len());
            }
            (Codec::Pcmu, Codec::Pcma) | (Codec::Pcma, Codec::Pcmu) => {
                let got = output.len();
                let out = output.get_mut(..input.len()).ok_or(too_small(input.len(), got))?;
                out.copy_from_slice(input);
                if self.from == Codec::Pcmu {
                    g711::ulaw_to_alaw_in_place(out)
                } else {
                    g711::alaw_to_ulaw_in_place(out)
                }
                return Ok(input.len());
            }
            _ => {}
        }
        let n = self.decode(Some(input))?;
        self.encode(n, output)
    }

    /// Produces the payload standing in for a lost input packet: Opus
    /// conceals from its history, G.711 gives 20 ms of silence.
    pub fn conceal(&mut self, output: &mut [u8]) -> Result<usize, AudioError> {
        let n = self.decode(None)?;
        self.encode(n, output)
    }

    /// Decodes into `self.decoded`; `None` is a lost packet.
    fn decode(&mut self, input: Option<&[u8]>) -> Result<usize, AudioError> {
        let decoded = &mut self.decoded;
        match (self.from, input) {
            (Codec::Opus, _) => match &mut self.decoder {
                Some(decoder) => decoder.decode(input, decoded),
                None => Ok(0), // passthrough never decodes
            },
            (g711_codec, Some(payload)) => {
                let out = decoded.get_mut(..payload.len()).ok_or(too_small(payload.len(), MAX_PCM))?;
                let expand = if g711_codec == Codec::Pcmu { g711::ulaw_to_linear } else { g711::alaw_to_linear };
                for (sample, &byte) in out.iter_mut().zip(payload) {
                    *sample = expand(byte);
                }
                Ok(payload.len())
            }
            (_, None) => {
                let n = (G711_RATE * FRAME_MS / 1000) as usize;
                decoded[..n].fill(0);
                Ok(n)
            }
        }
    }

    /// Resamples if needed and encodes the first `n` decoded samples.
    fn encode(&mut self, n: usize, output: &mut [u8]) -> Result<usize, AudioError> {
        let pcm = match &mut self.resampler {
            Some(resampler) => {
                let m = resampler.process(&self.decoded[..n], &mut self.resampled)?;
                &self.resampled[..m]
            }
            None => &self.decoded[..n],
        };
        match self.to {
            Codec::Opus => match &mut self.encoder {
                Some(encoder) => encoder.encode(pcm, output),
                None => Ok(0),
            },
            g711_codec => {
                let got = output.len();
                let out = output.get_mut(..pcm.len()).ok_or(too_small(pcm.len(), got))?;
                let compress = if g711_codec == Codec::Pcmu { g711::linear_to_ulaw } else { g711::linear_to_alaw };
                for (byte, &sample) in out.iter_mut().zip(pcm) {
                    *byte = compress(sample);
                }
                Ok(pcm.len())
            }
        }
    }
}

fn too_small(needed: usize, got: usize) -> AudioError {
    AudioError::BufferTooSmall { needed, got }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::test_signal::{dominant_frequency, sine, tone_purity};

    /// PCMU packets of a tone → Opus (at `opus_rate`) → PCMA, decoded back
    /// to linear for measuring.
    fn pcmu_opus_pcma(tone: &[i16], opus_rate: u32) -> Vec<i16> {
        let mut to_opus = Transcoder::with_opus_rate(Codec::Pcmu, Codec::Opus, opus_rate).unwrap();
        let mut to_pcma = Transcoder::with_opus_rate(Codec::Opus, Codec::Pcma, opus_rate).unwrap();
        let (mut opus, mut pcma) = ([0u8; 1275], [0u8; 160]);
        let mut out = Vec::new();
        for chunk in tone.chunks_exact(160) {
            let pcmu: Vec<u8> = chunk.iter().map(|&s| g711::linear_to_ulaw(s)).collect();
            let len = to_opus.transcode(&pcmu, &mut opus).unwrap();
            assert!(len > 0 && len < 400, "{len}");
            assert_eq!(to_pcma.transcode(&opus[..len], &mut pcma).unwrap(), 160);
            out.extend(pcma.iter().map(|&a| g711::alaw_to_linear(a)));
        }
        out
    }

    #[test]
    fn pcmu_to_opus_to_pcma_keeps_a_tone() {
        let tone = sine(1000.0, 8000, 16_000, 0.4);
        for opus_rate in [8000, 48_000] {
            let out = pcmu_opus_pcma(&tone, opus_rate);
            assert_eq!(out.len(), tone.len());
            let steady = &out[1600..];
            let freq = dominant_frequency(steady, 8000);
            assert!((freq - 1000.0).abs() < 2.0, "opus at {opus_rate}: {freq} Hz");
            let purity = tone_purity(steady, 8000, 1000.0);
            assert!(purity > 0.9, "opus at {opus_rate}: purity {purity}");
        }
    }

    #[test]
    fn g711_pairs_convert_by_table_and_same_codec_passes_through() {
        let tone = sine(500.0, 8000, 160, 0.5);
        let pcmu: Vec<u8> = tone.iter().map(|&s| g711::linear_to_ulaw(s)).collect();
        let mut out = [0u8; 160];
        let mut t = Transcoder::new(Codec::Pcmu, Codec::Pcma).unwrap();
        assert_eq!(t.transcode(&pcmu, &mut out).unwrap(), 160);
        for (&u, &a) in pcmu.iter().zip(&out) {
            assert_eq!(a, g711::linear_to_alaw(g711::ulaw_to_linear(u)));
        }
        let mut same = Transcoder::new(Codec::Opus, Codec::Opus).unwrap();
        assert_eq!(same.transcode(&[1, 2, 3], &mut out).unwrap(), 3);
        assert_eq!(&out[..3], &[1, 2, 3]);
        assert!(matches!(t.transcode(&pcmu, &mut [0u8; 10]), Err(AudioError::BufferTooSmall { .. })));
    }

    #[test]
    fn lost_opus_packet_becomes_concealed_g711() {
        let tone = sine(440.0, 8000, 8000, 0.4);
        let mut encoder = OpusEncoder::new(8000, 1).unwrap();
        let mut t = Transcoder::new(Codec::Opus, Codec::Pcmu).unwrap();
        let (mut opus, mut pcmu) = ([0u8; 1275], [0u8; 160]);
        for chunk in tone.chunks_exact(160).take(25) {
            let len = encoder.encode(chunk, &mut opus).unwrap();
            t.transcode(&opus[..len], &mut pcmu).unwrap();
        }
        assert_eq!(t.conceal(&mut pcmu).unwrap(), 160);
        let concealed: Vec<i16> = pcmu.iter().map(|&u| g711::ulaw_to_linear(u)).collect();
        assert!((dominant_frequency(&concealed, 8000) - 440.0).abs() < 20.0);
    }

    #[test]
    fn codec_names_and_rates() {
        assert_eq!(Codec::from_name("OPUS"), Some(Codec::Opus));
        assert_eq!(Codec::from_name("pcmu"), Some(Codec::Pcmu));
        assert_eq!(Codec::from_name("G722"), None);
        assert_eq!(Codec::Opus.rtp_clock_rate(), 48_000);
        assert_eq!(Codec::Pcma.static_payload_type(), Some(8));
    }
}
