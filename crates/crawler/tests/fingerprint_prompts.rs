//! Fingerprints of real recorded prompts (Debian's `asterisk-core-sounds-en-wav`,
//! 8 kHz WAV) after what a call does to them: a G.711 μ-law round trip, a
//! start cut up to 280 ms earlier or later, 2 % of 20 ms packets lost, the
//! last 30 % cut off. The same prompt must match itself; different prompts,
//! single digits included, must not. Run with `--nocapture` to see the
//! similarity distributions behind `MATCH_THRESHOLD`.

use std::path::PathBuf;

use voxide_crawler::fingerprint::{Fingerprint, MATCH_THRESHOLD, PromptCache, fingerprint, matches, similarity};

const RATE: u32 = 8000;
const PACKET: usize = 160;

/// Longer prompts of different lengths and wording.
const PROMPTS: &[&str] = &[
    "vm-goodbye",
    "vm-intro",
    "demo-congrats",
    "hello-world",
    "vm-options",
    "vm-instructions",
    "vm-login",
    "vm-password",
    "vm-incorrect",
    "conf-getpin",
    "conf-onlyperson",
    "pbx-invalid",
    "please-try-again",
    "vm-reachoper",
    "vm-toforward",
    "vm-torerecord",
    "vm-tocallback",
    "vm-tohearenv",
    "vm-tomakecall",
    "vm-toreply",
    "demo-thanks",
    "auth-thankyou",
    "queue-thankyou",
    "one-moment-please",
    "pls-hold-while-try",
];

/// Single spoken digits: short, alike in length and voice — the hard case.
const DIGITS: &[&str] = &[
    "digits/0", "digits/1", "digits/2", "digits/3", "digits/4", "digits/5", "digits/6", "digits/7", "digits/8",
    "digits/9",
];

fn prompt_path(name: &str) -> PathBuf {
    ["/usr/share/asterisk/sounds/en", "/usr/share/asterisk/sounds/en_US_f_Allison"]
        .iter()
        .map(|dir| PathBuf::from(dir).join(format!("{name}.wav")))
        .find(|path| path.is_file())
        .unwrap_or_else(|| panic!("{name}.wav not found: install asterisk-core-sounds-en-wav (scripts/deps.sh test)"))
}

fn load(name: &str) -> Vec<i16> {
    let mut reader = hound::WavReader::open(prompt_path(name)).unwrap();
    let spec = reader.spec();
    assert_eq!((spec.sample_rate, spec.channels, spec.bits_per_sample), (RATE, 1, 16), "{name}");
    reader.samples::<i16>().map(Result::unwrap).collect()
}

// G.711 μ-law, as the wire carries it.
const BIAS: i32 = 0x84;
const CLIP: i32 = 32635;

fn linear_to_ulaw(sample: i16) -> u8 {
    let mut value = i32::from(sample);
    let sign = if value < 0 { 0x80 } else { 0 };
    if value < 0 {
        value = -value;
    }
    value = value.min(CLIP) + BIAS;
    let exponent = (7 - (value.leading_zeros() as i32 - 17)).clamp(0, 7);
    let mantissa = (value >> (exponent + 3)) & 0x0F;
    !(sign | (exponent << 4) as u8 | mantissa as u8)
}

fn ulaw_to_linear(byte: u8) -> i16 {
    let byte = !byte;
    let sign = byte & 0x80;
    let exponent = i32::from((byte >> 4) & 0x07);
    let mantissa = i32::from(byte & 0x0F);
    let magnitude = (((mantissa << 3) + BIAS) << exponent) - BIAS;
    (if sign != 0 { -magnitude } else { magnitude }) as i16
}

fn ulaw_round_trip(pcm: &[i16]) -> Vec<i16> {
    pcm.iter().map(|s| ulaw_to_linear(linear_to_ulaw(*s))).collect()
}

/// The segment starting `ms` later (positive: the detector cut late) or
/// earlier (negative: it kept `ms` of the silence before the prompt).
fn shift(pcm: &[i16], ms: i32) -> Vec<i16> {
    let samples = (ms.unsigned_abs() * RATE / 1000) as usize;
    if ms >= 0 {
        pcm[samples.min(pcm.len())..].to_vec()
    } else {
        let mut shifted = vec![0; samples];
        shifted.extend_from_slice(pcm);
        shifted
    }
}

/// Every 50th 20 ms packet (2 %) replaced by silence, starting at `phase`.
fn lose_packets(pcm: &[i16], phase: usize) -> Vec<i16> {
    let mut lossy = pcm.to_vec();
    for (index, packet) in lossy.chunks_mut(PACKET).enumerate() {
        if index % 50 == phase % 50 {
            packet.fill(0);
        }
    }
    lossy
}

