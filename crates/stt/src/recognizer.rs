//! The backend-neutral interface: a loaded model hands out sessions, one per
//! audio stream.

use crate::{SttError, Transcript};

/// A loaded speech model. Shared (`Arc`) by every stream; sessions created
/// from it may run on different threads at once.
pub trait Recognizer: Send + Sync {
    /// Starts a streaming session. May take a while for a grammar (the backend
    /// compiles it into a decoding graph), so call it off the async runtime;
    /// [`crate::SttPool::open`] does.
    fn session(&self, opts: SessionOptions) -> Result<Box<dyn RecognizerSession>, SttError>;
}

/// One stream of audio being decoded. Utterances are cut by the backend's
/// endpointing (trailing silence); each completed one comes back as a
/// [`Transcript`] whose times count from the session's first sample.
pub trait RecognizerSession: Send {
    /// Takes mono 16-bit samples at the session's rate. Returns the finished
    /// utterance when this chunk completed one (silence after speech).
    fn accept(&mut self, pcm: &[i16]) -> Result<Option<Transcript>, SttError>;
    /// The best guess so far for the utterance in progress, if it has words.
    fn partial(&mut self) -> Option<String>;
    /// Ends the stream: decodes whatever audio is left as a last utterance.
    fn finish(&mut self) -> Result<Option<Transcript>, SttError>;
}

/// How a session decodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionOptions {
    /// Rate of the samples that will be fed (8000 for G.711 calls). The
    /// backend resamples to the model's rate itself.
    pub sample_rate: u32,
    /// Restricts recognition to these phrases (digits, menu keywords), which
    /// makes short answers far more reliable than open dictation. Words the
    /// model does not know are ignored by the backend. Add `"[unk]"` to let
    /// other speech come out as `[unk]` rather than the closest phrase.
    pub grammar: Option<Vec<String>>,
    /// Keep per-word times and confidences in each [`Transcript`].
    pub words: bool,
}

impl SessionOptions {
    /// Open dictation with word details, at `sample_rate`.
    pub fn new(sample_rate: u32) -> Self {
        Self { sample_rate, grammar: None, words: true }
    }

    /// The same options restricted to `phrases`.
    pub fn with_grammar<I, S>(mut self, phrases: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.grammar = Some(phrases.into_iter().map(Into::into).collect());
        self
    }
}
