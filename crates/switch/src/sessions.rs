//! Calls a task inside the process talks to (a hosted menu, the IVR
//! crawler): the switch answers or places the call, the task hears what
//! happens on it as [`CallSignal`]s and its audio as [`AudioChunk`]s, and
//! acts through [`SwitchControl`](crate::SwitchControl): play, stop,
//! send digits, bridge, hang up.

use std::time::Instant;

use tokio::sync::mpsc;
use voxide_b2bua::routing::{Caller, Destination};
use voxide_b2bua::{Originate, Target, Then};
use voxide_media::AudioChunk;

use crate::calls::Attempt;
use crate::driver::Driver;
use crate::originate::{OriginateError, dialable};

/// Audio queued between the relay and a session (100 ms chunks): 10 s.
const SESSION_AUDIO_QUEUE: usize = 100;

/// What happens on a session's call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallSignal {
    /// The far end answered (or the switch answered it).
    Answered,
    /// The far end sent a digit (RFC 4733, SIP INFO or in-band).
    Digit(char),
    /// A prompt played to the far end has been sent in full.
    PlaybackDone,
    /// Nobody answered the step the switch rang for a waiting caller
    /// (the best of the failures' SIP statuses).
    Unanswered(u16),
    /// The call is over, with its hangup cause.
    Ended(String),
}

/// A call a task drives: its id, what happens on it, and the far end's
/// decoded audio (8 kHz).
#[derive(Debug)]
pub struct CallSession {
    pub call_uuid: String,
    pub signals: mpsc::UnboundedReceiver<CallSignal>,
    pub audio: mpsc::Receiver<AudioChunk>,
}

/// Where a number rings: its targets, the callee's extension (if it is
/// one) and the DID it came through (if any).
pub(crate) type Routed = (Vec<Target>, Option<i64>, Option<i64>);

/// A call the switch places to talk to alone.
#[derive(Debug, Clone)]
pub struct DialRequest {
    pub tenant_id: i64,
    /// Routed like a number one of the tenant's phones dialled.
    pub to: String,
    /// The user part the far end is shown as the caller.
    pub caller_id: String,
}

impl Driver {
    /// Places `req` and parks it once answered: nothing else is dialled.
    pub(crate) fn dial(&mut self, req: DialRequest) -> Result<CallSession, OriginateError> {
        for name in [&req.to, &req.caller_id] {
            if !dialable(name) {
                return Err(OriginateError::Invalid(name.clone()));
            }
        }
        let (targets, callee_ext, did_id) = self.targets_of(req.tenant_id, &req.to)?;
        let mut attempt = Attempt {
            tenant_id: req.tenant_id,
            direction: "outbound",
            from: req.caller_id.clone(),
            to: req.to.clone(),
            extension_id: None,
            did_id,
            verified: true,
            in_contact: false,
            status_callback: None,
        };
        let uuid = uuid::Uuid::new_v4().to_string();
        let (id, media_ports) = self
            .open_call(&uuid, &mut attempt, None, callee_ext, targets.len())
            .map_err(|_| OriginateError::NoMedia)?;
        let session = self.attach_session(id).ok_or(OriginateError::NotRunning)?;
        let realm = self.directory.realm_of_tenant(req.tenant_id).unwrap_or_default();
        let originate = Originate {
            id,
            call_uuid: uuid,
            a_targets: targets,
            a_caller_id: format!("<sip:{}@{realm}>", req.caller_id),
            media_ports,
            then: Then::Park,
        };
        self.b2bua.originate(Instant::now(), originate);
        Ok(session)
    }

    /// Bridges a call the switch talks to alone (a hosted menu's caller, a
    /// parked call) to `to`, routed like a number its tenant dialled.
    pub(crate) fn bridge(&mut self, uuid: &str, to: &str) -> Result<(), OriginateError> {
        let (id, targets, caller_id) = self.redirect(uuid, to)?;
        self.b2bua.bridge(Instant::now(), id, targets, &caller_id).then_some(()).ok_or(OriginateError::NoSuchCall)?;
        // The task that drove the call (a menu, the crawler) is done with it.
        if let Some(c) = self.calls.get_mut(&id) {
            c.session = None;
        }
        Ok(())
    }

