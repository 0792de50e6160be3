//! The relay calls with rtpengine's side written by hand and a relay in
//! memory that hands every packet to the book, on a virtual clock.

use std::time::{Duration, Instant};

use super::*;
use crate::bencode::{self, Value};
use crate::rtp::PHASES;

const TIMING: Timing = Timing {
    hold: Duration::from_millis(200),
    drain: Duration::from_millis(100),
    prime: Duration::from_millis(40),
    control_timeout: Duration::from_millis(500),
    control_tries: 3,
};

fn socks() -> Vec<SocketAddr> {
    (0..4).map(|i| format!("127.0.0.1:{}", 7000 + i).parse().unwrap()).collect()
}

/// A control request as rtpengine reads it: cookie and dictionary.
fn request(t: &Transmit) -> (String, Value) {
    let Transmit::Control(bytes) = t else { panic!("not a control request: {t:?}") };
    let space = bytes.iter().position(|&b| b == b' ').unwrap();
    (String::from_utf8(bytes[..space].to_vec()).unwrap(), bencode::decode(&bytes[space + 1..]).unwrap())
}

fn field<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_else(|| panic!("no {key} in {v:?}"))
}

fn ok_with_port(cookie: &str, port: u16) -> Vec<u8> {
    let sdp = sipmsg::sdp("127.0.0.1".parse().unwrap(), port, 1);
    format!("{cookie} d3:sdp{}:{sdp}6:result2:oke", sdp.len()).into_bytes()
}

/// Runs RTP ticks and timers for `span` in 5 ms steps; packets sent to a
/// relay port in `path` arrive at once (the relay forwards them all).
fn drive(calls: &mut Calls, t: &mut Instant, t0: Instant, span: Duration, path: &[u16]) -> Vec<(usize, SocketAddr)> {
    let mut seen = Vec::new();
    let end = *t + span;
    let mut phase = 0;
    while *t < end {
        *t += Duration::from_millis(5);
        let now_ns = t.duration_since(t0).as_nanos() as u64;
        let mut pkts = Vec::new();
        calls.media.sender.tick(phase, now_ns, |sock, to, p| {
            seen.push((sock, to));
            pkts.push((to, p.to_vec()));
            true
        });
        phase = (phase + 1) % PHASES;
        for (to, p) in pkts {
            if path.contains(&to.port()) {
                calls.media.book.borrow_mut().on_packet(&p, now_ns + 1_000_000);
            }
        }
        calls.on_timers(*t);
    }
    seen
}

#[test]
fn an_rtpengine_call_offers_answers_streams_both_ways_and_deletes() {
    let t0 = Instant::now();
    let mut t = t0;
    let mut calls = Calls::new(Target::Rtpengine, TIMING, socks());
    calls.place_call(t);
    let sent = calls.take_transmits();
    let (cookie, offer) = request(&sent[0]);
    assert_eq!(field(&offer, "command"), "offer");
    let (call_id, from_tag) = (field(&offer, "call-id").to_owned(), field(&offer, "from-tag").to_owned());
    let caller_sdp = offer.get("sdp").and_then(Value::as_bytes).unwrap();
    assert_eq!(sipmsg::sdp_rtp_addr(caller_sdp), Some(socks()[0]), "the caller's SDP is our first socket");

    t += Duration::from_millis(2);
    calls.on_control(&ok_with_port(&cookie, 10000), t);
    let (cookie, answer) = request(&calls.take_transmits()[0]);
    assert_eq!(field(&answer, "command"), "answer");
    assert_eq!((field(&answer, "call-id"), field(&answer, "from-tag")), (call_id.as_str(), from_tag.as_str()));
    assert!(!field(&answer, "to-tag").is_empty());
    let callee_sdp = answer.get("sdp").and_then(Value::as_bytes).unwrap();
    assert_eq!(sipmsg::sdp_rtp_addr(callee_sdp), Some(socks()[2]), "the callee's socket is half a pool away");

    t += Duration::from_millis(1);
    calls.on_control(&ok_with_port(&cookie, 10002), t);
    assert_eq!((calls.counters.up, calls.active_calls()), (1, 1));
    assert_eq!(calls.counters.setup_us.summary(1000.0).count, 1);
    let seen = drive(&mut calls, &mut t, t0, Duration::from_millis(400), &[10000, 10002]);
    // The caller sends to the port from the answer's reply, the callee to the offer's.
    let relay = |port: u16| SocketAddr::new("127.0.0.1".parse().unwrap(), port);
    assert!(seen.contains(&(0, relay(10002))) && seen.contains(&(2, relay(10000))), "{seen:?}");
    assert!(seen.iter().all(|s| *s == (0, relay(10002)) || *s == (2, relay(10000))), "{seen:?}");

    let (cookie, delete) = request(&calls.take_transmits()[0]);
    assert_eq!((field(&delete, "command"), field(&delete, "call-id")), ("delete", call_id.as_str()));
    calls.on_control(format!("{cookie} d7:createdi1e6:result2:oke").as_bytes(), t);
    let loss = calls.media.loss();
    assert_eq!((calls.counters.ok, calls.counters.failed, calls.active_calls()), (1, 0, 0));
    assert_eq!((loss.streams, loss.lost), (2, 0));
    assert_eq!(loss.sent, 20, "200 ms of 20 ms packets on each leg");
    assert!((calls.counters.talk_secs - 0.2).abs() < 1e-9);
}

