//! In-dialog requests: BYE from either side, re-INVITEs, requests for
//! dialogs we do not know, hang-ups from outside.

use super::*;

#[test]
fn bye_from_the_caller_is_answered_and_relayed_to_the_callee() {
    let mut call = confirmed();
    let bye = call.a_request("BYE", 2, "z9hG4bKabye", None);
    let bye_key = server_key(&bye);
    let (owned, out) = call.sw.request(bye, udp(A_ADDR));
    assert!(owned);
    assert_eq!(out.statuses(&bye_key), [200]);
    assert_eq!(tag(&header(&out.response(&bye_key).to_string(), "To").unwrap()), call.a_tag());

    let (flow, to_b) = out.request("BYE");
    let text = to_b.to_string();
    let invite_text = call.b_invite.to_string();
    assert_eq!(flow, udp(B_ADDR));
    assert_eq!(to_b.uri.to_string(), B_CONTACT, "BYE goes to the callee's Contact");
    assert_eq!(header(&text, "Call-ID"), header(&invite_text, "Call-ID"));
    assert_eq!(header(&text, "From"), header(&invite_text, "From"), "our From, with our tag");
    assert_eq!(tag(&header(&text, "To").unwrap()), B_TAG);
    assert_eq!(cseq_of(&text), (2, "BYE".into()), "CSeq goes up from the INVITE's");
    assert_eq!(out.ended(), [HangupCause::NormalClearing]);

    // The callee's 200 to our BYE is the end of it.
    assert!(call.sw.response(reply(&to_b, 200, B_TAG, None, None), &to_b).is_empty());
    // A new request in the ended dialog is no longer ours (481).
    let (owned, out) = call.sw.request(call.a_request("BYE", 3, "z9hG4bKabye2", None), udp(A_ADDR));
    assert!(!owned && out.is_empty(), "{out:?}");
}

#[test]
fn requests_to_the_callee_follow_the_route_set_of_its_answer() {
    let rr = [("Record-Route", "<sip:edge2.example;lr>"), ("Record-Route", "<sip:edge1.example;lr>")];
    let mut call = confirm(answered_with(caller_invite("z9hG4bKcaller1"), &rr));
    // A retransmission of the 2xx is ACKed the same way as the first.
    let ack = call.sw.response(call.b_ok.clone(), &call.b_invite).acks().remove(0).1;
    let (_, out) = call.sw.request(call.a_request("BYE", 2, "z9hG4bKrrbye", None), udp(A_ADDR));
    let bye = out.request("BYE").1;
    // RFC 3261 §12.1.2: the UAC's route set is the Record-Route reversed.
    for req in [ack, bye] {
        assert_eq!(req.uri.to_string(), B_CONTACT, "{} goes to the remote target", req.method);
        assert_eq!(headers(&req.to_string(), "Route"), ["<sip:edge1.example;lr>", "<sip:edge2.example;lr>"]);
    }
}

#[test]
fn bye_from_the_callee_is_answered_and_relayed_to_the_caller() {
    let mut call = confirmed();
    let bye = call.b_request("BYE", 1, "z9hG4bKbbye", None);
    let bye_key = server_key(&bye);
    let (owned, out) = call.sw.request(bye, udp(B_ADDR));
    assert!(owned);
    assert_eq!(out.statuses(&bye_key), [200]);

    let (flow, to_a) = out.request("BYE");
    let text = to_a.to_string();
    assert_eq!(flow, udp(A_ADDR));
    assert_eq!(to_a.uri.to_string(), A_CONTACT, "BYE goes to the caller's Contact");
    assert_eq!(header(&text, "Call-ID").as_deref(), Some(A_CALL_ID));
    assert_eq!(header(&text, "From"), Some(format!("<sip:1002@voxide.test>;tag={}", call.a_tag())));
    assert_eq!(header(&text, "To").as_deref(), Some(A_FROM));
    assert_eq!(cseq_of(&text).1, "BYE");
    assert!(header(&text, "Via").unwrap().starts_with("SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK"));
    assert_eq!(out.ended(), [HangupCause::NormalClearing]);
}

