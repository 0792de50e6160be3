//! The answering leg: 180 and 200 with SDP at once, retransmit the 200
//! until the ACK, then RTP until the BYE. A re-INVITE offering `sendonly`
//! is answered `recvonly`, and the leg stops sending until it is resumed.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use super::retx::{Retx, Step};
use super::{Event, Out, Phone, RtpSock, Settings};
use crate::rtp::{Direction, Profile};
use crate::sipmsg::{self, Msg};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// 200 sent, waiting for the ACK.
    Answered,
    Confirmed,
    Done,
}

pub struct Callee {
    user: u32,
    username: String,
    local: SocketAddr,
    call_id: String,
    to_tag: String,
    invite_cseq: u32,
    /// Our media address and codec, for answers to re-INVITEs.
    media: (IpAddr, u16, Arc<Profile>),
    held: bool,
    /// SDP answers given so far: the `o=` version.
    answers: u32,
    sock: usize,
    remote: Option<SocketAddr>,
    uuid: Option<String>,
    ringing: Vec<u8>,
    ok: Vec<u8>,
    retx: Option<Retx>,
    state: State,
}

impl Callee {
    /// Answers a new INVITE.
    pub fn answer(
        phone: Phone<'_>,
        invite: &Msg,
        rtp: RtpSock,
        settings: &Settings,
        now: Instant,
        out: &mut Out,
    ) -> Self {
        let Phone { user, username, local } = phone;
        let to_tag = sipmsg::token();
        let sdp = settings.profile.sdp(settings.media_ip, rtp.addr.port(), (1, 1), Direction::SendRecv);
        let contact = Some((username, local));
        let ringing = sipmsg::response(invite, 180, &to_tag, contact, None);
        let ok = sipmsg::response(invite, 200, &to_tag, contact, Some(&sdp));
        out.send(user, ringing.clone());
        out.send(user, ok.clone());
        Self {
            user,
            username: username.to_owned(),
            local,
            call_id: invite.call_id.clone(),
            to_tag,
            invite_cseq: invite.cseq,
            media: (settings.media_ip, rtp.addr.port(), settings.profile.clone()),
            held: false,
            answers: 1,
            sock: rtp.index,
            remote: sipmsg::sdp_rtp_addr(&invite.body),
            uuid: invite.call_uuid.clone(),
            retx: Some(Retx::new(ok.clone(), now, false)),
            ringing,
            ok,
            state: State::Answered,
        }
    }

    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    pub fn deadline(&self) -> Option<Instant> {
        self.retx.as_ref().map(Retx::deadline)
    }

    pub fn on_request(&mut self, msg: &Msg, out: &mut Out) {
        let Some(method) = msg.method() else { return };
        let user = self.user;
        match method {
            "INVITE" if msg.to_tag().is_none() && msg.cseq == self.invite_cseq => {
                // The INVITE again: our answer was lost or late.
                out.send(user, self.ringing.clone());
                out.send(user, self.ok.clone());
            }
            "INVITE" | "UPDATE" if !msg.body.is_empty() => {
                if let Some(remote) = sipmsg::sdp_rtp_addr(&msg.body) {
                    self.remote = Some(remote);
                }
                let answer = Direction::of_sdp(&msg.body).answer();
                let (ip, port, profile) = &self.media;
                self.answers += 1;
                let sdp = profile.sdp(*ip, *port, (1, self.answers), answer);
                let contact = Some((self.username.as_str(), self.local));
                out.send(user, sipmsg::response(msg, 200, &self.to_tag, contact, Some(&sdp)));
                let held = matches!(answer, Direction::RecvOnly | Direction::Inactive);
                if held != self.held && self.state == State::Confirmed {
                    self.held = held;
                    out.event(Event::CalleeHeld { user, call_id: self.call_id.clone(), held });
                }
            }
            "ACK" => {
                if self.state == State::Answered && msg.cseq == self.invite_cseq {
                    self.state = State::Confirmed;
                    self.retx = None;
                    out.event(Event::CalleeConfirmed {
                        user,
                        call_id: self.call_id.clone(),
                        sock: self.sock,
                        remote: self.remote,
                        uuid: self.uuid.clone(),
                    });
                }
            }
            "BYE" => {
                out.send(user, sipmsg::response(msg, 200, &self.to_tag, None, None));
                self.close(out);
            }
            _ => out.send(user, sipmsg::response(msg, 200, &self.to_tag, None, None)),
        }
    }

    fn close(&mut self, out: &mut Out) {
        if self.state != State::Done {
            self.state = State::Done;
            self.retx = None;
            out.event(Event::CalleeEnded { user: self.user, call_id: self.call_id.clone() });
        }
    }

    pub fn on_timer(&mut self, now: Instant, out: &mut Out) {
        let Some(retx) = &mut self.retx else { return };
        match retx.poll(now) {
            Step::Wait => {}
            Step::Resend(bytes) => out.send(self.user, bytes.to_vec()),
            Step::Timeout => self.close(out),
        }
    }
}
