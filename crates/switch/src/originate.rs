//! Calls the switch places itself (originate, click-to-call): ring a
//! user's own registered device, and once it answers, dial the number it
//! asked for (routed exactly like a number the device dialled: extension,
//! DID or trunk) and bridge the two. Nothing is dialled unless both ends
//! can be reached at the moment of asking.

use std::time::Instant;

use voxide_b2bua::{Originate, Then};

use crate::calls::Attempt;
use crate::driver::Driver;

/// What to place: `device` (an extension of `tenant_id`) rings first, then
/// `to` is dialled and bridged.
#[derive(Debug, Clone)]
pub struct OriginateRequest {
    pub tenant_id: i64,
    /// The extension (SIP username) whose registered device rings first.
    pub device: String,
    /// The number to dial once the device answers.
    pub to: String,
    /// What the dialled party is shown as the caller (the device's
    /// extension when `None`).
    pub caller_id: Option<String>,
    /// The CDR's `call_direction`.
    pub direction: &'static str,
    /// A URL that gets the call's events POSTed, signed, in order.
    pub status_callback: Option<String>,
}

/// A call that was placed: the device is ringing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Originated {
    pub call_uuid: String,
}

/// Why a call was not placed. Nothing was dialled and no CDR written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OriginateError {
    /// The tenant has no extension of that name.
    #[error("no extension {0}")]
    UnknownDevice(String),
    /// The device's extension has no registered contact.
    #[error("device offline")]
    DeviceOffline,
    /// Routing knows no destination for the number (or a DID we own that
    /// is assigned to nothing).
    #[error("no route to {0}")]
    NoRoute(String),
    /// The number is an extension with no registered contact.
    #[error("{0} is not registered")]
    TargetOffline(String),
    /// A number or name with characters SIP URIs here do not carry.
    #[error("{0:?} is not a number or extension")]
    Invalid(String),
    /// No media ports are free.
    #[error("no media ports free")]
    NoMedia,
    /// The switch has stopped.
    #[error("the switch is not running")]
    NotRunning,
    /// No call in progress has that UUID (or it cannot take this now).
    #[error("no such call in progress")]
    NoSuchCall,
    /// The call is driven by a hosted menu or the crawler, or may not be
    /// moved by whoever asked.
    #[error("this call cannot be moved now")]
    Busy,
}

impl Driver {
    pub(crate) fn originate(&mut self, req: OriginateRequest) -> Result<Originated, OriginateError> {
        // They are written into SIP headers as they are.
        for name in [Some(&req.device), Some(&req.to), req.caller_id.as_ref()].into_iter().flatten() {
            if !dialable(name) {
                return Err(OriginateError::Invalid(name.clone()));
            }
        }
        let tenant_id = req.tenant_id;
        let realm = self.directory.realm_of_tenant(tenant_id).unwrap_or_default();
        let device = self
            .directory
            .lookup(&realm, &req.device)
            .filter(|a| a.tenant_id == tenant_id)
            .ok_or_else(|| OriginateError::UnknownDevice(req.device.clone()))?;
        let a_targets = self.extension_targets(tenant_id, &req.device);
        if a_targets.is_empty() {
            return Err(OriginateError::DeviceOffline);
        }
        let mut attempt = Attempt {
            tenant_id,
            direction: req.direction,
            from: req.device.clone(),
            to: req.to.clone(),
            extension_id: Some(device.extension_id),
            did_id: None,
            verified: true,
            in_contact: false,
            status_callback: req.status_callback.clone(),
        };
        let (b_targets, callee_ext, did_id) = self.targets_of(tenant_id, &req.to)?;
        attempt.did_id = did_id;
        let uuid = uuid::Uuid::new_v4().to_string();
        let (id, media_ports) = self
            .open_call(&uuid, &mut attempt, Some(device.extension_id), callee_ext, a_targets.len())
            .map_err(|_| OriginateError::NoMedia)?;
        let shown_to_b = req.caller_id.as_deref().unwrap_or(&req.device);
        let originate = Originate {
            id,
            call_uuid: uuid.clone(),
            a_targets,
            // The device shows whom it is about to be connected to.
            a_caller_id: format!("\"{}\" <sip:{}@{realm}>", req.to, req.to),
            media_ports,
            then: Then::Bridge { targets: b_targets, caller_id: format!("<sip:{shown_to_b}@{realm}>") },
        };
        self.b2bua.originate(Instant::now(), originate);
        Ok(Originated { call_uuid: uuid })
    }
}

/// Whether `s` can stand as the user part of our URIs and a display name:
/// 1 to 64 letters, digits and `+ - . _ * #`.
pub fn dialable(s: &str) -> bool {
    (1..=64).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric() || "+-._*#".contains(c))
}
