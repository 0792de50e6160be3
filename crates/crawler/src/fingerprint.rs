//! Recognising a prompt heard before, from its audio alone.
//!
//! The crawler dials the same IVR many times and hears the same recorded
//! prompts. A [`Fingerprint`] is a compact print of a prompt's audio, in the
//! manner of Haitsma and Kalker: the audio is cut into overlapping frames,
//! each frame's energy is measured in log-spaced bands across the telephone
//! band, and each frame gives one bit per pair of adjacent bands — whether
//! the energy difference between the two bands grew or shrank since the
//! previous frame. Such bits survive what the telephone network does to a
//! prompt: G.711 quantisation, a few lost packets, a level change, and a
//! voice-activity detector that cuts the prompt a little earlier or later.
//!
//! [`similarity`] slides one print along the other and keeps the best
//! alignment; [`matches`] compares it with a threshold measured on recorded
//! prompts, and [`PromptCache`] finds the value (a transcript, say) stored
//! for a prompt heard before.

use serde::{Deserialize, Serialize};

/// Frame length: long frames that overlap much make neighbouring frames
/// alike, so prints still line up when a segment starts between two hops.
const FRAME_MS: u32 = 64;
/// Hop between frames.
const HOP_MS: u32 = 8;
/// Frames per second of audio.
const FRAMES_PER_SECOND: usize = (1000 / HOP_MS) as usize;
/// Energy bands between `LOWEST_HZ` and `HIGHEST_HZ`; one bit per adjacent pair.
const BANDS: usize = 17;
/// Bits per frame.
const BITS_PER_FRAME: usize = BANDS - 1;
const LOWEST_HZ: f64 = 300.0;
const HIGHEST_HZ: f64 = 3400.0;
/// How far apart two prints may start and still be aligned, in frames (1 s).
const MAX_OFFSET_FRAMES: usize = FRAMES_PER_SECOND;
/// Overlap needed to compare two prints (1 s), unless the shorter is shorter.
const MIN_OVERLAP_FRAMES: usize = FRAMES_PER_SECOND;
/// How much of that overlap may be missing (200 ms): the quiet ends of two
/// cuts of one prompt are trimmed a little differently.
const OVERLAP_SLACK_FRAMES: usize = FRAMES_PER_SECOND / 5;
/// A print of less than half a second of audio (frames of 64 ms every
/// 8 ms) is never compared.
const MIN_PRINT_FRAMES: usize = ((500 - FRAME_MS) / HOP_MS) as usize;
/// Frames this far below the loudest at either end of a segment are silence.
const QUIET_BELOW_PEAK_DB: f64 = 50.0;

/// The similarity from which two prints are the same prompt.
///
/// Measured on Debian's recorded Asterisk prompts (`asterisk-core-sounds-en-wav`,
/// 8 kHz; `tests/fingerprint_prompts.rs`, run with `--nocapture`). The same
/// prompt after a μ-law round trip, cut 13 to 280 ms late or 120 to 280 ms
/// early, with 2 % of its 20 ms packets lost, its last 30 % cut off, or line
/// noise at -50 dBFS:
///
/// - 25 prompts of 0.9 to 12 s (the two longer ones cut there), 275 pairs:
///   min 0.832, median 0.959;
/// - the ten spoken digits, 94 pairs still half a second long: min 0.784,
///   median 0.923 (the 16 cuts left shorter are not compared at all).
///
/// Different prompts, one clean and one μ-law, 120 ms late:
///
/// - 300 pairs of the 25 prompts: max 0.586, median 0.543;
/// - 45 pairs of digits, the hardest case (short, one voice, alike in
///   length): max 0.645 ("one" against "five"), median 0.557.
///
/// Unrelated audio scores about 0.5 plus what the search over 250 offsets
/// adds; 0.72 sits between the closest different pair and the farthest same
/// pair with a margin of about 0.07 on either side. Two files that hold the
/// same take of the same words (`auth-thankyou`, `privacy-thankyou`) score
/// 0.99 and match, as they should: to a caller they are the same prompt;
/// another take of "thank you" (`queue-thankyou`) scores 0.59.
pub const MATCH_THRESHOLD: f32 = 0.72;

