//! Responses built from requests (RFC 3261 §8.2.6): Via, From, To (with a
//! To-tag on everything but 100), Call-ID and CSeq are copied; the switch's
//! `Server`, `Allow` and `Supported` are added.

use rsip::headers::{self, Header};
use rsip::prelude::*;
use rsip::{Request, Response, StatusCode};

/// Methods the switch understands.
pub const ALLOW: &str = "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, INFO, UPDATE, REFER, NOTIFY, MESSAGE";
/// Extensions it supports.
pub const SUPPORTED: &str = "path, replaces, timer";
const SERVER: &str = concat!("voxide/", env!("CARGO_PKG_VERSION"));

/// A response to `req`; `to_tag` is added to To when it has none.
pub fn response_to(req: &Request, status: u16, to_tag: &str) -> Response {
    let mut out = headers::Headers::default();
    for h in req.headers.iter() {
        match h {
            Header::Via(_) | Header::From(_) | Header::CallId(_) | Header::CSeq(_) | Header::RecordRoute(_) => {
                out.push(h.clone())
            }
            Header::To(to) => {
                let tagged = status > 100 && !to.value().contains(";tag=");
                if tagged {
                    out.push(Header::To(headers::To::new(format!("{};tag={to_tag}", to.value()))));
                } else {
                    out.push(h.clone());
                }
            }
            _ => {}
        }
    }
    out.push(Header::Server(headers::Server::new(SERVER)));
    if status == 405 || (req.method == rsip::Method::Options && status < 300) {
        out.push(Header::Allow(headers::Allow::new(ALLOW)));
    }
    if req.method == rsip::Method::Options && status < 300 {
        out.push(Header::Supported(headers::Supported::new(SUPPORTED)));
        out.push(Header::Accept(headers::Accept::new("application/sdp")));
    }
    out.push(Header::ContentLength(headers::ContentLength::from(0u32)));
    Response { status_code: StatusCode::from(status), version: rsip::Version::V2, headers: out, body: Vec::new() }
}

/// Adds a header (before Content-Length, which stays last).
pub fn add_header(resp: &mut Response, header: Header) {
    let at = resp.headers.iter().position(|h| matches!(h, Header::ContentLength(_)));
    match at {
        Some(i) => {
            let mut all: Vec<Header> = resp.headers.iter().cloned().collect();
            all.insert(i, header);
            resp.headers = all.into();
        }
        None => resp.headers.push(header),
    }
}

/// Sets a body and its Content-Type/Content-Length.
pub fn set_body(resp: &mut Response, content_type: &str, body: Vec<u8>) {
    resp.headers.retain(|h| !matches!(h, Header::ContentLength(_) | Header::ContentType(_)));
    resp.headers.push(Header::ContentType(headers::ContentType::new(content_type)));
    resp.headers.push(Header::ContentLength(headers::ContentLength::from(body.len() as u32)));
    resp.body = body;
}

/// A random tag or branch suffix: 16 hex characters.
pub fn random_token() -> String {
    format!("{:016x}", rand::random::<u64>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_response_copies_dialog_headers_and_lists_methods() {
        let req = Request::try_from(
            "OPTIONS sip:voxide.local SIP/2.0\r\nVia: SIP/2.0/UDP h:5060;branch=z9hG4bKx\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:voxide.local>\r\nCall-ID: abc\r\nCSeq: 7 OPTIONS\r\nContent-Length: 0\r\n\r\n",
        )
        .unwrap();
        let resp = response_to(&req, 200, "t1").to_string();
        assert!(resp.starts_with("SIP/2.0 200 OK\r\n"));
        assert!(resp.contains("To: <sip:voxide.local>;tag=t1\r\n"));
        assert!(resp.contains("Call-ID: abc\r\n") && resp.contains("CSeq: 7 OPTIONS\r\n"));
        assert!(resp.contains(&format!("Allow: {ALLOW}\r\n")));
        assert!(resp.ends_with("Content-Length: 0\r\n\r\n"));
    }
}
