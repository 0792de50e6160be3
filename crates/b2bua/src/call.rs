//! One call: leg A (the caller's dialog) and leg B (the callee's, we are
//! its UAC, forked to every target until one answers). A phone's call
//! starts with its INVITE (we are A's UAS); a call the switch places
//! itself dials A the way it dials B, and dials B once A has answered.

use std::time::{Duration, Instant};

use rsip::{Request, Response};
use voxide_sdp::{Direction, Sdp};
use voxide_sip::transaction::TransactionKey;

use crate::build::{self, Flow};
use crate::cause::{self, HangupCause};
use crate::{B2buaConfig, Command, NewCall, Side};

/// How long an ended call lingers to ACK and BYE a late 2xx from a fork.
const LINGER: Duration = Duration::from_secs(32);

/// One place to send the INVITE.
#[derive(Debug, Clone)]
pub struct Target {
    /// Request-URI (a registered Contact, or the trunk's URI).
    pub uri: String,
    /// To header value.
    pub to: String,
    pub flow: Flow,
    /// Digest credentials (user, password) for a target that challenges
    /// (a carrier's trunk).
    pub credentials: Option<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Ringing,
    /// 2xx sent to A, waiting for its ACK.
    Answered,
    Confirmed,
    /// Over; lingering for late messages.
    Ended,
    Gone,
}

/// A's own INVITE, which we answer through `key`.
pub(crate) struct Invited {
    pub(crate) key: TransactionKey,
    pub(crate) invite: Request,
}

pub(crate) struct LegA {
    /// `None` when the switch dialled A (see `Call::a_dialled`).
    pub(crate) invited: Option<Invited>,
    pub(crate) call_id: String,
    pub(crate) flow: Flow,
    /// Our tag in A's dialog: our To-tag when A called, our From-tag
    /// when the switch dialled A.
    local_tag: String,
    /// A's end of the dialog, with its tag (its From when it called, its
    /// To when we dialled it): the To of requests we send A.
    remote: String,
    /// Our end, with our tag: the From of requests we send A.
    local: String,
    target: String,
    route: Vec<String>,
    cseq: u32,
}

pub(crate) struct Fork {
    pub(crate) branch: String,
    target: Target,
    provisional: bool,
    final_status: Option<u16>,
    cancel_pending: bool,
    /// The INVITE as last sent (for CANCEL and for answering a challenge).
    invite: Option<Request>,
    cseq: u32,
    /// Whether a digest challenge was already answered (only once).
    authenticated: bool,
}

/// A leg the switch dials: its INVITE forked to every target until one
/// answers (we are the UAC). Always leg B; leg A too when the switch
/// placed the call.
#[derive(Default)]
pub(crate) struct Dialled {
    pub(crate) call_id: String,
    pub(crate) forks: Vec<Fork>,
    winner: Option<usize>,
    /// Whether a fork has rung yet (reported once).
    rang: bool,
    /// Our From value (with our tag).
    local: String,
    /// The answerer's To value with its tag, once answered.
    remote: String,
    target: String,
    route: Vec<String>,
    cseq: u32,
}

/// A request relayed from one leg to the other, waiting for its answer.
struct Pending {
    from: Side,
    key: TransactionKey,
    request: Request,
    branch: String,
}

