//! Building the B2BUA's outgoing messages. Requests are written as text and
//! parsed back into `rsip` types: the text is what goes on the wire, so
//! this keeps what we send readable in one place.

use std::net::SocketAddr;

use rsip::headers::{self, Header};
use rsip::prelude::*;
use rsip::{Request, Response};
use voxide_sip::Transport;
use voxide_sip::response::{add_header, random_token, set_body};
use voxide_sip::values::{header_param, split_list, uri_part};

/// How a leg is reached: the address and transport of its flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Flow {
    pub addr: SocketAddr,
    pub transport: Transport,
}

/// Headers copied from the caller's INVITE to the callee's (RFC 4028
/// session timers, caller identity and privacy, UA information).
const PASSED_HEADERS: [&str; 6] =
    ["session-expires", "min-se", "p-asserted-identity", "privacy", "user-agent", "alert-info"];

/// A fresh branch with the RFC 3261 magic cookie.
pub fn new_branch() -> String {
    format!("z9hG4bK{}", random_token())
}

/// A header's value by (case-insensitive) name, for headers rsip keeps as `Other`.
pub fn other_header<'a>(headers: &'a rsip::Headers, name: &str) -> Option<&'a str> {
    headers.iter().find_map(|h| match h {
        Header::Other(n, v) if n.eq_ignore_ascii_case(name) => Some(v.as_str()),
        _ => None,
    })
}

/// A name-addr value without its `tag` parameter.
pub fn without_tag(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let (head, params) = match value.rfind('>') {
        Some(i) => value.split_at(i + 1),
        None => match value.find(';') {
            Some(i) => value.split_at(i),
            None => (value, ""),
        },
    };
    out.push_str(head);
    for p in params.split(';').filter(|p| !p.trim().is_empty()) {
        if !p.trim().to_ascii_lowercase().starts_with("tag=") {
            out.push(';');
            out.push_str(p.trim());
        }
    }
    out
}

pub fn tag_of(value: &str) -> Option<String> {
    header_param(value, "tag").map(str::to_string)
}

/// The Contact URI of a message.
pub fn contact_uri(headers: &rsip::Headers) -> Option<String> {
    headers.iter().find_map(|h| match h {
        Header::Contact(c) => split_list(c.value()).first().map(|v| uri_part(v).to_string()),
        _ => None,
    })
}

/// Record-Route values in order.
pub fn record_route(headers: &rsip::Headers) -> Vec<String> {
    headers
        .iter()
        .filter_map(|h| match h {
            Header::RecordRoute(r) => Some(r.value().to_string()),
            _ => None,
        })
        .flat_map(|v| split_list(&v).into_iter().map(str::to_string).collect::<Vec<_>>())
        .collect()
}

/// Everything needed to write one request.
pub struct RequestSpec<'a> {
    pub method: &'a str,
    pub uri: &'a str,
    pub via_host: SocketAddr,
    pub transport: Transport,
    pub branch: &'a str,
    pub from: &'a str,
    pub to: &'a str,
    pub call_id: &'a str,
    pub cseq: u32,
    /// `Contact` URI, for dialog-creating and target-refreshing requests.
    pub contact: Option<&'a str>,
    pub route: &'a [String],
    pub max_forwards: u32,
    pub extra: Vec<(String, String)>,
    pub body: Option<(&'a str, &'a [u8])>,
}

