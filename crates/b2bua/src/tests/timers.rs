//! Time passing: the ring timeout, retransmitting our 2xx to the caller,
//! giving up on its ACK, session timers, and forgetting ended calls.

use super::*;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn the_ring_timeout_cancels_the_forks_and_answers_480_as_no_answer() {
    let Ringing { mut sw, key, forks, .. } = ringing(2);
    for (i, (_, invite)) in forks.iter().enumerate() {
        sw.response(reply(invite, 180, &format!("f{i}"), None, None), invite);
    }
    assert_eq!(sw.b2b.poll_timeout(), Some(sw.start + RING_TIMEOUT));
    assert!(sw.run_until(RING_TIMEOUT - ms(1)).is_empty());

    let fired = sw.run_until(RING_TIMEOUT);
    assert_eq!(fired.len(), 1);
    let (at, out) = &fired[0];
    assert_eq!(*at, RING_TIMEOUT);
    let mut cancelled: Vec<String> =
        out.requests("CANCEL").iter().map(|(_, c)| client_key(c).branch().into()).collect();
    let mut invited: Vec<String> = forks.iter().map(|(_, i)| client_key(i).branch().into()).collect();
    cancelled.sort();
    invited.sort();
    assert_eq!(cancelled, invited);
    assert_eq!(out.statuses(&key), [480]);
    assert_eq!(out.ended(), [HangupCause::NoAnswer]);
}

#[test]
fn our_2xx_is_retransmitted_with_doubling_intervals_until_the_caller_acks() {
    let mut call = answered();
    let sent = call.a_ok.to_string();
    let fired = call.sw.run_until(ms(3000));
    let times: Vec<Duration> = fired.iter().map(|(at, _)| *at).collect();
    assert_eq!(times, [ms(500), ms(1500)]);
    for (_, out) in &fired {
        let again = out.response(&call.key);
        assert_eq!(again.to_string(), sent, "a retransmission is the same response");
    }

    let (owned, out) = call.sw.request(call.a_request("ACK", 1, "z9hG4bKack", None), udp(A_ADDR));
    assert!(owned && out.is_empty());
    assert_eq!(call.sw.b2b.poll_timeout(), None, "a confirmed call has no timers");
    assert!(call.sw.run_until(Duration::from_secs(120)).is_empty());
}

