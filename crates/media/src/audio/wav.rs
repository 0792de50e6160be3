//! WAV files to and from mono 16-bit PCM.
//!
//! Prompts arrive in whatever format a recording tool produced: 8/16/24/32
//! bit integers or 32-bit float, mono or stereo, 8 to 48 kHz. Everything is
//! read into floats, channels are averaged (so a stereo file plays at the
//! same loudness), resampled once and quantised once to `i16`.

use std::io::Read;
use std::path::Path;

use hound::{SampleFormat, WavReader, WavSpec, WavWriter};

use super::AudioError;
use super::resample::{float_to_i16, resample_f32};

/// Loads the WAV file at `path` as mono `i16` at `target_rate`.
pub fn load_wav(path: &Path, target_rate: u32) -> Result<Vec<i16>, AudioError> {
    let file = std::fs::File::open(path)?;
    read_wav(std::io::BufReader::new(file), target_rate)
}

/// [`load_wav`] from any reader (a file, or bytes in memory).
pub fn read_wav<R: Read>(reader: R, target_rate: u32) -> Result<Vec<i16>, AudioError> {
    let (mono, rate) = read_mono_f32(reader)?;
    Ok(resample_f32(&mono, rate, target_rate)?.into_iter().map(float_to_i16).collect())
}

/// Writes mono 16-bit PCM to `path`.
pub fn write_wav(path: &Path, rate: u32, samples: &[i16]) -> Result<(), AudioError> {
    let spec = WavSpec { channels: 1, sample_rate: rate, bits_per_sample: 16, sample_format: SampleFormat::Int };
    let mut writer = WavWriter::create(path, spec)?;
    let mut samples_out = writer.get_i16_writer(samples.len() as u32);
    for &s in samples {
        samples_out.write_sample(s);
    }
    samples_out.flush()?;
    writer.finalize()?;
    Ok(())
}

/// The file's audio averaged to one channel, in [-1, 1], with its rate.
fn read_mono_f32<R: Read>(reader: R) -> Result<(Vec<f32>, u32), AudioError> {
    let mut reader = WavReader::new(reader)?;
    let spec = reader.spec();
    if spec.channels == 0 || spec.sample_rate == 0 {
        return Err(AudioError::BadWavSpec { channels: spec.channels, sample_rate: spec.sample_rate });
    }
    let interleaved: Vec<f32> = match spec.sample_format {
        SampleFormat::Float => reader.samples::<f32>().collect::<Result<_, _>>()?,
        SampleFormat::Int => {
            // hound hands back integers at their stored width (8-bit
            // unsigned already shifted to signed), so full scale is
            // 2^(bits-1) whatever the container.
            let full_scale = (1u64 << (spec.bits_per_sample.clamp(1, 32) - 1)) as f32;
            reader.samples::<i32>().map(|s| s.map(|s| s as f32 / full_scale)).collect::<Result<_, _>>()?
        }
    };
    let channels = usize::from(spec.channels);
    let mono = interleaved.chunks_exact(channels).map(|frame| frame.iter().sum::<f32>() / channels as f32).collect();
    Ok((mono, spec.sample_rate))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::test_signal::{dominant_frequency, rms, sine};
    use std::io::Cursor;

    /// A WAV in memory holding `frames` of a 440 Hz sine at `rate`, in the
    /// given format, on every channel (with the right channel inverted when
    /// `anti_phase`).
    fn wav_bytes(rate: u32, channels: u16, bits: u16, float: bool, frames: usize, anti_phase: bool) -> Vec<u8> {
        let spec = WavSpec {
            channels,
            sample_rate: rate,
            bits_per_sample: bits,
            sample_format: if float { SampleFormat::Float } else { SampleFormat::Int },
        };
        let mut out = Cursor::new(Vec::new());
        let mut writer = WavWriter::new(&mut out, spec).unwrap();
        for i in 0..frames {
            let x = 0.5 * (2.0 * std::f64::consts::PI * 440.0 * i as f64 / f64::from(rate)).sin();
            for ch in 0..channels {
                let x = if anti_phase && ch == 1 { -x } else { x };
                if float {
                    writer.write_sample(x as f32).unwrap();
                } else {
                    let full = f64::from(1u32 << (bits - 1));
                    writer.write_sample((x * full).round().clamp(-full, full - 1.0) as i32).unwrap();
                }
            }
        }
        writer.finalize().unwrap();
        out.into_inner()
    }

    #[test]
    fn every_common_format_loads_as_the_same_tone_at_8k() {
        let reference = sine(440.0, 8000, 8000, 0.5);
        for (rate, channels, bits, float) in [
            (8000, 1, 8, false),
            (8000, 1, 16, false),
            (16_000, 1, 16, false),
            (22_050, 2, 16, false),
            (44_100, 2, 24, false),
            (48_000, 1, 32, false),
            (48_000, 2, 32, true),
            (11_025, 1, 32, true),
        ] {
            let bytes = wav_bytes(rate, channels, bits, float, rate as usize, false);
            let pcm = read_wav(Cursor::new(bytes), 8000).unwrap();
            let label = format!("{rate} Hz {channels} ch {bits} bit float={float}");
            assert_eq!(pcm.len(), 8000, "{label}");
            let middle = &pcm[400..7600];
            let freq = dominant_frequency(middle, 8000);
            assert!((freq - 440.0).abs() < 2.0, "{label}: {freq} Hz");
            let level = rms(middle) / rms(&reference);
            // 8-bit has ~-48 dBFS of quantisation noise; the rest are exact.
            assert!((level - 1.0).abs() < 0.03, "{label}: level ratio {level}");
        }
    }

    #[test]
    fn stereo_is_averaged_not_summed_or_left_only() {
        let same = read_wav(Cursor::new(wav_bytes(8000, 2, 16, false, 8000, false)), 8000).unwrap();
        let mono = read_wav(Cursor::new(wav_bytes(8000, 1, 16, false, 8000, false)), 8000).unwrap();
        assert_eq!(same, mono);
        // Channels in anti-phase cancel: proof both are mixed in.
        let cancelled = read_wav(Cursor::new(wav_bytes(8000, 2, 16, false, 8000, true)), 8000).unwrap();
        assert!(cancelled.iter().all(|&s| s.abs() <= 1), "max {:?}", cancelled.iter().max());
    }

    #[test]
    fn written_file_reads_back_identically() {
        let path = std::env::temp_dir().join(format!("voxide-wav-{}.wav", std::process::id()));
        let tone = sine(1000.0, 16_000, 3200, 0.3);
        write_wav(&path, 16_000, &tone).unwrap();
        assert_eq!(load_wav(&path, 16_000).unwrap(), tone);
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn garbage_and_missing_files_are_errors() {
        assert!(matches!(read_wav(Cursor::new(b"RIFF nonsense".to_vec()), 8000), Err(AudioError::Wav(_))));
        assert!(matches!(load_wav(Path::new("/nonexistent/prompt.wav"), 8000), Err(AudioError::Io(_))));
    }
}
