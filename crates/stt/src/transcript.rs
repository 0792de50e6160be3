//! Recognition results as the rest of Voxide stores them (a crawl's
//! `audio_text_debug`, a CDR's transcript).

use serde::{Deserialize, Serialize};

/// One recognised word. Times are seconds from the start of the stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Word {
    pub word: String,
    pub start: f32,
    pub end: f32,
    /// The decoder's posterior for this word, 0 to 1.
    pub conf: f32,
}

/// A finished utterance (or several joined by [`Transcript::join`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Transcript {
    /// Words separated by single spaces.
    pub text: String,
    /// Empty when the session was opened without `words`.
    pub words: Vec<Word>,
    /// Mean of the words' confidences, 0 to 1.
    pub confidence: f32,
    /// Seconds from the start of the stream to the first word.
    pub start: f32,
    /// Seconds from the start of the stream to the end of the last word.
    pub end: f32,
}

impl Transcript {
    /// Builds a transcript from the decoder's words; `keep_words` decides
    /// whether they stay in the result (confidence and times need them
    /// either way). `None` when nothing was said.
    pub(crate) fn from_words(text: &str, words: Vec<Word>, keep_words: bool) -> Option<Self> {
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if text.is_empty() {
            return None;
        }
        let confidence = mean_confidence(&words);
        let start = words.first().map_or(0.0, |w| w.start);
        let end = words.last().map_or(0.0, |w| w.end);
        Some(Self { text, words: if keep_words { words } else { Vec::new() }, confidence, start, end })
    }

    /// Joins consecutive utterances of one stream into one transcript.
    /// Confidence is the mean over all words, so it needs the segments' words
    /// (without them each segment weighs the same).
    pub fn join(segments: &[Transcript]) -> Transcript {
        let Some(first) = segments.first() else {
            return Transcript::default();
        };
        let words: Vec<Word> = segments.iter().flat_map(|s| s.words.iter().cloned()).collect();
        let confidence = if segments.iter().all(|s| !s.words.is_empty()) {
            mean_confidence(&words)
        } else {
            segments.iter().map(|s| s.confidence).sum::<f32>() / segments.len() as f32
        };
        Transcript {
            text: segments.iter().map(|s| s.text.as_str()).collect::<Vec<_>>().join(" "),
            words,
            confidence,
            start: first.start,
            end: segments.last().map_or(first.end, |s| s.end),
        }
    }
}

fn mean_confidence(words: &[Word]) -> f32 {
    if words.is_empty() {
        return 0.0;
    }
    words.iter().map(|w| w.conf).sum::<f32>() / words.len() as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(word: &str, start: f32, end: f32, conf: f32) -> Word {
        Word { word: word.into(), start, end, conf }
    }

    #[test]
    fn silence_is_no_transcript() {
        assert_eq!(Transcript::from_words("  ", Vec::new(), true), None);
    }

    #[test]
    fn confidence_is_the_mean_of_word_confidences_even_when_words_are_dropped() {
        let words = vec![word("하나", 0.5, 0.9, 1.0), word("둘", 1.0, 1.2, 0.5)];
        let t = Transcript::from_words("하나 둘", words, false).unwrap();
        assert_eq!(t.confidence, 0.75);
        assert_eq!((t.start, t.end), (0.5, 1.2));
        assert!(t.words.is_empty());
    }

    #[test]
    fn join_spans_all_segments_and_weighs_every_word() {
        let a = Transcript::from_words("하나", vec![word("하나", 0.5, 0.9, 1.0)], true).unwrap();
        let b =
            Transcript::from_words("둘 셋", vec![word("둘", 2.0, 2.3, 0.4), word("셋", 2.4, 2.8, 0.4)], true).unwrap();
        let joined = Transcript::join(&[a, b]);
        assert_eq!(joined.text, "하나 둘 셋");
        assert_eq!(joined.words.len(), 3);
        assert!((joined.confidence - 0.6).abs() < 1e-6);
        assert_eq!((joined.start, joined.end), (0.5, 2.8));
    }

    #[test]
    fn round_trips_through_json() {
        let t = Transcript::from_words("셋", vec![word("셋", 0.1, 0.4, 0.9)], true).unwrap();
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(serde_json::from_str::<Transcript>(&json).unwrap(), t);
    }
}
