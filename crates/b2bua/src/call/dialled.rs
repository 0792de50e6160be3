//! Legs the switch dials: an INVITE forked to every target until one
//! answers (always B's; A's too on a call the switch places itself), and
//! the calls it places: A is rung with the switch's own offer, and B is
//! dialled once A has answered.

use std::time::Instant;

use rsip::Response;
use voxide_sip::Transport;

use super::{Call, Dialled, Fork, LegA, State, Target, contact};
use crate::build::{self, Flow, RequestSpec};
use crate::{B2buaConfig, Command, HangupCause, Originate, Side, Then};

impl Dialled {
    /// A new dialog to `targets` from `from` (a name-addr without tag).
    pub(super) fn new(from: &str, tag: &str, targets: Vec<Target>) -> Self {
        Dialled {
            call_id: format!("{}@voxide", voxide_sip::response::random_token()),
            forks: targets.into_iter().map(Fork::new).collect(),
            winner: None,
            rang: false,
            local: format!("{from};tag={tag}"),
            remote: String::new(),
            target: String::new(),
            route: Vec::new(),
            cseq: 1,
        }
    }
}

impl Fork {
    pub(super) fn new(target: Target) -> Self {
        Fork {
            branch: build::new_branch(),
            target,
            provisional: false,
            final_status: None,
            cancel_pending: false,
            invite: None,
            cseq: 1,
            authenticated: false,
        }
    }
}

impl Call {
    /// A call the switch places: A is dialled with the switch's own offer;
    /// B only once A answers (`then`).
    pub(crate) fn originate(now: Instant, cfg: &B2buaConfig, o: Originate) -> (Call, Vec<Command>) {
        let tag = voxide_sip::response::random_token();
        let a_dialled = Dialled::new(&o.a_caller_id, &tag, o.a_targets);
        let a = LegA {
            invited: None,
            call_id: a_dialled.call_id.clone(),
            // Until A answers, the first target's; then the one that answered.
            flow: a_dialled
                .forks
                .first()
                .map_or(Flow { addr: cfg.sip_addr, transport: Transport::Udp }, |f| f.target.flow),
            local: a_dialled.local.clone(),
            remote: String::new(),
            target: String::new(),
            route: Vec::new(),
            local_tag: tag,
            cseq: 1,
        };
        let (bridge_to, caller_id) = match o.then {
            Then::Bridge { targets, caller_id } => (Some(targets), caller_id),
            Then::Park => (None, o.a_caller_id.clone()),
        };
        let b = Dialled::new(&caller_id, &voxide_sip::response::random_token(), Vec::new());
        let mut call = Call::new(now, cfg, o.id, o.call_uuid, a, b, o.media_ports);
        call.a_dialled = a_dialled;
        call.bridge_to = bridge_to;
        let offer = call.own_offer(Side::A);
        let extra = call.dial_headers(Vec::new());
        let mut out = call.invite_forks(cfg, Side::A, 70, extra, Some(offer));
        if call.a_dialled.forks.is_empty() {
            out.extend(call.fail_a(cfg, HangupCause::UserNotRegistered, now));
        }
        (call, out)
    }

    /// A answered a call the switch placed: A's dialog is the one that
    /// answered, its format is settled, and B is dialled.
    pub(super) fn a_answered(&mut self, now: Instant, cfg: &B2buaConfig, resp: &Response) -> Vec<Command> {
        let leg = &self.a_dialled;
        if let Some(w) = leg.winner {
            self.a.flow = leg.forks[w].target.flow;
        }
        self.a.remote = leg.remote.clone();
        self.a.target = leg.target.clone();
        self.a.route = leg.route.clone();
        self.a.cseq = leg.cseq;
        let mut out = Vec::new();
        // Only where A listens: the relay stays held (no media timeout)
        // until B answers too.
        if let Some((addr, sdp)) = self.sdp_of(&resp.body, &resp.headers) {
            out.push(Command::MediaRemote { call: self.id, side: Side::A, addr });
            self.a_settled = sdp.audio_index().map(|i| sdp.leg_format(i));
        }
        match self.bridge_to.take() {
            Some(targets) => out.extend(self.dial_b(now, cfg, targets)),
            None => out.extend(self.parked()),
        }
        out
    }

    /// A is up and nothing else is dialled: the switch talks to A alone,
    /// in A's own format on both sides of the relay.
    pub(super) fn parked(&mut self) -> Vec<Command> {
        self.state = State::Confirmed;
        let mut out = Vec::new();
        if let Some(a) = self.a_settled {
            self.formats = Some(super::media::Formats { a, b: a });
            out.push(Command::MediaCodecs { call: self.id, a, b: a });
        }
        out.push(Command::Answered { call: self.id });
        out
    }

