//! Messages as bytes on the wire. rsip's `Display` writes reason phrases
//! without spaces (`480 TemporarilyUnavailable`) and passes bodies through
//! a lossy UTF-8 conversion; this writes the RFC 3261 reason phrases and the
//! body bytes as they are.

use rsip::SipMessage;

/// The standard reason phrase for a status code (RFC 3261 §21 and the
/// extensions a switch answers with).
pub fn reason_phrase(code: u16) -> &'static str {
    match code {
        100 => "Trying",
        180 => "Ringing",
        181 => "Call Is Being Forwarded",
        182 => "Queued",
        183 => "Session Progress",
        200 => "OK",
        202 => "Accepted",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Moved Temporarily",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        410 => "Gone",
        413 => "Request Entity Too Large",
        414 => "Request-URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Unsupported URI Scheme",
        420 => "Bad Extension",
        421 => "Extension Required",
        422 => "Session Interval Too Small",
        423 => "Interval Too Brief",
        480 => "Temporarily Unavailable",
        481 => "Call/Transaction Does Not Exist",
        482 => "Loop Detected",
        483 => "Too Many Hops",
        484 => "Address Incomplete",
        485 => "Ambiguous",
        486 => "Busy Here",
        487 => "Request Terminated",
        488 => "Not Acceptable Here",
        489 => "Bad Event",
        491 => "Request Pending",
        493 => "Undecipherable",
        500 => "Server Internal Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Server Time-out",
        505 => "Version Not Supported",
        513 => "Message Too Large",
        600 => "Busy Everywhere",
        603 => "Decline",
        604 => "Does Not Exist Anywhere",
        606 => "Not Acceptable",
        _ => match code / 100 {
            1 => "Session Progress",
            2 => "OK",
            3 => "Redirection",
            4 => "Request Failure",
            5 => "Server Failure",
            _ => "Global Failure",
        },
    }
}

/// Serialises a message for sending.
pub fn to_wire(msg: &SipMessage) -> Vec<u8> {
    let (head, body) = match msg {
        SipMessage::Request(r) => (format!("{} {} {}\r\n{}\r\n", r.method, r.uri, r.version, r.headers), &r.body),
        SipMessage::Response(r) => {
            let code = u16::from(r.status_code.clone());
            (format!("SIP/2.0 {code} {}\r\n{}\r\n", reason_phrase(code), r.headers), &r.body)
        }
    };
    let mut out = Vec::with_capacity(head.len() + body.len());
    out.extend_from_slice(head.as_bytes());
    out.extend_from_slice(body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_phrases_have_their_spaces_and_bodies_their_bytes() {
        let mut resp = rsip::Response::try_from(
            "SIP/2.0 480 Temporarily Unavailable\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKa\r\nCall-ID: x\r\nContent-Length: 2\r\n\r\nhi",
        )
        .unwrap();
        resp.body = vec![0xff, 0x00];
        let wire = to_wire(&resp.into());
        assert!(wire.starts_with(b"SIP/2.0 480 Temporarily Unavailable\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKa\r\n"));
        assert!(wire.ends_with(b"\r\n\r\n\xff\x00"));
        let req =
            rsip::Request::try_from("OPTIONS sip:a@b SIP/2.0\r\nCall-ID: y\r\nContent-Length: 0\r\n\r\n").unwrap();
        assert_eq!(to_wire(&req.clone().into()), req.to_string().into_bytes());
    }
}
