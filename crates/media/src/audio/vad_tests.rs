//! The VAD on real speech: Asterisk's recorded prompts joined by silences
//! of known length, with the truth computed from the construction.

use super::test_signal::{asterisk_prompt, sine, white_noise};
use super::vad::{Vad, VadConfig, VadEvent};
use super::wav::load_wav;

const RATE: u32 = 8000;

fn ms_to_samples(ms: u64) -> usize {
    (ms * u64::from(RATE) / 1000) as usize
}

fn samples_to_ms(samples: usize) -> u64 {
    samples as u64 * 1000 / u64::from(RATE)
}

/// Where a prompt's own sound is, measured independently of the VAD: a
/// 10 ms RMS window slid sample by sample (no frames, no state machine),
/// compared with the threshold the VAD is configured with.
#[derive(Debug)]
struct PromptTruth {
    /// First and one-past-last sample whose window is above the threshold.
    onset: usize,
    offset: usize,
    /// Longest stretch inside the prompt whose window stays below it.
    longest_pause: usize,
}

fn measure(samples: &[i16], threshold_dbfs: f64) -> PromptTruth {
    let half = ms_to_samples(5);
    let mut prefix = vec![0f64; samples.len() + 1];
    for (i, &s) in samples.iter().enumerate() {
        prefix[i + 1] = prefix[i] + f64::from(s) * f64::from(s);
    }
    let limit = (32768.0 * 10f64.powf(threshold_dbfs / 20.0)).powi(2);
    let loud = |i: usize| {
        let (a, b) = (i.saturating_sub(half), (i + half).min(samples.len()));
        (prefix[b] - prefix[a]) / (2 * half) as f64 > limit
    };
    let onset = (0..samples.len()).find(|&i| loud(i)).expect("prompt has sound");
    let offset = (0..samples.len()).rev().find(|&i| loud(i)).unwrap() + 1;
    let (mut longest_pause, mut run) = (0, 0);
    for i in onset..offset {
        run = if loud(i) { 0 } else { run + 1 };
        longest_pause = longest_pause.max(run);
    }
    PromptTruth { onset, offset, longest_pause }
}

/// A test signal and what a correct detector must report about it.
struct Scene {
    signal: Vec<i16>,
    /// True (start, end) of each stretch of speech, in ms.
    speech: Vec<(u64, u64)>,
    longest_intra_pause_ms: u64,
    end_ms: u64,
}

/// `lead_ms` of silence, then the prompts with `gaps_ms[i]` of silence
/// after prompt `i` (the last gap trails the signal).
fn scene(prompts: &[&str], gaps_ms: &[u64], lead_ms: u64, threshold_dbfs: f64) -> Scene {
    assert_eq!(prompts.len(), gaps_ms.len());
    let mut signal = vec![0i16; ms_to_samples(lead_ms)];
    let (mut speech, mut longest_pause) = (Vec::new(), 0);
    for (name, &gap) in prompts.iter().zip(gaps_ms) {
        let pcm = load_wav(&asterisk_prompt(name), RATE).unwrap();
        let truth = measure(&pcm, threshold_dbfs);
        let at = signal.len();
        speech.push((samples_to_ms(at + truth.onset), samples_to_ms(at + truth.offset)));
        longest_pause = longest_pause.max(truth.longest_pause);
        signal.extend_from_slice(&pcm);
        signal.resize(signal.len() + ms_to_samples(gap), 0);
    }
    let end_ms = samples_to_ms(signal.len());
    Scene { signal, speech, longest_intra_pause_ms: samples_to_ms(longest_pause), end_ms }
}

/// Mixes white noise at `dbfs` over the whole signal.
fn add_noise(signal: &mut [i16], dbfs: f64) {
    let noise = white_noise(signal.len(), dbfs, 0x5eed);
    for (s, n) in signal.iter_mut().zip(noise) {
        *s = s.saturating_add(n);
    }
}

/// Runs the detector over `signal` in pieces of `chunk` samples.
fn detect(config: VadConfig, signal: &[i16], chunk: usize) -> Vec<VadEvent> {
    let mut vad = Vad::new(config).unwrap();
    let mut events = Vec::new();
    for piece in signal.chunks(chunk) {
        events.extend_from_slice(vad.push(piece));
    }
    events.extend_from_slice(vad.finish());
    events
}

const TOLERANCE_MS: u64 = 60;

fn near(got: u64, want: u64) -> bool {
    got.abs_diff(want) <= TOLERANCE_MS
}

