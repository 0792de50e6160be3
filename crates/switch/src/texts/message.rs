//! RFC 3428 MESSAGE requests, sans-IO: writing one for a phone, and reading
//! the text out of one a phone sent.

use std::net::SocketAddr;

use rsip::Request;
use rsip::headers::Header;
use rsip::prelude::UntypedHeader;
use voxide_b2bua::build::{RequestSpec, request};
use voxide_sip::Transport;

/// Longest text taken or sent, in characters: the SMS limit the API keeps
/// too, so a text can travel between a phone and a carrier either way.
pub const MAX_TEXT_CHARS: usize = 1600;

const TEXT_PLAIN: &str = "text/plain;charset=UTF-8";

/// One MESSAGE to one registered contact.
#[derive(Debug)]
pub(crate) struct Outgoing<'a> {
    /// The contact URI the phone registered (the Request-URI).
    pub(crate) contact: &'a str,
    /// The extension's address of record (the To header).
    pub(crate) aor: &'a str,
    /// Who it is from, as the phone will show it: an extension or a number.
    pub(crate) from_user: &'a str,
    pub(crate) realm: &'a str,
    /// The binding's RFC 3327 Path, which becomes the route set.
    pub(crate) route: &'a [String],
    /// Our address for Via.
    pub(crate) via: SocketAddr,
    pub(crate) transport: Transport,
    pub(crate) text: &'a str,
}

/// Writes the MESSAGE; `None` if the contact is not a usable URI.
pub(crate) fn build(m: &Outgoing, branch: &str, call_id: &str, from_tag: &str) -> Option<Request> {
    let from = format!("<sip:{}@{}>;tag={from_tag}", escape_user(m.from_user), m.realm);
    let to = format!("<{}>", m.aor);
    request(&RequestSpec {
        method: "MESSAGE",
        uri: m.contact,
        via_host: m.via,
        transport: m.transport,
        branch,
        from: &from,
        to: &to,
        call_id,
        cseq: 1,
        contact: None,
        route: m.route,
        max_forwards: 70,
        extra: Vec::new(),
        body: Some((TEXT_PLAIN, m.text.as_bytes())),
    })
}

/// Why a phone's MESSAGE is not taken, and the status that says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Not `text/plain` (or not in UTF-8): 415, with `Accept: text/plain`.
    NotPlainText,
    /// No text at all: 400.
    Empty,
    /// More than [`MAX_TEXT_CHARS`]: 413.
    TooLong,
}

impl Refusal {
    pub(crate) fn status(self) -> u16 {
        match self {
            Refusal::NotPlainText => 415,
            Refusal::Empty => 400,
            Refusal::TooLong => 413,
        }
    }

    pub(crate) fn reason(self) -> &'static str {
        match self {
            Refusal::NotPlainText => "only text/plain in UTF-8 is taken",
            Refusal::Empty => "the message has no text",
            Refusal::TooLong => "the text is longer than 1600 characters",
        }
    }
}

/// The text of a phone's MESSAGE. A missing Content-Type is taken as
/// text/plain, as many phones leave it out for plain text.
pub(crate) fn text_of(req: &Request) -> Result<String, Refusal> {
    let content_type = req.headers.iter().find_map(|h| match h {
        Header::ContentType(c) => Some(c.value().to_string()),
        _ => None,
    });
    if let Some(ct) = content_type {
        let mut parts = ct.split(';').map(str::trim);
        let media = parts.next().unwrap_or_default();
        if !media.eq_ignore_ascii_case("text/plain") {
            return Err(Refusal::NotPlainText);
        }
        let charset = parts.find_map(|p| {
            let (k, v) = p.split_once('=')?;
            k.trim().eq_ignore_ascii_case("charset").then(|| v.trim().trim_matches('"').to_ascii_lowercase())
        });
        if charset.is_some_and(|c| c != "utf-8" && c != "us-ascii") {
            return Err(Refusal::NotPlainText);
        }
    }
    let text = String::from_utf8(req.body.clone()).map_err(|_| Refusal::NotPlainText)?;
    if text.trim().is_empty() {
        return Err(Refusal::Empty);
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(Refusal::TooLong);
    }
    Ok(text)
}