#[test]
fn without_the_callers_ack_retransmissions_cap_at_t2_and_the_call_ends_at_64_t1() {
    let mut call = answered();
    let give_up = T1 * 64;
    let fired = call.sw.run_until(give_up - ms(1));
    let times: Vec<u64> = fired.iter().map(|(at, _)| at.as_millis() as u64).collect();
    assert_eq!(times, [500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    for (_, out) in &fired {
        assert_eq!(out.statuses(&call.key), [200]);
        assert!(out.ended().is_empty() && out.requests("BYE").is_empty());
    }

    let fired = call.sw.run_until(give_up);
    assert_eq!(fired.len(), 1, "the call ends exactly 64*T1 after the 2xx: {fired:?}");
    let (at, out) = &fired[0];
    assert_eq!(*at, give_up);
    let mut flows: Vec<Flow> = out.requests("BYE").iter().map(|(f, _)| *f).collect();
    flows.sort_by_key(|f| f.addr);
    assert_eq!(flows, [udp(A_ADDR), udp(B_ADDR)]);
    assert!(out.responses(&call.key).is_empty());
    assert_eq!(out.ended(), [HangupCause::RecoveryOnTimerExpire]);
}

#[test]
fn an_ended_call_is_forgotten_once_its_linger_has_passed() {
    let mut call = confirmed();
    call.sw.at(Duration::from_secs(10));
    let (_, out) = call.sw.request(call.a_request("BYE", 2, "z9hG4bKbye", None), udp(A_ADDR));
    assert_eq!(out.ended(), [HangupCause::NormalClearing]);
    let ended_at = call.sw.now;
    assert_eq!(call.sw.b2b.len(), 1);
    assert_eq!(call.sw.b2b.poll_timeout(), Some(ended_at + LINGER));

    // While it lingers, a late 2xx retransmission is still ACKed.
    call.sw.at(Duration::from_secs(20));
    assert_eq!(call.sw.response(call.b_ok.clone(), &call.b_invite).acks().len(), 1);
    call.sw.b2b.handle_timeout(ended_at + LINGER - ms(1));
    assert_eq!(call.sw.b2b.len(), 1);

    assert!(call.sw.run_until(Duration::from_secs(10) + LINGER).iter().all(|(_, out)| out.is_empty()));
    assert_eq!(call.sw.b2b.len(), 0);
    assert!(call.sw.b2b.is_empty());
    assert_eq!(call.sw.b2b.poll_timeout(), None);
    assert!(call.sw.b2b.call_uuids().is_empty());

    // Nothing of it is left to match.
    assert!(call.sw.response(call.b_ok.clone(), &call.b_invite).is_empty());
    let (owned, _) = call.sw.request(call.a_request("BYE", 3, "z9hG4bKbye2", None), udp(A_ADDR));
    assert!(!owned);
    let cancel = cancel_for(&call.invite);
    assert!(!call.sw.b2b.cancel(call.sw.now, &call.key, server_key(&cancel), &cancel));
}

#[test]
fn a_failed_call_lingers_too_and_is_then_forgotten() {
    let Ringing { mut sw, forks, .. } = ringing(1);
    let f0 = &forks[0].1;
    sw.at(Duration::from_secs(5));
    let out = sw.response(reply(f0, 486, B_TAG, None, None), f0);
    assert_eq!(out.ended(), [HangupCause::UserBusy]);
    assert_eq!(sw.b2b.call_uuids(), [(CALL, UUID.to_string())]);
    sw.run_until(Duration::from_secs(5) + LINGER - ms(1));
    assert_eq!(sw.b2b.len(), 1);
    sw.run_until(Duration::from_secs(5) + LINGER);
    assert_eq!(sw.b2b.len(), 0);
}

#[test]
fn a_session_timer_in_the_answer_ends_a_session_nobody_refreshes() {
    let se = [("Session-Expires", "120;refresher=uac")];
    let mut call = confirm(answered_with(caller_invite("z9hG4bKcaller1"), &se));
    assert_eq!(header(&call.a_ok.to_string(), "Session-Expires").as_deref(), Some("120;refresher=uac"));
    assert_eq!(call.sw.b2b.poll_timeout(), Some(call.sw.start + Duration::from_secs(120)));
    assert!(call.sw.run_until(Duration::from_secs(120) - ms(1)).is_empty());

    let fired = call.sw.run_until(Duration::from_secs(120));
    assert_eq!(fired.len(), 1);
    let out = &fired[0].1;
    assert_eq!(out.requests("BYE").len(), 2);
    assert_eq!(out.ended(), [HangupCause::RecoveryOnTimerExpire]);
}

#[test]
fn a_refresh_passing_through_restarts_the_session_timer() {
    let se = [("Session-Expires", "120;refresher=uac")];
    let mut call = confirm(answered_with(caller_invite("z9hG4bKcaller1"), &se));
    call.sw.at(Duration::from_secs(60));
    let refresh = call.a_request("INVITE", 2, "z9hG4bKrefresh", Some(&sdp("10.0.0.1", 40000, "sendrecv")));
    let refresh = with_header(&refresh, "Session-Expires", "120;refresher=uac");
    let key = server_key(&refresh);
    let (_, out) = call.sw.request(refresh, udp(A_ADDR));
    let (_, to_b) = out.request("INVITE");
    assert_eq!(header(&to_b.to_string(), "Session-Expires").as_deref(), Some("120;refresher=uac"));
    let ok = reply_with(&to_b, 200, B_TAG, None, &se, Some(&sdp("10.0.0.2", 30000, "sendrecv")));
    let out = call.sw.response(ok, &to_b);
    assert_eq!(header(&out.response(&key).to_string(), "Session-Expires").as_deref(), Some("120;refresher=uac"));

    assert!(call.sw.run_until(Duration::from_secs(180) - ms(1)).is_empty(), "the refresh moved the deadline");
    let fired = call.sw.run_until(Duration::from_secs(180));
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0].1.ended(), [HangupCause::RecoveryOnTimerExpire]);
}

#[test]
fn a_session_interval_the_callee_did_not_accept_is_not_enforced() {
    // RFC 4028 §7.2: a 2xx without Session-Expires means no session
    // expiration, so the caller will not refresh.
    let invite = with_header(&caller_invite("z9hG4bKcaller1"), "Session-Expires", "1800");
    let mut call = confirm(answered_with(invite, &[]));
    assert_eq!(header(&call.b_invite.to_string(), "Session-Expires").as_deref(), Some("1800"));
    assert_eq!(header(&call.a_ok.to_string(), "Session-Expires"), None);
    assert_eq!(call.sw.b2b.poll_timeout(), None);
    assert!(call.sw.run_until(Duration::from_secs(4 * 3600)).is_empty());
}
