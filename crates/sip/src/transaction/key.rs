//! Transaction identity: the matching rules of RFC 3261 §17.1.3 (client)
//! and §17.2.3 (server).

use std::fmt;
use std::hash::{Hash, Hasher};

use rsip::Method;
use rsip::prelude::*;

use super::TransactionError;
use super::message::{TopVia, cseq, top_via};

/// Branch prefix that marks an RFC 3261 compliant, globally unique branch.
pub const MAGIC_COOKIE: &str = "z9hG4bK";

/// Identifies one transaction inside a [`TransactionLayer`](super::TransactionLayer).
///
/// Client and server keys live in separate variants because a proxy or
/// B2BUA holds both kinds at once and a looped request could otherwise
/// carry a branch equal to one of our own client branches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransactionKey {
    /// §17.1.3: a response matches a client transaction by the branch of
    /// its top Via and the CSeq method. Sent-by is not compared because the
    /// top Via is our own and only the branch makes it unique.
    Client { branch: String, method: Method },
    /// §17.2.3: a request matches a server transaction by branch, sent-by
    /// and method, where ACK matches the INVITE it acknowledges. For
    /// requests without the magic cookie (RFC 2543 peers) `branch` holds a
    /// composite of the fields §17.2.3 prescribes for them instead.
    Server { branch: String, sent_by: String, method: Method },
}

impl TransactionKey {
    /// Key of the client transaction that sending `request` creates.
    pub fn for_outgoing_request(request: &rsip::Request) -> Result<Self, TransactionError> {
        let via = top_via(request)?;
        let method = request_method(request)?;
        let branch = via.branch.ok_or(TransactionError::MissingHeader("Via branch"))?;
        Ok(Self::Client { branch, method })
    }

    /// Key of the client transaction an incoming response belongs to.
    pub fn for_incoming_response(response: &rsip::Response) -> Result<Self, TransactionError> {
        let via = top_via(response)?;
        let (_, method) = cseq(response)?;
        let branch = via.branch.ok_or(TransactionError::MissingHeader("Via branch"))?;
        Ok(Self::Client { branch, method })
    }

    /// Key of the server transaction an incoming request belongs to.
    pub fn for_incoming_request(request: &rsip::Request) -> Result<Self, TransactionError> {
        let via = top_via(request)?;
        let method = match request_method(request)? {
            // An ACK for a non-2xx is part of the INVITE transaction.
            Method::Ack => Method::Invite,
            other => other,
        };
        let branch = match via.branch {
            Some(branch) if branch.starts_with(MAGIC_COOKIE) => branch,
            _ => legacy_branch(request, &via)?,
        };
        Ok(Self::Server { branch, sent_by: via.sent_by, method })
    }

    /// For the key of a CANCEL server transaction, the key of the INVITE
    /// server transaction it targets (§9.2: same branch and sent-by).
    pub fn cancelled_invite(&self) -> Option<Self> {
        match self {
            Self::Server { branch, sent_by, method: Method::Cancel } => {
                Some(Self::Server { branch: branch.clone(), sent_by: sent_by.clone(), method: Method::Invite })
            }
            _ => None,
        }
    }

    pub fn is_client(&self) -> bool {
        matches!(self, Self::Client { .. })
    }

    pub fn is_server(&self) -> bool {
        matches!(self, Self::Server { .. })
    }

    pub fn branch(&self) -> &str {
        match self {
            Self::Client { branch, .. } | Self::Server { branch, .. } => branch,
        }
    }

    pub fn method(&self) -> Method {
        match self {
            Self::Client { method, .. } | Self::Server { method, .. } => *method,
        }
    }
}

// rsip's Method has no Hash impl; its discriminant identifies it fully
// because Method is a plain field-less enum.
impl Hash for TransactionKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        std::mem::discriminant(self).hash(state);
        match self {
            Self::Client { branch, method } => {
                branch.hash(state);
                std::mem::discriminant(method).hash(state);
            }
            Self::Server { branch, sent_by, method } => {
                branch.hash(state);
                sent_by.hash(state);
                std::mem::discriminant(method).hash(state);
            }
        }
    }
}

