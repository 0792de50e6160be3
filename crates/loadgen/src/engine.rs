//! The load generator's core, sans-IO: every user's registration, the
//! dialogs of calls in progress, one timer heap, the RTP streams and the
//! counters. The driver feeds it datagrams and the time and sends what it
//! leaves in its outbox.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::net::SocketAddr;
use std::time::Instant;

use crate::report::Counters;
use crate::rtp::Media;
use crate::sipmsg::{self, Msg};
use crate::ua::callee::Callee;
use crate::ua::caller::{CallSpec, Caller};
use crate::ua::register::Registration;
use crate::ua::{Event, Out, Phone, RtpSock, Settings};

/// One extension we play.
#[derive(Debug, Clone)]
pub struct User {
    pub name: String,
    pub password: String,
    /// Our SIP socket for this user.
    pub local: SocketAddr,
}

enum Dialog {
    Caller(Box<Caller>),
    Callee(Box<Callee>),
}

/// A dialog and the deadline its live timer-heap entry is for.
struct Slot {
    dialog: Dialog,
    armed: Option<Instant>,
}

/// A dialog is found by our user and its Call-ID.
type Key = (u32, String);

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum TimerRef {
    Reg(u32),
    Dialog(Key),
}

/// Each call's own stream and the switch's call UUID linking it to the
/// answering leg.
struct CallMedia {
    stream: Option<u32>,
    uuid: Option<String>,
}

pub struct Engine {
    settings: Settings,
    users: Vec<User>,
    /// Users `0..callers` place calls; the rest answer.
    callers: u32,
    regs: Vec<(Registration, Option<Instant>)>,
    dialogs: HashMap<Key, Slot>,
    timers: BinaryHeap<Reverse<(Instant, TimerRef)>>,
    out: Out,
    pub media: Media,
    rtp_socks: Vec<SocketAddr>,
    calls: HashMap<u64, CallMedia>,
    callee_media: HashMap<Key, CallMedia>,
    by_uuid: HashMap<String, Key>,
    pub counters: Counters,
    next_call: u64,
    next_callee_sock: usize,
    /// Users whose first REGISTER went out.
    reg_started: usize,
    /// Users whose first registration attempt has an outcome.
    settled: Vec<bool>,
    reg_settled: usize,
}

impl Engine {
    /// `users` needs at least two entries; `rtp_socks` at least one.
    pub fn new(settings: Settings, users: Vec<User>, rtp_socks: Vec<SocketAddr>, media: bool) -> Self {
        let profile = settings.profile.clone();
        let callers = (users.len() / 2).max(1) as u32;
        let users_len = users.len();
        let regs = users
            .iter()
            .enumerate()
            .map(|(i, u)| (Registration::new(i as u32, &u.name, &u.password, u.local, &settings), None))
            .collect();
        Self {
            settings,
            users,
            callers,
            regs,
            dialogs: HashMap::new(),
            timers: BinaryHeap::new(),
            out: Out::default(),
            media: Media::new(media, profile),
            rtp_socks,
            calls: HashMap::new(),
            callee_media: HashMap::new(),
            by_uuid: HashMap::new(),
            counters: Counters::default(),
            next_call: 0,
            next_callee_sock: 0,
            reg_started: 0,
            settled: vec![false; users_len],
            reg_settled: 0,
        }
    }

    /// Datagrams to send: from the socket of user `.0`, to the switch.
    pub fn take_sends(&mut self) -> Vec<(u32, Vec<u8>)> {
        std::mem::take(&mut self.out.sends)
    }

    /// Starts first registrations until `window` are waiting for an
    /// answer (or every user has started).
    pub fn register_more(&mut self, now: Instant, window: usize) {
        while self.reg_started < self.regs.len() && self.reg_started - self.reg_settled < window {
            let u = self.reg_started;
            self.reg_started += 1;
            self.regs[u].0.start(now, &mut self.out);
            self.arm_reg(u);
        }
        self.process_events();
    }

    pub fn unregister_all(&mut self, now: Instant) {
        for u in 0..self.regs.len() {
            self.regs[u].0.unregister(now, &mut self.out);
            self.arm_reg(u);
        }
        self.process_events();
    }

    /// Users registered or refused at least once: the first round is over
    /// when this reaches the number of users.
    pub fn settled(&self) -> usize {
        self.reg_settled
    }

    fn settle_user(&mut self, user: u32) {
        if let Some(s) = self.settled.get_mut(user as usize)
            && !*s
        {
            *s = true;
            self.reg_settled += 1;
        }
    }

