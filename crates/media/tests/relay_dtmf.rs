//! DTMF through the relay over real sockets: RFC 4733 events from one leg
//! are reported once and regenerated with the other leg's payload type;
//! digits the switch plays are injected between relayed packets without
//! breaking the sequence numbers; in-band tones from a leg without
//! telephone-event are heard too.

mod common;

use std::time::Duration;

use common::*;
use tokio::sync::mpsc;
use tokio::time::{sleep, timeout};
use voxide_media::dtmf::{Digit, DtmfSender, TelephoneEvent};
use voxide_media::{Leg, MediaEvent, g711};
use voxide_sdp::{AudioCodec, LegFormat};

const EVENT_A: u8 = 101;
const EVENT_B: u8 = 96;

fn formats(dtmf_a: Option<u8>, dtmf_b: Option<u8>) -> (LegFormat, LegFormat) {
    (
        LegFormat { audio: Some((AudioCodec::Pcmu, PCMU)), dtmf: dtmf_a },
        LegFormat { audio: Some((AudioCodec::Pcmu, PCMU)), dtmf: dtmf_b },
    )
}

/// Every event reported within `wait`.
async fn events_within(events: &mut mpsc::UnboundedReceiver<MediaEvent>, wait: Duration) -> Vec<MediaEvent> {
    let mut got = Vec::new();
    while let Ok(Some(e)) = timeout(wait, events.recv()).await {
        got.push(e);
    }
    got
}

#[tokio::test]
async fn rfc4733_digits_are_reported_once_and_regenerated_for_the_other_leg() {
    let Call { relay: _relay, a, b, to_a, mut events, .. } =
        call((47200, 47219), 7, Some(formats(Some(EVENT_A), Some(EVENT_B)))).await;

    let packets = DtmfSender::default().packets(Digit::from_char('5').unwrap(), 100, 10, 16000);
    for (i, p) in packets.iter().enumerate() {
        let pkt = rtp(EVENT_A, p.marker, 500 + i as u16, p.timestamp, 0xa, &p.payload);
        a.send_to(&pkt, to_a).await.unwrap();
        // The three end packets are sent twice over: duplicates change nothing.
        if TelephoneEvent::parse(&p.payload).unwrap().end {
            a.send_to(&pkt, to_a).await.unwrap();
        }
    }
    let mut relayed = Vec::new();
    while let Some((pkt, _)) = recv(&b).await {
        relayed.push(pkt);
    }
    assert!(relayed.len() >= packets.len(), "B got {} of {} packets", relayed.len(), packets.len());
    for pkt in &relayed {
        assert_eq!(pkt[1] & 0x7f, EVENT_B, "regenerated with B's payload type");
        let ev = TelephoneEvent::parse(&pkt[12..]).unwrap();
        assert_eq!(ev.event, 5);
        assert_eq!(u32::from_be_bytes([pkt[4], pkt[5], pkt[6], pkt[7]]), 16000, "the event's timestamp is kept");
    }
    let got = events_within(&mut events, Duration::from_millis(300)).await;
    assert_eq!(got, [MediaEvent::Dtmf { id: 7, leg: Leg::A, digit: '5', duration_ms: 100 }]);
}

#[tokio::test]
async fn a_digit_whose_end_packets_are_all_lost_is_still_reported_once() {
    let Call { relay: _relay, a, b, to_a, mut events, .. } =
        call((47220, 47239), 8, Some(formats(Some(EVENT_A), None))).await;
    let packets = DtmfSender::default().packets(Digit::from_char('#').unwrap(), 120, 10, 8000);
    for (i, p) in packets.iter().enumerate().filter(|(_, p)| !TelephoneEvent::parse(&p.payload).unwrap().end) {
        a.send_to(&rtp(EVENT_A, p.marker, i as u16, p.timestamp, 0xa, &p.payload), to_a).await.unwrap();
    }
    // B has no telephone-event: nothing of the digit reaches it.
    expect_nothing(&b, "events to a leg without telephone-event").await;
    let got = events_within(&mut events, Duration::from_millis(1500)).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(matches!(got[0], MediaEvent::Dtmf { id: 8, leg: Leg::A, digit: '#', .. }), "{got:?}");
}

