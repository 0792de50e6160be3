//! The RTP relay over real UDP sockets on the loopback: two phones (plain
//! sockets) talk through a relay allocated from a `MediaEngine`.
//!
//! Each test owns its own port range so they can run in parallel.

mod common;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::Duration;

use common::*;
use tokio::net::UdpSocket;
use tokio::time::{sleep, timeout};
use voxide_media::{Leg, MediaError, MediaEvent, g711};
use voxide_sdp::{AudioCodec, LegFormat};

/// Sends a stream of packets and checks each arrives unchanged, from the
/// relay's socket facing the receiver.
async fn stream(from: &UdpSocket, to: &UdpSocket, via: SocketAddr, out_of: SocketAddr, ssrc: u32, first_seq: u16) {
    for i in 0..20u16 {
        let seq = first_seq.wrapping_add(i);
        let pkt = rtp(PCMU, i == 0, seq, u32::from(i) * SAMPLES as u32, ssrc, &tone_ulaw(usize::from(i) * SAMPLES));
        from.send_to(&pkt, via).await.unwrap();
        let (got, source) = recv(to).await.unwrap_or_else(|| panic!("packet {seq} was not relayed"));
        assert_eq!(got, pkt, "packet {seq} arrives unchanged");
        assert_eq!(source, out_of, "the relay sends from its socket facing the receiver");
    }
}

#[tokio::test]
async fn rtp_is_relayed_both_ways_unchanged() {
    let (engine, _events) = engine((47000, 47019), Duration::from_secs(30));
    let relay = engine.allocate(1).unwrap();
    assert_eq!(relay.id(), 1);
    assert_ne!(relay.local_port(Leg::A), relay.local_port(Leg::B));
    assert!(relay.local_port(Leg::A) % 2 == 0 && relay.local_port(Leg::B) % 2 == 0, "RTP ports are even");
    let (a, b) = (phone().await, phone().await);
    relay.set_remote(Leg::A, a.local_addr().unwrap());
    relay.set_remote(Leg::B, b.local_addr().unwrap());
    settle().await;

    let (to_a, to_b) = (relay_addr(&relay, Leg::A), relay_addr(&relay, Leg::B));
    stream(&a, &b, to_a, to_b, 0x1111, 1000).await;
    stream(&b, &a, to_b, to_a, 0x2222, 65530).await; // across the sequence wrap
    assert_eq!(engine.stats().relayed(), 40);
    assert_eq!(engine.stats().packets_lost.load(Ordering::Relaxed), 0);
    assert_eq!(engine.stats().active_relays.load(Ordering::Relaxed), 1);
}

#[tokio::test]
async fn the_relay_answers_to_where_rtp_really_comes_from() {
    let (engine, _events) = engine((47020, 47039), Duration::from_secs(30));
    let relay = engine.allocate(2).unwrap();
    let (a, b) = (phone().await, phone().await);
    // Both phones are behind NAT: their SDP names addresses they do not
    // send from.
    let (decoy_a, decoy_b) = (phone().await, phone().await);
    relay.set_remote(Leg::A, decoy_a.local_addr().unwrap());
    relay.set_remote(Leg::B, decoy_b.local_addr().unwrap());
    settle().await;
    let (to_a, to_b) = (relay_addr(&relay, Leg::A), relay_addr(&relay, Leg::B));

    // Before B has sent anything, A's audio goes where B's SDP said.
    let first = rtp(PCMU, true, 1, 0, 0xa, &tone_ulaw(0));
    a.send_to(&first, to_a).await.unwrap();
    assert_eq!(recv(&decoy_b).await.map(|(p, _)| p), Some(first));

    // Once B speaks, its real address is used, and A's latched one too.
    let from_b = rtp(PCMU, true, 500, 0, 0xb, &tone_ulaw(0));
    b.send_to(&from_b, to_b).await.unwrap();
    assert_eq!(recv(&a).await, Some((from_b, to_a)));
    stream(&a, &b, to_a, to_b, 0xa, 2).await;
    stream(&b, &a, to_b, to_a, 0xb, 501).await;

    // A later SDP address does not undo the latch.
    relay.set_remote(Leg::A, decoy_a.local_addr().unwrap());
    settle().await;
    stream(&b, &a, to_b, to_a, 0xb, 521).await;
    expect_nothing(&decoy_a, "the SDP address of a latched leg").await;
    expect_nothing(&decoy_b, "the SDP address of a latched leg").await;

    // Someone else spraying RTP at A's port takes nothing over ("RTP bleed").
    let intruder = phone().await;
    let pkt = rtp(PCMU, false, 7, 0, 0x666, &tone_ulaw(0));
    intruder.send_to(&pkt, to_a).await.unwrap();
    expect_nothing(&b, "an intruder's RTP").await;
    stream(&b, &a, to_b, to_a, 0xb, 531).await;
    expect_nothing(&intruder, "B's audio, for an intruder").await;
    assert_eq!(engine.stats().packets_refused.load(Ordering::Relaxed), 1);

    // A phone whose source port changes (NAT rebinding) keeps its SSRC and is followed.
    let a_moved = phone().await;
    let pkt = rtp(PCMU, false, 22, 22 * SAMPLES as u32, 0xa, &tone_ulaw(0));
    a_moved.send_to(&pkt, to_a).await.unwrap();
    assert_eq!(recv(&b).await.map(|(p, _)| p), Some(pkt));
    stream(&b, &a_moved, to_b, to_a, 0xb, 541).await;
}