/// Why bytes are not a fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FingerprintError {
    /// The bytes do not start with the fingerprint header.
    #[error("not a fingerprint: bad header")]
    BadHeader,
    /// The header names a layout this version does not read.
    #[error("fingerprint version {0} is not supported")]
    UnsupportedVersion(u8),
    /// The frames do not fill the bytes the header announces.
    #[error("fingerprint truncated: {expected} frame bytes announced, {found} present")]
    Truncated {
        /// Bytes the header announces.
        expected: usize,
        /// Bytes present after the header.
        found: usize,
    },
}

/// A compact print of a stretch of audio: a frame every 8 ms, with one bit
/// per pair of adjacent energy bands, or marked quiet (a pause inside the
/// prompt, left out of comparisons).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// The band bits of each frame, and [`QUIET`] on frames that are
    /// silence inside the prompt (pauses between words or sentences).
    frames: Vec<u32>,
}

/// Marks a frame of silence: its bits are noise (or nothing at all on a
/// digital-silence original and μ-law hiss on the line), so it is left out
/// of comparisons.
const QUIET: u32 = 1 << 16;

const MAGIC: &[u8; 4] = b"VXFP";
const VERSION: u8 = 2;
const HEADER_LEN: usize = MAGIC.len() + 1 + 4;

impl Fingerprint {
    /// Number of frames (one per 8 ms of audible audio).
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    /// True when the audio was too short for a single frame.
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// Length of the audible audio printed, in milliseconds (to within a hop).
    pub fn duration_ms(&self) -> u32 {
        if self.frames.is_empty() {
            return 0;
        }
        u32::try_from(self.frames.len()).unwrap_or(u32::MAX).saturating_mul(HOP_MS).saturating_add(FRAME_MS)
    }

    /// True when the print holds enough audio (half a second, quiet ends
    /// trimmed) to be compared at all; [`similarity`] is 0 otherwise.
    pub fn is_comparable(&self) -> bool {
        self.frames.len() >= MIN_PRINT_FRAMES
    }

    /// The print as bytes: `VXFP`, a version byte, the frame count (u32
    /// little-endian), each frame's band bits (u16 little-endian), then one
    /// bit per frame, eight to a byte, set on quiet frames: about 270 bytes
    /// a second of audio.
    pub fn to_bytes(&self) -> Vec<u8> {
        let count = self.frames.len().min(u32::MAX as usize);
        let frames = &self.frames[..count];
        let mut bytes = Vec::with_capacity(HEADER_LEN + frame_bytes(count));
        bytes.extend_from_slice(MAGIC);
        bytes.push(VERSION);
        bytes.extend_from_slice(&(count as u32).to_le_bytes());
        for frame in frames {
            bytes.extend_from_slice(&((frame & !QUIET) as u16).to_le_bytes());
        }
        for eight in frames.chunks(8) {
            let quiet = eight.iter().enumerate().filter(|(_, f)| *f & QUIET != 0).fold(0u8, |acc, (i, _)| acc | 1 << i);
            bytes.push(quiet);
        }
        bytes
    }

    /// A print written by [`Fingerprint::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, FingerprintError> {
        let (magic, rest) = bytes.split_at_checked(MAGIC.len()).ok_or(FingerprintError::BadHeader)?;
        if magic != MAGIC {
            return Err(FingerprintError::BadHeader);
        }
        let (&version, rest) = rest.split_first().ok_or(FingerprintError::BadHeader)?;
        if version != VERSION {
            return Err(FingerprintError::UnsupportedVersion(version));
        }
        let (count, body) = rest.split_first_chunk::<4>().ok_or(FingerprintError::BadHeader)?;
        let count = u32::from_le_bytes(*count) as usize;
        let expected = frame_bytes(count);
        if body.len() != expected {
            return Err(FingerprintError::Truncated { expected, found: body.len() });
        }
        let (bits, quiet) = body.split_at(2 * count);
        let frames = bits
            .chunks_exact(2)
            .enumerate()
            .map(|(i, pair)| {
                let is_quiet = quiet[i / 8] & (1 << (i % 8)) != 0;
                u32::from(u16::from_le_bytes([pair[0], pair[1]])) | if is_quiet { QUIET } else { 0 }
            })
            .collect();
        Ok(Fingerprint { frames })
    }
}

/// Bytes after the header for `count` frames: two per frame, one per eight.
fn frame_bytes(count: usize) -> usize {
    2 * count + count.div_ceil(8)
}

