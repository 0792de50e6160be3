//! A trunk that challenges our INVITE (RFC 3261 §22.2): answered once with
//! the trunk's credentials, and the CSeq of the new INVITE carried on.

use super::*;

const TRUNK: &str = "203.0.113.5:5060";
const TRUNK_URI: &str = "sip:13055550199@203.0.113.5:5060";
const CHALLENGE: &str = "Digest realm=\"carrier.example\", nonce=\"6a1b2c3d4e5f\", algorithm=MD5, qop=\"auth\"";

fn trunk_call() -> Ringing {
    start_call(vec![Target {
        uri: TRUNK_URI.into(),
        to: format!("<{TRUNK_URI}>"),
        flow: udp(TRUNK),
        credentials: Some(("trunkuser".into(), "s3cret".into())),
    }])
}

/// Sends `status` with a challenge for `invite`; returns the INVITE sent again.
fn challenge(sw: &mut Switch, invite: &Request, status: u16) -> (Out, Option<Request>) {
    let name = if status == 407 { "Proxy-Authenticate" } else { "WWW-Authenticate" };
    let out = sw.response(reply_with(invite, status, "trunk", None, &[(name, CHALLENGE)], None), invite);
    let again = out.requests("INVITE").into_iter().map(|(flow, r)| {
        assert_eq!(flow, udp(TRUNK));
        r
    });
    let again: Vec<Request> = again.collect();
    assert!(again.len() <= 1);
    (out, again.into_iter().next())
}

#[test]
fn a_trunk_challenge_is_answered_once_with_the_trunks_credentials() {
    let Ringing { mut sw, key, forks, .. } = trunk_call();
    let first = &forks[0].1;
    let (out, again) = challenge(&mut sw, first, 407);
    let again = again.expect("the INVITE is sent again with credentials");
    assert!(out.responses(&key).is_empty() && out.ended().is_empty(), "A hears nothing of the challenge");

    let (text, first_text) = (again.to_string(), first.to_string());
    let auth = header(&text, "Proxy-Authorization").expect("credentials for a proxy challenge");
    assert!(auth.starts_with("Digest "), "{auth}");
    for part in ["username=\"trunkuser\"", "realm=\"carrier.example\"", "nonce=\"6a1b2c3d4e5f\"", TRUNK_URI] {
        assert!(auth.contains(part), "{part} missing from {auth}");
    }
    assert!(!auth.contains("s3cret"), "the password never goes on the wire");
    assert_ne!(client_key(&again).branch(), client_key(first).branch(), "a new transaction");
    assert_eq!(cseq_of(&text), (2, "INVITE".into()));
    assert_eq!(again.uri, first.uri);
    for name in ["Call-ID", "From", "To", "X-Call-UUID"] {
        assert_eq!(header(&text, name), header(&first_text, name), "{name}");
    }
    assert_eq!(again.body, first.body);

    // A second challenge is not answered again: the call fails.
    let (out, resent) = challenge(&mut sw, &again, 407);
    assert!(resent.is_none());
    let failure = out.response(&key);
    assert!(crate::build::status(&failure) >= 400);
    assert_eq!(out.ended().len(), 1);
}

#[test]
fn the_authenticated_invites_cseq_carries_into_its_ack_and_bye() {
    let Ringing { mut sw, invite, key, forks, .. } = trunk_call();
    let (_, again) = challenge(&mut sw, &forks[0].1, 401);
    let again = again.expect("INVITE sent again");
    assert!(header(&again.to_string(), "Authorization").is_some());

    let out = sw.response(reply(&again, 180, "trunk", None, None), &again);
    assert_eq!(out.statuses(&key), [180]);
    let ok = reply(&again, 200, "trunk", Some(TRUNK_URI), Some(&sdp("203.0.113.9", 16000, "sendrecv")));
    let out = sw.response(ok.clone(), &again);
    let acks = out.acks();
    assert_eq!(acks.len(), 1);
    assert_eq!(cseq_of(&acks[0].1.to_string()), (2, "ACK".into()), "the ACK has its INVITE's CSeq");
    assert_eq!(out.statuses(&key), [200]);

    let a_ok = out.response(&key);
    let mut call = Answered { sw, invite, key, b_invite: again, b_ok: ok, a_ok };
    let (_, out) = call.sw.request(call.a_request("BYE", 2, "z9hG4bKtrunkbye", None), udp(A_ADDR));
    let (flow, bye) = out.request("BYE");
    assert_eq!(flow, udp(TRUNK));
    assert_eq!(cseq_of(&bye.to_string()), (3, "BYE".into()), "CSeq goes up from the last INVITE's");
}

#[test]
fn cancelling_an_authenticated_invite_uses_its_branch_and_cseq() {
    let Ringing { mut sw, invite, forks, .. } = trunk_call();
    let (_, again) = challenge(&mut sw, &forks[0].1, 407);
    let again = again.expect("INVITE sent again");
    sw.response(reply(&again, 183, "trunk", None, None), &again);

    let cancel = cancel_for(&invite);
    let cancel_key = server_key(&cancel);
    assert!(sw.b2b.cancel(sw.now, &cancel_key.cancelled_invite().unwrap(), cancel_key, &cancel));
    let (_, to_trunk) = sw.out().request("CANCEL");
    assert_eq!(client_key(&to_trunk).branch(), client_key(&again).branch());
    assert_eq!(cseq_of(&to_trunk.to_string()), (2, "CANCEL".into()), "a CANCEL has its INVITE's CSeq number");
}
