//! Transcribes WAV files with a vosk model and reports what it cost:
//! the model's resident memory, and per file the real-time factor (seconds
//! of audio decoded per second of CPU time of this thread).
//!
//! ```text
//! cargo run --release -p voxide-stt --example transcribe -- MODEL_DIR A.wav [B.wav ...] [--grammar "하나,둘,셋"]
//! ```
//!
//! With `--streams N` each file is instead fed as N concurrent streams of
//! 20 ms chunks through an [`SttPool`] of `--workers` threads (default 2),
//! reporting wall time and the process's CPU time per second of audio.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use voxide_stt::{SessionOptions, SttEvent, SttPool, Transcript, VoskRecognizer, read_wav_mono, transcribe_samples};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let model_dir = PathBuf::from(args.next().context("usage: transcribe MODEL_DIR WAV...")?);
    let mut wavs = Vec::new();
    let mut grammar = None;
    let mut streams = 0;
    let mut workers = 2;
    while let Some(arg) = args.next() {
        if arg == "--streams" {
            streams = args.next().context("--streams needs a count")?.parse()?;
        } else if arg == "--workers" {
            workers = args.next().context("--workers needs a count")?.parse()?;
        } else if arg == "--grammar" {
            let list = args.next().context("--grammar needs a comma-separated list")?;
            grammar = Some(list.split(',').map(str::to_owned).collect::<Vec<_>>());
        } else {
            wavs.push(PathBuf::from(arg));
        }
    }
    if wavs.is_empty() {
        bail!("no WAV files given");
    }

    let rss_before = rss_kib()?;
    let loading = Instant::now();
    let recognizer = VoskRecognizer::load(&model_dir)?;
    println!(
        "model loaded in {:.2} s, resident memory +{} MiB",
        loading.elapsed().as_secs_f64(),
        (rss_kib()? - rss_before) / 1024
    );

    if streams > 0 {
        let runtime = tokio::runtime::Runtime::new()?;
        let pool = SttPool::new(recognizer, workers, 1 << 16);
        for wav in &wavs {
            let (pcm, rate) = read_wav_mono(wav)?;
            let mut opts = SessionOptions::new(rate);
            opts.grammar.clone_from(&grammar);
            runtime.block_on(run_streams(&pool, wav, &pcm, opts, streams))?;
        }
        return Ok(());
    }

    for wav in &wavs {
        let (pcm, rate) = read_wav_mono(wav)?;
        let mut opts = SessionOptions::new(rate);
        opts.grammar.clone_from(&grammar);
        let cpu_before = thread_cpu_seconds()?;
        let segments = transcribe_samples(recognizer.as_ref(), &pcm, opts)?;
        let cpu = thread_cpu_seconds()? - cpu_before;
        let audio = pcm.len() as f64 / f64::from(rate);
        let transcript = Transcript::join(&segments);
        println!(
            "{}: {:.2} s of {} Hz audio, {:.1}x real time, confidence {:.2}: {}",
            wav.display(),
            audio,
            rate,
            audio / cpu,
            transcript.confidence,
            transcript.text
        );
    }
    Ok(())
}

/// Feeds `pcm` to `count` concurrent streams and reports the cost.
async fn run_streams(
    pool: &SttPool,
    wav: &Path,
    pcm: &[i16],
    opts: SessionOptions,
    count: usize,
) -> anyhow::Result<()> {
    let chunk = opts.sample_rate as usize / 50;
    let audio = pcm.len() as f64 / f64::from(opts.sample_rate);
    let cpu_before = process_cpu_seconds()?;
    let started = Instant::now();
    let mut handles = Vec::new();
    for _ in 0..count {
        handles.push(pool.open(opts.clone()).await?);
    }
    for samples in pcm.chunks(chunk) {
        for handle in &handles {
            handle.feed(samples.to_vec())?;
        }
    }
    let mut texts = Vec::new();
    for handle in &mut handles {
        let last = handle.finish().await?;
        let mut segments = Vec::new();
        while let Some(event) = handle.next_event().await {
            if let SttEvent::Final(t) = event {
                segments.push(t);
            }
        }
        segments.extend(last);
        texts.push(Transcript::join(&segments).text);
    }
    let wall = started.elapsed().as_secs_f64();
    let cpu = process_cpu_seconds()? - cpu_before;
    println!(
        "{}: {count} streams of {audio:.2} s on {} workers: wall {wall:.2} s, {:.1}x real time per CPU second, {:.1} s of audio per wall second; first: {}",
        wav.display(),
        pool.stats().workers,
        audio * count as f64 / cpu,
        audio * count as f64 / wall,
        texts.first().map_or("", String::as_str),
    );
    Ok(())
}

fn rss_kib() -> anyhow::Result<i64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).context("no VmRSS in /proc/self/status")?;
    Ok(line.split_whitespace().nth(1).context("malformed VmRSS")?.parse()?)
}

/// CPU time of the calling thread (clock ticks of 10 ms: good enough for
/// files of a few seconds and more).
fn thread_cpu_seconds() -> anyhow::Result<f64> {
    cpu_seconds("/proc/thread-self/stat")
}

/// CPU time of every thread of the process.
fn process_cpu_seconds() -> anyhow::Result<f64> {
    cpu_seconds("/proc/self/stat")
}

fn cpu_seconds(stat_file: &str) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(Path::new(stat_file))?;
    // Fields after the parenthesised command name; utime and stime are the
    // 14th and 15th fields of the whole line.
    let rest = &stat[stat.rfind(')').context("malformed stat")? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields[11].parse::<f64>()? + fields[12].parse::<f64>()?;
    Ok(ticks / 100.0)
}
