//! What a call to an extension or a hunt group does next, sans-IO: given
//! the callee's settings, who is registered or busy, and how the last step
//! went, the next [`Action`]. The plan runner (`plans`) carries actions out
//! and feeds back each step's [`Outcome`].

use voxide_store::DestinationRef;

/// A caller id to show the callee instead of the caller's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerId {
    pub number: String,
    pub name: String,
}

/// Who a step rings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Party {
    /// Every phone registered for an extension.
    Extension { id: i64, username: String },
    /// A number, routed like one the tenant's phones dial (an outside
    /// number through a trunk, or another extension).
    Number(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Ring `parties` at once for at most `ring_secs`.
    Ring { parties: Vec<Party>, ring_secs: u32, caller_id: Option<CallerId> },
    /// Go on with another destination.
    Goto(DestinationRef),
    /// Answer and take a message for this extension's box.
    Voicemail(i64),
    /// Give up: the caller gets this SIP status.
    Refuse(u16),
}

/// How a step that was not answered ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Busy,
    NoAnswer,
}

impl Outcome {
    /// From the best SIP status of a step's failed forks.
    pub fn of_status(status: u16) -> Outcome {
        if matches!(status, 486 | 600 | 603) { Outcome::Busy } else { Outcome::NoAnswer }
    }
}

/// What the plan needs to know about phones right now.
pub trait Presence {
    /// Whether the extension has a registered phone.
    fn registered(&self, extension_id: i64) -> bool;
    /// Whether the extension is on a call.
    fn busy(&self, extension_id: i64) -> bool;
}

/// An extension's call settings, as the plan sees them.
#[derive(Debug, Clone, Default)]
pub struct ExtensionView {
    pub id: i64,
    pub username: String,
    pub dnd: bool,
    pub call_waiting: bool,
    pub forward_always: Option<DestinationRef>,
    pub forward_busy: Option<DestinationRef>,
    pub forward_no_answer: Option<DestinationRef>,
    pub forward_unregistered: Option<DestinationRef>,
    pub ring_secs: u32,
    /// Follow-me: numbers tried in order once the extension itself did not
    /// answer, each with its ring time, shown `followme_caller_id`.
    pub followme: Vec<(String, u32)>,
    pub followme_caller_id: Option<CallerId>,
    pub voicemail: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ExtStage {
    Start,
    /// The extension itself was rung.
    RangSelf,
    /// Follow-me step `n` was rung.
    FollowMe(usize),
    Done,
}

/// A call to one extension: forward-always, do-not-disturb, not
/// registered, busy without call waiting, then the extension, its
/// follow-me list, and on no answer or busy its forward, its voicemail,
/// or a refusal.
#[derive(Debug)]
pub struct ExtensionFlow {
    ext: ExtensionView,
    stage: ExtStage,
}

impl ExtensionFlow {
    pub fn new(ext: ExtensionView) -> Self {
        Self { ext, stage: ExtStage::Start }
    }

    /// The next action, after `outcome` of the step rung last (`None` at
    /// the start).
    pub fn next(&mut self, outcome: Option<Outcome>, presence: &impl Presence) -> Action {
        let ext = &self.ext;
        match (self.stage, outcome) {
            (ExtStage::Start, _) => {
                if let Some(dest) = &ext.forward_always {
                    return self.finish(Action::Goto(dest.clone()));
                }
                if ext.dnd || (!ext.call_waiting && presence.busy(ext.id)) {
                    return self.busy();
                }
                if !presence.registered(ext.id) {
                    if let Some(dest) = &ext.forward_unregistered {
                        return self.finish(Action::Goto(dest.clone()));
                    }
                    // Follow-me reaches the person wherever the desk phone is.
                    return self.follow_me(0).unwrap_or_else(|| self.unavailable(480));
                }
                self.stage = ExtStage::RangSelf;
                Action::Ring {
                    parties: vec![Party::Extension { id: ext.id, username: ext.username.clone() }],
                    ring_secs: ext.ring_secs,
                    caller_id: None,
                }
            }
            (ExtStage::RangSelf, Some(Outcome::Busy)) => self.busy(),
            (ExtStage::RangSelf, _) => self.follow_me(0).unwrap_or_else(|| self.no_answer()),
            (ExtStage::FollowMe(n), _) => self.follow_me(n + 1).unwrap_or_else(|| self.no_answer()),
            (ExtStage::Done, _) => Action::Refuse(480),
        }
    }