#[tokio::test]
async fn digits_the_switch_plays_sit_between_relayed_packets_in_one_sequence() {
    let Call { relay, a, b, to_a, events: _, .. } =
        call((47240, 47259), 9, Some(formats(Some(EVENT_A), Some(EVENT_B)))).await;

    // A talks for 1.2 s at 20 ms pacing; the switch plays "42" to B meanwhile.
    let talker = tokio::spawn(async move {
        for i in 0..60u16 {
            let pkt = rtp(PCMU, i == 0, 100 + i, u32::from(i) * 160, 0xa, &tone_ulaw(usize::from(i) * SAMPLES));
            a.send_to(&pkt, to_a).await.unwrap();
            sleep(Duration::from_millis(20)).await;
        }
    });
    sleep(Duration::from_millis(200)).await;
    relay.send_dtmf(Leg::B, "42", 100);
    let mut got = Vec::new();
    while let Some((pkt, _)) = recv(&b).await {
        got.push(pkt);
    }
    talker.await.unwrap();

    let seqs: Vec<u16> = got.iter().map(|p| u16::from_be_bytes([p[2], p[3]])).collect();
    for w in seqs.windows(2) {
        assert_eq!(w[1], w[0].wrapping_add(1), "B's sequence numbers run without gaps or repeats: {seqs:?}");
    }
    let events: Vec<&Vec<u8>> = got.iter().filter(|p| p[1] & 0x7f == EVENT_B).collect();
    let starts: Vec<u8> =
        events.iter().filter(|p| p[1] & 0x80 != 0).map(|p| TelephoneEvent::parse(&p[12..]).unwrap().event).collect();
    assert_eq!(starts, [4, 2], "one marked first packet per digit");
    let ends = events.iter().filter(|p| TelephoneEvent::parse(&p[12..]).unwrap().end).count();
    assert_eq!(ends, 6, "three end packets per digit");
    let ssrcs: std::collections::HashSet<u32> =
        got.iter().map(|p| u32::from_be_bytes([p[8], p[9], p[10], p[11]])).collect();
    assert_eq!(ssrcs.len(), 1, "one stream");
    assert!(got.len() > events.len(), "audio is relayed before and after the digits");
}

/// `ms` of the DTMF tone for `digit` at about -10 dBm0, μ-law, in 20 ms packets.
fn dtmf_tone(digit: char, ms: usize, offset: usize) -> Vec<Vec<u8>> {
    let (low, high) = match digit {
        '7' => (852.0, 1209.0),
        _ => unreachable!("only 7 is used"),
    };
    let samples: Vec<u8> = (0..ms * 8)
        .map(|i| {
            let t = (offset + i) as f64 / 8000.0;
            let v =
                5000.0 * ((2.0 * std::f64::consts::PI * low * t).sin() + (2.0 * std::f64::consts::PI * high * t).sin());
            g711::linear_to_ulaw(v as i16)
        })
        .collect();
    samples.chunks(SAMPLES).map(<[u8]>::to_vec).collect()
}

#[tokio::test]
async fn in_band_tones_from_a_leg_without_telephone_event_are_heard() {
    let Call { relay: _relay, a, b, to_a, mut events, .. } = call((47260, 47279), 10, Some(formats(None, None))).await;
    let silence = vec![g711::linear_to_ulaw(0); SAMPLES];
    let mut frames: Vec<Vec<u8>> = vec![silence.clone(); 5];
    frames.extend(dtmf_tone('7', 120, 0));
    frames.extend(vec![silence; 10]);
    for (i, f) in frames.iter().enumerate() {
        a.send_to(&rtp(PCMU, i == 0, i as u16, (i * SAMPLES) as u32, 0xa, f), to_a).await.unwrap();
        sleep(Duration::from_millis(2)).await;
    }
    let got = events_within(&mut events, Duration::from_millis(300)).await;
    assert_eq!(got.len(), 1, "{got:?}");
    let MediaEvent::Dtmf { leg, digit, duration_ms, .. } = got[0] else { panic!("{got:?}") };
    assert_eq!((leg, digit), (Leg::A, '7'));
    assert!((80..=160).contains(&duration_ms), "{duration_ms} ms for a 120 ms tone");
    // The tone itself was relayed as audio.
    assert!(recv(&b).await.is_some());
}
