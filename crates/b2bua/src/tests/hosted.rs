//! Calls the switch talks to alone: a phone's call answered by the switch
//! itself (a hosted menu), a call it places and parks (the crawler), and
//! either bridged later to someone who answers.

use voxide_sdp::Sdp;

use super::*;
use crate::{Originate, Then};

/// A phone's call answered by the switch; `out` is what answering sent.
struct Hosted {
    sw: Switch,
    key: TransactionKey,
    ok: Response,
    out: Out,
}

fn hosted() -> Hosted {
    let invite = caller_invite("z9hG4bKcaller1");
    let mut sw = Switch::new();
    let key = server_key(&invite);
    sw.b2b.answer(
        sw.now,
        NewCall {
            id: CALL,
            call_uuid: UUID.into(),
            key: key.clone(),
            invite,
            a_flow: udp(A_ADDR),
            targets: Vec::new(),
            media_ports: (PORT_A, PORT_B),
        },
    );
    let out = sw.out();
    let ok = out.responses(&key).into_iter().find(|r| crate::build::status(r) == 200).expect("a 200 to A");
    Hosted { sw, key, ok, out }
}

impl Hosted {
    fn answered(&self) -> Answered {
        // The harness's in-dialog requests need only A's INVITE and our 200.
        Answered {
            sw: Switch::new(),
            invite: caller_invite("z9hG4bKcaller1"),
            key: self.key.clone(),
            b_invite: caller_invite("z9hG4bKunused"),
            b_ok: self.ok.clone(),
            a_ok: self.ok.clone(),
        }
    }

    fn a_request(&self, method: &str, cseq: u32, branch: &str, body: Option<&str>) -> Request {
        self.answered().a_request(method, cseq, branch, body)
    }
}

#[test]
fn the_switch_answers_in_a_codec_it_can_play_and_dials_nobody() {
    let h = hosted();
    assert_eq!(h.out.statuses(&h.key), vec![100, 200]);
    assert!(h.out.requests("INVITE").is_empty(), "nobody is dialled");
    assert!(h.out.answered());
    let (ct, body) = crate::build::body_of(&h.ok.headers, &h.ok.body).expect("SDP in the 200");
    assert_eq!(ct, "application/sdp");
    let sdp = Sdp::parse(body).expect("our SDP parses");
    let i = sdp.audio_index().expect("audio");
    assert_eq!(sdp.media[i].port, PORT_A, "anchored at the relay port facing A");
    assert_eq!(h.out.media_remote(Side::A), vec!["10.0.0.1:40000".parse().unwrap()]);
    let codecs: Vec<_> = h
        .out
        .0
        .iter()
        .filter_map(|c| match c {
            Command::MediaCodecs { a, b, .. } => Some((*a, *b)),
            _ => None,
        })
        .collect();
    assert_eq!(codecs.len(), 1);
    assert_eq!(codecs[0].0, codecs[0].1, "no transcoding: the relay's both sides are A's format");
    assert!(codecs[0].0.dtmf.is_some(), "telephone-event agreed for the menu's digits");
}

#[test]
fn our_200_is_retransmitted_until_acked_and_a_bye_ends_the_call() {
    let mut h = hosted();
    let fired = h.sw.run_until(T1 + Duration::from_millis(1));
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0].1.statuses(&h.key), vec![200], "200 retransmitted before the ACK");
    let ack = h.a_request("ACK", 1, "z9hG4bKack", None);
    let (owned, out) = h.sw.request(ack, udp(A_ADDR));
    assert!(owned && out.is_empty());
    assert!(h.sw.run_until(Duration::from_secs(10)).iter().all(|(_, o)| o.is_empty()), "no more 200s");
    let bye = h.a_request("BYE", 2, "z9hG4bKbye", None);
    let bye_key = server_key(&bye);
    let (owned, out) = h.sw.request(bye, udp(A_ADDR));
    assert!(owned);
    assert_eq!(out.statuses(&bye_key), vec![200]);
    assert_eq!(out.ended(), vec![HangupCause::NormalClearing]);
    assert!(out.requests("BYE").is_empty(), "no other leg to hang up");
}

#[test]
fn a_reinvite_and_a_dtmf_info_are_answered_by_the_switch() {
    let mut h = hosted();
    let ack = h.a_request("ACK", 1, "z9hG4bKack", None);
    h.sw.request(ack, udp(A_ADDR));
    let hold = sdp("10.0.0.1", 40000, "sendonly");
    let reinvite = h.a_request("INVITE", 2, "z9hG4bKre", Some(&hold));
    let re_key = server_key(&reinvite);
    let (_, out) = h.sw.request(reinvite, udp(A_ADDR));
    let ok = out.response(&re_key);
    assert_eq!(crate::build::status(&ok), 200);
    assert!(crate::build::contact_uri(&ok.headers).is_some(), "a 2xx to INVITE carries Contact");
    assert!(crate::build::body_of(&ok.headers, &ok.body).is_some(), "with our answer");
    assert_eq!(out.holds(), vec![true]);
    let info = with_body(
        format!(
            "INFO {} SIP/2.0\r\nVia: SIP/2.0/UDP {A_ADDR};branch=z9hG4bKinfo;rport\r\nMax-Forwards: 70\r\n\
             From: {A_FROM}\r\nTo: <sip:1002@voxide.test>;tag={}\r\nCall-ID: {A_CALL_ID}\r\nCSeq: 3 INFO\r\n\
             Content-Type: application/dtmf-relay\r\n",
            crate::build::contact_uri(&h.ok.headers).unwrap(),
            h.answered().a_tag()
        ),
        Some("Signal=5\r\nDuration=160\r\n"),
    );
    let info = parse_request(&info);
    let info_key = server_key(&info);
    let (_, out) = h.sw.request(info, udp(A_ADDR));
    assert_eq!(out.statuses(&info_key), vec![200]);
    assert!(out.0.iter().any(|c| matches!(c, Command::Digit { digit: '5', side: Side::A, .. })));
}

