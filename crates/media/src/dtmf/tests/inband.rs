//! The in-band detector on synthesised key presses, on audio that must not
//! be taken for digits, and on tones made by other programs.

use std::process::Command;

use super::super::{Digit, InbandDetector, InbandDigit};
use super::signal::{Rng, Signal, amplitude, freqs, ms};
use crate::g711;

const KEYPAD: &str = "123A456B789C*0#D";
const WINDOW: u64 = 102;

fn digit(c: char) -> Digit {
    Digit::from_char(c).unwrap()
}

/// Runs the detector over `pcm` in 20 ms frames, as the relay would.
fn detect(pcm: &[i16]) -> Vec<InbandDigit> {
    let mut det = InbandDetector::new(8000);
    let mut found: Vec<InbandDigit> = pcm.chunks(160).flat_map(|frame| det.push(frame)).collect();
    found.extend(det.finish());
    found
}

fn keys(found: &[InbandDigit]) -> String {
    found.iter().map(|d| d.digit.as_char()).collect()
}

#[test]
fn every_digit_is_heard_from_minus_3_to_minus_30_dbm0_in_white_noise() {
    let mut rng = Rng::new(1);
    for level in [-3.0, -10.0, -20.0, -30.0] {
        for key in KEYPAD.chars() {
            let mut s = Signal::default();
            s.silence(ms(50.0)).tone(digit(key), level, ms(80.0)).silence(ms(60.0));
            let found = detect(&s.clone().with_noise(level - 20.0, &mut rng).pcm());
            assert_eq!(keys(&found), key.to_string(), "{key} at {level} dBm0");
            let (start, end) = (ms(50.0) as u64, ms(130.0) as u64);
            assert!(found[0].start_sample.abs_diff(start) <= WINDOW, "{key} at {level}: {:?}", found[0]);
            assert!(found[0].end_sample.abs_diff(end) <= WINDOW, "{key} at {level}: {:?}", found[0]);
        }
    }
}

#[test]
fn a_dialled_sequence_comes_out_in_order() {
    let mut s = Signal::default();
    for key in KEYPAD.chars() {
        s.tone(digit(key), -15.0, ms(50.0)).silence(ms(50.0));
    }
    assert_eq!(keys(&detect(&s.with_noise(-45.0, &mut Rng::new(2)).pcm())), KEYPAD);
}

#[test]
fn tones_below_the_threshold_are_ignored() {
    let mut s = Signal::default();
    s.tone(digit('5'), -45.0, ms(200.0));
    assert!(detect(&s.pcm()).is_empty());
}

#[test]
fn twist_within_limits_is_accepted_and_beyond_them_rejected() {
    let heard = |row_db: f64, col_db: f64| {
        let mut s = Signal::default();
        s.tone_at(digit('8'), row_db, col_db, ms(100.0));
        keys(&detect(&s.pcm()))
    };
    assert_eq!(heard(-20.0, -13.0), "8", "forward twist 7 dB");
    assert_eq!(heard(-20.0, -10.0), "", "forward twist 10 dB");
    assert_eq!(heard(-17.0, -20.0), "8", "reverse twist 3 dB");
    assert_eq!(heard(-14.0, -20.0), "", "reverse twist 6 dB");
}

#[test]
fn off_frequency_tones_are_heard_within_1_5_percent_and_refused_beyond_3_5() {
    for key in KEYPAD.chars() {
        let (row, col) = freqs(digit(key));
        let heard = |deviation: f64| {
            let mut s = Signal::default();
            let level = amplitude(-20.0);
            s.sines(&[(row * (1.0 + deviation), level), (col * (1.0 + deviation), level)], ms(80.0));
            keys(&detect(&s.pcm()))
        };
        assert_eq!(heard(0.015), key.to_string(), "{key} +1.5 %");
        assert_eq!(heard(-0.015), key.to_string(), "{key} -1.5 %");
        assert_eq!(heard(0.035), "", "{key} +3.5 %");
        assert_eq!(heard(-0.035), "", "{key} -3.5 %");
    }
}

#[test]
fn forty_ms_tones_are_always_heard_and_twenty_ms_bursts_never() {
    for key in ['1', '9', '*', 'D'] {
        for offset in (0..WINDOW as usize).step_by(3) {
            let mut long = Signal::default();
            long.silence(offset).tone(digit(key), -20.0, ms(40.0)).silence(ms(60.0));
            assert_eq!(keys(&detect(&long.pcm())), key.to_string(), "40 ms {key} at offset {offset}");

            let mut short = Signal::default();
            short.silence(offset).tone(digit(key), -3.0, ms(20.0)).silence(ms(60.0));
            assert_eq!(keys(&detect(&short.pcm())), "", "20 ms {key} at offset {offset}");
        }
    }
}

#[test]
fn a_10_ms_drop_out_does_not_split_a_digit_but_a_40_ms_gap_does() {
    for offset in (0..WINDOW as usize).step_by(5) {
        let mut s = Signal::default();
        s.tone(digit('0'), -20.0, ms(60.0) + offset).silence(ms(10.0)).tone(digit('0'), -20.0, ms(60.0));
        assert_eq!(keys(&detect(&s.pcm())), "0", "drop-out at {offset}");

        let mut s = Signal::default();
        s.tone(digit('0'), -20.0, ms(60.0) + offset).silence(ms(40.0)).tone(digit('0'), -20.0, ms(60.0));
        assert_eq!(keys(&detect(&s.pcm())), "00", "gap at {offset}");
    }
}

