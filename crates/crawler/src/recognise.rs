//! What a prompt says: found in the prompt cache by its audio fingerprint
//! (a prompt heard before, or one of the known prompts loaded at start),
//! or else transcribed by the speech-to-text model and cached.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use voxide_stt::{Recognizer, SessionOptions, Transcript};

use crate::ear::RATE;
use crate::fingerprint::{Fingerprint, PromptCache, fingerprint};

/// A prompt's text and the details behind it (the seed's
/// `audio_text_debug`: segments with confidence and word times).
#[derive(Debug, Clone, PartialEq)]
pub struct Recognised {
    pub text: String,
    pub debug: Option<Value>,
}

/// Seconds of prompt audio transcribed, and spared by the cache.
#[derive(Debug, Default)]
pub struct SttTally {
    /// Milliseconds sent to the recognizer.
    pub transcribed_ms: AtomicU64,
    /// Milliseconds recognised from the cache instead.
    pub cached_ms: AtomicU64,
}

pub struct Recogniser {
    stt: Option<Arc<dyn Recognizer>>,
    cache: Arc<Mutex<PromptCache<Recognised>>>,
    pub tally: SttTally,
}

impl Recogniser {
    pub fn new(stt: Option<Arc<dyn Recognizer>>) -> Recogniser {
        Recogniser { stt, cache: Arc::new(Mutex::new(PromptCache::new())), tally: SttTally::default() }
    }

    /// Adds known prompts: every `NAME.wav` in `dir` with its text in
    /// `NAME.txt`. Returns how many were loaded.
    pub fn load_known(&self, dir: &Path) -> std::io::Result<usize> {
        let mut loaded = 0;
        for entry in std::fs::read_dir(dir)? {
            let wav = entry?.path();
            if wav.extension().and_then(|e| e.to_str()) != Some("wav") {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(wav.with_extension("txt")) else { continue };
            match voxide_media::audio::load_wav(&wav, RATE) {
                Ok(pcm) => {
                    let debug = json!([{ "transcript": text.trim(), "source": "known prompt", "file": wav.file_name().and_then(|n| n.to_str()) }]);
                    self.remember(
                        fingerprint(&pcm, RATE),
                        Recognised { text: text.trim().to_string(), debug: Some(debug) },
                    );
                    loaded += 1;
                }
                Err(e) => tracing::warn!(file = %wav.display(), cause = %e, "known prompt skipped"),
            }
        }
        Ok(loaded)
    }

    fn remember(&self, print: Fingerprint, what: Recognised) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(print, what);
        }
    }

    /// What `prompt` (8 kHz) says, and its print.
    pub async fn recognise(&self, prompt: &[i16]) -> (Recognised, Fingerprint) {
        let ms = (prompt.len() as u64 * 1000) / u64::from(RATE);
        // Printing a long prompt and comparing it with every cached one is
        // work for a blocking thread, not for the runtime.
        let (cache, pcm) = (self.cache.clone(), prompt.to_vec());
        let looked_up = tokio::task::spawn_blocking(move || {
            let print = fingerprint(&pcm, RATE);
            let found = cache.lock().ok().and_then(|c| c.find(&print).cloned());
            (print, found)
        })
        .await;
        let (print, cached) = match looked_up {
            Ok(found) => found,
            Err(_) => (fingerprint(prompt, RATE), None),
        };
        if let Some(known) = cached {
            self.tally.cached_ms.fetch_add(ms, Ordering::Relaxed);
            return (known, print);
        }
        let Some(stt) = self.stt.clone() else {
            let debug = json!([{ "transcript": "", "note": "not recognised: no speech-to-text model and no cached prompt matched" }]);
            return (Recognised { text: String::new(), debug: Some(debug) }, print);
        };
        self.tally.transcribed_ms.fetch_add(ms, Ordering::Relaxed);
        let pcm = prompt.to_vec();
        let result = tokio::task::spawn_blocking(move || {
            let mut opts = SessionOptions::new(RATE);
            opts.words = true;
            voxide_stt::transcribe_samples(stt.as_ref(), &pcm, opts)
        })
        .await;
        let recognised = match result {
            Ok(Ok(segments)) => Recognised { text: Transcript::join(&segments).text, debug: Some(debug_of(&segments)) },
            Ok(Err(e)) => failed(&e.to_string()),
            Err(e) => failed(&e.to_string()),
        };
        if !recognised.text.is_empty() {
            self.remember(print.clone(), recognised.clone());
        }
        (recognised, print)
    }
}

fn failed(why: &str) -> Recognised {
    tracing::warn!(cause = %why, "prompt not transcribed");
    Recognised { text: String::new(), debug: Some(json!([{ "transcript": "", "error": why }])) }
}

/// The seed's `audio_text_debug`: one entry per utterance.
fn debug_of(segments: &[Transcript]) -> Value {
    Value::Array(
        segments
            .iter()
            .map(|s| {
                json!({
                    "transcript": s.text,
                    "confidence": s.confidence,
                    "timestamps": s.words.iter().map(|w| json!([w.word, w.start, w.end])).collect::<Vec<_>>(),
                    "word_confidence": s.words.iter().map(|w| w.conf).collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}