#[test]
fn packets_the_relay_drops_are_counted_lost() {
    let t0 = Instant::now();
    let mut t = t0;
    let mut calls = Calls::new(Target::Rtpengine, TIMING, socks());
    calls.place_call(t);
    let (cookie, _) = request(&calls.take_transmits()[0]);
    calls.on_control(&ok_with_port(&cookie, 10000), t);
    let (cookie, _) = request(&calls.take_transmits()[0]);
    calls.on_control(&ok_with_port(&cookie, 10002), t);
    // Only the callee's packets (to port 10000) get through.
    drive(&mut calls, &mut t, t0, Duration::from_millis(400), &[10000]);
    let loss = calls.media.loss();
    assert_eq!((loss.sent, loss.received, loss.lost, loss.streams_with_loss), (20, 10, 10, 1));
}

#[test]
fn unanswered_requests_are_resent_then_fail_and_late_replies_are_strays() {
    let t0 = Instant::now();
    let mut calls = Calls::new(Target::Rtpengine, TIMING, socks());
    calls.place_call(t0);
    let first = calls.take_transmits();
    let (cookie, _) = request(&first[0]);
    let mut t = t0;
    while let Some(next) = calls.next_deadline() {
        t = next;
        calls.on_timers(t);
    }
    let resent = calls.take_transmits();
    assert_eq!(resent, vec![first[0].clone(), first[0].clone()], "the same cookie and bytes, twice");
    assert_eq!(t, t0 + 3 * TIMING.control_timeout);
    assert_eq!(calls.counters.failures.get("offer-timeout"), Some(&1));
    assert_eq!((calls.counters.control_resent, calls.active_calls()), (2, 0));
    calls.on_control(&ok_with_port(&cookie, 10000), t);
    calls.on_control(b"not ng at all", t);
    assert_eq!((calls.counters.stray_replies, calls.counters.bad_replies), (1, 1));
    assert!(calls.take_transmits().is_empty());
}

#[test]
fn an_error_reply_fails_the_call_with_its_reason() {
    let t0 = Instant::now();
    let mut calls = Calls::new(Target::Rtpengine, TIMING, socks());
    calls.place_call(t0);
    let (cookie, _) = request(&calls.take_transmits()[0]);
    calls.on_control(format!("{cookie} d6:result5:error12:error-reason16:Ran out of portse").as_bytes(), t0);
    assert_eq!(calls.counters.failures.get("offer: Ran out of ports"), Some(&1));
    // An ok reply without SDP is no use either.
    calls.place_call(t0);
    let (cookie, _) = request(&calls.take_transmits()[0]);
    calls.on_control(format!("{cookie} d6:result2:oke").as_bytes(), t0);
    assert_eq!(calls.counters.failures.get("offer: no usable SDP"), Some(&1));
    assert_eq!((calls.counters.failed, calls.counters.up), (2, 0));
}

#[test]
fn echo_calls_latch_their_pair_first_and_reuse_pairs_oldest_first() {
    let t0 = Instant::now();
    let mut t = t0;
    let ip: IpAddr = "127.0.0.1".parse().unwrap();
    let mut calls = Calls::new(Target::Echo { ip, first_port: 30000, pairs: 2 }, TIMING, socks());
    calls.place_call(t);
    let primes = calls.take_transmits();
    let to = |port: u16| SocketAddr::new(ip, port);
    assert_eq!(
        primes,
        vec![
            Transmit::Rtp { sock: 0, to: to(30000), bytes: vec![] },
            Transmit::Rtp { sock: 2, to: to(30001), bytes: vec![] }
        ]
    );
    // No RTP before the priming pause is over.
    let early = drive(&mut calls, &mut t, t0, Duration::from_millis(30), &[]);
    assert!(early.is_empty());
    calls.place_call(t);
    calls.place_call(t);
    assert_eq!(calls.counters.failures.get("no-free-port-pair"), Some(&1), "two pairs, three calls");
    let seen = drive(&mut calls, &mut t, t0, Duration::from_millis(600), &[30000, 30001, 30002, 30003]);
    assert!(seen.contains(&(0, to(30000))) && seen.contains(&(2, to(30001))));
    assert!(seen.contains(&(1, to(30002))) && seen.contains(&(3, to(30003))));
    assert_eq!((calls.counters.ok, calls.counters.failed, calls.active_calls()), (2, 1, 0));
    assert_eq!(calls.media.loss().lost, 0);
    // Pair 0 was freed first, so it is handed out first.
    calls.take_transmits();
    calls.place_call(t);
    assert_eq!(
        calls.take_transmits(),
        vec![
            Transmit::Rtp { sock: 3, to: to(30000), bytes: vec![] },
            Transmit::Rtp { sock: 1, to: to(30001), bytes: vec![] }
        ]
    );
}
