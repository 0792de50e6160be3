//! Bytes → a validated SIP message. `rsip` does the grammar; this adds the
//! RFC 3261 §8.2 / §16.3 checks a switch must make before acting, and for
//! anything malformed keeps enough of the raw request to answer it
//! `400 Bad Request` with a `Warning` saying why.

use rsip::prelude::*;
use rsip::{SipMessage, headers::Header};

/// Why a message was refused, and a ready 400 response when it can be answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    pub reason: String,
    /// Serialised `400 Bad Request` (or `505`), present when the message was
    /// a request carrying the headers a response needs.
    pub reply: Option<Vec<u8>>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Not SIP at all, or a response/request too broken to answer: drop it
    /// and count it.
    #[error("unanswerable: {0}")]
    Unanswerable(String),
    /// A request we can and must answer with an error.
    #[error("malformed: {}", .0.reason)]
    Malformed(Malformed),
}

impl ParseError {
    pub fn reason(&self) -> &str {
        match self {
            ParseError::Unanswerable(r) => r,
            ParseError::Malformed(m) => &m.reason,
        }
    }
}

/// Parses and checks one message (a UDP datagram or a framed TCP message).
pub fn parse_message(bytes: &[u8]) -> Result<SipMessage, ParseError> {
    if bytes.len() < 16 || !bytes.is_ascii() && std::str::from_utf8(head(bytes)).is_err() {
        return Err(ParseError::Unanswerable("not a SIP message".into()));
    }
    // rsip is a third-party parser fed hostile input; a panic inside it must
    // not take the switch down.
    let normalized = normalize(bytes);
    let parsed = std::panic::catch_unwind(|| SipMessage::try_from(normalized.as_ref()));
    let mut msg = match parsed {
        Ok(Ok(m)) => m,
        Ok(Err(e)) => return Err(malformed(bytes, &format!("unparsable message: {}", short(&e.to_string())), 400)),
        Err(_) => return Err(malformed(bytes, "unparsable message", 400)),
    };
    if let Err(reason) = check(&mut msg) {
        let status = if reason.starts_with("SIP version") { 505 } else { 400 };
        return Err(match msg {
            SipMessage::Request(_) => malformed(bytes, &reason, status),
            SipMessage::Response(_) => ParseError::Unanswerable(reason),
        });
    }
    Ok(msg)
}

/// Long names for RFC 3261 §7.3.3 compact header names, which rsip does not know.
const COMPACT: [(u8, &str); 10] = [
    (b'v', "Via"),
    (b'f', "From"),
    (b't', "To"),
    (b'i', "Call-ID"),
    (b'm', "Contact"),
    (b'l', "Content-Length"),
    (b'c', "Content-Type"),
    (b'k', "Supported"),
    (b's', "Subject"),
    (b'e', "Content-Encoding"),
];

/// Expands compact header names and unfolds continuation lines (§7.3.1) in
/// the header block, so the grammar sees only long forms. Copies only when
/// something needs changing.
fn normalize(bytes: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let head_len = bytes.windows(4).position(|w| w == b"\r\n\r\n").map_or(bytes.len(), |p| p + 2);
    let (head, body) = bytes.split_at(head_len);
    let needs = head
        .split(|b| *b == b'\n')
        .skip(1)
        .any(|line| line.first().is_some_and(|c| *c == b' ' || *c == b'\t') || compact_name(line).is_some());
    if !needs {
        return std::borrow::Cow::Borrowed(bytes);
    }
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len() + 64);
    for (i, line) in head.split_inclusive(|b| *b == b'\n').enumerate() {
        if i > 0 && line.first().is_some_and(|c| *c == b' ' || *c == b'\t') {
            // Folded: join to the previous line with one space.
            while out.last().is_some_and(|c| *c == b'\n' || *c == b'\r') {
                out.pop();
            }
            out.push(b' ');
            out.extend_from_slice(line.trim_ascii_start());
            continue;
        }
        match (i > 0).then(|| compact_name(line)).flatten() {
            Some((long, colon)) => {
                out.extend_from_slice(long.as_bytes());
                out.extend_from_slice(&line[colon..]);
            }
            None => out.extend_from_slice(line),
        }
    }
    out.extend_from_slice(body);
    std::borrow::Cow::Owned(out)
}

