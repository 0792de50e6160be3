//! Calls through a bare media relay, sans-IO: each call gets a relay
//! (allocated over NG from rtpengine, or a fixed port pair of the echo
//! relay), sends RTP both ways for the hold time with the same sender and
//! book as calls through the switch, stops, waits out the drain pause and
//! ends (rtpengine: `delete`).
//!
//! ```text
//!  rtpengine:  Offer ──ok──▶ Answer ──ok──▶ Up ──hold──▶ Draining ──drain──▶ Delete ──ok──▶ ended
//!  echo:       Priming ──prime──▶ Up ──hold──▶ Draining ──drain──▶ ended
//! ```
//!
//! Control requests are resent after `control_timeout`, at most
//! `control_tries` times in all; rtpengine answers a resent cookie from its
//! cache, so nothing is allocated twice.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use super::ng::{self, Outcome, Tags};
use crate::histogram::Histogram;
use crate::rtp::Media;
use crate::sipmsg;
use crate::ua::RtpSock;

/// The relay under test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// rtpengine: every call is allocated over its NG control socket.
    Rtpengine,
    /// The echo relay's fixed port pairs: pair k is `first_port + 2k`
    /// (the caller's side) and `first_port + 2k + 1` (the callee's).
    Echo { ip: IpAddr, first_port: u16, pairs: u16 },
}

/// How long each part of a call lasts.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub hold: Duration,
    /// Between stopping RTP and ending the call, for packets in flight.
    pub drain: Duration,
    /// Echo: between the empty datagrams that latch a pair and the RTP.
    pub prime: Duration,
    pub control_timeout: Duration,
    pub control_tries: u32,
}

/// A datagram to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transmit {
    /// To rtpengine's NG socket.
    Control(Vec<u8>),
    /// From our RTP socket `sock` to `to`.
    Rtp { sock: usize, to: SocketAddr, bytes: Vec<u8> },
}

#[derive(Debug, Default)]
pub struct Counters {
    pub placed: u64,
    /// Calls whose RTP started.
    pub up: u64,
    pub ok: u64,
    pub failed: u64,
    /// Failed calls by cause (`offer-timeout`, `answer: <reason>`, …).
    pub failures: BTreeMap<String, u64>,
    /// Offer sent → answer's reply received (rtpengine only), µs.
    pub setup_us: Histogram,
    pub max_active: u64,
    /// Answered time of calls that ran their full hold, seconds.
    pub talk_secs: f64,
    pub control_resent: u64,
    /// Control datagrams that were not a usable NG reply.
    pub bad_replies: u64,
    /// Replies for no request waiting (answers to a resent request).
    pub stray_replies: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Offer,
    Answer,
    Priming,
    Up,
    Draining,
    Delete,
}

impl Stage {
    /// The NG command a control stage waits on (the others never ask).
    fn command(self) -> &'static str {
        match self {
            Stage::Offer => "offer",
            Stage::Answer => "answer",
            _ => "delete",
        }
    }
}

struct Call {
    stage: Stage,
    deadline: Option<Instant>,
    started: Instant,
    a: RtpSock,
    b: RtpSock,
    /// Where the caller's and the callee's RTP go.
    remotes: [Option<SocketAddr>; 2],
    streams: [Option<u32>; 2],
    pair: Option<u16>,
    /// The control request waiting for its reply, and how often it went out.
    request: Option<(String, Vec<u8>)>,
    tries: u32,
}

pub struct Calls {
    target: Target,
    timing: Timing,
    rtp_socks: Vec<SocketAddr>,
    /// Tells this run's cookies and call ids from an earlier run's.
    run: u32,
    calls: HashMap<u64, Call>,
    timers: BinaryHeap<Reverse<(Instant, u64)>>,
    free_pairs: VecDeque<u16>,
    next_call: u64,
    out: Vec<Transmit>,
    pub media: Media,
    pub counters: Counters,
}

impl Calls {
    /// `rtp_socks` needs at least one entry.
    pub fn new(target: Target, timing: Timing, rtp_socks: Vec<SocketAddr>) -> Self {
        let free_pairs = match &target {
            Target::Echo { pairs, .. } => (0..*pairs).collect(),
            Target::Rtpengine => VecDeque::new(),
        };
        Self {
            target,
            timing,
            rtp_socks,
            run: rand::random(),
            calls: HashMap::new(),
            timers: BinaryHeap::new(),
            free_pairs,
            next_call: 0,
            out: Vec::new(),
            media: Media::new(true, std::sync::Arc::default()),
            counters: Counters::default(),
        }
    }