pub(crate) struct Call {
    pub(crate) id: u64,
    pub(crate) uuid: String,
    state: State,
    pub(crate) a: LegA,
    /// A's INVITE when the switch placed the call; no forks otherwise.
    pub(crate) a_dialled: Dialled,
    pub(crate) b: Dialled,
    /// Who B is, for a call the switch placed: dialled once A answers.
    bridge_to: Option<Vec<Target>>,
    media_ports: (u16, u16),
    media_ip: std::net::IpAddr,
    /// Session version of the last SDP sent toward A and toward B: each
    /// peer sees its own sequence go up by one (RFC 3264 §8).
    sdp_version: [u64; 2],
    ring_deadline: Instant,
    /// Retransmission of our 2xx to A until its ACK: (next, interval, give up).
    ok_retransmit: Option<(Instant, Duration, Instant)>,
    ok_response: Option<Response>,
    /// RFC 4028: the negotiated session interval and when it runs out
    /// unless a refresh (re-INVITE or UPDATE) passes through.
    session_interval: Option<Duration>,
    /// A's first offer (codecs and payload types), and what each side
    /// settled on once B answered.
    a_offer: Option<voxide_sdp::Sdp>,
    /// What A answered to the switch's own offer (a call the switch
    /// placed): A keeps it whatever B answers, and the relay transcodes.
    a_settled: Option<voxide_sdp::LegFormat>,
    formats: Option<media::Formats>,
    /// What A was given in the switch's own early-media 183, if it was.
    early_a: Option<voxide_sdp::LegFormat>,
    /// A's INVITE has its 2xx from the switch itself (a hosted menu), or
    /// from a B that was since transferred away.
    answered_here: bool,
    /// B's REFER awaits its outcome (the NOTIFY that ends it).
    refer_pending: bool,
    /// The switch looks for the callee step by step: B failing is
    /// reported ([`Command::Unanswered`]) instead of ending the call.
    hunting: bool,
    /// Unanswered was reported (or nothing rung yet): the next step is
    /// the driver's.
    awaiting: bool,
    session_deadline: Option<Instant>,
    pending: Vec<Pending>,
    ended_at: Option<Instant>,
    /// Branches created since the manager last looked.
    fresh_branches: Vec<String>,
}

impl Call {
    /// A call with no messages exchanged yet.
    fn new(now: Instant, cfg: &B2buaConfig, id: u64, uuid: String, a: LegA, b: Dialled, ports: (u16, u16)) -> Self {
        Call {
            id,
            uuid,
            state: State::Ringing,
            a,
            a_dialled: Dialled::default(),
            b,
            bridge_to: None,
            media_ports: ports,
            media_ip: cfg.media_ip,
            sdp_version: [1, 1],
            ring_deadline: now + cfg.ring_timeout,
            ok_retransmit: None,
            ok_response: None,
            session_interval: None,
            a_offer: None,
            a_settled: None,
            formats: None,
            early_a: None,
            answered_here: false,
            refer_pending: false,
            hunting: false,
            awaiting: false,
            session_deadline: None,
            pending: Vec::new(),
            ended_at: None,
            fresh_branches: Vec::new(),
        }
    }

    /// A call whose A leg is a phone's INVITE (answered with 100 Trying);
    /// B is to be dialled to `targets`.
    fn of_invite(now: Instant, cfg: &B2buaConfig, new: NewCall) -> (Call, Request, TransactionKey, Vec<Command>) {
        let a_from = build::from_value(&new.invite);
        let a_to = build::to_value(&new.invite);
        let local_tag = voxide_sip::response::random_token();
        let a = LegA {
            call_id: build::call_id(&new.invite),
            flow: new.a_flow,
            local: format!("{a_to};tag={local_tag}"),
            remote: a_from.clone(),
            target: build::contact_uri(&new.invite.headers).unwrap_or_else(|| new.invite.uri.to_string()),
            route: build::record_route(&new.invite.headers),
            local_tag,
            cseq: 0,
            invited: None,
        };
        let b_tag = voxide_sip::response::random_token();
        let b = Dialled::new(&build::without_tag(&a_from), &b_tag, new.targets);
        let call = Call::new(now, cfg, new.id, new.call_uuid, a, b, new.media_ports);
        let invite = new.invite;
        let mut out =
            vec![Command::Respond { key: new.key.clone(), response: voxide_sip::response_to(&invite, 100, "") }];
        if let Some((addr, _)) = call.sdp_of(&invite.body, &invite.headers) {
            out.push(Command::MediaRemote { call: call.id, side: Side::A, addr });
        }
        (call, invite, new.key, out)
    }

