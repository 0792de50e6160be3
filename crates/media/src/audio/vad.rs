//! Speech and silence detection on linear PCM.
//!
//! Frame by frame (10 or 20 ms), the frame's RMS level in dBFS is compared
//! with a gate: the configured threshold, raised above an adaptive noise
//! floor on noisy lines. On top of that per-frame decision sits the state
//! machine FreeSWITCH's `wait_for_silence` users expect — wait for sound,
//! then for N ms of silence:
//!
//! ```text
//!            voiced ≥ min_speech          unvoiced ≥ hangover
//!  Waiting ─────────────────────▶ Speaking ──────────────────▶ Ended
//!                                    ▲                           │
//!                                    └───── voiced ≥ min_speech ─┘
//!                     (Ended emits Silence once, at min_silence after speech)
//! ```
//!
//! Decisions are necessarily late (speech is only speech once it has lasted
//! `min_speech_ms`), but every event carries the true time: `SpeechStarted`
//! the start of the first voiced frame, `SpeechEnded` and `Silence` the end
//! of the last one. Time is counted in samples pushed, never read from a
//! clock.

use super::AudioError;

/// Levels are clamped here so digital silence has a finite level.
const MIN_DBFS: f32 = -100.0;
/// How fast the noise floor may climb, in dB per second. It falls at once
/// to any quieter frame, so it tracks the lower envelope of the signal:
/// the pauses between words pull it down, and a line that gets noisier
/// lifts it within seconds.
const FLOOR_RISE_DB_PER_S: f32 = 3.0;

/// Settings of a [`Vad`]; plain values with documented defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct VadConfig {
    /// Rate of the PCM pushed in. Default 8000.
    pub sample_rate: u32,
    /// Analysis frame, 10 or 20 ms. Default 10 (finer timestamps).
    pub frame_ms: u32,
    /// A frame is voiced when its RMS level exceeds this (dBFS, where a
    /// full-scale square wave is 0). Default -45, well above a quiet
    /// line's -60 to -70 and well below speech at -30 to -15.
    pub threshold_dbfs: f32,
    /// When set, a frame must also exceed the adaptive noise floor by this
    /// many dB, so a noisy line does not count as speech. Default 12.
    pub noise_margin_db: Option<f32>,
    /// Voiced audio needed to declare speech; shorter bursts (clicks,
    /// coughs) are ignored. Default 100 ms.
    pub min_speech_ms: u32,
    /// Unvoiced audio inside speech that is still part of it (pauses
    /// between words); longer ends the speech. Default 300 ms.
    pub hangover_ms: u32,
    /// Silence after speech that fires [`VadEvent::Silence`]; at least
    /// `hangover_ms`. Default 1000 ms.
    pub min_silence_ms: u32,
}

impl Default for VadConfig {
    fn default() -> VadConfig {
        VadConfig {
            sample_rate: 8000,
            frame_ms: 10,
            threshold_dbfs: -45.0,
            noise_margin_db: Some(12.0),
            min_speech_ms: 100,
            hangover_ms: 300,
            min_silence_ms: 1000,
        }
    }
}

impl VadConfig {
    /// Checks every field, reporting all problems at once.
    pub fn validate(&self) -> Result<(), AudioError> {
        let mut problems = Vec::new();
        if !(8000..=48_000).contains(&self.sample_rate) {
            problems.push(format!("sample_rate {} Hz is outside 8000..=48000", self.sample_rate));
        }
        if ![10, 20].contains(&self.frame_ms) {
            problems.push(format!("frame_ms {} is neither 10 nor 20", self.frame_ms));
        } else if u64::from(self.sample_rate) * u64::from(self.frame_ms) % 1000 != 0 {
            problems.push(format!("{} ms frames are not whole samples at {} Hz", self.frame_ms, self.sample_rate));
        }
        if !(self.threshold_dbfs > MIN_DBFS && self.threshold_dbfs < 0.0) {
            problems.push(format!("threshold_dbfs {} is outside (-100, 0)", self.threshold_dbfs));
        }
        if let Some(margin) = self.noise_margin_db
            && !(0.0..=60.0).contains(&margin)
        {
            problems.push(format!("noise_margin_db {margin} is outside 0..=60"));
        }
        if self.min_silence_ms < self.hangover_ms {
            problems.push(format!(
                "min_silence_ms {} is shorter than hangover_ms {}",
                self.min_silence_ms, self.hangover_ms
            ));
        }
        if problems.is_empty() { Ok(()) } else { Err(AudioError::InvalidVadConfig(problems)) }
    }
}

/// What the detector found; times are ms from the first sample pushed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VadEvent {
    /// Speech began at `at_ms` (reported `min_speech_ms` or more later).
    SpeechStarted { at_ms: u64 },
    /// Speech ended at `at_ms` (reported `hangover_ms` later).
    SpeechEnded { at_ms: u64 },
    /// After speech, silence began at `started_at_ms` and has now lasted
    /// `duration_ms` ≥ `min_silence_ms`. Fires once per silence.
    Silence { started_at_ms: u64, duration_ms: u64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// No speech yet: silence does not count until something was said.
    Waiting,
    Speaking,
    /// Speech ended at sample `speech_end`.
    Ended {
        speech_end: u64,
        silence_reported: bool,
    },
}

/// A streaming voice-activity detector; see the module docs.
#[derive(Debug)]
pub struct Vad {
    config: VadConfig,
    frame_len: usize,
    min_speech: u64,
    hangover: u64,
    min_silence: u64,
    /// Samples of an incomplete frame carried to the next push.
    pending: Vec<i16>,
    /// Samples consumed so far: the start of the next frame.
    position: u64,
    noise_floor_db: Option<f32>,
    state: State,
    /// End of the last voiced frame.
    last_voiced_end: u64,
    /// A run of voiced frames that may become speech: (start, voiced samples).
    candidate: Option<(u64, u64)>,
    events: Vec<VadEvent>,
}

