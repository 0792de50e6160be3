use super::*;
use crate::audio::test_signal::{dominant_frequency, rms, sine, tone_purity};

/// Encodes `pcm` in frames of `frame` samples and decodes each packet at
/// `decode_rate`; returns the decoded audio and the packet sizes.
fn round_trip(pcm: &[i16], rate: u32, frame: usize, decode_rate: u32) -> (Vec<i16>, Vec<usize>) {
    let mut encoder = OpusEncoder::new(rate, 1).unwrap();
    let mut decoder = OpusDecoder::new(decode_rate, 1).unwrap();
    let mut packet = [0u8; 1500];
    let mut out = vec![0i16; 5760];
    let (mut decoded, mut sizes) = (Vec::new(), Vec::new());
    for chunk in pcm.chunks_exact(frame) {
        let len = encoder.encode(chunk, &mut packet).unwrap();
        sizes.push(len);
        let n = decoder.decode(Some(&packet[..len]), &mut out).unwrap();
        decoded.extend_from_slice(&out[..n]);
    }
    (decoded, sizes)
}

/// Normalised cross-correlation of `b` against `a` at the best lag in
/// `0..max_lag` (the codec's look-ahead delays its output).
fn best_correlation(a: &[i16], b: &[i16], max_lag: usize) -> (usize, f64) {
    let n = a.len().min(b.len()) - max_lag;
    (0..max_lag)
        .map(|lag| {
            let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
            for i in 0..n {
                let (x, y) = (f64::from(a[i]), f64::from(b[i + lag]));
                ab += x * y;
                aa += x * x;
                bb += y * y;
            }
            (lag, ab / (aa * bb).sqrt().max(1e-9))
        })
        .max_by(|x, y| x.1.total_cmp(&y.1))
        .unwrap()
}

#[test]
fn tone_survives_48k_encode_and_decode() {
    let tone = sine(1000.0, 48_000, 48_000, 0.4);
    let (decoded, sizes) = round_trip(&tone, 48_000, 960, 48_000);
    assert_eq!(decoded.len(), 48_000);
    assert!(sizes.iter().all(|&s| s > 0 && s < 400), "{sizes:?}");
    let steady = &decoded[4800..];
    let freq = dominant_frequency(steady, 48_000);
    assert!((freq - 1000.0).abs() < 2.0, "{freq} Hz");
    assert!(tone_purity(steady, 48_000, 1000.0) > 0.95);
    let level = rms(steady) / rms(&tone);
    assert!((level - 1.0).abs() < 0.15, "level ratio {level}");
    let (lag, corr) = best_correlation(&tone[4800..], steady, 1000);
    assert!(corr > 0.95, "correlation {corr} at lag {lag}");
}

#[test]
fn narrowband_stream_is_coded_at_8k_without_resampling() {
    // Encoded from 8 kHz, decoded at 8 kHz: 160 samples per 20 ms packet.
    let tone = sine(1000.0, 8000, 8000, 0.4);
    let (decoded, _) = round_trip(&tone, 8000, 160, 8000);
    assert_eq!(decoded.len(), 8000);
    let steady = &decoded[800..];
    assert!((dominant_frequency(steady, 8000) - 1000.0).abs() < 2.0);
    let (lag, corr) = best_correlation(&tone[800..], steady, 200);
    assert!(corr > 0.9, "correlation {corr} at lag {lag}");
    // The same packets decode at 48 kHz too: the rate is the decoder's choice.
    let (wide, _) = round_trip(&tone, 8000, 160, 48_000);
    assert_eq!(wide.len(), 48_000);
    assert!((dominant_frequency(&wide[4800..], 48_000) - 1000.0).abs() < 2.0);
}