    pub fn registered(&self) -> usize {
        self.regs.iter().filter(|(r, _)| r.is_registered()).count()
    }

    pub fn active_calls(&self) -> u64 {
        self.counters.placed - self.counters.ok - self.counters.failed
    }

    /// When `on_timers` next has work.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.timers.peek().map(|Reverse((t, _))| *t)
    }

    fn arm_reg(&mut self, u: usize) {
        let (reg, armed) = &mut self.regs[u];
        let deadline = reg.deadline();
        if deadline != *armed {
            *armed = deadline;
            if let Some(t) = deadline {
                self.timers.push(Reverse((t, TimerRef::Reg(u as u32))));
            }
        }
    }

    /// Re-arms a dialog's timer after it was touched, or drops it when over.
    fn settle(&mut self, key: Key) {
        let Some(slot) = self.dialogs.get_mut(&key) else {
            return;
        };
        let (done, deadline) = match &slot.dialog {
            Dialog::Caller(c) => (c.is_done(), c.deadline()),
            Dialog::Callee(c) => (c.is_done(), c.deadline()),
        };
        if done {
            self.dialogs.remove(&key);
        } else if deadline != slot.armed {
            slot.armed = deadline;
            if let Some(t) = deadline {
                self.timers.push(Reverse((t, TimerRef::Dialog(key))));
            }
        }
    }

    /// Places the next call: callers and callees in turn, pairs rotating.
    pub fn place_call(&mut self, now: Instant) {
        let n = self.next_call;
        self.next_call += 1;
        let callers = u64::from(self.callers);
        let callees = (self.users.len() as u64).saturating_sub(callers).max(1);
        let from = (n % callers) as u32;
        let to = (callers + (n + n / callers) % callees) as usize % self.users.len();
        let index = n as usize % self.rtp_socks.len();
        let (caller, callee) = (&self.users[from as usize], &self.users[to]);
        let spec = CallSpec {
            call: n,
            user: from,
            username: caller.name.clone(),
            password: caller.password.clone(),
            target: callee.name.clone(),
            local: caller.local,
            rtp: RtpSock { index, addr: self.rtp_socks[index] },
        };
        let leg = Caller::start(spec, &self.settings, now, &mut self.out);
        let key = (from, leg.call_id().to_owned());
        self.dialogs.insert(key.clone(), Slot { dialog: Dialog::Caller(Box::new(leg)), armed: None });
        self.settle(key);
        self.counters.placed += 1;
        self.counters.max_active = self.counters.max_active.max(self.active_calls());
        self.process_events();
    }

    /// A datagram arrived on the SIP socket of `user`.
    pub fn on_datagram(&mut self, user: u32, bytes: &[u8], now: Instant) {
        let Some(msg) = Msg::parse(bytes) else {
            self.counters.bad_sip += 1;
            return;
        };
        let u = user as usize;
        if u >= self.users.len() {
            return;
        }
        if msg.call_id == self.regs[u].0.call_id() {
            self.regs[u].0.on_response(&msg, now, &mut self.out);
            self.arm_reg(u);
        } else if let Some(slot) = self.dialogs.get_mut(&(user, msg.call_id.clone())) {
            match (&mut slot.dialog, msg.status()) {
                (Dialog::Caller(c), Some(_)) => c.on_response(&msg, now, &mut self.out),
                (Dialog::Caller(c), None) => c.on_request(&msg, &mut self.out),
                (Dialog::Callee(c), None) => c.on_request(&msg, &mut self.out),
                (Dialog::Callee(_), Some(_)) => {}
            }
            self.settle((user, msg.call_id.clone()));
        } else if msg.method() == Some("INVITE") && msg.to_tag().is_none() {
            let index = self.next_callee_sock % self.rtp_socks.len();
            self.next_callee_sock += 1;
            let me = &self.users[u];
            let phone = Phone { user, username: &me.name, local: me.local };
            let rtp = RtpSock { index, addr: self.rtp_socks[index] };
            let leg = Callee::answer(phone, &msg, rtp, &self.settings, now, &mut self.out);
            let key = (user, msg.call_id.clone());
            self.dialogs.insert(key.clone(), Slot { dialog: Dialog::Callee(Box::new(leg)), armed: None });
            self.settle(key);
        } else if let Some(method) = msg.method().filter(|m| *m != "ACK") {
            // A request for a dialog already over (a BYE retransmission).
            let status = if method == "BYE" { 200 } else { 481 };
            self.out.send(user, sipmsg::response(&msg, status, &sipmsg::token(), None, None));
        }
        self.process_events();
    }

    /// Runs every timer due at `now`.
    pub fn on_timers(&mut self, now: Instant) {
        while let Some(Reverse((t, _))) = self.timers.peek() {
            if *t > now {
                break;
            }
            let Some(Reverse((t, which))) = self.timers.pop() else {
                break;
            };
            match which {
                TimerRef::Reg(u) => {
                    let u = u as usize;
                    if self.regs[u].1 == Some(t) {
                        self.regs[u].1 = None;
                        self.regs[u].0.on_timer(now, &mut self.out);
                        self.arm_reg(u);
                    }
                }
                TimerRef::Dialog(key) => {
                    let Some(slot) = self.dialogs.get_mut(&key) else {
                        continue;
                    };
                    if slot.armed != Some(t) {
                        continue;
                    }
                    slot.armed = None;
                    match &mut slot.dialog {
                        Dialog::Caller(c) => c.on_timer(now, &mut self.out),
                        Dialog::Callee(c) => c.on_timer(now, &mut self.out),
                    }
                    self.settle(key);
                }
            }
        }
        self.process_events();
    }

    fn process_events(&mut self) {
        for event in std::mem::take(&mut self.out.events) {
            self.apply(event);
        }
    }

    fn apply(&mut self, event: Event) {
        let c = &mut self.counters;
        match event {
            Event::Registered { user } => {
                c.reg_ok += 1;
                self.settle_user(user);
            }
            Event::RegisterFailed { user, status } => {
                *c.reg_failures.entry(status.to_string()).or_default() += 1;
                self.settle_user(user);
            }
            Event::Unregistered { .. } => c.unregistered += 1,
            Event::Answered { call, setup, sock, remote, uuid } => {
                c.answered += 1;
                c.setup_us.record(setup.as_micros() as u64);
                let digits = self.settings.dtmf.as_ref().map(|(d, after)| (d.as_str(), *after));
                let stream = self.media.open(sock, remote, digits);
                self.calls.insert(call, CallMedia { stream, uuid });
            }
            Event::Reinvited { ok, .. } => {
                if ok {
                    c.reinvites_ok += 1;
                } else {
                    c.reinvites_failed += 1;
                }
            }
            Event::HangupDue { call } => {
                c.talk_secs += self.settings.hold.as_secs_f64();
                for id in self.streams_of(call) {
                    self.media.stop(id);
                }
            }
            Event::ByeSent { call } => self.finish_call_media(call),
            Event::CallEnded { call, failure } => {
                match failure {
                    None => c.ok += 1,
                    Some(why) => {
                        c.failed += 1;
                        *c.failures.entry(why).or_default() += 1;
                    }
                }
                self.finish_call_media(call);
            }
            Event::CalleeConfirmed { user, call_id, sock, remote, uuid } => {
                let stream = self.media.open(sock, remote, None);
                let key = (user, call_id);
                if let Some(u) = &uuid {
                    self.by_uuid.insert(u.clone(), key.clone());
                }
                self.callee_media.insert(key, CallMedia { stream, uuid });
            }
            Event::CalleeHeld { user, call_id, held } => {
                if let Some(id) = self.callee_media.get(&(user, call_id)).and_then(|m| m.stream) {
                    self.media.pause(id, held);
                }
            }
            Event::CalleeEnded { user, call_id } => {
                if let Some(m) = self.callee_media.remove(&(user, call_id)) {
                    if let Some(id) = m.stream {
                        self.media.finish(id);
                    }
                    if let Some(u) = m.uuid {
                        self.by_uuid.remove(&u);
                    }
                }
            }
        }
    }

    /// The call's own stream and its answering leg's, when known.
    fn streams_of(&self, call: u64) -> Vec<u32> {
        let Some(m) = self.calls.get(&call) else {
            return Vec::new();
        };
        let other = m
            .uuid
            .as_ref()
            .and_then(|u| self.by_uuid.get(u))
            .and_then(|key| self.callee_media.get(key))
            .and_then(|cm| cm.stream);
        m.stream.into_iter().chain(other).collect()
    }

    fn finish_call_media(&mut self, call: u64) {
        for id in self.streams_of(call) {
            self.media.finish(id);
        }
        self.calls.remove(&call);
    }
}

#[cfg(test)]
#[path = "engine_tests.rs"]
mod tests;
