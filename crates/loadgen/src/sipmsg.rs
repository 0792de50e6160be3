//! SIP messages as the load generator needs them: a flat view of a parsed
//! message (the headers a user agent reads), and builders for the few
//! requests and responses it sends, as text.

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};

use rsip::headers::Header;
use rsip::prelude::*;
use voxide_sip::values::{header_param, split_list, uri_part};

/// The start line of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    Request { method: String, uri: String },
    Response { status: u16 },
}

/// What a user agent reads from a message. Built only from messages
/// `voxide_sip::parse_message` accepted, so the mandatory headers exist.
#[derive(Debug, Clone)]
pub struct Msg {
    pub start: Start,
    pub call_id: String,
    pub cseq: u32,
    pub cseq_method: String,
    pub from: String,
    pub to: String,
    /// Every Via value, in order, as received.
    pub vias: Vec<String>,
    /// The first Contact's URI.
    pub contact: Option<String>,
    /// `WWW-Authenticate` / `Proxy-Authenticate` values.
    pub challenges: Vec<String>,
    /// The switch's `X-Call-UUID`, which links the two legs of a call.
    pub call_uuid: Option<String>,
    /// The Expires granted to our binding (Contact `expires`, else Expires).
    pub expires: Option<u32>,
    pub body: Vec<u8>,
}

impl Msg {
    /// Parses a datagram; `None` for anything that is not a usable SIP
    /// message (never panics on network input).
    pub fn parse(bytes: &[u8]) -> Option<Msg> {
        let parsed = voxide_sip::parse_message(bytes).ok()?;
        let start = match &parsed {
            rsip::SipMessage::Request(r) => Start::Request { method: r.method.to_string(), uri: r.uri.to_string() },
            rsip::SipMessage::Response(r) => Start::Response { status: u16::from(r.status_code.clone()) },
        };
        let mut msg = Msg {
            start,
            call_id: String::new(),
            cseq: 0,
            cseq_method: String::new(),
            from: String::new(),
            to: String::new(),
            vias: Vec::new(),
            contact: None,
            challenges: Vec::new(),
            call_uuid: None,
            expires: None,
            body: parsed.body().clone(),
        };
        let mut contact_expires = None;
        for h in parsed.headers().iter() {
            match h {
                Header::Via(v) => msg.vias.push(v.value().to_owned()),
                Header::From(v) => msg.from = v.value().to_owned(),
                Header::To(v) => msg.to = v.value().to_owned(),
                Header::CallId(v) => msg.call_id = v.value().to_owned(),
                Header::CSeq(v) => {
                    let mut parts = v.value().split_whitespace();
                    msg.cseq = parts.next().and_then(|n| n.parse().ok()).unwrap_or(0);
                    msg.cseq_method = parts.next().unwrap_or("").to_owned();
                }
                Header::Contact(v) if msg.contact.is_none() => {
                    let first = split_list(v.value()).first().map(|s| s.to_string());
                    contact_expires = first.as_deref().and_then(|c| header_param(c, "expires")?.parse().ok());
                    msg.contact = first.map(|c| uri_part(&c).to_owned());
                }
                Header::Expires(v) => msg.expires = v.value().trim().parse().ok(),
                Header::WwwAuthenticate(v) => msg.challenges.push(v.value().to_owned()),
                Header::ProxyAuthenticate(v) => msg.challenges.push(v.value().to_owned()),
                Header::Other(name, value) => {
                    if name.eq_ignore_ascii_case("x-call-uuid") {
                        msg.call_uuid = Some(value.trim().to_owned());
                    } else if name.eq_ignore_ascii_case("www-authenticate")
                        || name.eq_ignore_ascii_case("proxy-authenticate")
                    {
                        msg.challenges.push(value.clone());
                    }
                }
                _ => {}
            }
        }
        msg.expires = contact_expires.or(msg.expires);
        (!msg.call_id.is_empty() && !msg.vias.is_empty()).then_some(msg)
    }

    pub fn status(&self) -> Option<u16> {
        match self.start {
            Start::Response { status } => Some(status),
            Start::Request { .. } => None,
        }
    }

    pub fn method(&self) -> Option<&str> {
        match &self.start {
            Start::Request { method, .. } => Some(method),
            Start::Response { .. } => None,
        }
    }

    pub fn to_tag(&self) -> Option<&str> {
        header_param(&self.to, "tag").filter(|t| !t.is_empty())
    }
}

/// A fresh RFC 3261 branch.
pub fn branch() -> String {
    format!("z9hG4bK{:016x}", rand::random::<u64>())
}

/// A fresh tag or Call-ID token.
pub fn token() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// The headers of a request inside or outside a dialog.
pub struct RequestLine<'a> {
    pub method: &'a str,
    pub uri: &'a str,
    /// Our SIP socket, for Via and Contact.
    pub local: SocketAddr,
    pub branch: &'a str,
    /// Full From value, with our tag.
    pub from: &'a str,
    /// Full To value, with the peer's tag once known.
    pub to: &'a str,
    pub call_id: &'a str,
    pub cseq: u32,
    /// Contact user, when the request carries a Contact.
    pub contact_user: Option<&'a str>,
}

/// Renders a request; `extra` holds complete header lines (each ending in
/// CRLF), `body` an SDP body.
pub fn request(r: &RequestLine<'_>, extra: &str, body: Option<&str>) -> Vec<u8> {
    let mut s = String::with_capacity(512 + body.map_or(0, str::len));
    let _ = write!(
        s,
        "{} {} SIP/2.0\r\nVia: SIP/2.0/UDP {};branch={};rport\r\nMax-Forwards: 70\r\nFrom: {}\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: {} {}\r\n",
        r.method, r.uri, r.local, r.branch, r.from, r.to, r.call_id, r.cseq, r.method
    );
    if let Some(user) = r.contact_user {
        let _ = write!(s, "Contact: <sip:{user}@{}>\r\n", r.local);
    }
    s.push_str("User-Agent: voxide-loadgen\r\n");
    s.push_str(extra);
    finish(s, body)
}

