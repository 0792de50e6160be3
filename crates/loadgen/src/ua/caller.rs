//! The calling leg: INVITE, answer the 407 with digest credentials, ACK
//! the 200, talk for the hold time, stop RTP, BYE. With an on-hold plan
//! it also puts the call on hold (re-INVITE with `sendonly`) and takes it
//! off again (`sendrecv`) while talking.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use voxide_registrar::digest;

use super::retx::{Retx, Step};
use super::{Event, Out, RtpSock, Settings};
use crate::rtp::{Direction, Profile};
use crate::sipmsg::{self, Msg, RequestLine};

/// Everything needed to place one call.
#[derive(Debug, Clone)]
pub struct CallSpec {
    pub call: u64,
    pub user: u32,
    pub username: String,
    pub password: String,
    /// The extension dialled.
    pub target: String,
    /// Our SIP socket.
    pub local: SocketAddr,
    pub rtp: RtpSock,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Inviting { authed: bool },
    Talking,
    Draining,
    Byeing,
    Done,
}

/// Where the on-hold plan stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hold {
    /// Hold at the first instant, resume at the second.
    Planned(Instant, Instant),
    /// The hold re-INVITE is out; resume at the instant.
    Holding(Instant),
    Held(Instant),
    /// The resume re-INVITE is out.
    Resuming,
    /// Nothing (left) to do.
    Off,
}

pub struct Caller {
    spec: CallSpec,
    hold: Duration,
    drain: Duration,
    call_id: String,
    from: String,
    to: String,
    uri: String,
    cseq: u32,
    /// Branch of the INVITE in flight (a non-2xx ACK reuses it).
    branch: String,
    sdp: String,
    state: State,
    retx: Option<Retx>,
    timer: Option<Instant>,
    setup_start: Instant,
    to_tag: Option<String>,
    remote_target: String,
    /// The ACK of the 2xx, sent again when the 2xx is retransmitted.
    ack: Option<Vec<u8>>,
    /// The ACK of the 407, sent again when the 407 is retransmitted.
    challenge_ack: Option<Vec<u8>>,
    on_hold: Option<(Duration, Duration)>,
    hold_step: Hold,
    /// The ACKs of re-INVITEs' 2xx, by CSeq, for retransmitted 2xx.
    reinvite_acks: Vec<(u32, Vec<u8>)>,
    media: (IpAddr, Arc<Profile>),
}

impl Caller {
    pub fn start(spec: CallSpec, settings: &Settings, now: Instant, out: &mut Out) -> Self {
        let domain = &settings.domain;
        let uri = format!("sip:{}@{domain}", spec.target);
        let sdp = settings.profile.sdp(settings.media_ip, spec.rtp.addr.port(), (spec.call, 1), Direction::SendRecv);
        let mut caller = Self {
            call_id: format!("{}-{}@loadgen", spec.call, sipmsg::token()),
            from: format!("<sip:{}@{domain}>;tag={}", spec.username, sipmsg::token()),
            to: format!("<sip:{}@{domain}>", spec.target),
            remote_target: uri.clone(),
            uri,
            spec,
            hold: settings.hold,
            drain: settings.drain,
            cseq: 0,
            branch: String::new(),
            sdp,
            state: State::Inviting { authed: false },
            retx: None,
            timer: Some(now + settings.setup_timeout),
            setup_start: now,
            to_tag: None,
            ack: None,
            challenge_ack: None,
            on_hold: settings.on_hold,
            hold_step: Hold::Off,
            reinvite_acks: Vec::new(),
            media: (settings.media_ip, settings.profile.clone()),
        };
        caller.invite(None, now, out);
        caller
    }

    pub fn call_id(&self) -> &str {
        &self.call_id
    }

    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    pub fn deadline(&self) -> Option<Instant> {
        let hold = match self.hold_step {
            Hold::Planned(at, _) | Hold::Held(at) => Some(at),
            _ => None,
        };
        [self.retx.as_ref().map(Retx::deadline), self.timer, hold].into_iter().flatten().min()
    }