    fn follow_me(&mut self, n: usize) -> Option<Action> {
        let (number, ring_secs) = self.ext.followme.get(n)?.clone();
        self.stage = ExtStage::FollowMe(n);
        Some(Action::Ring {
            parties: vec![Party::Number(number)],
            ring_secs,
            caller_id: self.ext.followme_caller_id.clone(),
        })
    }

    fn busy(&mut self) -> Action {
        match self.ext.forward_busy.clone() {
            Some(dest) => self.finish(Action::Goto(dest)),
            None => self.unavailable(486),
        }
    }

    fn no_answer(&mut self) -> Action {
        match self.ext.forward_no_answer.clone() {
            Some(dest) => self.finish(Action::Goto(dest)),
            None => self.unavailable(480),
        }
    }

    /// Voicemail when the box is on, else the status.
    fn unavailable(&mut self, status: u16) -> Action {
        let action = if self.ext.voicemail { Action::Voicemail(self.ext.id) } else { Action::Refuse(status) };
        self.finish(action)
    }

    fn finish(&mut self, action: Action) -> Action {
        self.stage = ExtStage::Done;
        action
    }
}

/// How a hunt group picks the order of its members.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// Every member at once.
    RingAll,
    /// One after the other, in the group's order.
    Sequential,
    /// One after the other, starting after whoever was rung last time.
    RoundRobin,
    /// One after the other, whoever has been off the phone longest first.
    LongestIdle,
}

/// A hunt group, as the plan sees it.
#[derive(Debug, Clone)]
pub struct HuntView {
    pub strategy: Strategy,
    /// Per member for the one-by-one strategies, in all for ring-all.
    pub ring_secs: u32,
    /// Leave out members on a call.
    pub skip_busy: bool,
    /// (extension id, username), in the group's order.
    pub members: Vec<(i64, String)>,
    /// Where a call nobody took goes; none: it is refused.
    pub overflow: Option<DestinationRef>,
}

/// The order a one-by-one group tries its members in: the group's order,
/// rotated to start after `last_member` (round robin), or by when each
/// last ended a call (longest idle: never first, then oldest).
pub fn member_order(
    strategy: Strategy,
    members: &[(i64, String)],
    last_member: Option<i64>,
    last_call_ended: &std::collections::HashMap<i64, Option<String>>,
) -> Vec<(i64, String)> {
    let mut order = members.to_vec();
    match strategy {
        Strategy::RoundRobin => {
            if let Some(i) = last_member.and_then(|m| order.iter().position(|(id, _)| *id == m)) {
                order.rotate_left(i + 1);
            }
        }
        Strategy::LongestIdle => {
            // Stable: members who ended calls at the same time keep the group's order.
            order.sort_by_key(|(id, _)| last_call_ended.get(id).cloned().flatten());
        }
        Strategy::RingAll | Strategy::Sequential => {}
    }
    order
}

/// A call to a hunt group (members already in [`member_order`]).
#[derive(Debug)]
pub struct HuntFlow {
    hunt: HuntView,
    /// Next member to try (one-by-one strategies).
    next_member: usize,
    rang_all: bool,
    /// The member rung by the last step (one-by-one strategies).
    pub last_rung: Option<i64>,
}

impl HuntFlow {
    pub fn new(hunt: HuntView) -> Self {
        Self { hunt, next_member: 0, rang_all: false, last_rung: None }
    }

    fn eligible(&self, id: i64, presence: &impl Presence) -> bool {
        presence.registered(id) && !(self.hunt.skip_busy && presence.busy(id))
    }

    pub fn next(&mut self, presence: &impl Presence) -> Action {
        let ring_secs = self.hunt.ring_secs;
        if self.hunt.strategy == Strategy::RingAll {
            if !self.rang_all {
                self.rang_all = true;
                let parties: Vec<Party> = self
                    .hunt
                    .members
                    .iter()
                    .filter(|(id, _)| self.eligible(*id, presence))
                    .map(|(id, username)| Party::Extension { id: *id, username: username.clone() })
                    .collect();
                if !parties.is_empty() {
                    return Action::Ring { parties, ring_secs, caller_id: None };
                }
            }
            return self.overflow();
        }
        while let Some((id, username)) = self.hunt.members.get(self.next_member).cloned() {
            self.next_member += 1;
            if self.eligible(id, presence) {
                self.last_rung = Some(id);
                return Action::Ring { parties: vec![Party::Extension { id, username }], ring_secs, caller_id: None };
            }
        }
        self.overflow()
    }

    fn overflow(&self) -> Action {
        match &self.hunt.overflow {
            Some(dest) => Action::Goto(dest.clone()),
            None => Action::Refuse(480),
        }
    }
}

#[cfg(test)]
#[path = "flow_tests.rs"]
mod tests;