/// The print of mono PCM at `sample_rate` (8000 or 16000 Hz; other rates
/// are printed with frames of the nearest power-of-two length and are only
/// comparable with prints of the same rate).
pub fn fingerprint(pcm: &[i16], sample_rate: u32) -> Fingerprint {
    let analyser = BandAnalyser::new(sample_rate);
    let energies: Vec<[f64; BANDS]> =
        pcm.windows(analyser.frame_len).step_by(analyser.hop_len).map(|frame| analyser.band_energies(frame)).collect();
    let (audible, floor) = audible_frames(&energies);
    let frames = audible
        .windows(2)
        .map(|pair| if pair[1].iter().sum::<f64>() > floor { frame_bits(&pair[0], &pair[1]) } else { QUIET })
        .collect();
    Fingerprint { frames }
}

/// The frames from the first to the last that is no more than
/// `QUIET_BELOW_PEAK_DB` below the loudest: the silence a voice-activity
/// detector leaves around a prompt, more or less of it from one call to the
/// next, is not printed.
/// Also returns the energy below which a frame is silence.
fn audible_frames(energies: &[[f64; BANDS]]) -> (&[[f64; BANDS]], f64) {
    let totals: Vec<f64> = energies.iter().map(|bands| bands.iter().sum()).collect();
    let peak = totals.iter().copied().fold(0.0, f64::max);
    let floor = peak * 10f64.powf(-QUIET_BELOW_PEAK_DB / 10.0);
    let is_audible = |total: &f64| *total > floor && *total > 0.0;
    match (totals.iter().position(is_audible), totals.iter().rposition(is_audible)) {
        (Some(first), Some(last)) => (&energies[first..=last], floor),
        _ => (&[], floor),
    }
}

/// Bit `m` is set when the energy difference between bands `m` and `m + 1`
/// grew since the previous frame.
fn frame_bits(previous: &[f64; BANDS], current: &[f64; BANDS]) -> u32 {
    let mut bits = 0u32;
    for band in 0..BITS_PER_FRAME {
        let now = current[band] - current[band + 1];
        let before = previous[band] - previous[band + 1];
        if now - before > 0.0 {
            bits |= 1 << band;
        }
    }
    bits
}

/// How alike two prints are, from 0 to 1: one minus the bit error rate of
/// their best alignment, over offsets up to one second either way. Prints
/// must overlap by about one second, or by about the whole of the shorter
/// when it is shorter than that (200 ms less in both cases, never under half
/// a second); a print under half a second, or prints that cannot overlap
/// that much, give 0.
pub fn similarity(a: &Fingerprint, b: &Fingerprint) -> f32 {
    if !a.is_comparable() || !b.is_comparable() {
        return 0.0;
    }
    let shorter = a.len().min(b.len());
    let min_overlap = shorter.min(MIN_OVERLAP_FRAMES).saturating_sub(OVERLAP_SLACK_FRAMES).max(MIN_PRINT_FRAMES);
    let max_offset = MAX_OFFSET_FRAMES as isize;
    let best_errors = (-max_offset..=max_offset)
        .filter_map(|offset| bit_error_rate(&a.frames, &b.frames, offset, min_overlap))
        .fold(f64::INFINITY, f64::min);
    if best_errors.is_finite() { (1.0 - best_errors) as f32 } else { 0.0 }
}

/// Bit error rate of `b` shifted by `offset` frames against `a` (frame `i`
/// of `a` against frame `i - offset` of `b`) over the frames where both
/// are sound, or `None` when they overlap by fewer than `min_overlap`
/// frames.
fn bit_error_rate(a: &[u32], b: &[u32], offset: isize, min_overlap: usize) -> Option<f64> {
    let a_start = offset.max(0).unsigned_abs();
    let b_start = (-offset).max(0).unsigned_abs();
    let a_rest = a.get(a_start..)?;
    let b_rest = b.get(b_start..)?;
    let overlap = a_rest.len().min(b_rest.len());
    if overlap < min_overlap || overlap == 0 {
        return None;
    }
    let (mut errors, mut compared) = (0u32, 0usize);
    for (x, y) in a_rest.iter().zip(b_rest) {
        if (x | y) & QUIET == 0 {
            errors += (x ^ y).count_ones();
            compared += 1;
        }
    }
    // Too little sound on both sides to say anything.
    if compared < MIN_PRINT_FRAMES / 2 {
        return Some(0.5);
    }
    Some(f64::from(errors) / (compared * BITS_PER_FRAME) as f64)
}

