//! The initial INVITE: forking, the winning answer, failures, CANCEL.

use super::*;

#[test]
fn a_call_forks_to_every_target_with_the_offer_anchored_at_the_b_side_port() {
    let Ringing { key, forks, start, .. } = ringing(3);
    assert_eq!(start.statuses(&key), [100]);
    assert_eq!(start.media_remote(Side::A), ["10.0.0.1:40000".parse().unwrap()]);
    assert!(start.ended().is_empty() && !start.answered());

    let mut branches = Vec::new();
    let mut b_call_ids = Vec::new();
    let mut from_tags = Vec::new();
    for ((flow, invite), (addr, contact)) in forks.iter().zip(FORKS) {
        let text = invite.to_string();
        assert_eq!(*flow, udp(addr));
        assert_eq!(invite.uri.to_string(), contact);
        let key = client_key(invite);
        assert!(key.branch().starts_with("z9hG4bK"));
        branches.push(key.branch().to_string());
        assert!(header(&text, "Via").unwrap().starts_with("SIP/2.0/UDP 192.0.2.10:5060;"));
        b_call_ids.push(header(&text, "Call-ID").unwrap());
        from_tags.push(tag(&header(&text, "From").unwrap()));
        assert_eq!(header(&text, "To").unwrap(), "<sip:1002@voxide.test>");
        assert_eq!(cseq_of(&text), (1, "INVITE".into()));
        assert_eq!(header(&text, "Max-Forwards").as_deref(), Some("69"));
        assert_eq!(header(&text, "X-Call-UUID").as_deref(), Some(UUID));
        assert_eq!(header(&text, "Contact").as_deref(), Some("<sip:voxide@192.0.2.10:5060>"));
        assert_eq!(header(&text, "User-Agent").as_deref(), Some("phone-a"));
        let (ip, port, direction) = audio(&invite.body);
        assert_eq!((ip, port, direction), (media_ip(), PORT_B, Direction::SendRecv));
    }
    branches.sort();
    branches.dedup();
    assert_eq!(branches.len(), 3, "every fork has its own branch");
    assert!(b_call_ids.iter().all(|c| *c == b_call_ids[0] && c != A_CALL_ID), "one B dialog Call-ID: {b_call_ids:?}");
    assert!(from_tags.iter().all(|t| *t == from_tags[0] && t != "a-tag"), "our own From-tag: {from_tags:?}");
}

#[test]
fn the_first_2xx_wins_and_the_other_forks_are_cancelled() {
    let Ringing { mut sw, key, forks, .. } = ringing(3);
    let (f0, f1, f2) = (&forks[0].1, &forks[1].1, &forks[2].1);

    let ring = sw.response(reply(f1, 180, "f1", Some(FORKS[1].1), None), f1);
    let ringing_a = ring.response(&key);
    assert_eq!(crate::build::status(&ringing_a), 180);
    let our_tag = tag(&header(&ringing_a.to_string(), "To").unwrap());

    let ok = reply(f0, 200, B_TAG, Some("sip:1002@10.0.0.2:5071"), Some(&sdp("10.0.0.2", 30000, "sendrecv")));
    let out = sw.response(ok, f0);

    // The winner is ACKed at its Contact, in its dialog.
    let acks = out.acks();
    assert_eq!(acks.len(), 1, "{out:?}");
    let (flow, ack) = &acks[0];
    let ack_text = ack.to_string();
    assert_eq!(*flow, udp(FORKS[0].0));
    assert_eq!(ack.uri.to_string(), "sip:1002@10.0.0.2:5071");
    assert_eq!(cseq_of(&ack_text), (1, "ACK".into()));
    assert_eq!(tag(&header(&ack_text, "To").unwrap()), B_TAG);
    assert_eq!(header(&ack_text, "Call-ID"), header(&f0.to_string(), "Call-ID"));

    // The ringing fork is cancelled on its INVITE's branch; the silent one not yet.
    let (flow, cancel) = out.request("CANCEL");
    assert_eq!(flow, udp(FORKS[1].0));
    assert_eq!(cancel.uri, f1.uri);
    assert_eq!(client_key(&cancel).branch(), client_key(f1).branch());
    assert_eq!(cseq_of(&cancel.to_string()), (1, "CANCEL".into()));

    // A gets a 200 anchored at the A-side port, on the dialog of the 180.
    let a_ok = out.response(&key);
    let a_text = a_ok.to_string();
    assert_eq!(crate::build::status(&a_ok), 200);
    assert_eq!(tag(&header(&a_text, "To").unwrap()), our_tag);
    assert_eq!(header(&a_text, "X-Call-UUID").as_deref(), Some(UUID));
    assert_eq!(header(&a_text, "Contact").as_deref(), Some("<sip:1002@192.0.2.10:5060>"));
    let (ip, port, _) = audio(&a_ok.body);
    assert_eq!((ip, port), (media_ip(), PORT_A));
    assert!(!a_ok.body.windows(8).any(|w| w == b"10.0.0.2"), "the callee's address must not leak to A");

    assert!(out.answered());
    assert_eq!(out.media_remote(Side::B), ["10.0.0.2:30000".parse().unwrap()]);
    assert_eq!(out.holds(), [false]);
    assert!(out.ended().is_empty());

    // The silent fork is cancelled once it rings, and only once.
    let late_ring = sw.response(reply(f2, 180, "f2", None, None), f2);
    let (flow, cancel) = late_ring.request("CANCEL");
    assert_eq!(flow, udp(FORKS[2].0));
    assert_eq!(client_key(&cancel).branch(), client_key(f2).branch());
    assert!(late_ring.responses(&key).is_empty(), "A hears nothing more of the losing forks");
    let again = sw.response(reply(f2, 183, "f2", None, None), f2);
    assert!(again.is_empty(), "{again:?}");

    for (i, fork) in [f1, f2].into_iter().enumerate() {
        let out = sw.response(reply(fork, 487, &format!("f{}", i + 1), None, None), fork);
        assert!(out.is_empty(), "{out:?}");
    }
    assert_eq!(sw.b2b.len(), 1);
}

