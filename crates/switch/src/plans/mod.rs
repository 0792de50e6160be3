//! PBX call plans: a call to an extension with call features, to a hunt
//! group, or to a DID routed to a destination waits (ringing) while a task
//! finds its callee step by step: forwards, do-not-disturb, follow-me,
//! hunt strategies, time and caller-id conditions, custom numbers,
//! voicemail. The B2BUA rings each step ([`B2bua::ring`]) and reports
//! steps nobody answered; the task decides what comes next.
//!
//! Layout: `flow` (the decisions, sans-IO), `control` (what a plan asks of
//! the driver), `mwi` (message-waiting NOTIFYs), `voicemail` (taking and
//! playing back messages); this module runs a plan per call.
//!
//! [`B2bua::ring`]: voxide_b2bua::B2bua::ring

pub(crate) mod admit;
pub(crate) mod control;
pub(crate) mod flow;
pub(crate) mod mail;
pub(crate) mod mwi;
pub(crate) mod voicemail;

use std::collections::VecDeque;
use std::time::Duration;

use chrono::{DateTime, Utc};
use voxide_store::{DestinationRef, ExtensionFeatures, HuntGroup, HuntStrategy, Store};

use crate::control::SwitchControl;
use crate::menus::MenuHost;
use crate::sessions::{CallSession, CallSignal};
use flow::{Action, CallerId, ExtensionFlow, ExtensionView, HuntFlow, HuntView, Outcome, Party, Strategy};
pub(crate) use voicemail::Voicemail;

/// Destinations followed per call before giving up (forward loops).
const MAX_HOPS: usize = 8;
/// Ring time for a bare number (a custom destination, a forward).
const NUMBER_RING_SECS: u32 = 60;

/// What every plan needs; cheap to clone.
#[derive(Clone)]
pub(crate) struct PlanHost {
    pub(crate) store: Store,
    pub(crate) control: SwitchControl,
    pub(crate) menus: MenuHost,
    pub(crate) voicemail: Voicemail,
    /// A fixed "now" for time conditions (testing a schedule); none: the clock.
    pub(crate) now: Option<DateTime<Utc>>,
}

/// How a destination ended for the plan.
enum Next {
    Goto(DestinationRef),
    /// Nobody there took the call: the caller gets this status, unless a
    /// chained destination comes next.
    Refused(u16),
    Done,
}

/// Who is calling, for conditions and voicemail, and how the callee is
/// shown the caller (a DID's prefixes, an extension's own caller id).
#[derive(Debug, Clone)]
pub(crate) struct PlannedCall {
    pub(crate) tenant_id: i64,
    pub(crate) caller: String,
    pub(crate) shown: Option<CallerId>,
    /// The DID the call came in on.
    pub(crate) did_id: Option<i64>,
}

impl PlanHost {
    /// Runs the plan of a waiting call, from `first`.
    pub(crate) fn run(&self, session: CallSession, call: PlannedCall, first: DestinationRef) {
        let host = self.clone();
        tokio::spawn(async move {
            let uuid = session.call_uuid.clone();
            if let Err(why) = host.serve(session, &call, first).await {
                tracing::warn!(call_uuid = %uuid, %why, "call plan failed");
                host.control.refuse(&uuid, 480);
                host.control.hangup(&uuid).await;
            }
        });
    }

    /// A phone of an extension registered: it is told whether voicemail
    /// waits (when the box has messages), as it may have missed it.
    pub(crate) fn new_phone(&self, tenant_id: i64, extension_id: i64) {
        let (store, control) = (self.store.clone(), self.control.clone());
        tokio::spawn(async move {
            let Ok(Some(f)) = store.extension_features(extension_id).await else { return };
            let Ok((new, old)) = store.voicemail_counts(extension_id).await else { return };
            if f.voicemail_enabled && new + old > 0 {
                control.message_waiting(tenant_id, extension_id, new as u32, old as u32);
            }
        });
    }