pub fn request(spec: &RequestSpec) -> Option<Request> {
    let mut text = format!(
        "{} {} SIP/2.0\r\nVia: SIP/2.0/{} {};branch={};rport\r\nMax-Forwards: {}\r\nFrom: {}\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: {} {}\r\n",
        spec.method,
        spec.uri,
        spec.transport.as_str(),
        spec.via_host,
        spec.branch,
        spec.max_forwards,
        spec.from,
        spec.to,
        spec.call_id,
        spec.cseq,
        spec.method
    );
    for r in spec.route {
        text.push_str(&format!("Route: {r}\r\n"));
    }
    if let Some(c) = spec.contact {
        text.push_str(&format!("Contact: <{c}>\r\n"));
    }
    for (k, v) in &spec.extra {
        text.push_str(&format!("{k}: {v}\r\n"));
    }
    let body = spec.body.map(|(_, b)| b).unwrap_or(&[]);
    if let Some((ct, _)) = spec.body {
        text.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    text.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut bytes = text.into_bytes();
    bytes.extend_from_slice(body);
    Request::try_from(bytes.as_slice()).ok()
}

/// Headers of `from` worth passing to the other leg's request.
pub fn passed_headers(from: &rsip::Headers) -> Vec<(String, String)> {
    from.iter()
        .filter_map(|h| match h {
            Header::Other(n, v) if PASSED_HEADERS.contains(&n.to_ascii_lowercase().as_str()) => {
                Some((n.clone(), v.clone()))
            }
            Header::UserAgent(u) => Some(("User-Agent".into(), u.value().to_string())),
            _ => None,
        })
        .collect()
}

/// The body of a message with its Content-Type, if it has one.
pub fn body_of<'a>(headers: &rsip::Headers, body: &'a [u8]) -> Option<(String, &'a [u8])> {
    if body.is_empty() {
        return None;
    }
    let ct = headers
        .iter()
        .find_map(|h| match h {
            Header::ContentType(c) => Some(c.value().to_string()),
            _ => None,
        })
        .unwrap_or_else(|| "application/sdp".into());
    Some((ct, body))
}

/// A response to `req` through our side of a dialog: our tag, our Contact,
/// and optionally a body.
pub fn response(
    req: &Request,
    status: u16,
    tag: &str,
    contact: Option<&str>,
    body: Option<(&str, Vec<u8>)>,
) -> Response {
    let mut resp = voxide_sip::response_to(req, status, tag);
    if let Some(c) = contact {
        add_header(&mut resp, Header::Contact(headers::Contact::new(format!("<{c}>"))));
    }
    if let Some((ct, b)) = body {
        set_body(&mut resp, ct, b);
    }
    resp
}

/// Copies headers worth relaying from the callee's response to ours.
pub fn relay_headers(from: &Response, to: &mut Response) {
    for h in from.headers.iter() {
        if let Header::Other(n, v) = h
            && ["session-expires", "require", "p-asserted-identity"].contains(&n.to_ascii_lowercase().as_str())
        {
            add_header(to, Header::Other(n.clone(), v.clone()));
        }
    }
}

/// The status of a response as a number.
pub fn status(resp: &Response) -> u16 {
    u16::from(resp.status_code.clone())
}

/// The CSeq number of a message.
pub fn cseq(headers: &rsip::Headers) -> u32 {
    headers
        .iter()
        .find_map(|h| match h {
            Header::CSeq(c) => c.typed().ok().map(|c| c.seq),
            _ => None,
        })
        .unwrap_or(0)
}

/// The From header's value (with its tag).
pub fn from_value(msg: &impl HeadersExt) -> String {
    msg.from_header().map(|h| h.value().to_string()).unwrap_or_default()
}

/// The To header's value (with its tag, if any).
pub fn to_value(msg: &impl HeadersExt) -> String {
    msg.to_header().map(|h| h.value().to_string()).unwrap_or_default()
}

pub fn call_id(msg: &impl HeadersExt) -> String {
    msg.call_id_header().map(|c| c.value().to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_removed_and_read() {
        assert_eq!(without_tag("\"A\" <sip:a@h>;tag=1;x=2"), "\"A\" <sip:a@h>;x=2");
        assert_eq!(without_tag("sip:a@h;tag=9"), "sip:a@h");
        assert_eq!(tag_of("<sip:a@h>;tag=abc").as_deref(), Some("abc"));
    }

    #[test]
    fn requests_are_built_and_parse() {
        let req = request(&RequestSpec {
            method: "INVITE",
            uri: "sip:1002@10.0.0.2:5060",
            via_host: "192.0.2.1:5060".parse().unwrap(),
            transport: Transport::Udp,
            branch: "z9hG4bKx",
            from: "<sip:1001@d>;tag=f",
            to: "<sip:1002@d>",
            call_id: "c",
            cseq: 1,
            contact: Some("sip:voxide@192.0.2.1:5060"),
            route: &[],
            max_forwards: 69,
            extra: vec![("X-Call-UUID".into(), "u".into())],
            body: Some(("application/sdp", b"v=0\r\n")),
        })
        .unwrap();
        let text = req.to_string();
        assert!(text.contains("X-Call-UUID: u\r\n") && text.ends_with("\r\n\r\nv=0\r\n"));
        assert_eq!(cseq(&req.headers), 1);
    }
}