impl fmt::Display for TransactionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Client { branch, method } => write!(f, "client {method} {branch}"),
            Self::Server { branch, sent_by, method } => write!(f, "server {method} {branch} from {sent_by}"),
        }
    }
}

/// The method as the CSeq states it, after checking the request line agrees:
/// a disagreement would let one message match two transactions.
fn request_method(request: &rsip::Request) -> Result<Method, TransactionError> {
    let (_, cseq_method) = cseq(request)?;
    if cseq_method != request.method {
        return Err(TransactionError::MethodMismatch { request: request.method, cseq: cseq_method });
    }
    Ok(request.method)
}

/// RFC 2543 matching (§17.2.3): Request-URI, From tag, Call-ID, CSeq number
/// and top Via. The To tag is left out on purpose: the ACK for a non-2xx
/// carries the tag of our response, which the INVITE lacked, and the
/// method is left out so CANCEL and ACK can find their INVITE.
fn legacy_branch(request: &rsip::Request, via: &TopVia) -> Result<String, TransactionError> {
    let call_id = request.call_id_header().map_err(|_| TransactionError::MissingHeader("Call-ID"))?;
    // Read leniently: rsip's typed From refuses legal whitespace
    // (`<sip:a@b> ; tag = 1`), which old RFC 2543 peers are the likeliest
    // to send.
    let from = request.from_header().map_err(|_| TransactionError::MissingHeader("From"))?;
    let from_tag = crate::values::header_param(from.value(), "tag").unwrap_or_default();
    let (seq, _) = cseq(request)?;
    Ok(format!("rfc2543;{};{};{};{};{}", request.uri, from_tag, call_id.value(), seq, via.raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(text: &str) -> rsip::Request {
        match rsip::SipMessage::try_from(text) {
            Ok(rsip::SipMessage::Request(request)) => request,
            other => panic!("test request did not parse: {other:?}"),
        }
    }

    const INVITE: &str = "INVITE sip:bob@example.com SIP/2.0\r\n\
        Via: SIP/2.0/UDP PC33.Example.com:5060;branch=z9hG4bKabc\r\n\
        From: <sip:alice@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\n\
        Call-ID: c1\r\nCSeq: 7 INVITE\r\nContent-Length: 0\r\n\r\n";

    #[test]
    fn ack_and_cancel_map_onto_invite_for_server_matching() {
        let invite = TransactionKey::for_incoming_request(&request(INVITE)).expect("key");
        let ack = request(&INVITE.replace("INVITE", "ACK"));
        let ack_key = TransactionKey::for_incoming_request(&ack).expect("key");
        assert_eq!(invite, ack_key);

        let cancel = request(&INVITE.replace("INVITE", "CANCEL"));
        let cancel_key = TransactionKey::for_incoming_request(&cancel).expect("key");
        assert_ne!(invite, cancel_key);
        assert_eq!(cancel_key.cancelled_invite(), Some(invite));
    }

    #[test]
    fn sent_by_host_is_case_insensitive() {
        let key = TransactionKey::for_incoming_request(&request(INVITE)).expect("key");
        let lower = request(&INVITE.replace("PC33.Example.com", "pc33.example.com"));
        assert_eq!(key, TransactionKey::for_incoming_request(&lower).expect("key"));
    }

    #[test]
    fn requests_without_magic_cookie_use_rfc2543_matching() {
        let old = INVITE.replace(";branch=z9hG4bKabc", "");
        let key = TransactionKey::for_incoming_request(&request(&old)).expect("key");
        assert!(key.branch().starts_with("rfc2543;"));
        let ack = request(
            &old.replace("INVITE", "ACK").replace("To: <sip:bob@example.com>", "To: <sip:bob@example.com>;tag=xyz"),
        );
        assert_eq!(key, TransactionKey::for_incoming_request(&ack).expect("key"));
    }

    #[test]
    fn mismatched_cseq_method_is_rejected() {
        let bad = request(&INVITE.replace("CSeq: 7 INVITE", "CSeq: 7 BYE"));
        assert!(matches!(TransactionKey::for_incoming_request(&bad), Err(TransactionError::MethodMismatch { .. })));
    }
}
