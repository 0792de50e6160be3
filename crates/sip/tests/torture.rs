//! The RFC 4475 SIP torture messages, read through the `sipx-testkit`
//! dev-dependency (see testdata/torture-NOTES.md), against the parser, the
//! 400 answers it builds, TCP framing and the transaction layer.

use std::time::Instant;

use rsip::SipMessage;
use sipx_testkit::rfc4475::{self, Case, Expect};
use voxide_sip::framing::{self, Frame};
use voxide_sip::transaction::{Incoming, TimerConfig, TransactionLayer};
use voxide_sip::{ParseError, parse_message, response_to};

/// Valid messages that `rsip` cannot parse, with the answer they get
/// instead. Each entry says why; the test fails when one starts parsing,
/// so the list cannot go stale.
const RSIP_LIMITS: [(&str, u16, &str); 3] = [
    ("intmeth", 501, "rsip's Method is a closed enum: an extension method is answered 501 Not Implemented"),
    ("esc02", 501, "RE%47IST%45R is an extension method (not REGISTER), so 501 as well"),
    ("semiuri", 400, "rsip's URI grammar refuses `;` in the user part (sip:user;par=u%40example.net@example.com)"),
];

/// Syntactically valid messages refused on purpose, with the status RFC
/// 4475 suggests for them.
const REFUSED: [(&str, u16, &str); 2] = [
    ("unkscm", 416, "§3.3.2: a Request-URI scheme we do not handle gets 416 Unsupported URI Scheme"),
    ("novelsc", 416, "§3.3.3: a known but atypical scheme (soap.beep) we do not handle: 416 as well"),
];

fn in_section(prefix: &str) -> impl Iterator<Item = &'static Case> {
    rfc4475::CASES.iter().filter(move |c| c.section.starts_with(prefix))
}

fn outcome(case: &Case) -> String {
    match parse_message(case.bytes) {
        Ok(m) => format!("parsed as {}", m.to_string().lines().next().unwrap_or("")),
        Err(e) => format!("refused: {}", e.reason()),
    }
}

/// The status line of the answer Voxide builds for a refused request.
fn reply_status(case: &Case) -> Option<u16> {
    match parse_message(case.bytes) {
        Err(ParseError::Malformed(m)) => {
            let reply = String::from_utf8(m.reply.expect("answerable")).expect("ASCII reply");
            reply.get(8..11).and_then(|s| s.parse().ok())
        }
        _ => None,
    }
}

#[test]
fn the_corpus_is_complete() {
    assert_eq!(rfc4475::CASES.len(), 50);
    assert_eq!(in_section("3.1.1").count(), 13, "valid");
    assert_eq!(in_section("3.1.2").count(), 19, "invalid");
    assert_eq!(in_section("3.3").count(), 15, "application layer");
    for (name, ..) in RSIP_LIMITS {
        assert!(rfc4475::case(name).is_some(), "{name}");
    }
}