    fn line<'a>(&'a self, method: &'a str, uri: &'a str, branch: &'a str, to: &'a str) -> RequestLine<'a> {
        let contact_user = (method == "INVITE").then_some(self.spec.username.as_str());
        RequestLine {
            method,
            uri,
            local: self.spec.local,
            branch,
            from: &self.from,
            to,
            call_id: &self.call_id,
            cseq: self.cseq,
            contact_user,
        }
    }

    fn invite(&mut self, auth: Option<String>, now: Instant, out: &mut Out) {
        self.cseq += 1;
        self.branch = sipmsg::branch();
        let extra = auth.unwrap_or_default();
        let bytes = sipmsg::request(&self.line("INVITE", &self.uri, &self.branch, &self.to), &extra, Some(&self.sdp));
        self.retx = Some(Retx::new(bytes.clone(), now, true));
        self.setup_start = now;
        out.send(self.spec.user, bytes);
    }

    fn end(&mut self, failure: Option<String>, out: &mut Out) {
        self.state = State::Done;
        self.retx = None;
        self.timer = None;
        out.event(Event::CallEnded { call: self.spec.call, failure });
    }

    pub fn on_response(&mut self, msg: &Msg, now: Instant, out: &mut Out) {
        let Some(status) = msg.status() else { return };
        if msg.cseq_method.eq_ignore_ascii_case("BYE") {
            if self.state == State::Byeing && msg.cseq == self.cseq && status >= 200 {
                let failure = (status >= 300).then(|| format!("bye-{status}"));
                self.end(failure, out);
            }
            return;
        }
        if !msg.cseq_method.eq_ignore_ascii_case("INVITE") {
            return;
        }
        if (200..300).contains(&status)
            && let Some((_, ack)) = self.reinvite_acks.iter().find(|(cseq, _)| *cseq == msg.cseq)
        {
            // A re-INVITE's 2xx again: its ACK was lost.
            out.send(self.spec.user, ack.clone());
            return;
        }
        if msg.cseq != self.cseq {
            if status >= 300
                && let Some(ack) = &self.challenge_ack
            {
                out.send(self.spec.user, ack.clone());
            }
            return;
        }
        if self.state == State::Talking && matches!(self.hold_step, Hold::Holding(_) | Hold::Resuming) {
            return self.reinvite_answered(msg, status, out);
        }
        match self.state {
            State::Inviting { authed } => match status {
                100..=199 => self.retx = None,
                200..=299 => self.answered(msg, now, out),
                401 | 407 if !authed => {
                    let ack = self.non_2xx_ack(msg);
                    out.send(self.spec.user, ack.clone());
                    self.challenge_ack = Some(ack);
                    match self.credentials(msg, status) {
                        Some(auth) => {
                            self.state = State::Inviting { authed: true };
                            self.invite(Some(auth), now, out);
                        }
                        None => self.end(Some(status.to_string()), out),
                    }
                }
                _ => {
                    out.send(self.spec.user, self.non_2xx_ack(msg));
                    self.end(Some(status.to_string()), out);
                }
            },
            State::Talking | State::Draining | State::Byeing if (200..300).contains(&status) => {
                if let Some(ack) = &self.ack {
                    out.send(self.spec.user, ack.clone());
                }
            }
            _ => {}
        }
    }

    fn answered(&mut self, msg: &Msg, now: Instant, out: &mut Out) {
        self.to_tag = msg.to_tag().map(str::to_owned);
        self.to = msg.to.clone();
        if let Some(contact) = &msg.contact {
            self.remote_target = contact.clone();
        }
        let branch = sipmsg::branch();
        let ack = sipmsg::request(&self.line("ACK", &self.remote_target, &branch, &self.to), "", None);
        out.send(self.spec.user, ack.clone());
        self.ack = Some(ack);
        self.retx = None;
        self.state = State::Talking;
        self.timer = Some(now + self.hold);
        if let Some((after, length)) = self.on_hold {
            self.hold_step = Hold::Planned(now + after, now + after + length);
        }
        out.event(Event::Answered {
            call: self.spec.call,
            setup: now.saturating_duration_since(self.setup_start),
            sock: self.spec.rtp.index,
            remote: sipmsg::sdp_rtp_addr(&msg.body),
            uuid: msg.call_uuid.clone(),
        });
    }

    /// The ACK of a non-2xx final response: same branch and Request-URI as
    /// the INVITE, To as in the response (RFC 3261 §17.1.1.3).
    fn non_2xx_ack(&self, msg: &Msg) -> Vec<u8> {
        sipmsg::request(&self.line("ACK", &self.uri, &self.branch, &msg.to), "", None)
    }

    /// Sends a re-INVITE offering `direction`; the hold moves to `next`.
    fn reinvite(&mut self, direction: Direction, next: Hold, now: Instant, out: &mut Out) {
        self.cseq += 1;
        self.branch = sipmsg::branch();
        let (ip, profile) = &self.media;
        let sdp = profile.sdp(*ip, self.spec.rtp.addr.port(), (self.spec.call, self.cseq), direction);
        let line = self.line("INVITE", &self.remote_target, &self.branch, &self.to);
        let bytes = sipmsg::request(&line, "", Some(&sdp));
        self.retx = Some(Retx::new(bytes.clone(), now, true));
        self.hold_step = next;
        out.send(self.spec.user, bytes);
    }

    /// A response to the hold or resume re-INVITE in flight.
    fn reinvite_answered(&mut self, msg: &Msg, status: u16, out: &mut Out) {
        if status < 200 {
            return;
        }
        self.retx = None;
        let ok = status < 300;
        let ack = if ok {
            let ack = sipmsg::request(&self.line("ACK", &self.remote_target, &sipmsg::branch(), &self.to), "", None);
            self.reinvite_acks.push((self.cseq, ack.clone()));
            ack
        } else {
            sipmsg::request(&self.line("ACK", &self.remote_target, &self.branch, &msg.to), "", None)
        };
        out.send(self.spec.user, ack);
        self.hold_step = match self.hold_step {
            Hold::Holding(resume) if ok => Hold::Held(resume),
            _ => Hold::Off,
        };
        out.event(Event::Reinvited { call: self.spec.call, ok });
    }

    fn credentials(&self, msg: &Msg, status: u16) -> Option<String> {
        let challenge = digest::best_challenge(msg.challenges.iter().map(String::as_str)).ok()?;
        let (user, password) = (&self.spec.username, &self.spec.password);
        let creds =
            digest::authorize(&challenge, user, password, "INVITE", &self.uri, 1, &digest::generate_cnonce()).ok()?;
        let name = if status == 407 { "Proxy-Authorization" } else { "Authorization" };
        Some(format!("{name}: {creds}\r\n"))
    }

    /// A request from the switch inside this dialog.
    pub fn on_request(&mut self, msg: &Msg, out: &mut Out) {
        let Some(method) = msg.method() else { return };
        let tag = self.our_tag();
        let user = self.spec.user;
        match method {
            "ACK" => {}
            "BYE" => {
                out.send(user, sipmsg::response(msg, 200, &tag, None, None));
                match self.state {
                    State::Done => {}
                    // Our BYE crossed theirs: the call ended as planned.
                    State::Byeing => self.end(None, out),
                    _ => self.end(Some("remote-bye".into()), out),
                }
            }
            "INVITE" | "UPDATE" if !msg.body.is_empty() => {
                let contact = Some((self.spec.username.as_str(), self.spec.local));
                out.send(user, sipmsg::response(msg, 200, &tag, contact, Some(&self.sdp)));
            }
            _ => out.send(user, sipmsg::response(msg, 200, &tag, None, None)),
        }
    }

    fn our_tag(&self) -> String {
        voxide_sip::values::header_param(&self.from, "tag").unwrap_or_default().to_owned()
    }

    pub fn on_timer(&mut self, now: Instant, out: &mut Out) {
        if let Some(retx) = &mut self.retx {
            match retx.poll(now) {
                Step::Wait => {}
                Step::Resend(bytes) => out.send(self.spec.user, bytes.to_vec()),
                Step::Timeout => {
                    let why = match (self.state, self.hold_step) {
                        (State::Byeing, _) => "bye-timeout",
                        (_, Hold::Holding(_) | Hold::Resuming) => "reinvite-timeout",
                        _ => "timeout",
                    };
                    self.end(Some(why.into()), out);
                    return;
                }
            }
        }
        if self.state == State::Talking {
            match self.hold_step {
                Hold::Planned(at, resume) if now >= at => {
                    self.reinvite(Direction::SendOnly, Hold::Holding(resume), now, out)
                }
                Hold::Held(at) if now >= at => self.reinvite(Direction::SendRecv, Hold::Resuming, now, out),
                _ => {}
            }
        }
        if self.timer.is_none_or(|t| now < t) {
            return;
        }
        match self.state {
            State::Inviting { .. } => self.end(Some("setup-timeout".into()), out),
            State::Talking => {
                self.state = State::Draining;
                self.hold_step = Hold::Off;
                self.timer = Some(now + self.drain);
                out.event(Event::HangupDue { call: self.spec.call });
            }
            State::Draining => {
                self.state = State::Byeing;
                self.timer = None;
                self.cseq += 1;
                let branch = sipmsg::branch();
                let bye = sipmsg::request(&self.line("BYE", &self.remote_target, &branch, &self.to), "", None);
                self.retx = Some(Retx::new(bye.clone(), now, false));
                out.send(self.spec.user, bye);
                out.event(Event::ByeSent { call: self.spec.call });
            }
            State::Byeing | State::Done => self.timer = None,
        }
    }
}