/// Renders a response to `req`, copying its Vias, From, To (adding `to_tag`
/// when To has none), Call-ID and CSeq.
pub fn response(
    req: &Msg,
    status: u16,
    to_tag: &str,
    contact: Option<(&str, SocketAddr)>,
    body: Option<&str>,
) -> Vec<u8> {
    let mut s = String::with_capacity(512 + body.map_or(0, str::len));
    let _ = write!(s, "SIP/2.0 {status} {}\r\n", voxide_sip::wire::reason_phrase(status));
    for via in &req.vias {
        let _ = write!(s, "Via: {via}\r\n");
    }
    let _ = write!(s, "From: {}\r\n", req.from);
    if req.to_tag().is_some() || status == 100 {
        let _ = write!(s, "To: {}\r\n", req.to);
    } else {
        let _ = write!(s, "To: {};tag={to_tag}\r\n", req.to);
    }
    let _ = write!(s, "Call-ID: {}\r\nCSeq: {} {}\r\n", req.call_id, req.cseq, req.cseq_method);
    if let Some((user, local)) = contact {
        let _ = write!(s, "Contact: <sip:{user}@{local}>\r\n");
    }
    finish(s, body)
}

fn finish(mut s: String, body: Option<&str>) -> Vec<u8> {
    match body {
        Some(b) => {
            let _ = write!(s, "Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{b}", b.len());
        }
        None => s.push_str("Content-Length: 0\r\n\r\n"),
    }
    s.into_bytes()
}

/// A PCMU-only SDP offer or answer for RTP at `ip:port`.
pub fn sdp(ip: IpAddr, port: u16, session: u64) -> String {
    format!(
        "v=0\r\no=loadgen {session} {session} IN IP4 {ip}\r\ns=voxide-loadgen\r\nc=IN IP4 {ip}\r\nt=0 0\r\nm=audio {port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\na=sendrecv\r\n"
    )
}

/// Where an SDP body wants audio RTP sent: the session or media `c=`
/// address and the first `m=audio` port. `None` when either is missing or
/// the port is 0 (a refused stream).
pub fn sdp_rtp_addr(body: &[u8]) -> Option<SocketAddr> {
    let text = std::str::from_utf8(body).ok()?;
    let (mut ip, mut port) = (None, None);
    for line in text.lines().map(str::trim) {
        if let Some(c) = line.strip_prefix("c=IN IP4 ").or_else(|| line.strip_prefix("c=IN IP6 ")) {
            ip = c.split_whitespace().next().and_then(|a| a.split('/').next()?.parse::<IpAddr>().ok()).or(ip);
        } else if let Some(m) = line.strip_prefix("m=audio ")
            && port.is_none()
        {
            port = m.split_whitespace().next().and_then(|p| p.parse::<u16>().ok());
        }
    }
    let port = port.filter(|p| *p != 0)?;
    Some(SocketAddr::new(ip?, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    const INVITE: &str = "INVITE sip:lg11@127.0.0.1:5070 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKa\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKb\r\nFrom: <sip:lg1@voxide.local>;tag=f1\r\nTo: <sip:lg11@voxide.local>\r\nCall-ID: c1\r\nCSeq: 7 INVITE\r\nContact: <sip:voxide@127.0.0.1:5060>;expires=30\r\nX-Call-UUID: u-1\r\nContent-Type: application/sdp\r\nContent-Length: 60\r\n\r\nv=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 20002 RTP/AVP 0 101\r\na=x:yyyyyyy\r\n";

    #[test]
    fn reads_the_headers_a_user_agent_needs() {
        let m = Msg::parse(INVITE.as_bytes()).expect("parses");
        assert_eq!(m.method(), Some("INVITE"));
        assert_eq!((m.call_id.as_str(), m.cseq, m.cseq_method.as_str()), ("c1", 7, "INVITE"));
        assert_eq!(m.vias.len(), 2);
        assert_eq!(m.contact.as_deref(), Some("sip:voxide@127.0.0.1:5060"));
        assert_eq!(m.expires, Some(30));
        assert_eq!(m.call_uuid.as_deref(), Some("u-1"));
        assert_eq!(m.to_tag(), None);
        assert_eq!(sdp_rtp_addr(&m.body), Some("127.0.0.1:20002".parse().unwrap()));
    }

    #[test]
    fn response_copies_dialog_headers_and_tags_to() {
        let m = Msg::parse(INVITE.as_bytes()).unwrap();
        let local = "127.0.0.1:5070".parse().unwrap();
        let body = sdp("127.0.0.1".parse().unwrap(), 4000, 1);
        let resp = response(&m, 200, "t9", Some(("lg11", local)), Some(&body));
        let r = Msg::parse(&resp).expect("our response parses");
        assert_eq!(r.status(), Some(200));
        assert_eq!(r.vias, m.vias);
        assert_eq!(r.to_tag(), Some("t9"));
        assert_eq!(sdp_rtp_addr(&r.body), Some("127.0.0.1:4000".parse().unwrap()));
    }

    #[test]
    fn garbage_and_refused_streams_are_none() {
        assert!(Msg::parse(b"\x80\x00garbage that is not sip at all").is_none());
        assert!(Msg::parse(b"").is_none());
        assert_eq!(sdp_rtp_addr(b"v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 0 RTP/AVP 0\r\n"), None);
        assert_eq!(sdp_rtp_addr(b"\xff\xfe"), None);
    }
}
