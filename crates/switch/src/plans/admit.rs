//! Where a new call becomes a planned one: a hunt group's number, an
//! extension with call features, a DID routed to a destination, or the
//! voicemail access number.

use std::net::SocketAddr;
use std::time::Instant;

use rsip::Request;
use tokio::sync::mpsc;
use voxide_b2bua::routing::{Caller, Destination};
use voxide_b2bua::{Flow, NewCall};
use voxide_sip::Transport;
use voxide_sip::transaction::TransactionKey;
use voxide_store::DestinationRef;

use super::PlannedCall;
use super::mwi::VOICEMAIL_ACCESS;
use crate::calls::Attempt;
use crate::driver::Driver;
use crate::sessions::CallSession;

/// Where a planned call starts.
pub(crate) struct Plan {
    pub(crate) tenant_id: i64,
    pub(crate) first: DestinationRef,
    pub(crate) callee_ext: Option<i64>,
    pub(crate) did_id: Option<i64>,
}

/// A new INVITE as the driver admitted it.
pub(crate) struct Admitted {
    pub(crate) key: TransactionKey,
    pub(crate) req: Request,
    pub(crate) source: SocketAddr,
    pub(crate) transport: Transport,
    pub(crate) tag: String,
    pub(crate) uuid: String,
    pub(crate) caller_ext: Option<i64>,
}

impl Driver {
    /// The plan of a call, if it needs one.
    pub(crate) fn plan_for(&self, caller: Caller, dialed: &str, destination: &Option<Destination>) -> Option<Plan> {
        if let Caller::Extension { tenant_id } = caller
            && let Some(hunt) = self.directory.hunt(tenant_id, dialed)
        {
            return Some(Plan { tenant_id, first: DestinationRef::Hunt(hunt), callee_ext: None, did_id: None });
        }
        let (tenant_id, did_id, extension) = match destination {
            Some(Destination::Extension { tenant_id, extension_id, did_id, .. }) => {
                (*tenant_id, *did_id, Some(*extension_id))
            }
            Some(Destination::UnassignedDid { tenant_id, did_id } | Destination::Ivr { tenant_id, did_id, .. }) => {
                (*tenant_id, Some(*did_id), None)
            }
            _ => return None,
        };
        if let Some(first) = did_id.and_then(|d| self.directory.did_destination(d)) {
            return Some(Plan { tenant_id, first, callee_ext: None, did_id });
        }
        let ext = extension.filter(|id| self.directory.planned(*id))?;
        Some(Plan { tenant_id, first: DestinationRef::Extension(ext), callee_ext: Some(ext), did_id })
    }

    /// Whether `dialed` from an extension is the voicemail access number.
    pub(crate) fn is_voicemail_access(caller: Caller, dialed: &str) -> bool {
        matches!(caller, Caller::Extension { .. }) && dialed == VOICEMAIL_ACCESS
    }

    /// Admits a call that waits while its plan finds the callee.
    pub(crate) fn start_plan(&mut self, a: Admitted, mut attempt: Attempt, plan: Plan) {
        attempt.tenant_id = plan.tenant_id;
        attempt.did_id = plan.did_id.or(attempt.did_id);
        let opened = self.open_call(&a.uuid, &mut attempt, a.caller_ext, plan.callee_ext, 0);
        let (id, media_ports) = match opened {
            Ok(opened) => opened,
            Err(cause) => return self.refuse(a.key, &a.req, &a.tag, &a.uuid, attempt, cause),
        };
        let Some(session) = self.attach_signals(id) else { return };
        let call = PlannedCall { tenant_id: plan.tenant_id, caller: attempt.from.clone() };
        let new = NewCall {
            id,
            call_uuid: a.uuid,
            key: a.key,
            invite: a.req,
            a_flow: Flow { addr: a.source, transport: a.transport },
            targets: Vec::new(),
            media_ports,
        };
        self.b2bua.start_planned(Instant::now(), new);
        self.plans.run(session, call, plan.first);
    }

    /// The owner of an extension dialled the voicemail access number: the
    /// switch answers and plays their messages once they give the PIN.
    pub(crate) fn start_voicemail_access(&mut self, a: Admitted, mut attempt: Attempt) {
        let Some(owner) = a.caller_ext else {
            return self.refuse(a.key, &a.req, &a.tag, &a.uuid, attempt, voxide_b2bua::HangupCause::CallRejected);
        };
        let opened = self.open_call(&a.uuid, &mut attempt, a.caller_ext, None, 0);
        let (id, media_ports) = match opened {
            Ok(opened) => opened,
            Err(cause) => return self.refuse(a.key, &a.req, &a.tag, &a.uuid, attempt, cause),
        };
        let Some(session) = self.attach_signals(id) else { return };
        let new = NewCall {
            id,
            call_uuid: a.uuid.clone(),
            key: a.key,
            invite: a.req,
            a_flow: Flow { addr: a.source, transport: a.transport },
            targets: Vec::new(),
            media_ports,
        };
        self.b2bua.answer(Instant::now(), new);
        let voicemail = self.plans.voicemail.clone();
        let tenant_id = attempt.tenant_id;
        tokio::spawn(async move {
            if let Err(why) = voicemail.retrieve(session, tenant_id, owner).await {
                tracing::warn!(call_uuid = %a.uuid, %why, "voicemail access failed");
                voicemail.control.hangup(&a.uuid).await;
            }
        });
    }

    /// Gives call `id` a session of signals only: a plan needs no audio.
    fn attach_signals(&mut self, id: u64) -> Option<CallSession> {
        let c = self.calls.get_mut(&id)?;
        let (signal_tx, signals) = mpsc::unbounded_channel();
        let (_, audio) = mpsc::channel(1);
        c.session = Some(signal_tx);
        Some(CallSession { call_uuid: c.uuid.clone(), signals, audio })
    }
}
