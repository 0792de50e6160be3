//! The media engine's hot paths without sockets: what one packet or one
//! 20 ms frame costs.
//!
//! * `rfc4733_decode`: one telephone-event packet through `DtmfReceiver`.
//! * `transcode_pcmu_to_opus` / `transcode_opus_to_pcmu`: one 20 ms packet
//!   through `Transcoder` (Opus coded at 8 kHz).
//! * `transcode_pcmu_to_pcma`: the G.711 law swap the relay does in place.
//! * `vad_frame`: 20 ms of 8 kHz audio through the voice-activity detector.
//! * `inband_dtmf_frame`: 20 ms through the Goertzel detector.
//!
//! Run: `cargo bench -p voxide-media --bench media`. Per call, a relay
//! handles 50 packets a second in each direction, so a cost of `t` per
//! packet is `100 · t` of CPU per call-second.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use voxide_media::audio::{Codec, Transcoder, Vad, VadConfig};
use voxide_media::dtmf::{Digit, DtmfReceiver, DtmfSender, EventPacket, InbandDetector};
use voxide_media::g711;

/// 20 ms of a voice-like signal (a 150 Hz pulse train through harmonics).
fn voice_frame(offset: usize) -> Vec<i16> {
    (0..160)
        .map(|i| {
            let t = (offset + i) as f64 / 8000.0;
            let v: f64 =
                (1..12).map(|h| (2.0 * std::f64::consts::PI * 150.0 * f64::from(h) * t).sin() / f64::from(h)).sum();
            (v * 4000.0) as i16
        })
        .collect()
}

fn benches(c: &mut Criterion) {
    let sender = DtmfSender::default();
    let packets: Vec<_> =
        (0..100u32).flat_map(|i| sender.packets(Digit::from_char('5').unwrap(), 100, 10, i * 1600)).collect();
    c.bench_function("rfc4733_decode", |b| {
        let mut rx = DtmfReceiver::new(8000);
        let mut i = 0usize;
        b.iter(|| {
            let p = &packets[i % packets.len()];
            let packet = EventPacket { timestamp: p.timestamp, seq: i as u16, marker: p.marker, payload: &p.payload };
            let _ = rx.handle_packet(black_box(packet), i as u64 * 20);
            while rx.poll_update().is_some() {}
            i += 1;
        })
    });

    let ulaw: Vec<Vec<u8>> =
        (0..50).map(|i| voice_frame(i * 160).iter().map(|s| g711::linear_to_ulaw(*s)).collect()).collect();
    let mut out = [0u8; 1500];
    c.bench_function("transcode_pcmu_to_opus", |b| {
        let mut t = Transcoder::new(Codec::Pcmu, Codec::Opus).unwrap();
        let mut i = 0;
        b.iter(|| {
            i += 1;
            black_box(t.transcode(&ulaw[i % ulaw.len()], &mut out).unwrap())
        })
    });
    let mut enc = Transcoder::new(Codec::Pcmu, Codec::Opus).unwrap();
    let opus: Vec<Vec<u8>> = ulaw
        .iter()
        .map(|f| {
            let n = enc.transcode(f, &mut out).unwrap();
            out[..n].to_vec()
        })
        .collect();
    c.bench_function("transcode_opus_to_pcmu", |b| {
        let mut t = Transcoder::new(Codec::Opus, Codec::Pcmu).unwrap();
        let mut i = 0;
        b.iter(|| {
            i += 1;
            black_box(t.transcode(&opus[i % opus.len()], &mut out).unwrap())
        })
    });
    c.bench_function("transcode_pcmu_to_pcma", |b| {
        let mut frame = ulaw[0].clone();
        b.iter(|| g711::ulaw_to_alaw_in_place(black_box(&mut frame)))
    });

    let frames: Vec<Vec<i16>> = (0..50).map(|i| voice_frame(i * 160)).collect();
    c.bench_function("vad_frame", |b| {
        let mut vad = Vad::new(VadConfig::default()).unwrap();
        let mut i = 0;
        b.iter(|| {
            i += 1;
            black_box(vad.push(&frames[i % frames.len()]).len())
        })
    });
    c.bench_function("inband_dtmf_frame", |b| {
        let mut det = InbandDetector::new(8000);
        let mut i = 0;
        b.iter(|| {
            i += 1;
            black_box(det.push(&frames[i % frames.len()]).len())
        })
    });
}

criterion_group!(media, benches);
criterion_main!(media);