    /// Dials B with the switch's own offer (A is already up).
    fn dial_b(&mut self, now: Instant, cfg: &B2buaConfig, targets: Vec<Target>) -> Vec<Command> {
        self.state = State::Ringing;
        self.ring_deadline = now + cfg.ring_timeout;
        self.b.forks = targets.into_iter().map(Fork::new).collect();
        self.fresh_branches.extend(self.b.forks.iter().map(|f| f.branch.clone()));
        let offer = self.own_offer(Side::B);
        let extra = self.dial_headers(Vec::new());
        let mut out = self.invite_forks(cfg, Side::B, 70, extra, Some(offer));
        if self.b.forks.is_empty() {
            out.extend(self.fail_a(cfg, HangupCause::UserNotRegistered, now));
        }
        out
    }

    /// Bridges a call whose only leg is up to whichever of `targets`
    /// answers first, shown `caller_id` (a name-addr without tag).
    pub(crate) fn bridge(
        &mut self,
        now: Instant,
        cfg: &B2buaConfig,
        targets: Vec<Target>,
        caller_id: &str,
    ) -> Vec<Command> {
        let alone = self.state == State::Confirmed && self.b.forks.is_empty() && self.a_is_up();
        if !alone || targets.is_empty() {
            return Vec::new();
        }
        let tag = voxide_sip::response::random_token();
        self.b.local = format!("{caller_id};tag={tag}");
        self.dial_b(now, cfg, targets)
    }

    /// Blind transfer of A (see [`crate::B2bua::transfer`]).
    pub(crate) fn transfer_a(
        &mut self,
        now: Instant,
        cfg: &B2buaConfig,
        targets: Vec<Target>,
        caller_id: &str,
    ) -> Vec<Command> {
        // A request relayed between the legs must get its answer first.
        let busy = !self.pending.is_empty();
        if self.state != State::Confirmed || targets.is_empty() || !self.has_dialog(Side::A) || busy {
            return Vec::new();
        }
        let mut out = self.refer_outcome(cfg, "200 OK");
        out.extend(self.bye(cfg, Side::B));
        // A keeps what it agreed to; the relay transcodes for the new B.
        self.a_settled = self.formats.map(|f| f.a).or(self.a_settled);
        self.answered_here = true;
        // The old B's session timer goes with it.
        self.session_interval = None;
        self.session_deadline = None;
        self.b = Dialled::new(caller_id, &voxide_sip::response::random_token(), Vec::new());
        out.extend(self.dial_b(now, cfg, targets));
        out
    }

    /// Whether A's dialog is up without waiting for B: the switch dialled
    /// A, or answered A's INVITE itself.
    pub(crate) fn a_is_up(&self) -> bool {
        self.a.invited.is_none() || self.answered_here
    }

    /// Headers of every INVITE we dial, after `passed` (from A's INVITE).
    pub(super) fn dial_headers(&self, mut passed: Vec<(String, String)>) -> Vec<(String, String)> {
        passed.push(("X-Call-UUID".into(), self.uuid.clone()));
        passed.push(("Allow".into(), voxide_sip::ALLOW.into()));
        passed.push(("Supported".into(), "timer".into()));
        passed
    }

    /// Sends `side`'s INVITE to each of its forks.
    pub(super) fn invite_forks(
        &mut self,
        cfg: &B2buaConfig,
        side: Side,
        max_forwards: u32,
        extra: Vec<(String, String)>,
        body: Option<(String, Vec<u8>)>,
    ) -> Vec<Command> {
        let Dialled { forks, local, call_id, .. } = self.dialled_mut(side);
        let mut out = Vec::new();
        for fork in forks {
            let spec = RequestSpec {
                method: "INVITE",
                uri: &fork.target.uri,
                via_host: cfg.sip_addr,
                transport: fork.target.flow.transport,
                branch: &fork.branch,
                from: local,
                to: &fork.target.to,
                call_id,
                cseq: 1,
                contact: Some(&contact(cfg, "voxide", fork.target.flow)),
                route: &[],
                max_forwards,
                extra: extra.clone(),
                body: body.as_ref().map(|(ct, b)| (ct.as_str(), b.as_slice())),
            };
            if let Some(req) = build::request(&spec) {
                fork.invite = Some(req.clone());
                out.push(Command::Request { flow: fork.target.flow, request: req });
            }
        }
        out
    }

    pub(crate) fn dialled(&self, side: Side) -> &Dialled {
        match side {
            Side::A => &self.a_dialled,
            Side::B => &self.b,
        }
    }

    pub(super) fn dialled_mut(&mut self, side: Side) -> &mut Dialled {
        match side {
            Side::A => &mut self.a_dialled,
            Side::B => &mut self.b,
        }
    }

    /// The leg and fork a client transaction's branch belongs to.
    pub(super) fn fork_of(&self, branch: &str) -> Option<(Side, usize)> {
        [Side::A, Side::B]
            .into_iter()
            .find_map(|side| self.dialled(side).forks.iter().position(|f| f.branch == branch).map(|i| (side, i)))
    }

    /// Whether `side` has a dialog a BYE can end: A's own INVITE, or an
    /// answer to one we sent.
    pub(super) fn has_dialog(&self, side: Side) -> bool {
        match side {
            Side::A => self.a.invited.is_some() || self.a_dialled.winner.is_some(),
            Side::B => self.b.winner.is_some(),
        }
    }
}