    /// A phone's call answered by the switch itself: 200 with an answer to
    /// A's offer (488 when it offers nothing the media engine can play).
    pub(crate) fn answer_here(now: Instant, cfg: &B2buaConfig, new: NewCall) -> (Call, Vec<Command>) {
        let (mut call, invite, key, mut out) = Call::of_invite(now, cfg, new);
        let offer = call.sdp_of(&invite.body, &invite.headers).map(|(_, sdp)| sdp);
        let answer = offer.and_then(|o| call.local_answer(&o, None));
        call.a.invited = Some(Invited { key: key.clone(), invite });
        let Some((body, a)) = answer else {
            out.extend(call.fail_a_with(cfg, 488, HangupCause::IncompatibleDestination, now));
            return (call, out);
        };
        call.answered_here = true;
        call.a_settled = Some(a);
        let contact_uri = contact(cfg, &call.a_user(), call.a.flow);
        let Some(invited) = &call.a.invited else { return (call, out) };
        let mut ok = build::response(
            &invited.invite,
            200,
            &call.a.local_tag,
            Some(&contact_uri),
            Some(("application/sdp", body)),
        );
        voxide_sip::response::add_header(&mut ok, rsip::Header::Other("X-Call-UUID".into(), call.uuid.clone()));
        voxide_sip::response::add_header(&mut ok, rsip::Header::Other("Allow".into(), voxide_sip::ALLOW.into()));
        call.ok_response = Some(ok.clone());
        call.ok_retransmit = Some((now + cfg.t1, cfg.t1, now + cfg.t1 * 64));
        out.push(Command::Respond { key, response: ok });
        out.extend(call.parked());
        // Confirmed once A's ACK arrives.
        call.state = State::Answered;
        (call, out)
    }

    /// A phone's call: forks its INVITE to every target.
    pub(crate) fn start(now: Instant, cfg: &B2buaConfig, new: NewCall) -> (Call, Vec<Command>) {
        let (mut call, invite, key, mut out) = Call::of_invite(now, cfg, new);
        let anchored = call.anchored_body(&invite.headers, &invite.body, Side::B);
        let body = call.initial_offer(anchored);
        let extra = call.dial_headers(build::passed_headers(&invite.headers));
        let max_forwards = max_forwards(&invite).saturating_sub(1);
        call.a.invited = Some(Invited { key, invite });
        out.extend(call.invite_forks(cfg, Side::B, max_forwards, extra, body));
        if call.b.forks.is_empty() {
            out.extend(call.fail_a(cfg, HangupCause::UserNotRegistered, now));
        }
        (call, out)
    }

    pub(crate) fn finished(&self) -> bool {
        self.state == State::Gone
    }

    /// Branches created since the last call, for the manager's index.
    pub(crate) fn take_new_branches(&mut self) -> Vec<String> {
        std::mem::take(&mut self.fresh_branches)
    }

    pub(crate) fn next_timeout(&self) -> Option<Instant> {
        match self.state {
            State::Ringing if self.awaiting => None,
            State::Ringing => Some(self.ring_deadline),
            // Giving up on A's ACK need not wait for the next retransmission.
            State::Answered => self.ok_retransmit.map(|(next, _, give_up)| next.min(give_up)),
            State::Ended => self.ended_at.map(|t| t + LINGER),
            State::Confirmed => self.session_deadline,
            State::Gone => None,
        }
    }