#[test]
fn valid_messages_parse_except_where_rsip_cannot() {
    let mut wrong = Vec::new();
    for case in in_section("3.1.1") {
        assert_eq!(case.expect, Expect::ParseOk, "{}", case.name);
        let limited = RSIP_LIMITS.iter().find(|(n, ..)| *n == case.name);
        let parsed = parse_message(case.bytes).is_ok();
        match (parsed, limited) {
            (true, None) => {}
            (false, Some((_, status, _))) => assert_eq!(reply_status(case), Some(*status), "{}", case.name),
            (false, None) => wrong.push(format!("{} (§{} {}): {}", case.name, case.section, case.title, outcome(case))),
            (true, Some((.., why))) => {
                wrong.push(format!("{} parses now; drop it from RSIP_LIMITS ({why})", case.name))
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn trailing_octets_after_content_length_are_discarded() {
    let case = rfc4475::case("dblreq").expect("dblreq");
    let msg = parse_message(case.bytes).expect("dblreq parses");
    let SipMessage::Request(req) = msg else { panic!("dblreq is a request") };
    assert_eq!(req.method, rsip::Method::Register);
    assert!(req.body.is_empty(), "the INVITE after Content-Length: 0 is not the body");
    // Over a stream the same bytes are two messages with a CRLF between.
    let Frame::Message { len } = framing::check(case.bytes).expect("frames") else { panic!("whole") };
    let rest = &case.bytes[len..];
    let Frame::KeepAlive { len: crlf } = framing::check(rest).expect("frames") else { panic!("CRLF") };
    let Frame::Message { len } = framing::check(&rest[crlf..]).expect("frames") else { panic!("whole") };
    assert!(crlf + len <= rest.len());
    assert!(parse_message(&rest[crlf..]).is_ok_and(|m| m.to_string().starts_with("INVITE ")));
}

#[test]
fn invalid_messages_are_refused_with_the_right_answer() {
    let mut wrong = Vec::new();
    for case in in_section("3.1.2") {
        let is_response = case.bytes.starts_with(b"SIP/");
        let expected = match case.name {
            _ if is_response => None,
            "badvers" => Some(505),
            _ => Some(400),
        };
        match parse_message(case.bytes) {
            Ok(_) => wrong.push(format!("{} (§{} {}) was accepted", case.name, case.section, case.title)),
            Err(ParseError::Unanswerable(_)) if expected.is_none() => {}
            Err(_) if reply_status(case) == expected => {}
            Err(e) => wrong.push(format!("{}: expected {expected:?}, got {e:?}", case.name)),
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn application_layer_messages_are_left_to_the_application() {
    let mut wrong = Vec::new();
    for case in in_section("3.2").chain(in_section("3.3")).chain(in_section("3.4")) {
        let refused = REFUSED.iter().find(|(n, ..)| *n == case.name);
        let result = parse_message(case.bytes);
        let ok = match (case.expect, refused) {
            (_, Some((_, status, _))) => reply_status(case) == Some(*status),
            (Expect::ParseOk, None) => result.is_ok(),
            // insuf, multi01, mcl01: missing or repeated required headers.
            (_, None) => reply_status(case) == Some(400),
        };
        if !ok {
            wrong.push(format!(
                "{} (§{} {}, {:?}): {}",
                case.name,
                case.section,
                case.title,
                case.expect,
                outcome(case)
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Every message, the unreferenced one included: no panic anywhere, our
/// own 400s are well framed, and whatever parses goes through a server
/// transaction (UDP and TCP) whose response parses again.
#[test]
fn every_message_survives_parser_framing_and_transactions() {
    let mut wrong = Vec::new();
    for case in rfc4475::CASES {
        let _ = framing::check(case.bytes);
        let msg = match parse_message(case.bytes) {
            Ok(m) => m,
            Err(ParseError::Malformed(m)) => {
                // It copies the request's Via, From, To, Call-ID and CSeq as
                // they came, broken or not, so it need not parse; it must be
                // one whole message that says why.
                let reply = m.reply.expect("Malformed always carries a reply");
                let text = String::from_utf8_lossy(&reply);
                let framed = framing::check(&reply) == Ok(Frame::Message { len: reply.len() });
                let lines_ok = text.split("\r\n").all(|l| !l.contains(['\r', '\n']));
                if !framed || !lines_ok || !text.contains("\r\nWarning: 399 voxide \"") {
                    wrong.push(format!("{}: our answer is not one well-formed message:\n{text}", case.name));
                }
                continue;
            }
            Err(ParseError::Unanswerable(_)) => continue,
        };
        for reliable in [false, true] {
            let mut layer = TransactionLayer::new(TimerConfig::default());
            let now = Instant::now();
            match (layer.handle_incoming(now, msg.clone(), reliable), &msg) {
                (Ok(Incoming::Request { key }), SipMessage::Request(req)) => {
                    let status = if req.method == rsip::Method::Invite { 486 } else { 200 };
                    layer.send_response(now, &key, response_to(req, status, "t")).expect("answer");
                    let sent = layer.poll_transmit().expect("response sent").message.to_string();
                    if let Err(e) = parse_message(sent.as_bytes()) {
                        wrong.push(format!("{}: the response to it does not parse ({e}):\n{sent}", case.name));
                    }
                    while let Some(at) = layer.poll_timeout() {
                        layer.handle_timeout(at);
                    }
                    assert!(layer.is_empty(), "{}: transaction left behind", case.name);
                }
                (Ok(Incoming::Stray(_)), SipMessage::Response(_)) => {}
                (other, _) => wrong.push(format!("{} (reliable {reliable}): {other:?}", case.name)),
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
