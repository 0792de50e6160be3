//! How many live speech-to-text streams one core keeps up with.
//!
//! `stt_streams MODEL_DIR WAV STREAMS SECONDS` opens STREAMS sessions on
//! the model, one thread each, and feeds every one SECONDS of the WAV
//! (looped, in 20 ms chunks, as fast as the decoder takes them), as a call
//! would. It prints one JSON object: the CPU time the process used, the
//! real-time factor (CPU seconds per second of audio) and its inverse,
//! streams per core. Run it with as many streams as cores so the figure
//! is not one thread's.
//!
//! ```sh
//! cargo run --release -p voxide-stt --example stt_streams -- .tools/vosk/models/ko prompt.wav 2 60
//! ```

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use voxide_stt::{Recognizer, SessionOptions, VoskRecognizer, read_wav_mono};

/// User + system CPU seconds of this process, from /proc.
fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<f64> = after_name.split_whitespace().filter_map(|f| f.parse().ok()).collect();
    // utime and stime are fields 14 and 15; after the name, at 11 and 12 (0-based, state skipped).
    let ticks = fields.get(10).copied().unwrap_or(0.0) + fields.get(11).copied().unwrap_or(0.0);
    ticks / 100.0
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [model_dir, wav, streams, seconds] = args.as_slice() else {
        return Err("usage: stt_streams MODEL_DIR WAV STREAMS SECONDS".into());
    };
    let (streams, seconds): (usize, f64) = (streams.parse()?, seconds.parse()?);
    let loaded = Instant::now();
    let model = VoskRecognizer::load(&PathBuf::from(model_dir))?;
    let load_secs = loaded.elapsed().as_secs_f64();
    let (pcm, rate) = read_wav_mono(&PathBuf::from(wav))?;
    if pcm.is_empty() {
        return Err("the WAV holds no audio".into());
    }
    let chunk = (rate / 50) as usize;
    let total = (seconds * f64::from(rate)) as usize;
    let pcm = Arc::new(pcm);

    let (cpu0, wall0) = (cpu_secs(), Instant::now());
    let workers: Vec<_> = (0..streams)
        .map(|_| {
            let (model, pcm) = (Arc::clone(&model), Arc::clone(&pcm));
            std::thread::spawn(move || -> Result<usize, String> {
                let mut session = model.session(SessionOptions::new(rate)).map_err(|e| e.to_string())?;
                let (mut fed, mut utterances) = (0usize, 0usize);
                while fed < total {
                    let at = fed % pcm.len();
                    let end = (at + chunk).min(pcm.len());
                    utterances += usize::from(session.accept(&pcm[at..end]).map_err(|e| e.to_string())?.is_some());
                    fed += end - at;
                }
                utterances += usize::from(session.finish().map_err(|e| e.to_string())?.is_some());
                Ok(utterances)
            })
        })
        .collect();
    let mut utterances = 0;
    for w in workers {
        utterances += w.join().map_err(|_| "a stream's thread panicked")??;
    }
    let (cpu, wall) = (cpu_secs() - cpu0, wall0.elapsed().as_secs_f64());
    let audio = seconds * streams as f64;
    let rtf = cpu / audio;
    println!(
        "{{\"streams\":{streams},\"audio_secs_per_stream\":{seconds},\"model_load_secs\":{load_secs:.2},\"wall_secs\":{wall:.2},\"cpu_secs\":{cpu:.2},\"utterances\":{utterances},\"cpu_per_audio_sec\":{rtf:.4},\"streams_per_core\":{:.1},\"faster_than_real_time\":{:.1}}}",
        1.0 / rtf,
        audio / wall
    );
    Ok(())
}
