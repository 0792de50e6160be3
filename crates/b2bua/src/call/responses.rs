//! Responses to what the call sent: the forks of each INVITE we dialled
//! (B's, and A's when the switch placed the call), and requests relayed
//! between the legs.

use std::time::Instant;

use rsip::prelude::*;
use rsip::{Method, Request, Response};
use voxide_sip::transaction::TransactionKey;

use super::{Call, State, best_failure, contact};
use crate::build::{self, RequestSpec};
use crate::{B2buaConfig, Command, HangupCause, Side};

impl Call {
    pub(crate) fn on_response(
        &mut self,
        now: Instant,
        cfg: &B2buaConfig,
        key: &TransactionKey,
        resp: Response,
    ) -> Vec<Command> {
        let method = key.method();
        if method == Method::Cancel || method == Method::Bye {
            return Vec::new();
        }
        if let Some(i) = self.pending.iter().position(|p| p.branch == key.branch()) {
            return self.relayed_response(now, cfg, i, resp);
        }
        let Some((side, fork)) = self.fork_of(key.branch()) else { return Vec::new() };
        let status = build::status(&resp);
        match status {
            100 => Vec::new(),
            101..=199 => self.provisional(cfg, side, fork, &resp),
            200..=299 => self.answered(now, cfg, side, fork, resp),
            401 | 407 if self.can_authenticate(side, fork) => self.authenticate_fork(side, fork, &resp),
            _ => {
                self.dialled_mut(side).forks[fork].final_status = Some(status);
                self.maybe_all_failed(now, cfg, side)
            }
        }
    }

    pub(crate) fn on_transaction_timeout(
        &mut self,
        now: Instant,
        cfg: &B2buaConfig,
        key: &TransactionKey,
    ) -> Vec<Command> {
        if let Some(i) = self.pending.iter().position(|p| p.branch == key.branch()) {
            let p = self.pending.remove(i);
            let tag = if p.from == Side::A { self.a.local_tag.clone() } else { String::new() };
            return vec![Command::Respond { key: p.key, response: voxide_sip::response_to(&p.request, 408, &tag) }];
        }
        if key.method() == Method::Invite
            && let Some((side, fork)) = self.fork_of(key.branch())
        {
            self.dialled_mut(side).forks[fork].final_status.get_or_insert(408);
            return self.maybe_all_failed(now, cfg, side);
        }
        Vec::new()
    }

    fn provisional(&mut self, cfg: &B2buaConfig, side: Side, fork: usize, resp: &Response) -> Vec<Command> {
        let leg = self.dialled_mut(side);
        leg.forks[fork].provisional = true;
        if leg.forks[fork].cancel_pending {
            return self.cancel_fork(cfg, side, fork);
        }
        if self.state != State::Ringing {
            return Vec::new();
        }
        let mut out = self.rang(side);
        if side == Side::A {
            return out; // the switch is ringing A: nobody to tell
        }
        out.extend(self.note_sdp(Side::B, &resp.headers, &resp.body));
        out.extend(self.note_answer_codec(&resp.headers, &resp.body));
        if self.a_is_up() {
            return out; // A's dialog is up already
        }
        let body = self.anchored_body(&resp.headers, &resp.body, Side::A);
        let status = if body.is_some() { 183 } else { 180 };
        let contact_uri = contact(cfg, &self.a_user(), self.a.flow);
        let Some(a) = &self.a.invited else { return out };
        let mut r = build::response(
            &a.invite,
            status,
            &self.a.local_tag,
            Some(&contact_uri),
            body.map(|(ct, b)| (leak_ct(ct), b)),
        );
        build::relay_headers(resp, &mut r);
        out.push(Command::Respond { key: a.key.clone(), response: r });
        out
    }

    /// The first ring of `side`, reported once.
    fn rang(&mut self, side: Side) -> Vec<Command> {
        let leg = self.dialled_mut(side);
        if std::mem::replace(&mut leg.rang, true) {
            return Vec::new();
        }
        vec![Command::Ringing { call: self.id, side }]
    }