/// True when the two prints are of the same prompt (see [`MATCH_THRESHOLD`]).
pub fn matches(a: &Fingerprint, b: &Fingerprint) -> bool {
    similarity(a, b) >= MATCH_THRESHOLD
}

/// Prompts heard so far, each with a value (its transcript, say).
#[derive(Debug, Clone)]
pub struct PromptCache<T> {
    entries: Vec<(Fingerprint, T)>,
}

impl<T> Default for PromptCache<T> {
    fn default() -> Self {
        PromptCache { entries: Vec::new() }
    }
}

impl<T> PromptCache<T> {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Remembers a prompt's print with its value.
    pub fn insert(&mut self, print: Fingerprint, value: T) {
        self.entries.push((print, value));
    }

    /// The value of the prompt most like `print`, if it [`matches`].
    pub fn find(&self, print: &Fingerprint) -> Option<&T> {
        self.entries
            .iter()
            .map(|(known, value)| (similarity(known, print), value))
            .filter(|(score, _)| *score >= MATCH_THRESHOLD)
            .max_by(|x, y| x.0.total_cmp(&y.0))
            .map(|(_, value)| value)
    }

    /// Number of prompts remembered.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no prompt is remembered.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Measures band energies of frames of one sample rate: a Hann window, a
/// radix-2 FFT, and the power summed over each band's bins.
struct BandAnalyser {
    frame_len: usize,
    hop_len: usize,
    window: Vec<f64>,
    fft: RealFft,
    /// For each band, the range of FFT bins it sums.
    band_bins: Vec<(usize, usize)>,
}

impl BandAnalyser {
    fn new(sample_rate: u32) -> Self {
        let rate = sample_rate.max(1000);
        let frame_len = (rate as usize * FRAME_MS as usize / 1000).next_power_of_two();
        let hop_len = (rate as usize * HOP_MS as usize / 1000).max(1);
        let window = hann_window(frame_len);
        let band_bins = band_bins(frame_len, f64::from(rate));
        BandAnalyser { frame_len, hop_len, window, fft: RealFft::new(frame_len), band_bins }
    }

    fn band_energies(&self, frame: &[i16]) -> [f64; BANDS] {
        let windowed: Vec<f64> = frame.iter().zip(&self.window).map(|(s, w)| f64::from(*s) * w).collect();
        let power = self.fft.power_spectrum(&windowed);
        let mut energies = [0.0; BANDS];
        for (energy, &(low, high)) in energies.iter_mut().zip(&self.band_bins) {
            *energy = power.get(low..high).map_or(0.0, |bins| bins.iter().sum());
        }
        energies
    }
}

fn hann_window(len: usize) -> Vec<f64> {
    let n = len as f64;
    (0..len).map(|i| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / n).cos()).collect()
}

/// Bin ranges of `BANDS` log-spaced bands from `LOWEST_HZ` to `HIGHEST_HZ`;
/// every band has at least one bin.
fn band_bins(fft_len: usize, sample_rate: f64) -> Vec<(usize, usize)> {
    let bin_hz = sample_rate / fft_len as f64;
    let ratio = (HIGHEST_HZ / LOWEST_HZ).powf(1.0 / BANDS as f64);
    let edge_bin = |band: usize| (LOWEST_HZ * ratio.powi(band as i32) / bin_hz).round() as usize;
    (0..BANDS)
        .map(|band| {
            let low = edge_bin(band);
            (low, edge_bin(band + 1).max(low + 1))
        })
        .collect()
}

/// The power spectrum of real frames of one power-of-two length, through a
/// complex FFT of half that length (even samples as the real part, odd
/// samples as the imaginary part, untangled afterwards).
struct RealFft {
    half: Fft,
    /// `exp(-2πik/len)` for `k < len / 2`.
    twiddles: Vec<(f64, f64)>,
}

impl RealFft {
    fn new(len: usize) -> Self {
        let len = len.max(2);
        RealFft { half: Fft::new(len / 2), twiddles: twiddles(len) }
    }

