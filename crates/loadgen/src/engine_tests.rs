//! The engine with the switch's side written by hand.

use std::time::{Duration, Instant};

use super::*;
use crate::sipmsg;

fn engine(users: usize) -> Engine {
    let settings = Settings {
        domain: "voxide.local".into(),
        media_ip: "127.0.0.1".parse().unwrap(),
        hold: Duration::from_secs(1),
        drain: Duration::from_millis(100),
        setup_timeout: Duration::from_secs(10),
        expires: 600,
        profile: Default::default(),
        on_hold: None,
        dtmf: None,
    };
    let users = (0..users)
        .map(|i| User {
            name: format!("lg{i}"),
            password: "pw-123456".into(),
            local: format!("127.0.0.1:{}", 7000 + i).parse().unwrap(),
        })
        .collect();
    Engine::new(settings, users, vec!["127.0.0.1:9000".parse().unwrap()], true)
}

/// The switch's response to `req`, with extra header lines.
fn reply(req: &[u8], status: u16, extra: &str) -> Vec<u8> {
    let req = Msg::parse(req).unwrap();
    let text = String::from_utf8(sipmsg::response(&req, status, "sw", None, None)).unwrap();
    text.replacen("Call-ID:", &format!("{extra}Call-ID:"), 1).into_bytes()
}

const CHALLENGE: &str = "WWW-Authenticate: Digest realm=\"voxide.local\", nonce=\"n\", qop=\"auth\"\r\n";

#[test]
fn first_registrations_are_windowed_and_settle_on_success_or_failure() {
    let t0 = Instant::now();
    let mut e = engine(5);
    e.register_more(t0, 2);
    let sent = e.take_sends();
    assert_eq!(sent.iter().map(|(u, _)| *u).collect::<Vec<_>>(), vec![0, 1]);
    // User 0: 401, then 200.
    e.on_datagram(0, &reply(&sent[0].1, 401, CHALLENGE), t0);
    let authed = e.take_sends().remove(0).1;
    e.on_datagram(0, &reply(&authed, 200, ""), t0);
    // User 1 is refused outright.
    e.on_datagram(1, &reply(&sent[1].1, 403, ""), t0);
    assert_eq!((e.registered(), e.settled()), (1, 2));
    assert_eq!(e.counters.reg_failures.get("403"), Some(&1));
    e.register_more(t0, 2);
    assert_eq!(e.take_sends().iter().map(|(u, _)| *u).collect::<Vec<_>>(), vec![2, 3]);
    // Garbage and strays are counted or ignored, never a panic.
    e.on_datagram(4, b"\x00\x01 not sip", t0);
    e.on_datagram(99, &reply(&authed, 200, ""), t0);
    assert_eq!(e.counters.bad_sip, 1);
}

#[test]
fn a_stray_bye_is_answered_and_an_unanswered_call_times_out() {
    let t0 = Instant::now();
    let mut e = engine(2);
    let bye = "BYE sip:lg1@127.0.0.1:7001 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKx\r\nFrom: <sip:a@voxide.local>;tag=a\r\nTo: <sip:lg1@voxide.local>;tag=b\r\nCall-ID: gone\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n";
    e.on_datagram(1, bye.as_bytes(), t0);
    let sent = e.take_sends();
    assert!(sent[0].1.starts_with(b"SIP/2.0 200 OK"));

    e.place_call(t0);
    assert_eq!((e.counters.placed, e.active_calls()), (1, 1));
    let invite = e.take_sends().remove(0);
    assert_eq!(invite.0, 0, "the first caller places the first call");
    let mut now = t0;
    while let Some(t) = e.next_deadline() {
        now = t;
        e.on_timers(now);
    }
    assert_eq!(now, t0 + Duration::from_secs(10));
    assert_eq!(e.active_calls(), 0);
    assert_eq!(e.counters.failures.get("setup-timeout"), Some(&1));
}
