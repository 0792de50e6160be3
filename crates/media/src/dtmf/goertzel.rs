//! In-band DTMF detection: finds key presses in the audio itself, for peers
//! that send digits as tones rather than telephone-events.
//!
//! The signal is looked at through windows of 12.75 ms (102 samples at
//! 8 kHz: long enough to tell adjacent rows apart), one every 6.4 ms, and
//! each window is measured with the Goertzel algorithm at the eight DTMF
//! frequencies and at the second harmonics of the four column tones. A window
//! holds a digit when all of these hold:
//!
//! * both tones are at least [`MIN_TONE_DBM0`];
//! * twist: the column tone is at most 8 dB above the row tone (forward) and
//!   at most 4 dB below it (reverse);
//! * each tone beats the others of its group by 6 dB;
//! * the two tones carry at least 65 % of the window's energy — speech and
//!   noise spread theirs across the band, and a window only partly covered
//!   by a tone falls short too, which is what lets bursts be timed;
//! * the column tone's second harmonic is 15 dB down: a tone generator makes
//!   sines, a voice makes harmonics. (Row harmonics fall inside the column
//!   band, where a legitimate column tone leaks, so they are not checked.)
//!
//! A digit begins after four such windows in a row and ends after four
//! without it. Counting windows that are at least 65 % covered, a tone of
//! 40 ms gives at least five and one under 23 ms at most three; a 10 ms
//! drop-out spoils at most three (so it does not split the digit) and a gap
//! of 40 ms at least six.

use super::Digit;

const ROW_HZ: [f64; 4] = [697.0, 770.0, 852.0, 941.0];
const COL_HZ: [f64; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
/// Keypad by (row, column), as event codes: `1 2 3 A / 4 5 6 B / 7 8 9 C / * 0 # D`.
const KEYPAD: [[Digit; 4]; 4] = [
    [Digit(1), Digit(2), Digit(3), Digit(12)],
    [Digit(4), Digit(5), Digit(6), Digit(13)],
    [Digit(7), Digit(8), Digit(9), Digit(14)],
    [Digit(10), Digit(0), Digit(11), Digit(15)],
];

/// Samples per window at 8 kHz; scaled for other rates. Windows overlap by
/// half.
const WINDOW_AT_8K: usize = 102;
const HITS_TO_BEGIN: u32 = 4;
const MISSES_TO_END: u32 = 4;

/// Weakest tone detected, per frequency.
pub const MIN_TONE_DBM0: f64 = -38.0;
const FORWARD_TWIST_DB: f64 = 8.0;
const REVERSE_TWIST_DB: f64 = 4.0;
const GROUP_DOMINANCE_DB: f64 = 6.0;
const MIN_TONE_SHARE: f64 = 0.65;
const COL_HARMONIC_DB: f64 = 15.0;

/// Peak of a 0 dBm0 sine in 16-bit linear PCM: G.711's largest sine,
/// +3.17 dBm0, peaks at 8159 in 14-bit μ-law units, i.e. 32 636.
pub(crate) const ZERO_DBM0_PEAK: f64 = 22_657.0;

/// A digit found in the audio, located in samples since the first one pushed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InbandDigit {
    pub digit: Digit,
    /// First sample of the first window that held the tone.
    pub start_sample: u64,
    /// One past the last sample of the last window that held it.
    pub end_sample: u64,
}

#[derive(Debug, Clone, Copy)]
struct Sounding {
    digit: Digit,
    start: u64,
    misses: u32,
    end: u64,
}

/// DTMF detector for one mono stream of linear PCM.
#[derive(Debug)]
pub struct InbandDetector {
    /// Goertzel coefficients: rows, columns, then column second harmonics.
    coeffs: [f64; 12],
    window: Vec<i16>,
    window_len: usize,
    hop: usize,
    /// Index of the first sample of `window`.
    window_start: u64,
    /// A digit seen in the last windows, not yet long enough: (digit, first
    /// window's start, windows so far).
    candidate: Option<(Digit, u64, u32)>,
    sounding: Option<Sounding>,
}

impl InbandDetector {
    pub fn new(sample_rate: u32) -> Self {
        let window_len = (WINDOW_AT_8K * sample_rate as usize / 8000).max(2);
        let hz = ROW_HZ.iter().chain(&COL_HZ).copied().chain(COL_HZ.iter().map(|f| 2.0 * f));
        let mut coeffs = [0.0; 12];
        for (c, f) in coeffs.iter_mut().zip(hz) {
            *c = 2.0 * (std::f64::consts::TAU * f / f64::from(sample_rate)).cos();
        }
        Self {
            coeffs,
            window: Vec::with_capacity(window_len),
            window_len,
            hop: window_len / 2,
            window_start: 0,
            candidate: None,
            sounding: None,
        }
    }

