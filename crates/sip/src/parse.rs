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
    if let Some((reason, status)) = check_request_line(bytes) {
        return Err(malformed(bytes, reason, status));
    }
    let normalized = normalize(bytes);
    let (normalized, v6_host) = mask_v6_request_uri(normalized);
    let parsed = std::panic::catch_unwind(|| SipMessage::try_from(normalized.as_ref()));
    let mut msg = match parsed {
        Ok(Ok(SipMessage::Request(mut req))) if v6_host.is_some() => {
            req.uri.host_with_port.host = rsip::Host::Domain(v6_host.unwrap_or_default().into());
            SipMessage::Request(req)
        }
        Ok(Ok(m)) => m,
        Ok(Err(_)) if unknown_method(bytes) => return Err(malformed(bytes, "method not implemented", 501)),
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

/// The start-line checks rsip cannot make or would answer wrongly: a
/// request-line with a version other than SIP/2.0 gets 505 (rsip refuses
/// it as unparsable), a Request-URI in `<>` is refused (RFC 4475 §3.1.2.7,
/// rsip accepts it), and a scheme other than sip, sips or tel gets 416
/// (RFC 3261 §8.2.2.1; rsip cannot parse one).
fn check_request_line(bytes: &[u8]) -> Option<(&'static str, u16)> {
    let line = bytes.split(|b| *b == b'\n').next()?;
    let line = std::str::from_utf8(line).ok()?.trim_end_matches('\r');
    let mut parts = line.split(' ');
    let (method, uri, version) = (parts.next()?, parts.next()?, parts.next()?);
    if method.starts_with("SIP/") || parts.next().is_some() {
        return None;
    }
    if version.starts_with("SIP/") && version != "SIP/2.0" {
        return Some(("SIP version not supported", 505));
    }
    if uri.starts_with('<') {
        return Some(("Request-URI enclosed in <>", 400));
    }
    let scheme = uri.split_once(':').map(|(s, _)| s)?;
    let looks_like_scheme =
        !scheme.is_empty() && scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
    let known = ["sip", "sips", "tel"].iter().any(|k| scheme.eq_ignore_ascii_case(k));
    (looks_like_scheme && !known).then_some(("unsupported URI scheme", 416))
}

/// A request whose method rsip does not know (its Method is a closed enum),
/// with a CSeq naming the same method: RFC 3261 §8.2.1 wants 501 for it.
/// A CSeq that names another method stays a 400 (RFC 4475 §3.1.2.18).
fn unknown_method(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head(bytes));
    let mut lines = text.split("\r\n");
    let Some(method) = lines.next().and_then(|l| l.split(' ').next()) else { return false };
    if method.is_empty() || method.starts_with("SIP/") || method.parse::<rsip::Method>().is_ok() {
        return false;
    }
    lines.filter_map(|l| l.split_once(':')).any(|(name, value)| {
        name.trim().eq_ignore_ascii_case("cseq") && value.split_whitespace().nth(1) == Some(method)
    })
}

/// Stands in for rsip's host name in a masked Request-URI.
const V6_MASK: &[u8] = b"ipv6-reference.invalid";

/// rsip splits `host:port` at the first colon, so it cannot parse an IPv6
/// reference (`sip:[::1]:5060`) in the Request-URI. Swap it for a plain
/// name for the parse and hand it back to be put in place afterwards.
fn mask_v6_request_uri(bytes: std::borrow::Cow<'_, [u8]>) -> (std::borrow::Cow<'_, [u8]>, Option<String>) {
    let line_end = bytes.iter().position(|b| *b == b'\n').unwrap_or(bytes.len());
    let line = &bytes[..line_end];
    let Some(uri_start) = line.iter().position(|b| *b == b' ').map(|i| i + 1) else { return (bytes, None) };
    let uri_end = line[uri_start..].iter().position(|b| *b == b' ').map_or(line.len(), |i| uri_start + i);
    let uri = &line[uri_start..uri_end];
    let (Some(open), Some(close)) = (uri.iter().position(|b| *b == b'['), uri.iter().position(|b| *b == b']')) else {
        return (bytes, None);
    };
    let inner = std::str::from_utf8(&uri[open + 1..close.max(open + 1)]).ok();
    if close < open || inner.is_none_or(|a| a.parse::<std::net::Ipv6Addr>().is_err()) {
        return (bytes, None);
    }
    let host = String::from_utf8_lossy(&uri[open..=close]).into_owned();
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&bytes[..uri_start + open]);
    out.extend_from_slice(V6_MASK);
    out.extend_from_slice(&bytes[uri_start + close + 1..]);
    (std::borrow::Cow::Owned(out), Some(host))
}

