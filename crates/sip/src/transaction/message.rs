//! Message inspection and construction the transaction layer needs on its
//! own: reading the top Via and CSeq, and building the 100 Trying and the
//! ACK for non-2xx responses that transactions generate without the TU.

use rsip::prelude::*;
use rsip::{Header, Method, headers};

use super::TransactionError;
use super::key::MAGIC_COOKIE;

/// The first value of the first Via header, parsed.
#[derive(Debug, Clone)]
pub(crate) struct TopVia {
    /// The value as received, so the ACK can repeat it byte for byte.
    pub raw: String,
    pub branch: Option<String>,
    /// Host (lower-cased, hosts are case-insensitive) and optional port.
    pub sent_by: String,
}

/// Reads the topmost Via value. One Via header line may carry several
/// comma-separated values; only the first is the top one.
pub(crate) fn top_via<M: HeadersExt>(message: &M) -> Result<TopVia, TransactionError> {
    let via = message.via_header().map_err(|_| TransactionError::MissingHeader("Via"))?;
    let raw = first_value(via.value()).to_string();
    // Read leniently: rsip's typed Via cannot parse an IPv6 sent-by.
    let parts = crate::values::via_parts(&raw).ok_or_else(|| TransactionError::InvalidHeader {
        header: "Via",
        source: rsip::Error::ParseError(format!("not a Via value: {raw}")),
    })?;
    Ok(TopVia {
        branch: parts.branch.filter(|b| !b.is_empty()).map(str::to_string),
        sent_by: parts.sent_by.to_ascii_lowercase(),
        raw,
    })
}

/// Reads the CSeq number and method.
pub(crate) fn cseq<M: HeadersExt>(message: &M) -> Result<(u32, Method), TransactionError> {
    let cseq = message
        .cseq_header()
        .map_err(|_| TransactionError::MissingHeader("CSeq"))?
        .typed()
        .map_err(|source| TransactionError::InvalidHeader { header: "CSeq", source })?;
    Ok((cseq.seq, cseq.method))
}

fn first_value(value: &str) -> &str {
    value.split(',').next().unwrap_or(value).trim()
}

/// Gives the top Via a fresh magic-cookie branch when the TU left it out,
/// so every client transaction has a unique identity (§8.1.1.7).
pub(crate) fn ensure_branch(request: &mut rsip::Request) -> Result<(), TransactionError> {
    if top_via(request)?.branch.is_some() {
        return Ok(());
    }
    let via = request.via_header_mut().map_err(|_| TransactionError::MissingHeader("Via"))?;
    let value = via.value().to_string();
    let split = value.find(',').unwrap_or(value.len());
    let (first, rest) = value.split_at(split);
    let branch = format!("{MAGIC_COOKIE}{:016x}{:016x}", rand::random::<u64>(), rand::random::<u64>());
    via.replace(format!("{};branch={branch}{rest}", first.trim_end()));
    Ok(())
}

/// The status code as a number, rejecting values that are no SIP response.
pub(crate) fn status_of(response: &rsip::Response) -> Result<u16, TransactionError> {
    let code = response.status_code.code();
    if (100..=699).contains(&code) { Ok(code) } else { Err(TransactionError::InvalidStatus(code)) }
}

/// Builds the 100 Trying an INVITE server transaction sends when the TU is
/// slow (§17.2.1), following §8.2.6: Via, From, To, Call-ID, CSeq and
/// Timestamp are copied; no To tag is added because 100 never creates a
/// dialog.
pub(crate) fn trying_for(request: &rsip::Request) -> rsip::Response {
    let mut response_headers = rsip::Headers::default();
    for header in request.headers.iter() {
        match header {
            Header::Via(_)
            | Header::From(_)
            | Header::To(_)
            | Header::CallId(_)
            | Header::CSeq(_)
            | Header::Timestamp(_) => response_headers.push(header.clone()),
            _ => {}
        }
    }
    response_headers.push(headers::ContentLength::from(0u32).into());
    rsip::Response {
        status_code: rsip::StatusCode::Trying,
        version: rsip::Version::V2,
        headers: response_headers,
        body: Vec::new(),
    }
}

