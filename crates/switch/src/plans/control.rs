//! What a plan asks of the driver (ring a step, refuse or answer the
//! caller, who is registered or busy, record the caller, light phones'
//! message-waiting lamps), over the same channel as the API's call
//! control, answered on oneshots.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;
use voxide_b2bua::{HangupCause, Target};
use voxide_media::Leg;

use super::flow::{CallerId, Party};
use crate::call_control::CallRequest;
use crate::control::SwitchControl;
use crate::driver::Driver;

pub(crate) enum PlanRequest {
    Ring {
        uuid: String,
        parties: Vec<Party>,
        ring_secs: u32,
        caller_id: Option<CallerId>,
        reply: oneshot::Sender<bool>,
    },
    Refuse {
        uuid: String,
        status: u16,
    },
    Answer {
        uuid: String,
        reply: oneshot::Sender<bool>,
    },
    /// The plan is done with a call a phone answered.
    Release {
        uuid: String,
    },
    Presence {
        tenant_id: i64,
        extensions: Vec<i64>,
        reply: oneshot::Sender<HashMap<i64, (bool, bool)>>,
    },
    RecordCaller {
        uuid: String,
        path: Option<PathBuf>,
    },
    Mwi {
        tenant_id: i64,
        extension_id: i64,
        new: u32,
        old: u32,
    },
}

/// Registered and busy, per extension.
#[derive(Debug, Clone, Default)]
pub(crate) struct PresenceSnapshot(pub(crate) HashMap<i64, (bool, bool)>);

impl super::flow::Presence for PresenceSnapshot {
    fn registered(&self, id: i64) -> bool {
        self.0.get(&id).is_some_and(|p| p.0)
    }
    fn busy(&self, id: i64) -> bool {
        self.0.get(&id).is_some_and(|p| p.1)
    }
}

impl SwitchControl {
    fn plan(&self, request: PlanRequest) {
        let _ = self.call_requests().send(CallRequest::Plan(request));
    }

    async fn plan_ask<T>(&self, request: impl FnOnce(oneshot::Sender<T>) -> PlanRequest) -> Option<T> {
        let (reply, answer) = oneshot::channel();
        self.call_requests().send(CallRequest::Plan(request(reply))).ok()?;
        answer.await.ok()
    }

    /// Rings one step of a waiting call; false when it is not waiting.
    pub(crate) async fn ring(
        &self,
        uuid: &str,
        parties: Vec<Party>,
        ring_secs: u32,
        caller_id: Option<CallerId>,
    ) -> bool {
        let uuid = uuid.to_string();
        self.plan_ask(|reply| PlanRequest::Ring { uuid, parties, ring_secs, caller_id, reply }).await.unwrap_or(false)
    }

    pub(crate) fn refuse(&self, uuid: &str, status: u16) {
        self.plan(PlanRequest::Refuse { uuid: uuid.to_string(), status });
    }

    /// The switch answers a waiting caller itself.
    pub(crate) async fn answer_waiting(&self, uuid: &str) -> bool {
        let uuid = uuid.to_string();
        self.plan_ask(|reply| PlanRequest::Answer { uuid, reply }).await.unwrap_or(false)
    }

    pub(crate) fn release(&self, uuid: &str) {
        self.plan(PlanRequest::Release { uuid: uuid.to_string() });
    }

    pub(crate) async fn presence(&self, tenant_id: i64, extensions: Vec<i64>) -> PresenceSnapshot {
        PresenceSnapshot(
            self.plan_ask(|reply| PlanRequest::Presence { tenant_id, extensions, reply }).await.unwrap_or_default(),
        )
    }

    /// Records what the caller says to `path` (`None`: stops).
    pub(crate) fn record_caller(&self, uuid: &str, path: Option<PathBuf>) {
        self.plan(PlanRequest::RecordCaller { uuid: uuid.to_string(), path });
    }

    /// An extension's call features were saved: its calls follow a plan
    /// from now on, or ring it directly again.
    pub fn extension_features_saved(&self, features: &voxide_store::ExtensionFeatures) {
        self.directory().set_planned(features.extension_id, super::is_planned(features));
        self.directory().set_caller_id(features.extension_id, &features.cid_number, &features.cid_name);
    }

    /// A DID's caller-id prefixes were saved.
    pub fn did_prefixes_saved(&self, did_id: i64, name_prefix: &str, number_prefix: &str) {
        self.directory().set_did_prefixes(did_id, name_prefix, number_prefix);
    }