#[test]
fn bye_from_the_caller_while_ringing_cancels_the_forks_and_ends_its_invite() {
    let Ringing { mut sw, key, forks, .. } = ringing(1);
    let f0 = &forks[0].1;
    let ring = sw.response(reply(f0, 180, B_TAG, Some(B_CONTACT), None), f0);
    let our_tag = tag(&header(&ring.response(&key).to_string(), "To").unwrap());

    // RFC 3261 §15: a caller may send BYE in an early dialog.
    let head = format!(
        "BYE sip:1002@192.0.2.10:5060 SIP/2.0\r\nVia: SIP/2.0/UDP {A_ADDR};branch=z9hG4bKearlybye\r\n\
         Max-Forwards: 70\r\nFrom: {A_FROM}\r\nTo: <sip:1002@voxide.test>;tag={our_tag}\r\n\
         Call-ID: {A_CALL_ID}\r\nCSeq: 2 BYE\r\n"
    );
    let bye = parse_request(&with_body(head, None));
    let bye_key = server_key(&bye);
    let (owned, out) = sw.request(bye, udp(A_ADDR));
    assert!(owned);
    assert_eq!(out.statuses(&bye_key), [200]);
    assert_eq!(client_key(&out.request("CANCEL").1).branch(), client_key(f0).branch());
    assert!(out.requests("BYE").is_empty(), "the callee has no dialog to BYE");
    // The INVITE still needs a final response (RFC 3261 §15.1.2).
    assert_eq!(out.statuses(&key), [487]);
    assert_eq!(out.ended(), [HangupCause::NormalClearing]);
}

#[test]
fn a_hold_reinvite_from_the_caller_is_relayed_with_sdp_anchored_on_both_legs() {
    let mut call = confirmed();
    let hold = call.a_request("INVITE", 2, "z9hG4bKhold", Some(&sdp("10.0.0.1", 40002, "sendonly")));
    let hold_key = server_key(&hold);
    let (owned, out) = call.sw.request(hold, udp(A_ADDR));
    assert!(owned);
    assert_eq!(out.holds(), [true]);
    assert_eq!(out.media_remote(Side::A), ["10.0.0.1:40002".parse().unwrap()]);
    assert!(out.responses(&hold_key).is_empty(), "A is answered when B answers");

    let (flow, to_b) = out.request("INVITE");
    let text = to_b.to_string();
    assert_eq!(flow, udp(B_ADDR));
    assert_eq!(to_b.uri.to_string(), B_CONTACT);
    assert_eq!(cseq_of(&text), (2, "INVITE".into()));
    assert_eq!(header(&text, "Call-ID"), header(&call.b_invite.to_string(), "Call-ID"));
    assert_eq!(tag(&header(&text, "To").unwrap()), B_TAG);
    assert_eq!(header(&text, "Contact").as_deref(), Some("<sip:voxide@192.0.2.10:5060>"));
    assert_eq!(audio(&to_b.body), (media_ip(), PORT_B, Direction::SendOnly));

    // A second re-INVITE while the first is pending: glare.
    let second = call.a_request("INVITE", 3, "z9hG4bKhold2", Some(&sdp("10.0.0.1", 40002, "inactive")));
    let second_key = server_key(&second);
    let (owned, out) = call.sw.request(second, udp(A_ADDR));
    assert!(owned);
    let glare = out.response(&second_key);
    assert_eq!(crate::build::status(&glare), 491);
    assert!(header(&glare.to_string(), "Retry-After").is_some());
    assert!(out.requests("INVITE").is_empty() && out.holds().is_empty());

    // B accepts the hold: the answer is ACKed and relayed to A anchored.
    let answer = reply(&to_b, 200, B_TAG, Some(B_CONTACT), Some(&sdp("10.0.0.2", 30000, "recvonly")));
    let out = call.sw.response(answer, &to_b);
    let acks = out.acks();
    assert_eq!(acks.len(), 1, "{out:?}");
    assert_eq!(acks[0].1.uri.to_string(), B_CONTACT);
    assert_eq!(cseq_of(&acks[0].1.to_string()), (2, "ACK".into()));
    let ok = out.response(&hold_key);
    assert_eq!(crate::build::status(&ok), 200);
    assert_eq!(cseq_of(&ok.to_string()), (2, "INVITE".into()));
    assert_eq!(tag(&header(&ok.to_string(), "To").unwrap()), call.a_tag());
    assert_eq!(audio(&ok.body), (media_ip(), PORT_A, Direction::RecvOnly));
    assert!(out.holds().iter().all(|on| *on), "the answer to a hold keeps the relay on hold: {:?}", out.holds());
    let (owned, out) = call.sw.request(call.a_request("ACK", 2, "z9hG4bKholdack", None), udp(A_ADDR));
    assert!(owned && out.is_empty());

    // Resuming takes the relay off hold.
    let resume = call.a_request("INVITE", 4, "z9hG4bKresume", Some(&sdp("10.0.0.1", 40002, "sendrecv")));
    let resume_key = server_key(&resume);
    let (_, out) = call.sw.request(resume, udp(A_ADDR));
    assert_eq!(out.holds(), [false]);
    let (_, to_b) = out.request("INVITE");
    assert_eq!(cseq_of(&to_b.to_string()), (3, "INVITE".into()));
    let out = call.sw.response(reply(&to_b, 200, B_TAG, None, Some(&sdp("10.0.0.2", 30000, "sendrecv"))), &to_b);
    assert_eq!(out.statuses(&resume_key), [200]);
    assert_eq!(out.holds(), [false]);

    // The dialog's CSeq keeps counting for the BYE.
    let (_, out) = call.sw.request(call.a_request("BYE", 5, "z9hG4bKbye", None), udp(A_ADDR));
    assert_eq!(cseq_of(&out.request("BYE").1.to_string()), (4, "BYE".into()));
}

