//! Blind transfer: the API's (the driver calls `B2bua::transfer`) and a
//! phone's REFER from the callee (RFC 3515).

use super::*;

#[test]
fn a_transfer_hangs_up_b_and_dials_the_new_party_without_a_second_200_to_a() {
    let mut call = confirmed();
    let target = Target {
        uri: FORKS[1].1.into(),
        to: "<sip:1003@voxide.test>".into(),
        flow: udp(FORKS[1].0),
        credentials: None,
    };
    assert!(call.sw.b2b.transfer(call.sw.now, CALL, vec![target], "<sip:1001@voxide.test>"));
    let out = call.sw.out();
    assert_eq!(out.requests("BYE").len(), 1, "the old B is hung up");
    let (flow, invite) = out.request("INVITE");
    assert_eq!(flow, udp(FORKS[1].0));
    let ok = reply(&invite, 200, "c-tag", Some(FORKS[1].1), Some(&sdp("10.0.0.3", 32000, "sendrecv")));
    let out = call.sw.response(ok, &invite);
    assert!(out.responses(&call.key).is_empty(), "A was answered long ago");
    assert_eq!(out.acks().len(), 1);
    assert_eq!(out.media_remote(Side::B), vec!["10.0.0.3:32000".parse().unwrap()]);
    // The old B's dialog is gone; A's BYE now reaches the new party.
    let old = call.b_request("BYE", 9, "z9hG4bKold", None);
    let (owned, _) = call.sw.request(old, udp(B_ADDR));
    assert!(!owned, "a request in the old B's dialog gets 481");
    let bye = call.a_request("BYE", 2, "z9hG4bKabye", None);
    let (_, out) = call.sw.request(bye, udp(A_ADDR));
    let (flow, _) = out.request("BYE");
    assert_eq!(flow, udp(FORKS[1].0));
    assert_eq!(out.ended(), vec![HangupCause::NormalClearing]);
}

fn refer_from_b(call: &mut Answered, cseq: u32, branch: &str) -> Out {
    let head = call.b_request("REFER", cseq, branch, None).to_string();
    let refer = parse_request(&head.replace(
        "Content-Length: 0\r\n",
        "Refer-To: <sip:1003@voxide.test>\r\nReferred-By: <sip:1002@voxide.test>\r\nContent-Length: 0\r\n",
    ));
    let key = server_key(&refer);
    let (owned, out) = call.sw.request(refer, udp(B_ADDR));
    assert!(owned);
    assert_eq!(out.statuses(&key), vec![202]);
    assert!(out.requests("NOTIFY").is_empty(), "the outcome is not known yet");
    assert!(out.0.iter().any(|c| matches!(c, Command::TransferAsked { to, side: Side::B, .. } if to == "1003")));
    out
}

#[test]
fn a_refer_from_b_is_accepted_then_notified_with_its_outcome() {
    let mut call = confirmed();
    refer_from_b(&mut call, 5, "z9hG4bKrefer");
    // The driver transfers: B hears 200 OK, then BYE.
    let target = Target {
        uri: FORKS[1].1.into(),
        to: "<sip:1003@voxide.test>".into(),
        flow: udp(FORKS[1].0),
        credentials: None,
    };
    assert!(call.sw.b2b.transfer(call.sw.now, CALL, vec![target], "<sip:1001@voxide.test>"));
    let out = call.sw.out();
    let (flow, notify) = out.request("NOTIFY");
    assert_eq!(flow, udp(B_ADDR));
    let text = notify.to_string();
    assert!(text.contains("Event: refer") && text.contains("SIP/2.0 200 OK"), "{text}");
    assert!(text.contains("Subscription-State: terminated"), "{text}");
    assert_eq!(out.requests("BYE").len(), 1);

    // Refused (e.g. the number does not exist): B hears why; nobody is hung up.
    let mut call = confirmed();
    refer_from_b(&mut call, 5, "z9hG4bKrefer3");
    call.sw.b2b.transfer_refused(CALL, "404 Not Found");
    let out = call.sw.out();
    assert!(out.request("NOTIFY").1.to_string().contains("SIP/2.0 404 Not Found"));
    assert!(out.requests("BYE").is_empty() && out.ended().is_empty());

    let bad = call.b_request("REFER", 6, "z9hG4bKrefer2", None);
    let key = server_key(&bad);
    let (_, out) = call.sw.request(bad, udp(B_ADDR));
    assert_eq!(out.statuses(&key), vec![400], "a REFER without Refer-To");
}