    pub fn take_transmits(&mut self) -> Vec<Transmit> {
        std::mem::take(&mut self.out)
    }

    pub fn active_calls(&self) -> u64 {
        self.counters.placed - self.counters.ok - self.counters.failed
    }

    /// When `on_timers` next has work.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.timers.peek().map(|Reverse((t, _))| *t)
    }

    fn tags(&self, id: u64) -> (String, String, String) {
        (format!("lg-{:08x}-{id}", self.run), format!("a{id}"), format!("b{id}"))
    }

    /// Starts the next call. The caller's and the callee's RTP sockets
    /// rotate through the pool half a pool apart, so a call's two legs
    /// use different sockets when there are several.
    pub fn place_call(&mut self, now: Instant) {
        let id = self.next_call;
        self.next_call += 1;
        self.counters.placed += 1;
        self.counters.max_active = self.counters.max_active.max(self.active_calls());
        let n = self.rtp_socks.len();
        let sock = |index: usize| RtpSock { index, addr: self.rtp_socks[index] };
        let (a, b) = (sock(id as usize % n), sock((id as usize + n / 2) % n));
        let mut call = Call {
            stage: Stage::Offer,
            deadline: None,
            started: now,
            a,
            b,
            remotes: [None; 2],
            streams: [None; 2],
            pair: None,
            request: None,
            tries: 0,
        };
        match self.target {
            Target::Rtpengine => {
                let (call_id, from, to) = self.tags(id);
                let tags = Tags { call_id: &call_id, from: &from, to: &to };
                let cookie = format!("{:08x}.{id}.o", self.run);
                let offer = ng::offer(&cookie, tags, &sipmsg::sdp(a.addr.ip(), a.addr.port(), id));
                self.calls.insert(id, call);
                self.send_request(id, cookie, offer, now);
            }
            Target::Echo { ip, first_port, .. } => {
                let Some(pair) = self.free_pairs.pop_front() else {
                    self.calls.insert(id, call);
                    self.fail(id, "no-free-port-pair".into());
                    return;
                };
                let port = first_port + 2 * pair;
                call.remotes = [Some(SocketAddr::new(ip, port)), Some(SocketAddr::new(ip, port + 1))];
                call.pair = Some(pair);
                call.stage = Stage::Priming;
                // An empty datagram from each side teaches the relay both
                // addresses before the first RTP packet needs them.
                for (leg, to) in [(a, port), (b, port + 1)] {
                    self.out.push(Transmit::Rtp { sock: leg.index, to: SocketAddr::new(ip, to), bytes: Vec::new() });
                }
                self.calls.insert(id, call);
                self.arm(id, now + self.timing.prime);
            }
        }
    }

    /// A datagram on the control socket.
    pub fn on_control(&mut self, datagram: &[u8], now: Instant) {
        let Ok(reply) = ng::parse_reply(datagram) else {
            self.counters.bad_replies += 1;
            return;
        };
        let id = reply.cookie.split('.').nth(1).and_then(|n| n.parse::<u64>().ok());
        let waiting = id.and_then(|id| Some((id, self.calls.get(&id)?)));
        let Some((id, call)) = waiting.filter(|(_, c)| c.request.as_ref().is_some_and(|(k, _)| *k == reply.cookie))
        else {
            self.counters.stray_replies += 1;
            return;
        };
        let stage = call.stage;
        let sdp = match reply.outcome {
            Outcome::Ok { sdp } => sdp,
            Outcome::Error(why) | Outcome::Other(why) => return self.fail(id, format!("{}: {why}", stage.command())),
        };
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        call.request = None;
        let remote = sdp.as_deref().and_then(sipmsg::sdp_rtp_addr);
        match stage {
            Stage::Offer => {
                // The offer's reply is the SDP for the callee: where B sends.
                let Some(to_relay) = remote else {
                    return self.fail(id, "offer: no usable SDP".into());
                };
                call.remotes[1] = Some(to_relay);
                call.stage = Stage::Answer;
                let b = call.b;
                let (call_id, from, to) = self.tags(id);
                let tags = Tags { call_id: &call_id, from: &from, to: &to };
                let cookie = format!("{:08x}.{id}.a", self.run);
                let answer = ng::answer(&cookie, tags, &sipmsg::sdp(b.addr.ip(), b.addr.port(), id));
                self.send_request(id, cookie, answer, now);
            }
            Stage::Answer => {
                let Some(to_relay) = remote else {
                    return self.fail(id, "answer: no usable SDP".into());
                };
                call.remotes[0] = Some(to_relay);
                self.counters.setup_us.record(now.duration_since(call.started).as_micros() as u64);
                self.start_media(id, now);
            }
            Stage::Delete => self.end(id, None),
            Stage::Priming | Stage::Up | Stage::Draining => {}
        }
    }

    /// Runs every timer due at `now`.
    pub fn on_timers(&mut self, now: Instant) {
        while let Some(&Reverse((t, id))) = self.timers.peek() {
            if t > now {
                break;
            }
            self.timers.pop();
            let Some(call) = self.calls.get_mut(&id).filter(|c| c.deadline == Some(t)) else {
                continue;
            };
            call.deadline = None;
            match call.stage {
                Stage::Offer | Stage::Answer | Stage::Delete => {
                    if call.request.is_some() && call.tries < self.timing.control_tries {
                        self.counters.control_resent += 1;
                        self.transmit_request(id, now);
                    } else {
                        let why = format!("{}-timeout", call.stage.command());
                        self.fail(id, why);
                    }
                }
                Stage::Priming => self.start_media(id, now),
                Stage::Up => {
                    call.stage = Stage::Draining;
                    for s in call.streams.iter().flatten() {
                        self.media.stop(*s);
                    }
                    self.counters.talk_secs += self.timing.hold.as_secs_f64();
                    self.arm(id, now + self.timing.drain);
                }
                Stage::Draining => {
                    for s in call.streams.iter().flatten() {
                        self.media.finish(*s);
                    }
                    call.streams = [None; 2];
                    if self.target == Target::Rtpengine {
                        call.stage = Stage::Delete;
                        let (call_id, from, to) = self.tags(id);
                        let tags = Tags { call_id: &call_id, from: &from, to: &to };
                        let cookie = format!("{:08x}.{id}.d", self.run);
                        let delete = ng::delete(&cookie, tags);
                        self.send_request(id, cookie, delete, now);
                    } else {
                        self.end(id, None);
                    }
                }
            }
        }
    }

    /// Sends a new control request and waits for its reply.
    fn send_request(&mut self, id: u64, cookie: String, bytes: Vec<u8>, now: Instant) {
        if let Some(call) = self.calls.get_mut(&id) {
            call.request = Some((cookie, bytes));
            call.tries = 0;
            self.transmit_request(id, now);
        }
    }

    /// Sends (again) the control request the call waits on.
    fn transmit_request(&mut self, id: u64, now: Instant) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some((_, bytes)) = &call.request else {
            return;
        };
        call.tries += 1;
        self.out.push(Transmit::Control(bytes.clone()));
        self.arm(id, now + self.timing.control_timeout);
    }

    fn start_media(&mut self, id: u64, now: Instant) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        call.stage = Stage::Up;
        call.streams = [
            self.media.open(call.a.index, call.remotes[0], None),
            self.media.open(call.b.index, call.remotes[1], None),
        ];
        self.counters.up += 1;
        self.arm(id, now + self.timing.hold);
    }

    fn arm(&mut self, id: u64, at: Instant) {
        if let Some(call) = self.calls.get_mut(&id) {
            call.deadline = Some(at);
            self.timers.push(Reverse((at, id)));
        }
    }

    fn fail(&mut self, id: u64, why: String) {
        self.end(id, Some(why));
    }

    /// The call is over: its streams are booked and its port pair is free.
    fn end(&mut self, id: u64, failure: Option<String>) {
        let Some(call) = self.calls.remove(&id) else {
            return;
        };
        for s in call.streams.iter().flatten() {
            self.media.finish(*s);
        }
        if let Some(pair) = call.pair {
            self.free_pairs.push_back(pair);
        }
        let c = &mut self.counters;
        match failure {
            None => c.ok += 1,
            Some(why) => {
                c.failed += 1;
                *c.failures.entry(why).or_default() += 1;
            }
        }
    }
}

#[cfg(test)]
#[path = "calls_tests.rs"]
mod tests;
