//! SIP and SDP as the test phones write and read them: literal text,
//! parsed with `rsip`, and looked at as text again.

use std::net::IpAddr;

use rsip::{Request, Response};
use voxide_sdp::{Direction, Sdp};
use voxide_sip::transaction::TransactionKey;

use super::{A_ADDR, A_CALL_ID, A_CONTACT, A_FROM};

/// An SDP body for an audio stream at `ip:port`.
pub(super) fn sdp(ip: &str, port: u16, direction: &str) -> String {
    format!(
        "v=0\r\no=phone 100 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\nm=audio {port} RTP/AVP 0 8 101\r\n\
         a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na={direction}\r\n"
    )
}

/// A request or response as text, with `body` and its Content-Length.
pub(super) fn with_body(head: String, body: Option<&str>) -> String {
    match body {
        Some(b) => format!("{head}Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{b}", b.len()),
        None => format!("{head}Content-Length: 0\r\n\r\n"),
    }
}

pub(super) fn parse_request(text: &str) -> Request {
    Request::try_from(text).unwrap_or_else(|e| panic!("test request does not parse: {e}\n{text}"))
}

pub(super) fn parse_response(text: &str) -> Response {
    Response::try_from(text).unwrap_or_else(|e| panic!("test response does not parse: {e}\n{text}"))
}

/// The caller's initial INVITE, with an SDP offer.
pub(super) fn caller_invite(branch: &str) -> Request {
    let head = format!(
        "INVITE sip:1002@voxide.test SIP/2.0\r\nVia: SIP/2.0/UDP {A_ADDR};branch={branch};rport\r\n\
         Max-Forwards: 70\r\nFrom: {A_FROM}\r\nTo: <sip:1002@voxide.test>\r\nCall-ID: {A_CALL_ID}\r\n\
         CSeq: 1 INVITE\r\nContact: <{A_CONTACT}>\r\nUser-Agent: phone-a\r\nSupported: timer\r\n"
    );
    parse_request(&with_body(head, Some(&sdp("10.0.0.1", 40000, "sendrecv"))))
}

/// `req` with one more header.
pub(super) fn with_header(req: &Request, name: &str, value: &str) -> Request {
    let text = req.to_string();
    let (line, rest) = text.split_once("\r\n").expect("a request line");
    parse_request(&format!("{line}\r\n{name}: {value}\r\n{rest}"))
}

/// The CANCEL a phone sends for `invite` (RFC 3261 §9.1).
pub(super) fn cancel_for(invite: &Request) -> Request {
    let text = invite.to_string();
    let mut head = format!("CANCEL {} SIP/2.0\r\n", invite.uri);
    for name in ["Via", "From", "To", "Call-ID"] {
        head.push_str(&format!("{name}: {}\r\n", header(&text, name).unwrap()));
    }
    head.push_str(&format!("CSeq: {} CANCEL\r\nMax-Forwards: 70\r\n", crate::build::cseq(&invite.headers)));
    parse_request(&with_body(head, None))
}

/// A phone's response to `req`: Via, From, To, Call-ID, CSeq and
/// Record-Route copied, `to_tag` added to To when it has none.
pub(super) fn reply(req: &Request, status: u16, to_tag: &str, contact: Option<&str>, body: Option<&str>) -> Response {
    reply_with(req, status, to_tag, contact, &[], body)
}

/// [`reply`] with `extra` headers.
pub(super) fn reply_with(
    req: &Request,
    status: u16,
    to_tag: &str,
    contact: Option<&str>,
    extra: &[(&str, &str)],
    body: Option<&str>,
) -> Response {
    let text = req.to_string();
    let reason = match status {
        100 => "Trying",
        180 => "Ringing",
        183 => "Session Progress",
        200 => "OK",
        404 => "Not Found",
        408 => "Request Timeout",
        480 => "Temporarily Unavailable",
        486 => "Busy Here",
        487 => "Request Terminated",
        600 => "Busy Everywhere",
        603 => "Decline",
        _ => "Whatever",
    };
    let mut head = format!("SIP/2.0 {status} {reason}\r\n");
    for via in headers(&text, "Via") {
        head.push_str(&format!("Via: {via}\r\n"));
    }
    head.push_str(&format!("From: {}\r\n", header(&text, "From").unwrap()));
    let to = header(&text, "To").unwrap();
    if status > 100 && !to.contains("tag=") {
        head.push_str(&format!("To: {to};tag={to_tag}\r\n"));
    } else {
        head.push_str(&format!("To: {to}\r\n"));
    }
    for name in ["Call-ID", "CSeq"] {
        head.push_str(&format!("{name}: {}\r\n", header(&text, name).unwrap()));
    }
    for rr in headers(&text, "Record-Route") {
        head.push_str(&format!("Record-Route: {rr}\r\n"));
    }
    if let Some(c) = contact {
        head.push_str(&format!("Contact: <{c}>\r\n"));
    }
    for (name, value) in extra {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    parse_response(&with_body(head, body))
}

/// Values of every `name` header in a message's text.
pub(super) fn headers(text: &str, name: &str) -> Vec<String> {
    text.split("\r\n")
        .take_while(|l| !l.is_empty())
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .filter(|(n, _)| n.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim().to_string())
        .collect()
}

pub(super) fn header(text: &str, name: &str) -> Option<String> {
    headers(text, name).into_iter().next()
}

pub(super) fn tag(value: &str) -> String {
    crate::build::tag_of(value).unwrap_or_else(|| panic!("no tag in {value}"))
}

pub(super) fn cseq_of(text: &str) -> (u32, String) {
    let v = header(text, "CSeq").unwrap();
    let (n, m) = v.split_once(' ').unwrap();
    (n.trim().parse().unwrap(), m.trim().to_string())
}

/// The audio address, port and direction of an SDP body.
pub(super) fn audio(body: &[u8]) -> (IpAddr, u16, Direction) {
    let sdp = Sdp::parse(body).expect("SDP parses");
    let i = sdp.audio_index().expect("audio stream");
    (sdp.connection(i).expect("connection"), sdp.media[i].port, sdp.direction(i))
}

/// The session version of an SDP body's origin line.
pub(super) fn sdp_version(body: &[u8]) -> u64 {
    let sdp = Sdp::parse(body).expect("SDP parses");
    let origin = sdp.session.iter().find(|l| l.kind == 'o').expect("o= line");
    origin.value.split_whitespace().nth(2).and_then(|v| v.parse().ok()).expect("session version")
}

pub(super) fn server_key(req: &Request) -> TransactionKey {
    TransactionKey::for_incoming_request(req).expect("server key")
}

pub(super) fn client_key(req: &Request) -> TransactionKey {
    TransactionKey::for_outgoing_request(req).expect("client key")
}
