//! RFC 3581 symmetric response routing: the server records where a
//! request really came from in the top Via (`received`, `rport`) and sends
//! responses there, which is what gets answers through NAT.

use std::net::SocketAddr;

use rsip::Request;
use rsip::headers::{self, Header};
use rsip::prelude::*;

/// Stamps `received` (always, so the phone learns its public address; RFC
/// 3261 requires it only when it differs from sent-by) and fills an empty
/// `rport` with the source port.
pub fn stamp_received(req: &mut Request, source: SocketAddr) {
    let Some(top) = req.headers.iter_mut().find_map(|h| match h {
        Header::Via(v) => Some(v),
        _ => None,
    }) else {
        return;
    };
    // A header may carry several Vias separated by commas; only the first is ours to stamp.
    let full = top.value().to_string();
    let (value, rest) = match full.find(',') {
        Some(i) => (&full[..i], &full[i..]),
        None => (full.as_str(), ""),
    };
    let value = value.trim_end();
    let mut out = String::with_capacity(full.len() + 40);
    let mut saw_received = false;
    for (i, part) in value.split(';').enumerate() {
        if i > 0 {
            out.push(';');
        }
        let name = part.split('=').next().unwrap_or("").trim();
        if name.eq_ignore_ascii_case("rport") {
            out.push_str(&format!("rport={}", source.port()));
        } else if name.eq_ignore_ascii_case("received") {
            saw_received = true;
            out.push_str(&format!("received={}", source.ip()));
        } else {
            out.push_str(part);
        }
    }
    if !saw_received {
        out.push_str(&format!(";received={}", source.ip()));
    }
    out.push_str(rest);
    *top = headers::Via::new(out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_rport_is_filled_and_received_added() {
        let mut req = Request::try_from(
            "REGISTER sip:d SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bKa;rport\r\nVia: SIP/2.0/UDP second;branch=z9hG4bKb\r\nFrom: <sip:a@d>;tag=1\r\nTo: <sip:a@d>\r\nCall-ID: x\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n",
        )
        .unwrap();
        stamp_received(&mut req, "203.0.113.7:40123".parse().unwrap());
        let via = req.via_header().unwrap().value().to_string();
        assert_eq!(via, "SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bKa;rport=40123;received=203.0.113.7");
        let typed = req.via_header().unwrap().typed().unwrap();
        assert_eq!(typed.received().unwrap(), Some("203.0.113.7".parse().unwrap()));
    }
}