    /// Takes the next samples; returns the digits that ended within them.
    pub fn push(&mut self, mut samples: &[i16]) -> Vec<InbandDigit> {
        let mut ended = Vec::new();
        while !samples.is_empty() {
            let take = (self.window_len - self.window.len()).min(samples.len());
            self.window.extend_from_slice(&samples[..take]);
            samples = &samples[take..];
            if self.window.len() == self.window_len {
                let found = self.classify();
                ended.extend(self.advance(found));
                self.window.drain(..self.hop);
                self.window_start += self.hop as u64;
            }
        }
        ended
    }

    /// The digit sounding now, once it has lasted long enough to count.
    pub fn current(&self) -> Option<Digit> {
        self.sounding.map(|s| s.digit)
    }

    /// Ends the stream: a digit still sounding is reported.
    pub fn finish(&mut self) -> Option<InbandDigit> {
        let s = self.sounding.take()?;
        self.candidate = None;
        Some(InbandDigit { digit: s.digit, start_sample: s.start, end_sample: s.end })
    }

    fn advance(&mut self, found: Option<Digit>) -> Option<InbandDigit> {
        let (start, end) = (self.window_start, self.window_start + self.window_len as u64);
        if let Some(s) = &mut self.sounding {
            if found == Some(s.digit) {
                s.misses = 0;
                s.end = end;
                return None;
            }
            s.misses += 1;
            if s.misses < MISSES_TO_END {
                return None;
            }
            // Counting for the next digit starts after the gap.
            return self.finish();
        }
        self.candidate = match (found, self.candidate) {
            (Some(d), Some((c, first, hits))) if d == c => Some((d, first, hits + 1)),
            (Some(d), _) => Some((d, start, 1)),
            (None, _) => None,
        };
        if let Some((digit, first, hits)) = self.candidate
            && hits >= HITS_TO_BEGIN
        {
            self.sounding = Some(Sounding { digit, start: first, misses: 0, end });
            self.candidate = None;
        }
        None
    }

    /// The digit the current window holds, if it passes every check.
    fn classify(&self) -> Option<Digit> {
        let n = self.window.len() as f64;
        let energy: f64 = self.window.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
        if energy == 0.0 {
            return None;
        }
        // Mean power of the sine at each frequency: |X|² · 2 / N².
        let mut power = [0.0; 12];
        for (p, &coeff) in power.iter_mut().zip(&self.coeffs) {
            *p = goertzel(&self.window, coeff) * 2.0 / (n * n);
        }
        let (row, row_p) = strongest(&power[0..4]);
        let (col, col_p) = strongest(&power[4..8]);

        let min_power = mean_power_dbm0(MIN_TONE_DBM0);
        let twist_ok =
            if col_p >= row_p { col_p <= row_p * db(FORWARD_TWIST_DB) } else { row_p <= col_p * db(REVERSE_TWIST_DB) };
        let dominant = |group: &[f64], peak: usize| {
            group.iter().enumerate().all(|(i, &p)| i == peak || p * db(GROUP_DOMINANCE_DB) <= group[peak])
        };
        let ok = row_p >= min_power
            && col_p >= min_power
            && twist_ok
            && dominant(&power[0..4], row)
            && dominant(&power[4..8], col)
            && row_p + col_p >= MIN_TONE_SHARE * energy / n
            && power[8 + col] * db(COL_HARMONIC_DB) <= col_p;
        ok.then_some(KEYPAD[row][col])
    }
}

/// Squared magnitude of the DFT of `x` at the frequency of `coeff`.
fn goertzel(x: &[i16], coeff: f64) -> f64 {
    let (mut s1, mut s2) = (0.0, 0.0);
    for &sample in x {
        let s = f64::from(sample) + coeff * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    s1 * s1 + s2 * s2 - coeff * s1 * s2
}

fn strongest(group: &[f64]) -> (usize, f64) {
    group.iter().copied().enumerate().fold((0, f64::MIN), |best, (i, p)| if p > best.1 { (i, p) } else { best })
}

/// Power ratio of `decibels`.
fn db(decibels: f64) -> f64 {
    10f64.powf(decibels / 10.0)
}

/// Mean power of a sine at `level` dBm0, in squared 16-bit sample units.
fn mean_power_dbm0(level: f64) -> f64 {
    ZERO_DBM0_PEAK * ZERO_DBM0_PEAK / 2.0 * db(level)
}