/// White noise at `dbfs` added, as a noisy line would.
fn add_noise(pcm: &[i16], dbfs: f64) -> Vec<i16> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    // Uniform on [-a, a] has an RMS of a / sqrt(3).
    let amplitude = 32768.0 * 10f64.powf(dbfs / 20.0) * 3f64.sqrt();
    pcm.iter()
        .map(|sample| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let unit = (state >> 11) as f64 / (1u64 << 53) as f64;
            (f64::from(*sample) + amplitude * (2.0 * unit - 1.0)).clamp(-32768.0, 32767.0) as i16
        })
        .collect()
}

/// The first 70 %.
fn cut_end(pcm: &[i16]) -> Vec<i16> {
    pcm[..pcm.len() * 7 / 10].to_vec()
}

/// What a call may do to a prompt, by name.
fn degradations(pcm: &[i16]) -> Vec<(&'static str, Vec<i16>)> {
    let wire = ulaw_round_trip(pcm);
    vec![
        ("ulaw", wire.clone()),
        ("ulaw+120ms late", shift(&wire, 120)),
        ("ulaw+280ms late", shift(&wire, 280)),
        ("ulaw+120ms early", shift(&wire, -120)),
        ("ulaw+280ms early", shift(&wire, -280)),
        ("ulaw+2% lost", lose_packets(&wire, 7)),
        ("ulaw+end cut 30%", cut_end(&wire)),
        ("ulaw+280ms late+2% lost", lose_packets(&shift(&wire, 280), 23)),
        ("ulaw+120ms early+end cut", cut_end(&shift(&wire, -120))),
        ("ulaw+13ms late", shift(&wire, 13)),
        ("noise -50 dBFS+ulaw+200ms early", ulaw_round_trip(&add_noise(&shift(pcm, -200), -50.0))),
    ]
}

fn print_of(name: &str) -> Fingerprint {
    fingerprint(&ulaw_round_trip(&load(name)), RATE)
}

struct Summary {
    scores: Vec<f32>,
}

impl Summary {
    fn new(mut scores: Vec<f32>) -> Self {
        scores.sort_by(f32::total_cmp);
        Summary { scores }
    }

    fn quantile(&self, q: f64) -> f32 {
        let index = ((self.scores.len() - 1) as f64 * q).round() as usize;
        self.scores[index]
    }

    fn describe(&self) -> String {
        let mean = self.scores.iter().sum::<f32>() / self.scores.len() as f32;
        format!(
            "n={:3} min={:.3} p10={:.3} median={:.3} mean={:.3} p90={:.3} max={:.3}",
            self.scores.len(),
            self.scores[0],
            self.quantile(0.1),
            self.quantile(0.5),
            mean,
            self.quantile(0.9),
            self.scores[self.scores.len() - 1]
        )
    }
}

/// Longest stretch of a prompt degraded in eleven ways (12 s): enough for a
/// menu, and quick in unoptimised test builds.
const LONGEST_DEGRADED: usize = 12 * RATE as usize;

fn same_prompt_scores(names: &[&str]) -> Vec<(String, f32)> {
    let mut scores = Vec::new();
    for name in names {
        let mut original = load(name);
        original.truncate(LONGEST_DEGRADED);
        let reference = fingerprint(&original, RATE);
        for (how, degraded) in degradations(&original) {
            scores.push((format!("{name} vs {how}"), similarity(&reference, &fingerprint(&degraded, RATE))));
        }
    }
    scores
}

fn different_prompt_scores(names: &[&str]) -> Vec<(String, f32)> {
    let prints: Vec<(&str, Fingerprint, Fingerprint)> = names
        .iter()
        .map(|name| {
            let pcm = load(name);
            (*name, fingerprint(&pcm, RATE), fingerprint(&shift(&ulaw_round_trip(&pcm), 120), RATE))
        })
        .collect();
    let mut scores = Vec::new();
    for (i, (a, a_print, _)) in prints.iter().enumerate() {
        for (b, _, b_heard) in prints.iter().skip(i + 1) {
            scores.push((format!("{a} vs {b}"), similarity(a_print, b_heard)));
        }
    }
    scores
}

fn report(title: &str, scores: &[(String, f32)]) -> Summary {
    let summary = Summary::new(scores.iter().map(|(_, s)| *s).collect());
    println!("{title}: {}", summary.describe());
    summary
}

#[test]
fn the_same_prompt_matches_after_a_call() {
    let scores = same_prompt_scores(PROMPTS);
    report("same prompt (prompts)", &scores);
    let failures: Vec<_> = scores.iter().filter(|(_, s)| *s < MATCH_THRESHOLD).collect();
    assert!(failures.is_empty(), "below {MATCH_THRESHOLD}: {failures:?}");
}

