//! Prompts: audio loaded once and played to any number of calls.
//!
//! A [`Prompt`] holds its samples in an `Arc<[i16]>`, so a greeting loaded
//! at start-up is shared by every call that plays it; a [`PromptPlayer`] is
//! the per-call cursor. The player only hands out frames — the caller
//! encodes, stamps and sends them on its own clock.

use std::path::Path;
use std::sync::Arc;

use super::AudioError;
use super::wav::load_wav;

/// Mono 16-bit audio at a known rate, cheap to clone.
#[derive(Clone, Debug)]
pub struct Prompt {
    samples: Arc<[i16]>,
    rate: u32,
}

impl Prompt {
    /// Loads a WAV file of any common format, converted to mono at
    /// `target_rate` (the rate of the codec it will be played through).
    pub fn load(path: &Path, target_rate: u32) -> Result<Prompt, AudioError> {
        Ok(Prompt::from_samples(load_wav(path, target_rate)?, target_rate))
    }

    /// A prompt from samples already at `rate`.
    pub fn from_samples(samples: impl Into<Arc<[i16]>>, rate: u32) -> Prompt {
        Prompt { samples: samples.into(), rate }
    }

    pub fn samples(&self) -> &[i16] {
        &self.samples
    }

    pub fn rate(&self) -> u32 {
        self.rate
    }

    pub fn duration_ms(&self) -> u64 {
        self.samples.len() as u64 * 1000 / u64::from(self.rate.max(1))
    }

    /// A player handing out frames of `frame_ms` from the start.
    pub fn player(&self, frame_ms: u32) -> PromptPlayer {
        PromptPlayer::new(self.clone(), frame_ms)
    }
}

/// Plays a [`Prompt`] as successive fixed-size frames.
///
/// The last frame is padded with silence, so every frame has the same
/// length and the RTP timestamp can advance by the same step each time.
#[derive(Debug)]
pub struct PromptPlayer {
    prompt: Prompt,
    frame_len: usize,
    position: usize,
    /// Holds the padded last frame; allocated once here.
    tail: Vec<i16>,
}

impl PromptPlayer {
    /// A player of `frame_ms` frames (20 ms at 8 kHz: 160 samples).
    pub fn new(prompt: Prompt, frame_ms: u32) -> PromptPlayer {
        let frame_len = (u64::from(prompt.rate) * u64::from(frame_ms) / 1000).max(1) as usize;
        PromptPlayer { prompt, frame_len, position: 0, tail: vec![0; frame_len] }
    }

    /// Samples per frame.
    pub fn frame_len(&self) -> usize {
        self.frame_len
    }

    /// The next frame, or `None` once the whole prompt has been played.
    pub fn next_frame(&mut self) -> Option<&[i16]> {
        let samples = &self.prompt.samples;
        let start = self.position;
        if start >= samples.len() {
            return None;
        }
        let end = start + self.frame_len;
        self.position = end;
        if end <= samples.len() {
            return Some(&samples[start..end]);
        }
        let left = samples.len() - start;
        self.tail[..left].copy_from_slice(&samples[start..]);
        self.tail[left..].fill(0);
        Some(&self.tail)
    }

    /// Whether every sample of the prompt has been handed out.
    pub fn is_done(&self) -> bool {
        self.position >= self.prompt.samples.len()
    }

    /// How far playback has got, in milliseconds of audio.
    pub fn position_ms(&self) -> u64 {
        self.position.min(self.prompt.samples.len()) as u64 * 1000 / u64::from(self.prompt.rate.max(1))
    }

    /// Starts again from the beginning (a prompt played in a loop).
    pub fn rewind(&mut self) {
        self.position = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::test_signal::asterisk_prompt;

    #[test]
    fn frames_cover_the_prompt_and_pad_the_last_with_silence() {
        let samples: Vec<i16> = (1..=400).collect();
        let prompt = Prompt::from_samples(samples.clone(), 8000);
        let mut player = prompt.player(20);
        assert_eq!(player.frame_len(), 160);
        let mut played = Vec::new();
        while let Some(frame) = player.next_frame() {
            assert_eq!(frame.len(), 160);
            played.extend_from_slice(frame);
        }
        assert!(player.is_done());
        assert_eq!(played.len(), 480);
        assert_eq!(&played[..400], &samples[..]);
        assert!(played[400..].iter().all(|&s| s == 0));
        assert_eq!(player.next_frame(), None);
        player.rewind();
        assert!(!player.is_done());
        assert_eq!(player.next_frame().unwrap()[0], 1);
    }

    #[test]
    fn a_loaded_prompt_is_shared_not_copied_between_players() {
        let prompt = Prompt::load(&asterisk_prompt("vm-goodbye"), 8000).unwrap();
        assert!(prompt.duration_ms() > 500, "{} ms", prompt.duration_ms());
        let mut a = prompt.player(20);
        let mut b = prompt.clone().player(20);
        let first_a = a.next_frame().unwrap().as_ptr();
        let first_b = b.next_frame().unwrap().as_ptr();
        assert_eq!(first_a, first_b, "both players read the one buffer");
        assert_eq!(first_a, prompt.samples().as_ptr());
    }

    #[test]
    fn a_prompt_loads_at_the_codec_rate() {
        let narrow = Prompt::load(&asterisk_prompt("vm-goodbye"), 8000).unwrap();
        let wide = Prompt::load(&asterisk_prompt("vm-goodbye"), 48_000).unwrap();
        assert_eq!(wide.samples().len(), narrow.samples().len() * 6);
        assert_eq!(wide.duration_ms(), narrow.duration_ms());
        assert_eq!(wide.player(20).frame_len(), 960);
    }

    #[test]
    fn position_advances_by_frame() {
        let prompt = Prompt::from_samples(vec![7i16; 8000], 8000);
        let mut player = prompt.player(20);
        for _ in 0..10 {
            player.next_frame();
        }
        assert_eq!(player.position_ms(), 200);
    }
}
