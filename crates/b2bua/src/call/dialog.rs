//! In-dialog work: requests arriving from either leg, BYE, CANCEL, and the
//! end of a call.

use std::time::Instant;

use rsip::{Method, Request};
use voxide_media::dtmf::InfoDigit;
use voxide_sip::transaction::TransactionKey;

use super::{Call, Pending, State, contact};
use crate::build::{self, Flow, RequestSpec};
use crate::{B2buaConfig, Command, HangupCause, Side};

impl Call {
    /// A request within one of the call's dialogs. Returns whether it was
    /// ours to handle.
    pub(crate) fn on_request(
        &mut self,
        now: Instant,
        cfg: &B2buaConfig,
        key: Option<TransactionKey>,
        req: Request,
        flow: Flow,
    ) -> (bool, Vec<Command>) {
        let from = if build::call_id(&req) == self.a.call_id { Side::A } else { Side::B };
        if req.method == Method::Ack {
            if from == Side::A && self.state == State::Answered {
                self.state = State::Confirmed;
                self.ok_retransmit = None;
            }
            return (true, Vec::new());
        }
        let Some(key) = key else { return (false, Vec::new()) };
        // Requests of an ended call are answered as if the dialog is gone.
        if matches!(self.state, State::Ended | State::Gone) {
            return (false, Vec::new());
        }
        let tag = match from {
            Side::A => self.a.local_tag.clone(),
            Side::B => String::new(),
        };
        if req.method == Method::Bye {
            if !self.has_dialog(from) {
                return (false, Vec::new());
            }
            let mut out = vec![Command::Respond { key, response: voxide_sip::response_to(&req, 200, &tag) }];
            let other = if from == Side::A { Side::B } else { Side::A };
            if self.state == State::Ringing {
                out.extend(self.cancel_forks(cfg, Side::B));
                // A BYE in an early dialog still leaves the INVITE to be
                // answered (RFC 3261 §15.1.2); a dialog the switch dialled
                // is over with the BYE.
                if !self.a_is_up() {
                    out.extend(self.fail_a_with(cfg, 487, HangupCause::NormalClearing, now));
                }
            } else {
                out.extend(self.bye(cfg, other));
            }
            out.extend(self.end(now, HangupCause::NormalClearing));
            return (true, out);
        }
        if req.method == Method::Refer && from == Side::B && self.state == State::Confirmed {
            return (true, self.on_refer(key, &req));
        }
        if req.method == Method::Info
            && let Some(digit) = info_digit(&req)
        {
            return (true, self.on_info_digit(cfg, from, key, req, flow, digit));
        }
        let refresh = matches!(req.method, Method::Invite | Method::Update);
        let glare = refresh && self.pending.iter().any(|p| matches!(p.request.method, Method::Invite | Method::Update));
        if self.state == State::Ringing || glare {
            // Early-dialog target refreshes and glare: ask to retry (RFC 3261 §14.1).
            let mut r = voxide_sip::response_to(&req, 491, &tag);
            voxide_sip::response::add_header(&mut r, rsip::Header::Other("Retry-After".into(), "1".into()));
            return (true, vec![Command::Respond { key, response: r }]);
        }
        if !self.has_dialog(if from == Side::A { Side::B } else { Side::A }) {
            return (true, self.answer_alone(cfg, from, key, req, flow));
        }
        (true, self.relay_request(cfg, from, key, req, flow))
    }