/// For a header line with a compact name, the long name and the index of its colon.
fn compact_name(line: &[u8]) -> Option<(&'static str, usize)> {
    let colon = line.iter().position(|b| *b == b':')?;
    let name = line[..colon].trim_ascii();
    if name.len() != 1 {
        return None;
    }
    let c = name[0].to_ascii_lowercase();
    COMPACT.iter().find(|(k, _)| *k == c).map(|(_, long)| (*long, colon))
}

fn head(bytes: &[u8]) -> &[u8] {
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(bytes.len());
    &bytes[..end]
}

fn short(s: &str) -> String {
    s.chars().take(120).filter(|c| !c.is_control() && *c != '"').collect()
}

/// The checks rsip leaves to us.
fn check(msg: &mut SipMessage) -> Result<(), String> {
    if msg.version() != &rsip::Version::V2 {
        return Err("SIP version not supported".into());
    }
    let via = msg.via_header().map_err(|_| "missing Via".to_string())?;
    via.typed().map_err(|_| "malformed Via".to_string())?;
    // From/To are only required to be present: rsip's typed forms refuse
    // legal whitespace (`<sip:a@b> ;tag=1`), and tags are read leniently.
    msg.from_header().map_err(|_| "missing From".to_string())?;
    msg.to_header().map_err(|_| "missing To".to_string())?;
    if msg.call_id_header().map_err(|_| "missing Call-ID".to_string())?.value().trim().is_empty() {
        return Err("empty Call-ID".into());
    }
    let cseq =
        msg.cseq_header().map_err(|_| "missing CSeq".to_string())?.typed().map_err(|_| "malformed CSeq".to_string())?;
    if cseq.seq > 0x7fff_ffff {
        return Err("CSeq number out of range".into());
    }
    if let SipMessage::Request(req) = &*msg {
        if cseq.method != req.method {
            return Err("CSeq method does not match the request method".into());
        }
        if let Ok(mf) = req.max_forwards_header() {
            mf.num().map_err(|_| "malformed Max-Forwards".to_string())?;
        }
    }
    // Content-Length: a longer claim than the datagram holds is an error
    // (RFC 3261 §18.3); extra bytes after the body are discarded.
    let declared = msg.headers().iter().find_map(|h| match h {
        Header::ContentLength(l) => Some(l.value().trim().parse::<usize>()),
        _ => None,
    });
    match declared {
        Some(Err(_)) => return Err("malformed Content-Length".into()),
        Some(Ok(n)) if n > msg.body().len() => return Err("Content-Length larger than the body".into()),
        Some(Ok(n)) => msg.body_mut().truncate(n),
        None => {}
    }
    Ok(())
}

