//! The B2BUA (sans-IO): joins a caller's dialog (leg A, where we are the
//! UAS) to a callee's (leg B, where we are the UAC), relaying signalling
//! between them and asking the driver, through [`Command`]s, to send
//! messages, point the media relay, and record the call. A call can also
//! start from the switch ([`B2bua::originate`]: click-to-call): then A is
//! dialled like B, with the switch's own SDP offer, and B once A answers.
//!
//! Layout: `call` (one call's state machine), `build` (writing messages),
//! `routing` (the rule table), `cause` (hangup causes).
//!
//! ```text
//!   INVITE(A) ──► Ringing ──2xx(B)──► Answered ──ACK(A)──► Confirmed
//!                   │                                         │
//!                   ├─ all forks fail / ring timeout / CANCEL ├─ BYE (either) / media timeout
//!                   ▼                                         ▼
//!                 Ended ◄─────────────────────────────────── Ended
//!
//!   originate ──► Ringing (A rings) ──2xx(A), ACK──► Ringing (B rings) ──2xx(B), ACK──► Confirmed
//!                   │ A fails: B never dialled          │ B fails: BYE to A
//!                   ▼                                   ▼
//!                 Ended                               Ended
//!
//!   answer (hosted menu) ──2xx(A)──► Answered ──ACK──► Confirmed (A alone)
//!   originate, Park ──2xx(A), ACK──────────────────► Confirmed (A alone)
//!   Confirmed (A alone) ──bridge──► Ringing (B rings) ──2xx(B)──► Confirmed
//! ```

pub mod build;
mod call;
pub mod cause;
pub mod routing;

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use rsip::{Request, Response};
use voxide_sip::transaction::TransactionKey;

pub use build::Flow;
pub use call::Target;
pub use cause::HangupCause;

use crate::call::Call;

/// Which side of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    A,
    B,
}

/// What the B2BUA asks the driver to do.
#[derive(Debug)]
pub enum Command {
    /// Answer through server transaction `key`.
    Respond {
        key: TransactionKey,
        response: Response,
    },
    /// Send through a new client transaction to `flow`.
    Request {
        flow: Flow,
        request: Request,
    },
    /// Send an ACK for a 2xx directly (it is not a transaction).
    Ack {
        flow: Flow,
        request: Request,
    },
    /// Where `side` receives RTP, from its SDP.
    MediaRemote {
        call: u64,
        side: Side,
        addr: SocketAddr,
    },
    /// The codec and telephone-event payload type each side uses (equal:
    /// plain relay; different: the relay transcodes and regenerates digits).
    MediaCodecs {
        call: u64,
        a: voxide_sdp::LegFormat,
        b: voxide_sdp::LegFormat,
    },
    MediaHold {
        call: u64,
        on: bool,
    },
    /// `side` sent a digit by SIP INFO.
    Digit {
        call: u64,
        side: Side,
        digit: char,
        duration_ms: u32,
    },
    /// `side` asked, with a REFER (RFC 3515), for the other side to be
    /// transferred to `to` (the Refer-To URI's user part). The REFER was
    /// accepted (202); the driver routes `to` and calls
    /// [`B2bua::transfer`].
    TransferAsked {
        call: u64,
        side: Side,
        to: String,
    },
    /// Play digits to `side` as RFC 4733 events through the relay.
    SendDigits {
        call: u64,
        side: Side,
        digits: String,
        duration_ms: u32,
    },
    /// A leg the switch dialled rang for the first time (B's, and A's on
    /// a call the switch placed).
    Ringing {
        call: u64,
        side: Side,
    },
    /// The callee answered: both legs are connected.
    Answered {
        call: u64,
    },
    /// Nobody answered the step of a planned call ([`B2bua::start_planned`]):
    /// every fork failed (`status` is the best of their answers) or its
    /// ring time ran out (480, `NoAnswer`). A still rings; the driver
    /// rings the next step, refuses A, or answers it.
    Unanswered {
        call: u64,
        status: u16,
        cause: HangupCause,
    },
    /// The call is over: write the CDR, free the relay.
    Ended {
        call: u64,
        cause: HangupCause,
    },
}

/// Settings shared by every call.
#[derive(Debug, Clone)]
pub struct B2buaConfig {
    /// Our SIP address as written in Via and Contact.
    pub sip_addr: SocketAddr,
    /// Our media address as written in SDP.
    pub media_ip: IpAddr,
    pub ring_timeout: Duration,
    /// T1 of RFC 3261, for retransmitting our 2xx until ACKed.
    pub t1: Duration,
}