#[test]
fn g711_round_tripped_tones_are_heard_in_both_laws() {
    let mut s = Signal::default();
    for key in KEYPAD.chars() {
        s.tone(digit(key), -25.0, ms(60.0)).silence(ms(60.0));
    }
    let pcm = s.pcm();
    let ulaw: Vec<i16> = pcm.iter().map(|&x| g711::ulaw_to_linear(g711::linear_to_ulaw(x))).collect();
    let alaw: Vec<i16> = pcm.iter().map(|&x| g711::alaw_to_linear(g711::linear_to_alaw(x))).collect();
    assert_eq!(keys(&detect(&ulaw)), KEYPAD);
    assert_eq!(keys(&detect(&alaw)), KEYPAD);
}

#[test]
fn voice_like_harmonics_and_call_progress_tones_are_not_digits() {
    // A vowel-like voice: harmonics of a pitch gliding 90–260 Hz, shaped by
    // formants that move between /a/, /i/ and /u/, over noise.
    let mut rng = Rng::new(3);
    let formants = [[730.0, 1090.0, 2440.0], [270.0, 2290.0, 3010.0], [300.0, 870.0, 2240.0]];
    let mut voice = Signal::default();
    for step in 0..300 {
        let f0 = 90.0 + 170.0 * ((step as f64) * 0.037).sin().abs();
        let shape = formants[(step / 20) % 3];
        let parts: Vec<(f64, f64)> = (1..)
            .map(|h| h as f64 * f0)
            .take_while(|f| *f < 3400.0)
            .map(|f| {
                let gain: f64 = shape.iter().map(|fc| 1.0 / (1.0 + ((f - fc) / 90.0).powi(2))).sum();
                (f, 2500.0 * gain / (1.0 + f / 500.0))
            })
            .collect();
        voice.sines(&parts, ms(20.0));
    }
    let voice = voice.with_noise(-45.0, &mut rng);
    assert_eq!(keys(&detect(&voice.pcm())), "");

    // Dial tone, ringback, busy: two tones each, none of them DTMF pairs.
    for pair in [[350.0, 440.0], [440.0, 480.0], [480.0, 620.0], [697.0, 770.0], [1209.0, 1336.0]] {
        let mut s = Signal::default();
        s.sines(&[(pair[0], 4000.0), (pair[1], 4000.0)], ms(500.0));
        assert_eq!(keys(&detect(&s.pcm())), "", "{pair:?}");
    }
    // A DTMF pair with a loud third tone on top is not clean enough.
    let (row, col) = freqs(digit('5'));
    let mut s = Signal::default();
    s.sines(&[(row, 4000.0), (col, 4000.0), (2600.0, 6000.0)], ms(200.0));
    assert_eq!(keys(&detect(&s.pcm())), "");
}

/// Runs a program that writes 8 kHz mono signed 16-bit raw audio to stdout.
fn raw_from(program: &str, args: &[&str], package: &str) -> Vec<i16> {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program} ({e}); install the {package} package (scripts/deps.sh test)"));
    assert!(out.status.success(), "{program} failed: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout.chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]])).collect()
}

const RAW_8K: [&str; 9] = ["-r", "8000", "-c", "1", "-b", "16", "-e", "signed", "-t"];

#[test]
fn tones_generated_by_sox_are_heard() {
    let mut pcm = Vec::new();
    for key in "15#D".chars() {
        let (row, col) = freqs(digit(key));
        let (row, col) = (row.to_string(), col.to_string());
        let mut args = vec!["-n"];
        args.extend(RAW_8K);
        args.extend(["raw", "-", "synth", "0.09", "sine", &row, "sine", &col, "channels", "1", "gain", "-12"]);
        pcm.extend(raw_from("sox", &args, "sox"));
        pcm.extend(std::iter::repeat_n(0, ms(70.0)));
    }
    assert_eq!(keys(&detect(&pcm)), "15#D");
}

#[test]
fn synthetic_speech_is_not_taken_for_digits_and_digits_after_it_are() {
    let dir = std::env::temp_dir().join(format!("voxide-dtmf-speech-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let wav = dir.join("speech.wav");
    let text = "Thank you for calling. Please enter your account number, followed by the pound key. \
                For sales, press one. For support, press two. To hear these options again, press star.";
    let wav_path = wav.to_str().unwrap();
    raw_from("espeak-ng", &["-w", wav_path, text], "espeak-ng");
    let mut args = vec![wav_path];
    args.extend(RAW_8K);
    args.extend(["raw", "-"]);
    let mut pcm = raw_from("sox", &args, "sox");
    std::fs::remove_dir_all(&dir).ok();
    assert!(pcm.len() > 8000 * 5, "espeak-ng produced only {} samples", pcm.len());
    assert_eq!(keys(&detect(&pcm)), "", "speech heard as digits");

    let mut tail = Signal::default();
    tail.silence(ms(100.0)).tone(digit('4'), -12.0, ms(70.0)).silence(ms(70.0)).tone(digit('2'), -12.0, ms(70.0));
    pcm.extend(tail.pcm());
    assert_eq!(keys(&detect(&pcm)), "42");
}