/// Builds the ACK for a non-2xx final response (§17.1.1.3): same
/// Request-URI, Call-ID, From, CSeq number and Route set as the INVITE, a
/// single Via equal to the INVITE's top Via, and the To of the response so
/// the tag matches the one the server chose.
pub(crate) fn ack_for(invite: &rsip::Request, response: &rsip::Response) -> Result<rsip::Request, TransactionError> {
    let via = top_via(invite)?;
    let (seq, _) = cseq(invite)?;
    let mut ack_headers = rsip::Headers::default();
    ack_headers.push(headers::Via::new(via.raw).into());
    for header in invite.headers.iter() {
        match header {
            Header::MaxForwards(_) | Header::Route(_) | Header::From(_) | Header::CallId(_) => {
                ack_headers.push(header.clone())
            }
            _ => {}
        }
    }
    let to = response.to_header().map_err(|_| TransactionError::MissingHeader("To"))?;
    ack_headers.push(to.clone().into());
    let cseq: headers::CSeq = rsip::typed::CSeq { seq, method: Method::Ack }.into();
    ack_headers.push(cseq.into());
    ack_headers.push(headers::ContentLength::from(0u32).into());
    Ok(rsip::Request {
        method: Method::Ack,
        uri: invite.uri.clone(),
        version: rsip::Version::V2,
        headers: ack_headers,
        body: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const INVITE: &str = "INVITE sip:bob@example.com SIP/2.0\r\n\
        Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1, SIP/2.0/UDP b.example.com;branch=z9hG4bK2\r\n\
        Max-Forwards: 70\r\nRoute: <sip:proxy.example.com;lr>\r\n\
        From: <sip:alice@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\n\
        Call-ID: c1\r\nCSeq: 7 INVITE\r\nContact: <sip:alice@a.example.com>\r\n\
        Content-Length: 0\r\n\r\n";

    fn invite() -> rsip::Request {
        rsip::Request::try_from(INVITE).expect("test INVITE parses")
    }

    #[test]
    fn ack_copies_top_via_route_and_response_to() {
        let response = rsip::Response::try_from(
            "SIP/2.0 486 Busy Here\r\nVia: SIP/2.0/UDP a.example.com;branch=z9hG4bK1\r\n\
             From: <sip:alice@example.com>;tag=1\r\nTo: <sip:bob@example.com>;tag=b\r\n\
             Call-ID: c1\r\nCSeq: 7 INVITE\r\nContent-Length: 0\r\n\r\n",
        )
        .expect("test response parses");
        let ack = ack_for(&invite(), &response).expect("ack");
        let text = ack.to_string();
        assert!(text.starts_with("ACK sip:bob@example.com SIP/2.0\r\n"));
        assert!(text.contains("Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1\r\n"));
        assert!(!text.contains("b.example.com"));
        assert!(text.contains("Route: <sip:proxy.example.com;lr>"));
        assert!(text.contains("To: <sip:bob@example.com>;tag=b"));
        assert!(text.contains("CSeq: 7 ACK"));
        assert!(!text.contains("Contact"));
    }

    #[test]
    fn trying_copies_all_vias() {
        let trying = trying_for(&invite()).to_string();
        assert!(trying.starts_with("SIP/2.0 100 Trying"));
        assert!(trying.contains("b.example.com"));
        assert!(trying.contains("CSeq: 7 INVITE"));
        assert!(!trying.contains("Route"));
    }

    #[test]
    fn missing_branch_is_generated_on_the_first_via_value() {
        let mut request = rsip::Request::try_from(INVITE.replace(";branch=z9hG4bK1", "")).expect("test INVITE parses");
        ensure_branch(&mut request).expect("branch added");
        let via = top_via(&request).expect("via");
        assert!(via.branch.is_some_and(|b| b.starts_with(MAGIC_COOKIE)));
        assert!(request.to_string().contains(", SIP/2.0/UDP b.example.com"));
    }
}
