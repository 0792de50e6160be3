//! Calls the switch places itself (click-to-call): the device (A) is rung
//! first with the switch's own offer, the target (B) only once the device
//! answers, and the two are bridged; failures on either side end both.

use voxide_sdp::{AudioCodec, LegFormat, Sdp};

use super::*;
use crate::{Originate, Then};

/// What the device is shown as the caller: the number it will talk to.
const SHOWN_TO_A: &str = "\"18005550100\" <sip:18005550100@voxide.test>";
/// What the target is shown as the caller: the device's extension.
const SHOWN_TO_B: &str = "<sip:1001@voxide.test>";
const A_TAG: &str = "dev-tag";

/// The device's registered contacts (a phone may register twice).
const DEVICES: [(&str, &str); 2] = [(A_ADDR, A_CONTACT), ("10.0.0.9:5062", "sip:1001@10.0.0.9:5062")];

fn targets(list: &[(&str, &str)], to: &str) -> Vec<Target> {
    list.iter()
        .map(|(addr, contact)| Target { uri: contact.to_string(), to: to.into(), flow: udp(addr), credentials: None })
        .collect()
}

/// A call placed to `devices`, bridged to one target once answered.
struct Placed {
    sw: Switch,
    /// The INVITE each device received.
    a_invites: Vec<(Flow, Request)>,
    start: Out,
}

fn place(devices: &[(&str, &str)], ring_timeout_start: Duration) -> Placed {
    let mut sw = Switch::new();
    sw.at(ring_timeout_start);
    sw.b2b.originate(
        sw.now,
        Originate {
            id: CALL,
            call_uuid: UUID.into(),
            a_targets: targets(devices, "<sip:1001@voxide.test>"),
            a_caller_id: SHOWN_TO_A.into(),
            media_ports: (PORT_A, PORT_B),
            then: Then::Bridge {
                targets: targets(&FORKS[..1], "<sip:1002@voxide.test>"),
                caller_id: SHOWN_TO_B.into(),
            },
        },
    );
    let start = sw.out();
    let a_invites = start.requests("INVITE");
    Placed { sw, a_invites, start }
}

/// A call whose device answered: B is being dialled.
struct DeviceUp {
    sw: Switch,
    a_invite: Request,
    a_ok: Response,
    /// What answering produced, and B's INVITE in it.
    out: Out,
    b_invite: Request,
}

fn device_up() -> DeviceUp {
    device_up_at(Duration::ZERO)
}

/// [`device_up`], the device answering `at` after the call was placed.
fn device_up_at(at: Duration) -> DeviceUp {
    let Placed { mut sw, a_invites, .. } = place(&DEVICES[..1], Duration::ZERO);
    let a_invite = a_invites[0].1.clone();
    sw.response(reply(&a_invite, 180, A_TAG, Some(A_CONTACT), None), &a_invite);
    sw.at(at);
    let a_ok = reply(&a_invite, 200, A_TAG, Some(A_CONTACT), Some(&sdp("10.0.0.1", 40000, "sendrecv")));
    let out = sw.response(a_ok.clone(), &a_invite);
    let b_invite = out.request("INVITE").1;
    DeviceUp { sw, a_invite, a_ok, out, b_invite }
}

/// A bridged call: both answered.
struct Bridged {
    up: DeviceUp,
    b_ok: Response,
}

fn bridged() -> Bridged {
    let mut up = device_up();
    let b = &up.b_invite;
    up.sw.response(reply(b, 180, B_TAG, Some(B_CONTACT), None), b);
    // The target speaks only PCMA: the relay must transcode.
    let pcma = sdp("10.0.0.2", 30000, "sendrecv").replace("RTP/AVP 0 8 101", "RTP/AVP 8 101");
    let b_ok = reply(b, 200, B_TAG, Some(B_CONTACT), Some(&pcma));
    assert!(up.sw.response(b_ok.clone(), b).answered());
    Bridged { up, b_ok }
}

