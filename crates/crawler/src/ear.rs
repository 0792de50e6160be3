//! Listening to one menu level of a call: the far end's audio since the
//! level began, where its speech starts and ends, and how long it has
//! been quiet — by the audio's own clock while RTP flows and by the wall
//! clock when the far end sends nothing at all.

use std::time::{Duration, Instant};

use voxide_media::audio::{AudioError, Vad, VadConfig, VadEvent};

use crate::fingerprint::{Fingerprint, MATCH_THRESHOLD, fingerprint, similarity};

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
    /// The best match so far of the prompt's end with its start.
    repeat: Option<(f32, usize)>,
    /// The print of the prompt's start, once there is enough of it.
    head: Option<Fingerprint>,
    /// Prompt length at the last comparison.
    repeat_checked: usize,
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
            repeat: None,
            head: None,
            repeat_checked: 0,
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

    /// Where the prompt started over, once it is sure: the sample (in
    /// [`Ear::prompt`]) from which its last `window` sounds most like its
    /// first `window`. Prints match over a second either side of the true
    /// alignment, so the best match is taken once it has been passed by
    /// half a second. Looked for once the prompt is twice the window long.
    pub fn repeats_from(&mut self, window: Duration) -> Option<usize> {
        let n = (window.as_millis() as usize) * RATE as usize / 1000;
        let len = self.prompt().len();
        // Compared every eighth of a second of new audio, not every chunk.
        if n == 0 || len < 2 * n || len < self.repeat_checked + RATE as usize / 8 {
            return self.repeat.map(|(_, at)| at).filter(|at| len >= at + n + RATE as usize / 2);
        }
        self.repeat_checked = len;
        let head = match self.head.take() {
            Some(head) => head,
            None => fingerprint(&self.prompt()[..n], RATE),
        };
        let tail_start = len - n;
        let likeness = similarity(&head, &fingerprint(&self.prompt()[tail_start..], RATE));
        self.head = Some(head);
        if likeness >= MATCH_THRESHOLD && self.repeat.is_none_or(|(best, _)| likeness >= best) {
            self.repeat = Some((likeness, tail_start));
        }
        let (_, at) = self.repeat?;
        (tail_start >= at + RATE as usize / 2).then_some(at)
    }

    /// Cuts the prompt where it started over.
    pub fn cut_at(&mut self, sample: usize) {
        let pad = RATE as usize / 10;
        let start = self.speech_start.map_or(0, |s| s.saturating_sub(pad));
        self.speech_end = (start + sample).saturating_sub(pad);
        self.heard.truncate(start + sample);
    }

    /// Seconds of speech heard so far.
    pub fn speech_secs(&self) -> f32 {
        self.prompt().len() as f32 / RATE as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prompt(name: &str) -> Option<Vec<i16>> {
        ["/usr/share/asterisk/sounds/en", "/usr/share/asterisk/sounds/en_US_f_Allison"]
            .iter()
            .map(|d| std::path::Path::new(d).join(format!("{name}.wav")))
            .find(|p| p.exists())
            .and_then(|p| voxide_media::audio::load_wav(&p, RATE).ok())
    }

    #[test]
    fn a_prompt_that_starts_over_is_cut_where_it_repeats() {
        let (Some(a), Some(b)) = (prompt("vm-options"), prompt("dir-welcome")) else {
            panic!("Debian's asterisk-core-sounds-en-wav is needed (scripts/deps.sh test installs it)");
        };
        let t0 = Instant::now();
        let mut ear = Ear::new(t0, Duration::from_secs(120)).unwrap();
        let mut menu = a.clone();
        menu.extend(std::iter::repeat_n(0, 4000));
        menu.extend_from_slice(&b);
        let once = menu.len();
        menu.extend(std::iter::repeat_n(0, 4000));
        let window = Duration::from_secs(3);
        let mut cut = None;
        // Fed as it would arrive, played twice in a row.
        for chunk in menu.iter().chain(&menu).copied().collect::<Vec<_>>().chunks(800) {
            ear.hear(t0, chunk);
            if let Some(at) = ear.repeats_from(window) {
                cut = Some(at);
                break;
            }
        }
        let at = cut.expect("the repeat is found");
        // `at` counts from where the prompt's speech starts (less 100 ms);
        // the second playing begins at `once + 4000` of what was fed.
        let offset = ear.speech_start.unwrap_or(0).saturating_sub(800);
        let second = once + 4000;
        let error = (at + offset) as i64 - second as i64;
        // Anywhere in the half second of silence before it, or just after.
        assert!((-4800..2400).contains(&error), "cut {error} samples from the repeat");
        ear.cut_at(at);
        assert!(ear.prompt().len() + offset <= second + 2400, "{} + {offset} > {second}", ear.prompt().len());
        // A prompt heard once does not repeat.
        let mut once_only = Ear::new(t0, Duration::from_secs(120)).unwrap();
        let mut found = false;
        for chunk in menu.chunks(800) {
            once_only.hear(t0, chunk);
            found |= once_only.repeats_from(window).is_some();
        }
        assert!(!found);
    }

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
