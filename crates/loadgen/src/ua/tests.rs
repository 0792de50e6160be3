//! A call played through both legs with the switch's side written by hand.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use voxide_registrar::digest::{Credentials, expected_response};

use super::callee::Callee;
use super::caller::{CallSpec, Caller};
use super::{Event, Out, Phone, RtpSock, Settings};
use crate::sipmsg::{self, Msg};

fn settings() -> Settings {
    Settings {
        domain: "voxide.local".into(),
        media_ip: "127.0.0.1".parse().unwrap(),
        hold: Duration::from_secs(2),
        drain: Duration::from_millis(200),
        setup_timeout: Duration::from_secs(10),
        expires: 600,
        profile: Default::default(),
        on_hold: None,
        dtmf: None,
    }
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn caller(now: Instant, out: &mut Out) -> Caller {
    let spec = CallSpec {
        call: 7,
        user: 1,
        username: "lg1".into(),
        password: "pw-secret".into(),
        target: "lg11".into(),
        local: addr("127.0.0.1:7001"),
        rtp: RtpSock { index: 3, addr: addr("127.0.0.1:9000") },
    };
    Caller::start(spec, &settings(), now, out)
}

/// The switch's answer to `req`, with extra header lines and a body.
fn answer(req: &[u8], status: u16, extra: &str, body: Option<&str>) -> Msg {
    let req = Msg::parse(req).expect("request parses");
    let contact = Some(("switch", addr("127.0.0.1:5060")));
    let text = String::from_utf8(sipmsg::response(&req, status, "sw", contact, body)).unwrap();
    let text = text.replacen("Call-ID:", &format!("{extra}Call-ID:"), 1);
    Msg::parse(text.as_bytes()).expect("response parses")
}

fn take(out: &mut Out) -> Vec<String> {
    out.sends.drain(..).map(|(_, b)| String::from_utf8(b).unwrap()).collect()
}

#[test]
fn caller_authenticates_talks_and_hangs_up() {
    let t0 = Instant::now();
    let mut out = Out::default();
    let mut leg = caller(t0, &mut out);
    let sent = take(&mut out);
    assert!(sent[0].starts_with("INVITE sip:lg11@voxide.local SIP/2.0\r\n") && sent[0].contains("m=audio 9000 "));
    let challenge = "Proxy-Authenticate: Digest realm=\"voxide.local\", nonce=\"n1\", algorithm=MD5, qop=\"auth\"\r\n";
    leg.on_response(&answer(sent[0].as_bytes(), 407, challenge, None), t0, &mut out);
    let sent = take(&mut out);
    assert!(sent[0].starts_with("ACK sip:lg11@voxide.local") && sent[0].contains("CSeq: 1 ACK"), "{}", sent[0]);
    let invite = &sent[1];
    let auth = invite.lines().find_map(|l| l.strip_prefix("Proxy-Authorization: ")).expect("credentials");
    let creds = Credentials::parse(auth).unwrap();
    assert_eq!(creds.response, expected_response(&creds, "INVITE", "pw-secret"));
    assert_eq!((creds.username.as_str(), creds.uri.as_str()), ("lg1", "sip:lg11@voxide.local"));

    let t1 = t0 + Duration::from_millis(30);
    leg.on_response(&answer(invite.as_bytes(), 180, "", None), t1, &mut out);
    let sdp = sipmsg::sdp("127.0.0.1".parse().unwrap(), 20_000, 1);
    let ok = answer(invite.as_bytes(), 200, "X-Call-UUID: u-7\r\n", Some(&sdp));
    leg.on_response(&ok, t1, &mut out);
    let sent = take(&mut out);
    assert!(sent[0].starts_with("ACK sip:switch@127.0.0.1:5060 ") && sent[0].contains(";tag=sw"), "{}", sent[0]);
    let answered = Event::Answered {
        call: 7,
        setup: Duration::from_millis(30),
        sock: 3,
        remote: Some(addr("127.0.0.1:20000")),
        uuid: Some("u-7".into()),
    };
    assert_eq!(out.events.drain(..).collect::<Vec<_>>(), vec![answered]);
    leg.on_response(&ok, t1, &mut out);
    assert_eq!(take(&mut out).len(), 1, "a retransmitted 200 is ACKed again");

    assert_eq!(leg.deadline(), Some(t1 + Duration::from_secs(2)));
    leg.on_timer(t1 + Duration::from_secs(2), &mut out);
    assert_eq!(out.events.drain(..).collect::<Vec<_>>(), vec![Event::HangupDue { call: 7 }]);
    let t2 = leg.deadline().unwrap();
    leg.on_timer(t2, &mut out);
    assert_eq!(out.events.drain(..).collect::<Vec<_>>(), vec![Event::ByeSent { call: 7 }]);
    let bye = take(&mut out).remove(0);
    assert!(bye.starts_with("BYE sip:switch@127.0.0.1:5060 ") && bye.contains("CSeq: 3 BYE"), "{bye}");
    leg.on_response(&answer(bye.as_bytes(), 200, "", None), t2, &mut out);
    assert_eq!(out.events, vec![Event::CallEnded { call: 7, failure: None }]);
    assert!(leg.is_done());
}

#[test]
fn caller_failures_are_named() {
    let t0 = Instant::now();
    let mut out = Out::default();
    let mut leg = caller(t0, &mut out);
    let invite = take(&mut out).remove(0);
    leg.on_response(&answer(invite.as_bytes(), 486, "", None), t0, &mut out);
    assert!(take(&mut out)[0].contains("CSeq: 1 ACK"));
    assert_eq!(
        out.events.drain(..).collect::<Vec<_>>(),
        vec![Event::CallEnded { call: 7, failure: Some("486".into()) }]
    );

    let mut leg = caller(t0, &mut out);
    take(&mut out);
    let mut now = t0;
    while let Some(t) = leg.deadline() {
        now = t;
        leg.on_timer(now, &mut out);
    }
    assert_eq!(now, t0 + Duration::from_secs(10));
    assert!(take(&mut out).len() >= 4, "INVITE retransmitted");
    let ended = Event::CallEnded { call: 7, failure: Some("setup-timeout".into()) };
    assert_eq!(out.events.drain(..).collect::<Vec<_>>(), vec![ended]);
}

#[test]
fn callee_answers_waits_for_ack_and_ends_on_bye() {
    let t0 = Instant::now();
    let invite = "INVITE sip:lg11@127.0.0.1:7011 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKs1\r\nFrom: <sip:lg1@voxide.local>;tag=sw1\r\nTo: <sip:lg11@voxide.local>\r\nCall-ID: b-leg-1\r\nCSeq: 1 INVITE\r\nContact: <sip:voxide@127.0.0.1:5060>\r\nX-Call-UUID: u-9\r\nContent-Type: application/sdp\r\nContent-Length: 50\r\n\r\nv=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 20004 RTP/AVP 0\r\n";
    let invite = Msg::parse(invite.as_bytes()).unwrap();
    let mut out = Out::default();
    let phone = Phone { user: 11, username: "lg11", local: addr("127.0.0.1:7011") };
    let rtp = RtpSock { index: 2, addr: addr("127.0.0.1:9002") };
    let mut leg = Callee::answer(phone, &invite, rtp, &settings(), t0, &mut out);
    let sent = take(&mut out);
    assert!(sent[0].starts_with("SIP/2.0 180 Ringing") && sent[1].starts_with("SIP/2.0 200 OK"));
    assert!(sent[1].contains("m=audio 9002 ") && sent[1].contains("Contact: <sip:lg11@127.0.0.1:7011>"));
    let ok = Msg::parse(sent[1].as_bytes()).unwrap();
    let tag = ok.to_tag().unwrap().to_owned();

    leg.on_request(&invite, &mut out);
    assert_eq!(take(&mut out).len(), 2, "a retransmitted INVITE gets the answers again");
    leg.on_timer(t0 + Duration::from_millis(500), &mut out);
    assert!(take(&mut out)[0].starts_with("SIP/2.0 200 OK"), "200 retransmitted until the ACK");

    let in_dialog = |method: &str| {
        let text = format!(
            "{method} sip:lg11@127.0.0.1:7011 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK{method}\r\nFrom: <sip:lg1@voxide.local>;tag=sw1\r\nTo: <sip:lg11@voxide.local>;tag={tag}\r\nCall-ID: b-leg-1\r\nCSeq: {} {method}\r\nContent-Length: 0\r\n\r\n",
            if method == "ACK" { 1 } else { 2 }
        );
        Msg::parse(text.as_bytes()).unwrap()
    };
    leg.on_request(&in_dialog("ACK"), &mut out);
    let confirmed = Event::CalleeConfirmed {
        user: 11,
        call_id: "b-leg-1".into(),
        sock: 2,
        remote: Some(addr("127.0.0.1:20004")),
        uuid: Some("u-9".into()),
    };
    assert_eq!(out.events.drain(..).collect::<Vec<_>>(), vec![confirmed]);
    assert_eq!(leg.deadline(), None);
    leg.on_request(&in_dialog("BYE"), &mut out);
    assert!(take(&mut out)[0].starts_with("SIP/2.0 200 OK"));
    assert_eq!(out.events, vec![Event::CalleeEnded { user: 11, call_id: "b-leg-1".into() }]);
    assert!(leg.is_done());
}

#[test]
fn caller_puts_the_call_on_hold_and_takes_it_off() {
    let t0 = Instant::now();
    let mut out = Out::default();
    let half = Duration::from_millis(500);
    let spec = CallSpec {
        call: 8,
        user: 1,
        username: "lg1".into(),
        password: "pw-secret".into(),
        target: "lg11".into(),
        local: addr("127.0.0.1:7001"),
        rtp: RtpSock { index: 0, addr: addr("127.0.0.1:9000") },
    };
    let mut leg = Caller::start(spec, &Settings { on_hold: Some((half, half)), ..settings() }, t0, &mut out);
    let invite = take(&mut out).remove(0);
    let sdp = sipmsg::sdp("127.0.0.1".parse().unwrap(), 20_000, 1);
    leg.on_response(&answer(invite.as_bytes(), 200, "", Some(&sdp)), t0, &mut out);
    take(&mut out);
    out.events.clear();

    assert_eq!(leg.deadline(), Some(t0 + half));
    leg.on_timer(t0 + half, &mut out);
    let hold = take(&mut out).remove(0);
    assert!(hold.starts_with("INVITE sip:switch@127.0.0.1:5060 ") && hold.contains("CSeq: 2 INVITE"), "{hold}");
    assert!(hold.contains(";tag=sw") && hold.contains("a=sendonly\r\n") && hold.contains("o=loadgen 8 2 "), "{hold}");
    let ok = answer(hold.as_bytes(), 200, "", Some(&sdp.replace("sendrecv", "recvonly")));
    leg.on_response(&ok, t0 + half, &mut out);
    assert!(take(&mut out)[0].contains("CSeq: 2 ACK"));
    assert_eq!(out.events.drain(..).collect::<Vec<_>>(), vec![Event::Reinvited { call: 8, ok: true }]);
    leg.on_response(&ok, t0 + half, &mut out);
    assert!(take(&mut out)[0].contains("CSeq: 2 ACK"), "a retransmitted 2xx is ACKed again");

    assert_eq!(leg.deadline(), Some(t0 + 2 * half));
    leg.on_timer(t0 + 2 * half, &mut out);
    let resume = take(&mut out).remove(0);
    assert!(resume.contains("CSeq: 3 INVITE") && resume.contains("a=sendrecv\r\n"), "{resume}");
    leg.on_response(&answer(resume.as_bytes(), 488, "", None), t0 + 2 * half, &mut out);
    assert!(take(&mut out)[0].contains("CSeq: 3 ACK"));
    assert_eq!(out.events.drain(..).collect::<Vec<_>>(), vec![Event::Reinvited { call: 8, ok: false }]);
    assert_eq!(leg.deadline(), Some(t0 + Duration::from_secs(2)), "then only the hang-up is left");
}

#[test]
fn callee_stops_sending_while_on_hold() {
    let t0 = Instant::now();
    let invite = "INVITE sip:lg11@127.0.0.1:7011 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKh1\r\nFrom: <sip:lg1@voxide.local>;tag=sw1\r\nTo: <sip:lg11@voxide.local>\r\nCall-ID: h-1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
    let mut out = Out::default();
    let phone = Phone { user: 11, username: "lg11", local: addr("127.0.0.1:7011") };
    let rtp = RtpSock { index: 2, addr: addr("127.0.0.1:9002") };
    let mut leg = Callee::answer(phone, &Msg::parse(invite.as_bytes()).unwrap(), rtp, &settings(), t0, &mut out);
    let tag = Msg::parse(take(&mut out)[1].as_bytes()).unwrap().to_tag().unwrap().to_owned();
    let request = |method: &str, cseq: u32, direction: &str| {
        let body = format!("v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 20004 RTP/AVP 0\r\na={direction}\r\n");
        let len = if method == "ACK" { 0 } else { body.len() };
        let body = if method == "ACK" { "" } else { &body };
        let text = format!(
            "{method} sip:lg11@127.0.0.1:7011 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK{cseq}\r\nFrom: <sip:lg1@voxide.local>;tag=sw1\r\nTo: <sip:lg11@voxide.local>;tag={tag}\r\nCall-ID: h-1\r\nCSeq: {cseq} {method}\r\nContent-Length: {len}\r\n\r\n{body}"
        );
        Msg::parse(text.as_bytes()).unwrap()
    };
    leg.on_request(&request("ACK", 1, ""), &mut out);
    out.events.clear();
    leg.on_request(&request("INVITE", 2, "sendonly"), &mut out);
    let ok = take(&mut out).remove(0);
    assert!(ok.starts_with("SIP/2.0 200 OK") && ok.contains("a=recvonly\r\n") && ok.contains("o=loadgen 1 2 "), "{ok}");
    let held = |held| Event::CalleeHeld { user: 11, call_id: "h-1".into(), held };
    assert_eq!(out.events.drain(..).collect::<Vec<_>>(), vec![held(true)]);
    leg.on_request(&request("INVITE", 3, "sendrecv"), &mut out);
    assert!(take(&mut out)[0].contains("a=sendrecv\r\n"));
    assert_eq!(out.events.drain(..).collect::<Vec<_>>(), vec![held(false)]);
}
