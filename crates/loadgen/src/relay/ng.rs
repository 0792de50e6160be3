//! rtpengine's NG control protocol, the messages a relay test needs.
//!
//! A message is one UDP datagram: a cookie, a space and a bencoded
//! dictionary (`<cookie> d7:command5:offer…e`). The reply carries the same
//! cookie, so it finds its request; rtpengine keeps recent replies by
//! cookie and answers a retransmission with the stored reply instead of
//! running the command twice. That makes resending on a timeout safe.
//!
//! `offer` carries the caller's SDP and returns the SDP to hand the callee,
//! with the relay's port for the callee's side; `answer` carries the
//! callee's SDP and returns the caller's, with the relay's port for the
//! caller's side; `delete` ends the call.

use thiserror::Error;

use crate::bencode::{self, BencodeError, Value};

/// Why a datagram is not an NG reply we can use.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NgError {
    /// No space separating a cookie from the body.
    #[error("no cookie")]
    NoCookie,
    #[error("body is not bencoded: {0}")]
    Bencode(#[from] BencodeError),
    /// The body is bencoded but not a dictionary.
    #[error("body is not a dictionary")]
    NotADict,
    /// The dictionary has no `result` string.
    #[error("no result in the reply")]
    NoResult,
}

/// What a reply says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `result` `ok`, with the rewritten SDP when the command returns one.
    Ok { sdp: Option<Vec<u8>> },
    /// `result` `error` and its `error-reason`.
    Error(String),
    /// Any other result (`pong`, `load limit`, …).
    Other(String),
}

/// A reply to one of our requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub cookie: String,
    pub outcome: Outcome,
}

/// One call's leg tags: `from` is the caller's, `to` the callee's.
#[derive(Debug, Clone, Copy)]
pub struct Tags<'a> {
    pub call_id: &'a str,
    pub from: &'a str,
    pub to: &'a str,
}

/// The caller's SDP, to allocate the call.
pub fn offer(cookie: &str, tags: Tags<'_>, sdp: &str) -> Vec<u8> {
    let body = Value::dict([
        ("command", "offer".into()),
        ("call-id", tags.call_id.into()),
        ("from-tag", tags.from.into()),
        ("sdp", sdp.into()),
    ]);
    message(cookie, &body)
}

/// The callee's SDP, to complete the call.
pub fn answer(cookie: &str, tags: Tags<'_>, sdp: &str) -> Vec<u8> {
    let body = Value::dict([
        ("command", "answer".into()),
        ("call-id", tags.call_id.into()),
        ("from-tag", tags.from.into()),
        ("to-tag", tags.to.into()),
        ("sdp", sdp.into()),
    ]);
    message(cookie, &body)
}

/// Ends the call and frees its ports.
pub fn delete(cookie: &str, tags: Tags<'_>) -> Vec<u8> {
    let body =
        Value::dict([("command", "delete".into()), ("call-id", tags.call_id.into()), ("from-tag", tags.from.into())]);
    message(cookie, &body)
}

fn message(cookie: &str, body: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(cookie.len() + 400);
    out.extend_from_slice(cookie.as_bytes());
    out.push(b' ');
    body.encode_into(&mut out);
    out
}