impl DeviceUp {
    /// An in-dialog request from the device.
    fn device_request(&self, method: &str, cseq: u32, branch: &str) -> Request {
        Answerer { invite: &self.a_invite, ok: &self.a_ok, addr: A_ADDR, contact: A_CONTACT }
            .request(method, cseq, branch, None)
    }
}

impl Out {
    fn codecs(&self) -> Vec<(LegFormat, LegFormat)> {
        self.0
            .iter()
            .filter_map(|c| match c {
                Command::MediaCodecs { call: CALL, a, b } => Some((*a, *b)),
                _ => None,
            })
            .collect()
    }

    fn rang(&self) -> Vec<Side> {
        self.0
            .iter()
            .filter_map(|c| match c {
                Command::Ringing { call: CALL, side } => Some(*side),
                _ => None,
            })
            .collect()
    }

    /// Whether anything answers a server transaction (there is none to
    /// answer on a call the switch placed).
    fn responds(&self) -> bool {
        self.0.iter().any(|c| matches!(c, Command::Respond { .. }))
    }
}

/// Codecs (name, payload type) of an SDP body's audio stream.
fn offered(body: &[u8]) -> Vec<(String, u8)> {
    let sdp = Sdp::parse(body).expect("SDP parses");
    sdp.codecs(sdp.audio_index().expect("audio")).into_iter().map(|c| (c.name, c.payload_type)).collect()
}

fn own_offer_codecs() -> Vec<(String, u8)> {
    [("PCMU", 0), ("PCMA", 8), ("OPUS", 96), ("TELEPHONE-EVENT", 101)].map(|(n, pt)| (n.to_string(), pt)).to_vec()
}

#[test]
fn the_device_rings_first_with_the_switchs_own_offer_and_nothing_else_is_dialled() {
    let Placed { mut sw, a_invites, start } = place(&DEVICES[..1], Duration::ZERO);
    assert_eq!(a_invites.len(), 1, "{start:?}");
    assert!(!start.responds() && start.ended().is_empty());
    let (flow, invite) = &a_invites[0];
    let text = invite.to_string();
    assert_eq!((*flow, invite.uri.to_string()), (udp(A_ADDR), A_CONTACT.to_string()));
    let from = header(&text, "From").unwrap();
    assert!(from.starts_with(&format!("{SHOWN_TO_A};tag=")), "{from}");
    assert_eq!(header(&text, "To").as_deref(), Some("<sip:1001@voxide.test>"));
    assert_eq!(cseq_of(&text), (1, "INVITE".into()));
    assert_eq!(header(&text, "X-Call-UUID").as_deref(), Some(UUID));
    assert_eq!(header(&text, "Contact").as_deref(), Some("<sip:voxide@192.0.2.10:5060>"));
    assert_eq!(audio(&invite.body), (media_ip(), PORT_A, Direction::SendRecv));
    assert_eq!(offered(&invite.body), own_offer_codecs());

    // The device rings: reported once, and still nothing goes to B.
    let ring = sw.response(reply(invite, 180, A_TAG, Some(A_CONTACT), None), invite);
    assert_eq!(ring.rang(), [Side::A]);
    assert!(ring.requests("INVITE").is_empty() && !ring.responds(), "{ring:?}");
    assert!(sw.response(reply(invite, 180, A_TAG, Some(A_CONTACT), None), invite).rang().is_empty());
}