/// Builds a 400 (or 505) from the raw text when it is a request with a Via;
/// otherwise the message is unanswerable.
fn malformed(bytes: &[u8], reason: &str, status: u16) -> ParseError {
    let text = String::from_utf8_lossy(head(bytes));
    let mut lines = text.split("\r\n");
    let first = lines.next().unwrap_or("");
    let is_request = !first.starts_with("SIP/") && first.split(' ').count() == 3 && first.ends_with("SIP/2.0")
        || first.split(' ').nth(2).is_some_and(|v| v.starts_with("SIP/"));
    if !is_request {
        return ParseError::Unanswerable(reason.to_string());
    }
    let mut copied: Vec<&str> = Vec::new();
    let mut have = [false; 5]; // Via, From, To, Call-ID, CSeq
    for line in lines {
        let Some((name, _)) = line.split_once(':') else { continue };
        let slot = match name.trim().to_ascii_lowercase().as_str() {
            "via" | "v" => 0,
            "from" | "f" => 1,
            "to" | "t" => 2,
            "call-id" | "i" => 3,
            "cseq" => 4,
            _ => continue,
        };
        have[slot] = true;
        copied.push(line);
    }
    // Without a Via there is nowhere to send a response; the other headers
    // are copied when present so the sender can see what it sent wrong.
    if !have[0] {
        return ParseError::Unanswerable(format!("{reason} (and no Via to answer to)"));
    }
    let phrase = if status == 505 { "Version Not Supported" } else { "Bad Request" };
    let mut reply = format!("SIP/2.0 {status} {phrase}\r\n");
    for line in copied {
        reply.push_str(line);
        reply.push_str("\r\n");
    }
    reply.push_str(&format!("Warning: 399 voxide \"{}\"\r\nContent-Length: 0\r\n\r\n", short(reason)));
    ParseError::Malformed(Malformed { reason: reason.to_string(), reply: Some(reply.into_bytes()) })
}

#[cfg(test)]
mod tests {
    use super::*;

    const REGISTER: &str = "REGISTER sip:voxide.local SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;rport\r\nMax-Forwards: 70\r\nFrom: <sip:1001@voxide.local>;tag=a\r\nTo: <sip:1001@voxide.local>\r\nCall-ID: c1\r\nCSeq: 1 REGISTER\r\nContact: <sip:1001@10.0.0.1:5060>\r\nContent-Length: 0\r\n\r\n";

    #[test]
    fn a_valid_register_parses() {
        assert!(parse_message(REGISTER.as_bytes()).unwrap().is_request());
    }

    #[test]
    fn missing_call_id_gets_a_400_with_a_warning() {
        let text = REGISTER.replace("Call-ID: c1\r\n", "");
        let err = parse_message(text.as_bytes()).unwrap_err();
        let ParseError::Malformed(m) = err else { panic!("expected an answerable error") };
        assert!(m.reason.contains("Call-ID"));
        let reply = String::from_utf8(m.reply.unwrap()).unwrap();
        assert!(reply.starts_with("SIP/2.0 400 Bad Request\r\n"));
        assert!(reply.contains("Warning: 399 voxide \"missing Call-ID\""));
    }

    #[test]
    fn cseq_method_mismatch_is_answered_400() {
        let text = REGISTER.replace("CSeq: 1 REGISTER", "CSeq: 1 INVITE");
        let ParseError::Malformed(m) = parse_message(text.as_bytes()).unwrap_err() else { panic!() };
        let reply = String::from_utf8(m.reply.unwrap()).unwrap();
        assert!(reply.starts_with("SIP/2.0 400 Bad Request\r\n"));
        assert!(reply.contains("Warning: 399 voxide \"CSeq method does not match"));
        assert!(reply.contains("Call-ID: c1"));
    }

    #[test]
    fn content_length_beyond_the_body_is_refused() {
        let text = REGISTER.replace("Content-Length: 0", "Content-Length: 50");
        assert!(matches!(parse_message(text.as_bytes()), Err(ParseError::Malformed(_))));
    }

    #[test]
    fn compact_and_folded_headers_are_understood() {
        let text = "OPTIONS sip:d SIP/2.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bK1\r\nf: <sip:a@d>\r\n ;tag=1\r\nt: <sip:d>\r\ni: x\r\nCSeq: 1 OPTIONS\r\nl: 0\r\n\r\n";
        let msg = parse_message(text.as_bytes()).unwrap();
        assert_eq!(msg.call_id_header().unwrap().value(), "x");
        assert!(msg.from_header().unwrap().value().contains("tag=1"));
    }

    #[test]
    fn garbage_is_unanswerable_not_a_panic() {
        for junk in [&b""[..], b"\x00\x01\x02", &[0xff; 2000], b"hello world this is not sip\r\n\r\n"] {
            assert!(matches!(parse_message(junk), Err(ParseError::Unanswerable(_))));
        }
    }
}