    async fn serve(&self, mut session: CallSession, call: &PlannedCall, first: DestinationRef) -> Result<(), String> {
        let uuid = session.call_uuid.clone();
        let mut dest = first;
        // What comes after a destination nobody took (seed 003's chains).
        let mut chained: VecDeque<DestinationRef> = match call.did_id {
            Some(did) => self.chain_after(call.tenant_id, "did", did).await.into(),
            None => VecDeque::new(),
        };
        for _ in 0..MAX_HOPS {
            tracing::info!(call_uuid = %uuid, destination = %dest, "call plan step");
            // What follows an object nobody took; a condition's chains are its branches.
            if let Some(id) = dest.id().filter(|_| !matches!(dest, DestinationRef::Condition(_))) {
                for d in self.chain_after(call.tenant_id, dest.kind(), id).await.into_iter().rev() {
                    chained.push_front(d);
                }
            }
            let next = match dest {
                DestinationRef::Extension(id) => {
                    let features = self.extension(id).await?;
                    self.ring_extension(&mut session, call, features).await?
                }
                DestinationRef::Hunt(id) => {
                    let hunt = self.store.hunt_group(call.tenant_id, id).await.map_err(|e| e.to_string())?;
                    let hunt = hunt.ok_or_else(|| format!("hunt group {id} does not exist"))?;
                    self.ring_hunt(&mut session, call, hunt).await?
                }
                DestinationRef::Voicemail(id) => {
                    let features = self.extension(id).await?;
                    return self.voicemail.deposit(session, call, features).await;
                }
                DestinationRef::Ivr(id) => {
                    // The menu takes the call over once the switch answers it.
                    if self.control.answer_waiting(&uuid).await {
                        self.menus.run(session, call.tenant_id, id);
                    }
                    return Ok(());
                }
                DestinationRef::Condition(id) => {
                    let cond = self.store.condition(call.tenant_id, id).await.map_err(|e| e.to_string())?;
                    let cond = cond.ok_or_else(|| format!("condition {id} does not exist"))?;
                    let now = self.now.unwrap_or_else(Utc::now);
                    let held = cond.matches(now, &call.caller);
                    let branch = if held { &cond.match_destination } else { &cond.nomatch_destination };
                    tracing::info!(call_uuid = %uuid, condition = id, held, "condition decided");
                    // A branch left empty follows the chain seed 003 keeps for
                    // it: `condition` when it held, `notcondition` when not.
                    let mut links: VecDeque<DestinationRef> =
                        match DestinationRef::parse(branch).map_err(|e| e.to_string())? {
                            Some(d) => VecDeque::from([d]),
                            None => {
                                let kind = if held { "condition" } else { "notcondition" };
                                self.chain_after(call.tenant_id, kind, id).await.into()
                            }
                        };
                    match links.pop_front() {
                        Some(d) => {
                            for rest in links.into_iter().rev() {
                                chained.push_front(rest);
                            }
                            Next::Goto(d)
                        }
                        None => Next::Refused(480),
                    }
                }
                DestinationRef::Custom(id) => {
                    let custom = self.store.custom_destination(call.tenant_id, id).await.map_err(|e| e.to_string())?;
                    let custom = custom.ok_or_else(|| format!("custom destination {id} does not exist"))?;
                    self.ring_number(&mut session, call, &custom.number).await?
                }
                DestinationRef::Number(number) => self.ring_number(&mut session, call, &number).await?,
                DestinationRef::Hangup => Next::Refused(480),
            };
            match next {
                Next::Goto(d) => dest = d,
                Next::Refused(status) => match chained.pop_front() {
                    Some(d) => dest = d,
                    None => {
                        self.control.refuse(&uuid, status);
                        return Ok(());
                    }
                },
                Next::Done => return Ok(()),
            }
        }
        tracing::warn!(call_uuid = %uuid, "call plan followed too many destinations");
        self.control.refuse(&uuid, 480);
        Ok(())
    }

    /// The destinations chained after object `kind:id` (seed 003's
    /// `destination` table; `did` too), in order.
    async fn chain_after(&self, tenant_id: i64, kind: &str, id: i64) -> Vec<DestinationRef> {
        let mut links: Vec<_> = match self.store.destinations(tenant_id).await {
            Ok(all) => all.into_iter().filter(|l| l.src_type == kind && l.src_id == id).collect(),
            Err(e) => {
                tracing::warn!(cause = %e, "chained destinations unavailable");
                return Vec::new();
            }
        };
        links.sort_by_key(|l| (l.ord, l.id));
        links
            .into_iter()
            .filter_map(|l| {
                let text = match l.dst_id {
                    Some(id) => format!("{}:{id}", l.dst_type),
                    None => l.dst_type.clone(),
                };
                DestinationRef::parse(&text).ok().flatten()
            })
            .collect()
    }