/// A spoken digit holds 0.33 to 0.7 s of audible speech: what a call leaves
/// of it is either still half a second long and matches, or is too short to
/// be compared (similarity 0, the crawler transcribes it) — never taken for
/// another prompt.
#[test]
fn the_same_digit_matches_after_a_call_unless_too_short() {
    let mut comparable = Vec::new();
    let mut too_short = Vec::new();
    for name in DIGITS {
        let original = load(name);
        let reference = fingerprint(&original, RATE);
        for (how, degraded) in degradations(&original) {
            let heard = fingerprint(&degraded, RATE);
            let score = similarity(&reference, &heard);
            if reference.is_comparable() && heard.is_comparable() {
                comparable.push((format!("{name} vs {how}"), score));
            } else {
                assert_eq!(score, 0.0, "{name} vs {how}");
                too_short.push(format!("{name} vs {how} ({} ms)", heard.duration_ms().min(reference.duration_ms())));
            }
        }
    }
    report("same prompt (digits, comparable)", &comparable);
    println!("same prompt (digits): {} of {} too short to compare: {too_short:?}", too_short.len(), 10 * 11);
    assert!(comparable.len() >= 70, "{} comparable", comparable.len());
    let failures: Vec<_> = comparable.iter().filter(|(_, s)| *s < MATCH_THRESHOLD).collect();
    assert!(failures.is_empty(), "below {MATCH_THRESHOLD}: {failures:?}");
}

#[test]
fn different_prompts_do_not_match() {
    let scores = different_prompt_scores(PROMPTS);
    assert!(scores.len() >= 15);
    report("different prompts", &scores);
    let mut worst = scores.clone();
    worst.sort_by(|a, b| b.1.total_cmp(&a.1));
    for (pair, score) in worst.iter().take(5) {
        println!("  closest: {pair}: {score:.3}");
    }
    let false_matches: Vec<_> = scores.iter().filter(|(_, s)| *s >= MATCH_THRESHOLD).collect();
    assert!(false_matches.is_empty(), "at or above {MATCH_THRESHOLD}: {false_matches:?}");
}

#[test]
fn different_digits_do_not_match() {
    let scores = different_prompt_scores(DIGITS);
    assert_eq!(scores.len(), 45);
    report("different digits", &scores);
    let mut worst = scores.clone();
    worst.sort_by(|a, b| b.1.total_cmp(&a.1));
    for (pair, score) in worst.iter().take(5) {
        println!("  closest: {pair}: {score:.3}");
    }
    let false_matches: Vec<_> = scores.iter().filter(|(_, s)| *s >= MATCH_THRESHOLD).collect();
    assert!(false_matches.is_empty(), "at or above {MATCH_THRESHOLD}: {false_matches:?}");
}

#[test]
fn the_cache_recognises_each_prompt_it_has_heard() {
    let mut cache = PromptCache::new();
    for name in PROMPTS.iter().chain(DIGITS) {
        cache.insert(print_of(name), name.to_string());
    }
    for name in PROMPTS.iter().chain(DIGITS) {
        let heard = lose_packets(&shift(&ulaw_round_trip(&load(name)), -200), 11);
        assert_eq!(cache.find(&fingerprint(&heard, RATE)), Some(&name.to_string()), "{name}");
    }
    let unknown = print_of("vm-nobodyavail");
    assert_eq!(cache.find(&unknown), None);
}

#[test]
fn a_prompt_at_16_khz_matches_itself_at_8_khz() {
    let narrow = load("vm-instructions");
    // Each sample twice: the same audio at 16 kHz, without new content.
    let wide: Vec<i16> = narrow.iter().flat_map(|s| [*s, *s]).collect();
    let score = similarity(&fingerprint(&narrow, RATE), &fingerprint(&wide, 2 * RATE));
    println!("8 kHz vs 16 kHz: {score:.3}");
    assert!(score >= MATCH_THRESHOLD, "{score}");
}

#[test]
fn prints_survive_json_and_bytes() {
    let print = print_of("vm-intro");
    let json = serde_json::to_string(&print).unwrap();
    assert_eq!(serde_json::from_str::<Fingerprint>(&json).unwrap(), print);
    assert_eq!(Fingerprint::from_bytes(&print.to_bytes()).unwrap(), print);
    // About 270 bytes a second of audio.
    let seconds = load("vm-intro").len() as f64 / f64::from(RATE);
    assert!((print.to_bytes().len() as f64) < 270.0 * seconds + 16.0);
    assert!(matches(&print, &print));
}

/// Two files with one take of "thank you" are one prompt to a caller;
/// another take of the same words is not.
#[test]
fn one_take_in_two_files_matches_and_another_take_does_not() {
    let auth = print_of("auth-thankyou");
    let same_take = similarity(&auth, &print_of("privacy-thankyou"));
    let other_take = similarity(&auth, &print_of("queue-thankyou"));
    println!("thank you: same take in two files {same_take:.3}, another take {other_take:.3}");
    assert!(same_take >= MATCH_THRESHOLD, "{same_take}");
    assert!(other_take < MATCH_THRESHOLD, "{other_take}");
}