#[tokio::test]
async fn pcmu_and_pcma_are_transcoded_between_the_legs() {
    let (engine, _events) = engine((47040, 47059), Duration::from_secs(30));
    let relay = engine.allocate(3).unwrap();
    let (a, b) = (phone().await, phone().await);
    relay.set_remote(Leg::A, a.local_addr().unwrap());
    relay.set_remote(Leg::B, b.local_addr().unwrap());
    relay.set_formats(
        LegFormat { audio: Some((AudioCodec::Pcmu, PCMU)), dtmf: None },
        LegFormat { audio: Some((AudioCodec::Pcma, PCMA)), dtmf: None },
    );
    settle().await;
    let (to_a, to_b) = (relay_addr(&relay, Leg::A), relay_addr(&relay, Leg::B));

    // A speaks PCMU, B hears PCMA.
    let ulaw = tone_ulaw(0);
    let sent = rtp(PCMU, true, 7, 1234, 0xabc, &ulaw);
    a.send_to(&sent, to_a).await.unwrap();
    let (got, _) = recv(&b).await.expect("relayed");
    assert_eq!(got.len(), sent.len());
    assert_eq!(got[1], 0x80 | PCMA, "payload type rewritten, marker kept");
    assert_eq!(got[0], sent[0]);
    assert_eq!(got[2..12], sent[2..12], "sequence, timestamp and SSRC kept");
    let mut expected = ulaw.clone();
    g711::ulaw_to_alaw_in_place(&mut expected);
    assert_eq!(got[12..], expected[..]);
    for (u, a) in ulaw.iter().zip(&got[12..]) {
        let (x, y) = (i32::from(g711::ulaw_to_linear(*u)), i32::from(g711::alaw_to_linear(*a)));
        assert!((x - y).abs() <= x.abs() / 8 + 16, "μ-law {u:#04x} ({x}) became A-law {a:#04x} ({y})");
    }

    // B speaks PCMA, A hears PCMU.
    let alaw: Vec<u8> = ulaw.iter().map(|u| g711::linear_to_alaw(g711::ulaw_to_linear(*u))).collect();
    let sent = rtp(PCMA, false, 9, 5678, 0xdef, &alaw);
    b.send_to(&sent, to_b).await.unwrap();
    let (got, _) = recv(&a).await.expect("relayed");
    assert_eq!(got[1], PCMU);
    assert_eq!(got[2..12], sent[2..12]);
    let mut expected = alaw.clone();
    g711::alaw_to_ulaw_in_place(&mut expected);
    assert_eq!(got[12..], expected[..]);

    // A payload type neither leg agreed to (telephone-event was not
    // negotiated here) is not pushed into the transcoded stream.
    let dtmf = rtp(101, true, 8, 1234, 0xabc, &[5, 0x8a, 0, 160]);
    a.send_to(&dtmf, to_a).await.unwrap();
    expect_nothing(&b, "an unnegotiated payload type").await;
    assert_eq!(engine.stats().packets_transcoded.load(Ordering::Relaxed), 2);
}

#[tokio::test]
async fn rtcp_on_the_port_above_is_relayed_to_the_other_legs_rtcp_port() {
    let (engine, _events) = engine((47060, 47079), Duration::from_secs(30));
    let relay = engine.allocate(4).unwrap();
    let ((a, a_rtcp), (b, b_rtcp)) = (phone_pair().await, phone_pair().await);
    relay.set_remote(Leg::A, a.local_addr().unwrap());
    relay.set_remote(Leg::B, b.local_addr().unwrap());
    settle().await;
    let rtcp_a = SocketAddr::new(LOCALHOST, relay.local_port(Leg::A) + 1);
    let rtcp_b = SocketAddr::new(LOCALHOST, relay.local_port(Leg::B) + 1);

    // A sender report (PT 200) and a receiver report (PT 201).
    let sr: Vec<u8> = [0x80, 200, 0, 6].into_iter().chain((0..24).map(|i| i as u8)).collect();
    a_rtcp.send_to(&sr, rtcp_a).await.unwrap();
    assert_eq!(recv(&b_rtcp).await, Some((sr, rtcp_b)));
    let rr: Vec<u8> = [0x80, 201, 0, 1, 0, 0, 0xbe, 0xef].to_vec();
    b_rtcp.send_to(&rr, rtcp_b).await.unwrap();
    assert_eq!(recv(&a_rtcp).await, Some((rr, rtcp_a)));
    expect_nothing(&a, "RTCP on the RTP port").await;
    expect_nothing(&b, "RTCP on the RTP port").await;
}