/// Asserts the events describe exactly the scene's speech stretches, in
/// order, and one Silence for each gap of at least `min_silence_ms`.
fn assert_matches_truth(events: &[VadEvent], scene: &Scene, config: &VadConfig) {
    let hangover = u64::from(config.hangover_ms);
    let min_silence = u64::from(config.min_silence_ms);
    // The construction must not sit on a decision boundary, or the truth
    // would be ambiguous: pauses inside prompts are clearly shorter than
    // the hangover, gaps between prompts clearly longer, and no gap is
    // within the tolerance of the silence length.
    assert!(
        scene.longest_intra_pause_ms + TOLERANCE_MS < hangover,
        "premise: longest pause inside a prompt is {} ms",
        scene.longest_intra_pause_ms
    );
    let mut expected = Vec::new();
    for (i, &(start, end)) in scene.speech.iter().enumerate() {
        expected.push(VadEvent::SpeechStarted { at_ms: start });
        expected.push(VadEvent::SpeechEnded { at_ms: end });
        // The silence after the last prompt runs to the end of the signal.
        let next = scene.speech.get(i + 1).map_or(scene.end_ms, |&(next, _)| next);
        let gap = next - end;
        assert!(gap > hangover + TOLERANCE_MS, "premise: gap of {gap} ms after prompt {i}");
        assert!(gap.abs_diff(min_silence) > TOLERANCE_MS, "premise: gap of {gap} ms after prompt {i}");
        if gap >= min_silence {
            expected.push(VadEvent::Silence { started_at_ms: end, duration_ms: min_silence });
        }
    }
    let kinds = |evs: &[VadEvent]| evs.iter().map(std::mem::discriminant).collect::<Vec<_>>();
    assert_eq!(kinds(events), kinds(&expected), "\n got {events:?}\nwant {expected:?}");
    for (got, want) in events.iter().zip(&expected) {
        let ok = match (*got, *want) {
            (VadEvent::SpeechStarted { at_ms: g }, VadEvent::SpeechStarted { at_ms: w })
            | (VadEvent::SpeechEnded { at_ms: g }, VadEvent::SpeechEnded { at_ms: w }) => near(g, w),
            (
                VadEvent::Silence { started_at_ms: gs, duration_ms: gd },
                VadEvent::Silence { started_at_ms: ws, duration_ms: wd },
            ) => near(gs, ws) && gd >= wd && gd < wd + u64::from(config.frame_ms),
            _ => false,
        };
        assert!(ok, "got {got:?}, want {want:?} ±{TOLERANCE_MS} ms\n got {events:?}\nwant {expected:?}");
    }
}

const PROMPTS: [&str; 6] = ["hello-world", "vm-goodbye", "agent-pass", "auth-thankyou", "conf-onlyperson", "vm-login"];

fn config_for_scenes() -> VadConfig {
    // agent-pass pauses 244 ms between words, so the hangover is longer.
    VadConfig { hangover_ms: 400, min_silence_ms: 1000, ..VadConfig::default() }
}

/// Inserted gaps; with the prompts' own lead-in and tail the silences
/// between sounds are about 830, 1610, 570, 5280 and 1250 ms, then 2300 ms
/// to the end: four reach the 1000 ms silence, two only end speech.
const GAPS_MS: [u64; 6] = [700, 1500, 350, 5000, 900, 2000];

#[test]
fn prompts_in_digital_silence_give_true_boundaries_and_one_silence_per_long_gap() {
    let config = config_for_scenes();
    let scene = scene(&PROMPTS, &GAPS_MS, 1000, f64::from(config.threshold_dbfs));
    let events = detect(config.clone(), &scene.signal, 160);
    assert_matches_truth(&events, &scene, &config);
    let silences = events.iter().filter(|e| matches!(e, VadEvent::Silence { .. })).count();
    assert_eq!(silences, 4, "{events:?}");
}

#[test]
fn prompts_over_line_noise_give_the_same_events() {
    let config = config_for_scenes();
    let mut scene = scene(&PROMPTS, &GAPS_MS, 1000, f64::from(config.threshold_dbfs));
    add_noise(&mut scene.signal, -60.0);
    assert_matches_truth(&detect(config.clone(), &scene.signal, 160), &scene, &config);
    // 20 ms frames and odd push sizes change nothing a caller would see.
    let coarse = VadConfig { frame_ms: 20, ..config };
    assert_matches_truth(&detect(coarse.clone(), &scene.signal, 333), &scene, &coarse);
}