/// A call the driver has authenticated, routed and given a relay.
#[derive(Debug)]
pub struct NewCall {
    pub id: u64,
    pub call_uuid: String,
    pub key: TransactionKey,
    pub invite: Request,
    pub a_flow: Flow,
    pub targets: Vec<Target>,
    /// Relay ports facing A and B.
    pub media_ports: (u16, u16),
}

/// A call the switch places itself (originate, click-to-call): A is rung
/// first, with the switch's own offer; what happens once A answers is
/// `then`. If A does not answer, the call ends and nothing else is dialled.
#[derive(Debug)]
pub struct Originate {
    pub id: u64,
    pub call_uuid: String,
    /// Where A rings (a device's registered contacts), forked.
    pub a_targets: Vec<Target>,
    /// The From A is shown (a name-addr without tag): whom it will talk to.
    pub a_caller_id: String,
    /// Relay ports facing A and B.
    pub media_ports: (u16, u16),
    pub then: Then,
}

/// What an originated call does once A answers.
#[derive(Debug)]
pub enum Then {
    /// Dial `targets` (forked; the first to answer wins), showing them
    /// `caller_id` (a name-addr without tag) as From, and bridge A to it.
    Bridge { targets: Vec<Target>, caller_id: String },
    /// Nothing: A alone is connected to the switch (whose media engine
    /// plays to it and listens), until [`B2bua::bridge`] or a hang-up.
    Park,
}

/// All calls in progress.
pub struct B2bua {
    config: B2buaConfig,
    calls: HashMap<u64, Call>,
    /// Call-ID (either leg's) → call.
    by_call_id: HashMap<String, u64>,
    /// INVITE server transaction → call (for CANCEL).
    by_invite: HashMap<TransactionKey, u64>,
    /// Client transaction branch → call.
    by_branch: HashMap<String, u64>,
    /// Each call's branches, to forget them with the call.
    branches_of: HashMap<u64, Vec<String>>,
    /// Each call's next timer, ordered, so the earliest is found without
    /// looking at every call.
    timers: std::collections::BTreeSet<(Instant, u64)>,
    timer_of: HashMap<u64, Instant>,
    commands: VecDeque<Command>,
}

impl B2bua {
    pub fn new(config: B2buaConfig) -> Self {
        Self {
            config,
            calls: HashMap::new(),
            by_call_id: HashMap::new(),
            by_invite: HashMap::new(),
            by_branch: HashMap::new(),
            branches_of: HashMap::new(),
            timers: std::collections::BTreeSet::new(),
            timer_of: HashMap::new(),
            commands: VecDeque::new(),
        }
    }

    pub fn poll_command(&mut self) -> Option<Command> {
        self.commands.pop_front()
    }

    pub fn len(&self) -> usize {
        self.calls.len()
    }

    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    /// Call-UUIDs of the calls in progress.
    pub fn call_uuids(&self) -> Vec<(u64, String)> {
        self.calls.values().map(|c| (c.id, c.uuid.clone())).collect()
    }

    /// Starts a phone's call: forks its INVITE to every target.
    pub fn start(&mut self, now: Instant, new: NewCall) {
        let id = new.id;
        let (call, out) = Call::start(now, &self.config, new);
        self.admit(id, call, out);
    }

    /// Answers a phone's call at the switch itself (a hosted menu): a 200
    /// whose SDP answers A's offer in a codec the media engine can play and
    /// hear; nothing is dialled until [`B2bua::bridge`]. `new.targets` is
    /// ignored.
    pub fn answer(&mut self, now: Instant, new: NewCall) {
        let id = new.id;
        let (call, out) = Call::answer_here(now, &self.config, new);
        self.admit(id, call, out);
    }

    /// Admits a phone's call whose callee the switch will look for step by
    /// step: A gets 100 Trying and waits for [`B2bua::ring`],
    /// [`B2bua::refuse`] or [`B2bua::answer_waiting`]. `new.targets` is
    /// ignored.
    pub fn start_planned(&mut self, now: Instant, new: NewCall) {
        let id = new.id;
        let (call, out) = Call::start_planned(now, &self.config, new);
        self.admit(id, call, out);
    }