/// Reads a reply datagram.
pub fn parse_reply(datagram: &[u8]) -> Result<Reply, NgError> {
    let space = datagram.iter().position(|&b| b == b' ').ok_or(NgError::NoCookie)?;
    let cookie = std::str::from_utf8(&datagram[..space]).map_err(|_| NgError::NoCookie)?;
    if cookie.is_empty() {
        return Err(NgError::NoCookie);
    }
    let body = bencode::decode(&datagram[space + 1..])?;
    if !matches!(body, Value::Dict(_)) {
        return Err(NgError::NotADict);
    }
    let result = body.get("result").and_then(Value::as_str).ok_or(NgError::NoResult)?;
    let outcome = match result {
        "ok" => Outcome::Ok { sdp: body.get("sdp").and_then(Value::as_bytes).map(<[u8]>::to_vec) },
        "error" => {
            let reason = body.get("error-reason").and_then(Value::as_str).unwrap_or("no reason given");
            Outcome::Error(reason.to_owned())
        }
        other => Outcome::Other(other.to_owned()),
    };
    Ok(Reply { cookie: cookie.to_owned(), outcome })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sipmsg;

    const TAGS: Tags<'static> = Tags { call_id: "lg-1", from: "a1", to: "b1" };

    #[test]
    fn requests_are_a_cookie_and_a_sorted_dictionary() {
        let sdp = "v=0\r\nm=audio 4000 RTP/AVP 0\r\n";
        let offer = offer("k.1.o", TAGS, sdp);
        let want = format!("k.1.o d7:call-id4:lg-17:command5:offer8:from-tag2:a13:sdp{}:{sdp}e", sdp.len());
        assert_eq!(String::from_utf8(offer).unwrap(), want);
        let answer = String::from_utf8(answer("k.1.a", TAGS, sdp)).unwrap();
        assert!(answer.starts_with("k.1.a d7:call-id4:lg-17:command6:answer8:from-tag2:a13:sdp"), "{answer}");
        assert!(answer.ends_with(&format!("{sdp}6:to-tag2:b1e")), "{answer}");
        assert_eq!(delete("k.1.d", TAGS), b"k.1.d d7:call-id4:lg-17:command6:delete8:from-tag2:a1e");
    }

    #[test]
    fn an_offer_reply_gives_the_relay_port_for_the_other_side() {
        // As rtpengine 10.5 answers an offer: keys unsorted, SDP rewritten.
        let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 10000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\na=rtcp:10001\r\n";
        let datagram = format!("k.1.o d3:sdp{}:{sdp}6:result2:oke", sdp.len());
        let reply = parse_reply(datagram.as_bytes()).unwrap();
        assert_eq!(reply.cookie, "k.1.o");
        let Outcome::Ok { sdp: Some(body) } = reply.outcome else { panic!("{reply:?}") };
        assert_eq!(sipmsg::sdp_rtp_addr(&body), Some("127.0.0.1:10000".parse().unwrap()));
    }

    #[test]
    fn errors_and_other_results_are_told_apart() {
        let err = parse_reply(b"c1 d6:result5:error12:error-reason20:Unrecognized commande").unwrap();
        assert_eq!(err.outcome, Outcome::Error("Unrecognized command".into()));
        let bare = parse_reply(b"c2 d6:result5:errore").unwrap();
        assert_eq!(bare.outcome, Outcome::Error("no reason given".into()));
        let pong = parse_reply(b"c3 d6:result4:ponge").unwrap();
        assert_eq!(pong.outcome, Outcome::Other("pong".into()));
        let deleted = parse_reply(b"c4 d7:createdi1795396106e6:result2:oke").unwrap();
        assert_eq!(deleted.outcome, Outcome::Ok { sdp: None });
    }

    #[test]
    fn unusable_datagrams_are_refused() {
        assert_eq!(parse_reply(b"d6:result2:oke"), Err(NgError::NoCookie));
        assert_eq!(parse_reply(b" d6:result2:oke"), Err(NgError::NoCookie));
        assert_eq!(parse_reply(b"\xff\xfe d6:result2:oke"), Err(NgError::NoCookie));
        assert_eq!(parse_reply(b"c1 l2:oke"), Err(NgError::NotADict));
        assert_eq!(parse_reply(b"c1 d3:sdp1:xe"), Err(NgError::NoResult));
        assert_eq!(parse_reply(b"c1 d6:resulti1ee"), Err(NgError::NoResult));
        assert!(matches!(parse_reply(b"c1 d6:result2:ok"), Err(NgError::Bencode(BencodeError::UnexpectedEnd))));
    }
}