    fn answered(&mut self, now: Instant, cfg: &B2buaConfig, side: Side, fork: usize, resp: Response) -> Vec<Command> {
        let leg = self.dialled(side);
        if leg.winner == Some(fork) {
            return self.ack_fork(cfg, side, fork, build::cseq(&resp.headers)); // a retransmitted 2xx: ACK again
        }
        if leg.winner.is_some() || self.state != State::Ringing || self.awaiting {
            // Another fork (or a late one, or one of a step given up on)
            // answered: take it and hang it up.
            return self.ack_and_bye_late_fork(cfg, side, fork, &resp);
        }
        let mut out = self.take_answer(cfg, side, fork, &resp);
        match side {
            Side::A => out.extend(self.a_answered(now, cfg, &resp)),
            Side::B => out.extend(self.b_answered(now, cfg, resp)),
        }
        out
    }

    /// Makes the fork that answered `side`'s dialog: ACKs it and cancels
    /// the other forks.
    fn take_answer(&mut self, cfg: &B2buaConfig, side: Side, fork: usize, resp: &Response) -> Vec<Command> {
        let leg = self.dialled_mut(side);
        leg.winner = Some(fork);
        leg.forks[fork].final_status = Some(build::status(resp));
        leg.remote = build::to_value(resp);
        leg.target = build::contact_uri(&resp.headers).unwrap_or_else(|| leg.forks[fork].target.uri.clone());
        leg.route = build::record_route(&resp.headers).into_iter().rev().collect();
        let cseq = build::cseq(&resp.headers);
        let mut out = self.ack_fork(cfg, side, fork, cseq);
        let leg = self.dialled_mut(side);
        leg.cseq = leg.cseq.max(cseq);
        out.extend(self.cancel_forks(cfg, side));
        out
    }

    /// B answered: the relay learns its format, and A its answer (a phone's
    /// call) or nothing (A is already up on a call the switch placed).
    fn b_answered(&mut self, now: Instant, cfg: &B2buaConfig, resp: Response) -> Vec<Command> {
        let mut out = self.note_sdp(Side::B, &resp.headers, &resp.body);
        out.extend(self.note_answer_codec(&resp.headers, &resp.body));
        if self.a_is_up() {
            self.state = State::Confirmed;
            out.push(Command::Answered { call: self.id });
            return out;
        }
        let body = self.anchored_body(&resp.headers, &resp.body, Side::A);
        let contact_uri = contact(cfg, &self.a_user(), self.a.flow);
        let Some(a) = &self.a.invited else { return out };
        let key = a.key.clone();
        let mut ok = build::response(
            &a.invite,
            200,
            &self.a.local_tag,
            Some(&contact_uri),
            body.map(|(ct, b)| (leak_ct(ct), b)),
        );
        build::relay_headers(&resp, &mut ok);
        voxide_sip::response::add_header(&mut ok, rsip::Header::Other("X-Call-UUID".into(), self.uuid.clone()));
        self.ok_response = Some(ok.clone());
        self.ok_retransmit = Some((now + cfg.t1, cfg.t1, now + cfg.t1 * 64));
        self.state = State::Answered;
        // Only an interval both sides were told of (it is relayed to A with
        // the 2xx): without one there is no session expiration and nobody
        // refreshes (RFC 4028 §7.2).
        self.session_interval = super::session_expires(&resp.headers);
        self.session_deadline = self.session_interval.map(|i| now + i);
        out.push(Command::Respond { key, response: ok });
        out.push(Command::Answered { call: self.id });
        out
    }

    fn can_authenticate(&self, side: Side, fork: usize) -> bool {
        let f = &self.dialled(side).forks[fork];
        self.state == State::Ringing && !f.authenticated && f.target.credentials.is_some() && f.invite.is_some()
    }