    /// Rings one step of a planned call: forks B to `targets` for at most
    /// `ring_for`, shown `caller_id` when given. If nobody answers, the
    /// call reports [`Command::Unanswered`]. False when the call is not
    /// waiting for a step.
    pub fn ring(
        &mut self,
        now: Instant,
        id: u64,
        targets: Vec<Target>,
        ring_for: std::time::Duration,
        caller_id: Option<&str>,
    ) -> bool {
        let Some(call) = self.calls.get_mut(&id) else { return false };
        if !call.is_awaiting() {
            return false;
        }
        let old_b = call.b.call_id.clone();
        let out = call.ring(now, &self.config, targets, ring_for, caller_id);
        self.by_call_id.remove(&old_b);
        self.by_call_id.insert(call.b.call_id.clone(), id);
        self.absorb(id, out);
        true
    }

    /// Ends a planned call that found nobody: A gets `status`.
    pub fn refuse(&mut self, now: Instant, id: u64, status: u16, cause: HangupCause) -> bool {
        let out = match self.calls.get_mut(&id) {
            Some(call) => call.refuse_waiting(now, &self.config, status, cause),
            None => return false,
        };
        let done = !out.is_empty();
        self.absorb(id, out);
        done
    }

    /// The switch answers a planned call's A itself (voicemail): see
    /// [`B2bua::answer`]. False when the call is not waiting for a step.
    pub fn answer_waiting(&mut self, now: Instant, id: u64) -> bool {
        let Some(call) = self.calls.get_mut(&id) else { return false };
        let old_b = call.b.call_id.clone();
        let out = call.answer_waiting(now, &self.config);
        if out.is_empty() {
            return false;
        }
        self.by_call_id.remove(&old_b);
        self.by_call_id.insert(call.b.call_id.clone(), id);
        self.absorb(id, out);
        true
    }

    /// Dials `targets` for a call whose only leg is up (one the switch
    /// answered or placed with [`Then::Park`]) and bridges A to whoever
    /// answers. False when the call is not such a call.
    pub fn bridge(&mut self, now: Instant, id: u64, targets: Vec<Target>, caller_id: &str) -> bool {
        let out = match self.calls.get_mut(&id) {
            Some(call) => call.bridge(now, &self.config, targets, caller_id),
            None => return false,
        };
        let dialled = !out.is_empty();
        self.absorb(id, out);
        dialled
    }

    /// Blind transfer of A: B is hung up and `targets` are dialled in its
    /// place, shown `caller_id`; A hears nothing of it but the new party.
    /// False when the call is not connected.
    pub fn transfer(&mut self, now: Instant, id: u64, targets: Vec<Target>, caller_id: &str) -> bool {
        let Some(call) = self.calls.get_mut(&id) else { return false };
        let old_b = call.b.call_id.clone();
        let out = call.transfer_a(now, &self.config, targets, caller_id);
        if out.is_empty() {
            return false;
        }
        // The old B's dialog is over: its requests now get 481.
        self.by_call_id.remove(&old_b);
        self.by_call_id.insert(call.b.call_id.clone(), id);
        self.absorb(id, out);
        true
    }

    /// Tells the callee whose REFER could not be carried out why (`status`,
    /// e.g. `404 Not Found`); the call goes on as it was.
    pub fn transfer_refused(&mut self, id: u64, status: &str) {
        let out = match self.calls.get_mut(&id) {
            Some(call) => call.refer_refused(&self.config, status),
            None => return,
        };
        self.absorb(id, out);
    }

    /// Places a call from the switch: rings A, then does what `then` says.
    pub fn originate(&mut self, now: Instant, originate: Originate) {
        let id = originate.id;
        let (call, out) = Call::originate(now, &self.config, originate);
        self.admit(id, call, out);
    }

    /// Indexes a new call and queues what it sent.
    fn admit(&mut self, id: u64, call: Call, out: Vec<Command>) {
        self.by_call_id.insert(call.a.call_id.clone(), id);
        self.by_call_id.insert(call.b.call_id.clone(), id);
        if let Some(a) = &call.a.invited {
            self.by_invite.insert(a.key.clone(), id);
        }
        let branches: Vec<String> =
            call.a_dialled.forks.iter().chain(&call.b.forks).map(|f| f.branch.clone()).collect();
        for branch in &branches {
            self.by_branch.insert(branch.clone(), id);
        }
        self.branches_of.insert(id, branches);
        self.calls.insert(id, call);
        self.absorb(id, out);
    }

