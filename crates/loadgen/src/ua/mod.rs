//! The user agents, sans-IO: registrations, calling legs and answering
//! legs are state machines fed messages and the time, which leave what to
//! send and what happened in an [`Out`].

pub mod callee;
pub mod caller;
pub mod register;
pub mod retx;
#[cfg(test)]
mod tests;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use crate::rtp::Profile;

/// Settings every user agent shares.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The SIP domain (digest realm) of the extensions.
    pub domain: String,
    /// The address our RTP sockets are bound to (goes into SDP).
    pub media_ip: IpAddr,
    /// How long an answered call lasts before the caller hangs up.
    pub hold: Duration,
    /// Pause between stopping RTP and sending BYE, so packets in flight
    /// arrive before the switch tears the relay down.
    pub drain: Duration,
    /// Give up on a call with no final response after this long.
    pub setup_timeout: Duration,
    /// Requested registration lifetime in seconds.
    pub expires: u32,
    /// The codec offered and answered, and what the streams play.
    pub profile: Arc<Profile>,
    /// The caller puts the call on hold this long after the answer, for
    /// the second duration (re-INVITE with `sendonly`, then `sendrecv`).
    pub on_hold: Option<(Duration, Duration)>,
    /// Digits each caller sends (RFC 4733), and seconds after the answer.
    pub dtmf: Option<(String, f64)>,
}

/// An RTP socket of ours: its index in the pool and its address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpSock {
    pub index: usize,
    pub addr: SocketAddr,
}

/// One of our extensions: its index, SIP user name and SIP socket.
#[derive(Debug, Clone, Copy)]
pub struct Phone<'a> {
    pub user: u32,
    pub username: &'a str,
    pub local: SocketAddr,
}

/// What a user agent reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A REGISTER (initial or refresh) was accepted.
    Registered {
        user: u32,
    },
    RegisterFailed {
        user: u32,
        status: u16,
    },
    Unregistered {
        user: u32,
    },
    /// The caller got the 200 to its INVITE.
    Answered {
        call: u64,
        setup: Duration,
        sock: usize,
        remote: Option<SocketAddr>,
        uuid: Option<String>,
    },
    /// A re-INVITE of the caller (hold or resume) got its final answer.
    Reinvited {
        call: u64,
        ok: bool,
    },
    /// The hold time is over: stop sending RTP on both legs.
    HangupDue {
        call: u64,
    },
    /// The caller sent BYE: the call's streams are final.
    ByeSent {
        call: u64,
    },
    /// The call is over; `failure` names why it failed (a SIP status code
    /// or a word such as `timeout`), `None` for a call that went to plan.
    CallEnded {
        call: u64,
        failure: Option<String>,
    },
    /// The answering leg got its ACK: start sending RTP.
    CalleeConfirmed {
        user: u32,
        call_id: String,
        sock: usize,
        remote: Option<SocketAddr>,
        uuid: Option<String>,
    },
    /// The answering leg was put on hold (it stops sending) or resumed.
    CalleeHeld {
        user: u32,
        call_id: String,
        held: bool,
    },
    /// The answering leg is over (BYE, or no ACK).
    CalleeEnded {
        user: u32,
        call_id: String,
    },
}

/// What the user agents want done: datagrams to send to the switch, from
/// the socket of `user`, and events.
#[derive(Debug, Default)]
pub struct Out {
    pub sends: Vec<(u32, Vec<u8>)>,
    pub events: Vec<Event>,
}

impl Out {
    pub fn send(&mut self, user: u32, bytes: Vec<u8>) {
        self.sends.push((user, bytes));
    }

    pub fn event(&mut self, e: Event) {
        self.events.push(e);
    }
}
