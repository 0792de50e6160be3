//! Audio checks for end-to-end tests: tones made by sox, recordings read
//! back through sox, and a Goertzel spectrum to tell which tone arrived.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Baresip;

pub const RATE: f64 = 8000.0;

/// A 10 s sine of `hz` as 8 kHz mono 16-bit WAV, made by sox in `dir`: longer
/// than the call, since baresip hangs up when its microphone file ends.
pub fn tone(dir: &Path, hz: u32) -> PathBuf {
    tone_at(dir, hz, 8000, 1)
}

/// `tone` at another sample rate and channel count (a baresip Opus phone
/// wants its microphone at 48 kHz stereo).
pub fn tone_at(dir: &Path, hz: u32, rate: u32, channels: u32) -> PathBuf {
    let path = dir.join(format!("tone-{hz}-{rate}-{channels}.wav"));
    let out = Command::new("sox")
        .args(["-n", "-r", &rate.to_string(), "-c", &channels.to_string(), "-b", "16"])
        .arg(&path)
        .args(["synth", "10", "sine", &hz.to_string(), "vol", "0.5"])
        .output()
        .expect("run sox (is the sox package installed?)");
    assert!(out.status.success(), "sox: {}", String::from_utf8_lossy(&out.stderr));
    path
}

/// The samples of a WAV file in [-1, 1], read through sox as 8 kHz mono.
pub fn samples(wav: &Path) -> Vec<f64> {
    let out = Command::new("sox")
        .arg(wav)
        .args(["-t", "raw", "-e", "signed-integer", "-b", "16", "-c", "1", "-r", "8000", "-L", "-"])
        .output()
        .expect("run sox");
    assert!(out.status.success(), "sox {}: {}", wav.display(), String::from_utf8_lossy(&out.stderr));
    out.stdout.chunks_exact(2).map(|b| f64::from(i16::from_le_bytes([b[0], b[1]])) / 32768.0).collect()
}

/// Seconds of `samples` that are not silence (20 ms blocks with RMS > 0.05;
/// the tones have an RMS of 0.35).
pub fn audible_secs(samples: &[f64]) -> f64 {
    let block = (RATE / 50.0) as usize;
    let loud = samples
        .chunks_exact(block)
        .filter(|c| (c.iter().map(|s| s * s).sum::<f64>() / block as f64).sqrt() > 0.05)
        .count();
    loud as f64 / 50.0
}

/// The spectrum of a recording: Hann-windowed 1024-sample blocks whose
/// power at a frequency is measured with the Goertzel filter and averaged.
pub struct Spectrum(Vec<Vec<f64>>);

impl Spectrum {
    pub const N: usize = 1024;

    pub fn new(samples: &[f64]) -> Spectrum {
        let window: Vec<f64> =
            (0..Self::N).map(|i| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / Self::N as f64).cos()).collect();
        Spectrum(samples.chunks_exact(Self::N).map(|b| b.iter().zip(&window).map(|(x, w)| x * w).collect()).collect())
    }

    pub fn power(&self, hz: f64) -> f64 {
        let coeff = 2.0 * (2.0 * std::f64::consts::PI * hz / RATE).cos();
        let total: f64 = self
            .0
            .iter()
            .map(|block| {
                let (mut s1, mut s2) = (0.0, 0.0);
                for x in block {
                    let s0 = x + coeff * s1 - s2;
                    s2 = s1;
                    s1 = s0;
                }
                s1 * s1 + s2 * s2 - coeff * s1 * s2
            })
            .sum();
        total / self.0.len().max(1) as f64
    }

    /// The strongest frequency between 100 Hz and 3900 Hz, to 2 Hz.
    pub fn dominant_hz(&self) -> f64 {
        (50..=1950)
            .map(|i| f64::from(i) * 2.0)
            .map(|hz| (hz, self.power(hz)))
            .fold((0.0, f64::MIN), |best, (hz, p)| if p > best.1 { (hz, p) } else { best })
            .0
    }
}

/// Checks what `phone` heard: at least 2 s of sound whose dominant
/// frequency is `expected` and in which the `other` tone (its own) is
/// absent. Returns the measured frequency.
pub fn assert_heard(phone: &Baresip, who: &str, expected: f64, other: f64) -> f64 {
    let wav = phone.heard();
    let heard = samples(&wav);
    let secs = audible_secs(&heard);
    assert!(secs >= 2.0, "{who} heard only {secs} s of sound in {}:\n{}", wav.display(), phone.log());
    let spectrum = Spectrum::new(&heard);
    let hz = spectrum.dominant_hz();
    let (wanted, unwanted) = (spectrum.power(expected), spectrum.power(other));
    eprintln!(
        "{who} heard {secs:.2} s of sound at {hz} Hz ({expected} Hz / {other} Hz power: {:.0})",
        wanted / unwanted
    );
    assert!((hz - expected).abs() <= 10.0, "{who} heard {hz} Hz, not {expected} Hz");
    assert!(wanted > 1000.0 * unwanted, "{who} heard its own {other} Hz tone: {wanted} vs {unwanted}");
    hz
}

/// `text` spoken by espeak-ng's `voice` (`ko`, `en-us`…), three times with
/// 1.5 s pauses after 0.5 s of silence, then `tail` seconds of silence:
/// 8 kHz mono 16-bit WAV in `dir`.
pub fn speech(dir: &Path, voice: &str, text: &str, tail: f64) -> PathBuf {
    let raw = dir.join("speech-espeak.wav");
    let path = dir.join("speech.wav");
    let espeak = Command::new("espeak-ng")
        .args(["-v", voice, "-s", "130", "-w"])
        .arg(&raw)
        .arg(text)
        .output()
        .expect("run espeak-ng (is the espeak-ng package installed?)");
    assert!(espeak.status.success(), "espeak-ng: {}", String::from_utf8_lossy(&espeak.stderr));
    let sox = Command::new("sox")
        .arg(&raw)
        .args(["-r", "8000", "-c", "1", "-b", "16"])
        .arg(&path)
        .args(["pad", "0.5", "1.5", "repeat", "2", "pad", "0", &tail.to_string()])
        .output()
        .expect("run sox");
    assert!(sox.status.success(), "sox: {}", String::from_utf8_lossy(&sox.stderr));
    path
}

/// `secs` of digital silence as 8 kHz mono 16-bit WAV in `dir`.
pub fn silence(dir: &Path, secs: u32) -> PathBuf {
    let path = dir.join(format!("silence-{secs}.wav"));
    let out = Command::new("sox")
        .args(["-n", "-r", "8000", "-c", "1", "-b", "16"])
        .arg(&path)
        .args(["trim", "0", &secs.to_string()])
        .output()
        .expect("run sox");
    assert!(out.status.success(), "sox: {}", String::from_utf8_lossy(&out.stderr));
    path
}