/// Whether a dialled user part is a telephone number: an optional `+`
/// and 3 to 15 digits (E.164 allows 15).
pub(crate) fn is_phone_number(user: &str) -> bool {
    let digits = user.strip_prefix('+').unwrap_or(user);
    (3..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Percent-escapes what RFC 3261 does not allow in a URI's user part, so
/// any sender name makes a well-formed From.
fn escape_user(user: &str) -> String {
    const ALLOWED: &str = "-_.!~*'()&=+$,;?/";
    let mut out = String::with_capacity(user.len());
    for b in user.bytes() {
        if b.is_ascii_alphanumeric() || ALLOWED.as_bytes().contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use rsip::prelude::*;

    use super::*;

    fn phone_message(content_type: Option<&str>, body: &[u8]) -> Request {
        let mut text = String::from(
            "MESSAGE sip:1002@voxide.local SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKm1\r\n\
             Max-Forwards: 70\r\nFrom: <sip:1001@voxide.local>;tag=a\r\nTo: <sip:1002@voxide.local>\r\n\
             Call-ID: m1\r\nCSeq: 1 MESSAGE\r\n",
        );
        if let Some(ct) = content_type {
            text.push_str(&format!("Content-Type: {ct}\r\n"));
        }
        text.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        let mut bytes = text.into_bytes();
        bytes.extend_from_slice(body);
        Request::try_from(bytes.as_slice()).unwrap()
    }

    #[test]
    fn a_message_for_a_phone_carries_the_text_to_its_contact() {
        let route = vec!["<sip:lb.example;lr>".to_string()];
        let text = "Grüße — hello \u{1F44B}";
        let req = build(
            &Outgoing {
                contact: "sip:1002@127.0.0.1:5072;transport=tcp",
                aor: "sip:1002@voxide.local",
                from_user: "1001",
                realm: "voxide.local",
                route: &route,
                via: "127.0.0.1:5060".parse().unwrap(),
                transport: Transport::Tcp,
                text,
            },
            "z9hG4bKtext",
            "c1@voxide",
            "t1",
        )
        .unwrap();
        assert_eq!(req.method, rsip::Method::Message);
        // rsip prints the transport parameter in capitals; its value is case-insensitive.
        assert!(req.uri.to_string().eq_ignore_ascii_case("sip:1002@127.0.0.1:5072;transport=tcp"), "{}", req.uri);
        let wire = req.to_string();
        assert!(wire.contains("Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bKtext"), "{wire}");
        assert!(wire.contains("From: <sip:1001@voxide.local>;tag=t1\r\n"), "{wire}");
        assert!(wire.contains("To: <sip:1002@voxide.local>\r\n"), "{wire}");
        assert!(wire.contains("CSeq: 1 MESSAGE\r\n") && wire.contains("Route: <sip:lb.example;lr>\r\n"), "{wire}");
        assert!(wire.contains("Content-Type: text/plain;charset=UTF-8\r\n"), "{wire}");
        assert!(!wire.contains("Contact:"), "RFC 3428 §4: no Contact in MESSAGE: {wire}");
        assert_eq!(req.body, text.as_bytes());
        assert_eq!(req.call_id_header().unwrap().value(), "c1@voxide");
        // What the phone will read back is the same text.
        assert_eq!(text_of(&req).unwrap(), text);
    }

    #[test]
    fn a_sender_that_is_no_uri_user_is_escaped() {
        assert_eq!(escape_user("17865550100"), "17865550100");
        assert_eq!(escape_user("alice smith@x"), "alice%20smith%40x");
        assert_eq!(escape_user("é"), "%C3%A9");
    }

    #[test]
    fn phones_texts_are_taken_only_as_plain_utf8() {
        assert_eq!(text_of(&phone_message(Some("text/plain"), b"hi")).unwrap(), "hi");
        assert_eq!(text_of(&phone_message(Some("Text/Plain; charset=\"UTF-8\""), b"hi")).unwrap(), "hi");
        assert_eq!(text_of(&phone_message(None, b"no type")).unwrap(), "no type");
        for (ct, body, refusal) in [
            (Some("text/html"), b"<b>hi</b>".as_slice(), Refusal::NotPlainText),
            (Some("message/cpim"), b"x".as_slice(), Refusal::NotPlainText),
            (Some("text/plain;charset=ISO-8859-1"), b"caf\xe9".as_slice(), Refusal::NotPlainText),
            (Some("text/plain"), b"caf\xe9".as_slice(), Refusal::NotPlainText),
            (Some("text/plain"), b"  \r\n".as_slice(), Refusal::Empty),
            (Some("text/plain"), b"".as_slice(), Refusal::Empty),
        ] {
            assert_eq!(text_of(&phone_message(ct, body)), Err(refusal), "{ct:?} {body:?}");
        }
        let longest = "é".repeat(MAX_TEXT_CHARS);
        assert_eq!(text_of(&phone_message(Some("text/plain"), longest.as_bytes())).unwrap(), longest);
        let longer = format!("{longest}x");
        assert_eq!(text_of(&phone_message(Some("text/plain"), longer.as_bytes())), Err(Refusal::TooLong));
        assert_eq!(
            (Refusal::NotPlainText.status(), Refusal::Empty.status(), Refusal::TooLong.status()),
            (415, 400, 413)
        );
    }

    #[test]
    fn phone_numbers_are_told_from_names() {
        for number in ["911", "+13055550150", "447700900123", "123456789012345"] {
            assert!(is_phone_number(number), "{number}");
        }
        for other in ["", "12", "+", "alice", "1002a", "1234567890123456", "++1305"] {
            assert!(!is_phone_number(other), "{other}");
        }
    }
}
