//! Listening to one menu level of a call: the far end's audio since the
//! level began, where its speech starts and ends, and how long it has
//! been quiet — by the audio's own clock while RTP flows and by the wall
//! clock when the far end sends nothing at all.

use std::time::{Duration, Instant};

use voxide_media::audio::{AudioError, Vad, VadConfig, VadEvent};

/// Samples per second of the audio the relay hands over.
pub const RATE: u32 = 8000;

#[derive(Debug)]
pub struct Ear {
    vad: Vad,
    heard: Vec<i16>,
    /// Sample where speech began, once it has.
    speech_start: Option<usize>,
    /// Sample where the latest speech ended (or `heard.len()` while speaking).
    speech_end: usize,
    /// When voice was last heard (wall clock), once it has been.
    last_voice: Option<Instant>,
    began: Instant,
    /// Audio kept at most (a prompt that never ends is cut here).
    limit: usize,
}

impl Ear {
    pub fn new(now: Instant, max_prompt: Duration) -> Result<Ear, AudioError> {
        let vad = Vad::new(VadConfig { min_silence_ms: 300, ..VadConfig::default() })?;
        Ok(Ear {
            vad,
            heard: Vec::new(),
            speech_start: None,
            speech_end: 0,
            last_voice: None,
            began: now,
            limit: (max_prompt.as_millis() as usize) * RATE as usize / 1000,
        })
    }

    /// Audio from the far end, as it arrived.
    pub fn hear(&mut self, now: Instant, pcm: &[i16]) {
        let room = self.limit.saturating_sub(self.heard.len());
        let pcm = &pcm[..pcm.len().min(room)];
        let base = self.heard.len();
        self.heard.extend_from_slice(pcm);
        let per_ms = RATE as usize / 1000;
        for event in self.vad.push(pcm) {
            match *event {
                VadEvent::SpeechStarted { at_ms } => {
                    self.speech_start.get_or_insert((at_ms as usize * per_ms).min(base));
                }
                VadEvent::SpeechEnded { at_ms } => self.speech_end = at_ms as usize * per_ms,
                VadEvent::Silence { .. } => {}
            }
        }
        if self.vad.is_speaking() {
            self.speech_end = self.heard.len();
            self.last_voice = Some(now);
        }
    }

    pub fn heard_speech(&self) -> bool {
        self.speech_start.is_some()
    }

    /// How long the far end has been quiet since it last spoke (zero
    /// before it spoke).
    pub fn quiet_for(&self, now: Instant) -> Duration {
        self.last_voice.map_or(Duration::ZERO, |at| now.saturating_duration_since(at))
    }

    /// How long since this level began.
    pub fn waited(&self, now: Instant) -> Duration {
        now.saturating_duration_since(self.began)
    }

    /// Whether the prompt filled the longest audio kept.
    pub fn full(&self) -> bool {
        self.heard.len() >= self.limit
    }

    /// The speech heard: from its start to its end, with 100 ms either side.
    pub fn prompt(&self) -> &[i16] {
        let Some(start) = self.speech_start else { return &[] };
        let pad = RATE as usize / 10;
        let from = start.saturating_sub(pad);
        let to = (self.speech_end + pad).min(self.heard.len()).max(from);
        &self.heard[from..to]
    }

    /// Seconds of speech heard so far.
    pub fn speech_secs(&self) -> f32 {
        self.prompt().len() as f32 / RATE as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(ms: usize) -> Vec<i16> {
        (0..ms * 8).map(|i| ((i as f32 * 0.3).sin() * 8000.0) as i16).collect()
    }

    #[test]
    fn speech_is_found_between_silences_and_quiet_is_timed() {
        let t0 = Instant::now();
        let mut ear = Ear::new(t0, Duration::from_secs(60)).unwrap();
        ear.hear(t0, &vec![0; 4000]);
        assert!(!ear.heard_speech());
        ear.hear(t0 + Duration::from_millis(500), &tone(1000));
        assert!(ear.heard_speech());
        ear.hear(t0 + Duration::from_millis(1500), &vec![0; 8000]);
        let secs = ear.speech_secs();
        assert!((1.0..1.6).contains(&secs), "{secs}");
        // Quiet counts from the last chunk that held voice (received at 500 ms).
        assert_eq!(ear.quiet_for(t0 + Duration::from_millis(3500)), Duration::from_secs(3));
    }
}
