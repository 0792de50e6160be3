//! Sample-rate conversion with rubato's synchronous FFT resampler.
//!
//! Telephony rates (8, 16, 48 kHz) are fixed, exact ratios of each other,
//! so rubato's `Fft` resampler fits: it is the fastest of its high-quality
//! resamplers and, with `FixedSync::Both`, turns every input frame into
//! exactly one output frame of the same duration — what an RTP path needs,
//! since each packet in must become one packet out. The cost is a delay of
//! half a frame (10 ms for 20 ms frames), reported by [`Resampler::delay`].
//!
//! Samples go in and out as `i16` through audioadapter's converting
//! wrappers, so no per-frame float scratch buffers are needed.

use rubato::audioadapter_buffers::SizeError;
use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::audioadapter_buffers::number_to_float::InterleavedNumbers;
use rubato::{Fft, FixedSync, Resampler as _};

use super::AudioError;

/// A streaming mono resampler for fixed-duration frames.
///
/// Each [`process`](Resampler::process) call takes exactly
/// [`input_len`](Resampler::input_len) samples and writes exactly
/// [`output_len`](Resampler::output_len); nothing is allocated after
/// construction.
pub struct Resampler {
    inner: Fft<f32>,
    from_rate: u32,
    to_rate: u32,
    input_len: usize,
    output_len: usize,
}

impl std::fmt::Debug for Resampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resampler")
            .field("from_rate", &self.from_rate)
            .field("to_rate", &self.to_rate)
            .field("input_len", &self.input_len)
            .field("output_len", &self.output_len)
            .finish()
    }
}

impl Resampler {
    /// A resampler from `from_rate` to `to_rate` for frames of `frame_ms`
    /// (e.g. 8000 → 48000 with 20 ms: 160 samples in, 960 out).
    pub fn new(from_rate: u32, to_rate: u32, frame_ms: u32) -> Result<Resampler, AudioError> {
        let input_len = samples_per_frame(from_rate, frame_ms)?;
        let output_len = samples_per_frame(to_rate, frame_ms)?;
        let inner = Fft::<f32>::new(from_rate as usize, to_rate as usize, input_len, 1, FixedSync::Both)?;
        // With `Both`, rubato rounds the chunk to a whole number of its
        // minimum blocks; a frame rubato cannot honour exactly is refused
        // rather than silently drifting against the RTP clock.
        if inner.input_frames_next() != input_len || inner.output_frames_next() != output_len {
            return Err(AudioError::UnsupportedFrame { rate: from_rate, frame_ms });
        }
        Ok(Resampler { inner, from_rate, to_rate, input_len, output_len })
    }

    /// Samples per input frame.
    pub fn input_len(&self) -> usize {
        self.input_len
    }

    /// Samples per output frame.
    pub fn output_len(&self) -> usize {
        self.output_len
    }

    pub fn from_rate(&self) -> u32 {
        self.from_rate
    }

    pub fn to_rate(&self) -> u32 {
        self.to_rate
    }

    /// How many output samples a sound is delayed by.
    pub fn delay(&self) -> usize {
        self.inner.output_delay()
    }

    /// Resamples one frame into `output`; returns the samples written
    /// (always [`output_len`](Resampler::output_len)).
    pub fn process(&mut self, input: &[i16], output: &mut [i16]) -> Result<usize, AudioError> {
        if input.len() != self.input_len {
            return Err(AudioError::FrameSize { expected: self.input_len, got: input.len() });
        }
        if output.len() < self.output_len {
            return Err(AudioError::BufferTooSmall { needed: self.output_len, got: output.len() });
        }
        let input = InterleavedNumbers::<&[i16], f32>::new(input, 1, self.input_len).map_err(size_error)?;
        let mut output =
            InterleavedNumbers::<&mut [i16], f32>::new_mut(&mut output[..self.output_len], 1, self.output_len)
                .map_err(size_error)?;
        let (_, written) = self.inner.process_into_buffer(&input, &mut output, None)?;
        Ok(written)
    }

    /// Forgets the audio of the previous frames (e.g. after a long gap).
    pub fn reset(&mut self) {
        self.inner.reset();
    }
}

/// Resamples a whole mono clip; the output is aligned with the input (no
/// leading delay) and `ceil(len × to / from)` samples long.
pub fn resample(samples: &[i16], from_rate: u32, to_rate: u32) -> Result<Vec<i16>, AudioError> {
    let floats: Vec<f32> = samples.iter().map(|&s| f32::from(s) / 32768.0).collect();
    Ok(resample_f32(&floats, from_rate, to_rate)?.into_iter().map(float_to_i16).collect())
}

/// [`resample`] on floats in [-1, 1], so WAV loading quantises only once.
pub(crate) fn resample_f32(samples: &[f32], from_rate: u32, to_rate: u32) -> Result<Vec<f32>, AudioError> {
    for rate in [from_rate, to_rate] {
        if rate == 0 {
            return Err(AudioError::UnsupportedRate(rate));
        }
    }
    if from_rate == to_rate || samples.is_empty() {
        return Ok(samples.to_vec());
    }
    let mut fft = Fft::<f32>::new(from_rate as usize, to_rate as usize, 1024, 1, FixedSync::Input)?;
    let input = InterleavedSlice::new(samples, 1, samples.len()).map_err(size_error)?;
    Ok(fft.process_all(&input, samples.len(), None)?.take_data())
}

/// Rounds and saturates a float sample in [-1, 1] to `i16`.
pub(crate) fn float_to_i16(sample: f32) -> i16 {
    (sample * 32768.0).round().clamp(f32::from(i16::MIN), f32::from(i16::MAX)) as i16
}

