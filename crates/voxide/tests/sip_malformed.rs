//! Hostile and broken SIP over raw UDP and TCP sockets: every case gets its
//! exact answer (status and `Warning` reason) or is dropped and counted,
//! and the switch keeps answering afterwards.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use voxide_testkit::{RawSip, Server, SipReply};

const BIN: &str = env!("CARGO_BIN_EXE_voxide");
const QUIET: Duration = Duration::from_millis(300);

/// A request from `sip`'s address with a fresh branch and Call-ID, changed
/// with the builder methods before `text()`.
struct Msg {
    lines: Vec<String>,
    body: String,
    content_length: Option<String>,
}

impl Msg {
    fn new(sip: &RawSip, method: &str) -> Msg {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let n = NEXT.fetch_add(1, Ordering::Relaxed) + u64::from(std::process::id()) * 1_000_000;
        let lines = [
            format!("{method} sip:voxide.local SIP/2.0"),
            format!("Via: SIP/2.0/{} {};branch=z9hG4bK{n};rport", sip.transport(), sip.local()),
            "Max-Forwards: 70".into(),
            format!("From: <sip:probe@voxide.local>;tag=p{n}"),
            "To: <sip:voxide.local>".into(),
            format!("Call-ID: probe-{n}"),
            format!("CSeq: 1 {method}"),
        ];
        Msg { lines: lines.to_vec(), body: String::new(), content_length: None }
    }

    fn without(mut self, name: &str) -> Msg {
        self.lines.retain(|l| !l.starts_with(&format!("{name}:")));
        self
    }

    fn set(self, name: &str, value: &str) -> Msg {
        self.without(name).with(&format!("{name}: {value}"))
    }

    fn with(mut self, line: &str) -> Msg {
        self.lines.push(line.to_string());
        self
    }

    fn body(mut self, body: &str, content_length: Option<&str>) -> Msg {
        self.body = body.to_string();
        self.content_length = content_length.map(str::to_string);
        self
    }

    fn text(&self) -> String {
        let cl = self.content_length.clone().unwrap_or_else(|| self.body.len().to_string());
        format!("{}\r\nContent-Length: {cl}\r\n\r\n{}", self.lines.join("\r\n"), self.body)
    }
}

/// The switch still answers a plain OPTIONS, over UDP and over TCP.
fn still_answers(s: &Server) {
    for mut sip in [RawSip::udp(s.sip), RawSip::tcp(s.sip)] {
        let reply = sip.request(&Msg::new(&sip, "OPTIONS").text());
        assert_eq!(reply.status(), 200, "{}\n{}", reply.text, s.log());
    }
}

/// Asserts the status and the text of our `Warning: 399 voxide "…"`.
fn assert_refused(reply: &SipReply, status: u16, warning: &str) {
    assert_eq!(reply.status(), status, "{}", reply.text);
    let w = reply.header("Warning").unwrap_or_else(|| panic!("no Warning in {}", reply.text));
    assert!(w.starts_with(&format!("399 voxide \"{warning}")), "Warning {w:?}, wanted {warning:?}");
}

#[test]
fn garbage_and_requests_without_via_are_dropped_and_counted() {
    let s = Server::start(BIN, &[]);
    let mut sip = RawSip::udp(s.sip);
    let no_via = Msg::new(&sip, "OPTIONS").without("Via").text();
    let junk: [&[u8]; 4] =
        [b"\x00\x01\x02\xff\xfe garbage", b"hello, this is not SIP\r\n\r\n", &[0xAA; 1500], no_via.as_bytes()];
    for bytes in junk {
        sip.send(bytes);
        assert!(sip.recv(QUIET).is_none(), "answered {:?}", String::from_utf8_lossy(bytes));
    }
    assert_eq!(s.metric("voxide_sip_messages_dropped_total"), 4.0);
    assert_eq!(s.metric("voxide_sip_bad_requests_total"), 0.0);
    still_answers(&s);
}

#[test]
fn requests_missing_a_required_header_get_400_naming_it() {
    let s = Server::start(BIN, &[]);
    let mut sip = RawSip::udp(s.sip);
    let cases = [
        (Msg::new(&sip, "OPTIONS").without("Call-ID"), "missing Call-ID"),
        (Msg::new(&sip, "OPTIONS").without("CSeq"), "missing CSeq"),
        (Msg::new(&sip, "OPTIONS").without("From"), "missing From"),
        (Msg::new(&sip, "OPTIONS").without("To"), "missing To"),
        (Msg::new(&sip, "REGISTER").set("CSeq", "1 INVITE"), "CSeq method does not match the request method"),
        (Msg::new(&sip, "OPTIONS").set("CSeq", "x OPTIONS"), "malformed CSeq"),
        (Msg::new(&sip, "OPTIONS").with("Call-ID: second"), "more than one Call-ID header"),
        (Msg::new(&sip, "OPTIONS").body("v=0\r\n", Some("50")), "Content-Length larger than the body"),
        (Msg::new(&sip, "OPTIONS").body("", Some("-1")), "malformed Content-Length"),
    ];
    let n = cases.len();
    for (msg, warning) in cases {
        let reply = sip.request(&msg.text());
        assert_refused(&reply, 400, warning);
        // §8.2.6: the answer carries what the request had of these.
        let call_id = msg.lines.iter().find_map(|l| l.strip_prefix("Call-ID: ")).map(str::to_string);
        assert_eq!(reply.header("Call-ID").map(str::to_string), call_id, "{}", reply.text);
        assert!(reply.header("Via").is_some_and(|v| v.contains(&sip.local().to_string())));
    }
    assert_eq!(s.metric("voxide_sip_bad_requests_total"), n as f64);
    still_answers(&s);
}