#[test]
fn pauses_inside_a_long_prompt_do_not_end_speech_or_count_as_silence() {
    // tt-monkeys pauses about 400 ms between phrases. Its recording has a
    // background of its own that the adaptive floor would rightly track,
    // so the gate is fixed here to keep the truth a single threshold.
    let config = VadConfig { noise_margin_db: None, hangover_ms: 600, min_silence_ms: 1200, ..VadConfig::default() };
    let scene = scene(&["tt-monkeys", "hello-world"], &[1500, 1500], 500, f64::from(config.threshold_dbfs));
    assert!(scene.longest_intra_pause_ms > 300, "premise: {} ms", scene.longest_intra_pause_ms);
    assert_matches_truth(&detect(config.clone(), &scene.signal, 160), &scene, &config);
}

#[test]
fn noise_floor_adapts_to_a_line_louder_than_the_threshold() {
    // Noise at -42 dBFS is above the -45 dBFS threshold: a fixed gate calls
    // the whole line speech.
    let noise_dbfs = -42.0;
    let config = VadConfig { hangover_ms: 500, ..VadConfig::default() };
    let fixed = VadConfig { noise_margin_db: None, ..config.clone() };
    // The adaptive gate settles at the noise plus the margin, so that is
    // the level the truth is measured at.
    let gate = noise_dbfs + f64::from(config.noise_margin_db.unwrap());
    let mut scene = scene(&["vm-login", "tt-weasels", "agent-pass"], &[1500, 1500, 1500], 1000, gate);
    add_noise(&mut scene.signal, noise_dbfs);
    assert_eq!(
        detect(fixed, &scene.signal, 160),
        vec![VadEvent::SpeechStarted { at_ms: 0 }, VadEvent::SpeechEnded { at_ms: scene.end_ms }]
    );
    assert_matches_truth(&detect(config.clone(), &scene.signal, 160), &scene, &config);
}

/// Tone bursts: `(on_ms, off_ms)` pairs of a 400 Hz tone at -20 dBFS.
fn bursts(pattern: &[(u64, u64)]) -> Vec<i16> {
    let mut out = Vec::new();
    for &(on, off) in pattern {
        out.extend(sine(400.0, RATE, ms_to_samples(on), 0.14));
        out.resize(out.len() + ms_to_samples(off), 0);
    }
    out
}

#[test]
fn a_click_shorter_than_min_speech_is_not_speech() {
    let events = detect(VadConfig::default(), &bursts(&[(0, 500), (50, 2000)]), 160);
    assert!(events.is_empty(), "{events:?}");
}

#[test]
fn silence_waits_for_sound_first_and_fires_once() {
    let config = VadConfig { min_silence_ms: 1000, ..VadConfig::default() };
    let events = detect(config, &bursts(&[(0, 3000), (500, 4000)]), 160);
    assert_eq!(
        events,
        vec![
            VadEvent::SpeechStarted { at_ms: 3000 },
            VadEvent::SpeechEnded { at_ms: 3500 },
            VadEvent::Silence { started_at_ms: 3500, duration_ms: 1000 },
        ]
    );
}

#[test]
fn a_click_during_silence_does_not_restart_the_count() {
    let config = VadConfig { min_silence_ms: 1000, ..VadConfig::default() };
    // Speech, 400 ms quiet, a 30 ms click, quiet again.
    let events = detect(config, &bursts(&[(0, 200), (500, 400), (30, 3000)]), 80);
    assert_eq!(events[2], VadEvent::Silence { started_at_ms: 700, duration_ms: 1000 }, "{events:?}");
    assert_eq!(events.len(), 3);
}

#[test]
fn finish_closes_speech_in_progress() {
    let mut vad = Vad::new(VadConfig::default()).unwrap();
    assert_eq!(vad.push(&bursts(&[(0, 1000)])[..8000]), &[]);
    assert_eq!(vad.push(&bursts(&[(700, 0)])), &[VadEvent::SpeechStarted { at_ms: 1000 }]);
    assert!(vad.is_speaking());
    assert_eq!(vad.finish(), &[VadEvent::SpeechEnded { at_ms: 1700 }]);
    assert_eq!(vad.position_ms(), 1700);
}

#[test]
fn every_bad_field_is_reported_together() {
    let bad = VadConfig {
        sample_rate: 7000,
        frame_ms: 15,
        threshold_dbfs: 3.0,
        noise_margin_db: Some(-1.0),
        min_speech_ms: 100,
        hangover_ms: 500,
        min_silence_ms: 400,
    };
    let Err(super::AudioError::InvalidVadConfig(problems)) = Vad::new(bad) else { panic!("accepted") };
    assert_eq!(problems.len(), 5, "{problems:?}");
}