    /// Blind transfer: the caller of call `uuid` is connected to `to`
    /// instead of the callee, who is hung up.
    pub(crate) fn transfer(&mut self, uuid: &str, to: &str) -> Result<(), OriginateError> {
        let (id, targets, caller_id) = self.redirect(uuid, to)?;
        // A call a menu or the crawler drives is theirs to move.
        if self.calls.get(&id).is_some_and(|c| c.session.is_some()) {
            return Err(OriginateError::Busy);
        }
        tracing::info!(call_uuid = %uuid, %to, "blind transfer");
        self.b2bua.transfer(Instant::now(), id, targets, &caller_id).then_some(()).ok_or(OriginateError::NoSuchCall)
    }

    /// A REFER from the callee asked for the caller of call `id` to be
    /// transferred to `to`. Only a tenant's own phones may: a callee
    /// reached through a trunk (a carrier, anyone outside) is refused, so
    /// nobody outside can make the switch dial out on a tenant's account.
    pub(crate) fn transfer_asked(&mut self, id: u64, to: &str) {
        let Some((uuid, outbound)) = self.calls.get(&id).map(|c| (c.uuid.clone(), c.direction == "outbound")) else {
            return;
        };
        let outcome = if outbound { Err(OriginateError::Busy) } else { self.transfer(&uuid, to) };
        if let Err(e) = outcome {
            tracing::warn!(call_uuid = %uuid, %to, cause = %e, "transfer asked for by REFER refused");
            let status = match e {
                OriginateError::Busy => "403 Forbidden",
                OriginateError::NoRoute(_) | OriginateError::Invalid(_) => "404 Not Found",
                OriginateError::TargetOffline(_) => "480 Temporarily Unavailable",
                _ => "503 Service Unavailable",
            };
            self.b2bua.transfer_refused(id, status);
        }
    }

    /// Call `uuid`'s id, where `to` rings for its tenant, and the caller ID
    /// the new party is shown (the caller's).
    fn redirect(&self, uuid: &str, to: &str) -> Result<(u64, Vec<Target>, String), OriginateError> {
        if !dialable(to) {
            return Err(OriginateError::Invalid(to.to_string()));
        }
        let (id, tenant_id, from) = self
            .calls
            .iter()
            .find(|(_, c)| c.uuid == uuid)
            .map(|(id, c)| (*id, c.tenant_id, c.from.clone()))
            .ok_or(OriginateError::NoSuchCall)?;
        let (targets, _, _) = self.targets_of(tenant_id, to)?;
        let realm = self.directory.realm_of_tenant(tenant_id).unwrap_or_default();
        let shown = if dialable(&from) { from } else { "voxide".to_string() };
        Ok((id, targets, format!("<sip:{shown}@{realm}>")))
    }

    /// Where `to` rings for a call of `tenant_id`: the targets, the
    /// callee's extension and the DID it came through.
    pub(crate) fn targets_of(&self, tenant_id: i64, to: &str) -> Result<Routed, OriginateError> {
        let routed = self.routes.route(Caller::Extension { tenant_id }, to, &self.directory);
        let (targets, ext, did) = match routed {
            Some(Destination::Extension { tenant_id, extension_id, username, did_id }) => {
                (self.extension_targets(tenant_id, &username), Some(extension_id), did_id)
            }
            Some(Destination::Trunk { trunk, number }) => (self.trunk_targets(&trunk, &number), None, None),
            Some(Destination::Ivr { .. } | Destination::UnassignedDid { .. }) | None => {
                return Err(OriginateError::NoRoute(to.to_string()));
            }
        };
        if targets.is_empty() {
            return Err(match ext {
                Some(_) => OriginateError::TargetOffline(to.to_string()),
                None => OriginateError::NoRoute(to.to_string()),
            });
        }
        Ok((targets, ext, did))
    }

    /// Gives call `id` a session: its signals and the far end's audio.
    pub(crate) fn attach_session(&mut self, id: u64) -> Option<CallSession> {
        let c = self.calls.get_mut(&id)?;
        let (signal_tx, signals) = mpsc::unbounded_channel();
        let (sink, audio) = mpsc::channel(SESSION_AUDIO_QUEUE);
        c.relay.listen(sink);
        c.session = Some(signal_tx);
        Some(CallSession { call_uuid: c.uuid.clone(), signals, audio })
    }

    /// Tells call `id`'s session, if it has one.
    pub(crate) fn signal(&self, id: u64, signal: CallSignal) {
        if let Some(tx) = self.calls.get(&id).and_then(|c| c.session.as_ref()) {
            let _ = tx.send(signal);
        }
    }
}
