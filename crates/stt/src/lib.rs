//! Voxide's speech-to-text: streaming recognition of call audio, in process.
//!
//! Layout:
//! * `recognizer` — the [`Recognizer`] / [`RecognizerSession`] traits that the
//!   rest of the switch codes against, and [`SessionOptions`];
//! * `transcript` — [`Transcript`] and [`Word`], the serialisable results;
//! * `vosk_backend` — [`VoskRecognizer`], the backend on libvosk (Kaldi). A model is
//!   loaded once and shared by every session;
//! * `pool` — [`SttPool`], a fixed set of worker threads so decoding (tens of
//!   milliseconds of CPU per second of audio) never runs on the async runtime;
//!   [`StreamHandle`] feeds it without ever blocking the RTP path;
//! * `file` — [`transcribe_file`] and [`transcribe_samples`], synchronous
//!   functions for tests and tools.
//!
//! libvosk.so is linked at build time from `VOSK_LIB_DIR` or the workspace's
//! `.tools/vosk/lib`, which `scripts/deps.sh` fills.

mod file;
mod pool;
mod recognizer;
mod transcript;
mod vosk_backend;

pub use file::{read_wav_mono, transcribe_file, transcribe_samples};
pub use pool::{PoolStats, StreamHandle, SttEvent, SttPool};
pub use recognizer::{Recognizer, RecognizerSession, SessionOptions};
pub use transcript::{Transcript, Word};
pub use vosk_backend::VoskRecognizer;

use std::path::PathBuf;

/// Everything that can go wrong between audio and text.
#[derive(Debug, thiserror::Error)]
pub enum SttError {
    /// The directory does not hold a model the backend can load (missing,
    /// incomplete, or for another engine). The backend's own log says which
    /// file it missed.
    #[error("no speech model could be loaded from {path}")]
    ModelLoad { path: PathBuf },
    /// The backend refused to start a session, e.g. for a sample rate it
    /// cannot resample from.
    #[error("recognizer could not be created for {sample_rate} Hz audio")]
    SessionCreate { sample_rate: u32 },
    /// A grammar phrase the backend cannot take (empty, or holding a quote or
    /// backslash, which would break the JSON grammar libvosk parses).
    #[error("grammar phrase {phrase:?} is not allowed")]
    InvalidGrammar { phrase: String },
    /// The decoder reported a failure while taking audio.
    #[error("decoder failed while taking audio")]
    Decode,
    /// The stream's worker queue is full: the chunk was dropped (and counted)
    /// so that the caller, typically an RTP task, is never stalled.
    #[error("speech recognition is saturated; audio chunk dropped")]
    Busy,
    /// The stream was already finished, or its worker is gone.
    #[error("speech stream is closed")]
    Closed,
    /// A recognizer panicked on the worker; the stream cannot go on.
    #[error("recognizer panicked: {message}")]
    Panicked { message: String },
    /// The WAV file could not be read.
    #[error("reading WAV: {0}")]
    Wav(#[from] hound::Error),
    /// The WAV file holds something other than 16-bit integer PCM.
    #[error("WAV must be 16-bit integer PCM, found {bits}-bit {format}")]
    UnsupportedWav { bits: u16, format: &'static str },
}
