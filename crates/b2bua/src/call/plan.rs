//! Calls whose callee the switch looks for step by step (forwarding,
//! follow-me, hunt groups, voicemail): A rings while the driver decides.
//! Each [`Call::ring`] forks B to one step's targets for that step's ring
//! time; when nobody answers the call does not fail but reports
//! [`Command::Unanswered`] and waits for the next step, a refusal, or the
//! switch answering A itself.

use std::time::{Duration, Instant};

use super::{Call, Dialled, Invited, State, Target, contact};
use crate::build;
use crate::{B2buaConfig, Command, HangupCause, NewCall, Side};

impl Call {
    /// A phone's call whose callee is not known yet: A gets 100 Trying and
    /// waits for [`Call::ring`], [`Call::refuse_waiting`] or
    /// [`Call::answer_waiting`].
    pub(crate) fn start_planned(now: Instant, cfg: &B2buaConfig, new: NewCall) -> (Call, Vec<Command>) {
        let (mut call, invite, key, out) = Call::of_invite(now, cfg, new);
        call.a.invited = Some(Invited { key, invite });
        call.hunting = true;
        call.awaiting = true;
        (call, out)
    }

    /// Whether the call waits for its next step.
    pub(crate) fn is_awaiting(&self) -> bool {
        self.awaiting && self.state == State::Ringing
    }

    /// Forks B to `targets` with A's offer, for at most `ring_for`, shown
    /// `caller_id` (a name-addr without tag) when given. B is a new dialog
    /// each time, so a phone rung again by a later step sees a new call.
    pub(crate) fn ring(
        &mut self,
        now: Instant,
        cfg: &B2buaConfig,
        targets: Vec<Target>,
        ring_for: Duration,
        caller_id: Option<&str>,
    ) -> Vec<Command> {
        if !self.is_awaiting() {
            return Vec::new();
        }
        let Some(invited) = &self.a.invited else { return Vec::new() };
        let invite = invited.invite.clone();
        let from = caller_id.map_or_else(|| build::without_tag(&build::from_value(&invite)), str::to_owned);
        self.b = Dialled::new(&from, &voxide_sip::response::random_token(), targets);
        self.fresh_branches.extend(self.b.forks.iter().map(|f| f.branch.clone()));
        self.awaiting = false;
        self.ring_deadline = now + ring_for;
        if self.b.forks.is_empty() {
            return self.unanswered(480, HangupCause::UserNotRegistered);
        }
        let anchored = self.anchored_body(&invite.headers, &invite.body, Side::B);
        let body = self.initial_offer(anchored);
        let extra = self.dial_headers(build::passed_headers(&invite.headers));
        let max_forwards = super::max_forwards(&invite).saturating_sub(1);
        self.invite_forks(cfg, Side::B, max_forwards, extra, body)
    }

    /// Nobody answered this step: wait for the driver's next word.
    pub(super) fn unanswered(&mut self, status: u16, cause: HangupCause) -> Vec<Command> {
        self.awaiting = true;
        vec![Command::Unanswered { call: self.id, status, cause }]
    }

    /// The plan gave up: A gets `status`.
    pub(crate) fn refuse_waiting(
        &mut self,
        now: Instant,
        cfg: &B2buaConfig,
        status: u16,
        cause: HangupCause,
    ) -> Vec<Command> {
        if !self.is_awaiting() {
            return Vec::new();
        }
        self.fail_a_with(cfg, status, cause, now)
    }

    /// The switch answers A itself (voicemail, a menu): a 200 answering A's
    /// offer; then the call is one the switch talks to alone, which
    /// [`Call::bridge`] can still connect to someone.
    pub(crate) fn answer_waiting(&mut self, now: Instant, cfg: &B2buaConfig) -> Vec<Command> {
        if !self.is_awaiting() {
            return Vec::new();
        }
        let Some(invited) = &self.a.invited else { return Vec::new() };
        let (key, invite) = (invited.key.clone(), invited.invite.clone());
        let offer = self.sdp_of(&invite.body, &invite.headers).map(|(_, sdp)| sdp);
        let Some((body, a)) = offer.and_then(|o| self.local_answer(&o, None)) else {
            return self.fail_a_with(cfg, 488, HangupCause::IncompatibleDestination, now);
        };
        self.hunting = false;
        self.awaiting = false;
        self.answered_here = true;
        self.a_settled = Some(a);
        let from = build::without_tag(&self.b.local);
        self.b = Dialled::new(&from, &voxide_sip::response::random_token(), Vec::new());
        let contact_uri = contact(cfg, &self.a_user(), self.a.flow);
        let mut ok =
            build::response(&invite, 200, &self.a.local_tag, Some(&contact_uri), Some(("application/sdp", body)));
        voxide_sip::response::add_header(&mut ok, rsip::Header::Other("X-Call-UUID".into(), self.uuid.clone()));
        voxide_sip::response::add_header(&mut ok, rsip::Header::Other("Allow".into(), voxide_sip::ALLOW.into()));
        self.ok_response = Some(ok.clone());
        self.ok_retransmit = Some((now + cfg.t1, cfg.t1, now + cfg.t1 * 64));
        let mut out = vec![Command::Respond { key, response: ok }];
        out.extend(self.parked());
        self.state = State::Answered;
        out
    }
}