#[test]
fn each_legs_sdp_version_goes_up_by_one_with_each_description() {
    // RFC 3264 §8: a modified description keeps the o= line but for a
    // version one higher than the previous one sent to that peer.
    let mut call = confirmed();
    let (to_a, to_b) = (sdp_version(&call.a_ok.body), sdp_version(&call.b_invite.body));
    let hold = call.a_request("INVITE", 2, "z9hG4bKv1", Some(&sdp("10.0.0.1", 40000, "sendonly")));
    let hold_key = server_key(&hold);
    let (_, out) = call.sw.request(hold, udp(A_ADDR));
    let (_, offer) = out.request("INVITE");
    assert_eq!(sdp_version(&offer.body), to_b + 1);
    let answer = reply(&offer, 200, B_TAG, None, Some(&sdp("10.0.0.2", 30000, "recvonly")));
    let ok = call.sw.response(answer, &offer).response(&hold_key);
    assert_eq!(sdp_version(&ok.body), to_a + 1);

    let reinvite = call.b_request("INVITE", 2, "z9hG4bKv2", Some(&sdp("10.0.0.2", 30000, "sendrecv")));
    let (_, out) = call.sw.request(reinvite, udp(B_ADDR));
    assert_eq!(sdp_version(&out.request("INVITE").1.body), to_a + 2);
}

#[test]
fn a_reinvite_from_the_callee_is_relayed_to_the_caller() {
    let mut call = confirmed();
    let reinvite = call.b_request("INVITE", 2, "z9hG4bKbhold", Some(&sdp("10.0.0.2", 30000, "inactive")));
    let key = server_key(&reinvite);
    let (owned, out) = call.sw.request(reinvite, udp(B_ADDR));
    assert!(owned);
    assert_eq!(out.holds(), [true]);
    let (flow, to_a) = out.request("INVITE");
    let text = to_a.to_string();
    assert_eq!(flow, udp(A_ADDR));
    assert_eq!(to_a.uri.to_string(), A_CONTACT);
    assert_eq!(header(&text, "Call-ID").as_deref(), Some(A_CALL_ID));
    assert_eq!(header(&text, "To").as_deref(), Some(A_FROM));
    assert_eq!(audio(&to_a.body), (media_ip(), PORT_A, Direction::Inactive));

    let out = call.sw.response(reply(&to_a, 200, "a-tag", None, Some(&sdp("10.0.0.1", 40000, "inactive"))), &to_a);
    let acks = out.acks();
    assert_eq!(acks.len(), 1);
    assert_eq!(acks[0].0, udp(A_ADDR));
    assert_eq!(acks[0].1.uri.to_string(), A_CONTACT);
    assert_eq!(cseq_of(&acks[0].1.to_string()), (cseq_of(&text).0, "ACK".into()));
    let ok = out.response(&key);
    assert_eq!(crate::build::status(&ok), 200);
    assert_eq!(audio(&ok.body), (media_ip(), PORT_B, Direction::Inactive));
}

#[test]
fn a_relayed_request_the_other_side_never_answers_gets_408() {
    let mut call = confirmed();
    let reinvite = call.a_request("INVITE", 2, "z9hG4bKlost", Some(&sdp("10.0.0.1", 40000, "sendrecv")));
    let key = server_key(&reinvite);
    let (_, out) = call.sw.request(reinvite, udp(A_ADDR));
    let (_, to_b) = out.request("INVITE");
    call.sw.b2b.timeout(call.sw.now, &client_key(&to_b));
    let out = call.sw.out();
    assert_eq!(out.statuses(&key), [408]);
    assert!(out.ended().is_empty(), "the call itself goes on");
}