/// Expands compact header names, removes whitespace before the colon of
/// header names (`HCOLON` allows it, rsip does not), closes up whitespace
/// around the slashes of a Via's sent-protocol (`SIP / 2.0 / UDP`) and
/// unfolds continuation lines (§7.3.1) in the header block, so the grammar
/// sees only plain long forms. Copies only when something needs changing.
fn normalize(bytes: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let head_len = bytes.windows(4).position(|w| w == b"\r\n\r\n").map_or(bytes.len(), |p| p + 2);
    let (head, body) = bytes.split_at(head_len);
    let needs = head.split(|b| *b == b'\n').skip(1).any(|line| {
        line.first().is_some_and(|c| *c == b' ' || *c == b'\t')
            || compact_name(line).is_some()
            || spaced_name(line)
            || is_via(line) && line.windows(2).any(|w| w.contains(&b'/') && w.iter().any(u8::is_ascii_whitespace))
    });
    if !needs {
        return std::borrow::Cow::Borrowed(bytes);
    }
    let head = unfold(head);
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len() + 64);
    for (i, line) in head.split_inclusive(|b| *b == b'\n').enumerate() {
        let colon = line.iter().position(|b| *b == b':');
        match colon.filter(|_| i > 0) {
            Some(colon) => {
                let name = line[..colon].trim_ascii();
                match compact_name(line) {
                    Some((long, _)) => out.extend_from_slice(long.as_bytes()),
                    None => out.extend_from_slice(name),
                }
                if is_via(line) {
                    out.push(b':');
                    out.extend_from_slice(&close_slashes(&line[colon + 1..]));
                } else {
                    out.extend_from_slice(&line[colon..]);
                }
            }
            None => out.extend_from_slice(line),
        }
    }
    out.extend_from_slice(body);
    std::borrow::Cow::Owned(out)
}

/// Joins continuation lines to the line they continue, with one space.
fn unfold(head: &[u8]) -> Vec<u8> {
    let mut out: Vec<u8> = Vec::with_capacity(head.len());
    for (i, line) in head.split_inclusive(|b| *b == b'\n').enumerate() {
        if i > 0 && line.first().is_some_and(|c| *c == b' ' || *c == b'\t') {
            while out.last().is_some_and(|c| *c == b'\n' || *c == b'\r') {
                out.pop();
            }
            out.push(b' ');
            out.extend_from_slice(line.trim_ascii_start());
            continue;
        }
        out.extend_from_slice(line);
    }
    out
}

/// A header line whose name is followed by whitespace before the colon.
fn spaced_name(line: &[u8]) -> bool {
    line.iter().position(|b| *b == b':').is_some_and(|c| c > 0 && line[c - 1].is_ascii_whitespace())
}

fn is_via(line: &[u8]) -> bool {
    line.iter().position(|b| *b == b':').is_some_and(|c| {
        let name = line[..c].trim_ascii();
        name.eq_ignore_ascii_case(b"via") || name.eq_ignore_ascii_case(b"v")
    })
}