    pub(crate) fn on_timer(&mut self, now: Instant, cfg: &B2buaConfig) -> Vec<Command> {
        match self.state {
            State::Ringing if now >= self.ring_deadline && !self.awaiting => {
                let mut out = self.cancel_forks(cfg, Side::B);
                if self.hunting {
                    out.extend(self.unanswered(480, HangupCause::NoAnswer));
                } else {
                    out.extend(self.fail_a(cfg, HangupCause::NoAnswer, now));
                }
                out
            }
            State::Answered => {
                let Some((next, interval, give_up)) = self.ok_retransmit else { return Vec::new() };
                if now >= give_up {
                    // A never ACKed our 2xx (RFC 3261 §13.3.1.4): end the call.
                    return self.hangup(now, cfg, HangupCause::RecoveryOnTimerExpire);
                }
                if now < next {
                    return Vec::new();
                }
                let interval = (interval * 2).min(Duration::from_secs(4));
                self.ok_retransmit = Some((now + interval, interval, give_up));
                match (&self.ok_response, &self.a.invited) {
                    (Some(r), Some(a)) => vec![Command::Respond { key: a.key.clone(), response: r.clone() }],
                    _ => Vec::new(),
                }
            }
            State::Confirmed if self.session_deadline.is_some_and(|t| now >= t) => {
                // Nobody refreshed the session in time (RFC 4028 §10).
                self.hangup(now, cfg, HangupCause::RecoveryOnTimerExpire)
            }
            State::Ended if self.ended_at.is_some_and(|t| now >= t + LINGER) => {
                self.state = State::Gone;
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    /// The caller gave up while ringing.
    pub(crate) fn on_cancel(
        &mut self,
        now: Instant,
        cfg: &B2buaConfig,
        key: TransactionKey,
        cancel: &Request,
    ) -> Vec<Command> {
        let mut out = vec![Command::Respond { key, response: voxide_sip::response_to(cancel, 200, &self.a.local_tag) }];
        // A late CANCEL for an INVITE answered long ago (the switch is now
        // ringing a transfer or bridge target) changes nothing.
        if self.state == State::Ringing && !self.a_is_up() {
            out.extend(self.cancel_forks(cfg, Side::B));
            out.extend(self.fail_a(cfg, HangupCause::OriginatorCancel, now));
        }
        out
    }

    pub(crate) fn hangup(&mut self, now: Instant, cfg: &B2buaConfig, cause: HangupCause) -> Vec<Command> {
        match self.state {
            State::Ringing => {
                let mut out = self.cancel_forks(cfg, Side::B);
                out.extend(self.fail_a(cfg, cause, now));
                out
            }
            State::Answered | State::Confirmed => {
                let mut out = Vec::new();
                out.extend(self.bye(cfg, Side::A));
                out.extend(self.bye(cfg, Side::B));
                out.extend(self.end(now, cause));
                out
            }
            State::Ended | State::Gone => Vec::new(),
        }
    }
}

mod dialled;
mod dialog;
mod media;
mod plan;
mod responses;

/// Our Contact URI toward a flow.
fn contact(cfg: &B2buaConfig, user: &str, flow: Flow) -> String {
    match flow.transport {
        voxide_sip::Transport::Udp => format!("sip:{user}@{}", cfg.sip_addr),
        voxide_sip::Transport::Tcp => format!("sip:{user}@{};transport=tcp", cfg.sip_addr),
    }
}

fn max_forwards(req: &Request) -> u32 {
    use rsip::prelude::*;
    req.max_forwards_header().ok().and_then(|m| m.num().ok()).unwrap_or(70)
}

/// The interval of a `Session-Expires` header (RFC 4028 §4), in seconds.
fn session_expires(headers: &rsip::Headers) -> Option<Duration> {
    let value = build::other_header(headers, "session-expires").or_else(|| build::other_header(headers, "x"))?;
    let secs: u64 = value.split(';').next()?.trim().parse().ok()?;
    (secs >= 90).then(|| Duration::from_secs(secs))
}

/// Whether an SDP body puts the stream on hold. Both the offer and the
/// answer say so: the answer to a `sendonly` hold is `recvonly`.
fn is_hold(sdp: &Sdp, index: usize) -> bool {
    sdp.direction(index) != Direction::SendRecv || sdp.connection(index).is_some_and(|ip| ip.is_unspecified())
}

pub(crate) use cause::best_failure;
