//! Signals and measurements shared by the audio tests.

use std::f64::consts::PI;
use std::path::PathBuf;

/// `len` samples of a sine at `freq` Hz, peak `amplitude` × full scale.
pub fn sine(freq: f64, rate: u32, len: usize, amplitude: f64) -> Vec<i16> {
    (0..len)
        .map(|i| (amplitude * 32767.0 * (2.0 * PI * freq * i as f64 / f64::from(rate)).sin()).round() as i16)
        .collect()
}

pub fn rms(samples: &[i16]) -> f64 {
    let sum: f64 = samples.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
    (sum / samples.len().max(1) as f64).sqrt()
}

/// Frequency of a steady tone from its zero crossings, interpolated between
/// samples, first to last crossing.
pub fn dominant_frequency(samples: &[i16], rate: u32) -> f64 {
    let mut crossings = Vec::new();
    for i in 1..samples.len() {
        let (a, b) = (f64::from(samples[i - 1]), f64::from(samples[i]));
        if a < 0.0 && b >= 0.0 {
            crossings.push((i - 1) as f64 + a / (a - b));
        }
    }
    let (Some(first), Some(last)) = (crossings.first(), crossings.last()) else { return 0.0 };
    (crossings.len() - 1) as f64 * f64::from(rate) / (last - first)
}

/// Share of the signal's energy at `freq` (Goertzel), 1.0 for a pure tone.
pub fn tone_purity(samples: &[i16], rate: u32, freq: f64) -> f64 {
    let w = 2.0 * PI * freq / f64::from(rate);
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for &x in samples {
        let s0 = f64::from(x) + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    let n = samples.len() as f64;
    // A sine of RMS r over n samples gives a Goertzel power of (n r)^2 / 2.
    let tone_rms_sq = 2.0 * power / (n * n);
    tone_rms_sq / (rms(samples).powi(2)).max(1e-9)
}

/// Deterministic white noise (xorshift), uniform, RMS at `dbfs`.
pub fn white_noise(len: usize, dbfs: f64, seed: u64) -> Vec<i16> {
    let mut state = seed.max(1);
    // Uniform on [-a, a] has RMS a / sqrt(3).
    let amplitude = 32768.0 * 10f64.powf(dbfs / 20.0) * 3f64.sqrt();
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let unit = (state >> 11) as f64 / (1u64 << 53) as f64; // [0, 1)
            (amplitude * (2.0 * unit - 1.0)).round() as i16
        })
        .collect()
}

/// Debian's English Asterisk prompts (8 kHz 16-bit WAV).
pub const SOUNDS_PACKAGE: &str = "asterisk-core-sounds-en-wav";

/// A prompt of `SOUNDS_PACKAGE` by name (without `.wav`); panics naming the
/// package when it is not installed, so a missing package fails loudly.
pub fn asterisk_prompt(name: &str) -> PathBuf {
    // Newer packages install under `en/`, older ones under the voice's name.
    let dirs = ["/usr/share/asterisk/sounds/en", "/usr/share/asterisk/sounds/en_US_f_Allison"];
    dirs.iter().map(|d| PathBuf::from(d).join(format!("{name}.wav"))).find(|p| p.is_file()).unwrap_or_else(|| {
        panic!(
            "prompt {name}.wav not found under {dirs:?}: install the Debian package {SOUNDS_PACKAGE} \
             (scripts/deps.sh test)"
        )
    })
}