#[test]
fn truncated_datagrams_are_refused_or_dropped_never_fatal() {
    let s = Server::start(BIN, &[]);
    let mut sip = RawSip::udp(s.sip);
    let full = Msg::new(&sip, "REGISTER").with("Contact: <sip:probe@127.0.0.1:9>").text();
    // Every cut loses at least the CSeq, so no cut is a whole REGISTER.
    let via = (full.find("\r\nVia:").expect("Via"), full.find("\r\nMax-Forwards").expect("Via end"));
    let cseq = full.find("\r\nCSeq").expect("CSeq");
    let (mut answered, mut dropped) = (0, 0);
    for cut in (4..cseq).step_by(17).chain([via.0 + 2, via.1, via.1 + 2, cseq]) {
        sip.send(&full.as_bytes()[..cut]);
        match sip.recv(QUIET) {
            Some(reply) => {
                // Without a Via there is nowhere to answer.
                assert!(cut > via.0 + 2, "answered a message without a Via (cut at {cut}): {}", reply.text);
                assert_eq!(reply.status(), 400, "cut at {cut}: {}", reply.text);
                assert!(reply.header("Warning").is_some(), "{}", reply.text);
                answered += 1;
            }
            None => {
                // Once the whole Via is there, the sender is told what is wrong.
                assert!(cut < via.1, "nothing answered a message cut at {cut}, after its Via");
                dropped += 1;
            }
        }
    }
    assert!(answered > 0 && dropped > 0, "answered {answered}, dropped {dropped}");
    assert_eq!(s.metric("voxide_sip_bad_requests_total"), f64::from(answered));
    assert_eq!(s.metric("voxide_sip_messages_dropped_total"), f64::from(dropped));
    still_answers(&s);
}

#[test]
fn an_unknown_method_gets_501() {
    let s = Server::start(BIN, &[]);
    let mut sip = RawSip::udp(s.sip);
    let reply = sip.request(&Msg::new(&sip, "FROBNICATE").text());
    assert_refused(&reply, 501, "method not implemented");
    still_answers(&s);
}

#[test]
fn an_unsupported_require_gets_420_listing_only_the_unknown_tag() {
    let s = Server::start(BIN, &[]);
    for mut sip in [RawSip::udp(s.sip), RawSip::tcp(s.sip)] {
        let reply = sip.request(&Msg::new(&sip, "OPTIONS").with("Require: path, unknown-tag").text());
        assert_eq!(reply.status(), 420, "{}", reply.text);
        assert_eq!(reply.header("Unsupported"), Some("unknown-tag"), "{}", reply.text);
    }
    still_answers(&s);
}

#[test]
fn an_invite_with_max_forwards_zero_gets_483_before_any_challenge() {
    let s = Server::start(BIN, &[]);
    let mut sip = RawSip::udp(s.sip);
    let invite = |sip: &RawSip, hops: &str| {
        Msg::new(sip, "INVITE")
            .set("Max-Forwards", hops)
            .set("To", "<sip:1002@voxide.local>")
            .with(&format!("Contact: <sip:probe@{}>", sip.local()))
            .text()
            .replacen("INVITE sip:voxide.local", "INVITE sip:1002@voxide.local", 1)
    };
    assert_eq!(sip.request(&invite(&sip, "0")).status(), 483);
    // With hops left the same INVITE is challenged.
    let challenged = sip.request(&invite(&sip, "70"));
    assert_eq!(challenged.status(), 407, "{}", challenged.text);
    assert!(challenged.header("Proxy-Authenticate").is_some());
    still_answers(&s);
}

#[test]
fn requests_for_a_dialog_that_does_not_exist_get_481() {
    let s = Server::start(BIN, &[]);
    let mut sip = RawSip::udp(s.sip);
    for method in ["BYE", "INFO", "UPDATE"] {
        let in_dialog = Msg::new(&sip, method).set("To", "<sip:voxide.local>;tag=no-such-dialog");
        assert_eq!(sip.request(&in_dialog.text()).status(), 481, "{method}");
    }
    assert_eq!(sip.request(&Msg::new(&sip, "CANCEL").text()).status(), 481, "CANCEL of nothing");
    still_answers(&s);
}