    /// A request on a call whose other leg is the switch alone: a
    /// re-INVITE or UPDATE gets the switch's own answer; anything else a 200.
    fn answer_alone(
        &mut self,
        cfg: &B2buaConfig,
        from: Side,
        key: TransactionKey,
        req: Request,
        flow: Flow,
    ) -> Vec<Command> {
        if from == Side::A {
            self.a.flow = flow;
        }
        let tag = if from == Side::A { self.a.local_tag.clone() } else { String::new() };
        let mut out = self.note_sdp(from, &req.headers, &req.body);
        let offer = self.sdp_of(&req.body, &req.headers).map(|(_, sdp)| sdp);
        let answer = match offer {
            Some(offer) => match self.local_answer(&offer, self.a_settled) {
                Some((body, format)) => {
                    // A changed codec: the relay plays and hears the new one.
                    if self.a_settled != Some(format) {
                        self.a_settled = Some(format);
                        self.formats = Some(super::media::Formats { a: format, b: format });
                        out.push(Command::MediaCodecs { call: self.id, a: format, b: format });
                    }
                    Some(body)
                }
                None => {
                    out.push(Command::Respond { key, response: voxide_sip::response_to(&req, 488, &tag) });
                    return out;
                }
            },
            None => None,
        };
        if matches!(req.method, Method::Refer | Method::Subscribe) {
            out.push(Command::Respond { key, response: voxide_sip::response_to(&req, 501, &tag) });
            return out;
        }
        let refresh = matches!(req.method, Method::Invite | Method::Update);
        let contact_uri = refresh.then(|| contact(cfg, "voxide", flow));
        let r = build::response(&req, 200, &tag, contact_uri.as_deref(), answer.map(|b| ("application/sdp", b)));
        out.push(Command::Respond { key, response: r });
        out
    }

    /// A SIP INFO carrying a digit: reported, and when the other leg agreed
    /// to telephone-event, answered here and played to it as RFC 4733
    /// events; otherwise relayed as the INFO it is.
    fn on_info_digit(
        &mut self,
        cfg: &B2buaConfig,
        from: Side,
        key: TransactionKey,
        req: Request,
        flow: Flow,
        digit: InfoDigit,
    ) -> Vec<Command> {
        let to = if from == Side::A { Side::B } else { Side::A };
        let tag = if from == Side::A { self.a.local_tag.clone() } else { String::new() };
        let mut out = vec![Command::Digit {
            call: self.id,
            side: from,
            digit: digit.digit.as_char(),
            duration_ms: digit.duration_ms,
        }];
        let other = self.formats.map(|f| if to == Side::A { f.a } else { f.b });
        if !self.has_dialog(to) {
            // The switch alone is on the other end (a hosted menu): heard.
            out.push(Command::Respond { key, response: voxide_sip::response_to(&req, 200, &tag) });
        } else if other.and_then(|f| f.dtmf).is_some() {
            out.push(Command::Respond { key, response: voxide_sip::response_to(&req, 200, &tag) });
            out.push(Command::SendDigits {
                call: self.id,
                side: to,
                digits: digit.digit.as_char().to_string(),
                duration_ms: digit.duration_ms,
            });
        } else {
            out.extend(self.relay_request(cfg, from, key, req, flow));
        }
        out
    }

    /// B asks for A to be transferred (RFC 3515): accepted with 202 and
    /// handed to the driver, which routes the number and transfers (B is
    /// told `200 OK` in a NOTIFY, then hung up) or refuses (B is told why,
    /// and the call goes on). A Refer-To that names no user gets 400.
    fn on_refer(&mut self, key: TransactionKey, req: &Request) -> Vec<Command> {
        let refer_to = build::other_header(&req.headers, "refer-to").or_else(|| build::other_header(&req.headers, "r"));
        let to = refer_to.map(voxide_sip::values::uri_part).and_then(voxide_sip::values::uri_user);
        let Some(to) = to.map(str::to_string).filter(|t| !t.is_empty()) else {
            let mut r = voxide_sip::response_to(req, 400, "");
            voxide_sip::response::add_header(
                &mut r,
                rsip::Header::Other("Warning".into(), "399 voxide \"Refer-To names no number\"".into()),
            );
            return vec![Command::Respond { key, response: r }];
        };
        self.refer_pending = true;
        vec![
            Command::Respond { key, response: voxide_sip::response_to(req, 202, "") },
            Command::TransferAsked { call: self.id, side: Side::B, to },
        ]
    }

    pub(crate) fn refer_refused(&mut self, cfg: &B2buaConfig, status: &str) -> Vec<Command> {
        self.refer_outcome(cfg, status)
    }