#[test]
fn lost_packet_is_concealed_with_the_ongoing_tone() {
    let tone = sine(440.0, 48_000, 960 * 30, 0.4);
    let mut encoder = OpusEncoder::new(48_000, 1).unwrap();
    let mut decoder = OpusDecoder::new(48_000, 1).unwrap();
    let mut packet = [0u8; 1500];
    let mut out = vec![0i16; 5760];
    for chunk in tone.chunks_exact(960).take(20) {
        let len = encoder.encode(chunk, &mut packet).unwrap();
        decoder.decode(Some(&packet[..len]), &mut out).unwrap();
    }
    let n = decoder.decode(None, &mut out).unwrap();
    assert_eq!(n, 960, "one packet's worth");
    let concealed = &out[..n];
    assert!(rms(concealed) > 0.3 * rms(&tone), "concealment is not silence: rms {}", rms(concealed));
    assert!((dominant_frequency(concealed, 48_000) - 440.0).abs() < 20.0);
    // An empty payload counts as a loss too, and decoding carries on after.
    assert_eq!(decoder.decode(Some(&[]), &mut out).unwrap(), 960);
    let len = encoder.encode(&tone[960 * 22..960 * 23], &mut packet).unwrap();
    assert_eq!(decoder.decode(Some(&packet[..len]), &mut out).unwrap(), 960);
}

#[test]
fn fec_rebuilds_a_lost_packet_from_the_next() {
    let tone = sine(300.0, 16_000, 320 * 30, 0.3);
    let mut encoder = OpusEncoder::new(16_000, 1).unwrap();
    encoder.set_bitrate(16_000).unwrap();
    encoder.set_inband_fec(20).unwrap();
    let packets: Vec<Vec<u8>> = tone
        .chunks_exact(320)
        .map(|chunk| {
            let mut packet = [0u8; 1500];
            let len = encoder.encode(chunk, &mut packet).unwrap();
            packet[..len].to_vec()
        })
        .collect();
    let mut decoder = OpusDecoder::new(16_000, 1).unwrap();
    let mut out = vec![0i16; 1920];
    for packet in &packets[..20] {
        decoder.decode(Some(packet), &mut out).unwrap();
    }
    // Packet 20 is lost; 21 carries its redundancy.
    let n = decoder.decode_fec(&packets[21], &mut out).unwrap();
    assert_eq!(n, 320);
    let rebuilt = &out[..n];
    assert!(rms(rebuilt) > 0.5 * rms(&tone), "rms {}", rms(rebuilt));
    assert!((dominant_frequency(rebuilt, 16_000) - 300.0).abs() < 15.0);
    assert_eq!(decoder.decode(Some(&packets[21]), &mut out).unwrap(), 320);
}

#[test]
fn bad_rates_channels_and_frames_are_refused() {
    assert!(matches!(OpusEncoder::new(44_100, 1), Err(AudioError::UnsupportedRate(44_100))));
    assert!(matches!(OpusDecoder::new(48_000, 3), Err(AudioError::UnsupportedChannels(3))));
    let mut encoder = OpusEncoder::new(48_000, 1).unwrap();
    let mut packet = [0u8; 1500];
    assert!(matches!(encoder.encode(&[0; 1000], &mut packet), Err(AudioError::UnsupportedFrame { .. })));
    for ms in [10, 20, 40, 60] {
        assert!(encoder.encode(&vec![0; 48 * ms], &mut packet).is_ok(), "{ms} ms");
    }
    let mut decoder = OpusDecoder::new(48_000, 1).unwrap();
    let mut out = [0i16; 5760];
    assert!(matches!(decoder.decode(Some(&[0xff, 0xff, 0xff]), &mut out), Err(AudioError::Opus(_))));
    assert!(matches!(decoder.decode(None, &mut out[..100]), Err(AudioError::BufferTooSmall { needed: 960, .. })));
}

#[test]
fn stereo_packets_decode_to_mono() {
    let tone = sine(700.0, 48_000, 9600, 0.4);
    let stereo: Vec<i16> = tone.iter().flat_map(|&s| [s, s]).collect();
    let mut encoder = OpusEncoder::new(48_000, 2).unwrap();
    let mut decoder = OpusDecoder::new(48_000, 1).unwrap();
    let mut packet = [0u8; 1500];
    let mut out = vec![0i16; 5760];
    let mut decoded = Vec::new();
    for chunk in stereo.chunks_exact(1920) {
        let len = encoder.encode(chunk, &mut packet).unwrap();
        let n = decoder.decode(Some(&packet[..len]), &mut out).unwrap();
        decoded.extend_from_slice(&out[..n]);
    }
    assert_eq!(decoded.len(), 9600);
    assert!((dominant_frequency(&decoded[960..], 48_000) - 700.0).abs() < 2.0);
}