#[tokio::test]
async fn a_silent_leg_is_reported_once() {
    let (engine, mut events) = engine((47080, 47099), Duration::from_secs(1));
    let relay = engine.allocate(5).unwrap();
    let (a, b) = (phone().await, phone().await);
    relay.set_remote(Leg::A, a.local_addr().unwrap());
    relay.set_remote(Leg::B, b.local_addr().unwrap());
    settle().await;

    // A talks for 3.5 s; B says nothing.
    let to_a = relay_addr(&relay, Leg::A);
    for i in 0..35u16 {
        a.send_to(&rtp(PCMU, false, i, u32::from(i) * 800, 1, &tone_ulaw(0)), to_a).await.unwrap();
        sleep(Duration::from_millis(100)).await;
    }
    let mut got = Vec::new();
    while let Ok(e) = events.try_recv() {
        got.push(e);
    }
    assert_eq!(got, [MediaEvent::Timeout { id: 5, leg: Leg::B }]);
}

#[tokio::test]
async fn a_leg_on_hold_is_not_timed_out_and_gets_a_fresh_start_when_resumed() {
    let (engine, mut events) = engine((47100, 47119), Duration::from_secs(1));
    let relay = engine.allocate(6).unwrap();
    let (a, b) = (phone().await, phone().await);
    relay.set_remote(Leg::A, a.local_addr().unwrap());
    relay.set_remote(Leg::B, b.local_addr().unwrap());
    relay.set_hold(true);
    sleep(Duration::from_millis(2500)).await;
    assert_eq!(events.try_recv().ok(), None, "no timeout while on hold");

    // Resumed: the phones take a moment to send again.
    relay.set_hold(false);
    sleep(Duration::from_millis(500)).await;
    assert_eq!(events.try_recv().ok(), None, "silence on hold does not count after resuming");
    let (to_a, to_b) = (relay_addr(&relay, Leg::A), relay_addr(&relay, Leg::B));
    for i in 0..15u16 {
        a.send_to(&rtp(PCMU, false, i, 0, 1, &tone_ulaw(0)), to_a).await.unwrap();
        b.send_to(&rtp(PCMU, false, i, 0, 2, &tone_ulaw(0)), to_b).await.unwrap();
        sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(events.try_recv().ok(), None);

    // Silent again with no hold: now it is a timeout.
    let event = timeout(Duration::from_secs(3), events.recv()).await.expect("a timeout is reported");
    assert!(matches!(event, Some(MediaEvent::Timeout { id: 6, .. })), "{event:?}");
}

#[tokio::test]
async fn dropping_a_relay_returns_its_ports_to_the_pool() {
    // Four RTP/RTCP pairs: enough for two relays.
    let (engine, _events) = engine((47120, 47127), Duration::from_secs(30));
    let first = engine.allocate(7).unwrap();
    let second = engine.allocate(8).unwrap();
    assert!(matches!(engine.allocate(9), Err(MediaError::PoolExhausted)));
    let ports = (first.local_port(Leg::A), first.local_port(Leg::B));

    drop(first);
    settle().await;
    let third = engine.allocate(10).expect("the dropped relay's ports are free again");
    assert_eq!((third.local_port(Leg::A), third.local_port(Leg::B)), ports);
    assert!(matches!(engine.allocate(11), Err(MediaError::PoolExhausted)));
    assert_eq!(engine.stats().active_relays.load(Ordering::Relaxed), 2);

    // The new relay works on the reused ports.
    let (a, b) = (phone().await, phone().await);
    third.set_remote(Leg::A, a.local_addr().unwrap());
    third.set_remote(Leg::B, b.local_addr().unwrap());
    settle().await;
    stream(&a, &b, relay_addr(&third, Leg::A), relay_addr(&third, Leg::B), 3, 0).await;

    // Closing returns them too.
    assert_eq!(second.close().await, None, "nothing was recorded");
    assert!(engine.allocate(12).is_ok());
}

#[tokio::test]
async fn non_rtp_datagrams_are_ignored_without_breaking_the_relay() {
    let (engine, _events) = engine((47140, 47159), Duration::from_secs(30));
    let relay = engine.allocate(13).unwrap();
    let (a, b, stranger) = (phone().await, phone().await, phone().await);
    relay.set_remote(Leg::A, a.local_addr().unwrap());
    relay.set_remote(Leg::B, b.local_addr().unwrap());
    settle().await;
    let (to_a, to_b) = (relay_addr(&relay, Leg::A), relay_addr(&relay, Leg::B));

    let stun = [0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
    let junk: [&[u8]; 5] = [b"", b"hello", &[0x80; 11], &stun, &[0x40; 172]];
    for j in junk {
        stranger.send_to(j, to_a).await.unwrap();
        a.send_to(j, to_a).await.unwrap();
        b.send_to(j, to_b).await.unwrap();
    }
    expect_nothing(&b, "junk sent to leg A").await;
    expect_nothing(&a, "junk sent to leg B").await;

    // Audio still flows, to the phones rather than to whoever sent junk.
    stream(&a, &b, to_a, to_b, 0xa, 100).await;
    stream(&b, &a, to_b, to_a, 0xb, 200).await;
    expect_nothing(&stranger, "a sender of junk").await;
}