    /// Ends a REFER's implicit subscription with a NOTIFY carrying `status`
    /// (`200 OK` when the transfer is under way), if one is pending.
    pub(super) fn refer_outcome(&mut self, cfg: &B2buaConfig, status: &str) -> Vec<Command> {
        if !std::mem::take(&mut self.refer_pending) {
            return Vec::new();
        }
        let branch = build::new_branch();
        let extra = vec![
            ("Event".to_string(), "refer".to_string()),
            ("Subscription-State".to_string(), "terminated;reason=noresource".to_string()),
        ];
        let body = Some(("message/sipfrag;version=2.0".to_string(), format!("SIP/2.0 {status}\r\n").into_bytes()));
        match self.in_dialog(cfg, Side::B, "NOTIFY", &branch, extra, body) {
            Some((request, flow)) => {
                self.fresh_branches.push(branch);
                vec![Command::Request { flow, request }]
            }
            None => Vec::new(),
        }
    }

    /// Forwards a mid-dialog request (re-INVITE, UPDATE, INFO, …) to the other leg.
    fn relay_request(
        &mut self,
        cfg: &B2buaConfig,
        from: Side,
        key: TransactionKey,
        req: Request,
        flow: Flow,
    ) -> Vec<Command> {
        let mut out = Vec::new();
        let to = if from == Side::A { Side::B } else { Side::A };
        if from == Side::A {
            self.a.flow = flow;
        }
        out.extend(self.note_sdp(from, &req.headers, &req.body));
        let body = self.anchored_body(&req.headers, &req.body, to);
        let branch = build::new_branch();
        let extra = build::passed_headers(&req.headers);
        let Some((request, dest)) = self.in_dialog(cfg, to, req.method.to_string().as_str(), &branch, extra, body)
        else {
            return vec![Command::Respond { key, response: voxide_sip::response_to(&req, 500, "") }];
        };
        self.fresh_branches.push(branch.clone());
        self.pending.push(Pending { from, key, request: req, branch });
        out.push(Command::Request { flow: dest, request });
        out
    }

    /// Builds a request in `side`'s dialog; returns it and where it goes.
    pub(super) fn in_dialog(
        &mut self,
        cfg: &B2buaConfig,
        side: Side,
        method: &str,
        branch: &str,
        extra: Vec<(String, String)>,
        body: Option<(String, Vec<u8>)>,
    ) -> Option<(Request, Flow)> {
        let refresh = method == "INVITE" || method == "UPDATE";
        let (uri, from, to, call_id, cseq, route, flow) = match side {
            Side::A => {
                self.a.cseq += 1;
                (
                    &self.a.target,
                    &self.a.local,
                    &self.a.remote,
                    &self.a.call_id,
                    self.a.cseq,
                    &self.a.route,
                    self.a.flow,
                )
            }
            Side::B => {
                let winner = self.b.winner?;
                self.b.cseq += 1;
                let flow = self.b.forks[winner].target.flow;
                (&self.b.target, &self.b.local, &self.b.remote, &self.b.call_id, self.b.cseq, &self.b.route, flow)
            }
        };
        let contact_uri = contact(cfg, "voxide", flow);
        let spec = RequestSpec {
            method,
            uri,
            via_host: cfg.sip_addr,
            transport: flow.transport,
            branch,
            from,
            to,
            call_id,
            cseq,
            contact: refresh.then_some(contact_uri.as_str()),
            route,
            max_forwards: 70,
            extra,
            body: body.as_ref().map(|(ct, b)| (ct.as_str(), b.as_slice())),
        };
        build::request(&spec).map(|r| (r, flow))
    }

    /// A BYE to `side`, if that side has a confirmed dialog.
    pub(super) fn bye(&mut self, cfg: &B2buaConfig, side: Side) -> Vec<Command> {
        if side == Side::B && self.b.winner.is_none() {
            return Vec::new();
        }
        let branch = build::new_branch();
        let extra = vec![("Reason".to_string(), "SIP;cause=200;text=\"Call completed\"".to_string())];
        match self.in_dialog(cfg, side, "BYE", &branch, extra, None) {
            Some((request, flow)) => {
                self.fresh_branches.push(branch);
                vec![Command::Request { flow, request }]
            }
            None => Vec::new(),
        }
    }

