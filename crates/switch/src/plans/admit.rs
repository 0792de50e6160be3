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
    /// How the callee is shown the caller, when not as the caller is.
    pub(crate) shown: Shown,
    /// A call out through a trunk.
    pub(crate) outbound: bool,
}

/// The caller id a plan shows its callees.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum Shown {
    #[default]
    AsCalled,
    /// A DID's prefixes before the caller's name and number.
    Prefixed { name: String, number: String },
    /// An extension calling out shows its own caller id.
    Own { number: String, name: String },
}

impl Shown {
    /// The caller id for a caller whose number is `number` and display
    /// name `name` (maybe empty); `None`: as the caller is.
    pub(crate) fn of(&self, number: &str, name: &str) -> Option<super::flow::CallerId> {
        match self {
            Shown::AsCalled => None,
            Shown::Prefixed { name: name_prefix, number: number_prefix } => {
                let base = if name.is_empty() { number } else { name };
                Some(super::flow::CallerId {
                    number: format!("{number_prefix}{number}"),
                    name: format!("{name_prefix}{base}"),
                })
            }
            Shown::Own { number, name } => Some(super::flow::CallerId { number: number.clone(), name: name.clone() }),
        }
    }
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

/// The display name of a name-addr (`"Alice" <sip:…>` → `Alice`), or "".
fn display_name(value: &str) -> String {
    let Some((name, _)) = value.split_once('<') else { return String::new() };
    name.trim().trim_matches('"').trim().to_string()
}

impl Driver {
    /// The plan of a call, if it needs one.
    pub(crate) fn plan_for(
        &self,
        caller: Caller,
        caller_ext: Option<i64>,
        dialed: &str,
        destination: &Option<Destination>,
    ) -> Option<Plan> {
        if let Caller::Extension { tenant_id } = caller
            && let Some(hunt) = self.directory.hunt(tenant_id, dialed)
        {
            let first = DestinationRef::Hunt(hunt);
            let shown = Shown::AsCalled;
            return Some(Plan { tenant_id, first, callee_ext: None, did_id: None, shown, outbound: false });
        }
        let (tenant_id, did_id, extension) = match destination {
            Some(Destination::Extension { tenant_id, extension_id, did_id, .. }) => {
                (*tenant_id, *did_id, Some(*extension_id))
            }
            Some(Destination::UnassignedDid { tenant_id, did_id } | Destination::Ivr { tenant_id, did_id, .. }) => {
                (*tenant_id, Some(*did_id), None)
            }
            Some(Destination::Trunk { number, .. }) => {
                // An extension with a caller id of its own shows it on calls out.
                let (Caller::Extension { tenant_id }, Some(ext)) = (caller, caller_ext) else { return None };
                let (number_shown, name) = self.directory.caller_id(ext)?;
                let shown = Shown::Own { number: number_shown, name };
                let first = DestinationRef::Number(number.clone());
                return Some(Plan { tenant_id, first, callee_ext: None, did_id: None, shown, outbound: true });
            }
            _ => return None,
        };
        let shown = did_id
            .and_then(|d| self.directory.did_prefixes(d))
            .map_or(Shown::AsCalled, |(name, number)| Shown::Prefixed { name, number });
        if let Some(first) = did_id.and_then(|d| self.directory.did_destination(d)) {
            return Some(Plan { tenant_id, first, callee_ext: None, did_id, shown, outbound: false });
        }
        let ext = extension.filter(|id| self.directory.planned(*id) || shown != Shown::AsCalled)?;
        let first = DestinationRef::Extension(ext);
        Some(Plan { tenant_id, first, callee_ext: Some(ext), did_id, shown, outbound: false })
    }

    /// Whether `dialed` from an extension is the voicemail access number.
    pub(crate) fn is_voicemail_access(caller: Caller, dialed: &str) -> bool {
        matches!(caller, Caller::Extension { .. }) && dialed == VOICEMAIL_ACCESS
    }

    /// Admits a call that waits while its plan finds the callee.
    pub(crate) fn start_plan(&mut self, a: Admitted, mut attempt: Attempt, plan: Plan) {
        attempt.tenant_id = plan.tenant_id;
        attempt.did_id = plan.did_id.or(attempt.did_id);
        if plan.outbound {
            attempt.direction = "outbound";
        }
        let opened = self.open_call(&a.uuid, &mut attempt, a.caller_ext, plan.callee_ext, 0);
        let (id, media_ports) = match opened {
            Ok(opened) => opened,
            Err(cause) => return self.refuse(a.key, &a.req, &a.tag, &a.uuid, attempt, cause),
        };
        let Some(session) = self.attach_signals(id) else { return };
        let name = display_name(&voxide_b2bua::build::from_value(&a.req));
        let shown = plan.shown.of(&attempt.from, &name);
        let call = PlannedCall { tenant_id: plan.tenant_id, caller: attempt.from.clone(), shown, did_id: plan.did_id };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callees_are_shown_the_caller_prefixed_or_the_callers_own_id() {
        assert_eq!(display_name("\"Alice Smith\" <sip:1001@x>;tag=1"), "Alice Smith");
        assert_eq!(display_name("Bob <sip:1002@x>"), "Bob");
        assert_eq!(display_name("<sip:1003@x>"), "");
        assert_eq!(display_name("sip:1004@x"), "");
        let prefixed = Shown::Prefixed { name: "Sales: ".into(), number: "9".into() };
        let shown = prefixed.of("13055550142", "Alice").expect("a caller id");
        assert_eq!((shown.number.as_str(), shown.name.as_str()), ("913055550142", "Sales: Alice"));
        let unnamed = prefixed.of("13055550142", "").expect("a caller id");
        assert_eq!(unnamed.name, "Sales: 13055550142");
        let own = Shown::Own { number: "3055550100".into(), name: "Acme".into() }.of("1001", "Alice").expect("id");
        assert_eq!((own.number.as_str(), own.name.as_str()), ("3055550100", "Acme"));
        assert_eq!(Shown::AsCalled.of("1001", "Alice"), None);
    }
}
