//! Live transcription of a call: the relay hands over each leg's decoded
//! audio, one speech-to-text stream per leg turns it into utterances, and
//! the segments end up in the call's events and in its CDR.
//!
//! Recognition runs on the STT pool's threads; this task only moves audio
//! and results, so a slow recognizer costs transcript, never RTP.

use std::sync::Arc;

use serde::Serialize;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use voxide_media::{AudioChunk, Leg};
use voxide_stt::{SessionOptions, StreamHandle, SttEvent, SttPool, Transcript};

/// Chunks of audio queued between the relay and the recognizer (100 ms
/// each); past this the relay drops audio rather than waiting.
pub(crate) const AUDIO_QUEUE: usize = 50;

/// One utterance of one side of a call, in the CDR's `transcription_text`
/// (the seed's shape: transcript, confidence, `[word, start, end]` triples;
/// times in seconds from the answer).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Segment {
    /// `caller` or `callee`.
    pub leg: &'static str,
    pub transcript: String,
    pub confidence: f32,
    pub start: f32,
    pub end: f32,
    pub timestamps: Vec<(String, f32, f32)>,
    /// Confidence of each word, in the order of `timestamps`.
    pub word_confidence: Vec<f32>,
}

impl Segment {
    fn new(leg: Leg, t: Transcript) -> Segment {
        Segment {
            leg: leg_name(leg),
            transcript: t.text,
            confidence: t.confidence,
            start: t.start,
            end: t.end,
            timestamps: t.words.iter().map(|w| (w.word.clone(), w.start, w.end)).collect(),
            word_confidence: t.words.iter().map(|w| w.conf).collect(),
        }
    }
}

pub(crate) fn leg_name(leg: Leg) -> &'static str {
    match leg {
        Leg::A => "caller",
        Leg::B => "callee",
    }
}

/// Transcribes `audio` until it ends (the relay closed) and returns every
/// segment in time order; each one is also passed to `on_segment` as soon
/// as it is recognised.
pub(crate) fn spawn(
    pool: Arc<SttPool>,
    mut audio: mpsc::Receiver<AudioChunk>,
    on_segment: impl Fn(&Segment) + Send + Sync + 'static,
) -> JoinHandle<Vec<Segment>> {
    tokio::spawn(async move {
        let mut opts = SessionOptions::new(8000);
        opts.words = true;
        let (a, b) = (pool.open(opts.clone()).await, pool.open(opts).await);
        let (mut a, mut b) = match (a, b) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(e), _) | (_, Err(e)) => {
                tracing::warn!(cause = %e, "cannot transcribe call");
                while audio.recv().await.is_some() {}
                return Vec::new();
            }
        };
        let mut segments = Vec::new();
        // A stream whose events ended (it failed) is not polled again.
        let mut open = [true, true];
        let mut keep = |leg: Leg, event: Option<SttEvent>, open: &mut [bool; 2]| match event {
            Some(SttEvent::Final(t)) if !t.text.is_empty() => {
                let s = Segment::new(leg, t);
                on_segment(&s);
                segments.push(s);
            }
            None => open[usize::from(leg == Leg::B)] = false,
            _ => {}
        };
        loop {
            tokio::select! {
                chunk = audio.recv() => match chunk {
                    Some(c) => {
                        let stream = if c.leg == Leg::A { &a } else { &b };
                        // A saturated pool loses this chunk (counted by the pool).
                        let _ = stream.feed(c.pcm);
                    }
                    None => break,
                },
                e = a.next_event(), if open[0] => keep(Leg::A, e, &mut open),
                e = b.next_event(), if open[1] => keep(Leg::B, e, &mut open),
            }
        }
        for (leg, stream) in [(Leg::A, &mut a), (Leg::B, &mut b)] {
            let last = finish(stream).await;
            while let Some(e) = stream.try_next_event() {
                keep(leg, Some(e), &mut open);
            }
            if let Some(t) = last {
                keep(leg, Some(SttEvent::Final(t)), &mut open);
            }
        }
        segments.sort_by(|x, y| x.start.total_cmp(&y.start));
        segments
    })
}

async fn finish(stream: &mut StreamHandle) -> Option<Transcript> {
    match stream.finish().await {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!(cause = %e, "transcription stream failed");
            None
        }
    }
}
