//! The vosk (Kaldi) backend.
//!
//! libvosk keeps the model reference-counted on its side and documents a
//! model as shareable by recognizers on different threads, so one
//! [`VoskRecognizer`] serves every stream; each session owns its own
//! `vosk::Recognizer` (decoder state, a few megabytes).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::{Recognizer, RecognizerSession, SessionOptions, SttError, Transcript, Word};

/// A vosk model loaded from a directory (`am/`, `conf/`, `graph/`, ...).
pub struct VoskRecognizer {
    model: vosk::Model,
    path: PathBuf,
}

impl std::fmt::Debug for VoskRecognizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VoskRecognizer").field("path", &self.path).finish_non_exhaustive()
    }
}

impl VoskRecognizer {
    /// Loads the model in `model_dir`: hundreds of megabytes read and mapped,
    /// seconds of work, so do it once at start-up and share the result.
    pub fn load(model_dir: &Path) -> Result<Arc<Self>, SttError> {
        // Kaldi logs every loaded file at info level; warnings still show.
        vosk::set_log_level(vosk::LogLevel::Warn);
        let model_load = || SttError::ModelLoad { path: model_dir.to_path_buf() };
        let path_str = model_dir.to_str().ok_or_else(model_load)?;
        let model = vosk::Model::new(path_str).ok_or_else(model_load)?;
        Ok(Arc::new(Self { model, path: model_dir.to_path_buf() }))
    }

    /// The directory the model came from.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Recognizer for VoskRecognizer {
    fn session(&self, opts: SessionOptions) -> Result<Box<dyn RecognizerSession>, SttError> {
        if opts.sample_rate == 0 {
            return Err(SttError::SessionCreate { sample_rate: 0 });
        }
        let rate = opts.sample_rate as f32;
        let created = match &opts.grammar {
            Some(phrases) => {
                check_grammar(phrases)?;
                vosk::Recognizer::new_with_grammar(&self.model, rate, phrases)
            }
            None => vosk::Recognizer::new(&self.model, rate),
        };
        let mut recognizer = created.ok_or(SttError::SessionCreate { sample_rate: opts.sample_rate })?;
        // Always on: confidence and utterance times are computed from words
        // even when the caller does not keep them.
        recognizer.set_words(true);
        Ok(Box::new(VoskSession { recognizer, keep_words: opts.words }))
    }
}

/// The vosk crate writes phrases into a JSON array without escaping them.
fn check_grammar(phrases: &[String]) -> Result<(), SttError> {
    for phrase in phrases {
        if phrase.trim().is_empty() || phrase.contains(['"', '\\', '\0']) {
            return Err(SttError::InvalidGrammar { phrase: phrase.clone() });
        }
    }
    Ok(())
}

struct VoskSession {
    recognizer: vosk::Recognizer,
    keep_words: bool,
}

impl VoskSession {
    fn transcript(result: vosk::CompleteResult<'_>, keep_words: bool) -> Option<Transcript> {
        // Single unless max_alternatives was set, which this backend never does.
        let single = result.single()?;
        let words = single
            .result
            .iter()
            .map(|w| Word { word: w.word.to_owned(), start: w.start, end: w.end, conf: w.conf })
            .collect();
        Transcript::from_words(single.text, words, keep_words)
    }
}

impl RecognizerSession for VoskSession {
    fn accept(&mut self, pcm: &[i16]) -> Result<Option<Transcript>, SttError> {
        match self.recognizer.accept_waveform(pcm) {
            Ok(vosk::DecodingState::Running) => Ok(None),
            Ok(vosk::DecodingState::Finalized) => Ok(Self::transcript(self.recognizer.result(), self.keep_words)),
            Ok(vosk::DecodingState::Failed) | Err(_) => Err(SttError::Decode),
        }
    }

    fn partial(&mut self) -> Option<String> {
        let partial = self.recognizer.partial_result().partial.trim();
        (!partial.is_empty()).then(|| partial.to_owned())
    }

    fn finish(&mut self) -> Result<Option<Transcript>, SttError> {
        Ok(Self::transcript(self.recognizer.final_result(), self.keep_words))
    }
}
