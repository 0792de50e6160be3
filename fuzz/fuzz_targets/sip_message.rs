//! Arbitrary bytes as one datagram: `parse_message` must never panic, and
//! whatever it accepts must go through a server transaction (UDP and TCP
//! timers), an answer and every timer without panicking either.

#![no_main]

use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use rsip::SipMessage;
use voxide_sip::transaction::{Incoming, TimerConfig, TransactionLayer};
use voxide_sip::{ParseError, parse_message, response_to};

fuzz_target!(|data: &[u8]| {
    let msg = match parse_message(data) {
        Ok(msg) => msg,
        Err(ParseError::Malformed(m)) => {
            // The 400 we would send is one whole message.
            let reply = m.reply.expect("a malformed request always has a reply");
            assert!(reply.ends_with(b"\r\n\r\n"));
            return;
        }
        Err(ParseError::Unanswerable(_)) => return,
    };
    let _ = msg.to_string();
    for reliable in [false, true] {
        let mut layer = TransactionLayer::new(TimerConfig::default());
        let now = Instant::now();
        if let (Ok(Incoming::Request { key }), SipMessage::Request(req)) =
            (layer.handle_incoming(now, msg.clone(), reliable), &msg)
        {
            let status = if req.method == rsip::Method::Invite { 486 } else { 200 };
            layer.send_response(now, &key, response_to(req, status, "fuzz")).expect("answering a new transaction");
            // A retransmission of the request is absorbed, not a new one.
            let _ = layer.handle_incoming(now, msg.clone(), reliable);
        }
        while let Some(at) = layer.poll_timeout() {
            layer.handle_timeout(at);
        }
        while let Some(tx) = layer.poll_transmit() {
            let _ = tx.message.to_string();
        }
        while layer.poll_event().is_some() {}
        assert!(layer.is_empty(), "every transaction ends once its timers have fired");
    }
});