    /// `|X(k)|²` for `k < len / 2`.
    fn power_spectrum(&self, samples: &[f64]) -> Vec<f64> {
        let half = self.half.len;
        let mut re: Vec<f64> = samples.iter().step_by(2).copied().chain(std::iter::repeat(0.0)).take(half).collect();
        let mut im: Vec<f64> =
            samples.iter().skip(1).step_by(2).copied().chain(std::iter::repeat(0.0)).take(half).collect();
        self.half.transform(&mut re, &mut im);
        (0..half)
            .map(|k| {
                let mirror = (half - k) % half;
                // Z(k) and the conjugate of Z(half - k).
                let (zr, zi) = (re[k], im[k]);
                let (cr, ci) = (re[mirror], -im[mirror]);
                let (even_r, even_i) = ((zr + cr) / 2.0, (zi + ci) / 2.0);
                let (odd_r, odd_i) = ((zi - ci) / 2.0, -(zr - cr) / 2.0);
                let (wr, wi) = self.twiddles[k];
                let x_r = even_r + wr * odd_r - wi * odd_i;
                let x_i = even_i + wr * odd_i + wi * odd_r;
                x_r * x_r + x_i * x_i
            })
            .collect()
    }
}

/// `exp(-2πik/len)` for `k < len / 2`.
fn twiddles(len: usize) -> Vec<(f64, f64)> {
    (0..len / 2)
        .map(|k| {
            let angle = -2.0 * std::f64::consts::PI * k as f64 / len as f64;
            (angle.cos(), angle.sin())
        })
        .collect()
}

/// An in-place iterative radix-2 FFT of one power-of-two length.
struct Fft {
    len: usize,
    /// `exp(-2πik/len)` for `k < len / 2`.
    twiddles: Vec<(f64, f64)>,
}

impl Fft {
    fn new(len: usize) -> Self {
        Fft { len, twiddles: twiddles(len) }
    }

    fn transform(&self, re: &mut [f64], im: &mut [f64]) {
        self.bit_reverse(re, im);
        let mut size = 2;
        while size <= self.len {
            let half = size / 2;
            let stride = self.len / size;
            for start in (0..self.len).step_by(size) {
                for k in 0..half {
                    let (wr, wi) = self.twiddles[k * stride];
                    let (i, j) = (start + k, start + k + half);
                    let tr = re[j] * wr - im[j] * wi;
                    let ti = re[j] * wi + im[j] * wr;
                    re[j] = re[i] - tr;
                    im[j] = im[i] - ti;
                    re[i] += tr;
                    im[i] += ti;
                }
            }
            size *= 2;
        }
    }