fn samples_per_frame(rate: u32, frame_ms: u32) -> Result<usize, AudioError> {
    if rate == 0 {
        return Err(AudioError::UnsupportedRate(rate));
    }
    let scaled = u64::from(rate) * u64::from(frame_ms);
    if frame_ms == 0 || scaled % 1000 != 0 {
        return Err(AudioError::UnsupportedFrame { rate, frame_ms });
    }
    Ok((scaled / 1000) as usize)
}

/// The adapters wrap slices whose lengths were checked just before, so
/// this cannot happen in practice; it maps to the error a short buffer gets.
fn size_error(err: SizeError) -> AudioError {
    let (got, needed) = match err {
        SizeError::ChannelsContainer { actual, required }
        | SizeError::FramesContainer { actual, required }
        | SizeError::ChannelBuffer { actual, required, .. }
        | SizeError::FrameBuffer { actual, required, .. }
        | SizeError::Total { actual, required }
        | SizeError::Mask { actual, required } => (actual, required),
    };
    AudioError::BufferTooSmall { needed, got }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::test_signal::{dominant_frequency, rms, sine};

    /// Feeds `input` through `r` frame by frame, checking each frame's size.
    fn stream(r: &mut Resampler, input: &[i16]) -> Vec<i16> {
        let mut output = Vec::new();
        let mut frame = vec![0i16; r.output_len()];
        for chunk in input.chunks(r.input_len()) {
            let n = r.process(chunk, &mut frame).unwrap();
            assert_eq!(n, r.output_len());
            output.extend_from_slice(&frame[..n]);
        }
        output
    }

    #[test]
    fn tone_at_48k_keeps_pitch_and_level_at_8k() {
        let input = sine(1000.0, 48_000, 48_000, 0.5);
        let output = resample(&input, 48_000, 8000).unwrap();
        assert_eq!(output.len(), 8000);
        let freq = dominant_frequency(&output[800..7200], 8000);
        assert!((freq - 1000.0).abs() < 5.0, "{freq} Hz");
        let level = rms(&output[800..7200]) / rms(&input[4800..43_200]);
        assert!((level - 1.0).abs() < 0.05, "level ratio {level}");
    }

    #[test]
    fn streaming_frames_keep_pitch_and_level_every_direction() {
        for (from, to) in
            [(8000, 48_000), (48_000, 8000), (16_000, 48_000), (48_000, 16_000), (8000, 16_000), (16_000, 8000)]
        {
            let mut r = Resampler::new(from, to, 20).unwrap();
            assert_eq!((r.input_len(), r.output_len()), (from as usize / 50, to as usize / 50));
            let input = sine(1000.0, from, from as usize, 0.5); // one second
            let output = stream(&mut r, &input);
            assert_eq!(output.len(), to as usize);
            // Skip the startup delay and a margin before looking at the tone.
            let steady = &output[r.delay() + to as usize / 20..];
            let freq = dominant_frequency(steady, to);
            assert!((freq - 1000.0).abs() < 5.0, "{from}->{to}: {freq} Hz");
            let level = rms(steady) / rms(&input);
            assert!((level - 1.0).abs() < 0.05, "{from}->{to}: level ratio {level}");
        }
    }

    #[test]
    fn the_telephone_band_passes_48k_to_8k() {
        let mut r = Resampler::new(48_000, 8000, 20).unwrap();
        let input = sine(3400.0, 48_000, 48_000, 0.5);
        let output = stream(&mut r, &input);
        let level = rms(&output[800..]) / rms(&input);
        assert!(level > 0.89, "3.4 kHz down {:.1} dB", 20.0 * level.log10());
    }

    #[test]
    fn tones_above_the_new_nyquist_are_filtered_not_folded() {
        // 6 kHz at 48 kHz would fold to 2 kHz at 8 kHz without filtering.
        let mut r = Resampler::new(48_000, 8000, 20).unwrap();
        let input = sine(6000.0, 48_000, 48_000, 0.5);
        let output = stream(&mut r, &input);
        let leak = rms(&output[800..]) / rms(&input);
        assert!(leak < 0.01, "alias at {:.1} dB", 20.0 * leak.log10());
        let whole = resample(&input, 48_000, 8000).unwrap();
        let leak = rms(&whole[800..]) / rms(&input);
        assert!(leak < 0.01, "one-shot alias at {:.1} dB", 20.0 * leak.log10());
    }

    #[test]
    fn streaming_delay_is_half_a_frame() {
        let mut r = Resampler::new(8000, 48_000, 20).unwrap();
        assert_eq!(r.delay(), 480);
        // An impulse in the first frame comes out `delay` samples later.
        let mut input = vec![0i16; 160];
        input[10] = 20_000;
        let mut out = vec![0i16; 1920];
        r.process(&input, &mut out[..960]).unwrap();
        r.process(&[0; 160], &mut out[960..]).unwrap();
        let peak = (0..out.len()).max_by_key(|&i| out[i].unsigned_abs()).unwrap();
        assert!(peak.abs_diff(10 * 6 + r.delay()) <= 2, "peak at {peak}");
    }

    #[test]
    fn wrong_frame_and_short_output_are_errors() {
        let mut r = Resampler::new(8000, 16_000, 20).unwrap();
        let mut out = vec![0i16; 320];
        assert!(matches!(r.process(&[0; 159], &mut out), Err(AudioError::FrameSize { expected: 160, got: 159 })));
        assert!(matches!(r.process(&[0; 160], &mut out[..100]), Err(AudioError::BufferTooSmall { .. })));
        assert!(matches!(Resampler::new(8000, 44_100, 1), Err(AudioError::UnsupportedFrame { .. })));
        assert!(matches!(resample(&[1, 2], 0, 8000), Err(AudioError::UnsupportedRate(0))));
    }
}