    /// Whether `req` (an in-dialog request) belongs to a call we know.
    pub fn owns(&self, req: &Request) -> bool {
        self.by_call_id.contains_key(&build::call_id(req))
    }

    /// A CANCEL whose INVITE transaction is `invite_key`. Returns false if
    /// no call matches (the driver answers 481).
    pub fn cancel(
        &mut self,
        now: Instant,
        invite_key: &TransactionKey,
        cancel_key: TransactionKey,
        cancel: &Request,
    ) -> bool {
        let Some(&id) = self.by_invite.get(invite_key) else { return false };
        let out = match self.calls.get_mut(&id) {
            Some(call) => call.on_cancel(now, &self.config, cancel_key, cancel),
            None => return false,
        };
        self.absorb(id, out);
        true
    }

    /// An in-dialog request (BYE, re-INVITE, UPDATE, INFO, ACK…). Returns
    /// false when no dialog matches (the driver answers 481).
    pub fn request(&mut self, now: Instant, key: Option<TransactionKey>, req: Request, flow: Flow) -> bool {
        let Some(&id) = self.by_call_id.get(&build::call_id(&req)) else { return false };
        let Some(call) = self.calls.get_mut(&id) else { return false };
        let (handled, out) = call.on_request(now, &self.config, key, req, flow);
        self.absorb(id, out);
        handled
    }

    /// A response to one of our client transactions.
    pub fn response(&mut self, now: Instant, key: &TransactionKey, resp: Response) {
        let Some(&id) = self.by_branch.get(key.branch()) else { return };
        let out = match self.calls.get_mut(&id) {
            Some(call) => call.on_response(now, &self.config, key, resp),
            None => return,
        };
        self.absorb(id, out);
    }

    /// A client transaction timed out (timer B or F).
    pub fn timeout(&mut self, now: Instant, key: &TransactionKey) {
        let Some(&id) = self.by_branch.get(key.branch()) else { return };
        let out = match self.calls.get_mut(&id) {
            Some(call) => call.on_transaction_timeout(now, &self.config, key),
            None => return,
        };
        self.absorb(id, out);
    }

    /// Ends a call from outside: media timeout, API hang-up, shutdown.
    pub fn hangup(&mut self, now: Instant, id: u64, cause: HangupCause) {
        let out = match self.calls.get_mut(&id) {
            Some(call) => call.hangup(now, &self.config, cause),
            None => return,
        };
        self.absorb(id, out);
    }

    /// Opens early media toward the caller of a ringing call (a 183 with
    /// SDP from the switch), so a prompt can be played before the answer.
    /// False when the call is not ringing or had it already.
    pub fn early_media(&mut self, id: u64) -> bool {
        let out = match self.calls.get_mut(&id) {
            Some(call) => call.early_media(&self.config),
            None => return false,
        };
        let sent = !out.is_empty();
        self.absorb(id, out);
        sent
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.first().map(|(at, _)| *at)
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        let due: Vec<u64> = self.timers.iter().take_while(|(at, _)| *at <= now).map(|(_, id)| *id).collect();
        for id in due {
            let out = match self.calls.get_mut(&id) {
                Some(call) => call.on_timer(now, &self.config),
                None => continue,
            };
            self.absorb(id, out);
        }
    }

    /// Queues a call's output; forgets the call once it has ended and has
    /// nothing left in flight.
    fn absorb(&mut self, id: u64, out: Vec<Command>) {
        self.commands.extend(out);
        let Some(call) = self.calls.get_mut(&id) else { return };
        let fresh = call.take_new_branches();
        let next = call.next_timeout();
        let finished = call.finished();
        let known = self.branches_of.entry(id).or_default();
        for branch in fresh {
            self.by_branch.insert(branch.clone(), id);
            known.push(branch);
        }
        if let Some(old) = self.timer_of.remove(&id) {
            self.timers.remove(&(old, id));
        }
        if finished {
            if let Some(call) = self.calls.remove(&id) {
                self.by_call_id.remove(&call.a.call_id);
                self.by_call_id.remove(&call.b.call_id);
                if let Some(a) = &call.a.invited {
                    self.by_invite.remove(&a.key);
                }
            }
            for branch in self.branches_of.remove(&id).unwrap_or_default() {
                self.by_branch.remove(&branch);
            }
        } else if let Some(at) = next {
            self.timers.insert((at, id));
            self.timer_of.insert(id, at);
        }
    }
}

#[cfg(test)]
mod tests;