    /// CANCELs every fork of `side` still ringing; forks that have not
    /// answered with a provisional yet are cancelled when they do (RFC 3261 §9.1).
    pub(super) fn cancel_forks(&mut self, cfg: &B2buaConfig, side: Side) -> Vec<Command> {
        let mut out = Vec::new();
        for i in 0..self.dialled(side).forks.len() {
            let leg = self.dialled_mut(side);
            if leg.forks[i].final_status.is_some() || Some(i) == leg.winner {
                continue;
            }
            if leg.forks[i].provisional {
                out.extend(self.cancel_fork(cfg, side, i));
            } else {
                leg.forks[i].cancel_pending = true;
            }
        }
        out
    }

    pub(super) fn cancel_fork(&mut self, cfg: &B2buaConfig, side: Side, i: usize) -> Vec<Command> {
        let leg = self.dialled_mut(side);
        let fork = &mut leg.forks[i];
        fork.cancel_pending = false;
        let spec = RequestSpec {
            method: "CANCEL",
            uri: &fork.target.uri,
            via_host: cfg.sip_addr,
            transport: fork.target.flow.transport,
            branch: &fork.branch,
            from: &leg.local,
            to: &fork.target.to,
            call_id: &leg.call_id,
            cseq: fork.cseq,
            contact: None,
            route: &[],
            max_forwards: 70,
            extra: vec![("Reason".into(), "SIP;cause=200;text=\"Call completed elsewhere\"".into())],
            body: None,
        };
        build::request(&spec).map(|request| Command::Request { flow: fork.target.flow, request }).into_iter().collect()
    }

    /// Ends a call that never connected: refuses A's INVITE with the
    /// status `cause` maps to.
    pub(super) fn fail_a(&mut self, cfg: &B2buaConfig, cause: HangupCause, now: Instant) -> Vec<Command> {
        self.fail_a_with(cfg, cause.status().0, cause, now)
    }

    /// [`Self::fail_a`] with the status given. When the switch dialled A
    /// there is no INVITE of A's to refuse: A is hung up if it answered,
    /// and its INVITE cancelled if it did not.
    pub(super) fn fail_a_with(
        &mut self,
        cfg: &B2buaConfig,
        status: u16,
        cause: HangupCause,
        now: Instant,
    ) -> Vec<Command> {
        if self.state != State::Ringing {
            return Vec::new();
        }
        let mut out = match &self.a.invited {
            Some(a) if !self.answered_here => vec![Command::Respond {
                key: a.key.clone(),
                response: voxide_sip::response_to(&a.invite, status, &self.a.local_tag),
            }],
            _ if self.has_dialog(Side::A) => self.bye(cfg, Side::A),
            _ => self.cancel_forks(cfg, Side::A),
        };
        out.extend(self.end(now, cause));
        out
    }

    pub(super) fn end(&mut self, now: Instant, cause: HangupCause) -> Vec<Command> {
        if matches!(self.state, State::Ended | State::Gone) {
            return Vec::new();
        }
        self.state = State::Ended;
        self.ended_at = Some(now);
        self.ok_retransmit = None;
        // Lingering only answers late 2xx from forks: drop the big pieces.
        self.ok_response = None;
        self.pending.clear();
        for fork in self.a_dialled.forks.iter_mut().chain(&mut self.b.forks) {
            fork.invite = None;
        }
        vec![Command::Ended { call: self.id, cause }]
    }
}

/// The digit of an INFO with an `application/dtmf-relay` or
/// `application/dtmf` body.
fn info_digit(req: &Request) -> Option<InfoDigit> {
    let (ct, body) = build::body_of(&req.headers, &req.body)?;
    voxide_media::dtmf::parse_info_body(&ct, std::str::from_utf8(body).ok()?).ok()
}