    /// Answers a trunk's digest challenge by sending the INVITE again, with
    /// credentials, in a new transaction (RFC 3261 §22.2).
    fn authenticate_fork(&mut self, side: Side, fork: usize, resp: &Response) -> Vec<Command> {
        let proxy = build::status(resp) == 407;
        let challenges: Vec<String> = resp
            .headers
            .iter()
            .filter_map(|h| match h {
                rsip::Header::WwwAuthenticate(w) if !proxy => Some(w.value().to_string()),
                rsip::Header::ProxyAuthenticate(p) if proxy => Some(p.value().to_string()),
                _ => None,
            })
            .collect();
        let f = &mut self.dialled_mut(side).forks[fork];
        f.authenticated = true;
        let (Some((user, pass)), Some(invite)) = (f.target.credentials.clone(), f.invite.clone()) else {
            return Vec::new();
        };
        let Ok(challenge) = voxide_registrar::digest::best_challenge(challenges.iter().map(String::as_str)) else {
            f.final_status = Some(build::status(resp));
            return Vec::new();
        };
        let uri = invite.uri.to_string();
        let cnonce = voxide_registrar::digest::generate_cnonce();
        let Ok(creds) = voxide_registrar::digest::authorize(&challenge, &user, &pass, "INVITE", &uri, 1, &cnonce)
        else {
            f.final_status = Some(build::status(resp));
            return Vec::new();
        };
        let header = if proxy { "Proxy-Authorization" } else { "Authorization" };
        let branch = build::new_branch();
        let text =
            invite.to_string().replacen(&format!("branch={}", f.branch), &format!("branch={branch}"), 1).replacen(
                &format!("CSeq: {} INVITE", f.cseq),
                &format!("CSeq: {} INVITE\r\n{header}: {creds}", f.cseq + 1),
                1,
            );
        let Ok(request) = Request::try_from(text.as_str()) else { return Vec::new() };
        f.branch = branch.clone();
        f.cseq += 1;
        f.invite = Some(request.clone());
        let flow = f.target.flow;
        self.fresh_branches.push(branch);
        vec![Command::Request { flow, request }]
    }

    /// ACKs the 2xx of `side`'s winning fork.
    fn ack_fork(&self, cfg: &B2buaConfig, side: Side, fork: usize, cseq: u32) -> Vec<Command> {
        let leg = self.dialled(side);
        let flow = leg.forks[fork].target.flow;
        let spec = RequestSpec {
            method: "ACK",
            uri: &leg.target,
            via_host: cfg.sip_addr,
            transport: flow.transport,
            branch: &build::new_branch(),
            from: &leg.local,
            to: &leg.remote,
            call_id: &leg.call_id,
            cseq,
            contact: None,
            route: &leg.route,
            max_forwards: 70,
            extra: Vec::new(),
            body: None,
        };
        build::request(&spec).map(|request| Command::Ack { flow, request }).into_iter().collect()
    }

    fn ack_and_bye_late_fork(&self, cfg: &B2buaConfig, side: Side, fork: usize, resp: &Response) -> Vec<Command> {
        let leg = self.dialled(side);
        let flow = leg.forks[fork].target.flow;
        let target = build::contact_uri(&resp.headers).unwrap_or_else(|| leg.forks[fork].target.uri.clone());
        let to = build::to_value(resp);
        let mut out = Vec::new();
        for (method, cseq) in [("ACK", 1), ("BYE", 2)] {
            let branch = build::new_branch();
            let spec = RequestSpec {
                method,
                uri: &target,
                via_host: cfg.sip_addr,
                transport: flow.transport,
                branch: &branch,
                from: &leg.local,
                to: &to,
                call_id: &leg.call_id,
                cseq,
                contact: None,
                route: &[],
                max_forwards: 70,
                extra: Vec::new(),
                body: None,
            };
            if let Some(request) = build::request(&spec) {
                out.push(if method == "ACK" {
                    Command::Ack { flow, request }
                } else {
                    Command::Request { flow, request }
                });
            }
        }
        out
    }