#[test]
fn early_media_from_a_fork_reaches_the_caller_as_183_anchored_at_the_a_side_port() {
    let Ringing { mut sw, key, forks, .. } = ringing(2);
    let f0 = &forks[0].1;
    let out = sw.response(reply(f0, 183, B_TAG, Some(B_CONTACT), Some(&sdp("10.0.0.2", 30000, "sendrecv"))), f0);
    let early = out.response(&key);
    assert_eq!(crate::build::status(&early), 183);
    let (ip, port, _) = audio(&early.body);
    assert_eq!((ip, port), (media_ip(), PORT_A));
    assert_eq!(out.media_remote(Side::B), ["10.0.0.2:30000".parse().unwrap()]);
    assert!(!out.answered());
}

#[test]
fn when_every_fork_fails_the_caller_gets_the_best_failure() {
    let cases: [(&[u16], u16, HangupCause); 5] = [
        (&[480, 486], 486, HangupCause::UserBusy),
        (&[486, 480], 486, HangupCause::UserBusy),
        (&[486, 603], 603, HangupCause::CallRejected),
        (&[600, 480], 600, HangupCause::UserBusy),
        (&[408, 404], 404, HangupCause::UnallocatedNumber),
    ];
    for (statuses, expected, cause) in cases {
        let Ringing { mut sw, key, forks, .. } = ringing(statuses.len());
        let (last, first) = statuses.split_last().unwrap();
        for (status, (_, invite)) in first.iter().zip(&forks) {
            let out = sw.response(reply(invite, *status, "x", None, None), invite);
            assert!(out.is_empty(), "A is answered only when every fork has failed: {out:?}");
        }
        let invite = &forks[statuses.len() - 1].1;
        let out = sw.response(reply(invite, *last, "y", None, None), invite);
        let failure = out.response(&key);
        assert_eq!(crate::build::status(&failure), expected, "{statuses:?}");
        assert!(header(&failure.to_string(), "To").unwrap().contains(";tag="), "a final response carries our To-tag");
        assert_eq!(out.ended(), [cause], "{statuses:?}");
        assert!(out.requests("CANCEL").is_empty() && out.acks().is_empty());
    }
}

#[test]
fn forks_that_time_out_count_as_408() {
    let Ringing { mut sw, key, forks, .. } = ringing(2);
    sw.b2b.timeout(sw.now, &client_key(&forks[0].1));
    assert!(sw.out().is_empty());
    sw.b2b.timeout(sw.now, &client_key(&forks[1].1));
    let out = sw.out();
    assert_eq!(out.statuses(&key), [408]);
    assert_eq!(out.ended(), [HangupCause::RecoveryOnTimerExpire]);
}

#[test]
fn a_call_without_targets_is_refused_as_not_registered() {
    let Ringing { start, key, .. } = ringing(0);
    assert_eq!(start.statuses(&key), [100, 480]);
    assert_eq!(start.ended(), [HangupCause::UserNotRegistered]);
}

#[test]
fn cancel_from_the_caller_while_ringing_ends_the_call_as_originator_cancel() {
    let Ringing { mut sw, invite, key, forks, .. } = ringing(2);
    let (f0, f1) = (&forks[0].1, &forks[1].1);
    sw.response(reply(f0, 180, B_TAG, Some(B_CONTACT), None), f0);

    let cancel = cancel_for(&invite);
    let cancel_key = server_key(&cancel);
    let invite_key = cancel_key.cancelled_invite().expect("a CANCEL names its INVITE");
    assert_eq!(invite_key, key);
    assert!(sw.b2b.cancel(sw.now, &invite_key, cancel_key.clone(), &cancel));
    let out = sw.out();

    assert_eq!(out.statuses(&cancel_key), [200]);
    assert_eq!(out.statuses(&key), [487]);
    let (flow, to_b) = out.request("CANCEL");
    assert_eq!(flow, udp(FORKS[0].0));
    assert_eq!(client_key(&to_b).branch(), client_key(f0).branch());
    assert_eq!(out.ended(), [HangupCause::OriginatorCancel]);

    // The fork that had not rung yet is cancelled when it does.
    let out = sw.response(reply(f1, 180, "f1", None, None), f1);
    assert_eq!(client_key(&out.request("CANCEL").1).branch(), client_key(f1).branch());
    assert!(out.responses(&key).is_empty() && out.ended().is_empty());

    // A retransmitted CANCEL is answered again and changes nothing.
    assert!(sw.b2b.cancel(sw.now, &invite_key, cancel_key.clone(), &cancel));
    let out = sw.out();
    assert_eq!(out.statuses(&cancel_key), [200]);
    assert!(out.responses(&key).is_empty() && out.requests("CANCEL").is_empty() && out.ended().is_empty());
}

