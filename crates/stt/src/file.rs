//! Synchronous recognition of whole recordings, for tests and tools. Calls
//! use [`crate::SttPool`] instead.

use std::path::Path;

use crate::{Recognizer, SessionOptions, SttError, Transcript};

/// Audio is fed in 100 ms chunks so the decoder's endpointing cuts
/// utterances where a live stream would.
const CHUNK_MS: usize = 100;

/// Decodes `pcm` (mono, at `opts.sample_rate`) and returns its utterances in
/// order.
pub fn transcribe_samples(
    recognizer: &dyn Recognizer,
    pcm: &[i16],
    opts: SessionOptions,
) -> Result<Vec<Transcript>, SttError> {
    let chunk = (opts.sample_rate as usize * CHUNK_MS / 1000).max(1);
    let mut session = recognizer.session(opts)?;
    let mut segments = Vec::new();
    for samples in pcm.chunks(chunk) {
        segments.extend(session.accept(samples)?);
    }
    segments.extend(session.finish()?);
    Ok(segments)
}

/// Decodes a 16-bit PCM WAV file into one transcript with word details.
pub fn transcribe_file(recognizer: &dyn Recognizer, wav_path: &Path) -> Result<Transcript, SttError> {
    let (pcm, sample_rate) = read_wav_mono(wav_path)?;
    let segments = transcribe_samples(recognizer, &pcm, SessionOptions::new(sample_rate))?;
    Ok(Transcript::join(&segments))
}

/// Reads a 16-bit integer PCM WAV file, averaging channels down to mono.
/// Returns the samples and their rate.
pub fn read_wav_mono(wav_path: &Path) -> Result<(Vec<i16>, u32), SttError> {
    let reader = hound::WavReader::open(wav_path)?;
    let spec = reader.spec();
    if spec.sample_format != hound::SampleFormat::Int || spec.bits_per_sample != 16 {
        return Err(SttError::UnsupportedWav {
            bits: spec.bits_per_sample,
            format: match spec.sample_format {
                hound::SampleFormat::Int => "integer",
                hound::SampleFormat::Float => "float",
            },
        });
    }
    let samples = reader.into_samples::<i16>().collect::<Result<Vec<_>, _>>()?;
    let channels = usize::from(spec.channels.max(1));
    let pcm = if channels == 1 {
        samples
    } else {
        samples
            .chunks_exact(channels)
            .map(|frame| {
                let sum: i32 = frame.iter().map(|&s| i32::from(s)).sum();
                (sum / channels as i32) as i16
            })
            .collect()
    };
    Ok((pcm, spec.sample_rate))
}