#[test]
fn the_target_is_dialled_once_the_device_answers_and_both_answers_settle_the_relay() {
    let DeviceUp { a_invite, a_ok, out, b_invite, mut sw } = device_up();
    // The device's 200 is ACKed at its Contact, in its dialog.
    let (flow, ack) = out.acks().remove(0);
    let ack_text = ack.to_string();
    assert_eq!((flow, ack.uri.to_string()), (udp(A_ADDR), A_CONTACT.to_string()));
    assert_eq!(tag(&header(&ack_text, "To").unwrap()), A_TAG);
    assert_eq!(header(&ack_text, "Call-ID"), header(&a_invite.to_string(), "Call-ID"));
    assert_eq!(cseq_of(&ack_text), (1, "ACK".into()));
    assert_eq!(out.media_remote(Side::A), ["10.0.0.1:40000".parse().unwrap()]);
    // The relay stays held (no media timeout) and unanswered until B answers.
    assert!(out.holds().is_empty() && out.codecs().is_empty() && !out.answered(), "{out:?}");
    assert!(!out.responds());
    assert_eq!(crate::build::status(&a_ok), 200);

    let text = b_invite.to_string();
    assert_eq!(b_invite.uri.to_string(), B_CONTACT);
    assert!(header(&text, "From").unwrap().starts_with(&format!("{SHOWN_TO_B};tag=")), "{text}");
    assert_eq!(header(&text, "To").as_deref(), Some("<sip:1002@voxide.test>"));
    assert_ne!(header(&text, "Call-ID"), header(&a_invite.to_string(), "Call-ID"), "a dialog of its own");
    assert_eq!(header(&text, "X-Call-UUID").as_deref(), Some(UUID));
    assert_eq!(audio(&b_invite.body), (media_ip(), PORT_B, Direction::SendRecv));
    assert_eq!(offered(&b_invite.body), own_offer_codecs());

    let ring = sw.response(reply(&b_invite, 180, B_TAG, Some(B_CONTACT), None), &b_invite);
    assert_eq!(ring.rang(), [Side::B]);
    assert!(!ring.responds(), "nothing is relayed to a device that already answered: {ring:?}");

    let pcma = sdp("10.0.0.2", 30000, "sendrecv").replace("RTP/AVP 0 8 101", "RTP/AVP 8 101");
    let out = sw.response(reply(&b_invite, 200, B_TAG, Some(B_CONTACT), Some(&pcma)), &b_invite);
    let (flow, ack) = out.acks().remove(0);
    assert_eq!((flow, tag(&header(&ack.to_string(), "To").unwrap())), (udp(B_ADDR), B_TAG.to_string()));
    assert_eq!(out.media_remote(Side::B), ["10.0.0.2:30000".parse().unwrap()]);
    assert_eq!(out.holds(), [false]);
    // The device answered PCMU, the target PCMA: the relay transcodes.
    let pcmu = LegFormat { audio: Some((AudioCodec::Pcmu, 0)), dtmf: Some(101) };
    let alaw = LegFormat { audio: Some((AudioCodec::Pcma, 8)), dtmf: Some(101) };
    assert_eq!(out.codecs(), [(pcmu, alaw)]);
    assert!(out.answered() && !out.responds() && out.ended().is_empty(), "{out:?}");
    assert_eq!(sw.b2b.poll_timeout(), None, "a bridged call has no timers");
}

#[test]
fn a_busy_device_ends_the_call_as_user_busy_and_the_target_is_never_dialled() {
    let Placed { mut sw, a_invites, .. } = place(&DEVICES[..1], Duration::ZERO);
    let invite = &a_invites[0].1;
    let out = sw.response(reply(invite, 486, A_TAG, None, None), invite);
    assert_eq!(out.ended(), [HangupCause::UserBusy]);
    assert!(out.requests("INVITE").is_empty() && !out.responds(), "{out:?}");
    // Nothing is left to time out but the linger of an ended call.
    assert!(sw.run_until(LINGER + Duration::from_secs(1)).iter().all(|(_, o)| o.is_empty()));
    assert!(sw.b2b.is_empty());
}

#[test]
fn a_device_with_no_contact_ends_at_once_as_not_registered() {
    let Placed { start, a_invites, .. } = place(&[], Duration::ZERO);
    assert!(a_invites.is_empty());
    assert_eq!(start.ended(), [HangupCause::UserNotRegistered]);
}