    fn bit_reverse(&self, re: &mut [f64], im: &mut [f64]) {
        let bits = self.len.trailing_zeros();
        if bits == 0 {
            return;
        }
        for i in 0..self.len {
            let j = i.reverse_bits() >> (usize::BITS - bits);
            if j > i {
                re.swap(i, j);
                im.swap(i, j);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(freq: f64, rate: u32, ms: u32) -> Vec<i16> {
        let n = (rate * ms / 1000) as usize;
        (0..n)
            .map(|i| (8000.0 * (2.0 * std::f64::consts::PI * freq * i as f64 / f64::from(rate)).sin()) as i16)
            .collect()
    }

    #[test]
    fn fft_finds_a_tone_in_its_bin() {
        let fft = Fft::new(64);
        let mut re: Vec<f64> = (0..64).map(|i| (2.0 * std::f64::consts::PI * 5.0 * i as f64 / 64.0).cos()).collect();
        let mut im = vec![0.0; 64];
        fft.transform(&mut re, &mut im);
        let power: Vec<f64> = re.iter().zip(&im).map(|(r, i)| r * r + i * i).collect();
        let peak = (0..32).max_by(|a, b| power[*a].total_cmp(&power[*b])).unwrap();
        assert_eq!(peak, 5);
        assert!((power[5].sqrt() - 32.0).abs() < 1e-9);
        assert!(power[7] < 1e-9);
    }

    #[test]
    fn real_fft_agrees_with_a_plain_dft() {
        let len = 64;
        let samples: Vec<f64> =
            (0..len).map(|i| ((i * 37 % 23) as f64 - 11.0) * 0.5 + (i as f64 * 0.3).sin()).collect();
        let power = RealFft::new(len).power_spectrum(&samples);
        for (k, got) in power.iter().enumerate() {
            let (mut re, mut im) = (0.0, 0.0);
            for (n, x) in samples.iter().enumerate() {
                let angle = -2.0 * std::f64::consts::PI * (k * n) as f64 / len as f64;
                re += x * angle.cos();
                im += x * angle.sin();
            }
            let want = re * re + im * im;
            assert!((got - want).abs() < 1e-6 * want.max(1.0), "bin {k}: {got} vs {want}");
        }
    }

    #[test]
    fn bands_cover_the_telephone_band_in_order() {
        let bins = band_bins(512, 8000.0);
        assert_eq!(bins.len(), BANDS);
        assert!(bins.windows(2).all(|pair| pair[0].1 <= pair[1].1 && pair[0].0 < pair[1].0));
        assert!(bins.iter().all(|(low, high)| low < high));
        assert_eq!(bins[0].0, (300.0f64 / 15.625).round() as usize);
    }

    #[test]
    fn one_frame_every_eight_milliseconds() {
        let print = fingerprint(&tone(440.0, 8000, 2000), 8000);
        // (16000 - 512) / 64 + 1 energy frames, one fewer bit frame.
        assert_eq!(print.len(), (16000 - 512) / 64);
        let wide = fingerprint(&tone(440.0, 16000, 2000), 16000);
        assert_eq!(wide.len(), print.len());
    }

    #[test]
    fn a_print_is_identical_to_itself() {
        let pcm: Vec<i16> = (0..16000).map(|i| ((i * 7919) % 20000) as i16 - 10000).collect();
        let print = fingerprint(&pcm, 8000);
        assert_eq!(similarity(&print, &print), 1.0);
        assert!(matches(&print, &print));
    }

    #[test]
    fn short_prints_are_not_compared() {
        let short = fingerprint(&tone(440.0, 8000, 400), 8000);
        assert_eq!(similarity(&short, &short), 0.0);
        let empty = fingerprint(&[], 8000);
        assert!(empty.is_empty());
        assert_eq!(similarity(&empty, &empty), 0.0);
    }

    #[test]
    fn bytes_round_trip() {
        let pcm: Vec<i16> = (0..8000).map(|i| ((i * 31) % 3000) as i16).collect();
        let print = fingerprint(&pcm, 8000);
        let bytes = print.to_bytes();
        assert_eq!(bytes.len(), HEADER_LEN + 2 * print.len() + print.len().div_ceil(8));
        assert_eq!(Fingerprint::from_bytes(&bytes), Ok(print));
    }

    #[test]
    fn quiet_frames_survive_bytes() {
        let mut pcm: Vec<i16> = (0..8000).map(|i| ((i * 31) % 3000) as i16).collect();
        pcm.extend(std::iter::repeat_n(0, 4000));
        pcm.extend((0..8000).map(|i| ((i * 17) % 2000) as i16));
        let print = fingerprint(&pcm, 8000);
        assert!(print.frames.iter().any(|f| f & QUIET != 0));
        assert_eq!(Fingerprint::from_bytes(&print.to_bytes()), Ok(print));
    }

    #[test]
    fn bad_bytes_are_refused() {
        assert_eq!(Fingerprint::from_bytes(b"nope"), Err(FingerprintError::BadHeader));
        assert_eq!(Fingerprint::from_bytes(b"VXFP\x09\0\0\0\0"), Err(FingerprintError::UnsupportedVersion(9)));
        assert_eq!(
            Fingerprint::from_bytes(b"VXFP\x02\x02\0\0\0\x01\x00"),
            Err(FingerprintError::Truncated { expected: 5, found: 2 })
        );
        assert_eq!(Fingerprint::from_bytes(b"VXFP\x02\0\0"), Err(FingerprintError::BadHeader));
    }

    #[test]
    fn cache_finds_only_what_matches() {
        let a: Vec<i16> = (0..16000).map(|i| ((i * 7919) % 20000) as i16 - 10000).collect();
        let b: Vec<i16> = (0..16000).map(|i| ((i * 104_729) % 17000) as i16 - 8500).collect();
        let mut cache = PromptCache::new();
        assert!(cache.is_empty());
        cache.insert(fingerprint(&a, 8000), "a");
        assert_eq!(cache.len(), 1);
        assert_eq!(cache.find(&fingerprint(&a, 8000)), Some(&"a"));
        assert_eq!(cache.find(&fingerprint(&b, 8000)), None);
    }
}
