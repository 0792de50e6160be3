//! Prompts played by the relay over real sockets: a leg hears the prompt in
//! its own codec (PCMU or Opus) instead of the other leg's audio, in one
//! gap-free sequence with what is relayed before and after; then the relay
//! says the prompt is done. One leg can be recorded on its own.

mod common;

use std::time::Duration;

use common::*;
use tokio::time::{sleep, timeout};
use voxide_media::audio::{OpusDecoder, Prompt, load_wav};
use voxide_media::{Leg, MediaEvent, g711};
use voxide_sdp::{AudioCodec, LegFormat};

const OPUS: u8 = 111;

#[tokio::test]
async fn a_prompt_replaces_the_other_legs_audio_then_relaying_resumes() {
    let g711 = LegFormat { audio: Some((AudioCodec::Pcmu, PCMU)), dtmf: None };
    let Call { relay, a, b, to_b, mut events, .. } = call((47500, 47519), 13, Some((g711, g711))).await;

    // B talks (a 1 kHz tone) for 2 s; 300 ms in, A is played 600 ms of 440 Hz.
    let talker = tokio::spawn(async move {
        for i in 0..100u16 {
            let pkt = rtp(PCMU, i == 0, 10 + i, u32::from(i) * 160, 0xb, &tone_ulaw(usize::from(i) * SAMPLES));
            b.send_to(&pkt, to_b).await.unwrap();
            sleep(Duration::from_millis(20)).await;
        }
    });
    sleep(Duration::from_millis(300)).await;
    relay.play(Leg::A, Prompt::from_samples(sine(440.0, 0, 4800), 8000));
    let mut got = Vec::new();
    while let Some((pkt, _)) = recv(&a).await {
        got.push(pkt);
    }
    talker.await.unwrap();

    let seqs: Vec<u16> = got.iter().map(|p| u16::from_be_bytes([p[2], p[3]])).collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0].wrapping_add(1)), "one gap-free sequence: {seqs:?}");
    let decoded: Vec<Vec<i16>> =
        got.iter().map(|p| p[12..].iter().map(|b| g711::ulaw_to_linear(*b)).collect()).collect();
    let is_prompt: Vec<bool> = decoded.iter().map(|f| power(f, 440.0) > power(f, 1000.0)).collect();
    let prompt_frames = is_prompt.iter().filter(|p| **p).count();
    assert_eq!(prompt_frames, 30, "600 ms of prompt in 20 ms frames");
    let first = is_prompt.iter().position(|p| *p).unwrap();
    assert!(is_prompt[first..first + 30].iter().all(|p| *p), "the prompt plays without the other leg's audio mixed in");
    assert!(first > 5 && first + 30 < is_prompt.len(), "relayed audio before and after the prompt");
    assert_eq!(got[first][1], 0x80 | PCMU, "the prompt starts with the marker bit");
    let done = timeout(Duration::from_secs(1), events.recv()).await.unwrap();
    assert_eq!(done, Some(MediaEvent::PlaybackDone { id: 13, leg: Leg::A }));
}

#[tokio::test]
async fn an_opus_leg_hears_a_recorded_prompt_in_opus() {
    let formats = (
        LegFormat { audio: Some((AudioCodec::Pcmu, PCMU)), dtmf: None },
        LegFormat { audio: Some((AudioCodec::Opus, OPUS)), dtmf: None },
    );
    let Call { relay, a, b, .. } = call((47520, 47539), 14, Some(formats)).await;
    let dir = std::env::temp_dir().join(format!("relay-play-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // A 48 kHz file: the prompt is resampled to 8 kHz on loading.
    let wav = dir.join("tone48k.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 48000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&wav, spec).unwrap();
    for i in 0..48000 {
        w.write_sample((8000.0 * (2.0 * std::f64::consts::PI * 600.0 * f64::from(i) / 48000.0).sin()) as i16).unwrap();
    }
    w.finalize().unwrap();
    let prompt = Prompt::load(&wav, 8000).unwrap();
    assert_eq!(prompt.samples().len(), 8000);
    relay.play(Leg::B, prompt);

    let mut decoder = OpusDecoder::new(8000, 1).unwrap();
    let mut heard = Vec::new();
    let mut stamps = Vec::new();
    while let Some((pkt, _)) = recv(&b).await {
        assert_eq!(pkt[1] & 0x7f, OPUS);
        stamps.push(u32::from_be_bytes([pkt[4], pkt[5], pkt[6], pkt[7]]));
        let mut pcm = [0i16; 960];
        let n = decoder.decode(Some(&pkt[12..]), &mut pcm).unwrap();
        heard.extend_from_slice(&pcm[..n]);
    }
    assert_eq!(stamps.len(), 50, "1 s of 20 ms Opus packets");
    assert!(stamps.windows(2).all(|w| w[1].wrapping_sub(w[0]) == 960));
    let tail = &heard[800..];
    assert!(power(tail, 600.0) > 100.0 * power(tail, 1000.0), "the prompt's 600 Hz arrived");
    let _ = std::fs::remove_dir_all(dir);
    drop(a);
}

#[tokio::test]
async fn one_leg_is_recorded_without_the_other() {
    let Call { relay, a, b, to_a, to_b, .. } = call((47540, 47559), 15, None).await;
    let dir = std::env::temp_dir().join(format!("relay-rec-{}", std::process::id()));
    let path = dir.join("b.wav");
    relay.record_leg(path.clone(), Leg::B);
    settle().await;
    let loud = vec![g711::linear_to_ulaw(8000); SAMPLES];
    let quiet = vec![g711::linear_to_ulaw(-500); SAMPLES];
    for i in 0..25u16 {
        a.send_to(&rtp(PCMU, i == 0, i, u32::from(i) * 160, 0xa, &loud), to_a).await.unwrap();
        b.send_to(&rtp(PCMU, i == 0, i, u32::from(i) * 160, 0xb, &quiet), to_b).await.unwrap();
        sleep(Duration::from_millis(20)).await;
    }
    let secs = relay.close().await.unwrap();
    assert!((secs - 0.5).abs() < 0.1, "{secs}");
    let samples = load_wav(&path, 8000).unwrap();
    assert!(!samples.is_empty());
    let expected = g711::ulaw_to_linear(g711::linear_to_ulaw(-500));
    assert!(samples.iter().all(|s| *s == expected || *s == 0), "only B's audio is in the file");
    let _ = std::fs::remove_dir_all(dir);
}
