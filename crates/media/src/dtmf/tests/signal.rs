//! Test audio: DTMF pairs at chosen levels, noise, and a voice-like signal.

use super::super::Digit;
use super::super::goertzel::ZERO_DBM0_PEAK;
use std::f64::consts::TAU;

pub const RATE: f64 = 8000.0;

/// Row and column frequencies of a key.
pub fn freqs(digit: Digit) -> (f64, f64) {
    const ROWS: [f64; 4] = [697.0, 770.0, 852.0, 941.0];
    const COLS: [f64; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
    let pos = "123A456B789C*0#D".find(digit.as_char()).unwrap();
    (ROWS[pos / 4], COLS[pos % 4])
}

pub fn amplitude(dbm0: f64) -> f64 {
    ZERO_DBM0_PEAK * 10f64.powf(dbm0 / 20.0)
}

pub fn ms(n: f64) -> usize {
    (n * RATE / 1000.0).round() as usize
}

/// A mixable signal in floating point, turned into PCM at the end.
#[derive(Clone, Default)]
pub struct Signal(pub Vec<f64>);

impl Signal {
    pub fn silence(&mut self, samples: usize) -> &mut Self {
        self.0.extend(std::iter::repeat_n(0.0, samples));
        self
    }

    /// Appends a key press with each tone at its own level.
    pub fn tone_at(&mut self, digit: Digit, row_dbm0: f64, col_dbm0: f64, samples: usize) -> &mut Self {
        let (fr, fc) = freqs(digit);
        self.sines(&[(fr, amplitude(row_dbm0)), (fc, amplitude(col_dbm0))], samples)
    }

    pub fn tone(&mut self, digit: Digit, dbm0: f64, samples: usize) -> &mut Self {
        self.tone_at(digit, dbm0, dbm0, samples)
    }

    pub fn sines(&mut self, parts: &[(f64, f64)], samples: usize) -> &mut Self {
        let start = self.0.len();
        self.0.extend((0..samples).map(|i| {
            let t = (start + i) as f64 / RATE;
            parts.iter().map(|(f, a)| a * (TAU * f * t).sin()).sum::<f64>()
        }));
        self
    }

    /// Adds white noise at `dbm0` over the whole signal.
    pub fn with_noise(mut self, dbm0: f64, rng: &mut Rng) -> Self {
        // Uniform noise of peak p has mean power p²/3; match a sine's A²/2.
        let peak = amplitude(dbm0) * (1.5f64).sqrt();
        for s in &mut self.0 {
            *s += peak * rng.uniform();
        }
        self
    }

    pub fn pcm(&self) -> Vec<i16> {
        self.0.iter().map(|s| s.round().clamp(-32768.0, 32767.0) as i16).collect()
    }
}

/// Deterministic xorshift generator, so failures reproduce.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Uniform in [-1, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}
