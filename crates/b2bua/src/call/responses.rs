//! Responses to what the call sent: the forks of the initial INVITE, and
//! requests relayed between the legs.

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
        let Some(fork) = self.b.forks.iter().position(|f| f.branch == key.branch()) else { return Vec::new() };
        let status = build::status(&resp);
        match status {
            100 => Vec::new(),
            101..=199 => self.provisional(cfg, fork, &resp),
            200..=299 => self.answered(now, cfg, fork, resp),
            401 | 407 if self.can_authenticate(fork) => self.authenticate_fork(fork, &resp),
            _ => {
                self.b.forks[fork].final_status = Some(status);
                self.maybe_all_failed(now)
            }
        }
    }

    pub(crate) fn on_transaction_timeout(
        &mut self,
        now: Instant,
        _cfg: &B2buaConfig,
        key: &TransactionKey,
    ) -> Vec<Command> {
        if let Some(i) = self.pending.iter().position(|p| p.branch == key.branch()) {
            let p = self.pending.remove(i);
            let tag = if p.from == Side::A { self.a.local_tag.clone() } else { String::new() };
            return vec![Command::Respond { key: p.key, response: voxide_sip::response_to(&p.request, 408, &tag) }];
        }
        if key.method() == Method::Invite
            && let Some(fork) = self.b.forks.iter_mut().find(|f| f.branch == key.branch())
        {
            fork.final_status.get_or_insert(408);
            return self.maybe_all_failed(now);
        }
        Vec::new()
    }

    fn provisional(&mut self, cfg: &B2buaConfig, fork: usize, resp: &Response) -> Vec<Command> {
        self.b.forks[fork].provisional = true;
        if self.b.forks[fork].cancel_pending {
            return self.cancel_fork(cfg, fork);
        }
        if self.state != State::Ringing {
            return Vec::new();
        }
        let mut out = self.note_sdp(Side::B, &resp.headers, &resp.body);
        out.extend(self.note_answer_codec(&resp.headers, &resp.body));
        let body = self.anchored_body(&resp.headers, &resp.body, Side::A);
        let status = if body.is_some() { 183 } else { 180 };
        let contact_uri = contact(cfg, &self.a_user(), self.a.flow);
        let mut r = build::response(
            &self.a.invite,
            status,
            &self.a.local_tag,
            Some(&contact_uri),
            body.map(|(ct, b)| (leak_ct(ct), b)),
        );
        build::relay_headers(resp, &mut r);
        out.push(Command::Respond { key: self.a.key.clone(), response: r });
        out
    }

    fn answered(&mut self, now: Instant, cfg: &B2buaConfig, fork: usize, resp: Response) -> Vec<Command> {
        let mut out = Vec::new();
        if self.b.winner == Some(fork) {
            out.extend(self.ack_b(cfg, fork, build::cseq(&resp.headers))); // a retransmitted 2xx: ACK again
            return out;
        }
        if self.b.winner.is_some() || self.state != State::Ringing {
            // Another fork (or a late one) answered: take it and hang it up.
            return self.ack_and_bye_late_fork(cfg, fork, &resp);
        }
        self.b.winner = Some(fork);
        self.b.forks[fork].final_status = Some(build::status(&resp));
        self.b.remote = build::to_value(&resp);
        self.b.target = build::contact_uri(&resp.headers).unwrap_or_else(|| self.b.forks[fork].target.uri.clone());
        self.b.route = build::record_route(&resp.headers).into_iter().rev().collect();
        out.extend(self.ack_b(cfg, fork, build::cseq(&resp.headers)));
        self.b.cseq = self.b.cseq.max(build::cseq(&resp.headers));
        out.extend(self.cancel_forks(cfg));
        out.extend(self.note_sdp(Side::B, &resp.headers, &resp.body));
        out.extend(self.note_answer_codec(&resp.headers, &resp.body));
        let body = self.anchored_body(&resp.headers, &resp.body, Side::A);
        let contact_uri = contact(cfg, &self.a_user(), self.a.flow);
        let mut ok = build::response(
            &self.a.invite,
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
        out.push(Command::Respond { key: self.a.key.clone(), response: ok });
        out.push(Command::Answered { call: self.id });
        out
    }

    fn can_authenticate(&self, fork: usize) -> bool {
        let f = &self.b.forks[fork];
        self.state == State::Ringing && !f.authenticated && f.target.credentials.is_some() && f.invite.is_some()
    }

    /// Answers a trunk's digest challenge by sending the INVITE again, with
    /// credentials, in a new transaction (RFC 3261 §22.2).
    fn authenticate_fork(&mut self, fork: usize, resp: &Response) -> Vec<Command> {
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
        let f = &mut self.b.forks[fork];
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
        self.fresh_branches.push(branch);
        vec![Command::Request { flow: f.target.flow, request }]
    }

    fn ack_b(&mut self, cfg: &B2buaConfig, fork: usize, cseq: u32) -> Vec<Command> {
        let flow = self.b.forks[fork].target.flow;
        let spec = RequestSpec {
            method: "ACK",
            uri: &self.b.target,
            via_host: cfg.sip_addr,
            transport: flow.transport,
            branch: &build::new_branch(),
            from: &self.b.local,
            to: &self.b.remote,
            call_id: &self.b.call_id,
            cseq,
            contact: None,
            route: &self.b.route,
            max_forwards: 70,
            extra: Vec::new(),
            body: None,
        };
        build::request(&spec).map(|request| Command::Ack { flow, request }).into_iter().collect()
    }

    fn ack_and_bye_late_fork(&mut self, cfg: &B2buaConfig, fork: usize, resp: &Response) -> Vec<Command> {
        let flow = self.b.forks[fork].target.flow;
        let target = build::contact_uri(&resp.headers).unwrap_or_else(|| self.b.forks[fork].target.uri.clone());
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
                from: &self.b.local,
                to: &to,
                call_id: &self.b.call_id,
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

    fn maybe_all_failed(&mut self, now: Instant) -> Vec<Command> {
        if self.state != State::Ringing || self.b.forks.iter().any(|f| f.final_status.is_none()) {
            return Vec::new();
        }
        let statuses: Vec<u16> = self.b.forks.iter().filter_map(|f| f.final_status).collect();
        let best = best_failure(&statuses).unwrap_or(480);
        self.fail_a_with(best, HangupCause::from_status(best), now)
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
        voxide_sip::values::uri_user(&self.a.invite.uri.to_string()).unwrap_or("voxide").to_string()
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
