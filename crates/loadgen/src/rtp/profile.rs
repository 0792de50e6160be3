//! What every stream carries: the codec and its payload types, and the
//! source audio (a tone or a WAV file) encoded once into 20 ms payloads
//! that each stream plays in a loop. Encoding once keeps the per-packet
//! cost a copy, whatever the codec.

use std::net::IpAddr;
use std::path::PathBuf;

use voxide_media::audio::{AudioError, Codec, OpusEncoder, load_wav};
use voxide_media::g711;

/// RFC 4733 telephone-event payload type, offered with every codec.
pub const DTMF_PT: u8 = 101;
/// Dynamic payload type offered for Opus.
pub const OPUS_PT: u8 = 111;
/// Packets per second (20 ms each).
pub const PACKETS_PER_SEC: u32 = 50;
/// The tone source: one second of this frequency.
const TONE_HZ: f64 = 400.0;
/// Longest WAV source kept, in seconds: a prompt, not an album.
const MAX_SOURCE_SECS: usize = 60;

/// Where the audio comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A 400 Hz tone.
    Tone,
    /// A WAV file (any rate; mono or the first channel).
    Wav(PathBuf),
}

/// The SDP direction attribute of an offer or answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

impl Direction {
    pub fn attribute(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    /// The direction an SDP body asks for (sendrecv when it says nothing).
    pub fn of_sdp(body: &[u8]) -> Direction {
        let text = String::from_utf8_lossy(body);
        let found = |d: Direction| text.lines().any(|l| l.trim() == format!("a={}", d.attribute()));
        [Direction::SendOnly, Direction::RecvOnly, Direction::Inactive]
            .into_iter()
            .find(|d| found(*d))
            .unwrap_or(Direction::SendRecv)
    }

    /// What to answer to an offer in this direction.
    pub fn answer(self) -> Direction {
        match self {
            Direction::SendOnly => Direction::RecvOnly,
            Direction::RecvOnly => Direction::SendOnly,
            d => d,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("reading the audio source: {0}")]
    Audio(#[from] AudioError),
    #[error("the audio source {0} holds no sound")]
    Empty(PathBuf),
}

/// The codec of every stream and its encoded source frames.
#[derive(Debug)]
pub struct Profile {
    pub codec: Codec,
    pub audio_pt: u8,
    /// RTP clock ticks per 20 ms packet (telephone-events use the same clock).
    pub frame_ticks: u32,
    /// The source, encoded: one payload per 20 ms, played in a loop.
    pub frames: Vec<Vec<u8>>,
}

impl Default for Profile {
    /// G.711 μ-law carrying the tone.
    fn default() -> Self {
        Self::build(Codec::Pcmu, &Source::Tone).unwrap_or_else(|_| unreachable!("the tone needs no file"))
    }
}

impl Profile {
    pub fn build(codec: Codec, source: &Source) -> Result<Profile, ProfileError> {
        let rate = codec.rtp_clock_rate();
        let frame = (rate / PACKETS_PER_SEC) as usize;
        let mut pcm = match source {
            Source::Tone => sine(TONE_HZ, rate, rate as usize),
            Source::Wav(path) => {
                let mut samples = load_wav(path, rate)?;
                samples.truncate(MAX_SOURCE_SECS * rate as usize);
                if samples.len() < frame {
                    return Err(ProfileError::Empty(path.clone()));
                }
                samples
            }
        };
        pcm.truncate(pcm.len() / frame * frame);
        let frames = match codec {
            Codec::Pcmu => pcm.chunks(frame).map(|f| f.iter().map(|s| g711::linear_to_ulaw(*s)).collect()).collect(),
            Codec::Pcma => pcm.chunks(frame).map(|f| f.iter().map(|s| g711::linear_to_alaw(*s)).collect()).collect(),
            Codec::Opus => {
                let mut encoder = OpusEncoder::new(rate, 1)?;
                let mut packet = [0u8; 1275];
                let mut frames = Vec::with_capacity(pcm.len() / frame);
                for f in pcm.chunks(frame) {
                    let n = encoder.encode(f, &mut packet)?;
                    frames.push(packet[..n].to_vec());
                }
                frames
            }
        };
        let audio_pt = codec.static_payload_type().unwrap_or(OPUS_PT);
        Ok(Profile { codec, audio_pt, frame_ticks: frame as u32, frames })
    }

    /// An SDP offer or answer for RTP at `ip:port`: the codec and
    /// telephone-event, in `direction`. `version` goes up with every
    /// change of the session (RFC 3264 §8).
    pub fn sdp(&self, ip: IpAddr, port: u16, (session, version): (u64, u32), direction: Direction) -> String {
        let (pt, dtmf, rate) = (self.audio_pt, DTMF_PT, self.codec.rtp_clock_rate());
        let rtpmap = match self.codec {
            Codec::Opus => format!("a=rtpmap:{pt} opus/{rate}/2\r\na=fmtp:{pt} useinbandfec=1\r\n"),
            codec => format!("a=rtpmap:{pt} {}/{rate}\r\n", codec.name()),
        };
        let dir = direction.attribute();
        format!(
            "v=0\r\no=loadgen {session} {version} IN IP4 {ip}\r\ns=voxide-loadgen\r\nc=IN IP4 {ip}\r\nt=0 0\r\nm=audio {port} RTP/AVP {pt} {dtmf}\r\n{rtpmap}a=rtpmap:{dtmf} telephone-event/{rate}\r\na=fmtp:{dtmf} 0-15\r\na=ptime:20\r\na={dir}\r\n"
        )
    }
}

/// `len` samples of a sine at `freq`, at a third of full scale.
fn sine(freq: f64, rate: u32, len: usize) -> Vec<i16> {
    (0..len).map(|i| ((i as f64 * freq / f64::from(rate) * std::f64::consts::TAU).sin() * 10_000.0) as i16).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use voxide_media::audio::{OpusDecoder, write_wav};

    /// The frequency with the most energy among 50 Hz steps (a coarse DFT).
    fn dominant_frequency(pcm: &[i16], rate: u32) -> f64 {
        let power = |f: f64| {
            let (mut re, mut im) = (0.0, 0.0);
            for (i, s) in pcm.iter().enumerate() {
                let w = i as f64 * f / f64::from(rate) * std::f64::consts::TAU;
                re += f64::from(*s) * w.cos();
                im += f64::from(*s) * w.sin();
            }
            re * re + im * im
        };
        (1..80).map(|k| f64::from(k) * 50.0).max_by(|a, b| power(*a).total_cmp(&power(*b))).unwrap_or(0.0)
    }

    #[test]
    fn the_tone_is_one_second_of_frames_in_each_codec() {
        let pcmu = Profile::default();
        assert_eq!((pcmu.audio_pt, pcmu.frame_ticks, pcmu.frames.len()), (0, 160, 50));
        assert!(pcmu.frames.iter().all(|f| f.len() == 160));
        let decoded: Vec<i16> = pcmu.frames[3].iter().map(|b| g711::ulaw_to_linear(*b)).collect();
        assert!((dominant_frequency(&decoded, 8000) - TONE_HZ).abs() < 20.0);

        let opus = Profile::build(Codec::Opus, &Source::Tone).unwrap();
        assert_eq!((opus.audio_pt, opus.frame_ticks, opus.frames.len()), (OPUS_PT, 960, 50));
        let mut dec = OpusDecoder::new(48_000, 1).unwrap();
        let mut pcm = vec![0i16; 960];
        for f in &opus.frames[..10] {
            assert_eq!(dec.decode(Some(f), &mut pcm).unwrap(), 960);
        }
        assert!((dominant_frequency(&pcm, 48_000) - TONE_HZ).abs() < 20.0);
    }

    #[test]
    fn a_wav_source_is_resampled_and_a_missing_one_is_an_error() {
        let dir = std::env::temp_dir().join(format!("lg-profile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("src.wav");
        write_wav(&path, 16_000, &sine(1000.0, 16_000, 8000)).unwrap();
        let p = Profile::build(Codec::Pcma, &Source::Wav(path)).unwrap();
        assert_eq!((p.audio_pt, p.frames.len()), (8, 25), "0.5 s at 16 kHz is 25 frames at 8 kHz");
        let decoded: Vec<i16> = p.frames[10].iter().map(|b| g711::alaw_to_linear(*b)).collect();
        assert!((dominant_frequency(&decoded, 8000) - 1000.0).abs() < 30.0);
        assert!(Profile::build(Codec::Pcmu, &Source::Wav(dir.join("missing.wav"))).is_err());
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn sdp_names_the_codec_telephone_event_and_direction() {
        let sdp = Profile::build(Codec::Opus, &Source::Tone).unwrap().sdp(
            "10.0.0.1".parse().unwrap(),
            4000,
            (7, 2),
            Direction::SendOnly,
        );
        assert!(
            sdp.contains("o=loadgen 7 2 IN IP4 10.0.0.1\r\n") && sdp.contains("m=audio 4000 RTP/AVP 111 101\r\n"),
            "{sdp}"
        );
        assert!(
            sdp.contains("a=rtpmap:111 opus/48000/2\r\n") && sdp.contains("a=rtpmap:101 telephone-event/48000\r\n")
        );
        assert_eq!(Direction::of_sdp(sdp.as_bytes()), Direction::SendOnly);
        assert_eq!(Direction::of_sdp(b"v=0\r\nm=audio 1 RTP/AVP 0\r\n"), Direction::SendRecv);
        assert_eq!(Direction::SendOnly.answer(), Direction::RecvOnly);
    }
}