impl Vad {
    pub fn new(config: VadConfig) -> Result<Vad, AudioError> {
        config.validate()?;
        let samples = |ms: u32| u64::from(ms) * u64::from(config.sample_rate) / 1000;
        let frame_len = samples(config.frame_ms) as usize;
        Ok(Vad {
            frame_len,
            min_speech: samples(config.min_speech_ms).max(1),
            hangover: samples(config.hangover_ms),
            min_silence: samples(config.min_silence_ms),
            pending: Vec::with_capacity(frame_len),
            position: 0,
            noise_floor_db: None,
            state: State::Waiting,
            last_voiced_end: 0,
            candidate: None,
            events: Vec::with_capacity(4),
            config,
        })
    }

    pub fn config(&self) -> &VadConfig {
        &self.config
    }

    /// Feeds samples of any length; returns the events they completed. The
    /// returned slice is reused by the next call.
    pub fn push(&mut self, mut samples: &[i16]) -> &[VadEvent] {
        self.events.clear();
        if !self.pending.is_empty() {
            let take = (self.frame_len - self.pending.len()).min(samples.len());
            self.pending.extend_from_slice(&samples[..take]);
            samples = &samples[take..];
            if self.pending.len() == self.frame_len {
                let level = level_dbfs(&self.pending);
                self.pending.clear();
                self.on_frame(level, self.frame_len);
            }
        }
        let mut frames = samples.chunks_exact(self.frame_len);
        for frame in &mut frames {
            self.on_frame(level_dbfs(frame), self.frame_len);
        }
        self.pending.extend_from_slice(frames.remainder());
        &self.events
    }

    /// Ends the stream: analyses a trailing partial frame and closes speech
    /// still in progress at the last voiced sample.
    pub fn finish(&mut self) -> &[VadEvent] {
        self.events.clear();
        if !self.pending.is_empty() {
            let level = level_dbfs(&self.pending);
            let len = self.pending.len();
            self.pending.clear();
            self.on_frame(level, len);
        }
        if self.state == State::Speaking {
            self.end_speech();
        }
        &self.events
    }

    /// Whether speech is in progress (started and not yet ended).
    pub fn is_speaking(&self) -> bool {
        self.state == State::Speaking
    }

    /// Milliseconds of audio analysed so far.
    pub fn position_ms(&self) -> u64 {
        self.ms(self.position)
    }

    /// The adaptive noise floor, once a frame has been seen.
    pub fn noise_floor_dbfs(&self) -> Option<f32> {
        self.noise_floor_db
    }

    /// Forgets everything, as for a new stream.
    pub fn reset(&mut self) {
        self.pending.clear();
        self.position = 0;
        self.noise_floor_db = None;
        self.state = State::Waiting;
        self.last_voiced_end = 0;
        self.candidate = None;
        self.events.clear();
    }

    fn on_frame(&mut self, level: f32, len: usize) {
        let start = self.position;
        let end = start + len as u64;
        self.position = end;
        if level > self.gate(level, len) {
            self.last_voiced_end = end;
            if self.state != State::Speaking {
                let (onset, voiced) = self.candidate.unwrap_or((start, 0));
                let voiced = voiced + len as u64;
                self.candidate = Some((onset, voiced));
                if voiced >= self.min_speech {
                    let at_ms = self.ms(onset);
                    self.candidate = None;
                    self.state = State::Speaking;
                    self.events.push(VadEvent::SpeechStarted { at_ms });
                }
            }
        } else if end - self.last_voiced_end >= self.hangover {
            match self.state {
                State::Speaking => self.end_speech(),
                _ => self.candidate = None,
            }
        }
        // A pending candidate may yet turn out to be speech that cut this
        // silence short, so the silence is only reported without one.
        if let State::Ended { speech_end, silence_reported: false } = self.state
            && self.candidate.is_none()
            && end - speech_end >= self.min_silence
        {
            self.state = State::Ended { speech_end, silence_reported: true };
            let (started_at_ms, duration_ms) = (self.ms(speech_end), self.ms(end - speech_end));
            self.events.push(VadEvent::Silence { started_at_ms, duration_ms });
        }
    }

    fn end_speech(&mut self) {
        let speech_end = self.last_voiced_end;
        self.state = State::Ended { speech_end, silence_reported: false };
        self.events.push(VadEvent::SpeechEnded { at_ms: self.ms(speech_end) });
    }

    /// The level a frame must exceed, updating the noise floor with it.
    fn gate(&mut self, level: f32, len: usize) -> f32 {
        let Some(margin) = self.config.noise_margin_db else { return self.config.threshold_dbfs };
        let rise = FLOOR_RISE_DB_PER_S * len as f32 / self.config.sample_rate as f32;
        // The first frame seeds the floor: a stream usually opens on the
        // line's own noise, and if it opens on speech the first pause
        // between words brings the floor down.
        let floor = match self.noise_floor_db {
            Some(floor) => (floor + rise).min(level),
            None => level,
        };
        self.noise_floor_db = Some(floor);
        self.config.threshold_dbfs.max(floor + margin)
    }

    fn ms(&self, samples: u64) -> u64 {
        samples * 1000 / u64::from(self.config.sample_rate)
    }
}

/// RMS level of `frame` in dBFS, at least [`MIN_DBFS`].
fn level_dbfs(frame: &[i16]) -> f32 {
    let energy: f64 = frame.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
    let mean = energy / frame.len().max(1) as f64 / (32768.0 * 32768.0);
    if mean <= 0.0 { MIN_DBFS } else { (10.0 * mean.log10() as f32).max(MIN_DBFS) }
}