#[test]
fn cancel_for_an_unknown_invite_is_not_ours() {
    let Ringing { mut sw, .. } = ringing(1);
    let stranger = caller_invite("z9hG4bKsomeoneelse");
    let cancel = cancel_for(&stranger);
    let cancel_key = server_key(&cancel);
    let invite_key = cancel_key.cancelled_invite().unwrap();
    assert!(!sw.b2b.cancel(sw.now, &invite_key, cancel_key, &cancel));
    assert!(sw.out().is_empty());
}

#[test]
fn a_2xx_crossing_the_callers_cancel_is_acked_and_hung_up() {
    let Ringing { mut sw, invite, key, forks, .. } = ringing(1);
    let f0 = &forks[0].1;
    sw.response(reply(f0, 180, B_TAG, Some(B_CONTACT), None), f0);
    let cancel = cancel_for(&invite);
    let cancel_key = server_key(&cancel);
    assert!(sw.b2b.cancel(sw.now, &key, cancel_key, &cancel));
    sw.out();

    let out = sw.response(reply(f0, 200, B_TAG, Some(B_CONTACT), Some(&sdp("10.0.0.2", 30000, "sendrecv"))), f0);
    let acks = out.acks();
    assert_eq!(acks.len(), 1, "{out:?}");
    let (flow, bye) = out.request("BYE");
    assert_eq!(flow, udp(B_ADDR));
    assert_eq!(bye.uri.to_string(), B_CONTACT);
    assert_eq!(tag(&header(&bye.to_string(), "To").unwrap()), B_TAG);
    assert!(out.responses(&key).is_empty(), "A's INVITE is already answered 487");
    assert!(!out.answered() && out.ended().is_empty());
}

#[test]
fn a_late_2xx_from_a_second_fork_is_acked_and_hung_up() {
    let Ringing { mut sw, key, forks, .. } = ringing(2);
    let (f0, f1) = (&forks[0].1, &forks[1].1);
    sw.response(reply(f1, 180, "late", Some(FORKS[1].1), None), f1);
    sw.response(reply(f0, 200, B_TAG, Some(B_CONTACT), Some(&sdp("10.0.0.2", 30000, "sendrecv"))), f0);

    // The second fork answers before our CANCEL reached it.
    let out = sw.response(reply(f1, 200, "late", Some(FORKS[1].1), Some(&sdp("10.0.0.3", 31000, "sendrecv"))), f1);
    let acks = out.acks();
    assert_eq!(acks.len(), 1, "{out:?}");
    let (flow, ack) = &acks[0];
    assert_eq!(*flow, udp(FORKS[1].0));
    assert_eq!(ack.uri.to_string(), FORKS[1].1);
    assert_eq!(tag(&header(&ack.to_string(), "To").unwrap()), "late");

    let (flow, bye) = out.request("BYE");
    let bye_text = bye.to_string();
    assert_eq!(flow, udp(FORKS[1].0));
    assert_eq!(bye.uri.to_string(), FORKS[1].1);
    assert_eq!(tag(&header(&bye_text, "To").unwrap()), "late");
    assert_eq!(header(&bye_text, "Call-ID"), header(&f1.to_string(), "Call-ID"));
    assert_eq!(header(&bye_text, "From"), header(&f1.to_string(), "From"));
    assert!(cseq_of(&bye_text).0 > 1);

    assert!(out.responses(&key).is_empty(), "A already has its 200");
    assert!(out.media_remote(Side::B).is_empty(), "media stays with the winner");
    assert!(!out.answered() && out.ended().is_empty());
}

#[test]
fn a_retransmitted_2xx_from_the_winner_is_acked_again() {
    let mut call = confirmed();
    let out = call.sw.response(call.b_ok.clone(), &call.b_invite);
    let acks = out.acks();
    assert_eq!(acks.len(), 1, "{out:?}");
    assert_eq!(acks[0].1.uri.to_string(), B_CONTACT);
    assert_eq!(cseq_of(&acks[0].1.to_string()), (1, "ACK".into()));
    assert!(out.responses(&call.key).is_empty() && !out.answered());
}
