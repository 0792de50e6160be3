//! Layer-level behaviour that needs no simulated network: matching,
//! stray messages, refusals and transport errors.

use std::time::Instant;

use super::*;

const INVITE: &str = "INVITE sip:bob@example.com SIP/2.0\r\n\
    Via: SIP/2.0/UDP client.example.com;branch=z9hG4bKt1\r\n\
    Max-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=a\r\n\
    To: <sip:bob@example.com>\r\nCall-ID: t1\r\nCSeq: 1 INVITE\r\n\
    Content-Length: 0\r\n\r\n";

fn message(text: &str) -> rsip::SipMessage {
    rsip::SipMessage::try_from(text).expect("test message parses")
}

fn request(text: &str) -> rsip::Request {
    rsip::Request::try_from(text).expect("test request parses")
}

fn response(code: u16) -> rsip::Response {
    let text = format!(
        "SIP/2.0 {code} Test\r\nVia: SIP/2.0/UDP client.example.com;branch=z9hG4bKt1\r\n\
         From: <sip:alice@example.com>;tag=a\r\nTo: <sip:bob@example.com>;tag=b\r\n\
         Call-ID: t1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
    );
    rsip::Response::try_from(text).expect("test response parses")
}

fn server_with_invite(now: Instant) -> (TransactionLayer, TransactionKey) {
    let mut layer = TransactionLayer::default();
    let incoming = layer.handle_incoming(now, message(INVITE), false);
    let Ok(Incoming::Request { key }) = incoming else {
        panic!("INVITE should create a server transaction: {incoming:?}");
    };
    assert!(matches!(layer.poll_event(), Some(TransactionEvent::Request { .. })));
    (layer, key)
}

#[test]
fn ack_for_2xx_reusing_the_invite_branch_is_passed_to_tu_while_accepted() {
    let now = Instant::now();
    let (mut layer, key) = server_with_invite(now);
    layer.send_response(now, &key, response(200)).expect("200 accepted");
    assert_eq!(layer.state(&key), Some(TransactionState::Accepted));
    let ack = INVITE.replace("INVITE sip", "ACK sip").replace("1 INVITE", "1 ACK");
    let incoming = layer.handle_incoming(now, message(&ack), false);
    assert_eq!(incoming, Ok(Incoming::Ack { key: key.clone() }));
    assert!(matches!(layer.poll_event(), Some(TransactionEvent::Ack { .. })));

    // A retransmitted INVITE is swallowed without a new 200.
    while layer.poll_transmit().is_some() {}
    let again = layer.handle_incoming(now, message(INVITE), false);
    assert_eq!(again, Ok(Incoming::Absorbed { key }));
    assert!(layer.poll_transmit().is_none());
}

#[test]
fn cancel_is_its_own_transaction_and_names_its_invite() {
    let now = Instant::now();
    let (mut layer, invite_key) = server_with_invite(now);
    let cancel = INVITE.replace("INVITE sip", "CANCEL sip").replace("1 INVITE", "1 CANCEL");
    let incoming = layer.handle_incoming(now, message(&cancel), false);
    let Ok(Incoming::Request { key }) = incoming else {
        panic!("CANCEL should create its own transaction: {incoming:?}");
    };
    assert_ne!(key, invite_key);
    assert_eq!(key.cancelled_invite(), Some(invite_key));
    assert_eq!(layer.len(), 2);
}

#[test]
fn unmatched_response_and_ack_are_handed_back_as_stray() {
    let now = Instant::now();
    let mut layer = TransactionLayer::default();
    let response = rsip::SipMessage::from(response(200));
    assert_eq!(layer.handle_incoming(now, response.clone(), false), Ok(Incoming::Stray(response)));
    let ack = message(&INVITE.replace("INVITE", "ACK"));
    assert_eq!(layer.handle_incoming(now, ack.clone(), false), Ok(Incoming::Stray(ack)));
    assert!(layer.is_empty());
}

#[test]
fn malformed_messages_are_refused_without_creating_state() {
    let now = Instant::now();
    let mut layer = TransactionLayer::default();
    let no_via = INVITE.replace("Via: SIP/2.0/UDP client.example.com;branch=z9hG4bKt1\r\n", "");
    assert_eq!(layer.handle_incoming(now, message(&no_via), false), Err(TransactionError::MissingHeader("Via")));
    let bad_cseq = INVITE.replace("CSeq: 1 INVITE", "CSeq: one INVITE");
    assert!(matches!(
        layer.handle_incoming(now, message(&bad_cseq), false),
        Err(TransactionError::InvalidHeader { header: "CSeq", .. })
    ));
    let mut bad_status = response(200);
    bad_status.status_code = 99.into();
    assert_eq!(layer.handle_incoming(now, bad_status.into(), false), Err(TransactionError::InvalidStatus(99)));
    assert!(layer.is_empty());
}

#[test]
fn client_refuses_ack_and_duplicate_requests() {
    let now = Instant::now();
    let mut layer = TransactionLayer::default();
    let ack = request(&INVITE.replace("INVITE", "ACK"));
    assert_eq!(layer.send_request(now, ack, false), Err(TransactionError::AckIsNotATransaction));
    let key = layer.send_request(now, request(INVITE), false).expect("first INVITE");
    assert_eq!(
        layer.send_request(now, request(INVITE), false),
        Err(TransactionError::DuplicateTransaction(key.clone()))
    );
    assert_eq!(layer.send_response(now, &key, response(200)), Err(TransactionError::NotAServerTransaction(key)));
}

#[test]
fn missing_branch_is_generated_for_outgoing_requests() {
    let now = Instant::now();
    let mut layer = TransactionLayer::default();
    let bare = request(&INVITE.replace(";branch=z9hG4bKt1", ""));
    let key = layer.send_request(now, bare, false).expect("INVITE sent");
    assert!(key.branch().starts_with(MAGIC_COOKIE));
    let sent = layer.poll_transmit().expect("INVITE queued");
    assert!(sent.message.to_string().contains(key.branch()));
}

#[test]
fn transport_error_ends_a_client_transaction_and_informs_tu() {
    let now = Instant::now();
    let mut layer = TransactionLayer::default();
    let key = layer.send_request(now, request(INVITE), false).expect("INVITE sent");
    layer.handle_transport_error(&key).expect("known key");
    assert_eq!(layer.poll_event(), Some(TransactionEvent::TransportError { key: key.clone() }));
    assert_eq!(layer.poll_event(), Some(TransactionEvent::Terminated { key: key.clone() }));
    assert!(layer.is_empty());
    assert_eq!(layer.poll_timeout(), None);
    assert_eq!(layer.handle_transport_error(&key), Err(TransactionError::UnknownTransaction(key)));
}