#[test]
fn rtpmap_is_written_and_read_as_rfc_7587_says() {
    assert_eq!(format_opus_rtpmap(111), "a=rtpmap:111 opus/48000/2");
    assert_eq!(parse_opus_rtpmap(&format_opus_rtpmap(111)), Some(111));
    assert_eq!(parse_opus_rtpmap("rtpmap:96 OPUS/48000/2"), Some(96));
    assert_eq!(parse_opus_rtpmap("a=rtpmap:101 opus/48000"), Some(101));
    for other in [
        "a=rtpmap:0 PCMU/8000",
        "a=rtpmap:101 telephone-event/8000",
        "a=rtpmap:111 opus/16000/1",
        "a=rtpmap:x opus/48000/2",
        "a=rtpmap:300 opus/48000/2",
        "a=fmtp:111 minptime=10",
        "a=rtpmap:",
        "",
        "a=rtpmap:1é opus/48000/2",
    ] {
        assert_eq!(parse_opus_rtpmap(other), None, "{other}");
    }
}

#[test]
fn fmtp_parses_what_peers_send_and_formats_what_the_switch_offers() {
    let offer = OpusFmtp::offer();
    assert_eq!(offer.format(111), "a=fmtp:111 minptime=10;useinbandfec=1");
    assert_eq!(OpusFmtp::parse(&offer.format(111)), Some((111, offer)));

    let (pt, browser) =
        OpusFmtp::parse("a=fmtp:109 maxplaybackrate=16000; stereo=0;sprop-stereo=1 ;useinbandfec=1;x-google=5")
            .unwrap();
    assert_eq!(pt, 109);
    assert_eq!(
        browser,
        OpusFmtp { maxplaybackrate: Some(16_000), sprop_stereo: true, useinbandfec: true, ..OpusFmtp::default() }
    );
    assert_eq!(browser.coding_rate(), 16_000);
    assert_eq!(OpusFmtp::default().coding_rate(), 48_000);
    assert_eq!(OpusFmtp { maxplaybackrate: Some(8000), ..OpusFmtp::default() }.coding_rate(), 8000);

    let all = OpusFmtp {
        minptime: Some(20),
        useinbandfec: true,
        usedtx: true,
        stereo: true,
        sprop_stereo: true,
        maxplaybackrate: Some(24_000),
        maxaveragebitrate: Some(20_000),
    };
    assert_eq!(OpusFmtp::parse(&all.format(96)), Some((96, all)));

    // Bad values are ignored, bad lines refused, nothing panics.
    assert_eq!(OpusFmtp::parse("a=fmtp:111 minptime=abc;useinbandfec"), Some((111, OpusFmtp::default())));
    assert_eq!(OpusFmtp::parse("a=fmtp:111"), Some((111, OpusFmtp::default())));
    assert_eq!(OpusFmtp::parse("a=fmtp:abc minptime=10"), None);
    assert_eq!(OpusFmtp::parse("a=rtpmap:111 opus/48000/2"), None);
    assert_eq!(OpusFmtp::parse("a=fmt"), None);
}

#[test]
fn sdp_parsers_never_panic_on_scrambled_lines() {
    // Lines spliced from the pieces the parsers look for, in random order.
    let pieces =
        ["a=", "rtpmap:", "fmtp:", "111", " ", "opus", "/", "48000", "2", ";", "=", "minptime", "é", "\t", "x"];
    let mut state = 0x1234_5678_9abc_def0u64;
    for _ in 0..20_000 {
        let mut line = String::new();
        for _ in 0..(state % 12) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            line.push_str(pieces[(state % pieces.len() as u64) as usize]);
        }
        let _ = parse_opus_rtpmap(&line);
        if let Some((pt, fmtp)) = OpusFmtp::parse(&line) {
            // Whatever was understood survives a round trip.
            assert_eq!(OpusFmtp::parse(&fmtp.format(pt)), Some((pt, fmtp)), "{line:?}");
        }
    }
}