/// Removes whitespace next to `/` (only the sent-protocol of a Via has any).
fn close_slashes(value: &[u8]) -> Vec<u8> {
    let mut out: Vec<u8> = Vec::with_capacity(value.len());
    let mut after_slash = false;
    for &b in value {
        match b {
            b'/' => {
                while out.last().is_some_and(|c| *c == b' ' || *c == b'\t') {
                    out.pop();
                }
                out.push(b);
                after_slash = true;
            }
            b' ' | b'\t' if after_slash => {}
            _ => {
                out.push(b);
                after_slash = false;
            }
        }
    }
    out
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
    crate::values::via_parts(via.value()).ok_or_else(|| "malformed Via".to_string())?;
    // From/To are only required to be present: rsip's typed forms refuse
    // legal whitespace (`<sip:a@b> ;tag=1`), and tags are read leniently.
    msg.from_header().map_err(|_| "missing From".to_string())?;
    msg.to_header().map_err(|_| "missing To".to_string())?;
    check_headers(msg.headers())?;
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

/// Structural checks on header values that rsip accepts: repeated
/// single-value headers (RFC 3261 §7.3.1; two Content-Lengths leave the
/// body's extent unknown), empty Via values or parameters, unbalanced
/// quotes, whitespace inside `<>`, an addr-spec carrying `?` outside `<>`,
/// and a Date not in GMT (RFC 4475 §3.1.2, §3.3.8, §3.3.9).
fn check_headers(headers: &rsip::Headers) -> Result<(), String> {
    // From, To, Call-ID, CSeq, Max-Forwards, Content-Length.
    let mut seen = [0u8; 6];
    for h in headers.iter() {
        let (single, name, value) = match h {
            Header::From(v) => (Some(0), "From", v.value()),
            Header::To(v) => (Some(1), "To", v.value()),
            Header::CallId(v) => (Some(2), "Call-ID", v.value()),
            Header::CSeq(v) => (Some(3), "CSeq", v.value()),
            Header::MaxForwards(v) => (Some(4), "Max-Forwards", v.value()),
            Header::ContentLength(v) => (Some(5), "Content-Length", v.value()),
            Header::Contact(v) => (None, "Contact", v.value()),
            Header::Route(v) => (None, "Route", v.value()),
            Header::RecordRoute(v) => (None, "Record-Route", v.value()),
            Header::Via(v) => (None, "Via", v.value()),
            Header::Date(v) => (None, "Date", v.value()),
            _ => continue,
        };
        if let Some(i) = single {
            seen[i] += 1;
            if seen[i] > 1 {
                return Err(format!("more than one {name} header"));
            }
        }
        match name {
            "Via" => {
                let empty = |v: &str| v.trim().is_empty() || v.split(';').any(|p| p.trim().is_empty());
                if value.split(',').any(empty) {
                    return Err("malformed Via".into());
                }
            }
            "Date" if !value.trim_end().ends_with(" GMT") => return Err("malformed Date (not in GMT)".into()),
            "Call-ID" | "CSeq" | "Max-Forwards" | "Content-Length" | "Date" => {}
            _ => check_address(value).map_err(|why| format!("malformed {name}: {why}"))?,
        }
    }
    Ok(())
}

/// Checks one name-addr / addr-spec header value (possibly a list).
fn check_address(value: &str) -> Result<(), &'static str> {
    if value.trim() == "*" {
        return Ok(());
    }
    for v in crate::values::split_list(value) {
        check_one_address(v)?;
    }
    Ok(())
}

/// One `[display] <uri> *(;param)` or `uri *(;param)`. Quoted strings (a
/// display name, `+sip.instance="<urn:…>"`) are skipped over throughout.
fn check_one_address(v: &str) -> Result<(), &'static str> {
    let bytes = v.as_bytes();
    let (mut quoted, mut escaped) = (false, false);
    let (mut open, mut close) = (None, None);
    let mut separators = Vec::new(); // unquoted `;` outside `<>`
    for (i, &b) in bytes.iter().enumerate() {
        if escaped {
            escaped = false;
            continue;
        }
        let in_angle = open.is_some() && close.is_none();
        match b {
            b'\\' if quoted => escaped = true,
            b'"' => quoted = !quoted,
            _ if quoted => {}
            b'<' if open.is_none() => {
                if bytes.get(i + 1).is_some_and(u8::is_ascii_whitespace) {
                    return Err("whitespace inside <>");
                }
                open = Some(i);
            }
            b'>' if in_angle => {
                if bytes[i - 1].is_ascii_whitespace() {
                    return Err("whitespace inside <>");
                }
                close = Some(i);
            }
            b'?' if !in_angle => return Err("a URI with headers must be enclosed in <>"),
            b';' if !in_angle => separators.push(i),
            _ => {}
        }
    }
    if quoted {
        return Err("unterminated quoted string");
    }
    if open.is_some() != close.is_some() {
        return Err("unbalanced <>");
    }
    if let Some(close) = close {
        let after = v[close + 1..].trim_start();
        if !after.is_empty() && !after.starts_with(';') {
            return Err("text after the URI");
        }
    }
    // Header parameters: between consecutive separators, and after the last.
    let ends = separators.iter().skip(1).copied().chain([v.len()]);
    if separators.iter().zip(ends).any(|(&from, to)| v[from + 1..to].trim().is_empty()) {
        return Err("empty parameter");
    }
    Ok(())
}