#[test]
fn an_offer_without_a_codec_we_play_is_refused_with_488() {
    let invite = caller_invite("z9hG4bKcaller1").to_string().replace("RTP/AVP 0 8 101", "RTP/AVP 9");
    let invite =
        parse_request(&invite.replace("a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n", "a=rtpmap:9 G722/8000\r\n"));
    let mut sw = Switch::new();
    let key = server_key(&invite);
    let new = NewCall {
        id: CALL,
        call_uuid: UUID.into(),
        key: key.clone(),
        invite,
        a_flow: udp(A_ADDR),
        targets: Vec::new(),
        media_ports: (PORT_A, PORT_B),
    };
    sw.b2b.answer(sw.now, new);
    let out = sw.out();
    assert_eq!(out.statuses(&key), vec![100, 488]);
    assert_eq!(out.ended(), vec![HangupCause::IncompatibleDestination]);
}

#[test]
fn a_hosted_call_is_bridged_later_and_a_failure_hangs_up_a() {
    let mut h = hosted();
    let ack = h.a_request("ACK", 1, "z9hG4bKack", None);
    h.sw.request(ack, udp(A_ADDR));
    let target =
        Target { uri: B_CONTACT.into(), to: "<sip:1002@voxide.test>".into(), flow: udp(B_ADDR), credentials: None };
    assert!(h.sw.b2b.bridge(h.sw.now, CALL, vec![target.clone()], "<sip:1001@voxide.test>"));
    let out = h.sw.out();
    let (_, b_invite) = out.request("INVITE");
    assert!(b_invite.to_string().contains("From: <sip:1001@voxide.test>;tag="));
    assert!(!h.sw.b2b.bridge(h.sw.now, CALL, vec![target], "<sip:1001@voxide.test>"), "one bridge at a time");
    // B answers: no second 200 to A, the call is connected.
    let out = h.sw.response(reply(&b_invite, 180, B_TAG, Some(B_CONTACT), None), &b_invite);
    assert!(out.responses(&h.key).is_empty(), "A is answered already: nothing relayed to it");
    let b_ok = reply(&b_invite, 200, B_TAG, Some(B_CONTACT), Some(&sdp("10.0.0.2", 30000, "sendrecv")));
    let out = h.sw.response(b_ok, &b_invite);
    assert!(out.answered());
    assert!(out.responses(&h.key).is_empty());
    assert_eq!(out.acks().len(), 1);

    // Bridging that fails ends the call with a BYE to A, not a response.
    let mut h = hosted();
    let ack = h.a_request("ACK", 1, "z9hG4bKack", None);
    h.sw.request(ack, udp(A_ADDR));
    let target =
        Target { uri: B_CONTACT.into(), to: "<sip:1002@voxide.test>".into(), flow: udp(B_ADDR), credentials: None };
    assert!(h.sw.b2b.bridge(h.sw.now, CALL, vec![target], "<sip:1001@voxide.test>"));
    let (_, b_invite) = h.sw.out().request("INVITE");
    let out = h.sw.response(reply(&b_invite, 486, B_TAG, None, None), &b_invite);
    assert!(out.responses(&h.key).is_empty());
    assert_eq!(out.requests("BYE").len(), 1, "A is hung up");
    assert_eq!(out.ended(), vec![HangupCause::UserBusy]);
}

#[test]
fn a_parked_originate_connects_a_alone() {
    let mut sw = Switch::new();
    let target = Target {
        uri: B_CONTACT.into(),
        to: "<sip:18005550100@voxide.test>".into(),
        flow: udp(B_ADDR),
        credentials: None,
    };
    sw.b2b.originate(
        sw.now,
        Originate {
            id: CALL,
            call_uuid: UUID.into(),
            a_targets: vec![target],
            a_caller_id: "<sip:crawler@voxide.test>".into(),
            media_ports: (PORT_A, PORT_B),
            then: Then::Park,
        },
    );
    let (_, invite) = sw.out().request("INVITE");
    let ok = reply(&invite, 200, B_TAG, Some(B_CONTACT), Some(&sdp("10.0.0.2", 30000, "sendrecv")));
    let out = sw.response(ok, &invite);
    assert!(out.answered());
    assert!(out.requests("INVITE").is_empty(), "nothing else dialled");
    assert_eq!(out.acks().len(), 1);
    assert!(out.0.iter().any(|c| matches!(c, Command::MediaCodecs { a, b, .. } if a == b)));
    // Hanging up sends A a BYE.
    sw.b2b.hangup(sw.now, CALL, HangupCause::ManagerRequest);
    let out = sw.out();
    assert_eq!(out.requests("BYE").len(), 1);
    assert_eq!(out.ended(), vec![HangupCause::ManagerRequest]);
}
