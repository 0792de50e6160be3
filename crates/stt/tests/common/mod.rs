//! Shared by the integration tests: the Korean vosk model that
//! `scripts/deps.sh test` unpacks, and Korean speech synthesised by
//! espeak-ng and resampled by sox.

#![allow(dead_code)] // each test binary uses its own part of this module

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use voxide_stt::{VoskRecognizer, read_wav_mono};

/// The model directory: `VOXIDE_TEST_STT_MODEL`, or the one `scripts/deps.sh
/// test` unpacks. A missing model fails the test: it is never skipped.
pub fn model_dir() -> PathBuf {
    let dir = std::env::var_os("VOXIDE_TEST_STT_MODEL")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.tools/vosk/models/ko"));
    assert!(
        dir.join("am").is_dir(),
        "no vosk model in {}: run scripts/deps.sh test (or set VOXIDE_TEST_STT_MODEL)",
        dir.display()
    );
    dir
}

/// The model, loaded once per test binary (half a gigabyte, seconds to load).
pub fn model() -> Arc<VoskRecognizer> {
    static MODEL: OnceLock<Arc<VoskRecognizer>> = OnceLock::new();
    Arc::clone(MODEL.get_or_init(|| VoskRecognizer::load(&model_dir()).expect("loading the test model")))
}

/// Speaks `text` with espeak-ng's Korean voice at `words_per_minute`, as mono
/// 16-bit samples at `rate`. Returns the samples and the WAV file.
pub fn speak(text: &str, words_per_minute: u32, rate: u32) -> (Vec<i16>, PathBuf) {
    static SERIAL: AtomicUsize = AtomicUsize::new(0);
    let n = SERIAL.fetch_add(1, Ordering::Relaxed);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("stt-speech");
    std::fs::create_dir_all(&dir).unwrap();
    let stem = format!("{}-{n}", std::process::id());
    let raw = dir.join(format!("{stem}-espeak.wav"));
    let wav = dir.join(format!("{stem}-{rate}.wav"));
    run(Command::new("espeak-ng").args(["-v", "ko", "-s", &words_per_minute.to_string(), "-w"]).arg(&raw).arg(text));
    run(Command::new("sox").arg(&raw).args(["-r", &rate.to_string(), "-c", "1", "-b", "16"]).arg(&wav));
    let (pcm, got_rate) = read_wav_mono(&wav).expect("reading the synthesised speech");
    assert_eq!(got_rate, rate);
    (pcm, wav)
}

/// `seconds` of digital silence at `rate`.
pub fn silence(seconds: f32, rate: u32) -> Vec<i16> {
    vec![0; (seconds * rate as f32) as usize]
}

fn run(command: &mut Command) {
    let program = command.get_program().to_string_lossy().into_owned();
    let output = command
        .output()
        .unwrap_or_else(|err| panic!("running {program}: {err}; run scripts/deps.sh test to install it"));
    assert!(output.status.success(), "{program} failed: {}", String::from_utf8_lossy(&output.stderr));
}