#[test]
fn a_60_kb_header_in_a_datagram_is_still_answered() {
    let s = Server::start(BIN, &[]);
    let mut sip = RawSip::udp(s.sip);
    let big = Msg::new(&sip, "OPTIONS").with(&format!("Subject: {}", "a".repeat(60_000)));
    assert_eq!(sip.request(&big.text()).status(), 200);
}

#[test]
fn tcp_framing_errors_close_the_connection_and_are_counted() {
    let s = Server::start(BIN, &[]);
    let probe = RawSip::udp(s.sip);
    let no_length = Msg::new(&probe, "OPTIONS").text().replace("Content-Length: 0\r\n", "");
    let bad_length = Msg::new(&probe, "OPTIONS").body("", Some("ten")).text();
    let huge_head = format!("OPTIONS sip:voxide.local SIP/2.0\r\nSubject: {}", "a".repeat(64 * 1024 + 1));
    let huge_body = Msg::new(&probe, "OPTIONS").body("", Some("2000000")).text();
    for bytes in [no_length, bad_length, huge_head, huge_body] {
        let mut tcp = RawSip::tcp(s.sip);
        tcp.send(bytes.as_bytes());
        assert!(tcp.closed_within(Duration::from_secs(3)), "still open after {:.60?}", bytes);
    }
    assert_eq!(s.metric("voxide_sip_messages_dropped_total"), 4.0);
    still_answers(&s);
}

#[test]
fn tcp_malformed_requests_are_answered_on_the_same_connection() {
    let s = Server::start(BIN, &[]);
    let mut tcp = RawSip::tcp(s.sip);
    assert_refused(&tcp.request(&Msg::new(&tcp, "OPTIONS").without("Call-ID").text()), 400, "missing Call-ID");
    assert_refused(&tcp.request(&Msg::new(&tcp, "FROBNICATE").text()), 501, "method not implemented");
    // The connection survives both.
    assert_eq!(tcp.request(&Msg::new(&tcp, "OPTIONS").text()).status(), 200);
}

#[test]
fn tcp_register_split_across_writes_is_answered() {
    let s = Server::start(BIN, &[]);
    let mut tcp = RawSip::tcp(s.sip);
    let register = Msg::new(&tcp, "REGISTER").with("Contact: <sip:probe@127.0.0.1:9>").text();
    let end = register.len();
    // Cut inside the request-line, a header name, the final CRLF CRLF.
    for window in [0, 5, 60, 61, end - 3, end - 1, end].windows(2) {
        tcp.send(&register.as_bytes()[window[0]..window[1]]);
        if window[1] < end {
            assert!(tcp.recv(Duration::from_millis(100)).is_none(), "answered after {} bytes", window[1]);
        }
    }
    let reply = tcp.recv(Duration::from_secs(3)).expect("an answer once the last byte came");
    assert_eq!(reply.status(), 401, "{}", reply.text);
    assert!(reply.header("WWW-Authenticate").is_some_and(|c| c.contains("MD5")));
}

#[test]
fn tcp_body_shorter_than_content_length_waits_for_the_rest() {
    let s = Server::start(BIN, &[]);
    let mut tcp = RawSip::tcp(s.sip);
    let text = Msg::new(&tcp, "OPTIONS").with("Content-Type: text/plain").body("0123456789", None).text();
    let (first, rest) = text.split_at(text.len() - 6);
    tcp.send(first.as_bytes());
    assert!(tcp.recv(QUIET).is_none(), "answered before the body was complete");
    tcp.send(rest.as_bytes());
    assert_eq!(tcp.recv(Duration::from_secs(3)).expect("answer").status(), 200);
}

#[test]
fn tcp_two_messages_in_one_write_are_both_answered() {
    let s = Server::start(BIN, &[]);
    let mut tcp = RawSip::tcp(s.sip);
    let (a, b) = (Msg::new(&tcp, "OPTIONS"), Msg::new(&tcp, "OPTIONS").set("CSeq", "2 OPTIONS"));
    // A keep-alive CRLF pair between them, as RFC 5626 clients send.
    tcp.send(format!("{}\r\n\r\n{}", a.text(), b.text()).as_bytes());
    let mut cseqs: Vec<String> = (0..2)
        .map(|_| tcp.recv(Duration::from_secs(3)).expect("two answers"))
        .inspect(|r| assert_eq!(r.status(), 200, "{}", r.text))
        .map(|r| r.header("CSeq").expect("CSeq").to_string())
        .collect();
    cseqs.sort();
    assert_eq!(cseqs, ["1 OPTIONS", "2 OPTIONS"]);
}