#[test]
fn in_dialog_requests_for_an_unknown_call_are_not_ours() {
    let mut call = confirmed();
    let stranger = call.a_request("BYE", 2, "z9hG4bKstranger", None).to_string().replace(A_CALL_ID, "nobody@nowhere");
    let stranger = parse_request(&stranger);
    assert!(!call.sw.b2b.owns(&stranger));
    let (owned, out) = call.sw.request(stranger, udp(A_ADDR));
    assert!(!owned && out.is_empty());

    // Nor is a BYE from a fork that never answered.
    let Ringing { mut sw, forks, .. } = ringing(1);
    let f0 = forks[0].1.to_string();
    let head = format!(
        "BYE sip:voxide@192.0.2.10:5060 SIP/2.0\r\nVia: SIP/2.0/UDP {B_ADDR};branch=z9hG4bKnotyet\r\n\
         Max-Forwards: 70\r\nFrom: <sip:1002@voxide.test>;tag=early\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: 1 BYE\r\n",
        header(&f0, "From").unwrap(),
        header(&f0, "Call-ID").unwrap()
    );
    let (owned, out) = sw.request(parse_request(&with_body(head, None)), udp(B_ADDR));
    assert!(!owned && out.is_empty());
}

#[test]
fn shutdown_hangs_up_an_answered_call_on_both_legs() {
    let mut call = confirmed();
    call.sw.b2b.hangup(call.sw.now, CALL, HangupCause::SystemShutdown);
    let out = call.sw.out();
    let byes = out.requests("BYE");
    let mut flows: Vec<Flow> = byes.iter().map(|(f, _)| *f).collect();
    flows.sort_by_key(|f| f.addr);
    assert_eq!(flows, [udp(A_ADDR), udp(B_ADDR)]);
    for (flow, bye) in &byes {
        let expected = if *flow == udp(A_ADDR) { A_CONTACT } else { B_CONTACT };
        assert_eq!(bye.uri.to_string(), expected);
    }
    assert_eq!(out.ended(), [HangupCause::SystemShutdown]);

    // Hanging up again, or a call that does not exist, does nothing.
    call.sw.b2b.hangup(call.sw.now, CALL, HangupCause::SystemShutdown);
    call.sw.b2b.hangup(call.sw.now, CALL + 1, HangupCause::SystemShutdown);
    assert!(call.sw.out().is_empty());
}

#[test]
fn shutdown_while_ringing_cancels_the_forks_and_answers_503() {
    let Ringing { mut sw, key, forks, .. } = ringing(2);
    for (i, (_, invite)) in forks.iter().enumerate() {
        sw.response(reply(invite, 180, &format!("f{i}"), None, None), invite);
    }
    sw.b2b.hangup(sw.now, CALL, HangupCause::SystemShutdown);
    let out = sw.out();
    assert_eq!(out.requests("CANCEL").len(), 2);
    assert_eq!(out.statuses(&key), [503]);
    assert_eq!(out.ended(), [HangupCause::SystemShutdown]);
}

#[test]
fn early_media_from_the_switch_answers_the_caller_with_a_183_and_the_200_keeps_its_codec() {
    let Ringing { mut sw, key, forks, .. } = ringing(1);
    assert!(sw.b2b.early_media(CALL));
    let out = sw.out();
    let early = out.response(&key);
    assert_eq!(u16::from(early.status_code.clone()), 183);
    let (ip, port, _) = audio(&early.body);
    assert_eq!((ip, port), (media_ip(), PORT_A), "anchored on the relay's port facing A");
    let early_sdp = voxide_sdp::Sdp::parse(&early.body).unwrap();
    let a_format = early_sdp.leg_format(0);
    assert_eq!(a_format.audio.map(|(_, pt)| pt), Some(0), "A's first codec, PCMU");
    assert!(
        out.0.iter().any(|c| matches!(c, crate::Command::MediaCodecs { a, .. } if *a == a_format)),
        "the relay learns A's codec: {:#?}",
        out.0
    );
    assert!(!sw.b2b.early_media(CALL), "once per call");

    // B answers with PCMA only: A still hears PCMU, the relay transcodes.
    let (_, b_invite) = forks[0].clone();
    let pcma = sdp("10.0.0.2", 30000, "sendrecv").replace("RTP/AVP 0 8 101", "RTP/AVP 8 101");
    let b_ok = reply_with(&b_invite, 200, "b-tag", Some(FORKS[0].1), &[], Some(&pcma));
    let out = sw.response(b_ok, &b_invite);
    let ok = out.response(&key);
    let answer = voxide_sdp::Sdp::parse(&ok.body).unwrap();
    assert_eq!(answer.leg_format(0), a_format, "the 200 repeats the early answer's codec");
    assert!(out.0.iter().any(|c| matches!(
        c,
        crate::Command::MediaCodecs { a, b, .. } if *a == a_format && b.audio.map(|(_, pt)| pt) == Some(8)
    )));
}