    async fn extension(&self, id: i64) -> Result<ExtensionFeatures, String> {
        let features = self.store.extension_features(id).await.map_err(|e| e.to_string())?;
        features.ok_or_else(|| format!("extension {id} does not exist"))
    }

    async fn ring_extension(
        &self,
        session: &mut CallSession,
        call: &PlannedCall,
        features: ExtensionFeatures,
    ) -> Result<Next, String> {
        let mut flow = ExtensionFlow::new(extension_view(&features));
        let ids = vec![features.extension_id];
        let mut outcome = None;
        loop {
            let presence = self.control.presence(call.tenant_id, ids.clone()).await;
            match flow.next(outcome, &presence) {
                Action::Ring { parties, ring_secs, caller_id } => {
                    match self.ring(session, parties, ring_secs, caller_id.or_else(|| call.shown.clone())).await? {
                        Some(o) => outcome = Some(o),
                        None => return Ok(Next::Done),
                    }
                }
                Action::Goto(d) => return Ok(Next::Goto(d)),
                Action::Voicemail(_) => {
                    let session = std::mem::replace(session, detached(&session.call_uuid));
                    self.voicemail.deposit(session, call, features).await?;
                    return Ok(Next::Done);
                }
                Action::Refuse(status) => return Ok(Next::Refused(status)),
            }
        }
    }

    async fn ring_hunt(&self, session: &mut CallSession, call: &PlannedCall, hunt: HuntGroup) -> Result<Next, String> {
        let strategy = match hunt.strategy {
            HuntStrategy::RingAll => Strategy::RingAll,
            HuntStrategy::Sequential => Strategy::Sequential,
            HuntStrategy::RoundRobin => Strategy::RoundRobin,
            HuntStrategy::LongestIdle => Strategy::LongestIdle,
        };
        let members: Vec<(i64, String)> =
            hunt.members.iter().map(|m| (m.extension_id, m.sip_username.clone())).collect();
        let ids: Vec<i64> = members.iter().map(|(id, _)| *id).collect();
        let ended = if strategy == Strategy::LongestIdle {
            self.store.last_call_ended(&ids).await.map_err(|e| e.to_string())?
        } else {
            Default::default()
        };
        let view = HuntView {
            strategy,
            ring_secs: hunt.ring_secs.clamp(1, 600) as u32,
            skip_busy: hunt.skip_busy,
            members: flow::member_order(strategy, &members, hunt.last_member_id, &ended),
            overflow: DestinationRef::parse(&hunt.overflow).ok().flatten(),
        };
        let mut flow = HuntFlow::new(view);
        loop {
            let presence = self.control.presence(call.tenant_id, ids.clone()).await;
            match flow.next(&presence) {
                Action::Ring { parties, ring_secs, caller_id } => {
                    let caller_id = caller_id.or_else(|| call.shown.clone());
                    if self.ring(session, parties, ring_secs, caller_id).await?.is_none() {
                        if let Some(member) = flow.last_rung {
                            self.store.set_hunt_last_member(hunt.id, member).await.map_err(|e| e.to_string())?;
                        }
                        return Ok(Next::Done);
                    }
                }
                Action::Goto(d) => return Ok(Next::Goto(d)),
                Action::Voicemail(ext) => return Ok(Next::Goto(DestinationRef::Voicemail(ext))),
                Action::Refuse(status) => return Ok(Next::Refused(status)),
            }
        }
    }

    async fn ring_number(&self, session: &mut CallSession, call: &PlannedCall, number: &str) -> Result<Next, String> {
        let parties = vec![Party::Number(number.to_string())];
        match self.ring(session, parties, NUMBER_RING_SECS, call.shown.clone()).await? {
            Some(outcome) => {
                let status = if outcome == Outcome::Busy { 486 } else { 480 };
                Ok(Next::Refused(status))
            }
            None => Ok(Next::Done),
        }
    }

