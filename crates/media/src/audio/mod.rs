//! Audio processing for calls, sans-IO: everything here takes samples or
//! payloads and returns samples or payloads. Nothing opens a socket, spawns a
//! task or reads the clock; time is the number of samples pushed so far.
//!
//! Layout:
//! * `vad` — speech/silence detection on linear PCM, with events stamped at
//!   the true onset and offset (FreeSWITCH's `wait_for_silence` behaviour).
//! * `wav` — WAV files of any common format to mono `i16` at a chosen rate.
//! * `resample` — rubato's FFT resampler wrapped for fixed 20 ms frames, and
//!   a one-shot helper for whole clips.
//! * `prompt` — prompts loaded once, shared by reference, played frame by
//!   frame.
//! * `opus` — Opus encode/decode on the system libopus, and the SDP
//!   `rtpmap`/`fmtp` lines that announce it.
//! * `transcode` — payload-to-payload conversion between PCMU, PCMA and Opus
//!   for the relay, with no allocation per packet.

mod opus;
mod prompt;
mod resample;
mod transcode;
mod vad;
mod wav;

#[cfg(test)]
mod test_signal;
#[cfg(test)]
mod vad_tests;

pub use opus::{OPUS_RTP_CLOCK_RATE, OpusDecoder, OpusEncoder, OpusFmtp, format_opus_rtpmap, parse_opus_rtpmap};
pub use prompt::{Prompt, PromptPlayer};
pub use resample::{Resampler, resample};
pub use transcode::{Codec, Transcoder};
pub use vad::{Vad, VadConfig, VadEvent};
pub use wav::{load_wav, read_wav, write_wav};

/// What can go wrong while processing audio.
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    /// The file could not be opened or read.
    #[error("reading audio file: {0}")]
    Io(#[from] std::io::Error),
    /// The WAV container is malformed or uses an encoding hound cannot read
    /// (for example G.711 inside WAV, or 64-bit float).
    #[error("WAV file: {0}")]
    Wav(#[from] hound::Error),
    /// A WAV file with no channels or no sample rate.
    #[error("WAV file declares {channels} channels at {sample_rate} Hz")]
    BadWavSpec { channels: u16, sample_rate: u32 },
    /// A rate the component cannot work at.
    #[error("unsupported sample rate {0} Hz")]
    UnsupportedRate(u32),
    /// The frame duration does not divide into whole samples at this rate,
    /// or the codec cannot use frames of this length.
    #[error("unsupported frame of {frame_ms} ms at {rate} Hz")]
    UnsupportedFrame { rate: u32, frame_ms: u32 },
    /// A channel count the component cannot handle (Opus: 1 or 2).
    #[error("unsupported channel count {0}")]
    UnsupportedChannels(u8),
    /// A frame of the wrong number of samples was passed in.
    #[error("expected a frame of {expected} samples, got {got}")]
    FrameSize { expected: usize, got: usize },
    /// The caller's output buffer cannot hold the result.
    #[error("output buffer holds {got} samples or bytes, {needed} needed")]
    BufferTooSmall { needed: usize, got: usize },
    /// rubato refused the rate pair or chunk size.
    #[error("building resampler: {0}")]
    ResamplerSetup(#[from] rubato::ResamplerConstructionError),
    /// rubato failed while processing (buffer sizes disagree).
    #[error("resampling: {0}")]
    Resample(#[from] rubato::ResampleError),
    /// libopus reported an error (bad packet, bad argument).
    #[error("opus: {0}")]
    Opus(#[from] audiopus::Error),
    /// Every invalid field of a VAD configuration, reported together.
    #[error("invalid VAD config: {}", .0.join("; "))]
    InvalidVadConfig(Vec<String>),
}