#[test]
fn an_unanswered_device_is_cancelled_at_the_ring_timeout() {
    let Placed { mut sw, a_invites, .. } = place(&DEVICES[..1], Duration::from_secs(5));
    let invite = &a_invites[0].1;
    sw.response(reply(invite, 180, A_TAG, Some(A_CONTACT), None), invite);
    let fired = sw.run_until(Duration::from_secs(5) + RING_TIMEOUT);
    assert_eq!(fired.len(), 1);
    let (at, out) = &fired[0];
    assert_eq!(*at, Duration::from_secs(5) + RING_TIMEOUT);
    let (flow, cancel) = out.request("CANCEL");
    assert_eq!((flow, client_key(&cancel).branch()), (udp(A_ADDR), client_key(invite).branch()));
    assert_eq!(out.ended(), [HangupCause::NoAnswer]);
    assert!(out.requests("INVITE").is_empty());
    // The device's 487 to the INVITE changes nothing.
    assert!(sw.response(reply(invite, 487, A_TAG, None, None), invite).is_empty());
}

#[test]
fn the_first_device_contact_to_answer_wins_and_a_late_one_is_hung_up() {
    let Placed { mut sw, a_invites, .. } = place(&DEVICES, Duration::ZERO);
    assert_eq!(a_invites.len(), 2, "every contact of the device rings");
    let (first, second) = (&a_invites[0].1, &a_invites[1].1);
    sw.response(reply(second, 180, "second", Some(DEVICES[1].1), None), second);
    let out = sw.response(reply(first, 200, A_TAG, Some(A_CONTACT), Some(&sdp("10.0.0.1", 40000, "sendrecv"))), first);
    let (flow, cancel) = out.request("CANCEL");
    assert_eq!((flow, client_key(&cancel).branch()), (udp(DEVICES[1].0), client_key(second).branch()));
    assert_eq!(out.requests("INVITE").len(), 1, "B is dialled once");
    // The cancelled contact's 487 does not fail the call the first one answered.
    assert!(sw.response(reply(second, 487, "second", None, None), second).ended().is_empty());
    // Nor does a second answer (it crossed our CANCEL): ACKed and hung up.
    let late =
        sw.response(reply(second, 200, "late", Some(DEVICES[1].1), Some(&sdp("10.0.0.9", 41000, "sendrecv"))), second);
    let (flow, bye) = late.request("BYE");
    assert_eq!((flow, tag(&header(&bye.to_string(), "To").unwrap())), (udp(DEVICES[1].0), "late".to_string()));
    assert_eq!(late.acks().len(), 1);
    assert!(late.ended().is_empty() && late.media_remote(Side::A).is_empty(), "{late:?}");
}

#[test]
fn a_busy_target_hangs_up_the_device_with_the_targets_cause() {
    let DeviceUp { mut sw, a_invite, a_ok, b_invite, .. } = device_up();
    let out = sw.response(reply(&b_invite, 486, B_TAG, None, None), &b_invite);
    let (flow, bye) = out.request("BYE");
    let text = bye.to_string();
    let sent = a_invite.to_string();
    assert_eq!((flow, bye.uri.to_string()), (udp(A_ADDR), A_CONTACT.to_string()));
    assert_eq!(header(&text, "Call-ID"), header(&sent, "Call-ID"));
    assert_eq!(header(&text, "From"), header(&sent, "From"), "our From, with our tag");
    assert_eq!(header(&text, "To"), header(&a_ok.to_string(), "To"), "the device's To, with its tag");
    assert_eq!(cseq_of(&text), (2, "BYE".into()));
    assert_eq!(out.ended(), [HangupCause::UserBusy]);
    assert!(!out.responds());
}

#[test]
fn an_unanswered_target_is_cancelled_and_the_device_hung_up_at_the_ring_timeout() {
    let answered_at = Duration::from_secs(20);
    let mut up = device_up_at(answered_at);
    let b = up.b_invite.clone();
    up.sw.response(reply(&b, 180, B_TAG, Some(B_CONTACT), None), &b);
    // The target's ring timeout counts from when it was dialled.
    assert_eq!(up.sw.b2b.poll_timeout(), Some(up.sw.start + answered_at + RING_TIMEOUT));
    assert!(up.sw.run_until(RING_TIMEOUT).is_empty());
    let fired = up.sw.run_until(answered_at + RING_TIMEOUT);
    assert_eq!(fired.len(), 1);
    let (_, out) = &fired[0];
    assert_eq!(client_key(&out.request("CANCEL").1).branch(), client_key(&b).branch());
    assert_eq!(out.request("BYE").0, udp(A_ADDR));
    assert_eq!(out.ended(), [HangupCause::NoAnswer]);
}