    /// Rings one step; `Some(outcome)` when nobody answered, `None` when
    /// the call was answered or is over.
    async fn ring(
        &self,
        session: &mut CallSession,
        parties: Vec<Party>,
        ring_secs: u32,
        caller_id: Option<CallerId>,
    ) -> Result<Option<Outcome>, String> {
        let uuid = session.call_uuid.clone();
        if !self.control.ring(&uuid, parties, ring_secs, caller_id).await {
            return Ok(None);
        }
        // The B2BUA ends the step itself; this only guards against a lost signal.
        let guard = tokio::time::sleep(Duration::from_secs(u64::from(ring_secs) + 40));
        tokio::pin!(guard);
        loop {
            tokio::select! {
                signal = session.signals.recv() => match signal {
                    Some(CallSignal::Unanswered(status)) => return Ok(Some(Outcome::of_status(status))),
                    Some(CallSignal::Answered) => {
                        self.control.release(&uuid);
                        return Ok(None);
                    }
                    Some(CallSignal::Ended(_)) | None => return Ok(None),
                    Some(CallSignal::Digit(_) | CallSignal::PlaybackDone) => {}
                },
                () = &mut guard => return Err("a ring step never ended".into()),
            }
        }
    }
}

/// A session with nothing behind it, left in place of one handed on.
fn detached(uuid: &str) -> CallSession {
    let (_, signals) = tokio::sync::mpsc::unbounded_channel();
    let (_, audio) = tokio::sync::mpsc::channel(1);
    CallSession { call_uuid: uuid.to_string(), signals, audio }
}

/// An extension's stored features as its flow sees them.
pub(crate) fn extension_view(f: &ExtensionFeatures) -> ExtensionView {
    let dest = |s: &str| DestinationRef::parse(s).ok().flatten();
    let followme_caller_id = (f.followme_enabled && !f.followme_cid_number.is_empty())
        .then(|| CallerId { number: f.followme_cid_number.clone(), name: f.followme_cid_name.clone() });
    ExtensionView {
        id: f.extension_id,
        username: f.sip_username.clone(),
        dnd: f.dnd,
        call_waiting: f.call_waiting,
        forward_always: dest(&f.forward_always),
        forward_busy: dest(&f.forward_busy),
        forward_no_answer: dest(&f.forward_no_answer),
        forward_unregistered: dest(&f.forward_unregistered),
        ring_secs: f.ring_secs.clamp(1, 600) as u32,
        followme: if f.followme_enabled {
            f.followme.iter().map(|s| (s.number.clone(), s.ring_secs.clamp(1, 600) as u32)).collect()
        } else {
            Vec::new()
        },
        followme_caller_id,
        voicemail: f.voicemail_enabled,
    }
}

/// Loads what the directory keeps of call plans: extensions with call
/// features, hunt-group numbers, DID destinations.
pub(crate) async fn load(
    store: &Store,
    directory: &crate::directory::Directory,
) -> Result<(), voxide_store::StoreError> {
    for tenant in store.tenants().await? {
        for hunt in store.hunt_groups(tenant.id).await? {
            directory.set_hunt(tenant.id, hunt.id, Some(&hunt.number));
        }
    }
    for features in store.all_extension_features().await? {
        directory.set_planned(features.extension_id, is_planned(&features));
        directory.set_caller_id(features.extension_id, &features.cid_number, &features.cid_name);
    }
    for did in store.dids(None).await? {
        directory.set_did_destination(did.id, DestinationRef::parse(&did.destination).ok().flatten());
        directory.set_did_prefixes(did.id, &did.cid_name_prefix, &did.number_prefix);
    }
    Ok(())
}

/// Whether calls to an extension need a plan (anything but ringing it).
pub fn is_planned(f: &ExtensionFeatures) -> bool {
    f.dnd
        || !f.call_waiting
        || f.followme_enabled
        || f.voicemail_enabled
        || [&f.forward_always, &f.forward_busy, &f.forward_no_answer, &f.forward_unregistered]
            .iter()
            .any(|s| !s.is_empty())
}