    /// A hunt group was saved (its number) or deleted (`None`).
    pub fn hunt_group_saved(&self, tenant_id: i64, hunt_id: i64, number: Option<&str>) {
        self.directory().set_hunt(tenant_id, hunt_id, number);
    }

    /// A DID's destination was saved ('' for none).
    pub fn did_destination_saved(&self, did_id: i64, destination: &str) {
        let parsed = voxide_store::DestinationRef::parse(destination).ok().flatten();
        self.directory().set_did_destination(did_id, parsed);
    }

    /// Tells an extension's phones how many voicemail messages wait.
    pub fn message_waiting(&self, tenant_id: i64, extension_id: i64, new: u32, old: u32) {
        self.plan(PlanRequest::Mwi { tenant_id, extension_id, new, old });
    }
}

impl Driver {
    pub(crate) fn on_plan_request(&mut self, request: PlanRequest) {
        match request {
            PlanRequest::Ring { uuid, parties, ring_secs, caller_id, reply } => {
                let _ = reply.send(self.ring_step(&uuid, &parties, ring_secs, caller_id));
            }
            PlanRequest::Refuse { uuid, status } => {
                if let Some(id) = self.call_id(&uuid) {
                    self.b2bua.refuse(Instant::now(), id, status, HangupCause::from_status(status));
                }
            }
            PlanRequest::Answer { uuid, reply } => {
                let answered = self.call_id(&uuid).is_some_and(|id| self.b2bua.answer_waiting(Instant::now(), id));
                let _ = reply.send(answered);
            }
            PlanRequest::Release { uuid } => {
                if let Some(c) = self.call_id(&uuid).and_then(|id| self.calls.get_mut(&id)) {
                    c.session = None;
                }
            }
            PlanRequest::Presence { tenant_id, extensions, reply } => {
                let presence = extensions.into_iter().map(|id| (id, self.presence_of(tenant_id, id))).collect();
                let _ = reply.send(presence);
            }
            PlanRequest::RecordCaller { uuid, path } => {
                if let Some(c) = self.call_id(&uuid).and_then(|id| self.calls.get(&id)) {
                    match path {
                        Some(path) => c.relay.record_leg(path, Leg::A),
                        None => c.relay.stop_recording(),
                    }
                }
            }
            PlanRequest::Mwi { tenant_id, extension_id, new, old } => {
                self.notify_message_waiting(tenant_id, extension_id, new, old);
            }
        }
    }

    /// Whether an extension has a registered phone, and is on a call.
    fn presence_of(&self, tenant_id: i64, extension_id: i64) -> (bool, bool) {
        let registered = self.directory.extension(extension_id).is_some_and(|(realm, user)| {
            !self.registrar.location().lookup(&format!("sip:{user}@{realm}"), crate::driver::unix_now()).is_empty()
        });
        let busy = self.calls.values().any(|c| c.tenant_id == tenant_id && c.parties.contains(&Some(extension_id)));
        (registered, busy)
    }

    /// Rings `parties` for waiting call `uuid`.
    fn ring_step(&mut self, uuid: &str, parties: &[Party], ring_secs: u32, caller_id: Option<CallerId>) -> bool {
        let Some(id) = self.call_id(uuid) else { return false };
        let Some(tenant_id) = self.calls.get(&id).map(|c| c.tenant_id) else { return false };
        let mut targets: Vec<Target> = Vec::new();
        for party in parties {
            match party {
                Party::Extension { username, .. } => targets.extend(self.extension_targets(tenant_id, username)),
                Party::Number(number) => {
                    if let Ok((found, _, _)) = self.targets_of(tenant_id, number) {
                        targets.extend(found);
                    }
                }
            }
        }
        // Who answers a one-extension step is known: that extension is busy.
        let single = match parties {
            [Party::Extension { id, .. }] => Some(*id),
            _ => None,
        };
        if let Some(c) = self.calls.get_mut(&id) {
            c.parties[1] = single;
        }
        let realm = self.directory.realm_of_tenant(tenant_id).unwrap_or_default();
        let shown = caller_id.map(|cid| {
            let name = cid.name.replace(['"', '\\'], "");
            if name.is_empty() {
                format!("<sip:{}@{realm}>", cid.number)
            } else {
                format!("\"{name}\" <sip:{}@{realm}>", cid.number)
            }
        });
        tracing::info!(call_uuid = %uuid, targets = targets.len(), ring_secs, "ringing a step");
        self.b2bua.ring(Instant::now(), id, targets, Duration::from_secs(u64::from(ring_secs.max(1))), shown.as_deref())
    }
}
