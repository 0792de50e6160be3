//! Opus against G.711 through the relay over real sockets: a PCMU leg and
//! an Opus leg hear each other's tone at the right frequency, with the
//! timestamps moved between the 8 kHz and the 48 kHz RTP clocks.

mod common;

use std::time::Duration;

use common::*;
use tokio::time::sleep;
use voxide_media::audio::{OpusDecoder, OpusEncoder};
use voxide_media::g711;
use voxide_sdp::{AudioCodec, LegFormat};

const OPUS: u8 = 111;

/// The strongest frequency of `pcm` (8 kHz) between 200 and 3000 Hz, to 10 Hz.
fn dominant_hz(pcm: &[i16]) -> f64 {
    (20..=300).map(|i| f64::from(i) * 10.0).max_by(|x, y| power(pcm, *x).total_cmp(&power(pcm, *y))).unwrap_or(0.0)
}

#[tokio::test]
async fn a_pcmu_leg_and_an_opus_leg_hear_each_others_tone() {
    let formats = (
        LegFormat { audio: Some((AudioCodec::Pcmu, PCMU)), dtmf: None },
        LegFormat { audio: Some((AudioCodec::Opus, OPUS)), dtmf: None },
    );
    let Call { engine, relay: _relay, a, b, to_a, to_b, .. } = call((47300, 47319), 11, Some(formats)).await;

    // A sends 1 s of 1000 Hz as PCMU; B must get Opus carrying it.
    let mut decoder = OpusDecoder::new(8000, 1).unwrap();
    let mut heard_by_b = Vec::new();
    let mut b_timestamps = Vec::new();
    for i in 0..50usize {
        let payload: Vec<u8> = sine(1000.0, i * SAMPLES, SAMPLES).into_iter().map(g711::linear_to_ulaw).collect();
        a.send_to(&rtp(PCMU, i == 0, i as u16, (i * SAMPLES) as u32, 0xa, &payload), to_a).await.unwrap();
        let (pkt, _) = recv(&b).await.expect("an Opus packet for B");
        assert_eq!(pkt[1] & 0x7f, OPUS);
        b_timestamps.push(u32::from_be_bytes([pkt[4], pkt[5], pkt[6], pkt[7]]));
        let mut pcm = [0i16; 960];
        let n = decoder.decode(Some(&pkt[12..]), &mut pcm).unwrap();
        heard_by_b.extend_from_slice(&pcm[..n]);
        sleep(Duration::from_millis(2)).await;
    }
    for w in b_timestamps.windows(2) {
        assert_eq!(w[1].wrapping_sub(w[0]), 960, "20 ms is 960 units of Opus's 48 kHz clock");
    }
    // Skip the codec's start-up.
    let hz = dominant_hz(&heard_by_b[1600..]);
    assert!((hz - 1000.0).abs() <= 10.0, "B heard {hz} Hz");

    // B sends 1 s of 800 Hz as Opus; A must get PCMU carrying it.
    let mut encoder = OpusEncoder::new(8000, 1).unwrap();
    let mut heard_by_a = Vec::new();
    for i in 0..50usize {
        let mut payload = [0u8; 400];
        let n = encoder.encode(&sine(800.0, i * SAMPLES, SAMPLES), &mut payload).unwrap();
        b.send_to(&rtp(OPUS, i == 0, i as u16, (i * 960) as u32, 0xb, &payload[..n]), to_b).await.unwrap();
        let (pkt, _) = recv(&a).await.expect("a PCMU packet for A");
        assert_eq!(pkt[1] & 0x7f, PCMU);
        assert_eq!(pkt.len(), 12 + SAMPLES, "20 ms of G.711");
        heard_by_a.extend(pkt[12..].iter().map(|b| g711::ulaw_to_linear(*b)));
        sleep(Duration::from_millis(2)).await;
    }
    let hz = dominant_hz(&heard_by_a[1600..]);
    assert!((hz - 800.0).abs() <= 10.0, "A heard {hz} Hz");
    assert_eq!(engine.stats().packets_transcoded.load(std::sync::atomic::Ordering::Relaxed), 100);
}