#[test]
fn the_device_hanging_up_while_the_target_rings_cancels_the_target() {
    let mut up = device_up();
    let b = up.b_invite.clone();
    up.sw.response(reply(&b, 180, B_TAG, Some(B_CONTACT), None), &b);
    let bye = up.device_request("BYE", 1, "z9hG4bKdevbye");
    let key = server_key(&bye);
    let (owned, out) = up.sw.request(bye, udp(A_ADDR));
    assert!(owned);
    assert_eq!(out.statuses(&key), [200]);
    assert_eq!(client_key(&out.request("CANCEL").1).branch(), client_key(&b).branch());
    assert!(out.requests("BYE").is_empty(), "the device hung up already: {out:?}");
    assert_eq!(out.ended(), [HangupCause::NormalClearing]);
}

#[test]
fn bye_from_the_device_ends_the_bridge_and_reaches_the_target() {
    let Bridged { mut up, b_ok, .. } = bridged();
    let bye = up.device_request("BYE", 1, "z9hG4bKdevbye");
    let key = server_key(&bye);
    let (owned, out) = up.sw.request(bye, udp(A_ADDR));
    assert!(owned);
    assert_eq!(out.statuses(&key), [200]);
    let (flow, to_b) = out.request("BYE");
    let text = to_b.to_string();
    assert_eq!((flow, to_b.uri.to_string()), (udp(B_ADDR), B_CONTACT.to_string()));
    assert_eq!(header(&text, "To"), header(&b_ok.to_string(), "To"));
    assert_eq!(cseq_of(&text), (2, "BYE".into()));
    assert_eq!(out.ended(), [HangupCause::NormalClearing]);
}

#[test]
fn bye_from_the_target_reaches_the_device() {
    let Bridged { mut up, b_ok, .. } = bridged();
    let target = Answerer { invite: &up.b_invite, ok: &b_ok, addr: B_ADDR, contact: B_CONTACT };
    let bye = target.request("BYE", 1, "z9hG4bKtbye", None);
    let key = server_key(&bye);
    let (owned, out) = up.sw.request(bye, udp(B_ADDR));
    assert!(owned);
    assert_eq!(out.statuses(&key), [200]);
    let (flow, to_a) = out.request("BYE");
    assert_eq!((flow, to_a.uri.to_string()), (udp(A_ADDR), A_CONTACT.to_string()));
    assert_eq!(tag(&header(&to_a.to_string(), "To").unwrap()), A_TAG);
    assert_eq!(out.ended(), [HangupCause::NormalClearing]);
}

#[test]
fn a_hangup_from_outside_reaches_whichever_legs_exist() {
    // Device still ringing: its INVITE is cancelled.
    let Placed { mut sw, a_invites, .. } = place(&DEVICES[..1], Duration::ZERO);
    let invite = &a_invites[0].1;
    sw.response(reply(invite, 180, A_TAG, Some(A_CONTACT), None), invite);
    sw.b2b.hangup(sw.now, CALL, HangupCause::ManagerRequest);
    let out = sw.out();
    assert_eq!(client_key(&out.request("CANCEL").1).branch(), client_key(invite).branch());
    assert_eq!(out.ended(), [HangupCause::ManagerRequest]);

    // Bridged: both get BYE.
    let Bridged { mut up, .. } = bridged();
    up.sw.b2b.hangup(up.sw.now, CALL, HangupCause::ManagerRequest);
    let out = up.sw.out();
    let flows: Vec<Flow> = out.requests("BYE").into_iter().map(|(f, _)| f).collect();
    assert_eq!(flows, [udp(A_ADDR), udp(B_ADDR)]);
    assert_eq!(out.ended(), [HangupCause::ManagerRequest]);
}