    /// Once every fork of `side` has failed (and none answered), the call
    /// fails with the best of their statuses.
    fn maybe_all_failed(&mut self, now: Instant, cfg: &B2buaConfig, side: Side) -> Vec<Command> {
        let leg = self.dialled(side);
        if self.state != State::Ringing
            || self.awaiting
            || leg.winner.is_some()
            || leg.forks.iter().any(|f| f.final_status.is_none())
        {
            return Vec::new();
        }
        let statuses: Vec<u16> = leg.forks.iter().filter_map(|f| f.final_status).collect();
        let best = best_failure(&statuses).unwrap_or(480);
        if self.hunting && side == Side::B {
            return self.unanswered(best, HangupCause::from_status(best));
        }
        self.fail_a_with(cfg, best, HangupCause::from_status(best), now)
    }

    /// The other leg answered a request we relayed: pass the answer back.
    fn relayed_response(&mut self, now: Instant, cfg: &B2buaConfig, i: usize, resp: Response) -> Vec<Command> {
        let status = build::status(&resp);
        if status == 100 {
            return Vec::new();
        }
        let from = self.pending[i].from;
        let answered_by = if from == Side::A { Side::B } else { Side::A };
        let mut out = Vec::new();
        if (200..300).contains(&status) && self.pending[i].request.method == Method::Invite {
            out.extend(self.ack_in_dialog(cfg, answered_by, build::cseq(&resp.headers)));
        }
        out.extend(self.note_sdp(answered_by, &resp.headers, &resp.body));
        let body = self.anchored_body(&resp.headers, &resp.body, from);
        let (tag, user, flow) = match from {
            Side::A => (self.a.local_tag.clone(), self.a_user(), self.a.flow),
            Side::B => (
                String::new(),
                "voxide".to_string(),
                self.b.winner.map_or(self.a.flow, |w| self.b.forks[w].target.flow),
            ),
        };
        let contact_uri = contact(cfg, &user, flow);
        let p = if status >= 200 { self.pending.remove(i) } else { clone_pending(&self.pending[i]) };
        let refresh = matches!(p.request.method, Method::Invite | Method::Update);
        if (200..300).contains(&status) && refresh {
            // A 2xx without Session-Expires turns the timer off (RFC 4028 §7.2).
            let interval = super::session_expires(&resp.headers);
            self.session_interval = interval;
            self.session_deadline = interval.map(|i| now + i);
        }
        let mut r = build::response(&p.request, status, &tag, Some(&contact_uri), body.map(|(ct, b)| (leak_ct(ct), b)));
        build::relay_headers(&resp, &mut r);
        out.push(Command::Respond { key: p.key, response: r });
        out
    }

    fn ack_in_dialog(&mut self, cfg: &B2buaConfig, side: Side, cseq: u32) -> Vec<Command> {
        // The ACK reuses the INVITE's CSeq number (RFC 3261 §13.2.2.4).
        let saved = match side {
            Side::A => std::mem::replace(&mut self.a.cseq, cseq.saturating_sub(1)),
            Side::B => std::mem::replace(&mut self.b.cseq, cseq.saturating_sub(1)),
        };
        let built = self.in_dialog(cfg, side, "ACK", &build::new_branch(), Vec::new(), None);
        match side {
            Side::A => self.a.cseq = saved,
            Side::B => self.b.cseq = saved,
        }
        built.map(|(request, flow)| Command::Ack { flow, request }).into_iter().collect()
    }

    /// The user part A dialled (what our Contact toward A carries).
    pub(super) fn a_user(&self) -> String {
        let uri = self.a.invited.as_ref().map(|a| a.invite.uri.to_string()).unwrap_or_default();
        voxide_sip::values::uri_user(&uri).unwrap_or("voxide").to_string()
    }
}

fn clone_pending(p: &super::Pending) -> super::Pending {
    super::Pending { from: p.from, key: p.key.clone(), request: p.request.clone(), branch: p.branch.clone() }
}

/// `build::response` takes the content type as `&str`; content types are
/// few and short, so interning them for the process lifetime is cheaper
/// than threading owned strings through.
fn leak_ct(ct: String) -> &'static str {
    match ct.to_ascii_lowercase().as_str() {
        "application/sdp" => "application/sdp",
        "application/dtmf-relay" => "application/dtmf-relay",
        "application/dtmf" => "application/dtmf",
        _ => "application/octet-stream",
    }
}
