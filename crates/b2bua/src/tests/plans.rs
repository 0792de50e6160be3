//! Planned calls: the switch rings the callee step by step (forwarding,
//! follow-me, hunt groups) and may answer the caller itself (voicemail).

use super::*;

fn target(i: usize) -> Target {
    let (addr, contact) = FORKS[i];
    Target { uri: contact.to_string(), to: "<sip:1002@voxide.test>".into(), flow: udp(addr), credentials: None }
}

fn planned() -> (Switch, TransactionKey, Out) {
    let invite = caller_invite("z9hG4bKcaller1");
    let mut sw = Switch::new();
    let key = server_key(&invite);
    sw.b2b.start_planned(
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
    (sw, key, out)
}

fn unanswered(out: &Out) -> Vec<(u16, HangupCause)> {
    out.0
        .iter()
        .filter_map(|c| match c {
            Command::Unanswered { call: CALL, status, cause } => Some((*status, *cause)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_planned_call_waits_rings_each_step_and_reports_who_did_not_answer() {
    let (mut sw, key, start) = planned();
    assert_eq!(start.statuses(&key), [100]);
    assert!(start.requests("INVITE").is_empty(), "nothing is rung before the plan says so");
    assert_eq!(sw.b2b.poll_timeout(), None, "a waiting call has no ring timer");

    // Step 1: one phone, which is busy.
    assert!(sw.b2b.ring(sw.now, CALL, vec![target(0)], Duration::from_secs(20), None));
    let first = sw.out().request("INVITE").1;
    assert!(!sw.b2b.ring(sw.now, CALL, vec![target(1)], Duration::from_secs(20), None), "one step at a time");
    let out = sw.response(reply(&first, 486, "busy", None, None), &first);
    assert_eq!(unanswered(&out), [(486, HangupCause::UserBusy)]);
    assert!(out.statuses(&key).is_empty() && out.ended().is_empty(), "A keeps ringing: {out:?}");

    // Step 2: two phones together, shown another caller id; nobody answers in 15 s.
    let shown = "\"Front desk\" <sip:600@voxide.test>";
    sw.at(Duration::from_secs(1));
    assert!(sw.b2b.ring(sw.now, CALL, vec![target(1), target(2)], Duration::from_secs(15), Some(shown)));
    let forks = sw.out().requests("INVITE");
    assert_eq!(forks.len(), 2);
    let text = forks[0].1.to_string();
    assert!(header(&text, "From").unwrap().starts_with(shown), "{text}");
    assert_ne!(header(&text, "Call-ID"), header(&first.to_string(), "Call-ID"), "each step is a new B dialog");
    for (_, f) in &forks {
        sw.response(reply(f, 180, "r", Some("sip:1002@10.0.0.3"), None), f);
    }
    let fired = sw.run_until(Duration::from_secs(16));
    let (at, out) = fired.last().expect("the step's ring time ran out");
    assert_eq!(*at, Duration::from_secs(16));
    assert_eq!(out.requests("CANCEL").len(), 2);
    assert_eq!(unanswered(out), [(480, HangupCause::NoAnswer)]);
    // The cancelled forks' 487s do not report the step again.
    for (_, f) in &forks {
        let out = sw.response(reply(f, 487, "r", None, None), f);
        assert!(unanswered(&out).is_empty() && out.ended().is_empty(), "{out:?}");
    }
    // Nothing answers an empty step either.
    assert!(sw.b2b.ring(sw.now, CALL, Vec::new(), Duration::from_secs(15), None));
    assert_eq!(unanswered(&sw.out()), [(480, HangupCause::UserNotRegistered)]);

    // The plan gives up: A gets the status it chose.
    assert!(sw.b2b.refuse(sw.now, CALL, 486, HangupCause::UserBusy));
    let out = sw.out();
    assert_eq!(out.statuses(&key), [486]);
    assert_eq!(out.ended(), [HangupCause::UserBusy]);
}

#[test]
fn a_step_that_answers_connects_the_call_and_ends_the_plan() {
    let (mut sw, key, _) = planned();
    sw.b2b.ring(sw.now, CALL, vec![target(0)], Duration::from_secs(5), None);
    sw.out();
    sw.run_until(Duration::from_secs(5));
    sw.b2b.ring(sw.now, CALL, vec![target(1)], Duration::from_secs(20), None);
    let new = sw.out().request("INVITE").1;
    let ok = reply(&new, 200, B_TAG, Some(FORKS[1].1), Some(&sdp("10.0.0.3", 30000, "sendrecv")));
    let out = sw.response(ok, &new);
    assert_eq!(out.statuses(&key), [200]);
    assert!(out.answered());
    assert!(!sw.b2b.ring(sw.now, CALL, vec![target(2)], Duration::from_secs(20), None), "answered: no more steps");
    assert!(!sw.b2b.refuse(sw.now, CALL, 486, HangupCause::UserBusy));
}

#[test]
fn the_switch_can_answer_a_waiting_call_itself_and_bridge_it_later() {
    let (mut sw, key, _) = planned();
    sw.b2b.ring(sw.now, CALL, vec![target(0)], Duration::from_secs(20), None);
    let first = sw.out().request("INVITE").1;
    sw.response(reply(&first, 480, "gone", None, None), &first);
    assert!(sw.b2b.answer_waiting(sw.now, CALL));
    let out = sw.out();
    let ok = out.response(&key);
    assert_eq!(crate::build::status(&ok), 200);
    let (_, port, _) = audio(&ok.body);
    assert_eq!(port, PORT_A, "A's answer is anchored at the relay");
    assert!(out.answered());
    assert!(!sw.b2b.answer_waiting(sw.now, CALL), "only once");
    assert!(!sw.b2b.ring(sw.now, CALL, vec![target(1)], Duration::from_secs(20), None));
    // Once A's ACK arrives the call can be bridged like any hosted call.
    let call = Answered {
        sw: Switch::new(),
        invite: caller_invite("z9hG4bKcaller1"),
        key: key.clone(),
        b_invite: caller_invite("z9hG4bKunused"),
        b_ok: ok.clone(),
        a_ok: ok,
    };
    let (owned, _) = sw.request(call.a_request("ACK", 1, "z9hG4bKack1", None), udp(A_ADDR));
    assert!(owned);
    assert!(sw.b2b.bridge(sw.now, CALL, vec![target(2)], "<sip:1001@voxide.test>"));
    assert_eq!(sw.out().requests("INVITE").len(), 1);
}

#[test]
fn a_caller_who_hangs_up_while_the_plan_decides_ends_the_call() {
    let (mut sw, key, _) = planned();
    let cancel = cancel_for(&caller_invite("z9hG4bKcaller1"));
    assert!(sw.b2b.cancel(sw.now, &key, server_key(&cancel), &cancel));
    let out = sw.out();
    assert_eq!(out.statuses(&key), [487]);
    assert_eq!(out.ended(), [HangupCause::OriginatorCancel]);
    assert!(!sw.b2b.ring(sw.now, CALL, vec![target(0)], Duration::from_secs(20), None));
}