/// Builds a 400 (or 505) from the raw text when it is a request with a Via;
/// otherwise the message is unanswerable.
fn malformed(bytes: &[u8], reason: &str, status: u16) -> ParseError {
    let text = String::from_utf8_lossy(head(bytes));
    let mut lines = text.split("\r\n");
    let first = lines.next().unwrap_or("");
    // A request-line ends in a SIP version, however badly it is spaced.
    let is_request = !first.starts_with("SIP/")
        && first.split(' ').filter(|p| !p.is_empty()).count() >= 3
        && first.trim_end().rsplit(' ').next().is_some_and(|v| v.starts_with("SIP/"));
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
    let phrase = match status {
        505 => "Version Not Supported",
        416 => "Unsupported URI Scheme",
        501 => "Not Implemented",
        _ => "Bad Request",
    };
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
    fn ipv6_references_parse_and_round_trip() {
        let text = "REGISTER sip:[::1]:5060 SIP/2.0\r\nVia: SIP/2.0/UDP [::1]:5062;branch=z9hG4bK1;rport\r\nFrom: <sip:1001@[::1]>;tag=a\r\nTo: <sip:1001@[::1]>\r\nCall-ID: c6\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n";
        let SipMessage::Request(req) = parse_message(text.as_bytes()).unwrap() else { panic!("a request") };
        assert_eq!(req.uri.to_string(), "sip:[::1]:5060");
        assert!(req.to_string().starts_with("REGISTER sip:[::1]:5060 SIP/2.0\r\nVia: SIP/2.0/UDP [::1]:5062;"));
    }

    #[test]
    fn other_versions_get_505_and_other_schemes_416() {
        for (line, status) in
            [("OPTIONS sip:d SIP/3.0", "505 Version Not Supported"), ("OPTIONS mailto:a@d SIP/2.0", "416 ")]
        {
            let text = format!(
                "{line}\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@d>;tag=1\r\nTo: <sip:d>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
            );
            let ParseError::Malformed(m) = parse_message(text.as_bytes()).unwrap_err() else { panic!("{line}") };
            let reply = String::from_utf8(m.reply.unwrap()).unwrap();
            assert!(reply.starts_with(&format!("SIP/2.0 {status}")), "{reply}");
        }
    }

    #[test]
    fn contacts_phones_send_are_accepted_and_broken_ones_named() {
        let ok = [
            r#"<sip:1001@10.0.0.1:5060;transport=udp>;+sip.instance="<urn:uuid:00000000-0000-1000-8000-000B82C0FFEE>";reg-id=1"#,
            r#""Bell, A. \"Al\"" <sip:a@h;lr>;expires=60, sip:b@h;q=0.5"#,
            "sip:1001@[2001:db8::1]:5060",
            "*",
        ];
        for value in ok {
            assert_eq!(check_address(value), Ok(()), "{value}");
        }
        let bad = [
            ("sip:a@h?Route=x", "a URI with headers must be enclosed in <>"),
            ("\"A <sip:a@h>", "unterminated quoted string"),
            ("< sip:a@h>", "whitespace inside <>"),
            ("<sip:a@h>;;x=1", "empty parameter"),
            ("<sip:a@h> junk", "text after the URI"),
            ("<sip:a@h", "unbalanced <>"),
        ];
        for (value, why) in bad {
            assert_eq!(check_address(value), Err(why), "{value}");
        }
    }

    #[test]
    fn repeated_single_value_headers_are_refused() {
        let text = REGISTER.replace("Call-ID: c1\r\n", "Call-ID: c1\r\nCall-ID: c2\r\n");
        assert_eq!(parse_message(text.as_bytes()).unwrap_err().reason(), "more than one Call-ID header");
    }

    #[test]
    fn garbage_is_unanswerable_not_a_panic() {
        for junk in [&b""[..], b"\x00\x01\x02", &[0xff; 2000], b"hello world this is not sip\r\n\r\n"] {
            assert!(matches!(parse_message(junk), Err(ParseError::Unanswerable(_))));
        }
    }
}
