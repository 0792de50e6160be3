//! Listening to a call over real sockets: a recorded prompt (Debian's
//! `asterisk-core-sounds-en-wav`) spoken on one leg, then silence, gives
//! speech-started, speech-ended and silence events, and the listener gets
//! the decoded audio, sample for sample.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::*;
use tokio::sync::mpsc;
use tokio::time::{sleep, timeout};
use voxide_media::audio::{VadEvent, load_wav};
use voxide_media::{Leg, MediaEvent, g711};
use voxide_sdp::{AudioCodec, LegFormat};

fn prompt(name: &str) -> PathBuf {
    ["/usr/share/asterisk/sounds/en", "/usr/share/asterisk/sounds/en_US_f_Allison"]
        .iter()
        .map(|d| PathBuf::from(d).join(name))
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("{name} not found: install asterisk-core-sounds-en-wav (scripts/deps.sh test)"))
}

/// First and last 10 ms window (in ms) louder than the detector's -45 dBFS
/// threshold: the truth, measured without the detector.
fn loud_span_ms(samples: &[i16]) -> (u64, u64) {
    let loud: Vec<u64> = samples
        .chunks(80)
        .enumerate()
        .filter(|(_, w)| {
            let rms = (w.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>() / w.len() as f64).sqrt();
            20.0 * (rms / 32768.0).log10() > -45.0
        })
        .map(|(i, _)| i as u64 * 10)
        .collect();
    (loud[0], loud[loud.len() - 1] + 10)
}

#[tokio::test]
async fn a_listened_leg_reports_speech_and_silence_and_hands_over_its_audio() {
    let g711 = LegFormat { audio: Some((AudioCodec::Pcmu, PCMU)), dtmf: None };
    let Call { relay, a, to_a, mut events, .. } = call((47400, 47419), 12, Some((g711, g711))).await;
    let (sink, mut heard) = mpsc::channel(64);
    relay.listen(sink);
    settle().await;

    // 500 ms of silence, the prompt, 1.5 s of silence.
    let speech = load_wav(&prompt("vm-press.wav"), 8000).unwrap();
    let mut samples = vec![0i16; 4000];
    samples.extend_from_slice(&speech);
    samples.extend(std::iter::repeat_n(0, 12000));
    samples.resize(samples.len().div_ceil(SAMPLES) * SAMPLES, 0);
    for (i, frame) in samples.chunks(SAMPLES).enumerate() {
        let payload: Vec<u8> = frame.iter().map(|s| g711::linear_to_ulaw(*s)).collect();
        a.send_to(&rtp(PCMU, i == 0, i as u16, (i * SAMPLES) as u32, 0xa, &payload), to_a).await.unwrap();
        if i % 10 == 0 {
            sleep(Duration::from_millis(5)).await;
        }
    }
    sleep(Duration::from_millis(300)).await;
    let _ = relay.close().await;

    let mut got = Vec::new();
    while let Ok(Some(e)) = timeout(Duration::from_millis(200), events.recv()).await {
        let MediaEvent::Speech { id: 12, leg: Leg::A, event } = e else { panic!("unexpected {e:?}") };
        got.push(event);
    }
    assert_eq!(got.len(), 3, "{got:?}");
    let VadEvent::SpeechStarted { at_ms: start } = got[0] else { panic!("{got:?}") };
    let VadEvent::SpeechEnded { at_ms: end } = got[1] else { panic!("{got:?}") };
    let VadEvent::Silence { started_at_ms, duration_ms } = got[2] else { panic!("{got:?}") };
    let (true_start, true_end) = loud_span_ms(&samples);
    assert!(start.abs_diff(true_start) <= 60, "speech started at {start} ms, truth {true_start} ms");
    assert!(end.abs_diff(true_end) <= 60, "speech ended at {end} ms, truth {true_end} ms");
    assert_eq!(started_at_ms, end);
    assert!(duration_ms >= 1000, "{duration_ms}");

    let mut pcm = Vec::new();
    while let Ok(Some(chunk)) = timeout(Duration::from_millis(100), heard.recv()).await {
        assert_eq!(chunk.leg, Leg::A);
        pcm.extend_from_slice(&chunk.pcm);
    }
    assert_eq!(pcm.len(), samples.len(), "every sample reached the listener");
    let expected: Vec<i16> = samples.iter().map(|s| g711::ulaw_to_linear(g711::linear_to_ulaw(*s))).collect();
    assert_eq!(pcm, expected);
}
